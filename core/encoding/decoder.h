// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace Tandem::Encoding {

/// Why a decode failed. Values are stable (they appear in logs and tests).
enum class DecodeErrorCode : uint8_t {
    None = 0,
    UnexpectedEnd, ///< input ended inside a value
    IntegerOverflow, ///< varint longer than 10 bytes or above 2^53-1 (the JS limit)
    LengthTooLarge, ///< a declared length exceeds what is left of the input or a set limit
    InvalidUtf8, ///< a string is not well-formed UTF-8 (JS peers reject these too)
    UnknownAnyTag, ///< lib0 `any` tag below 116
    UnknownContent, ///< item content ref not in 1..9
    InvalidStruct, ///< structurally impossible update (bad parent info, zero length, ...)
    NestingTooDeep, ///< nested `any` values deeper than the limit
    TrailingData, ///< bytes left over after a complete message
    UnknownMessage, ///< protocol message type not understood
    InvalidJson, ///< a JSON text (awareness state, JSON/embed/format content) does not parse
};

const char *decodeErrorName(DecodeErrorCode code);

struct DecodeError
{
    DecodeErrorCode code = DecodeErrorCode::None;
    size_t offset = 0; ///< byte offset in the input where the problem was detected

    explicit operator bool() const { return code != DecodeErrorCode::None; }
    std::string toString() const;
};

/// Reads lib0 primitives from untrusted bytes. Errors are sticky: after the first failure
/// every read returns a neutral value and error() tells what went wrong and where. No read
/// ever allocates more than the input could back.
class Decoder
{
public:
    explicit Decoder(std::span<const uint8_t> data) : m_data(data) { }

    bool ok() const { return !m_error; }
    const DecodeError &error() const { return m_error; }
    void fail(DecodeErrorCode code)
    {
        if (!m_error) {
            m_error = {code, m_pos};
        }
        m_pos = m_data.size();
    }

    size_t offset() const { return m_pos; }
    size_t remaining() const { return m_data.size() - m_pos; }
    bool atEnd() const { return m_pos >= m_data.size(); }
    std::span<const uint8_t> data() const { return m_data; }

    uint8_t readUint8()
    {
        if (m_pos >= m_data.size()) {
            fail(DecodeErrorCode::UnexpectedEnd);
            return 0;
        }
        return m_data[m_pos++];
    }
    uint64_t readVarUint()
    {
        // Fast path for the very common single-byte case.
        if (m_pos < m_data.size() && m_data[m_pos] < 0x80) {
            return m_data[m_pos++];
        }
        return readVarUintSlow();
    }
    /// Returns the magnitude-signed value; @p negativeZero is set for the `-0` encoding.
    int64_t readVarInt(bool *negativeZero = nullptr);
    /// A varUint8Array: the returned view points into the input.
    std::span<const uint8_t> readVarBytes();
    /// A varString as raw UTF-8 bytes, validated.
    std::string_view readVarStringUtf8();
    /// A varString converted to UTF-16.
    std::u16string readVarString();
    /// Same, into @p out (reusing its capacity); empty on error.
    void readVarString(std::u16string &out);
    float readFloat32();
    double readFloat64();
    int64_t readBigInt64();
    std::span<const uint8_t> readBytes(size_t n);

private:
    uint64_t readVarUintSlow();

    std::span<const uint8_t> m_data;
    size_t m_pos = 0;
    DecodeError m_error;
};

} // namespace Tandem::Encoding
