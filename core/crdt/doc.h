// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/structstore.h"
#include "core/crdt/transaction.h"
#include "core/encoding/decoder.h"
#include "core/encoding/encoder.h"

#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace Tandem::Crdt {

class Array;
class Branch;
class Map;
class Text;
struct StructRef;

using SubscriptionId = uint64_t;
/// Receives the v1 update of a committed transaction (what a provider sends to peers).
using UpdateHandler = std::function<void(std::span<const uint8_t> update, const Transaction &tr)>;
using TransactionHandler = std::function<void(Transaction &tr)>;
/// Called after a transaction that changed @p type; `changes` tells what changed.
using TypeObserver
        = std::function<void(Transaction &tr, Branch &type, const Transaction::Changes &changes)>;

/// A Yjs-compatible document: named root types, a struct store and transactions.
/// Not thread-safe; use it from one thread (Qt's main thread in the app and server).
class Doc
{
public:
    explicit Doc(ClientId clientId = generateClientId(), bool gc = true);
    ~Doc();
    Doc(const Doc &) = delete;
    Doc &operator=(const Doc &) = delete;

    /// A random 32-bit client id, as Yjs makes them.
    static ClientId generateClientId();

    ClientId clientId() const { return m_clientId; }
    void setClientId(ClientId id) { m_clientId = id; }
    bool gcEnabled() const { return m_gc; }
    void setGcEnabled(bool on) { m_gc = on; }

    Text getText(std::string_view name);
    Map getMap(std::string_view name);
    Array getArray(std::string_view name);
    /// Root type by name, creating an untyped placeholder if needed (Yjs' doc.get()).
    Branch *root(std::string_view name);
    /// Root type by name, or nullptr.
    Branch *findRoot(std::string_view name) const;
    const std::map<std::string, Branch *, std::less<>> &roots() const { return m_roots; }

    /// Runs @p f(Transaction&) in a transaction. Nested calls join the outer transaction;
    /// observers and the update event run when the outermost one ends.
    template<class F> void transact(F &&f, Origin origin = nullptr)
    {
        Transaction &tr = begin(origin, true);
        f(tr);
        end(tr);
    }
    /// The transaction in progress, if any.
    Transaction *currentTransaction() const { return m_current.get(); }

    /// Applies a v1 update. Malformed input changes nothing and is reported; updates whose
    /// dependencies are missing are kept pending and applied once they arrive.
    Encoding::DecodeError applyUpdate(std::span<const uint8_t> update, Origin origin = nullptr);
    /// The document as one v1 update, or only what a peer at @p target is missing.
    std::vector<uint8_t> encodeStateAsUpdate(const StateVector &target = {}) const;
    /// Same with an encoded state vector; empty optional if it is malformed.
    std::optional<std::vector<uint8_t>> encodeStateAsUpdate(std::span<const uint8_t> encodedTarget,
                                                            Encoding::DecodeError *error
                                                            = nullptr) const;
    const StateVector &stateVector() const { return m_store.stateVector(); }
    std::vector<uint8_t> encodeStateVector() const { return m_store.stateVector().encode(); }
    bool hasPendingStructs() const { return m_store.pendingStructs.has_value(); }
    bool hasPendingDeleteSet() const { return m_store.pendingDs.has_value(); }

    SubscriptionId onUpdate(UpdateHandler handler);
    /// Runs after observers, before garbage collection (the undo manager's hook).
    SubscriptionId onAfterTransaction(TransactionHandler handler);
    SubscriptionId observe(Branch *type, TypeObserver observer);
    void unsubscribe(SubscriptionId id);

    StructStore &store() { return m_store; }
    const StructStore &store() const { return m_store; }

    /// Store and type invariants; empty when all hold (used by tests after every step).
    std::string checkIntegrity() const;

    // ---- building blocks for the shared types (see sequence.h) ----
    Transaction &begin(Origin origin, bool local);
    void end(Transaction &tr);
    /// Creates a new branch owned by this document.
    Branch *createBranch(TypeRef type);

private:
    friend class Integrator;

    void cleanup();
    void cleanupTransaction(Transaction &tr);
    void readUpdate(Transaction &tr, struct DecodedUpdate &update);

    ClientId m_clientId;
    bool m_gc;
    StructStore m_store;
    std::vector<std::unique_ptr<Branch>> m_branches;
    std::map<std::string, Branch *, std::less<>> m_roots;
    std::unique_ptr<Transaction> m_current;
    std::vector<std::unique_ptr<Transaction>> m_cleanupQueue;
    std::vector<std::unique_ptr<Transaction>> m_spareTransactions;
    std::vector<Item *> m_released; ///< scratch for cleanupTransaction
    Encoding::Encoder m_updateEncoder; ///< scratch for update events (keeps its capacity)
    bool m_cleaningUp = false;

    struct UpdateSub
    {
        SubscriptionId id;
        UpdateHandler fn;
    };
    struct TxSub
    {
        SubscriptionId id;
        TransactionHandler fn;
    };
    struct TypeSub
    {
        SubscriptionId id;
        Branch *type;
        TypeObserver fn;
    };
    std::vector<UpdateSub> m_updateSubs;
    std::vector<TxSub> m_txSubs;
    std::vector<TypeSub> m_typeSubs;
    SubscriptionId m_nextSub = 1;
};

} // namespace Tandem::Crdt
