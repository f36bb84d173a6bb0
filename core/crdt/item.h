// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/content.h"
#include "core/crdt/id.h"

#include <cstdint>
#include <string>

namespace Tandem::Crdt {

class Branch;

/// One integrated struct: a run of `length` consecutive clocks of one client. Either an item
/// (content in a type's list or map entry) or, when `isGc()`, a garbage-collected range that
/// only keeps its id and length. Items are owned by the StructStore; every other pointer to
/// an item is non-owning.
struct Item
{
    enum Flag : uint8_t {
        Deleted = 1,
        Keep = 2, ///< protected from garbage collection (undo manager)
        Gc = 4,
        HasRedone = 8, ///< StructStore::redone() holds where this item was redone
    };

    /// Longest run one struct holds. The decoder refuses longer structs (only a hostile update
    /// declares a deleted or collected range of four billion clocks); merges stop below it.
    static constexpr uint64_t maxLength = 0xFFFFFFFFu;

    // Laid out for size (104 bytes): a document holds one item per run of edits.
    Id id;
    OptId origin; ///< last id of the left neighbour at creation
    OptId rightOrigin; ///< first id of the right neighbour at creation
    Item *left = nullptr;
    Item *right = nullptr;
    Branch *parent = nullptr;
    const std::string *parentSub = nullptr; ///< map key (points into the parent's key table)
    Content content;
    uint32_t length = 0;
    ContentRef ref = ContentRef::Deleted;
    uint8_t flags = 0;

    bool isGc() const { return flags & Gc; }
    bool deleted() const { return flags & Deleted; }
    bool keep() const { return flags & Keep; }
    bool countable() const { return isCountable(ref); }
    /// Counts towards its parent's length and indices.
    bool visible() const { return !(flags & Deleted) && isCountable(ref); }
    Id lastId() const { return {id.client, id.clock + length - 1}; }
    Clock endClock() const { return id.clock + length; }
    void setFlag(Flag f, bool on)
    {
        if (on) {
            flags |= f;
        } else {
            flags &= uint8_t(~f);
        }
    }
};

} // namespace Tandem::Crdt
