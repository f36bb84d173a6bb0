// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/encoding/any.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>

namespace Tandem::Encoding {

namespace {
constexpr int maxDepth = 128;
} // namespace

Any::Any() = default;
Any::~Any() = default;
Any::Any(const Any &) = default;
Any::Any(Any &&) noexcept = default;
Any &Any::operator=(const Any &) = default;
Any &Any::operator=(Any &&) noexcept = default;
Any::Any(std::nullptr_t) : m_v(nullptr) { }
Any::Any(bool b) : m_v(b) { }
Any::Any(double d) : m_v(d) { }
Any::Any(int i) : m_v(double(i)) { }
Any::Any(int64_t i) : m_v(double(i)) { }
Any::Any(BigInt b) : m_v(b) { }
Any::Any(std::string s) : m_v(std::move(s)) { }
Any::Any(const char *s) : m_v(std::string(s)) { }
Any::Any(Bytes b) : m_v(std::move(b)) { }
Any::Any(Array a) : m_v(std::move(a)) { }

Any::Type Any::type() const
{
    return static_cast<Type>(m_v.index());
}
bool Any::toBool() const
{
    return std::get<bool>(m_v);
}
double Any::toNumber() const
{
    return std::get<double>(m_v);
}
int64_t Any::toBigInt() const
{
    return std::get<BigInt>(m_v).value;
}
const std::string &Any::toString() const
{
    return std::get<std::string>(m_v);
}
const Any::Bytes &Any::toBytes() const
{
    return std::get<Bytes>(m_v);
}
const Any::Array &Any::toArray() const
{
    return std::get<Array>(m_v);
}
Any::Array &Any::toArray()
{
    return std::get<Array>(m_v);
}
const Any::Object &Any::toObject() const
{
    return std::get<Object>(m_v);
}

bool isArrayIndexKey(std::string_view key)
{
    if (key.empty() || key.size() > 10 || (key.size() > 1 && key[0] == '0')) {
        return false;
    }
    uint64_t v = 0;
    for (char c : key) {
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + uint64_t(c - '0');
    }
    return v < 0xFFFFFFFFull;
}

Any Any::object(Object entries)
{
    Object out;
    out.reserve(entries.size());
    for (auto &e : entries) {
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const AnyEntry &x) { return x.key == e.key; });
        if (it != out.end()) {
            it->value = std::move(e.value);
        } else {
            out.push_back(std::move(e));
        }
    }
    // Array-index keys come first in ascending numeric order; others keep insertion order.
    std::stable_partition(out.begin(), out.end(),
                          [](const AnyEntry &x) { return isArrayIndexKey(x.key); });
    auto firstString = std::find_if(out.begin(), out.end(),
                                    [](const AnyEntry &x) { return !isArrayIndexKey(x.key); });
    std::stable_sort(out.begin(), firstString, [](const AnyEntry &a, const AnyEntry &b) {
        return a.key.size() != b.key.size() ? a.key.size() < b.key.size() : a.key < b.key;
    });
    Any a;
    a.m_v = std::move(out);
    return a;
}

const Any *Any::find(std::string_view key) const
{
    if (type() != Type::Object) {
        return nullptr;
    }
    for (const auto &e : toObject()) {
        if (e.key == key) {
            return &e.value;
        }
    }
    return nullptr;
}

bool Any::operator==(const Any &other) const
{
    if (type() != other.type()) {
        return false;
    }
    if (type() == Type::Number) {
        const double a = toNumber();
        const double b = other.toNumber();
        // Structural equality: NaN equals NaN, and -0 differs from +0 (they encode differently).
        if (std::isnan(a) && std::isnan(b)) {
            return true;
        }
        return a == b && std::signbit(a) == std::signbit(b);
    }
    return m_v == other.m_v;
}

void Any::encode(Encoder &e) const
{
    switch (type()) {
    case Type::Undefined:
        e.writeUint8(127);
        break;
    case Type::Null:
        e.writeUint8(126);
        break;
    case Type::Bool:
        e.writeUint8(toBool() ? 120 : 121);
        break;
    case Type::Number: {
        const double d = toNumber();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) <= 2147483647.0) {
            e.writeUint8(125);
            e.writeVarInt(static_cast<int64_t>(d), std::signbit(d));
        } else if (std::isnan(d) || static_cast<double>(static_cast<float>(d)) != d) {
            e.writeUint8(123);
            e.writeFloat64(d);
        } else {
            e.writeUint8(124);
            e.writeFloat32(static_cast<float>(d));
        }
        break;
    }
    case Type::BigInt:
        e.writeUint8(122);
        e.writeBigInt64(toBigInt());
        break;
    case Type::String:
        e.writeUint8(119);
        e.writeVarStringUtf8(toString());
        break;
    case Type::Object:
        e.writeUint8(118);
        e.writeVarUint(toObject().size());
        for (const auto &entry : toObject()) {
            e.writeVarStringUtf8(entry.key);
            entry.value.encode(e);
        }
        break;
    case Type::Array:
        e.writeUint8(117);
        e.writeVarUint(toArray().size());
        for (const auto &v : toArray()) {
            v.encode(e);
        }
        break;
    case Type::Bytes:
        e.writeUint8(116);
        e.writeVarBytes(toBytes());
        break;
    }
}

