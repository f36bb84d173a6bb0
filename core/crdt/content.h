// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/encoding/any.h"
#include "core/encoding/decoder.h"
#include "core/encoding/encoder.h"

#include <memory>
#include <string>
#include <variant>
#include <vector>

namespace Tandem::Crdt {

class Branch;

/// The number in the low five bits of a struct's info byte. Wire values: append only.
enum class ContentRef : uint8_t {
    GC = 0, ///< not an item content: a garbage-collected struct
    Deleted = 1,
    Json = 2,
    Binary = 3,
    String = 4,
    Embed = 5,
    Format = 6,
    Type = 7,
    Any = 8,
    Doc = 9,
    Skip = 10, ///< not an item content: a gap in a merged update
};

/// Shared type kinds inside ContentType. Wire values: append only.
enum class TypeRef : uint8_t {
    Array = 0,
    Map = 1,
    Text = 2,
    XmlElement = 3,
    XmlFragment = 4,
    XmlHook = 5,
    XmlText = 6,
    Unknown = 255, ///< a root referenced by an update but never asked for by the application
};

struct ContentString
{
    std::u16string text; ///< UTF-16, as in JavaScript
};
struct ContentAny
{
    std::vector<Encoding::Any> values;
};
struct ContentJson
{
    std::vector<std::string> values; ///< JSON text of each element, or the literal `undefined`
};
struct ContentBinary
{
    std::vector<uint8_t> bytes;
};
struct ContentEmbed
{
    std::string json; ///< JSON text of the embed, kept verbatim
};
struct ContentFormat
{
    std::string key;
    std::string value; ///< JSON text; "null" ends a formatted range
};
struct ContentType
{
    TypeRef typeRef = TypeRef::Array;
    std::string nodeName; ///< XmlElement node name or XmlHook hook name
    Branch *branch = nullptr; ///< owned by the Doc, set when the item is integrated
};
struct ContentDoc
{
    std::string guid;
    Encoding::Any options;
};
struct ContentDeleted
{
};

/// Rare content kinds live behind one pointer so that items stay small.
using RareContent = std::variant<ContentJson, ContentBinary, ContentEmbed, ContentFormat,
                                 ContentType, ContentDoc>;

/// The payload of an item. The length of Deleted/GC/Skip content is the item's length.
class Content
{
public:
    Content() = default;
    Content(Content &&) noexcept = default;
    Content &operator=(Content &&) noexcept = default;
    /// Deep copy of the payload (a ContentType copy points to the same branch).
    Content(const Content &other);
    Content &operator=(const Content &other);
    Content(ContentDeleted) { }
    Content(ContentString s) : m_v(std::move(s)) { }
    Content(ContentAny a) : m_v(std::move(a)) { }
    template<class T>
    requires std::is_constructible_v<RareContent, T> Content(T rare)
        : m_v(std::make_unique<RareContent>(std::move(rare)))
    { }

    bool isDeleted() const { return m_v.index() == 0; }
    ContentString *string() { return std::get_if<ContentString>(&m_v); }
    const ContentString *string() const { return std::get_if<ContentString>(&m_v); }
    ContentAny *any() { return std::get_if<ContentAny>(&m_v); }
    const ContentAny *any() const { return std::get_if<ContentAny>(&m_v); }
    template<class T> T *rare()
    {
        auto *p = std::get_if<std::unique_ptr<RareContent>>(&m_v);
        return p ? std::get_if<T>(p->get()) : nullptr;
    }
    template<class T> const T *rare() const
    {
        auto *p = std::get_if<std::unique_ptr<RareContent>>(&m_v);
        return p ? std::get_if<T>(p->get()) : nullptr;
    }

    /// Copy for re-insertion by the undo manager: a type becomes a new, empty type.
    Content clone() const;

private:
    std::variant<ContentDeleted, ContentString, ContentAny, std::unique_ptr<RareContent>> m_v;
};

/// Units of a content: UTF-16 length for strings, element count for Any/JSON, else 1.
uint64_t contentLength(ContentRef ref, const Content &c);
inline bool isCountable(ContentRef ref)
{
    return ref != ContentRef::Deleted && ref != ContentRef::Format;
}
inline bool isMergeable(ContentRef ref)
{
    return ref == ContentRef::String || ref == ContentRef::Deleted || ref == ContentRef::Any
            || ref == ContentRef::Json;
}

/// Splits @p c at @p offset: @p c keeps [0, offset), the result holds the rest. For strings a
/// surrogate pair cut in half turns both halves into U+FFFD, as Yjs does.
Content spliceContent(ContentRef ref, Content &c, uint64_t offset);
/// Appends @p right to @p left (both of kind @p ref, which must be mergeable).
void appendContent(ContentRef ref, Content &left, Content &right);
/// Writes the payload from @p offset on (update format v1). @p length is the item length.
void writeContent(Encoding::Encoder &e, ContentRef ref, const Content &c, uint64_t offset,
                  uint64_t length);
/// Reads the payload of @p ref; @p length receives the number of units.
Content readContent(Encoding::Decoder &d, ContentRef ref, uint64_t &length);

} // namespace Tandem::Crdt
