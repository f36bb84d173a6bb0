// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/deleteset.h"
#include "core/crdt/doc.h"

#include <functional>
#include <set>
#include <vector>

namespace Tandem::Crdt {

class Branch;
class Transaction;

/// Undo/redo of the changes made by tracked origins to a set of types (Yjs' UndoManager).
/// Changes by other origins (remote peers) are never undone, and undo stays correct when
/// they interleave: deleted content is re-inserted next to its old neighbours and inserted
/// content is deleted wherever it has moved to. Changes closer together than the capture
/// timeout are merged into one step.
class UndoManager
{
public:
    struct Options
    {
        uint64_t captureTimeoutMs = 500;
        /// Origins whose transactions are recorded; nullptr is the default local origin.
        std::set<Origin> trackedOrigins {nullptr};
        /// Milliseconds since some epoch; injectable for tests.
        std::function<uint64_t()> now;
        bool ignoreRemoteMapChanges = false;
    };

    UndoManager(Doc &doc, std::vector<Branch *> scope);
    UndoManager(Doc &doc, std::vector<Branch *> scope, Options options);
    ~UndoManager();
    UndoManager(const UndoManager &) = delete;
    UndoManager &operator=(const UndoManager &) = delete;

    /// Reverts the newest step; false if there was nothing to undo.
    bool undo();
    bool redo();
    /// The next change starts a new step even within the capture timeout.
    void stopCapturing() { m_lastChange = 0; }
    void clear(bool undoStack = true, bool redoStack = true);
    void addTrackedOrigin(Origin origin) { m_options.trackedOrigins.insert(origin); }

    bool canUndo() const { return !m_undoStack.empty(); }
    bool canRedo() const { return !m_redoStack.empty(); }
    size_t undoStackSize() const { return m_undoStack.size(); }
    size_t redoStackSize() const { return m_redoStack.size(); }
    bool isUndoing() const { return m_undoing; }
    bool isRedoing() const { return m_redoing; }

    struct StackItem
    {
        DeleteSet insertions;
        DeleteSet deletions;
    };

private:
    void afterTransaction(Transaction &tr);
    bool popStackItem(std::vector<StackItem> &stack);
    bool inScope(const Item *item) const;
    Item *redoItem(Transaction &tr, Item *item, const std::vector<Item *> &redoItems,
                   const DeleteSet &itemsToDelete);
    void clearStackItem(Transaction &tr, StackItem &item);

    Doc &m_doc;
    std::vector<Branch *> m_scope;
    Options m_options;
    std::vector<StackItem> m_undoStack;
    std::vector<StackItem> m_redoStack;
    bool m_undoing = false;
    bool m_redoing = false;
    uint64_t m_lastChange = 0;
    SubscriptionId m_subscription = 0;
};

} // namespace Tandem::Crdt
