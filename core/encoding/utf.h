// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <string>
#include <string_view>

namespace Tandem::Encoding {

/// Appends the UTF-8 form of UTF-16 text to @p out. An unpaired surrogate becomes U+FFFD
/// (what the TextEncoder used by lib0 does), so the output is always well-formed UTF-8.
void appendUtf8(std::string &out, std::u16string_view text);
std::string toUtf8(std::u16string_view text);

/// Number of UTF-8 bytes appendUtf8() produces for @p text.
size_t utf8Length(std::u16string_view text);

/// Strict UTF-8 → UTF-16 conversion (the fatal TextDecoder of JS peers): returns false on
/// overlong forms, surrogates encoded in UTF-8, code points above U+10FFFF or truncated input.
bool fromUtf8(std::string_view utf8, std::u16string &out);

/// Lenient conversion for trusted, already validated input.
std::u16string toUtf16(std::string_view utf8);

} // namespace Tandem::Encoding
