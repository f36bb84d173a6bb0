// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/map.h"

#include <vector>

namespace Tandem::Crdt {

/// A shared list (Yjs' Y.Array) of plain values and nested types. A handle.
class Array
{
public:
    Array() = default;
    explicit Array(Branch *branch) : m_branch(branch) { }
    Branch *branch() const { return m_branch; }
    bool isValid() const { return m_branch != nullptr; }

    uint64_t length() const;
    /// Inserts @p values at @p index (≤ length). Consecutive plain values share one item.
    void insert(Transaction &tr, uint64_t index, std::vector<Encoding::Any> values);
    Branch *insertType(Transaction &tr, uint64_t index, NewType type);
    void remove(Transaction &tr, uint64_t index, uint64_t length);
    std::vector<Value> values() const;

private:
    Item *itemBefore(Transaction &tr, uint64_t index);
    Branch *m_branch = nullptr;
};

} // namespace Tandem::Crdt
