// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/doc.h"

#include "core/crdt/array.h"
#include "core/crdt/branch.h"
#include "core/crdt/itemops.h"
#include "core/crdt/map.h"
#include "core/crdt/text.h"
#include "core/crdt/update.h"

#include <algorithm>
#include <random>

namespace Tandem::Crdt {

using Encoding::DecodeError;
using Encoding::Encoder;

// ---------------------------------------------------------------------------------------------
// Transaction

void Transaction::reset(Origin o, bool l)
{
    origin = o;
    local = l;
    beforeState.clear(); // keeps capacity: reassigned at the start and the end
    afterState.clear();
    deleteSet.clear();
    changed.clear();
    mergeStructs.clear();
    markersMaintained = false;
    needFormattingCleanup = false;
    isOuter = false;
}

void Transaction::addChangedType(Branch *type, const std::string *parentSub)
{
    const Item *item = type->item();
    if (!item || (item->id.clock < beforeState.get(item->id.client) && !item->deleted())) {
        auto &c = changed[type];
        if (parentSub) {
            c.keys.insert(*parentSub);
        } else {
            c.sequence = true;
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Integration of remote structs (Yjs: integrateStructs, Item.getMissing, Item.integrate)

class Integrator
{
public:
    Integrator(Transaction &tr) : m_tr(tr), m_doc(tr.doc), m_store(tr.doc.store()) { }

    /// Returns the client of the first missing dependency, or nothing.
    std::optional<ClientId> missing(const StructRef &s) const
    {
        const ClientId c = s.id.client;
        if (s.origin && s.origin.id.client != c
            && s.origin.id.clock >= m_store.state(s.origin.id.client)) {
            return s.origin.id.client;
        }
        if (s.rightOrigin && s.rightOrigin.id.client != c
            && s.rightOrigin.id.clock >= m_store.state(s.rightOrigin.id.client)) {
            return s.rightOrigin.id.client;
        }
        if (s.parentKind == StructRef::Parent::Id && s.parentId.client != c
            && s.parentId.clock >= m_store.state(s.parentId.client)) {
            return s.parentId.client;
        }
        return std::nullopt;
    }

    /// The side effect of Yjs' getMissing on a struct that is not integrated after all: the
    /// items around its origins are split there. Usually the split merges back at the end of
    /// the transaction, but not where a merge is refused (items that were redone, say).
    void splitNeighbours(const StructRef &s)
    {
        if (!s.isItem()) {
            return;
        }
        if (s.origin) {
            m_store.getItemCleanEnd(m_tr, s.origin.id);
        }
        if (s.rightOrigin) {
            m_store.getItemCleanStart(m_tr, s.rightOrigin.id);
        }
    }

    void integrate(StructRef &s, uint64_t offset)
    {
        if (!s.isItem()) {
            addGc(s.id, s.length, offset);
            return;
        }
        Item *item = m_store.allocate();
        item->id = s.id;
        item->length = static_cast<uint32_t>(s.length - offset); // offset applied below
        item->ref = s.ref;
        item->content = std::move(s.content);
        item->origin = s.origin;
        item->rightOrigin = s.rightOrigin;
        // getMissing: resolve neighbours and parent.
        Branch *parent = nullptr;
        const std::string *parentSub = nullptr;
        bool collected = false;
        if (item->origin) {
            item->left = m_store.getItemCleanEnd(m_tr, item->origin.id);
            item->origin = item->left->lastId();
        }
        if (item->rightOrigin) {
            // Usually nothing was inserted between the two since: the right neighbour then
            // is the left one's right, with no lookup. (Only list items have valid links.)
            Item *next = item->left && !item->left->isGc() ? item->left->right : nullptr;
            item->right = next && next->id == item->rightOrigin.id
                    ? next
                    : m_store.getItemCleanStart(m_tr, item->rightOrigin.id);
            item->rightOrigin = item->right->id;
        }
        if ((item->left && item->left->isGc()) || (item->right && item->right->isGc())) {
            collected = true;
        } else if (s.parentKind == StructRef::Parent::None) {
            const Item *from = item->left ? item->left : item->right;
            if (from) {
                parent = from->parent;
                parentSub = from->parentSub;
            }
        } else if (s.parentKind == StructRef::Parent::Root) {
            parent = m_doc.root(s.parentRoot);
        } else {
            const Item *holder = m_store.find(s.parentId);
            if (holder && !holder->isGc() && holder->ref == ContentRef::Type) {
                parent = holder->content.rare<ContentType>()->branch;
            }
        }
        if (parent && s.parentSub && !parentSub) {
            parentSub = internKey(parent, *s.parentSub);
        }
        // Item.integrate with an offset: we already know a prefix of this item.
        if (offset > 0) {
            item->id.clock += offset;
            item->left = m_store.getItemCleanEnd(m_tr, {item->id.client, item->id.clock - 1});
            item->origin = item->left->lastId();
            Content rest = spliceContent(item->ref, item->content, offset);
            item->content = std::move(rest);
        }
        // A real peer's neighbours always live in the item's own list. A hostile update can
        // point them elsewhere; such an item cannot be placed, so it is kept as a GC range.
        auto sameList = [&](const Item *n) {
            return !n || (n->parent == parent && n->parentSub == parentSub);
        };
        if (!collected && parent && (!sameList(item->left) || !sameList(item->right))) {
            collected = true;
        }
        if (collected || !parent) {
            const Id id = item->id;
            const uint64_t len = item->length;
            m_store.release(item);
            addGc(id, len, 0);
            return;
        }
        item->parent = parent;
        item->parentSub = parentSub;
        integrateItem(m_tr, item);
    }

private:
    /// @p length fits an item: decodeUpdate refuses longer structs (Item::maxLength).
    void addGc(Id id, uint64_t length, uint64_t offset)
    {
        Item *gc = m_store.allocate();
        gc->id = {id.client, id.clock + offset};
        gc->length = static_cast<uint32_t>(length - offset);
        gc->ref = ContentRef::GC;
        gc->flags = Item::Gc | Item::Deleted;
        m_store.add(gc);
    }

    Transaction &m_tr;
    Doc &m_doc;
    StructStore &m_store;
};

namespace {

struct ClientRefs
{
    std::vector<StructRef> refs;
    size_t i = 0;
};

/// Yjs' integrateStructs: integrates what it can and returns the rest as a pending update.
std::optional<StructStore::PendingStructs> integrateStructs(Transaction &tr, DecodedUpdate &update)
{
    StructStore &store = tr.doc.store();
    std::map<ClientId, ClientRefs> clientsRefs;
    for (auto &[client, refs] : update.clients) {
        // A repeated client block replaces the earlier one, as in Yjs' Map.set.
        clientsRefs[client] = ClientRefs {std::move(refs), 0};
    }
    std::vector<ClientId> ids;
    for (auto &[client, r] : clientsRefs) {
        ids.push_back(client); // ascending; taken from the back (highest first)
    }
    if (ids.empty()) {
        return std::nullopt;
    }
    auto nextTarget = [&]() -> ClientRefs * {
        while (!ids.empty()) {
            ClientRefs &t = clientsRefs[ids.back()];
            if (t.i < t.refs.size()) {
                return &t;
            }
            ids.pop_back();
        }
        return nullptr;
    };
    ClientRefs *curTarget = nextTarget();
    if (!curTarget) {
        return std::nullopt;
    }
    std::vector<StructRef *> stack;
    std::map<ClientId, std::vector<StructRef>> rest;
    std::map<ClientId, Clock> missingSv;
    auto updateMissing = [&](ClientId client, Clock clock) {
        auto it = missingSv.find(client);
        if (it == missingSv.end() || it->second > clock) {
            missingSv[client] = clock;
        }
    };
    std::map<ClientId, Clock> state;
    auto localState = [&](ClientId client) {
        auto it = state.find(client);
        if (it == state.end()) {
            it = state.emplace(client, store.state(client)).first;
        }
        return it->second;
    };
    // Ref lists taken out of clientsRefs. Structs on the stack point into them, so their
    // buffers must outlive the loop (Yjs keeps them alive by reference).
    std::vector<std::vector<StructRef>> retired;
    auto addStackToRest = [&]() {
        for (StructRef *s : stack) {
            const ClientId client = s->id.client;
            auto it = clientsRefs.find(client);
            if (it != clientsRefs.end() && !it->second.refs.empty()) {
                ClientRefs &inapplicable = it->second;
                // The struct on the stack was taken from this client's refs: put it back.
                inapplicable.i--;
                // Copies, as Yjs' slice shares the objects: a later stack entry of the same
                // client may still be one of them.
                rest[client] = std::vector<StructRef>(
                        inapplicable.refs.begin() + static_cast<ptrdiff_t>(inapplicable.i),
                        inapplicable.refs.end());
                // Empty the entry (curTarget may still point at it, as in Yjs) without
                // destroying the structs the stack points to.
                retired.push_back(std::move(inapplicable.refs));
                inapplicable.refs = {};
                inapplicable.i = 0;
            } else {
                rest[client] = {*s};
            }
            std::erase(ids, client);
        }
        stack.clear();
    };

    StructRef *stackHead = &curTarget->refs[curTarget->i++];
    while (true) {
        if (stackHead->ref != ContentRef::Skip) {
            const Clock local = localState(stackHead->id.client);
            if (local < stackHead->id.clock) {
                // A gap in this client's own clock range.
                stack.push_back(stackHead);
                updateMissing(stackHead->id.client, stackHead->id.clock - 1);
                addStackToRest();
            } else {
                const uint64_t offset = local - stackHead->id.clock;
                Integrator integrator(tr);
                if (auto dep = integrator.missing(*stackHead)) {
                    stack.push_back(stackHead);
                    auto it = clientsRefs.find(*dep);
                    if (it == clientsRefs.end() || it->second.i == it->second.refs.size()) {
                        // Depends on an update we have not received yet.
                        updateMissing(*dep, store.state(*dep));
                        addStackToRest();
                    } else {
                        stackHead = &it->second.refs[it->second.i++];
                        continue;
                    }
                } else if (offset == 0 || offset < stackHead->length) {
                    const ClientId client = stackHead->id.client;
                    const Clock end = stackHead->id.clock + stackHead->length;
                    integrator.integrate(*stackHead, offset);
                    state[client] = end;
                } else {
                    // Already known. Yjs still resolves its neighbours (getMissing), which
                    // splits them; the byte-identical store depends on doing the same.
                    integrator.splitNeighbours(*stackHead);
                }
            }
        }
        if (!stack.empty()) {
            stackHead = stack.back();
            stack.pop_back();
        } else if (curTarget && curTarget->i < curTarget->refs.size()) {
            stackHead = &curTarget->refs[curTarget->i++];
        } else {
            curTarget = nextTarget();
            if (!curTarget) {
                break;
            }
            stackHead = &curTarget->refs[curTarget->i++];
        }
    }
    if (rest.empty()) {
        return std::nullopt;
    }
    // Encode the rest like writeClientsStructs(restStore, {}): clients descending, from clock 0.
    Encoder e;
    e.writeVarUint(rest.size());
    for (auto it = rest.rbegin(); it != rest.rend(); ++it) {
        e.writeVarUint(it->second.size());
        e.writeVarUint(it->first);
        e.writeVarUint(it->second.front().id.clock);
        for (const auto &s : it->second) {
            s.write(e, 0);
        }
    }
    e.writeVarUint(0);
    return StructStore::PendingStructs {std::move(missingSv), e.take()};
}

/// Yjs' readAndApplyDeleteSet: applies what is known, returns the rest as an update.
std::optional<std::vector<uint8_t>> applyDeleteSet(Transaction &tr, const DeleteSet &ds)
{
    StructStore &store = tr.doc.store();
    DeleteSet unapplied;
    for (const auto &[client, ranges] : ds.clients()) {
        const Clock state = store.state(client);
        for (const auto &r : ranges) {
            const Clock clock = r.clock;
            const Clock clockEnd = r.clock + r.length;
            if (clock < state) {
                if (state < clockEnd) {
                    unapplied.add(client, state, clockEnd - state);
                }
                auto &structs = *store.structs(client);
                size_t index = StructStore::findIndex(structs, clock);
                Item *s = structs[index];
                if (!s->deleted() && s->id.clock < clock) {
                    store.splitItem(tr, s, clock - s->id.clock);
                    ++index;
                }
                while (index < structs.size()) {
                    s = structs[index++];
                    if (s->id.clock >= clockEnd) {
                        break;
                    }
                    if (!s->deleted()) {
                        if (clockEnd < s->endClock()) {
                            store.splitItem(tr, s, clockEnd - s->id.clock);
                        }
                        deleteItem(tr, s);
                    }
                }
            } else {
                unapplied.add(client, clock, clockEnd - clock);
            }
        }
    }
    if (unapplied.empty()) {
        return std::nullopt;
    }
    Encoder e;
    e.writeVarUint(0);
    unapplied.encode(e);
    return e.take();
}

} // namespace

// ---------------------------------------------------------------------------------------------
// Doc

Doc::Doc(ClientId clientId, bool gc) : m_clientId(clientId), m_gc(gc) { }

Doc::~Doc() = default;

ClientId Doc::generateClientId()
{
    static thread_local std::mt19937 rng {std::random_device {}()};
    return std::uniform_int_distribution<uint32_t> {}(rng);
}

Branch *Doc::createBranch(TypeRef type)
{
    m_branches.push_back(std::make_unique<Branch>(this, type));
    return m_branches.back().get();
}

Branch *Doc::root(std::string_view name)
{
    auto it = m_roots.find(name);
    if (it != m_roots.end()) {
        return it->second;
    }
    Branch *b = createBranch(TypeRef::Unknown);
    b->setRootName(std::string(name));
    m_roots.emplace(std::string(name), b);
    return b;
}

Branch *Doc::findRoot(std::string_view name) const
{
    auto it = m_roots.find(name);
    return it == m_roots.end() ? nullptr : it->second;
}

namespace {
Branch *typedRoot(Doc &doc, std::string_view name, TypeRef type)
{
    Branch *b = doc.root(name);
    if (b->typeRef() == TypeRef::Unknown) {
        b->setTypeRef(type);
    }
    return b;
}
} // namespace

Text Doc::getText(std::string_view name)
{
    return Text(typedRoot(*this, name, TypeRef::Text));
}

Map Doc::getMap(std::string_view name)
{
    return Map(typedRoot(*this, name, TypeRef::Map));
}

Array Doc::getArray(std::string_view name)
{
    return Array(typedRoot(*this, name, TypeRef::Array));
}

Transaction &Doc::begin(Origin origin, bool local)
{
    if (m_current) {
        return *m_current;
    }
    if (m_spareTransactions.empty()) {
        m_current = std::make_unique<Transaction>(*this, origin, local);
    } else {
        m_current = std::move(m_spareTransactions.back());
        m_spareTransactions.pop_back();
        m_current->reset(origin, local);
    }
    m_current->beforeState = m_store.stateVector();
    m_current->isOuter = true;
    return *m_current;
}

void Doc::end(Transaction &tr)
{
    if (!tr.isOuter || m_current.get() != &tr) {
        return;
    }
    tr.isOuter = false;
    m_cleanupQueue.push_back(std::move(m_current));
    if (!m_cleaningUp) {
        cleanup();
    }
}

void Doc::cleanup()
{
    m_cleaningUp = true;
    // Transactions started by observers are queued and cleaned up one after another.
    for (size_t i = 0; i < m_cleanupQueue.size(); ++i) {
        cleanupTransaction(*m_cleanupQueue[i]);
    }
    for (auto &tr : m_cleanupQueue) {
        if (m_spareTransactions.size() < 4) {
            m_spareTransactions.push_back(std::move(tr));
        }
    }
    m_cleanupQueue.clear();
    m_cleaningUp = false;
}

namespace {

/// Yjs' tryToMergeWithLefts: merges structs[pos] into its left neighbours; returns how many
/// structs were removed. Removed items are released after the whole cleanup.
size_t tryToMergeWithLefts(StructStore::Structs &structs, size_t pos, std::vector<Item *> &released)
{
    size_t i = pos;
    for (; i > 0; --i) {
        Item *right = structs[i];
        Item *left = structs[i - 1];
        if (left->deleted() == right->deleted() && left->isGc() == right->isGc()
            && mergeItems(left, right)) {
            if (right->parentSub) {
                auto it = right->parent->map.find(*right->parentSub);
                if (it != right->parent->map.end() && it->second == right) {
                    it->second = left;
                }
            }
            released.push_back(right);
            continue;
        }
        break;
    }
    const size_t merged = pos - i;
    if (merged) {
        structs.erase(pos + 1 - merged, pos + 1);
    }
    return merged;
}

} // namespace

void Doc::cleanupTransaction(Transaction &tr)
{
    tr.deleteSet.sortAndMerge();
    tr.afterState = m_store.stateVector();

    // Observers of changed types (skipping types deleted in this transaction).
    for (auto &[type, changes] : tr.changed) {
        if (type->isDeleted()) {
            continue;
        }
        if (!tr.local && type->typeRef() == TypeRef::Text && type->hasFormatting) {
            tr.needFormattingCleanup = true;
        }
        if (!tr.local) {
            type->clearMarkers();
        }
        for (size_t i = 0; i < m_typeSubs.size(); ++i) {
            if (m_typeSubs[i].type == type) {
                auto fn = m_typeSubs[i].fn; // a copy: observers may unsubscribe
                fn(tr, *type, changes);
            }
        }
    }
    for (size_t i = 0; i < m_txSubs.size(); ++i) {
        auto fn = m_txSubs[i].fn;
        fn(tr);
    }
    if (tr.needFormattingCleanup) {
        cleanupTextAfterTransaction(tr);
    }

    // Garbage collection: deleted content is dropped, only ids and lengths stay.
    std::vector<Item *> &released = m_released;
    released.clear();
    auto &ds = tr.deleteSet;
    if (m_gc) {
        for (const auto &[client, ranges] : ds.clients()) {
            auto *structs = m_store.structs(client);
            if (!structs) {
                continue;
            }
            for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) {
                const Clock end = r->clock + r->length;
                for (size_t si = StructStore::findIndex(*structs, r->clock); si < structs->size();
                     ++si) {
                    Item *s = (*structs)[si];
                    if (s->id.clock >= end) {
                        break;
                    }
                    if (!s->isGc() && s->deleted() && !s->keep()) {
                        gcItem(s, false);
                    }
                }
            }
        }
    }
    // Merge deleted / collected structs, right to left.
    for (const auto &[client, ranges] : ds.clients()) {
        auto *structs = m_store.structs(client);
        if (!structs) {
            continue;
        }
        for (auto r = ranges.rbegin(); r != ranges.rend(); ++r) {
            auto si = static_cast<int64_t>(
                    std::min(structs->size() - 1,
                             1 + StructStore::findIndex(*structs, r->clock + r->length - 1)));
            while (si > 0 && (*structs)[size_t(si)]->id.clock >= r->clock) {
                si -= 1 + static_cast<int64_t>(tryToMergeWithLefts(*structs, size_t(si), released));
            }
        }
    }
    // Merge the structs of every client whose state advanced.
    for (const auto &[client, clock] : tr.afterState.entries()) {
        const Clock before = tr.beforeState.get(client);
        if (before != clock) {
            auto &structs = *m_store.structs(client);
            const size_t firstChange = std::max<size_t>(StructStore::findIndex(structs, before), 1);
            for (size_t i = structs.size() - 1; i >= firstChange;) {
                const size_t step = 1 + tryToMergeWithLefts(structs, i, released);
                if (i < step) {
                    break;
                }
                i -= step;
            }
        }
    }
    // Merge items created by splits.
    for (size_t k = tr.mergeStructs.size(); k-- > 0;) {
        const Id id = tr.mergeStructs[k]->id;
        auto &structs = *m_store.structs(id.client);
        const size_t pos = StructStore::findIndex(structs, id.clock);
        if (pos + 1 < structs.size() && tryToMergeWithLefts(structs, pos + 1, released) > 1) {
            continue;
        }
        if (pos > 0) {
            tryToMergeWithLefts(structs, pos, released);
        }
    }
    // Another peer used our client id: pick a new one (Yjs does the same).
    if (!tr.local && tr.afterState.get(m_clientId) != tr.beforeState.get(m_clientId)) {
        m_clientId = generateClientId();
    }
    // The update event.
    if (!m_updateSubs.empty()) {
        bool changedState = false;
        for (const auto &[client, clock] : tr.afterState.entries()) {
            if (tr.beforeState.get(client) != clock) {
                changedState = true;
                break;
            }
        }
        if (changedState || !tr.deleteSet.empty()) {
            Encoder &e = m_updateEncoder;
            e.clear();
            writeClientsStructs(e, m_store, tr.beforeState);
            tr.deleteSet.encode(e);
            const auto &bytes = e.data();
            for (size_t i = 0; i < m_updateSubs.size(); ++i) {
                auto fn = m_updateSubs[i].fn;
                fn(bytes, tr);
            }
        }
    }
    for (Item *item : released) {
        m_store.release(item);
    }
}

DecodeError Doc::applyUpdate(std::span<const uint8_t> update, Origin origin)
{
    DecodeError error;
    auto decoded = decodeUpdate(update, &error);
    if (!decoded) {
        return error;
    }
    Transaction &tr = begin(origin, false);
    readUpdate(tr, *decoded);
    end(tr);
    return {};
}

void Doc::readUpdate(Transaction &tr, DecodedUpdate &update)
{
    bool retry = false;
    auto rest = integrateStructs(tr, update);
    auto &pending = m_store.pendingStructs;
    if (pending) {
        for (const auto &[client, clock] : pending->missing) {
            if (clock < m_store.state(client)) {
                retry = true;
                break;
            }
        }
        if (rest) {
            for (const auto &[client, clock] : rest->missing) {
                auto it = pending->missing.find(client);
                if (it == pending->missing.end() || it->second > clock) {
                    pending->missing[client] = clock;
                }
            }
            pending->update = *mergeUpdates({pending->update, rest->update});
        }
    } else {
        pending = std::move(rest);
    }
    auto dsRest = applyDeleteSet(tr, update.deleteSet);
    if (m_store.pendingDs) {
        auto pendingDs = decodeUpdate(*m_store.pendingDs);
        auto dsRest2 = applyDeleteSet(tr, pendingDs->deleteSet);
        if (dsRest && dsRest2) {
            m_store.pendingDs = *mergeUpdates({*dsRest, *dsRest2});
        } else {
            m_store.pendingDs = dsRest ? std::move(dsRest) : std::move(dsRest2);
        }
    } else {
        m_store.pendingDs = std::move(dsRest);
    }
    if (retry) {
        std::vector<uint8_t> again = std::move(pending->update);
        pending.reset();
        auto decoded = decodeUpdate(again);
        readUpdate(tr, *decoded);
    }
}

std::vector<uint8_t> Doc::encodeStateAsUpdate(const StateVector &target) const
{
    Encoder e;
    writeClientsStructs(e, m_store, target);
    m_store.deleteSet().encode(e);
    if (!m_store.pendingDs && !m_store.pendingStructs) {
        return e.take();
    }
    std::vector<std::vector<uint8_t>> parts;
    parts.push_back(e.take());
    if (m_store.pendingDs) {
        parts.push_back(*m_store.pendingDs);
    }
    if (m_store.pendingStructs) {
        parts.push_back(*diffUpdate(m_store.pendingStructs->update, target.encode()));
    }
    std::vector<std::span<const uint8_t>> spans(parts.begin(), parts.end());
    return *mergeUpdates(spans);
}

std::optional<std::vector<uint8_t>> Doc::encodeStateAsUpdate(std::span<const uint8_t> encodedTarget,
                                                             DecodeError *error) const
{
    auto sv = StateVector::decode(encodedTarget, error);
    if (!sv) {
        return std::nullopt;
    }
    return encodeStateAsUpdate(*sv);
}

SubscriptionId Doc::onUpdate(UpdateHandler handler)
{
    m_updateSubs.push_back({m_nextSub, std::move(handler)});
    return m_nextSub++;
}

SubscriptionId Doc::onAfterTransaction(TransactionHandler handler)
{
    m_txSubs.push_back({m_nextSub, std::move(handler)});
    return m_nextSub++;
}

SubscriptionId Doc::observe(Branch *type, TypeObserver observer)
{
    m_typeSubs.push_back({m_nextSub, type, std::move(observer)});
    return m_nextSub++;
}

void Doc::unsubscribe(SubscriptionId id)
{
    std::erase_if(m_updateSubs, [id](const auto &s) { return s.id == id; });
    std::erase_if(m_txSubs, [id](const auto &s) { return s.id == id; });
    std::erase_if(m_typeSubs, [id](const auto &s) { return s.id == id; });
}

std::string Doc::checkIntegrity() const
{
    std::string err = m_store.checkIntegrity();
    if (!err.empty()) {
        return err;
    }
    for (const auto &b : m_branches) {
        if (b->item() && b->item()->isGc()) {
            continue;
        }
        uint64_t len = 0;
        const Item *prev = nullptr;
        for (const Item *it = b->start; it; it = it->right) {
            if (it->parent != b.get()) {
                return "item linked into a foreign list";
            }
            if (it->left != prev) {
                return "list links are inconsistent";
            }
            if (it->visible()) {
                len += it->length;
            }
            prev = it;
        }
        if (len != b->length) {
            return "type length " + std::to_string(b->length) + " differs from its items' "
                    + std::to_string(len);
        }
        for (const auto &m : b->markers) {
            if (!m.item) {
                continue;
            }
            uint64_t idx = 0;
            const Item *it = b->start;
            for (; it && it != m.item; it = it->right) {
                if (it->visible()) {
                    idx += it->length;
                }
            }
            if (!it) {
                return "position cache points outside its type";
            }
            if (idx != m.index) {
                return "position cache index is stale";
            }
        }
    }
    return {};
}

} // namespace Tandem::Crdt
