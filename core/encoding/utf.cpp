// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/encoding/utf.h"

namespace Tandem::Encoding {

namespace {

bool isHigh(char16_t c)
{
    return c >= 0xD800 && c <= 0xDBFF;
}
bool isLow(char16_t c)
{
    return c >= 0xDC00 && c <= 0xDFFF;
}

void appendCodePoint(std::string &out, char32_t cp)
{
    if (cp < 0x80) {
        out.push_back(static_cast<char>(cp));
    } else if (cp < 0x800) {
        out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else if (cp < 0x10000) {
        out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    } else {
        out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
        out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
    }
}

} // namespace

void appendUtf8(std::string &out, std::u16string_view text)
{
    const size_t n = text.size();
    for (size_t i = 0; i < n; ++i) {
        const char16_t c = text[i];
        if (c < 0x80) {
            out.push_back(static_cast<char>(c));
        } else if (isHigh(c) && i + 1 < n && isLow(text[i + 1])) {
            const char32_t cp
                    = 0x10000 + ((char32_t(c) - 0xD800) << 10) + (char32_t(text[i + 1]) - 0xDC00);
            appendCodePoint(out, cp);
            ++i;
        } else if (isHigh(c) || isLow(c)) {
            appendCodePoint(out, 0xFFFD);
        } else {
            appendCodePoint(out, c);
        }
    }
}

std::string toUtf8(std::u16string_view text)
{
    std::string out;
    out.reserve(text.size());
    appendUtf8(out, text);
    return out;
}

size_t utf8Length(std::u16string_view text)
{
    size_t len = 0;
    const size_t n = text.size();
    for (size_t i = 0; i < n; ++i) {
        const char16_t c = text[i];
        if (c < 0x80) {
            len += 1;
        } else if (c < 0x800) {
            len += 2;
        } else if (isHigh(c) && i + 1 < n && isLow(text[i + 1])) {
            len += 4;
            ++i;
        } else {
            len += 3; // BMP character or U+FFFD for an unpaired surrogate
        }
    }
    return len;
}

bool fromUtf8(std::string_view utf8, std::u16string &out)
{
    // UTF-16 never needs more units than UTF-8 has bytes: write through a pointer.
    out.resize(utf8.size());
    char16_t *o = out.data();
    const auto *p = reinterpret_cast<const unsigned char *>(utf8.data());
    const size_t n = utf8.size();
    size_t i = 0;
    while (i < n) {
        const unsigned char b0 = p[i];
        if (b0 < 0x80) {
            *o++ = b0;
            ++i;
            continue;
        }
        char32_t cp = 0;
        size_t extra = 0;
        char32_t min = 0;
        if ((b0 & 0xE0) == 0xC0) {
            cp = b0 & 0x1F;
            extra = 1;
            min = 0x80;
        } else if ((b0 & 0xF0) == 0xE0) {
            cp = b0 & 0x0F;
            extra = 2;
            min = 0x800;
        } else if ((b0 & 0xF8) == 0xF0) {
            cp = b0 & 0x07;
            extra = 3;
            min = 0x10000;
        } else {
            return false;
        }
        if (n - i <= extra) {
            return false;
        }
        for (size_t k = 1; k <= extra; ++k) {
            const unsigned char b = p[i + k];
            if ((b & 0xC0) != 0x80) {
                return false;
            }
            cp = (cp << 6) | (b & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return false;
        }
        if (cp >= 0x10000) {
            cp -= 0x10000;
            *o++ = static_cast<char16_t>(0xD800 + (cp >> 10));
            *o++ = static_cast<char16_t>(0xDC00 + (cp & 0x3FF));
        } else {
            *o++ = static_cast<char16_t>(cp);
        }
        i += extra + 1;
    }
    out.resize(static_cast<size_t>(o - out.data()));
    return true;
}

std::u16string toUtf16(std::string_view utf8)
{
    std::u16string out;
    if (!fromUtf8(utf8, out)) {
        // Trusted input should never get here; degrade to replacement characters byte by byte.
        out.clear();
        for (unsigned char c : utf8) {
            out.push_back(c < 0x80 ? char16_t(c) : char16_t(0xFFFD));
        }
    }
    return out;
}

} // namespace Tandem::Encoding
