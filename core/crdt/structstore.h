// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/deleteset.h"
#include "core/crdt/item.h"
#include "core/crdt/statevector.h"
#include "core/crdt/structvector.h"

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace Tandem::Crdt {

class Transaction;

/// Every integrated struct, per client, sorted by clock and contiguous (no gaps), plus the
/// data that arrived before its dependencies (pending structs and delete ranges), kept as
/// v1 updates exactly as Yjs keeps them.
class StructStore
{
public:
    StructStore() = default;
    StructStore(const StructStore &) = delete;
    StructStore &operator=(const StructStore &) = delete;
    ~StructStore();

    using Structs = StructVector;

    Clock state(ClientId client) const { return m_state.get(client); }
    /// Next clock of every client (kept up to date by add(): structs are only ever appended).
    const StateVector &stateVector() const { return m_state; }
    const std::unordered_map<ClientId, Structs> &clients() const { return m_clients; }
    Structs *structs(ClientId client);
    const Structs *structs(ClientId client) const;

    /// Index of the struct containing @p clock (which must be below the client's state).
    static size_t findIndex(const Structs &structs, Clock clock);
    /// The struct containing @p id, or nullptr if unknown.
    Item *find(Id id) const;
    /// Splits so that an item starts exactly at @p id; returns it. GC structs are not split.
    Item *getItemCleanStart(Transaction &tr, Id id);
    /// Splits so that an item ends exactly at @p id; returns it. GC structs are not split.
    Item *getItemCleanEnd(Transaction &tr, Id id);
    /// Splits @p left at @p diff units; returns the new right part (already in the store).
    Item *splitItem(Transaction &tr, Item *left, uint64_t diff);

    /// Appends an integrated struct; it must continue its client's clock range.
    void add(Item *item);
    Item *allocate();
    void release(Item *item);

    /// Yjs' followRedone: the struct containing @p id, following undo's redone links to the
    /// item that replaced it; @p diff is the offset of the id inside that struct. nullptr if
    /// the id is unknown.
    Item *followRedone(Id id, uint64_t &diff) const;

    /// Undo bookkeeping: the id of the item that redid @p item.
    std::optional<Id> redone(const Item *item) const;
    void setRedone(Item *item, Id id);

    /// Delete set describing every deleted struct (GC included), consecutive ones merged.
    DeleteSet deleteSet() const;

    struct PendingStructs
    {
        std::map<ClientId, Clock> missing; ///< retry once state(client) > clock
        std::vector<uint8_t> update; ///< v1 update holding the waiting structs
    };
    std::optional<PendingStructs> pendingStructs;
    std::optional<std::vector<uint8_t>> pendingDs; ///< v1 update with only a delete set

    /// Checks the store's invariants (contiguous clocks, list links, lengths, map heads).
    /// Returns an empty string when everything holds, else a description of the first problem.
    std::string checkIntegrity() const;

    size_t itemCount() const;
    /// Item slots allocated by the pool (in use or free).
    size_t itemSlots() const;

private:
    std::unordered_map<ClientId, Structs> m_clients;
    mutable ClientId m_lastClient = 0;
    mutable const Structs *m_lastStructs = nullptr;
    StateVector m_state;
    std::unordered_map<const Item *, Id> m_redone;
    // Items are pooled: the CRDT allocates and frees many of them (splits and merges).
    std::vector<std::unique_ptr<Item[]>> m_chunks;
    std::vector<Item *> m_free;
    size_t m_chunkUsed = 0;
};

} // namespace Tandem::Crdt
