// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace Tandem::Encoding {

/// Writes lib0 primitives (the building blocks of every Yjs and y-protocols message) into a
/// growing byte buffer. Variable-length integers are little-endian base-128; fixed-width
/// numbers are big-endian, as in lib0/encoding.js.
class Encoder
{
public:
    Encoder() = default;

    void writeUint8(uint8_t v) { m_buf.push_back(v); }
    void writeVarUint(uint64_t v)
    {
        while (v > 0x7F) {
            m_buf.push_back(static_cast<uint8_t>(0x80 | (v & 0x7F)));
            v >>= 7;
        }
        m_buf.push_back(static_cast<uint8_t>(v));
    }
    /// Sign-magnitude varInt; @p negativeZero writes -0 (lib0 does for the number `-0`).
    void writeVarInt(int64_t v, bool negativeZero = false);
    /// varUint(UTF-8 byte length) followed by the UTF-8 bytes; unpaired surrogates become U+FFFD.
    void writeVarString(std::u16string_view s);
    /// Same for text that already is valid UTF-8.
    void writeVarStringUtf8(std::string_view s);
    void writeVarBytes(std::span<const uint8_t> bytes);
    void writeBytes(std::span<const uint8_t> bytes)
    {
        m_buf.insert(m_buf.end(), bytes.begin(), bytes.end());
    }
    void writeFloat32(float v);
    void writeFloat64(double v);
    void writeBigInt64(int64_t v);

    const std::vector<uint8_t> &data() const { return m_buf; }
    std::vector<uint8_t> &&take() { return std::move(m_buf); }
    size_t size() const { return m_buf.size(); }
    void clear() { m_buf.clear(); }
    void reserve(size_t n) { m_buf.reserve(n); }

private:
    std::vector<uint8_t> m_buf;
};

} // namespace Tandem::Encoding
