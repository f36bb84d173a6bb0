// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/itemops.h"

#include "core/crdt/branch.h"
#include "core/crdt/doc.h"
#include "core/crdt/transaction.h"

#include <algorithm>
#include <array>
#include <unordered_set>

namespace Tandem::Crdt {

const std::string *internKey(Branch *parent, const std::string &key)
{
    auto [it, inserted] = parent->map.try_emplace(key, nullptr);
    if (inserted) {
        parent->keyOrder.push_back(&it->first);
    }
    return &it->first;
}

namespace {

/// First item of the list holding the values of one map key.
Item *firstOfKey(Branch *parent, const std::string *key)
{
    auto it = parent->map.find(*key);
    Item *o = it == parent->map.end() ? nullptr : it->second;
    while (o && o->left) {
        o = o->left;
    }
    return o;
}

} // namespace

namespace {

/// The item sets of YATA's conflict scan. Almost always a handful of items: kept in a small
/// inline array (no allocation), moving to a hash set only when a scan grows long.
class ItemSet
{
public:
    void insert(const Item *item)
    {
        if (m_size < m_inline.size()) {
            m_inline[m_size++] = item;
            return;
        }
        if (m_spill.empty()) {
            m_spill.insert(m_inline.begin(), m_inline.end());
        }
        m_spill.insert(item);
        ++m_size;
    }
    bool contains(const Item *item) const
    {
        if (m_size <= m_inline.size()) {
            return std::find(m_inline.begin(), m_inline.begin() + ptrdiff_t(m_size), item)
                    != m_inline.begin() + ptrdiff_t(m_size);
        }
        return m_spill.count(item) != 0;
    }
    void clear()
    {
        m_size = 0;
        m_spill.clear();
    }

private:
    std::array<const Item *, 16> m_inline {};
    size_t m_size = 0;
    std::unordered_set<const Item *> m_spill;
};

} // namespace

void integrateItem(Transaction &tr, Item *item)
{
    StructStore &store = tr.doc.store();
    Branch *parent = item->parent;
    if (!tr.markersMaintained && !item->parentSub) {
        parent->clearMarkers();
    }
    // YATA: find where to go among items that were concurrently inserted between left and right.
    const bool needsSearch = (!item->left && (!item->right || item->right->left))
            || (item->left && item->left->right != item->right);
    if (needsSearch) {
        Item *left = item->left;
        Item *o = left            ? left->right
                : item->parentSub ? firstOfKey(parent, item->parentSub)
                                  : parent->start;
        ItemSet conflicting;
        ItemSet beforeOrigin;
        while (o && o != item->right) {
            beforeOrigin.insert(o);
            conflicting.insert(o);
            if (item->origin == o->origin) {
                // Case 1: same left anchor; the lower client id goes first.
                if (o->id.client < item->id.client) {
                    left = o;
                    conflicting.clear();
                } else if (item->rightOrigin == o->rightOrigin) {
                    break;
                }
            } else if (o->origin) {
                const Item *oOrigin = store.find(o->origin.id);
                if (oOrigin && beforeOrigin.contains(oOrigin)) {
                    // Case 2: o's origin lies between our origin and o.
                    if (!conflicting.contains(oOrigin)) {
                        left = o;
                        conflicting.clear();
                    }
                } else {
                    break;
                }
            } else {
                break;
            }
            o = o->right;
        }
        item->left = left;
    }
    if (item->left) {
        item->right = item->left->right;
        item->left->right = item;
    } else {
        Item *r;
        if (item->parentSub) {
            r = firstOfKey(parent, item->parentSub);
        } else {
            r = parent->start;
            parent->start = item;
        }
        item->right = r;
    }
    if (item->right) {
        item->right->left = item;
    } else if (item->parentSub) {
        parent->map[*item->parentSub] = item;
        if (item->left) {
            // The previous value of the key is overwritten.
            deleteItem(tr, item->left);
        }
    }
    if (!item->parentSub && item->countable() && !item->deleted()) {
        parent->length += item->length;
    }
    store.add(item);
    // Content-specific integration.
    if (item->ref == ContentRef::Format) {
        parent->hasFormatting = true;
        parent->clearMarkers();
    } else if (item->ref == ContentRef::Type) {
        auto *ct = item->content.rare<ContentType>();
        if (!ct->branch) {
            ct->branch = tr.doc.createBranch(ct->typeRef);
        }
        ct->branch->setItem(item);
    } else if (item->ref == ContentRef::Deleted) {
        item->flags |= Item::Deleted;
        tr.deleteSet.add(item->id.client, item->id.clock, item->length);
    }
    tr.addChangedType(parent, item->parentSub);
    if ((parent->item() && parent->item()->deleted()) || (item->parentSub && item->right)) {
        deleteItem(tr, item);
    }
}

Item *insertLocalItem(Transaction &tr, Branch *parent, Item *left, Item *right,
                      const std::string *parentSub, ContentRef ref, Content content)
{
    StructStore &store = tr.doc.store();
    const ClientId client = tr.doc.clientId();
    Item *item = store.allocate();
    item->id = {client, store.state(client)};
    item->ref = ref;
    item->content = std::move(content);
    item->length = contentLength(ref, item->content);
    item->left = left;
    item->right = right;
    if (left) {
        item->origin = left->lastId();
    }
    if (right) {
        item->rightOrigin = right->id;
    }
    item->parent = parent;
    item->parentSub = parentSub;
    integrateItem(tr, item);
    return item;
}

namespace {

/// Marks one item deleted (the part of deleteItem that does not descend into types).
void markDeleted(Transaction &tr, Item *item)
{
    Branch *parent = item->parent;
    if (item->countable() && !item->parentSub) {
        parent->length -= item->length;
    }
    if (!tr.markersMaintained && !item->parentSub) {
        parent->clearMarkers();
    }
    item->flags |= Item::Deleted;
    tr.deleteSet.add(item->id.client, item->id.clock, item->length);
    tr.addChangedType(parent, item->parentSub);
}

} // namespace

void deleteItem(Transaction &tr, Item *first)
{
    if (first->ref != ContentRef::Type) { // the common case: nothing inside to visit
        if (!first->deleted()) {
            markDeleted(tr, first);
        }
        return;
    }
    // Deleting a type deletes everything inside it; use a work list, not recursion, so that a
    // hostile update nesting types a million levels deep cannot exhaust the stack.
    std::vector<Item *> work {first};
    while (!work.empty()) {
        Item *item = work.back();
        work.pop_back();
        if (item->deleted()) {
            continue;
        }
        markDeleted(tr, item);
        if (item->ref == ContentRef::Type) {
            Branch *type = item->content.rare<ContentType>()->branch;
            const size_t mark = work.size();
            for (Item *child = type->start; child; child = child->right) {
                if (!child->deleted()) {
                    work.push_back(child);
                } else if (!tr.isNew(child->id)) {
                    tr.mergeStructs.push_back(child);
                }
            }
            for (auto &[key, child] : type->map) {
                if (!child) {
                    continue;
                }
                if (!child->deleted()) {
                    work.push_back(child);
                } else if (!tr.isNew(child->id)) {
                    tr.mergeStructs.push_back(child);
                }
            }
            // Yjs deletes children in list order; the work list is LIFO, so reverse.
            std::reverse(work.begin() + static_cast<ptrdiff_t>(mark), work.end());
            tr.changed.erase(type);
        }
    }
}

void gcItem(Item *first, bool parentCollected)
{
    struct Job
    {
        Item *item;
        bool parentCollected;
    };
    std::vector<Job> work;
    Job next {first, parentCollected};
    // Only types have items inside; the work list stays unallocated for everything else.
    for (bool more = true; more; more = !work.empty()) {
        if (!work.empty()) {
            next = work.back();
            work.pop_back();
        }
        auto [item, collected] = next;
        if (item->ref == ContentRef::Type) {
            Branch *type = item->content.rare<ContentType>()->branch;
            for (Item *child = type->start; child; child = child->right) {
                work.push_back({child, true});
            }
            for (auto &[key, head] : type->map) {
                for (Item *child = head; child; child = child->left) {
                    work.push_back({child, true});
                }
            }
            type->start = nullptr;
            type->map.clear();
            type->keyOrder.clear();
            type->length = 0;
            type->clearMarkers();
            type->setItem(nullptr);
        }
        item->content = Content(ContentDeleted {});
        if (collected) {
            // Turn the struct into a GC range in place (Yjs replaces it with a GC object).
            item->ref = ContentRef::GC;
            item->flags = Item::Gc | Item::Deleted;
            item->parent = nullptr;
            item->parentSub = nullptr;
            item->origin = {};
            item->rightOrigin = {};
            item->left = nullptr;
            item->right = nullptr;
        } else {
            item->ref = ContentRef::Deleted;
        }
    }
}

bool mergeItems(Item *left, Item *right)
{
    if (left->isGc() || right->isGc()) {
        if (left->isGc() && right->isGc()
            && uint64_t(left->length) + right->length <= Item::maxLength) {
            left->length += right->length;
            return true;
        }
        return false;
    }
    if (left->ref != right->ref || !isMergeable(left->ref)
        || !(right->origin == OptId(left->lastId())) || left->right != right
        || !(left->rightOrigin == right->rightOrigin) || left->id.client != right->id.client
        || left->endClock() != right->id.clock || left->deleted() != right->deleted()
        || (left->flags & Item::HasRedone) || (right->flags & Item::HasRedone)
        || uint64_t(left->length) + right->length > Item::maxLength) {
        return false;
    }
    if (!right->parentSub) {
        left->parent->redirectMarker(right, left);
    }
    appendContent(left->ref, left->content, right->content);
    if (right->keep()) {
        left->flags |= Item::Keep;
    }
    left->right = right->right;
    if (left->right) {
        left->right->left = left;
    }
    left->length += right->length;
    return true;
}

void writeItem(Encoding::Encoder &e, const Item &item, uint64_t offset)
{
    if (item.isGc()) {
        e.writeUint8(0);
        e.writeVarUint(item.length - offset);
        return;
    }
    const OptId origin
            = offset > 0 ? OptId(Id {item.id.client, item.id.clock + offset - 1}) : item.origin;
    const uint8_t info = static_cast<uint8_t>(item.ref) | (origin ? 0x80 : 0)
            | (item.rightOrigin ? 0x40 : 0) | (item.parentSub ? 0x20 : 0);
    e.writeUint8(info);
    if (origin) {
        e.writeVarUint(origin.id.client);
        e.writeVarUint(origin.id.clock);
    }
    if (item.rightOrigin) {
        e.writeVarUint(item.rightOrigin.id.client);
        e.writeVarUint(item.rightOrigin.id.clock);
    }
    if (!origin && !item.rightOrigin) {
        const Branch *parent = item.parent;
        if (const Item *holder = parent->item()) {
            e.writeVarUint(0);
            e.writeVarUint(holder->id.client);
            e.writeVarUint(holder->id.clock);
        } else {
            e.writeVarUint(1);
            e.writeVarStringUtf8(parent->rootName());
        }
        if (item.parentSub) {
            e.writeVarStringUtf8(*item.parentSub);
        }
    }
    writeContent(e, item.ref, item.content, offset, item.length);
}

void writeClientsStructs(Encoding::Encoder &e, const StructStore &store, const StateVector &from)
{
    // Clients in descending order, as Yjs writes them; the store's state vector is sorted.
    const auto &state = store.stateVector().entries();
    size_t count = 0;
    for (const auto &[client, end] : state) {
        count += end > from.get(client) ? 1 : 0;
    }
    e.writeVarUint(count);
    for (auto it = state.rbegin(); it != state.rend(); ++it) {
        const ClientId client = it->first;
        const Clock requested = from.get(client);
        if (it->second <= requested) {
            continue;
        }
        const auto &structs = *store.structs(client);
        const Clock clock = std::max(requested, structs.front()->id.clock);
        const size_t start = StructStore::findIndex(structs, clock);
        e.writeVarUint(structs.size() - start);
        e.writeVarUint(client);
        e.writeVarUint(clock);
        writeItem(e, *structs[start], clock - structs[start]->id.clock);
        for (size_t i = start + 1; i < structs.size(); ++i) {
            writeItem(e, *structs[i], 0);
        }
    }
}

} // namespace Tandem::Crdt
