// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/undomanager.h"

#include "core/crdt/branch.h"
#include "core/crdt/itemops.h"

#include <algorithm>
#include <chrono>

namespace Tandem::Crdt {

namespace {

bool isParentOf(const Branch *parent, const Item *child)
{
    while (child) {
        if (child->parent == parent) {
            return true;
        }
        child = child->parent ? child->parent->item() : nullptr;
    }
    return false;
}

void keepItem(Item *item, bool keep)
{
    while (item && item->keep() != keep) {
        item->setFlag(Item::Keep, keep);
        item = item->parent ? item->parent->item() : nullptr;
    }
}

uint64_t systemNow()
{
    using namespace std::chrono;
    return static_cast<uint64_t>(
            duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count());
}

} // namespace

UndoManager::UndoManager(Doc &doc, std::vector<Branch *> scope)
    : UndoManager(doc, std::move(scope), Options {})
{ }

UndoManager::UndoManager(Doc &doc, std::vector<Branch *> scope, Options options)
    : m_doc(doc), m_scope(std::move(scope)), m_options(std::move(options))
{
    if (!m_options.now) {
        m_options.now = systemNow;
    }
    m_options.trackedOrigins.insert(this);
    m_subscription = m_doc.onAfterTransaction([this](Transaction &tr) { afterTransaction(tr); });
}

UndoManager::~UndoManager()
{
    m_doc.unsubscribe(m_subscription);
}

bool UndoManager::inScope(const Item *item) const
{
    return std::any_of(m_scope.begin(), m_scope.end(),
                       [item](const Branch *t) { return isParentOf(t, item); });
}

void UndoManager::afterTransaction(Transaction &tr)
{
    if (!m_options.trackedOrigins.count(tr.origin)) {
        return;
    }
    // Only transactions that changed something inside the scope count.
    bool touched = false;
    for (const auto &[type, changes] : tr.changed) {
        if (type->isDeleted()) {
            continue;
        }
        for (const Branch *t = type; t && !touched; t = t->item() ? t->item()->parent : nullptr) {
            touched = std::find(m_scope.begin(), m_scope.end(), t) != m_scope.end();
        }
        if (touched) {
            break;
        }
    }
    if (!touched) {
        return;
    }
    const bool undoing = m_undoing;
    const bool redoing = m_redoing;
    std::vector<StackItem> &stack = undoing ? m_redoStack : m_undoStack;
    if (undoing) {
        stopCapturing();
    } else if (!redoing) {
        clear(false, true);
    }
    DeleteSet insertions;
    for (const auto &[client, end] : tr.afterState.entries()) {
        const Clock start = tr.beforeState.get(client);
        if (end > start) {
            insertions.add(client, start, end - start);
        }
    }
    const uint64_t now = m_options.now();
    if (m_lastChange > 0 && now - m_lastChange < m_options.captureTimeoutMs && !stack.empty()
        && !undoing && !redoing) {
        StackItem &last = stack.back();
        last.deletions = DeleteSet::merge({&last.deletions, &tr.deleteSet});
        last.insertions = DeleteSet::merge({&last.insertions, &insertions});
    } else {
        stack.push_back({std::move(insertions), tr.deleteSet});
    }
    if (!undoing && !redoing) {
        m_lastChange = now;
    }
    // Deleted content must survive garbage collection so that it can be restored.
    iterateDeletedStructs(tr, m_doc.store(), tr.deleteSet, [this](Item *item) {
        if (!item->isGc() && inScope(item)) {
            keepItem(item, true);
        }
    });
}

void UndoManager::clearStackItem(Transaction &tr, StackItem &item)
{
    iterateDeletedStructs(tr, m_doc.store(), item.deletions, [this](Item *i) {
        if (!i->isGc() && inScope(i)) {
            keepItem(i, false);
        }
    });
}

void UndoManager::clear(bool undoStack, bool redoStack)
{
    if ((undoStack && canUndo()) || (redoStack && canRedo())) {
        m_doc.transact([&](Transaction &tr) {
            if (undoStack) {
                for (auto &i : m_undoStack) {
                    clearStackItem(tr, i);
                }
                m_undoStack.clear();
            }
            if (redoStack) {
                for (auto &i : m_redoStack) {
                    clearStackItem(tr, i);
                }
                m_redoStack.clear();
            }
        });
    }
}

bool UndoManager::undo()
{
    m_undoing = true;
    const bool done = popStackItem(m_undoStack);
    m_undoing = false;
    return done;
}

bool UndoManager::redo()
{
    m_redoing = true;
    const bool done = popStackItem(m_redoStack);
    m_redoing = false;
    return done;
}

Item *UndoManager::redoItem(Transaction &tr, Item *item, const std::vector<Item *> &redoItems,
                            const DeleteSet &itemsToDelete)
{
    StructStore &store = m_doc.store();
    if (auto redone = store.redone(item)) {
        return store.getItemCleanStart(tr, *redone);
    }
    Item *parentItem = item->parent->item();
    if (parentItem && parentItem->deleted()) {
        // The parent must be redone first (if it is going to be redone at all).
        if (!store.redone(parentItem)
            && (std::find(redoItems.begin(), redoItems.end(), parentItem) == redoItems.end()
                || !redoItem(tr, parentItem, redoItems, itemsToDelete))) {
            return nullptr;
        }
        while (auto r = store.redone(parentItem)) {
            parentItem = store.getItemCleanStart(tr, *r);
        }
    }
    Branch *parentType
            = parentItem ? parentItem->content.rare<ContentType>()->branch : item->parent;
    auto holderOf = [](const Item *i) { return i->parent ? i->parent->item() : nullptr; };
    auto trace = [&](Item *i) -> Item * {
        while (i && holderOf(i) != parentItem) {
            auto r = store.redone(i);
            i = r ? store.getItemCleanStart(tr, *r) : nullptr;
        }
        return i;
    };
    Item *left = nullptr;
    Item *right = nullptr;
    if (!item->parentSub) {
        left = item->left;
        right = item;
        while (left) {
            if (Item *t = trace(left)) {
                left = t;
                break;
            }
            left = left->left;
        }
        while (right) {
            if (Item *t = trace(right)) {
                right = t;
                break;
            }
            right = right->right;
        }
    } else {
        auto deletedByStack = [](const std::vector<StackItem> &stack, Id id) {
            return std::any_of(stack.begin(), stack.end(),
                               [id](const StackItem &s) { return s.deletions.contains(id); });
        };
        if (item->right && !m_options.ignoreRemoteMapChanges) {
            left = item;
            while (left && left->right
                   && (store.redone(left->right) || itemsToDelete.contains(left->right->id)
                       || deletedByStack(m_undoStack, left->right->id)
                       || deletedByStack(m_redoStack, left->right->id))) {
                left = left->right;
                while (auto r = store.redone(left)) {
                    left = store.getItemCleanStart(tr, *r);
                }
            }
            if (left && left->right) {
                // Someone else changed this key since: redoing would overwrite their value.
                return nullptr;
            }
        } else {
            auto it = parentType->map.find(*item->parentSub);
            left = it == parentType->map.end() ? nullptr : it->second;
        }
        if (left && holderOf(left) != parentItem) {
            auto it = parentType->map.find(*item->parentSub);
            left = it == parentType->map.end() ? nullptr : it->second;
        }
    }
    const ClientId own = m_doc.clientId();
    const Id nextId {own, store.state(own)};
    const std::string *parentSub
            = item->parentSub ? internKey(parentType, *item->parentSub) : nullptr;
    Content copy = item->content.clone();
    store.setRedone(item, nextId);
    Item *redone
            = insertLocalItem(tr, parentType, left, right, parentSub, item->ref, std::move(copy));
    keepItem(redone, true);
    return redone;
}

bool UndoManager::popStackItem(std::vector<StackItem> &stack)
{
    StructStore &store = m_doc.store();
    std::optional<StackItem> result;
    m_doc.transact(
            [&](Transaction &tr) {
                while (!stack.empty() && !result) {
                    StackItem stackItem = std::move(stack.back());
                    stack.pop_back();
                    std::vector<Item *> itemsToRedo;
                    std::vector<Item *> itemsToDelete;
                    bool performedChange = false;
                    iterateDeletedStructs(tr, store, stackItem.insertions, [&](Item *s) {
                        if (s->isGc()) {
                            return;
                        }
                        if (store.redone(s)) {
                            uint64_t diff = 0;
                            Item *item = store.followRedone(s->id, diff);
                            if (diff > 0) {
                                item = store.getItemCleanStart(
                                        tr, {item->id.client, item->id.clock + diff});
                            }
                            s = item;
                        }
                        if (!s->isGc() && !s->deleted() && inScope(s)) {
                            itemsToDelete.push_back(s);
                        }
                    });
                    iterateDeletedStructs(tr, store, stackItem.deletions, [&](Item *s) {
                        if (!s->isGc() && inScope(s) && !stackItem.insertions.contains(s->id)
                            && std::find(itemsToRedo.begin(), itemsToRedo.end(), s)
                                    == itemsToRedo.end()) {
                            itemsToRedo.push_back(s);
                        }
                    });
                    for (Item *s : itemsToRedo) {
                        performedChange
                                = redoItem(tr, s, itemsToRedo, stackItem.insertions) != nullptr
                                || performedChange;
                    }
                    for (auto it = itemsToDelete.rbegin(); it != itemsToDelete.rend(); ++it) {
                        deleteItem(tr, *it);
                        performedChange = true;
                    }
                    if (performedChange) {
                        result = std::move(stackItem);
                    }
                }
                for (auto &[type, changes] : tr.changed) {
                    if (changes.sequence) {
                        type->clearMarkers();
                    }
                }
            },
            this);
    return result.has_value();
}

} // namespace Tandem::Crdt
