// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/array.h"

#include "core/crdt/branch.h"
#include "core/crdt/itemops.h"

namespace Tandem::Crdt {

uint64_t Array::length() const
{
    return m_branch->length;
}

Item *Array::itemBefore(Transaction &tr, uint64_t index)
{
    // The visible item whose last unit is index-1 (Yjs' typeListInsertGenerics), split if needed.
    if (index == 0) {
        return nullptr;
    }
    Item *n = m_branch->start;
    for (; n; n = n->right) {
        if (n->visible()) {
            if (index <= n->length) {
                if (index < n->length) {
                    tr.doc.store().getItemCleanStart(tr, {n->id.client, n->id.clock + index});
                }
                break;
            }
            index -= n->length;
        }
    }
    return n;
}

void Array::insert(Transaction &tr, uint64_t index, std::vector<Encoding::Any> values)
{
    if (values.empty()) {
        return;
    }
    index = std::min(index, m_branch->length);
    Item *left = itemBefore(tr, index);
    Item *right = left ? left->right : m_branch->start;
    std::vector<Encoding::Any> pack;
    auto flush = [&] {
        if (!pack.empty()) {
            left = insertLocalItem(tr, m_branch, left, right, nullptr, ContentRef::Any,
                                   ContentAny {std::move(pack)});
            pack.clear();
        }
    };
    for (auto &v : values) {
        if (v.type() == Encoding::Any::Type::Bytes) {
            flush();
            left = insertLocalItem(tr, m_branch, left, right, nullptr, ContentRef::Binary,
                                   ContentBinary {v.toBytes()});
        } else {
            pack.push_back(std::move(v));
        }
    }
    flush();
}

Branch *Array::insertType(Transaction &tr, uint64_t index, NewType type)
{
    index = std::min(index, m_branch->length);
    Item *left = itemBefore(tr, index);
    Item *right = left ? left->right : m_branch->start;
    Item *item = insertLocalItem(tr, m_branch, left, right, nullptr, ContentRef::Type,
                                 newTypeContent(type));
    return item->content.rare<ContentType>()->branch;
}

void Array::remove(Transaction &tr, uint64_t index, uint64_t length)
{
    if (length == 0) {
        return;
    }
    StructStore &store = tr.doc.store();
    Item *n = m_branch->start;
    for (; n && index > 0; n = n->right) {
        if (n->visible()) {
            if (index < n->length) {
                store.getItemCleanStart(tr, {n->id.client, n->id.clock + index});
            }
            index -= std::min<uint64_t>(index, n->length);
        }
    }
    while (length > 0 && n) {
        if (!n->deleted()) {
            if (length < n->length) {
                store.getItemCleanStart(tr, {n->id.client, n->id.clock + length});
            }
            deleteItem(tr, n);
            length -= std::min<uint64_t>(length, n->length);
        }
        n = n->right;
    }
}

std::vector<Value> Array::values() const
{
    std::vector<Value> out;
    for (const Item *it = m_branch->start; it; it = it->right) {
        if (!it->visible()) {
            continue;
        }
        for (uint64_t k = 0; k < it->length; ++k) {
            out.push_back(itemValue(it, k));
        }
    }
    return out;
}

} // namespace Tandem::Crdt
