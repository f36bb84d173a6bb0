// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <cstdint>
#include <functional>

namespace Tandem::Crdt {

/// Client ids are random 32-bit numbers in Yjs, but the wire allows up to 2^53-1.
using ClientId = uint64_t;
/// Per-client logical clock; one tick per inserted unit (UTF-16 code unit for text).
using Clock = uint64_t;

struct Id
{
    ClientId client = 0;
    Clock clock = 0;

    bool operator==(const Id &) const = default;
};

/// An optional Id without the overhead of std::optional in hot structures.
struct OptId
{
    Id id;
    bool valid = false;

    OptId() = default;
    OptId(Id i) : id(i), valid(true) { }
    explicit operator bool() const { return valid; }
    bool operator==(const OptId &o) const { return valid == o.valid && (!valid || id == o.id); }
};

} // namespace Tandem::Crdt
