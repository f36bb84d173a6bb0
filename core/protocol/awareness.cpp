// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/protocol/awareness.h"

#include "core/encoding/encoder.h"
#include "core/encoding/json.h"

#include <chrono>

namespace Tandem::Protocol {

using Encoding::Any;
using Encoding::DecodeError;
using Encoding::DecodeErrorCode;

namespace {
const char timeoutTag = 0;

uint64_t systemNowMs()
{
    using namespace std::chrono;
    return static_cast<uint64_t>(
            duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}
} // namespace

const Awareness::Origin Awareness::timeoutOrigin = &timeoutTag;

Awareness::Awareness(ClientId self, std::function<uint64_t()> nowMs)
    : m_self(self), m_now(nowMs ? std::move(nowMs) : systemNowMs)
{
    Entry &e = m_entries[self];
    e.present = true;
    e.state = Any::object({});
    e.json = "{}";
    e.lastUpdated = m_now();
}

void Awareness::setLocalState(std::optional<Any> state)
{
    Entry &e = m_entries[m_self];
    const bool had = e.present;
    const Any previous = e.state;
    e.clock += 1;
    e.lastUpdated = m_now();
    Changes change;
    Changes update;
    if (!state) {
        e.present = false;
        e.state = Any(nullptr);
        e.json = "null";
        change.removed.push_back(m_self); // reported even without a previous state, as Yjs does
        update.removed.push_back(m_self);
    } else {
        e.present = true;
        e.json = state->toJson();
        e.state = std::move(*state);
        if (!had) {
            change.added.push_back(m_self);
            update.added.push_back(m_self);
        } else {
            update.updated.push_back(m_self);
            if (!(previous == e.state)) {
                change.updated.push_back(m_self);
            }
        }
    }
    emit(change, update, nullptr);
}

std::optional<Any> Awareness::localState() const
{
    auto it = m_entries.find(m_self);
    if (it == m_entries.end() || !it->second.present) {
        return std::nullopt;
    }
    return it->second.state;
}

DecodeError Awareness::applyUpdate(std::span<const uint8_t> update, Origin origin)
{
    // Decode everything first: a malformed update must not half-apply.
    struct Incoming
    {
        ClientId client;
        uint64_t clock;
        std::optional<Any> state; // nullopt: JSON null
        std::string json;
    };
    std::vector<Incoming> incoming;
    Encoding::Decoder d(update);
    const uint64_t n = d.readVarUint();
    if (d.ok() && n > d.remaining() / 3) { // each entry takes at least three bytes
        d.fail(DecodeErrorCode::LengthTooLarge);
    }
    for (uint64_t i = 0; i < n && d.ok(); ++i) {
        Incoming in;
        in.client = d.readVarUint();
        in.clock = d.readVarUint();
        in.json = std::string(d.readVarStringUtf8());
        if (!d.ok()) {
            break;
        }
        auto parsed = Encoding::parseJson(in.json);
        if (!parsed) {
            d.fail(DecodeErrorCode::InvalidJson);
            break;
        }
        if (parsed->type() != Any::Type::Null) {
            in.state = std::move(*parsed);
        }
        incoming.push_back(std::move(in));
    }
    if (d.ok() && !d.atEnd()) {
        d.fail(DecodeErrorCode::TrailingData);
    }
    if (!d.ok()) {
        return d.error();
    }
    const uint64_t now = m_now();
    Changes change;
    Changes upd;
    for (auto &in : incoming) {
        auto it = m_entries.find(in.client);
        const bool known = it != m_entries.end();
        const uint64_t current = known ? it->second.clock : 0;
        const bool present = known && it->second.present;
        if (!(current < in.clock || (current == in.clock && !in.state && present))) {
            continue;
        }
        Entry &e = m_entries[in.client];
        uint64_t clock = in.clock;
        const Any previous = e.state;
        if (!in.state) {
            if (in.client == m_self && e.present) {
                // Never let a peer remove our own state: answer with a newer clock.
                ++clock;
            } else {
                e.present = false;
                e.state = Any(nullptr);
                e.json = "null";
            }
        } else {
            e.present = true;
            e.state = std::move(*in.state);
            e.json = std::move(in.json);
        }
        e.clock = clock;
        e.lastUpdated = now;
        if (!known && e.present) {
            change.added.push_back(in.client);
            upd.added.push_back(in.client);
        } else if (known && !in.state) {
            change.removed.push_back(in.client);
            upd.removed.push_back(in.client);
        } else if (in.state) {
            upd.updated.push_back(in.client);
            if (!(previous == e.state)) {
                change.updated.push_back(in.client);
            }
        }
    }
    emit(change, upd, origin);
    return {};
}

void Awareness::removeStates(const std::vector<ClientId> &clients, Origin origin)
{
    Changes removed;
    for (ClientId c : clients) {
        auto it = m_entries.find(c);
        if (it == m_entries.end() || !it->second.present) {
            continue;
        }
        Entry &e = it->second;
        e.present = false;
        e.state = Any(nullptr);
        e.json = "null";
        if (c == m_self) {
            e.clock += 1;
            e.lastUpdated = m_now();
        }
        removed.removed.push_back(c);
    }
    emit(removed, removed, origin);
}

void Awareness::checkTimeouts()
{
    const uint64_t now = m_now();
    auto self = m_entries.find(m_self);
    if (self != m_entries.end() && self->second.present
        && now - self->second.lastUpdated >= renewAfterMs) {
        setLocalState(self->second.state); // same state, next clock: a renewal
    }
    std::vector<ClientId> outdated;
    for (const auto &[client, e] : m_entries) {
        if (client != m_self && e.present && now - e.lastUpdated >= outdatedTimeoutMs) {
            outdated.push_back(client);
        }
    }
    if (!outdated.empty()) {
        removeStates(outdated, timeoutOrigin);
    }
}

std::vector<uint8_t> Awareness::encodeUpdate(const std::vector<ClientId> &clients) const
{
    Encoding::Encoder e;
    e.writeVarUint(clients.size());
    for (ClientId c : clients) {
        auto it = m_entries.find(c);
        e.writeVarUint(c);
        e.writeVarUint(it == m_entries.end() ? 0 : it->second.clock);
        e.writeVarStringUtf8(it != m_entries.end() && it->second.present ? it->second.json
                                                                         : std::string("null"));
    }
    return e.take();
}

std::vector<ClientId> Awareness::clients() const
{
    std::vector<ClientId> out;
    for (const auto &[client, e] : m_entries) {
        if (e.present) {
            out.push_back(client);
        }
    }
    return out;
}

const Any *Awareness::state(ClientId client) const
{
    auto it = m_entries.find(client);
    return it != m_entries.end() && it->second.present ? &it->second.state : nullptr;
}

uint64_t Awareness::clock(ClientId client) const
{
    auto it = m_entries.find(client);
    return it == m_entries.end() ? 0 : it->second.clock;
}

void Awareness::emit(const Changes &change, const Changes &update, Origin origin)
{
    if (!change.empty() && onChange) {
        onChange(change, origin);
    }
    if (!update.empty() && onUpdate) {
        onUpdate(update, origin);
    }
}

} // namespace Tandem::Protocol
