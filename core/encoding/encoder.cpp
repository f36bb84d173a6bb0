// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/encoding/encoder.h"

#include "core/encoding/utf.h"

#include <bit>
#include <cstring>

namespace Tandem::Encoding {

void Encoder::writeVarInt(int64_t v, bool negativeZero)
{
    const bool negative = v < 0 || (v == 0 && negativeZero);
    uint64_t m = v < 0 ? uint64_t(0) - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    writeUint8(static_cast<uint8_t>((m > 0x3F ? 0x80 : 0) | (negative ? 0x40 : 0) | (m & 0x3F)));
    m >>= 6;
    while (m > 0) {
        writeUint8(static_cast<uint8_t>((m > 0x7F ? 0x80 : 0) | (m & 0x7F)));
        m >>= 7;
    }
}

void Encoder::writeVarString(std::u16string_view s)
{
    bool ascii = true;
    for (char16_t c : s) {
        if (c >= 0x80) {
            ascii = false;
            break;
        }
    }
    if (ascii) {
        writeVarUint(s.size());
        ensure(s.size());
        uint8_t *p = m_buf.data() + m_len;
        for (char16_t c : s) {
            *p++ = static_cast<uint8_t>(c);
        }
        m_len += s.size();
        return;
    }
    std::string utf8;
    appendUtf8(utf8, s);
    writeVarStringUtf8(utf8);
}

void Encoder::writeVarStringUtf8(std::string_view s)
{
    writeVarUint(s.size());
    writeBytes({reinterpret_cast<const uint8_t *>(s.data()), s.size()});
}

void Encoder::writeVarBytes(std::span<const uint8_t> bytes)
{
    writeVarUint(bytes.size());
    writeBytes(bytes);
}

void Encoder::writeFloat32(float v)
{
    const uint32_t bits = std::bit_cast<uint32_t>(v);
    for (int shift = 24; shift >= 0; shift -= 8) {
        writeUint8(static_cast<uint8_t>(bits >> shift));
    }
}

void Encoder::writeFloat64(double v)
{
    const uint64_t bits = std::bit_cast<uint64_t>(v);
    for (int shift = 56; shift >= 0; shift -= 8) {
        writeUint8(static_cast<uint8_t>(bits >> shift));
    }
}

void Encoder::writeBigInt64(int64_t v)
{
    const auto bits = static_cast<uint64_t>(v);
    for (int shift = 56; shift >= 0; shift -= 8) {
        writeUint8(static_cast<uint8_t>(bits >> shift));
    }
}

} // namespace Tandem::Encoding
