// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/deleteset.h"

#include "core/crdt/statevector.h"

#include <algorithm>

namespace Tandem::Crdt {

using Encoding::DecodeErrorCode;

DeleteSet::Ranges &DeleteSet::rangesFor(ClientId client)
{
    for (auto &[c, r] : m_clients) {
        if (c == client) {
            return r;
        }
    }
    Ranges fresh;
    if (!m_spare.empty()) {
        fresh = std::move(m_spare.back());
        m_spare.pop_back();
    }
    m_clients.emplace_back(client, std::move(fresh));
    return m_clients.back().second;
}

void DeleteSet::clear()
{
    for (auto &[client, ranges] : m_clients) {
        ranges.clear();
        m_spare.push_back(std::move(ranges));
    }
    m_clients.clear();
}

const DeleteSet::Ranges *DeleteSet::ranges(ClientId client) const
{
    for (const auto &[c, r] : m_clients) {
        if (c == client) {
            return &r;
        }
    }
    return nullptr;
}

void DeleteSet::add(ClientId client, Clock clock, uint64_t length)
{
    if (length == 0) {
        return;
    }
    auto &r = rangesFor(client);
    // Extend the last range when the new one continues it (the common case for typing).
    if (!r.empty() && r.back().clock + r.back().length == clock) {
        r.back().length += length;
        return;
    }
    r.push_back({clock, length});
}

void DeleteSet::sortAndMerge()
{
    for (auto &[client, dels] : m_clients) {
        std::sort(dels.begin(), dels.end(),
                  [](const DeleteRange &a, const DeleteRange &b) { return a.clock < b.clock; });
        size_t j = 1;
        for (size_t i = 1; i < dels.size(); ++i) {
            DeleteRange &left = dels[j - 1];
            const DeleteRange right = dels[i];
            if (left.clock + left.length >= right.clock) {
                left.length = std::max(left.length, right.clock + right.length - left.clock);
            } else {
                dels[j++] = right;
            }
        }
        if (!dels.empty()) {
            dels.resize(j);
        }
    }
}

bool DeleteSet::contains(Id id) const
{
    const Ranges *r = ranges(id.client);
    if (!r) {
        return false;
    }
    auto it = std::upper_bound(r->begin(), r->end(), id.clock,
                               [](Clock c, const DeleteRange &d) { return c < d.clock; });
    if (it == r->begin()) {
        return false;
    }
    --it;
    return id.clock < it->clock + it->length;
}

DeleteSet DeleteSet::merge(const std::vector<const DeleteSet *> &sets)
{
    DeleteSet out;
    for (const DeleteSet *ds : sets) {
        for (const auto &[client, r] : ds->m_clients) {
            auto &dst = out.rangesFor(client);
            dst.insert(dst.end(), r.begin(), r.end());
        }
    }
    out.sortAndMerge();
    return out;
}

void DeleteSet::encode(Encoding::Encoder &e) const
{
    if (m_clients.size() <= 1) { // the usual case: no order to establish
        e.writeVarUint(m_clients.size());
        for (const auto &[client, ranges] : m_clients) {
            e.writeVarUint(client);
            e.writeVarUint(ranges.size());
            for (const auto &r : ranges) {
                e.writeVarUint(r.clock);
                e.writeVarUint(r.length);
            }
        }
        return;
    }
    std::vector<const std::pair<ClientId, Ranges> *> sorted;
    sorted.reserve(m_clients.size());
    for (const auto &c : m_clients) {
        sorted.push_back(&c);
    }
    std::sort(sorted.begin(), sorted.end(), [](auto *a, auto *b) { return a->first > b->first; });
    e.writeVarUint(sorted.size());
    for (const auto *c : sorted) {
        e.writeVarUint(c->first);
        e.writeVarUint(c->second.size());
        for (const auto &r : c->second) {
            e.writeVarUint(r.clock);
            e.writeVarUint(r.length);
        }
    }
}

bool DeleteSet::decode(Encoding::Decoder &d, DeleteSet &out)
{
    const uint64_t numClients = d.readVarUint();
    if (numClients > d.remaining()) {
        d.fail(DecodeErrorCode::LengthTooLarge);
        return false;
    }
    for (uint64_t i = 0; i < numClients && d.ok(); ++i) {
        const ClientId client = d.readVarUint();
        const uint64_t numRanges = d.readVarUint();
        if (numRanges > d.remaining() / 2) {
            d.fail(DecodeErrorCode::LengthTooLarge);
            return false;
        }
        for (uint64_t k = 0; k < numRanges && d.ok(); ++k) {
            const Clock clock = d.readVarUint();
            const uint64_t len = d.readVarUint();
            if (d.ok() && clock + len > (uint64_t(1) << 53) - 1) {
                d.fail(DecodeErrorCode::IntegerOverflow);
            }
            if (d.ok()) {
                out.add(client, clock, len);
            }
        }
    }
    return d.ok();
}

void StateVector::encode(Encoding::Encoder &e) const
{
    e.writeVarUint(m_entries.size());
    for (auto it = m_entries.rbegin(); it != m_entries.rend(); ++it) {
        e.writeVarUint(it->first);
        e.writeVarUint(it->second);
    }
}

std::vector<uint8_t> StateVector::encode() const
{
    Encoding::Encoder e;
    encode(e);
    return e.take();
}

std::optional<StateVector> StateVector::decode(Encoding::Decoder &d)
{
    StateVector sv;
    const uint64_t n = d.readVarUint();
    if (n > d.remaining() / 2) {
        d.fail(DecodeErrorCode::LengthTooLarge);
        return std::nullopt;
    }
    for (uint64_t i = 0; i < n && d.ok(); ++i) {
        const ClientId client = d.readVarUint();
        const Clock clock = d.readVarUint();
        if (d.ok()) {
            sv.set(client, clock);
        }
    }
    if (!d.ok()) {
        return std::nullopt;
    }
    return sv;
}

std::optional<StateVector> StateVector::decode(std::span<const uint8_t> bytes,
                                               Encoding::DecodeError *error)
{
    Encoding::Decoder d(bytes);
    auto sv = decode(d);
    if (sv && !d.atEnd()) {
        d.fail(DecodeErrorCode::TrailingData);
        sv.reset();
    }
    if (!sv && error) {
        *error = d.error();
    }
    return sv;
}

} // namespace Tandem::Crdt
