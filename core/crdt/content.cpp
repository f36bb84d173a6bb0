// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/content.h"

namespace Tandem::Crdt {

using Encoding::DecodeErrorCode;

Content::Content(const Content &other)
{
    *this = other;
}

Content &Content::operator=(const Content &other)
{
    if (this == &other) {
        return *this;
    }
    switch (other.m_v.index()) {
    case 0:
        m_v = ContentDeleted {};
        break;
    case 1:
        m_v = std::get<ContentString>(other.m_v);
        break;
    case 2:
        m_v = std::get<ContentAny>(other.m_v);
        break;
    default:
        m_v = std::make_unique<RareContent>(*std::get<std::unique_ptr<RareContent>>(other.m_v));
    }
    return *this;
}

Content Content::clone() const
{
    Content c;
    switch (m_v.index()) {
    case 0:
        break;
    case 1:
        c.m_v = std::get<ContentString>(m_v);
        break;
    case 2:
        c.m_v = std::get<ContentAny>(m_v);
        break;
    default: {
        const auto &rare = *std::get<std::unique_ptr<RareContent>>(m_v);
        if (const auto *t = std::get_if<ContentType>(&rare)) {
            // A copied type is a new, empty type of the same kind; the caller fills it.
            c.m_v = std::make_unique<RareContent>(ContentType {t->typeRef, t->nodeName, nullptr});
        } else {
            c.m_v = std::make_unique<RareContent>(rare);
        }
    }
    }
    return c;
}

uint64_t contentLength(ContentRef ref, const Content &c)
{
    switch (ref) {
    case ContentRef::String:
        return c.string()->text.size();
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
        auto &s = c.string()->text;
        ContentString right {s.substr(static_cast<size_t>(offset))};
        s.resize(static_cast<size_t>(offset));
        // Splitting a surrogate pair leaves two invalid halves; Yjs replaces both with U+FFFD.
        if (!s.empty() && isHighSurrogate(s.back())) {
            s.back() = u'\uFFFD';
            if (!right.text.empty()) {
                right.text.front() = u'\uFFFD';
            }
        }
        return Content(std::move(right));
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
        left.string()->text += right.string()->text;
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
        const auto &s = c.string()->text;
        e.writeVarString(std::u16string_view(s).substr(static_cast<size_t>(offset)));
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
        }
        length = n;
        return Content(std::move(j));
    }
    case ContentRef::Binary: {
        auto b = d.readVarBytes();
        return Content(ContentBinary {std::vector<uint8_t>(b.begin(), b.end())});
    }
    case ContentRef::String: {
        ContentString s {d.readVarString()};
        length = s.text.size();
        return Content(std::move(s));
    }
    case ContentRef::Embed:
        return Content(ContentEmbed {std::string(d.readVarStringUtf8())});
    case ContentRef::Format: {
        std::string key(d.readVarStringUtf8());
        std::string value(d.readVarStringUtf8());
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
