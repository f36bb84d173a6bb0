// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/text.h"

#include "core/crdt/branch.h"
#include "core/crdt/doc.h"
#include "core/crdt/itemops.h"

#include <map>
#include <vector>

namespace Tandem::Crdt {

const std::string *Attributes::get(std::string_view key) const
{
    for (const auto &[k, v] : m_entries) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

void Attributes::set(const std::string &key, const std::string &value)
{
    for (auto &[k, v] : m_entries) {
        if (k == key) {
            v = value;
            return;
        }
    }
    m_entries.emplace_back(key, value);
}

void Attributes::erase(std::string_view key)
{
    std::erase_if(m_entries, [&](const auto &e) { return e.first == key; });
}

namespace {

const std::string nullJson = "null";

const std::string &valueOr(const Attributes &a, std::string_view key)
{
    const std::string *v = a.get(key);
    return v ? *v : nullJson;
}

const ContentFormat *formatOf(const Item *item)
{
    return item->ref == ContentRef::Format ? item->content.rare<ContentFormat>() : nullptr;
}

void updateCurrentAttributes(Attributes &attrs, const ContentFormat &f)
{
    if (f.value == nullJson) {
        attrs.erase(f.key);
    } else {
        attrs.set(f.key, f.value);
    }
}

/// Yjs' ItemTextListPosition: a cursor between `left` and `right` at visible `index`, with
/// the formatting in effect there.
struct TextPos
{
    Item *left = nullptr;
    Item *right = nullptr;
    uint64_t index = 0;
    Attributes attrs;

    void forward()
    {
        if (const auto *f = formatOf(right)) {
            if (!right->deleted()) {
                updateCurrentAttributes(attrs, *f);
            }
        } else if (!right->deleted()) {
            index += right->length;
        }
        left = right;
        right = right->right;
    }
};

void findNextPosition(Transaction &tr, TextPos &pos, uint64_t count)
{
    StructStore &store = tr.doc.store();
    while (pos.right && count > 0) {
        if (const auto *f = formatOf(pos.right)) {
            if (!pos.right->deleted()) {
                updateCurrentAttributes(pos.attrs, *f);
            }
        } else if (!pos.right->deleted()) {
            if (count < pos.right->length) {
                store.getItemCleanStart(tr, {pos.right->id.client, pos.right->id.clock + count});
            }
            pos.index += pos.right->length;
            count -= pos.right->length;
        }
        pos.left = pos.right;
        pos.right = pos.right->right;
    }
}

TextPos findPosition(Transaction &tr, Branch *parent, uint64_t index, bool useMarkers)
{
    TextPos pos;
    pos.right = parent->start;
    if (useMarkers && !parent->hasFormatting) {
        const auto m = parent->findMarker(index);
        if (m.item) {
            pos.left = m.item->left;
            pos.right = m.item;
            pos.index = m.index;
        }
    }
    findNextPosition(tr, pos, index - pos.index);
    return pos;
}

void minimizeAttributeChanges(TextPos &pos, const Attributes &attributes)
{
    while (pos.right) {
        const auto *f = formatOf(pos.right);
        if (pos.right->deleted() || (f && valueOr(attributes, f->key) == f->value)) {
            pos.forward();
        } else {
            break;
        }
    }
}

Item *insertAt(Transaction &tr, Branch *parent, TextPos &pos, ContentRef ref, Content content)
{
    return insertLocalItem(tr, parent, pos.left, pos.right, nullptr, ref, std::move(content));
}

Attributes insertAttributes(Transaction &tr, Branch *parent, TextPos &pos,
                            const Attributes &attributes)
{
    Attributes negated;
    for (const auto &[key, value] : attributes) {
        const std::string &current = valueOr(pos.attrs, key);
        if (current != value) {
            negated.set(key, current);
            pos.right = insertAt(tr, parent, pos, ContentRef::Format, ContentFormat {key, value});
            pos.forward();
        }
    }
    return negated;
}

void insertNegatedAttributes(Transaction &tr, Branch *parent, TextPos &pos, Attributes &negated)
{
    while (pos.right) {
        const auto *f = formatOf(pos.right);
        const bool skip = pos.right->deleted()
                || (f && negated.get(f->key) && *negated.get(f->key) == f->value);
        if (!skip) {
            break;
        }
        if (!pos.right->deleted()) {
            negated.erase(f->key);
        }
        pos.forward();
    }
    for (const auto &[key, value] : negated) {
        pos.right = insertAt(tr, parent, pos, ContentRef::Format, ContentFormat {key, value});
        pos.forward();
    }
}

void insertText(Transaction &tr, Branch *parent, TextPos &pos, ContentRef ref, Content content,
                Attributes attributes)
{
    for (const auto &[key, value] : pos.attrs) {
        if (!attributes.contains(key)) {
            attributes.set(key, nullJson);
        }
    }
    minimizeAttributeChanges(pos, attributes);
    Attributes negated = insertAttributes(tr, parent, pos, attributes);
    const uint64_t len = contentLength(ref, content);
    const uint64_t index = pos.index;
    const bool markers = !parent->hasFormatting;
    if (markers) {
        parent->shiftMarkers(index, static_cast<int64_t>(len));
    }
    Item *item = insertAt(tr, parent, pos, ref, std::move(content));
    if (markers && !parent->hasFormatting && item->visible()) {
        parent->rememberMarker(item, index);
    }
    pos.right = item;
    pos.index = index;
    pos.forward();
    insertNegatedAttributes(tr, parent, pos, negated);
}

int cleanupFormattingGap(Transaction &tr, Item *start, Item *curr,
                         const Attributes &startAttributes, Attributes &currAttributes)
{
    Item *end = start;
    std::map<std::string, Item *> endFormats;
    while (end && (!end->countable() || end->deleted())) {
        if (!end->deleted()) {
            if (const auto *f = formatOf(end)) {
                endFormats[f->key] = end;
            }
        }
        end = end->right;
    }
    int cleanups = 0;
    bool reachedCurr = false;
    while (start != end) {
        if (curr == start) {
            reachedCurr = true;
        }
        if (!start->deleted()) {
            if (const auto *f = formatOf(start)) {
                const std::string key = f->key;
                const std::string value = f->value;
                const std::string &startValue = valueOr(startAttributes, key);
                auto ef = endFormats.find(key);
                if (ef == endFormats.end() || ef->second != start || startValue == value) {
                    deleteItem(tr, start);
                    ++cleanups;
                    if (!reachedCurr && valueOr(currAttributes, key) == value
                        && startValue != value) {
                        if (startValue == nullJson) {
                            currAttributes.erase(key);
                        } else {
                            currAttributes.set(key, startValue);
                        }
                    }
                }
                if (!reachedCurr && !start->deleted()) {
                    updateCurrentAttributes(currAttributes, ContentFormat {key, value});
                }
            }
        }
        start = start->right;
    }
    return cleanups;
}

void cleanupContextlessFormattingGap(Transaction &tr, Item *item)
{
    while (item && item->right && (item->right->deleted() || !item->right->countable())) {
        item = item->right;
    }
    std::vector<std::string> seen;
    while (item && (item->deleted() || !item->countable())) {
        if (!item->deleted()) {
            if (const auto *f = formatOf(item)) {
                if (std::find(seen.begin(), seen.end(), f->key) != seen.end()) {
                    deleteItem(tr, item);
                } else {
                    seen.push_back(f->key);
                }
            }
        }
        item = item->left;
    }
}

void cleanupTextFormatting(Transaction &tr, Branch *type)
{
    Item *start = type->start;
    Item *end = type->start;
    Attributes startAttributes;
    Attributes currentAttributes;
    while (end) {
        if (!end->deleted()) {
            if (const auto *f = formatOf(end)) {
                updateCurrentAttributes(currentAttributes, *f);
            } else {
                cleanupFormattingGap(tr, start, end, startAttributes, currentAttributes);
                startAttributes = currentAttributes;
                start = end;
            }
        }
        end = end->right;
    }
}

/// RAII guard: the text API maintains the position cache itself while it runs.
struct MarkerScope
{
    explicit MarkerScope(Transaction &tr) : tr(tr), previous(tr.markersMaintained)
    {
        tr.markersMaintained = true;
    }
    ~MarkerScope() { tr.markersMaintained = previous; }
    Transaction &tr;
    bool previous;
};

} // namespace

void cleanupTextAfterTransaction(Transaction &tr)
{
    Doc &doc = tr.doc;
    StructStore &store = doc.store();
    std::vector<Branch *> needFull;
    auto addFull = [&](Branch *b) {
        if (std::find(needFull.begin(), needFull.end(), b) == needFull.end()) {
            needFull.push_back(b);
        }
    };
    for (const auto &[client, after] : tr.afterState.entries()) {
        const Clock before = tr.beforeState.get(client);
        if (after == before) {
            continue;
        }
        iterateStructs(tr, store, client, before, after - before, [&](Item *item) {
            if (!item->isGc() && !item->deleted() && item->ref == ContentRef::Format) {
                addFull(item->parent);
            }
        });
    }
    doc.transact([&](Transaction &t) {
        iterateDeletedStructs(tr, store, tr.deleteSet, [&](Item *item) {
            if (item->isGc() || !item->parent || !item->parent->hasFormatting
                || std::find(needFull.begin(), needFull.end(), item->parent) != needFull.end()) {
                return;
            }
            if (item->ref == ContentRef::Format) {
                addFull(item->parent);
            } else {
                cleanupContextlessFormattingGap(t, item);
            }
        });
        for (Branch *b : needFull) {
            cleanupTextFormatting(t, b);
        }
    });
}

uint64_t Text::length() const
{
    return m_branch->length;
}

std::u16string Text::toString() const
{
    std::u16string out;
    for (const Item *it = m_branch->start; it; it = it->right) {
        if (!it->deleted() && it->ref == ContentRef::String) {
            out += it->content.text();
        }
    }
    return out;
}

void Text::insert(Transaction &tr, uint64_t index, std::u16string_view text,
                  const Attributes *attributes)
{
    if (text.empty()) {
        return;
    }
    MarkerScope scope(tr);
    TextPos pos
            = findPosition(tr, m_branch, std::min(index, m_branch->length), attributes == nullptr);
    Attributes attrs = attributes ? *attributes : pos.attrs;
    insertText(tr, m_branch, pos, ContentRef::String, ContentString {std::u16string(text)},
               std::move(attrs));
}

void Text::insertEmbed(Transaction &tr, uint64_t index, std::string embedJson,
                       const Attributes &attributes)
{
    MarkerScope scope(tr);
    TextPos pos = findPosition(tr, m_branch, std::min(index, m_branch->length), false);
    insertText(tr, m_branch, pos, ContentRef::Embed, ContentEmbed {std::move(embedJson)},
               attributes);
}

void Text::remove(Transaction &tr, uint64_t index, uint64_t length)
{
    if (length == 0) {
        return;
    }
    MarkerScope scope(tr);
    StructStore &store = tr.doc.store();
    TextPos pos = findPosition(tr, m_branch, std::min(index, m_branch->length), true);
    const uint64_t startLength = length;
    const Attributes startAttrs = pos.attrs;
    Item *start = pos.right;
    while (length > 0 && pos.right) {
        Item *r = pos.right;
        if (!r->deleted()
            && (r->ref == ContentRef::String || r->ref == ContentRef::Embed
                || r->ref == ContentRef::Type)) {
            if (length < r->length) {
                store.getItemCleanStart(tr, {r->id.client, r->id.clock + length});
            }
            length -= r->length;
            deleteItem(tr, r);
        }
        pos.forward();
    }
    if (start && m_branch->hasFormatting) { // without format items there is nothing to clean
        cleanupFormattingGap(tr, start, pos.right, startAttrs, pos.attrs);
    }
    if (!m_branch->hasFormatting) {
        m_branch->shiftMarkers(pos.index, -static_cast<int64_t>(startLength - length));
        if (pos.right && pos.right->visible()) {
            m_branch->rememberMarker(pos.right, pos.index);
        }
    }
}

void Text::format(Transaction &tr, uint64_t index, uint64_t length, const Attributes &attributes)
{
    if (length == 0) {
        return;
    }
    MarkerScope scope(tr);
    StructStore &store = tr.doc.store();
    TextPos pos = findPosition(tr, m_branch, std::min(index, m_branch->length), false);
    if (!pos.right) {
        return;
    }
    minimizeAttributeChanges(pos, attributes);
    Attributes negated = insertAttributes(tr, m_branch, pos, attributes);
    while (pos.right
           && (length > 0 || (!negated.empty() && (pos.right->deleted() || formatOf(pos.right))))) {
        Item *r = pos.right;
        if (!r->deleted()) {
            if (const auto *f = formatOf(r)) {
                const std::string *attr = attributes.get(f->key);
                if (attr) {
                    if (*attr == f->value) {
                        negated.erase(f->key);
                    } else {
                        if (length == 0) {
                            break;
                        }
                        negated.set(f->key, f->value);
                    }
                    deleteItem(tr, r);
                } else {
                    pos.attrs.set(f->key, f->value);
                }
            } else {
                if (length < r->length) {
                    store.getItemCleanStart(tr, {r->id.client, r->id.clock + length});
                }
                length -= r->length;
            }
        }
        pos.forward();
    }
    if (length > 0) {
        pos.right = insertAt(tr, m_branch, pos, ContentRef::String,
                             ContentString {std::u16string(static_cast<size_t>(length), u'\n')});
        pos.forward();
    }
    insertNegatedAttributes(tr, m_branch, pos, negated);
}

void Text::insert(uint64_t index, std::u16string_view text, Origin origin)
{
    m_branch->doc()->transact([&](Transaction &tr) { insert(tr, index, text); }, origin);
}

void Text::remove(uint64_t index, uint64_t length, Origin origin)
{
    m_branch->doc()->transact([&](Transaction &tr) { remove(tr, index, length); }, origin);
}

Delta Text::changes(const Transaction &tr) const
{
    Delta delta;
    auto push = [&](DeltaOp::Kind kind, uint64_t len, const Item *item) {
        if (kind != DeltaOp::Kind::Insert && !delta.empty() && delta.back().kind == kind) {
            delta.back().length += len;
            return;
        }
        if (kind == DeltaOp::Kind::Insert && item->ref == ContentRef::String && !delta.empty()
            && delta.back().kind == kind && delta.back().embed.empty() && !delta.back().isType) {
            delta.back().text += item->content.text();
            delta.back().length += len;
            return;
        }
        DeltaOp op;
        op.kind = kind;
        op.length = len;
        if (kind == DeltaOp::Kind::Insert) {
            if (item->ref == ContentRef::String) {
                op.text = std::u16string(item->content.text());
            } else if (item->ref == ContentRef::Embed) {
                op.embed = item->content.rare<ContentEmbed>()->json;
            } else {
                op.isType = true;
            }
        }
        delta.push_back(std::move(op));
    };
    for (const Item *it = m_branch->start; it; it = it->right) {
        if (it->ref == ContentRef::Format || it->ref == ContentRef::Deleted) {
            continue; // formats are zero-width; ContentDeleted items were never visible
        }
        const bool added = tr.isNew(it->id);
        const bool removed = tr.deleteSet.contains(it->id);
        if (added) {
            if (!removed) {
                push(DeltaOp::Kind::Insert, it->length, it);
            }
        } else if (removed) {
            push(DeltaOp::Kind::Delete, it->length, it);
        } else if (!it->deleted()) {
            push(DeltaOp::Kind::Retain, it->length, it);
        }
    }
    while (!delta.empty() && delta.back().kind == DeltaOp::Kind::Retain) {
        delta.pop_back();
    }
    return delta;
}

SubscriptionId Text::observe(std::function<void(Transaction &, const Delta &)> f) const
{
    Text self = *this;
    return m_branch->doc()->observe(
            m_branch, [self, f](Transaction &tr, Branch &, const Transaction::Changes &c) {
                if (c.sequence) {
                    f(tr, self.changes(tr));
                }
            });
}

} // namespace Tandem::Crdt
