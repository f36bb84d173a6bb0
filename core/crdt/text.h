// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/doc.h"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace Tandem::Crdt {

class Branch;
class Transaction;

/// Rich-text attributes: key → JSON text of the value ("true", "\"#f00\"", "null" to clear).
/// Keys keep their insertion order, as JavaScript objects and Maps do.
class Attributes
{
public:
    Attributes() = default;
    Attributes(std::initializer_list<std::pair<std::string, std::string>> init)
    {
        for (const auto &[k, v] : init) {
            set(k, v);
        }
    }
    const std::string *get(std::string_view key) const;
    void set(const std::string &key, const std::string &value);
    void erase(std::string_view key);
    bool contains(std::string_view key) const { return get(key) != nullptr; }
    size_t size() const { return m_entries.size(); }
    bool empty() const { return m_entries.empty(); }
    auto begin() const { return m_entries.begin(); }
    auto end() const { return m_entries.end(); }
    bool operator==(const Attributes &) const = default;

private:
    std::vector<std::pair<std::string, std::string>> m_entries;
};

/// One operation of a text change, as an editor applies it (Quill delta semantics).
struct DeltaOp
{
    enum class Kind : uint8_t { Retain, Insert, Delete };
    Kind kind = Kind::Retain;
    uint64_t length = 0; ///< UTF-16 units (retain, delete, and inserts)
    std::u16string text; ///< inserted text (Insert of a string)
    std::string embed; ///< JSON of an inserted embed, or empty; embeds are one unit long
    bool isType = false; ///< an inserted nested type (one unit)
    bool operator==(const DeltaOp &) const = default;
};
using Delta = std::vector<DeltaOp>;

/// A shared text (Yjs' Y.Text). Offsets and lengths are UTF-16 code units, as in Yjs and
/// QString. Format items from rich-text peers are kept (zero width); embeds count one unit.
/// A Text is a handle: cheap to copy, valid as long as its Doc.
class Text
{
public:
    Text() = default;
    explicit Text(Branch *branch) : m_branch(branch) { }

    Branch *branch() const { return m_branch; }
    bool isValid() const { return m_branch != nullptr; }
    uint64_t length() const;
    /// The plain text (embeds and nested types are left out, as in Yjs' toString()).
    std::u16string toString() const;

    /// Inserts @p text at @p index (clamped to the end). Without attributes the text takes
    /// the formatting in effect at the position, as Yjs' insert() does.
    void insert(Transaction &tr, uint64_t index, std::u16string_view text,
                const Attributes *attributes = nullptr);
    void insertEmbed(Transaction &tr, uint64_t index, std::string embedJson,
                     const Attributes &attributes = {});
    /// Removes up to @p length units from @p index (Yjs' delete()).
    void remove(Transaction &tr, uint64_t index, uint64_t length);
    /// Sets @p attributes on [index, index + length) (Yjs' format()).
    void format(Transaction &tr, uint64_t index, uint64_t length, const Attributes &attributes);

    /// Convenience forms that run their own transaction with the given origin.
    void insert(uint64_t index, std::u16string_view text, Origin origin = nullptr);
    void remove(uint64_t index, uint64_t length, Origin origin = nullptr);

    /// Change of this text in transaction @p tr (call from an observer).
    Delta changes(const Transaction &tr) const;
    /// Calls @p f with the delta of every transaction that changes this text.
    SubscriptionId observe(std::function<void(Transaction &, const Delta &)> f) const;

private:
    Branch *m_branch = nullptr;
};

/// Formatting cleanup that JS peers run after remote changes to formatted text
/// (Yjs' cleanupYTextAfterTransaction); Doc calls it so both produce the same updates.
void cleanupTextAfterTransaction(Transaction &tr);

} // namespace Tandem::Crdt
