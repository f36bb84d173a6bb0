// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/content.h"
#include "core/crdt/item.h"

#include <array>
#include <string>
#include <unordered_map>
#include <vector>

namespace Tandem::Crdt {

class Doc;

/// The state shared by every CRDT type (Yjs' AbstractType): a sequence of items starting at
/// `start` and a map of keys to their newest item. Root branches are named; nested ones are
/// held by an item with ContentType. Branches live as long as their Doc.
class Branch
{
public:
    Branch(Doc *doc, TypeRef type) : m_doc(doc), m_type(type) { }

    Doc *doc() const { return m_doc; }
    TypeRef typeRef() const { return m_type; }
    void setTypeRef(TypeRef t) { m_type = t; }
    /// The item holding this type, or nullptr for a root type.
    Item *item() const { return m_item; }
    void setItem(Item *item) { m_item = item; }
    const std::string &rootName() const { return m_rootName; }
    void setRootName(std::string name) { m_rootName = std::move(name); }
    bool isDeleted() const { return m_item && m_item->deleted(); }

    Item *start = nullptr;
    /// Countable, non-deleted units in the sequence (UTF-16 units for text).
    uint64_t length = 0;
    /// Key → newest item for that key (the current value unless deleted).
    std::unordered_map<std::string, Item *> map;
    /// Keys of `map` in the order they first appeared (JS Map iteration order).
    std::vector<const std::string *> keyOrder;
    /// Set once a format item was integrated (rich-text peers); disables position caching.
    bool hasFormatting = false;

    /// Finds the item holding sequence unit @p index (0 ≤ index < length) starting from a
    /// cached position when possible. Returns the item and the index of its first unit.
    struct Position
    {
        Item *item = nullptr;
        uint64_t index = 0;
    };
    /// Cached positions (Yjs' search markers): item → index of its first unit. Two: each one
    /// costs on every edit and editing stays local (measurements in INTERNALS.md).
    static constexpr size_t markerCount = 2;
    struct Marker
    {
        Item *item = nullptr;
        uint64_t index = 0;
        uint64_t used = 0;
    };
    std::array<Marker, markerCount> markers {};
    uint64_t markerTick = 0;

    void clearMarkers() { markers.fill({}); }
    /// A cached position near @p index: an item starting at or before it, and that item's
    /// index; {nullptr, 0} when walking from the start is cheaper.
    Position findMarker(uint64_t index);
    void rememberMarker(Item *item, uint64_t index);
    /// A sequence change at @p index of @p delta units (insert > 0, delete < 0).
    void shiftMarkers(uint64_t index, int64_t delta);
    /// @p gone merges into @p into (which precedes it).
    void redirectMarker(const Item *gone, Item *into);

private:
    Doc *m_doc;
    TypeRef m_type;
    Item *m_item = nullptr;
    std::string m_rootName;
};

} // namespace Tandem::Crdt
