// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/update.h"

#include "core/crdt/item.h"

#include <algorithm>

namespace Tandem::Crdt {

using Encoding::DecodeError;
using Encoding::DecodeErrorCode;
using Encoding::Decoder;
using Encoding::Encoder;

namespace {

constexpr uint64_t maxClock = (uint64_t(1) << 53) - 1;

bool readStruct(Decoder &d, ClientId client, Clock clock, StructRef &s)
{
    const uint8_t info = d.readUint8();
    const uint8_t ref = info & 0x1F;
    s.id = {client, clock};
    if (ref == 0 || ref == 10) {
        s.ref = static_cast<ContentRef>(ref);
        s.length = d.readVarUint();
    } else {
        if (ref > 10) {
            d.fail(DecodeErrorCode::UnknownContent);
            return false;
        }
        if (info & 0x80) {
            const ClientId c = d.readVarUint();
            s.origin = Id {c, d.readVarUint()};
        }
        if (info & 0x40) {
            const ClientId c = d.readVarUint();
            s.rightOrigin = Id {c, d.readVarUint()};
        }
        if ((info & 0xC0) == 0) {
            if (d.readVarUint() == 1) {
                s.parentKind = StructRef::Parent::Root;
                s.parentRoot = std::string(d.readVarStringUtf8());
            } else {
                s.parentKind = StructRef::Parent::Id;
                const ClientId c = d.readVarUint();
                s.parentId = {c, d.readVarUint()};
            }
            if (info & 0x20) {
                s.parentSub = std::string(d.readVarStringUtf8());
            }
        }
        // With an origin, a set 0x20 bit carries no key: it is copied from a neighbour.
        s.ref = static_cast<ContentRef>(ref);
        s.content = readContent(d, s.ref, s.length);
        if (!d.ok()) {
            return false;
        }
        // References to the same client must point to earlier clocks; anything else is
        // impossible for a real peer and would break the store's invariants.
        if ((s.origin && s.origin.id.client == client && s.origin.id.clock >= clock)
            || (s.rightOrigin && s.rightOrigin.id.client == client
                && s.rightOrigin.id.clock >= clock)
            || (s.parentKind == StructRef::Parent::Id && s.parentId.client == client
                && s.parentId.clock >= clock)) {
            d.fail(DecodeErrorCode::InvalidStruct);
            return false;
        }
    }
    if (!d.ok()) {
        return false;
    }
    if (s.length == 0 || s.length > maxClock || clock > maxClock - s.length) {
        d.fail(s.length == 0 ? DecodeErrorCode::InvalidStruct : DecodeErrorCode::IntegerOverflow);
        return false;
    }
    // One struct covers at most 2^32 - 1 clocks (Item::maxLength). Only a hostile update
    // declares more (a deleted range of billions of clocks); storing it would take millions
    // of items, so it is refused. Yjs would keep it as one struct.
    if (s.length > Item::maxLength && s.ref != ContentRef::Skip) { // a skip is a gap, not stored
        d.fail(DecodeErrorCode::LengthTooLarge);
        return false;
    }
    return true;
}

bool readStructs(Decoder &d, DecodedUpdate &out)
{
    const uint64_t numClients = d.readVarUint();
    if (numClients > d.remaining()) {
        d.fail(DecodeErrorCode::LengthTooLarge);
        return false;
    }
    for (uint64_t i = 0; i < numClients && d.ok(); ++i) {
        const uint64_t numStructs = d.readVarUint();
        // Every struct takes at least two bytes.
        if (numStructs > d.remaining() / 2) {
            d.fail(DecodeErrorCode::LengthTooLarge);
            return false;
        }
        const ClientId client = d.readVarUint();
        Clock clock = d.readVarUint();
        if (!d.ok()) {
            return false;
        }
        if (clock > maxClock) {
            d.fail(DecodeErrorCode::IntegerOverflow);
            return false;
        }
        std::vector<StructRef> refs;
        refs.reserve(static_cast<size_t>(numStructs));
        for (uint64_t k = 0; k < numStructs; ++k) {
            StructRef &s = refs.emplace_back(); // decoded in place: no move per struct
            if (!readStruct(d, client, clock, s)) {
                return false;
            }
            clock += s.length;
        }
        out.clients.emplace_back(client, std::move(refs));
    }
    return d.ok();
}

/// Reads structs one after another across all blocks of an update (Yjs' LazyStructReader).
class StructReader
{
public:
    StructReader(std::vector<StructRef> structs, bool filterSkips)
        : m_structs(std::move(structs)), m_filter(filterSkips)
    {
        skip();
    }
    StructRef *curr() { return m_i < m_structs.size() ? &m_structs[m_i] : nullptr; }
    StructRef *next()
    {
        ++m_i;
        skip();
        return curr();
    }

private:
    void skip()
    {
        while (m_filter && m_i < m_structs.size() && m_structs[m_i].ref == ContentRef::Skip) {
            ++m_i;
        }
    }
    std::vector<StructRef> m_structs;
    size_t m_i = 0;
    bool m_filter;
};

std::vector<StructRef> flatten(DecodedUpdate &u)
{
    std::vector<StructRef> all;
    for (auto &[client, refs] : u.clients) {
        for (auto &s : refs) {
            all.push_back(std::move(s));
        }
    }
    return all;
}

bool mergeStructs(StructRef &left, const StructRef &right)
{
    // Items never merge here (Yjs' Item.mergeWith needs linked neighbours); GC and Skip runs do.
    if (left.ref != right.ref || (left.ref != ContentRef::GC && left.ref != ContentRef::Skip)) {
        return false;
    }
    if (left.ref == ContentRef::GC && left.length + right.length > Item::maxLength) {
        return false; // the decoder refuses longer GC structs (Item::maxLength)
    }
    left.length += right.length;
    return true;
}

} // namespace

void StructRef::write(Encoder &e, uint64_t offset) const
{
    if (ref == ContentRef::GC || ref == ContentRef::Skip) {
        e.writeUint8(static_cast<uint8_t>(ref));
        e.writeVarUint(length - offset);
        return;
    }
    const OptId o = offset > 0 ? OptId(Id {id.client, id.clock + offset - 1}) : origin;
    const uint8_t info = static_cast<uint8_t>(ref) | (o ? 0x80 : 0) | (rightOrigin ? 0x40 : 0)
            | (parentSub ? 0x20 : 0);
    e.writeUint8(info);
    if (o) {
        e.writeVarUint(o.id.client);
        e.writeVarUint(o.id.clock);
    }
    if (rightOrigin) {
        e.writeVarUint(rightOrigin.id.client);
        e.writeVarUint(rightOrigin.id.clock);
    }
    if (!o && !rightOrigin) {
        if (parentKind == Parent::Root) {
            e.writeVarUint(1);
            e.writeVarStringUtf8(parentRoot);
        } else {
            e.writeVarUint(0);
            e.writeVarUint(parentId.client);
            e.writeVarUint(parentId.clock);
        }
        if (parentSub) {
            e.writeVarStringUtf8(*parentSub);
        }
    }
    writeContent(e, ref, content, offset, length);
}

StructRef StructRef::slice(uint64_t diff)
{
    StructRef r;
    r.ref = ref;
    r.id = {id.client, id.clock + diff};
    r.length = length - diff;
    if (isItem()) {
        r.origin = Id {id.client, id.clock + diff - 1};
        r.rightOrigin = rightOrigin;
        r.parentKind = parentKind;
        r.parentRoot = parentRoot;
        r.parentId = parentId;
        r.parentSub = parentSub;
        r.content = spliceContent(ref, content, diff);
    }
    length = diff;
    return r;
}

std::optional<DecodedUpdate> decodeUpdate(std::span<const uint8_t> update, DecodeError *error)
{
    Decoder d(update);
    DecodedUpdate out;
    if (readStructs(d, out)) {
        DeleteSet::decode(d, out.deleteSet);
    }
    if (!d.ok()) {
        if (error) {
            *error = d.error();
        }
        return std::nullopt;
    }
    return out;
}

DecodeError validateUpdate(std::span<const uint8_t> update)
{
    DecodeError err;
    decodeUpdate(update, &err);
    return err;
}

void LazyStructWriter::write(const StructRef &s, uint64_t offset)
{
    if (m_written > 0 && m_client != s.id.client) {
        flush();
    }
    if (m_written == 0) {
        m_client = s.id.client;
        m_current.writeVarUint(s.id.client);
        m_current.writeVarUint(s.id.clock + offset);
    }
    s.write(m_current, offset);
    ++m_written;
}

void LazyStructWriter::flush()
{
    if (m_written > 0) {
        m_blocks.push_back({m_written, m_current.take()});
        m_current.clear();
        m_written = 0;
    }
}

void LazyStructWriter::finish(Encoder &out)
{
    flush();
    out.writeVarUint(m_blocks.size());
    for (const auto &b : m_blocks) {
        out.writeVarUint(b.written);
        out.writeBytes(b.bytes);
    }
}

std::optional<std::vector<uint8_t>>
mergeUpdates(const std::vector<std::span<const uint8_t>> &updates, DecodeError *error)
{
    std::vector<DecodedUpdate> decoded;
    decoded.reserve(updates.size());
    for (auto u : updates) {
        auto d = decodeUpdate(u, error);
        if (!d) {
            return std::nullopt;
        }
        decoded.push_back(std::move(*d));
    }
    if (updates.size() == 1) {
        return std::vector<uint8_t>(updates[0].begin(), updates[0].end());
    }
    std::vector<const DeleteSet *> dss;
    for (const auto &d : decoded) {
        dss.push_back(&d.deleteSet);
    }
    const DeleteSet mergedDs = DeleteSet::merge(dss);

    std::vector<StructReader> readers;
    for (auto &d : decoded) {
        readers.emplace_back(flatten(d), true);
    }
    std::vector<StructReader *> active;
    for (auto &r : readers) {
        active.push_back(&r);
    }

    LazyStructWriter writer;
    std::optional<StructRef> currWrite;
    auto endOf = [](const StructRef &s) { return s.id.clock + s.length; };

    while (true) {
        std::erase_if(active, [](StructReader *r) { return r->curr() == nullptr; });
        std::stable_sort(active.begin(), active.end(), [](StructReader *a, StructReader *b) {
            const StructRef &x = *a->curr();
            const StructRef &y = *b->curr();
            if (x.id.client != y.id.client) {
                return x.id.client > y.id.client;
            }
            if (x.id.clock != y.id.clock) {
                return x.id.clock < y.id.clock;
            }
            const bool xs = x.ref == ContentRef::Skip;
            const bool ys = y.ref == ContentRef::Skip;
            return !xs && ys;
        });
        if (active.empty()) {
            break;
        }
        StructReader *cur = active.front();
        const ClientId firstClient = cur->curr()->id.client;

        if (currWrite) {
            StructRef *curr = cur->curr();
            bool iterated = false;
            while (curr && endOf(*curr) <= endOf(*currWrite)
                   && curr->id.client >= currWrite->id.client) {
                curr = cur->next();
                iterated = true;
            }
            if (!curr || curr->id.client != firstClient
                || (iterated && curr->id.clock > endOf(*currWrite))) {
                continue;
            }
            if (firstClient != currWrite->id.client) {
                writer.write(*currWrite, 0);
                currWrite = std::move(*curr);
                cur->next();
            } else if (endOf(*currWrite) < curr->id.clock) {
                if (currWrite->ref == ContentRef::Skip) {
                    currWrite->length = endOf(*curr) - currWrite->id.clock;
                } else {
                    writer.write(*currWrite, 0);
                    StructRef skip;
                    skip.ref = ContentRef::Skip;
                    skip.id = {firstClient, endOf(*currWrite)};
                    skip.length = curr->id.clock - endOf(*currWrite);
                    currWrite = std::move(skip);
                }
            } else {
                const uint64_t diff = endOf(*currWrite) - curr->id.clock;
                std::optional<StructRef> sliced;
                if (diff > 0) {
                    if (currWrite->ref == ContentRef::Skip) {
                        currWrite->length -= diff;
                    } else {
                        StructRef copy = *curr;
                        sliced = copy.slice(diff);
                    }
                }
                const StructRef &next = sliced ? *sliced : *curr;
                if (!mergeStructs(*currWrite, next)) {
                    writer.write(*currWrite, 0);
                    currWrite = sliced ? std::move(*sliced) : std::move(*curr);
                    cur->next();
                }
            }
        } else {
            currWrite = std::move(*cur->curr());
            cur->next();
        }
        for (StructRef *next = cur->curr(); next && next->id.client == firstClient
             && next->id.clock == endOf(*currWrite) && next->ref != ContentRef::Skip;
             next = cur->next()) {
            writer.write(*currWrite, 0);
            currWrite = std::move(*next);
        }
    }
    if (currWrite) {
        writer.write(*currWrite, 0);
    }
    Encoder out;
    writer.finish(out);
    mergedDs.encode(out);
    return out.take();
}

std::optional<std::vector<uint8_t>> diffUpdate(std::span<const uint8_t> update,
                                               std::span<const uint8_t> stateVector,
                                               DecodeError *error)
{
    auto sv = StateVector::decode(stateVector, error);
    if (!sv) {
        return std::nullopt;
    }
    auto decoded = decodeUpdate(update, error);
    if (!decoded) {
        return std::nullopt;
    }
    StructReader reader(flatten(*decoded), false);
    LazyStructWriter writer;
    while (StructRef *curr = reader.curr()) {
        const ClientId client = curr->id.client;
        const Clock svClock = sv->get(client);
        if (curr->ref == ContentRef::Skip) {
            reader.next();
            continue;
        }
        if (curr->id.clock + curr->length > svClock) {
            writer.write(*curr, svClock > curr->id.clock ? svClock - curr->id.clock : 0);
            for (StructRef *n = reader.next(); n && n->id.client == client; n = reader.next()) {
                writer.write(*n, 0);
            }
        } else {
            for (StructRef *n = reader.curr();
                 n && n->id.client == client && n->id.clock + n->length <= svClock;
                 n = reader.next()) { }
        }
    }
    Encoder out;
    writer.finish(out);
    decoded->deleteSet.encode(out);
    return out.take();
}

std::optional<std::vector<uint8_t>> stateVectorFromUpdate(std::span<const uint8_t> update,
                                                          DecodeError *error)
{
    auto decoded = decodeUpdate(update, error);
    if (!decoded) {
        return std::nullopt;
    }
    const std::vector<StructRef> all = flatten(*decoded);
    Encoder body;
    size_t size = 0;
    if (!all.empty()) {
        ClientId currClient = all[0].id.client;
        bool stopCounting = all[0].id.clock != 0;
        Clock currClock = stopCounting ? 0 : all[0].id.clock + all[0].length;
        for (const StructRef &s : all) {
            if (currClient != s.id.client) {
                if (currClock != 0) {
                    ++size;
                    body.writeVarUint(currClient);
                    body.writeVarUint(currClock);
                }
                currClient = s.id.client;
                currClock = 0;
                stopCounting = s.id.clock != 0;
            }
            if (s.ref == ContentRef::Skip) {
                stopCounting = true;
            }
            if (!stopCounting) {
                currClock = s.id.clock + s.length;
            }
        }
        if (currClock != 0) {
            ++size;
            body.writeVarUint(currClient);
            body.writeVarUint(currClock);
        }
    }
    Encoder out;
    out.writeVarUint(size);
    out.writeBytes(body.data());
    return out.take();
}

} // namespace Tandem::Crdt
