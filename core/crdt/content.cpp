// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/content.h"

#include "core/encoding/json.h"

#include <algorithm>
#include <bit>

namespace Tandem::Crdt {

using Encoding::DecodeErrorCode;

size_t Content::capacityFor(size_t length)
{
    if (length <= inlineCapacity) {
        return 0;
    }
    // Round up to 1/8 of the next power of two (at least 4 units): at most 12.5% slack, and an
    // append copies the text only every length/8 units.
    const size_t step = std::max<size_t>(4, std::bit_ceil(length) / 8);
    return (length + step - 1) / step * step;
}

void Content::setText(std::u16string_view text)
{
    m_len = static_cast<uint32_t>(text.size());
    if (text.size() <= inlineCapacity) {
        m_kind = Kind::InlineText;
        std::copy(text.begin(), text.end(), m_inline);
        return;
    }
    m_kind = Kind::HeapText;
    m_heap = static_cast<char16_t *>(::operator new(capacityFor(text.size()) * sizeof(char16_t)));
    std::copy(text.begin(), text.end(), m_heap);
}

Content Content::fromAscii(std::span<const uint8_t> ascii)
{
    Content c;
    c.m_len = static_cast<uint32_t>(ascii.size());
    char16_t *out = c.m_inline;
    if (ascii.size() > inlineCapacity) {
        c.m_kind = Kind::HeapText;
        c.m_heap = static_cast<char16_t *>(
                ::operator new(capacityFor(ascii.size()) * sizeof(char16_t)));
        out = c.m_heap;
    } else {
        c.m_kind = Kind::InlineText;
    }
    std::copy(ascii.begin(), ascii.end(), out);
    return c;
}

void Content::release()
{
    switch (m_kind) {
    case Kind::HeapText:
        ::operator delete(m_heap);
        break;
    case Kind::Any:
        delete m_any;
        break;
    case Kind::Rare:
        delete m_rare;
        break;
    default:
        break;
    }
}

void Content::appendText(std::u16string_view more)
{
    const size_t oldLen = m_len;
    const size_t newLen = oldLen + more.size();
    if (capacityFor(newLen) == capacityFor(oldLen)
        && (m_kind == Kind::HeapText || newLen <= inlineCapacity)) {
        char16_t *data = m_kind == Kind::HeapText ? m_heap : m_inline;
        std::copy(more.begin(), more.end(), data + oldLen);
        m_len = static_cast<uint32_t>(newLen);
        return;
    }
    auto *grown = static_cast<char16_t *>(::operator new(capacityFor(newLen) * sizeof(char16_t)));
    const std::u16string_view old = text();
    std::copy(old.begin(), old.end(), grown);
    std::copy(more.begin(), more.end(), grown + oldLen);
    reset();
    m_heap = grown;
    m_kind = Kind::HeapText;
    m_len = static_cast<uint32_t>(newLen);
}

void Content::truncateText(size_t length)
{
    if (m_kind != Kind::HeapText || capacityFor(length) == capacityFor(m_len)) {
        m_len = static_cast<uint32_t>(length);
        return;
    }
    // Keep the block exactly capacityFor(length): no slack stays behind after a split.
    char16_t *old = m_heap;
    setText(std::u16string_view(old, length));
    ::operator delete(old);
}

Content::Content(ContentAny a) : m_any(new ContentAny(std::move(a))), m_kind(Kind::Any) { }

Content::Content(const Content &other)
{
    *this = other;
}

Content &Content::operator=(const Content &other)
{
    if (this == &other) {
        return *this;
    }
    reset();
    switch (other.m_kind) {
    case Kind::None:
        break;
    case Kind::InlineText:
    case Kind::HeapText:
        setText(other.text());
        break;
    case Kind::Any:
        m_any = new ContentAny(*other.m_any);
        m_kind = Kind::Any;
        break;
    case Kind::Rare:
        m_rare = new RareContent(*other.m_rare);
        m_kind = Kind::Rare;
        break;
    }
    return *this;
}

Content Content::clone() const
{
    if (const auto *t = rare<ContentType>()) {
        // A copied type is a new, empty type of the same kind; the caller fills it.
        return Content(ContentType {t->typeRef, t->nodeName, nullptr});
    }
    return Content(*this);
}

uint64_t contentLength(ContentRef ref, const Content &c)
{
    switch (ref) {
    case ContentRef::String:
        return c.text().size();
    case ContentRef::Any:
        return c.any()->values.size();
    case ContentRef::Json:
        return c.rare<ContentJson>()->values.size();
    default:
        return 1;
    }
}

namespace {
bool isHighSurrogate(char16_t c)
{
    return c >= 0xD800 && c <= 0xDBFF;
}
} // namespace

Content spliceContent(ContentRef ref, Content &c, uint64_t offset)
{
    switch (ref) {
    case ContentRef::String: {
        const auto at = static_cast<size_t>(offset);
        Content right(c.text().substr(at));
        c.truncateText(at);
        // Splitting a surrogate pair leaves two invalid halves; Yjs replaces both with U+FFFD.
        if (at > 0 && isHighSurrogate(c.text()[at - 1])) {
            c.setTextUnit(at - 1, u'\uFFFD');
            if (!right.text().empty()) {
                right.setTextUnit(0, u'\uFFFD');
            }
        }
        return right;
    }
    case ContentRef::Any: {
        auto &v = c.any()->values;
        ContentAny right {
                std::vector<Encoding::Any>(v.begin() + static_cast<ptrdiff_t>(offset), v.end())};
        v.resize(static_cast<size_t>(offset));
        return Content(std::move(right));
    }
    case ContentRef::Json: {
        auto &v = c.rare<ContentJson>()->values;
        ContentJson right {
                std::vector<std::string>(v.begin() + static_cast<ptrdiff_t>(offset), v.end())};
        v.resize(static_cast<size_t>(offset));
        return Content(std::move(right));
    }
    default:
        return Content(ContentDeleted {});
    }
}

void appendContent(ContentRef ref, Content &left, Content &right)
{
    switch (ref) {
    case ContentRef::String:
        left.appendText(right.text());
        break;
    case ContentRef::Any: {
        auto &l = left.any()->values;
        auto &r = right.any()->values;
        l.insert(l.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
        break;
    }
    case ContentRef::Json: {
        auto &l = left.rare<ContentJson>()->values;
        auto &r = right.rare<ContentJson>()->values;
        l.insert(l.end(), std::make_move_iterator(r.begin()), std::make_move_iterator(r.end()));
        break;
    }
    default:
        break;
    }
}

void writeContent(Encoding::Encoder &e, ContentRef ref, const Content &c, uint64_t offset,
                  uint64_t length)
{
    switch (ref) {
    case ContentRef::GC:
    case ContentRef::Skip:
    case ContentRef::Deleted:
        e.writeVarUint(length - offset);
        break;
    case ContentRef::String: {
        e.writeVarString(c.text().substr(static_cast<size_t>(offset)));
        break;
    }
    case ContentRef::Any: {
        const auto &v = c.any()->values;
        e.writeVarUint(v.size() - offset);
        for (size_t i = static_cast<size_t>(offset); i < v.size(); ++i) {
            v[i].encode(e);
        }
        break;
    }
    case ContentRef::Json: {
        const auto &v = c.rare<ContentJson>()->values;
        e.writeVarUint(v.size() - offset);
        for (size_t i = static_cast<size_t>(offset); i < v.size(); ++i) {
            e.writeVarStringUtf8(v[i]);
        }
        break;
    }
    case ContentRef::Binary:
        e.writeVarBytes(c.rare<ContentBinary>()->bytes);
        break;
    case ContentRef::Embed:
        e.writeVarStringUtf8(c.rare<ContentEmbed>()->json);
        break;
    case ContentRef::Format: {
        const auto *f = c.rare<ContentFormat>();
        e.writeVarStringUtf8(f->key);
        e.writeVarStringUtf8(f->value);
        break;
    }
    case ContentRef::Type: {
        const auto *t = c.rare<ContentType>();
        e.writeVarUint(static_cast<uint8_t>(t->typeRef));
        if (t->typeRef == TypeRef::XmlElement || t->typeRef == TypeRef::XmlHook) {
            e.writeVarStringUtf8(t->nodeName);
        }
        break;
    }
    case ContentRef::Doc: {
        const auto *d = c.rare<ContentDoc>();
        e.writeVarStringUtf8(d->guid);
        d->options.encode(e);
        break;
    }
    }
}

namespace {

/// Yjs JSON.parse()s these strings as it reads them, and refuses the update when one does not
/// parse. Accepting what every Yjs peer refuses would store and relay an update that breaks
/// each of them for good, so the same rule holds here.
void requireJson(Encoding::Decoder &d, std::string_view text)
{
    if (d.ok() && !Encoding::parseJson(text)) {
        d.fail(DecodeErrorCode::InvalidJson);
    }
}

} // namespace

Content readContent(Encoding::Decoder &d, ContentRef ref, uint64_t &length)
{
    length = 1;
    switch (ref) {
    case ContentRef::Deleted:
        length = d.readVarUint();
        return Content(ContentDeleted {});
    case ContentRef::Json: {
        const uint64_t n = d.readVarUint();
        if (n > d.remaining()) { // each element takes at least its length byte
            d.fail(DecodeErrorCode::LengthTooLarge);
            return {};
        }
        ContentJson j;
        j.values.reserve(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n && d.ok(); ++i) {
            j.values.emplace_back(d.readVarStringUtf8());
            if (j.values.back() != "undefined") { // the one non-JSON text Yjs writes here
                requireJson(d, j.values.back());
            }
        }
        length = n;
        return Content(std::move(j));
    }
    case ContentRef::Binary: {
        auto b = d.readVarBytes();
        return Content(ContentBinary {std::vector<uint8_t>(b.begin(), b.end())});
    }
    case ContentRef::String: {
        // Most text is ASCII: widen it straight into the content, no intermediate buffer.
        Encoding::Decoder probe = d;
        const auto bytes = probe.readVarBytes();
        if (probe.ok()
            && std::all_of(bytes.begin(), bytes.end(), [](uint8_t b) { return b < 0x80; })) {
            d = probe;
            length = bytes.size();
            return Content::fromAscii(bytes);
        }
        thread_local std::u16string s; // decoding buffer, reused across structs
        d.readVarString(s);
        length = s.size();
        return Content(std::u16string_view(s));
    }
    case ContentRef::Embed: {
        std::string json(d.readVarStringUtf8());
        requireJson(d, json);
        return Content(ContentEmbed {std::move(json)});
    }
    case ContentRef::Format: {
        std::string key(d.readVarStringUtf8());
        std::string value(d.readVarStringUtf8());
        requireJson(d, value);
        return Content(ContentFormat {std::move(key), std::move(value)});
    }
    case ContentRef::Type: {
        const uint64_t t = d.readVarUint();
        if (t > 6) {
            d.fail(DecodeErrorCode::UnknownContent);
            return {};
        }
        ContentType ct {static_cast<TypeRef>(t), {}, nullptr};
        if (ct.typeRef == TypeRef::XmlElement || ct.typeRef == TypeRef::XmlHook) {
            ct.nodeName = std::string(d.readVarStringUtf8());
        }
        return Content(std::move(ct));
    }
    case ContentRef::Any: {
        const uint64_t n = d.readVarUint();
        if (n > d.remaining()) { // each value takes at least its tag byte
            d.fail(DecodeErrorCode::LengthTooLarge);
            return {};
        }
        ContentAny a;
        a.values.reserve(static_cast<size_t>(n));
        for (uint64_t i = 0; i < n && d.ok(); ++i) {
            a.values.push_back(Encoding::Any::decode(d));
        }
        length = n;
        return Content(std::move(a));
    }
    case ContentRef::Doc: {
        std::string guid(d.readVarStringUtf8());
        Encoding::Any opts = Encoding::Any::decode(d);
        return Content(ContentDoc {std::move(guid), std::move(opts)});
    }
    default:
        d.fail(DecodeErrorCode::UnknownContent);
        return {};
    }
}

} // namespace Tandem::Crdt
