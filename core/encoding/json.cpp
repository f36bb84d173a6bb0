// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/encoding/json.h"

#include "core/encoding/utf.h"

#include <cctype>
#include <cstdlib>

namespace Tandem::Encoding {

namespace {

class Parser
{
public:
    explicit Parser(std::string_view s) : m_s(s) { }

    std::optional<Any> parse(std::string *error)
    {
        Any v = value(0);
        ws();
        if (m_ok && m_i != m_s.size()) {
            fail("trailing characters");
        }
        if (!m_ok) {
            if (error) {
                *error = m_error + " at offset " + std::to_string(m_i);
            }
            return std::nullopt;
        }
        return v;
    }

private:
    void fail(const char *why)
    {
        if (m_ok) {
            m_ok = false;
            m_error = why;
        }
    }
    void ws()
    {
        while (m_i < m_s.size()
               && (m_s[m_i] == ' ' || m_s[m_i] == '\n' || m_s[m_i] == '\r' || m_s[m_i] == '\t')) {
            ++m_i;
        }
    }
    bool eat(char c)
    {
        ws();
        if (m_i < m_s.size() && m_s[m_i] == c) {
            ++m_i;
            return true;
        }
        return false;
    }
    bool literal(std::string_view word)
    {
        if (m_s.substr(m_i, word.size()) == word) {
            m_i += word.size();
            return true;
        }
        return false;
    }

    Any value(int depth)
    {
        if (depth > 256) {
            fail("nested too deeply");
            return {};
        }
        ws();
        if (m_i >= m_s.size()) {
            fail("unexpected end");
            return {};
        }
        const char c = m_s[m_i];
        if (c == '{') {
            ++m_i;
            Any::Object entries;
            if (eat('}')) {
                return Any::object({});
            }
            do {
                ws();
                std::string key = string();
                if (!m_ok || !eat(':')) {
                    fail("expected ':'");
                    return {};
                }
                Any v = value(depth + 1);
                entries.push_back({std::move(key), std::move(v)});
            } while (m_ok && eat(','));
            if (!eat('}')) {
                fail("expected '}'");
            }
            return Any::object(std::move(entries));
        }
        if (c == '[') {
            ++m_i;
            Any::Array items;
            if (eat(']')) {
                return Any(std::move(items));
            }
            do {
                items.push_back(value(depth + 1));
            } while (m_ok && eat(','));
            if (!eat(']')) {
                fail("expected ']'");
            }
            return Any(std::move(items));
        }
        if (c == '"') {
            return Any(string());
        }
        if (literal("true")) {
            return Any(true);
        }
        if (literal("false")) {
            return Any(false);
        }
        if (literal("null")) {
            return Any(nullptr);
        }
        return number();
    }

    Any number()
    {
        const size_t start = m_i;
        if (m_i < m_s.size() && m_s[m_i] == '-') {
            ++m_i;
        }
        while (m_i < m_s.size()
               && (std::isdigit(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '.'
                   || m_s[m_i] == 'e' || m_s[m_i] == 'E' || m_s[m_i] == '+' || m_s[m_i] == '-')) {
            ++m_i;
        }
        if (m_i == start) {
            fail("unexpected character");
            return {};
        }
        const std::string text(m_s.substr(start, m_i - start));
        char *end = nullptr;
        const double d = std::strtod(text.c_str(), &end);
        if (end != text.c_str() + text.size()) {
            fail("malformed number");
            return {};
        }
        return Any(d);
    }

    unsigned hex4()
    {
        if (m_i + 4 > m_s.size()) {
            fail("truncated escape");
            return 0;
        }
        unsigned v = 0;
        for (int k = 0; k < 4; ++k) {
            const char h = m_s[m_i++];
            v <<= 4;
            if (h >= '0' && h <= '9') {
                v |= unsigned(h - '0');
            } else if (h >= 'a' && h <= 'f') {
                v |= unsigned(h - 'a' + 10);
            } else if (h >= 'A' && h <= 'F') {
                v |= unsigned(h - 'A' + 10);
            } else {
                fail("bad escape");
            }
        }
        return v;
    }

    std::string string()
    {
        if (m_i >= m_s.size() || m_s[m_i] != '"') {
            fail("expected string");
            return {};
        }
        ++m_i;
        std::u16string units;
        std::string out;
        auto flushUnits = [&] {
            if (!units.empty()) {
                appendUtf8(out, units);
                units.clear();
            }
        };
        while (m_ok) {
            if (m_i >= m_s.size()) {
                fail("unterminated string");
                break;
            }
            const char c = m_s[m_i++];
            if (c == '"') {
                break;
            }
            if (c != '\\') {
                flushUnits();
                out.push_back(c);
                continue;
            }
            if (m_i >= m_s.size()) {
                fail("unterminated string");
                break;
            }
            const char e = m_s[m_i++];
            switch (e) {
            case 'n':
                flushUnits();
                out.push_back('\n');
                break;
            case 't':
                flushUnits();
                out.push_back('\t');
                break;
            case 'r':
                flushUnits();
                out.push_back('\r');
                break;
            case 'b':
                flushUnits();
                out.push_back('\b');
                break;
            case 'f':
                flushUnits();
                out.push_back('\f');
                break;
            case 'u':
                units.push_back(static_cast<char16_t>(hex4()));
                break;
            default:
                flushUnits();
                out.push_back(e);
                break;
            }
        }
        flushUnits();
        return out;
    }

    std::string_view m_s;
    size_t m_i = 0;
    bool m_ok = true;
    std::string m_error;
};

} // namespace

std::optional<Any> parseJson(std::string_view text, std::string *error)
{
    return Parser(text).parse(error);
}

} // namespace Tandem::Encoding
