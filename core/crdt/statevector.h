// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/id.h"
#include "core/encoding/decoder.h"
#include "core/encoding/encoder.h"

#include <algorithm>
#include <optional>
#include <span>
#include <utility>
#include <vector>

namespace Tandem::Crdt {

/// Client → next unused clock. Kept sorted by client id (ascending) in a flat vector: documents
/// have few clients and this is copied once per transaction.
class StateVector
{
public:
    Clock get(ClientId client) const
    {
        auto it = lower(client);
        return it != m_entries.end() && it->first == client ? it->second : 0;
    }
    bool contains(ClientId client) const
    {
        auto it = lower(client);
        return it != m_entries.end() && it->first == client;
    }
    void set(ClientId client, Clock clock)
    {
        auto it = lower(client);
        if (it != m_entries.end() && it->first == client) {
            it->second = clock;
        } else {
            m_entries.insert(it, {client, clock});
        }
    }
    const std::vector<std::pair<ClientId, Clock>> &entries() const { return m_entries; }
    size_t size() const { return m_entries.size(); }
    void clear() { m_entries.clear(); }
    bool operator==(const StateVector &) const = default;

    /// varUint(n) then (client, clock) pairs in descending client order, as Yjs writes them.
    void encode(Encoding::Encoder &e) const;
    std::vector<uint8_t> encode() const;
    static std::optional<StateVector> decode(Encoding::Decoder &d);
    static std::optional<StateVector> decode(std::span<const uint8_t> bytes,
                                             Encoding::DecodeError *error = nullptr);

private:
    std::vector<std::pair<ClientId, Clock>>::iterator lower(ClientId c)
    {
        return std::lower_bound(m_entries.begin(), m_entries.end(), c,
                                [](const auto &e, ClientId v) { return e.first < v; });
    }
    std::vector<std::pair<ClientId, Clock>>::const_iterator lower(ClientId c) const
    {
        return std::lower_bound(m_entries.begin(), m_entries.end(), c,
                                [](const auto &e, ClientId v) { return e.first < v; });
    }

    std::vector<std::pair<ClientId, Clock>> m_entries;
};

} // namespace Tandem::Crdt
