// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/structstore.h"

#include "core/crdt/branch.h"
#include "core/crdt/transaction.h"

#include <algorithm>
#include <utility>

namespace Tandem::Crdt {

namespace {
constexpr size_t chunkSize = 256;
}

StructStore::~StructStore() = default;

StructStore::Structs *StructStore::structs(ClientId client)
{
    return const_cast<Structs *>(std::as_const(*this).structs(client));
}

const StructStore::Structs *StructStore::structs(ClientId client) const
{
    // Lookups come in runs for one client: remember the last one (map nodes never move).
    if (m_lastStructs && m_lastClient == client) {
        return m_lastStructs;
    }
    auto it = m_clients.find(client);
    if (it == m_clients.end()) {
        return nullptr;
    }
    m_lastClient = client;
    m_lastStructs = &it->second;
    return m_lastStructs;
}

size_t StructStore::findIndex(const Structs &structs, Clock clock)
{
    const size_t n = structs.size();
    if (n == 0) {
        return 0;
    }
    // Recent structs are looked up most often: check the last one first.
    if (structs[n - 1]->id.clock <= clock) {
        return n - 1;
    }
    // Then near the previous answer: lookups come in runs (a delete set in clock order, the
    // neighbours of structs being loaded). Gallop from there, then bisect.
    // Invariant: structs[lo] starts at or before clock, structs[hi] after it.
    const size_t hint = std::min(structs.hint(), n - 1);
    const Item *h = structs[hint];
    size_t lo = 0;
    size_t hi = n - 1;
    if (h->id.clock <= clock) {
        if (clock < h->endClock()) {
            return hint;
        }
        lo = hint;
        for (size_t step = 1; lo + step < hi; step *= 2) {
            if (structs[lo + step]->id.clock > clock) {
                hi = lo + step;
                break;
            }
            lo += step;
        }
    } else {
        hi = hint; // structs[0] starts at clock 0, so lo = 0 holds the invariant
        for (size_t step = 1; step < hi - lo; step *= 2) {
            if (structs[hi - step]->id.clock <= clock) {
                lo = hi - step;
                break;
            }
            hi -= step;
        }
    }
    while (lo + 1 < hi) {
        const size_t mid = (lo + hi) / 2;
        if (structs[mid]->id.clock <= clock) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    structs.setHint(lo);
    return lo;
}

Item *StructStore::find(Id id) const
{
    const Structs *s = structs(id.client);
    if (!s || s->empty() || id.clock >= s->back()->endClock()) {
        return nullptr;
    }
    return (*s)[findIndex(*s, id.clock)];
}

Item *StructStore::splitItem(Transaction &tr, Item *left, uint64_t diff)
{
    Item *right = allocate();
    right->id = {left->id.client, left->id.clock + diff};
    right->length = left->length - diff;
    right->origin = Id {left->id.client, left->id.clock + diff - 1};
    right->rightOrigin = left->rightOrigin;
    right->left = left;
    right->right = left->right;
    right->parent = left->parent;
    right->parentSub = left->parentSub;
    right->ref = left->ref;
    right->content = spliceContent(left->ref, left->content, diff);
    right->flags = left->flags & (Item::Deleted | Item::Keep);
    if (left->flags & Item::HasRedone) {
        Id r = m_redone.at(left);
        setRedone(right, {r.client, r.clock + diff});
    }
    left->right = right;
    if (right->right) {
        right->right->left = right;
    }
    tr.mergeStructs.push_back(right);
    if (right->parentSub && !right->right) {
        right->parent->map[*right->parentSub] = right;
    }
    left->length = diff;
    Structs &s = m_clients[left->id.client];
    const size_t idx = findIndex(s, left->id.clock);
    s.insert(idx + 1, right);
    return right;
}

Item *StructStore::getItemCleanStart(Transaction &tr, Id id)
{
    Structs *s = structs(id.client);
    if (!s || s->empty()) {
        return nullptr;
    }
    const size_t idx = findIndex(*s, id.clock);
    Item *item = (*s)[idx];
    if (item->id.clock < id.clock && !item->isGc()) {
        return splitItem(tr, item, id.clock - item->id.clock);
    }
    return item;
}

Item *StructStore::getItemCleanEnd(Transaction &tr, Id id)
{
    Structs *s = structs(id.client);
    if (!s || s->empty()) {
        return nullptr;
    }
    const size_t idx = findIndex(*s, id.clock);
    Item *item = (*s)[idx];
    if (id.clock != item->endClock() - 1 && !item->isGc()) {
        splitItem(tr, item, id.clock - item->id.clock + 1);
    }
    return item;
}

void StructStore::add(Item *item)
{
    Structs *s = structs(item->id.client);
    if (!s) {
        s = &m_clients[item->id.client];
    }
    s->push_back(item);
    m_state.set(item->id.client, item->endClock());
}

Item *StructStore::allocate()
{
    if (!m_free.empty()) {
        Item *item = m_free.back();
        m_free.pop_back();
        return item;
    }
    if (m_chunks.empty() || m_chunkUsed == chunkSize) {
        m_chunks.push_back(std::make_unique<Item[]>(chunkSize));
        m_chunkUsed = 0;
    }
    return &m_chunks.back()[m_chunkUsed++];
}

void StructStore::release(Item *item)
{
    if (item->flags & Item::HasRedone) {
        m_redone.erase(item);
    }
    *item = Item {};
    m_free.push_back(item);
}

Item *StructStore::followRedone(Id id, uint64_t &diff) const
{
    Item *item = nullptr;
    std::optional<Id> next = id;
    diff = 0;
    do {
        if (diff > 0) {
            next = Id {next->client, next->clock + diff};
        }
        item = find(*next);
        if (!item) {
            return nullptr;
        }
        diff = next->clock - item->id.clock;
        next = item->isGc() ? std::nullopt : redone(item);
    } while (next);
    return item;
}

std::optional<Id> StructStore::redone(const Item *item) const
{
    if (!(item->flags & Item::HasRedone)) {
        return std::nullopt;
    }
    return m_redone.at(item);
}

void StructStore::setRedone(Item *item, Id id)
{
    m_redone[item] = id;
    item->flags |= Item::HasRedone;
}

DeleteSet StructStore::deleteSet() const
{
    DeleteSet ds;
    // Deterministic order is not needed here: encode() sorts clients.
    for (const auto &[client, s] : m_clients) {
        for (size_t i = 0; i < s.size(); ++i) {
            if (s[i]->deleted()) {
                const Clock clock = s[i]->id.clock;
                uint64_t len = s[i]->length;
                while (i + 1 < s.size() && s[i + 1]->deleted()) {
                    len += s[++i]->length;
                }
                auto &ranges = ds.clients();
                if (ranges.empty() || ranges.back().first != client) {
                    ranges.emplace_back(client, DeleteSet::Ranges {});
                }
                ranges.back().second.push_back({clock, len});
            }
        }
    }
    return ds;
}

size_t StructStore::itemSlots() const
{
    return m_chunks.size() * chunkSize;
}

size_t StructStore::itemCount() const
{
    size_t n = 0;
    for (const auto &[client, s] : m_clients) {
        n += s.size();
    }
    return n;
}

std::string StructStore::checkIntegrity() const
{
    for (const auto &[client, s] : m_clients) {
        Clock expected = 0;
        for (size_t i = 0; i < s.size(); ++i) {
            const Item *it = s[i];
            if (it->id.client != client) {
                return "struct filed under the wrong client";
            }
            if (it->id.clock != expected) {
                return "gap or overlap in client " + std::to_string(client) + " at clock "
                        + std::to_string(expected);
            }
            if (it->length == 0) {
                return "zero-length struct";
            }
            expected = it->endClock();
            if (it->isGc()) {
                continue;
            }
            if (!it->parent) {
                return "item without parent";
            }
            if (it->left && it->left->right != it) {
                return "broken left link";
            }
            if (it->right && it->right->left != it) {
                return "broken right link";
            }
            if (!it->left && !it->parentSub && it->parent->start != it) {
                return "first item is not the parent's start";
            }
            if (it->ref != ContentRef::Deleted && it->ref != ContentRef::GC
                && contentLength(it->ref, it->content) != it->length) {
                return "content length differs from item length";
            }
            if (it->parentSub && !it->right) {
                auto m = it->parent->map.find(*it->parentSub);
                if (m == it->parent->map.end() || m->second != it) {
                    return "map entry does not point at its newest item";
                }
            }
            // A map value longer than one unit (only hostile peers write those; Yjs accepts
            // them) that was split keeps its live left part, as in Yjs, even when other items
            // were later placed between the parts.
            auto isSplitPart = [&] {
                for (const Item *r = it->right; r; r = r->right) {
                    if (r->id.client == it->id.client && r->id.clock == it->endClock()) {
                        return true;
                    }
                }
                return false;
            };
            if (it->parentSub && it->right && !it->deleted() && !isSplitPart()) {
                return "overwritten map value is not deleted";
            }
        }
    }
    return {};
}

} // namespace Tandem::Crdt
