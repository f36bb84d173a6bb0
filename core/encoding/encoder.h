// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cstddef>
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

    void writeUint8(uint8_t v)
    {
        ensure(1);
        m_buf[m_len++] = v;
    }
    void writeVarUint(uint64_t v)
    {
        ensure(10);
        uint8_t *p = m_buf.data() + m_len;
        while (v > 0x7F) {
            *p++ = static_cast<uint8_t>(0x80 | (v & 0x7F));
            v >>= 7;
        }
        *p++ = static_cast<uint8_t>(v);
        m_len = static_cast<size_t>(p - m_buf.data());
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
        ensure(bytes.size());
        std::copy(bytes.begin(), bytes.end(), m_buf.begin() + ptrdiff_t(m_len));
        m_len += bytes.size();
    }
    void writeFloat32(float v);
    void writeFloat64(double v);
    void writeBigInt64(int64_t v);

    std::span<const uint8_t> data() const { return {m_buf.data(), m_len}; }
    /// The bytes written; the encoder is empty afterwards.
    std::vector<uint8_t> take()
    {
        m_buf.resize(m_len);
        m_len = 0;
        return std::move(m_buf);
    }
    size_t size() const { return m_len; }
    /// Empties the encoder but keeps its buffer, for encoders that are reused.
    void clear() { m_len = 0; }
    void reserve(size_t n) { ensure(n); }

private:
    /// Room for @p n more bytes. The vector's size is the buffer's capacity; m_len is used.
    void ensure(size_t n)
    {
        if (m_buf.size() - m_len < n) {
            m_buf.resize(std::max(m_buf.size() * 2, m_len + n + 64));
        }
    }

    std::vector<uint8_t> m_buf;
    size_t m_len = 0;
};

} // namespace Tandem::Encoding