Any Any::decode(Decoder &d, int depth)
{
    if (depth > maxDepth) {
        d.fail(DecodeErrorCode::NestingTooDeep);
        return {};
    }
    const uint8_t tag = d.readUint8();
    if (!d.ok()) {
        return {};
    }
    switch (tag) {
    case 127:
        return {};
    case 126:
        return Any(nullptr);
    case 125: {
        bool negZero = false;
        const int64_t v = d.readVarInt(&negZero);
        return negZero ? Any(-0.0) : Any(static_cast<double>(v));
    }
    case 124:
        return Any(static_cast<double>(d.readFloat32()));
    case 123:
        return Any(d.readFloat64());
    case 122:
        return Any(BigInt {d.readBigInt64()});
    case 121:
        return Any(false);
    case 120:
        return Any(true);
    case 119:
        return Any(std::string(d.readVarStringUtf8()));
    case 118: {
        const uint64_t n = d.readVarUint();
        // Every entry needs at least two bytes (empty key + tag): bound the reservation.
        if (n > d.remaining() / 2) {
            d.fail(DecodeErrorCode::LengthTooLarge);
            return {};
        }
        Object entries;
        // Only the outermost container reserves: nested ones would each reserve up to the
        // rest of the input while their parents hold theirs (depth x input size in all).
        if (depth == 0) {
            entries.reserve(static_cast<size_t>(n));
        }
        for (uint64_t i = 0; i < n && d.ok(); ++i) {
            std::string key(d.readVarStringUtf8());
            Any v = decode(d, depth + 1);
            entries.push_back({std::move(key), std::move(v)});
        }
        return d.ok() ? object(std::move(entries)) : Any();
    }
    case 117: {
        const uint64_t n = d.readVarUint();
        if (n > d.remaining()) {
            d.fail(DecodeErrorCode::LengthTooLarge);
            return {};
        }
        Array values;
        if (depth == 0) { // see above
            values.reserve(static_cast<size_t>(n));
        }
        for (uint64_t i = 0; i < n && d.ok(); ++i) {
            values.push_back(decode(d, depth + 1));
        }
        return d.ok() ? Any(std::move(values)) : Any();
    }
    case 116: {
        auto b = d.readVarBytes();
        return Any(Bytes(b.begin(), b.end()));
    }
    default:
        d.fail(DecodeErrorCode::UnknownAnyTag);
        return {};
    }
}

void appendJsonString(std::string &out, std::string_view s)
{
    out.push_back('"');
    for (unsigned char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\b':
            out += "\\b";
            break;
        case '\f':
            out += "\\f";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\r':
            out += "\\r";
            break;
        case '\t':
            out += "\\t";
            break;
        default:
            if (c < 0x20) {
                char buf[8];
                std::snprintf(buf, sizeof buf, "\\u%04x", c);
                out += buf;
            } else {
                out.push_back(static_cast<char>(c));
            }
        }
    }
    out.push_back('"');
}

namespace {

void appendNumber(std::string &out, double d)
{
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    if (std::trunc(d) == d && std::fabs(d) < 1e21) {
        char buf[32];
        std::snprintf(buf, sizeof buf, "%.0f", d);
        out += (std::string_view(buf) == "-0") ? "0" : buf;
        return;
    }
    // Shortest representation that round-trips, as JS prints numbers.
    char buf[40];
    for (int precision = 1; precision <= 17; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, d);
        if (std::strtod(buf, nullptr) == d) {
            break;
        }
    }
    out += buf;
}

void appendJson(std::string &out, const Any &v)
{
    switch (v.type()) {
    case Any::Type::Undefined:
    case Any::Type::Null:
        out += "null";
        break;
    case Any::Type::Bool:
        out += v.toBool() ? "true" : "false";
        break;
    case Any::Type::Number:
        appendNumber(out, v.toNumber());
        break;
    case Any::Type::BigInt:
        appendJsonString(out, std::to_string(v.toBigInt()));
        break;
    case Any::Type::String:
        appendJsonString(out, v.toString());
        break;
    case Any::Type::Bytes: {
        out.push_back('{');
        const auto &b = v.toBytes();
        for (size_t i = 0; i < b.size(); ++i) {
            if (i) {
                out.push_back(',');
            }
            out += '"' + std::to_string(i) + "\":" + std::to_string(b[i]);
        }
        out.push_back('}');
        break;
    }
    case Any::Type::Array: {
        out.push_back('[');
        bool first = true;
        for (const auto &x : v.toArray()) {
            if (!first) {
                out.push_back(',');
            }
            first = false;
            appendJson(out, x);
        }
        out.push_back(']');
        break;
    }
    case Any::Type::Object: {
        out.push_back('{');
        bool first = true;
        for (const auto &e : v.toObject()) {
            if (e.value.isUndefined()) {
                continue;
            }
            if (!first) {
                out.push_back(',');
            }
            first = false;
            appendJsonString(out, e.key);
            out.push_back(':');
            appendJson(out, e.value);
        }
        out.push_back('}');
        break;
    }
    }
}

} // namespace

std::string Any::toJson() const
{
    std::string out;
    appendJson(out, *this);
    return out;
}

} // namespace Tandem::Encoding
