// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/encoding/any.h"
#include "core/encoding/decoder.h"
#include "core/encoding/encoder.h"

#include <cstring>
#include <memory>
#include <string>
#include <string_view>
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

/// The payload of an item, in 16 bytes. Text of up to four UTF-16 units lives inline; longer
/// text in a heap block sized by capacityFor() (at most 1/8 slack, so typing appends without
/// copying every time); Any values and the rare kinds behind one pointer. The length of
/// Deleted/GC/Skip content is the item's length.
class Content
{
public:
    Content() = default;
    Content(Content &&other) noexcept { steal(other); }
    Content &operator=(Content &&other) noexcept
    {
        if (this != &other) {
            reset();
            steal(other);
        }
        return *this;
    }
    /// Deep copy of the payload (a ContentType copy points to the same branch).
    Content(const Content &other);
    Content &operator=(const Content &other);
    ~Content() { reset(); }

    Content(ContentDeleted) { }
    explicit Content(std::u16string_view text) { setText(text); }
    /// String content from ASCII bytes (each byte one unit).
    static Content fromAscii(std::span<const uint8_t> ascii);
    Content(const ContentString &s) { setText(s.text); }
    Content(ContentAny a);
    template<class T>
    requires std::is_constructible_v<RareContent, T> Content(T rare)
        : m_rare(new RareContent(std::move(rare))), m_kind(Kind::Rare)
    { }

    bool isDeleted() const { return m_kind == Kind::None; }
    /// The text of string content (empty for other kinds).
    std::u16string_view text() const
    {
        switch (m_kind) {
        case Kind::InlineText:
            return {m_inline, m_len};
        case Kind::HeapText:
            return {m_heap, m_len};
        default:
            return {};
        }
    }
    /// Appends to string content.
    void appendText(std::u16string_view more);
    /// Keeps the first @p length units of string content.
    void truncateText(size_t length);
    /// Replaces one unit of string content.
    void setTextUnit(size_t index, char16_t unit)
    {
        (m_kind == Kind::InlineText ? m_inline : m_heap)[index] = unit;
    }

    ContentAny *any() { return m_kind == Kind::Any ? m_any : nullptr; }
    const ContentAny *any() const { return m_kind == Kind::Any ? m_any : nullptr; }
    template<class T> T *rare() { return m_kind == Kind::Rare ? std::get_if<T>(m_rare) : nullptr; }
    template<class T> const T *rare() const
    {
        return m_kind == Kind::Rare ? std::get_if<T>(m_rare) : nullptr;
    }

    /// Copy for re-insertion by the undo manager: a type becomes a new, empty type.
    Content clone() const;
    /// Heap block size for @p length units of text (0: inline).
    static size_t capacityFor(size_t length);

private:
    enum class Kind : uint8_t { None, InlineText, HeapText, Any, Rare };
    static constexpr size_t inlineCapacity = 4;

    void setText(std::u16string_view text);
    void reset()
    {
        if (m_kind >= Kind::HeapText) { // something to free
            release();
        }
        m_kind = Kind::None;
        m_len = 0;
    }
    void release();
    void steal(Content &other)
    {
        static_assert(sizeof(m_heap) == sizeof(m_inline));
        std::memcpy(&m_heap, &other.m_heap, sizeof(m_heap)); // whichever member is active
        m_len = other.m_len;
        m_kind = other.m_kind;
        other.m_kind = Kind::None;
        other.m_len = 0;
    }

    union {
        char16_t *m_heap = nullptr;
        char16_t m_inline[inlineCapacity];
        ContentAny *m_any;
        RareContent *m_rare;
    };
    uint32_t m_len = 0; ///< units of text
    Kind m_kind = Kind::None;
};
static_assert(sizeof(Content) == 16);

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
