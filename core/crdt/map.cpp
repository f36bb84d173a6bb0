// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/map.h"

#include "core/crdt/branch.h"
#include "core/crdt/itemops.h"

#include <algorithm>

namespace Tandem::Crdt {

Content newTypeContent(NewType type)
{
    const TypeRef ref = type == NewType::Text ? TypeRef::Text
            : type == NewType::Map            ? TypeRef::Map
                                              : TypeRef::Array;
    return Content(ContentType {ref, {}, nullptr});
}

Value itemValue(const Item *item, uint64_t offset)
{
    Value v;
    switch (item->ref) {
    case ContentRef::Any:
        v.any = item->content.any()->values[static_cast<size_t>(offset)];
        break;
    case ContentRef::Binary:
        v.any = Encoding::Any(item->content.rare<ContentBinary>()->bytes);
        break;
    case ContentRef::Type:
        v.type = item->content.rare<ContentType>()->branch;
        break;
    default:
        break;
    }
    return v;
}

void Map::set(Transaction &tr, const std::string &key, Encoding::Any value)
{
    const std::string *k = internKey(m_branch, key);
    Item *left = m_branch->map[key];
    if (value.type() == Encoding::Any::Type::Bytes) {
        insertLocalItem(tr, m_branch, left, nullptr, k, ContentRef::Binary,
                        ContentBinary {value.toBytes()});
    } else {
        insertLocalItem(tr, m_branch, left, nullptr, k, ContentRef::Any,
                        ContentAny {{std::move(value)}});
    }
}

Branch *Map::setType(Transaction &tr, const std::string &key, NewType type)
{
    const std::string *k = internKey(m_branch, key);
    Item *left = m_branch->map[key];
    Item *item = insertLocalItem(tr, m_branch, left, nullptr, k, ContentRef::Type,
                                 newTypeContent(type));
    return item->content.rare<ContentType>()->branch;
}

void Map::remove(Transaction &tr, const std::string &key)
{
    auto it = m_branch->map.find(key);
    if (it != m_branch->map.end() && it->second) {
        deleteItem(tr, it->second);
    }
}

std::optional<Value> Map::get(const std::string &key) const
{
    auto it = m_branch->map.find(key);
    if (it == m_branch->map.end() || !it->second || it->second->deleted()) {
        return std::nullopt;
    }
    return itemValue(it->second, it->second->length - 1);
}

bool Map::has(const std::string &key) const
{
    auto it = m_branch->map.find(key);
    return it != m_branch->map.end() && it->second && !it->second->deleted();
}

std::vector<std::string> Map::keys() const
{
    std::vector<std::string> out;
    for (const std::string *k : m_branch->keyOrder) {
        const Item *item = m_branch->map.at(*k);
        if (item && !item->deleted()) {
            out.push_back(*k);
        }
    }
    return out;
}

size_t Map::size() const
{
    return keys().size();
}

} // namespace Tandem::Crdt
