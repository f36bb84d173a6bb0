// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/deleteset.h"
#include "core/crdt/statevector.h"

#include <set>
#include <string>
#include <vector>

namespace Tandem::Crdt {

class Branch;
class Doc;
struct Item;

/// Who caused a transaction. Compared by identity (a provider passes itself, the undo
/// manager passes itself); nullptr is the default local origin.
using Origin = const void *;

/// A batch of changes. Created by Doc::transact(); on commit it emits observer events and
/// one update event with the v1 bytes of everything it changed.
class Transaction
{
public:
    Transaction(Doc &doc, Origin origin, bool local) : doc(doc), origin(origin), local(local) { }

    /// Makes a finished transaction ready for reuse (Doc pools them: one per edit adds up).
    void reset(Origin o, bool l);

    Doc &doc;
    Origin origin;
    bool local; ///< false while applying a remote update

    StateVector beforeState;
    StateVector afterState;
    DeleteSet deleteSet;

    struct Changes
    {
        bool sequence = false; ///< the list (text, array) changed
        std::set<std::string> keys; ///< map keys that changed
    };
    /// Types whose content changed (only types that existed before the transaction), in the
    /// order they first changed (Yjs keeps a Map, which iterates in insertion order).
    class ChangedTypes
    {
    public:
        using Entry = std::pair<Branch *, Changes>;
        Changes &operator[](Branch *type)
        {
            for (auto &e : m_entries) {
                if (e.first == type) {
                    return e.second;
                }
            }
            return m_entries.emplace_back(type, Changes {}).second;
        }
        void erase(Branch *type)
        {
            std::erase_if(m_entries, [type](const Entry &e) { return e.first == type; });
        }
        bool empty() const { return m_entries.empty(); }
        void clear() { m_entries.clear(); }
        std::vector<Entry>::iterator begin() { return m_entries.begin(); }
        std::vector<Entry>::iterator end() { return m_entries.end(); }
        std::vector<Entry>::const_iterator begin() const { return m_entries.begin(); }
        std::vector<Entry>::const_iterator end() const { return m_entries.end(); }

    private:
        std::vector<Entry> m_entries; // few types change per transaction: a scan beats hashing
    };
    ChangedTypes changed;
    /// Items created by splits, to be merged back where possible.
    std::vector<Item *> mergeStructs;
    /// Set by the text/array API while it maintains the position cache itself.
    bool markersMaintained = false;
    /// A remote change touched formatted text (JS peers then clean up formatting).
    bool needFormattingCleanup = false;
    /// True for the outermost transact() call that owns this transaction.
    bool isOuter = false;

    /// Adds @p type (and the key, if any) to `changed`, as Yjs' addChangedTypeToTransaction.
    void addChangedType(Branch *type, const std::string *parentSub);
    /// True if the item with @p id was created in this transaction.
    bool isNew(Id id) const { return id.clock >= beforeState.get(id.client); }
};

} // namespace Tandem::Crdt
