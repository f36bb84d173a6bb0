// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/encoding/decoder.h"
#include "core/encoding/encoder.h"

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

namespace Tandem::Encoding {

struct AnyEntry;

/// A JSON-like value as carried by lib0's `writeAny` (Y.Map values, Y.Array elements,
/// subdocument options). Numbers are doubles as in JavaScript; the encoder picks the same
/// tag JS would (small integers as varInt, float32 when exact, else float64).
class Any
{
public:
    struct Undefined
    {
        bool operator==(const Undefined &) const = default;
    };
    struct BigInt
    {
        int64_t value = 0;
        bool operator==(const BigInt &) const = default;
    };
    using Bytes = std::vector<uint8_t>;
    using Array = std::vector<Any>;
    using Object = std::vector<AnyEntry>; ///< keys in JS property order, unique

    enum class Type : uint8_t {
        Undefined,
        Null,
        Bool,
        Number,
        BigInt,
        String,
        Bytes,
        Array,
        Object
    };

    // Special members are defined out of line, where AnyEntry is complete.
    Any(); // undefined
    ~Any();
    Any(const Any &);
    Any(Any &&) noexcept;
    Any &operator=(const Any &);
    Any &operator=(Any &&) noexcept;
    Any(std::nullptr_t);
    Any(bool b);
    Any(double d);
    Any(int i);
    Any(int64_t i);
    Any(BigInt b);
    Any(std::string s);
    Any(const char *s);
    Any(Bytes b);
    Any(Array a);
    /// Takes entries in any order and applies JS object semantics (array-index keys first in
    /// ascending order, later duplicates overwrite earlier ones in place).
    static Any object(Object entries);

    Type type() const;
    bool isUndefined() const { return type() == Type::Undefined; }
    bool isNull() const { return type() == Type::Null; }
    bool toBool() const;
    double toNumber() const;
    int64_t toBigInt() const;
    const std::string &toString() const;
    const Bytes &toBytes() const;
    const Array &toArray() const;
    Array &toArray();
    const Object &toObject() const;
    /// Value of @p key in an object, or nullptr.
    const Any *find(std::string_view key) const;

    bool operator==(const Any &other) const;

    void encode(Encoder &e) const;
    /// Reads one value; on failure the decoder carries the error and the result is undefined.
    static Any decode(Decoder &d, int depth = 0);

    /// JSON.stringify semantics (undefined members dropped, NaN/Infinity → null,
    /// bytes as an object of indices, bigint as a string).
    std::string toJson() const;

private:
    std::variant<Undefined, std::nullptr_t, bool, double, BigInt, std::string, Bytes, Array, Object>
            m_v;
};

struct AnyEntry
{
    std::string key;
    Any value;
    bool operator==(const AnyEntry &) const = default;
};

/// True when @p key is a canonical array index ("0", "17", not "01"), which JS orders first.
bool isArrayIndexKey(std::string_view key);

/// Appends @p s as a JSON string literal (with the escapes JSON.stringify uses).
void appendJsonString(std::string &out, std::string_view utf8);

} // namespace Tandem::Encoding
