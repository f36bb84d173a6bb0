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

/// An optional Id in 16 bytes (items hold two): "none" is a clock no struct can have, since
/// clocks stay below 2^53.
struct OptId
{
    static constexpr Clock none = ~Clock(0);

    Id id {0, none};

    OptId() = default;
    OptId(Id i) : id(i) { }
    explicit operator bool() const { return id.clock != none; }
    bool operator==(const OptId &o) const { return id == o.id; }
};

} // namespace Tandem::Crdt
