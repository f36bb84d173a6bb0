// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The presence map of y-protocols/awareness (yjs-protocol.md §9): per client a JSON state and a
// clock; a null state means gone; remote states expire after 30 s without renewal and the local
// one is renewed every 15 s. Shared by the room server and the client. No timers of its own:
// the owner calls checkTimeouts() (every 3 s, as Yjs does) and can inject the clock.

#include "core/encoding/any.h"
#include "core/encoding/decoder.h"

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace Tandem::Protocol {

using ClientId = uint64_t;

class Awareness
{
public:
    static constexpr uint64_t outdatedTimeoutMs = 30000;
    static constexpr uint64_t renewAfterMs = outdatedTimeoutMs / 2;

    struct Changes
    {
        std::vector<ClientId> added;
        std::vector<ClientId> updated;
        std::vector<ClientId> removed;
        bool empty() const { return added.empty() && updated.empty() && removed.empty(); }
        /// Every client in the change: what an update message relaying it carries.
        std::vector<ClientId> all() const
        {
            std::vector<ClientId> ids = added;
            ids.insert(ids.end(), updated.begin(), updated.end());
            ids.insert(ids.end(), removed.begin(), removed.end());
            return ids;
        }
    };
    /// Who caused a change (compared by identity, like a transaction origin).
    using Origin = const void *;
    /// The origin of removals by checkTimeouts().
    static const Origin timeoutOrigin;

    /// Starts with the local state `{}` at clock 0, as y-protocols does.
    explicit Awareness(ClientId self, std::function<uint64_t()> nowMs = {});

    ClientId clientId() const { return m_self; }

    /// Sets (or, with nullopt, removes) the local state; the clock always advances.
    void setLocalState(std::optional<Encoding::Any> state);
    std::optional<Encoding::Any> localState() const;

    /// Applies an awareness update (y-protocols applyAwarenessUpdate). Malformed input
    /// (including state text that is not JSON) changes nothing and returns the error.
    Encoding::DecodeError applyUpdate(std::span<const uint8_t> update, Origin origin);

    /// Removes the given clients' states (removeAwarenessStates), e.g. when the connection
    /// that controlled them closes.
    void removeStates(const std::vector<ClientId> &clients, Origin origin);

    /// Renews the local state after 15 s and drops remote states older than 30 s.
    void checkTimeouts();

    /// An update carrying the given clients' current states (null for absent ones).
    std::vector<uint8_t> encodeUpdate(const std::vector<ClientId> &clients) const;
    /// Every client with a state.
    std::vector<ClientId> clients() const;
    /// A client's state, if it has one.
    const Encoding::Any *state(ClientId client) const;
    uint64_t clock(ClientId client) const;

    /// Real changes (deep comparison, like the `change` event).
    std::function<void(const Changes &, Origin)> onChange;
    /// Every accepted entry, renewals included (the `update` event providers send on).
    std::function<void(const Changes &, Origin)> onUpdate;

private:
    struct Entry
    {
        uint64_t clock = 0;
        uint64_t lastUpdated = 0;
        bool present = false; ///< has a state (meta is kept after removal, as in Yjs)
        Encoding::Any state;
        std::string json; ///< the state as it travels (kept verbatim for relaying)
    };
    void emit(const Changes &change, const Changes &update, Origin origin);

    ClientId m_self;
    std::function<uint64_t()> m_now;
    std::map<ClientId, Entry> m_entries;
};

} // namespace Tandem::Protocol
