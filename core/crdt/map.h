// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/content.h"
#include "core/crdt/doc.h"
#include "core/encoding/any.h"

#include <optional>
#include <string>
#include <vector>

namespace Tandem::Crdt {

class Branch;
class Transaction;

/// A value stored in a Map or Array: plain data (lib0 Any) or a nested shared type.
struct Value
{
    Encoding::Any any; ///< the data, when `type` is null
    Branch *type = nullptr; ///< a nested Text/Map/Array
    bool isType() const { return type != nullptr; }
};

/// Kind of a nested type to create inside a Map or Array.
enum class NewType : uint8_t { Text, Map, Array };

/// A shared map (Yjs' Y.Map): string keys, last writer wins per key. A handle.
class Map
{
public:
    Map() = default;
    explicit Map(Branch *branch) : m_branch(branch) { }
    Branch *branch() const { return m_branch; }
    bool isValid() const { return m_branch != nullptr; }

    /// Byte arrays are stored as binary content, everything else as Any (as Yjs does).
    void set(Transaction &tr, const std::string &key, Encoding::Any value);
    /// Stores a new, empty nested type under @p key and returns its branch.
    Branch *setType(Transaction &tr, const std::string &key, NewType type);
    void remove(Transaction &tr, const std::string &key);

    std::optional<Value> get(const std::string &key) const;
    bool has(const std::string &key) const;
    /// Keys with a live value, in the order they were first set (as Yjs iterates them).
    std::vector<std::string> keys() const;
    size_t size() const;

private:
    Branch *m_branch = nullptr;
};

/// The current value of a list/map item at unit @p offset.
Value itemValue(const Item *item, uint64_t offset);
/// Creates the content for a nested type.
Content newTypeContent(NewType type);

} // namespace Tandem::Crdt
