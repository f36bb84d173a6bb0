// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/encoding/decoder.h"

#include "core/encoding/utf.h"

#include <bit>

namespace Tandem::Encoding {

namespace {
constexpr uint64_t maxSafeInteger = (uint64_t(1) << 53) - 1;
}

const char *decodeErrorName(DecodeErrorCode code)
{
    switch (code) {
    case DecodeErrorCode::None:
        return "no error";
    case DecodeErrorCode::UnexpectedEnd:
        return "unexpected end of data";
    case DecodeErrorCode::IntegerOverflow:
        return "integer out of range";
    case DecodeErrorCode::LengthTooLarge:
        return "declared length exceeds the data";
    case DecodeErrorCode::InvalidUtf8:
        return "malformed UTF-8 string";
    case DecodeErrorCode::UnknownAnyTag:
        return "unknown value tag";
    case DecodeErrorCode::UnknownContent:
        return "unknown content type";
    case DecodeErrorCode::InvalidStruct:
        return "invalid struct";
    case DecodeErrorCode::NestingTooDeep:
        return "values nested too deeply";
    case DecodeErrorCode::TrailingData:
        return "unexpected trailing data";
    case DecodeErrorCode::UnknownMessage:
        return "unknown message type";
    case DecodeErrorCode::InvalidJson:
        return "malformed JSON";
    }
    return "unknown error";
}

std::string DecodeError::toString() const
{
    return std::string(decodeErrorName(code)) + " at byte " + std::to_string(offset);
}

uint64_t Decoder::readVarUintSlow()
{
    // Client ids take five bytes and clocks two or three: decode without a bounds check per
    // byte when the longest valid number (8 bytes for 2^53 - 1) fits in what is left.
    if (m_data.size() - m_pos >= 8) {
        const uint8_t *p = m_data.data() + m_pos;
        uint64_t value = p[0] & 0x7F; // p[0] has its continuation bit: the fast path took the rest
#define TANDEM_VARUINT_BYTE(i)                                                                     \
    value |= uint64_t(p[i] & 0x7F) << (7 * (i));                                                   \
    if (p[i] < 0x80) {                                                                             \
        m_pos += (i) + 1;                                                                          \
        return value;                                                                              \
    }
        TANDEM_VARUINT_BYTE(1)
        TANDEM_VARUINT_BYTE(2)
        TANDEM_VARUINT_BYTE(3)
        TANDEM_VARUINT_BYTE(4)
        TANDEM_VARUINT_BYTE(5)
        TANDEM_VARUINT_BYTE(6)
#undef TANDEM_VARUINT_BYTE
        // Seven or more bytes: values near 2^53, checked by the careful loop below.
    }
    uint64_t value = 0;
    int shift = 0;
    for (int i = 0; i < 10; ++i) {
        if (m_pos >= m_data.size()) {
            fail(DecodeErrorCode::UnexpectedEnd);
            return 0;
        }
        const uint8_t b = m_data[m_pos++];
        if (shift < 64) {
            value |= uint64_t(b & 0x7F) << shift;
        }
        if (b < 0x80) {
            if (shift >= 56 || value > maxSafeInteger) {
                fail(DecodeErrorCode::IntegerOverflow);
                return 0;
            }
            return value;
        }
        shift += 7;
    }
    fail(DecodeErrorCode::IntegerOverflow);
    return 0;
}

int64_t Decoder::readVarInt(bool *negativeZero)
{
    if (negativeZero) {
        *negativeZero = false;
    }
    uint8_t b = readUint8();
    if (!ok()) {
        return 0;
    }
    const bool negative = (b & 0x40) != 0;
    uint64_t value = b & 0x3F;
    int shift = 6;
    while (b & 0x80) {
        if (shift > 55) {
            fail(DecodeErrorCode::IntegerOverflow);
            return 0;
        }
        b = readUint8();
        if (!ok()) {
            return 0;
        }
        value |= uint64_t(b & 0x7F) << shift;
        shift += 7;
    }
    if (value > maxSafeInteger) {
        fail(DecodeErrorCode::IntegerOverflow);
        return 0;
    }
    if (negative && value == 0 && negativeZero) {
        *negativeZero = true;
    }
    return negative ? -static_cast<int64_t>(value) : static_cast<int64_t>(value);
}

std::span<const uint8_t> Decoder::readBytes(size_t n)
{
    if (n > remaining()) {
        fail(DecodeErrorCode::LengthTooLarge);
        return {};
    }
    auto out = m_data.subspan(m_pos, n);
    m_pos += n;
    return out;
}

std::span<const uint8_t> Decoder::readVarBytes()
{
    const uint64_t n = readVarUint();
    if (!ok()) {
        return {};
    }
    if (n > remaining()) {
        fail(DecodeErrorCode::LengthTooLarge);
        return {};
    }
    return readBytes(static_cast<size_t>(n));
}

std::string_view Decoder::readVarStringUtf8()
{
    const size_t start = m_pos;
    auto bytes = readVarBytes();
    if (!ok()) {
        return {};
    }
    std::string_view s(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    // Fast check: pure ASCII needs no further validation.
    for (unsigned char c : s) {
        if (c >= 0x80) {
            std::u16string scratch;
            if (!fromUtf8(s, scratch)) {
                m_pos = start;
                fail(DecodeErrorCode::InvalidUtf8);
                return {};
            }
            break;
        }
    }
    return s;
}

std::u16string Decoder::readVarString()
{
    std::u16string out;
    readVarString(out);
    return out;
}

void Decoder::readVarString(std::u16string &out)
{
    const size_t start = m_pos;
    auto bytes = readVarBytes();
    if (!ok()) {
        out.clear();
        return;
    }
    std::string_view s(reinterpret_cast<const char *>(bytes.data()), bytes.size());
    if (!fromUtf8(s, out)) {
        out.clear();
        m_pos = start;
        fail(DecodeErrorCode::InvalidUtf8);
    }
}

float Decoder::readFloat32()
{
    auto b = readBytes(4);
    if (!ok()) {
        return 0;
    }
    uint32_t bits = 0;
    for (uint8_t x : b) {
        bits = (bits << 8) | x;
    }
    return std::bit_cast<float>(bits);
}

double Decoder::readFloat64()
{
    auto b = readBytes(8);
    if (!ok()) {
        return 0;
    }
    uint64_t bits = 0;
    for (uint8_t x : b) {
        bits = (bits << 8) | x;
    }
    return std::bit_cast<double>(bits);
}

int64_t Decoder::readBigInt64()
{
    auto b = readBytes(8);
    if (!ok()) {
        return 0;
    }
    uint64_t bits = 0;
    for (uint8_t x : b) {
        bits = (bits << 8) | x;
    }
    return static_cast<int64_t>(bits);
}

} // namespace Tandem::Encoding
