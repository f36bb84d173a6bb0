// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/id.h"
#include "core/encoding/decoder.h"
#include "core/encoding/encoder.h"

#include <utility>
#include <vector>

namespace Tandem::Crdt {

struct DeleteRange
{
    Clock clock = 0;
    uint64_t length = 0;
    bool operator==(const DeleteRange &) const = default;
};

/// Deleted clock ranges per client. Clients keep the order in which they were first added
/// (Yjs iterates delete sets in that order, which decides the order of undo operations).
class DeleteSet
{
public:
    using Ranges = std::vector<DeleteRange>;

    void add(ClientId client, Clock clock, uint64_t length);
    /// Sorts each client's ranges and merges overlapping or adjacent ones.
    void sortAndMerge();
    /// Requires sortAndMerge() first.
    bool contains(Id id) const;
    bool empty() const { return m_clients.empty(); }
    const Ranges *ranges(ClientId client) const;
    std::vector<std::pair<ClientId, Ranges>> &clients() { return m_clients; }
    const std::vector<std::pair<ClientId, Ranges>> &clients() const { return m_clients; }

    /// Union of several delete sets, sorted and merged.
    static DeleteSet merge(const std::vector<const DeleteSet *> &sets);

    /// v1 layout: varUint(numClients) then per client (descending id) the ranges.
    void encode(Encoding::Encoder &e) const;
    /// Reads a v1 delete set; false (with the decoder's error set) on malformed input.
    static bool decode(Encoding::Decoder &d, DeleteSet &out);

    bool operator==(const DeleteSet &other) const { return m_clients == other.m_clients; }
    /// Empties the set but keeps its buffers (a transaction's set is reused per edit).
    void clear();

private:
    Ranges &rangesFor(ClientId client);

    std::vector<std::pair<ClientId, Ranges>> m_clients;
    std::vector<Ranges> m_spare; ///< emptied range buffers, reused by rangesFor()
};

} // namespace Tandem::Crdt
