// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Internal building blocks shared by the document and the shared types: the YATA
// integration step, deletion, garbage collection, merging and the v1 struct writer.
// Every function follows the Yjs function named in its comment so that split points,
// merges and therefore the encoded bytes are the same as Yjs'.

#include "core/crdt/item.h"
#include "core/crdt/statevector.h"
#include "core/crdt/structstore.h"
#include "core/encoding/encoder.h"

#include <string>

namespace Tandem::Crdt {

class Branch;
class Transaction;

/// Item.integrate with offset 0: @p item has id, origins, left/right hints, parent and
/// content set. Places it with YATA, links it, adds it to the store.
void integrateItem(Transaction &tr, Item *item);

/// Creates an item for a local edit between @p left and @p right and integrates it.
Item *insertLocalItem(Transaction &tr, Branch *parent, Item *left, Item *right,
                      const std::string *parentSub, ContentRef ref, Content content);

/// Item.delete, including the children of deleted types (iteratively).
void deleteItem(Transaction &tr, Item *item);

/// Item.gc: replaces content with a deleted marker, or turns the struct into a GC range
/// when its parent is collected too.
void gcItem(Item *item, bool parentCollected);

/// Item.mergeWith / GC.mergeWith: merges @p right into @p left if Yjs would.
bool mergeItems(Item *left, Item *right);

/// Item.write / GC.write in update format v1.
void writeItem(Encoding::Encoder &e, const Item &item, uint64_t offset);

/// writeClientsStructs: all structs of clients ahead of @p from, each client from its clock.
void writeClientsStructs(Encoding::Encoder &e, const StructStore &store, const StateVector &from);

/// The key stored in @p parent's map table (stable address for Item::parentSub).
const std::string *internKey(Branch *parent, const std::string &key);

/// Calls @p f for every struct in [clock, clock+len) of @p client, splitting at both ends.
template<class F>
void iterateStructs(Transaction &tr, StructStore &store, ClientId client, Clock clock, uint64_t len,
                    F &&f);

/// Calls @p f for every struct covered by @p ds (Yjs' iterateDeletedStructs).
template<class F>
void iterateDeletedStructs(Transaction &tr, StructStore &store, const class DeleteSet &ds, F &&f);

} // namespace Tandem::Crdt

#include "core/crdt/deleteset.h"
#include "core/crdt/transaction.h"

namespace Tandem::Crdt {

template<class F>
void iterateStructs(Transaction &tr, StructStore &store, ClientId client, Clock clockStart,
                    uint64_t len, F &&f)
{
    if (len == 0) {
        return;
    }
    const Clock clockEnd = clockStart + len;
    auto *structs = store.structs(client);
    if (!structs || structs->empty()) {
        return;
    }
    size_t index = StructStore::findIndex(*structs, clockStart);
    Item *s = (*structs)[index];
    if (s->id.clock < clockStart && !s->isGc()) {
        store.splitItem(tr, s, clockStart - s->id.clock);
        ++index;
    }
    while (index < structs->size()) {
        s = (*structs)[index++];
        if (s->id.clock >= clockEnd) {
            break;
        }
        if (clockEnd < s->endClock() && !s->isGc()) {
            store.splitItem(tr, s, clockEnd - s->id.clock);
        }
        f(s);
    }
}

template<class F>
void iterateDeletedStructs(Transaction &tr, StructStore &store, const DeleteSet &ds, F &&f)
{
    for (const auto &[client, ranges] : ds.clients()) {
        const Clock state = store.state(client);
        for (const auto &r : ranges) {
            if (r.clock >= state) {
                break;
            }
            iterateStructs(tr, store, client, r.clock, r.length, f);
        }
    }
}

} // namespace Tandem::Crdt
