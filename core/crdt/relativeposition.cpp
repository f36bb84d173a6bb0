// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/relativeposition.h"

#include "core/crdt/branch.h"
#include "core/crdt/doc.h"
#include "core/encoding/any.h"
#include "core/encoding/encoder.h"

namespace Tandem::Crdt {

using Encoding::Decoder;
using Encoding::Encoder;

namespace {

std::string idJson(const OptId &id)
{
    if (!id) {
        return "null";
    }
    return "{\"client\":" + std::to_string(id.id.client)
            + ",\"clock\":" + std::to_string(id.id.clock) + "}";
}

} // namespace

std::string RelativePosition::toJson() const
{
    std::string out = "{\"type\":" + idJson(type) + ",\"tname\":";
    if (tname) {
        Encoding::appendJsonString(out, *tname);
    } else {
        out += "null";
    }
    out += ",\"item\":" + idJson(item) + ",\"assoc\":" + std::to_string(assoc) + "}";
    return out;
}

std::vector<uint8_t> RelativePosition::encode() const
{
    Encoder e;
    if (item) {
        e.writeVarUint(0);
        e.writeVarUint(item.id.client);
        e.writeVarUint(item.id.clock);
    } else if (tname) {
        e.writeUint8(1);
        e.writeVarStringUtf8(*tname);
    } else if (type) {
        e.writeUint8(2);
        e.writeVarUint(type.id.client);
        e.writeVarUint(type.id.clock);
    } else {
        e.writeUint8(1);
        e.writeVarStringUtf8("");
    }
    e.writeVarInt(assoc);
    return e.take();
}

std::optional<RelativePosition> RelativePosition::decode(std::span<const uint8_t> bytes,
                                                         Encoding::DecodeError *error)
{
    Decoder d(bytes);
    RelativePosition p;
    switch (d.readVarUint()) {
    case 0: {
        const ClientId c = d.readVarUint();
        p.item = Id {c, d.readVarUint()};
        break;
    }
    case 1:
        p.tname = std::string(d.readVarStringUtf8());
        break;
    case 2: {
        const ClientId c = d.readVarUint();
        p.type = Id {c, d.readVarUint()};
        break;
    }
    default:
        d.fail(Encoding::DecodeErrorCode::InvalidStruct);
    }
    if (d.ok() && !d.atEnd()) {
        p.assoc = d.readVarInt();
    }
    if (!d.ok()) {
        if (error) {
            *error = d.error();
        }
        return std::nullopt;
    }
    return p;
}

RelativePosition relativePositionFromIndex(const Branch *type, uint64_t index, int64_t assoc)
{
    RelativePosition p;
    p.assoc = assoc;
    if (const Item *holder = type->item()) {
        p.type = holder->id;
    } else {
        p.tname = type->rootName();
    }
    if (assoc < 0) {
        if (index == 0) {
            return p;
        }
        --index;
    }
    for (const Item *t = type->start; t; t = t->right) {
        if (t->visible()) {
            if (t->length > index) {
                p.item = Id {t->id.client, t->id.clock + index};
                return p;
            }
            index -= t->length;
        }
        if (!t->right && assoc < 0) {
            p.item = t->lastId();
            return p;
        }
    }
    return p;
}

std::optional<AbsolutePosition> absolutePosition(const RelativePosition &pos, Doc &doc, bool follow)
{
    const StructStore &store = doc.store();
    AbsolutePosition out;
    out.assoc = pos.assoc;
    if (pos.item) {
        if (store.state(pos.item.id.client) <= pos.item.id.clock) {
            return std::nullopt;
        }
        uint64_t diff = 0;
        const Item *right
                = follow ? store.followRedone(pos.item.id, diff) : store.find(pos.item.id);
        if (!right || right->isGc()) {
            return std::nullopt;
        }
        out.type = right->parent;
        if (!out.type->isDeleted()) {
            uint64_t index = (right->deleted() || !right->countable())
                    ? 0
                    : diff + (pos.assoc >= 0 ? 0 : 1);
            for (const Item *n = right->left; n; n = n->left) {
                if (n->visible()) {
                    index += n->length;
                }
            }
            out.index = index;
        }
        return out;
    }
    if (pos.tname) {
        out.type = doc.root(*pos.tname);
    } else if (pos.type) {
        if (store.state(pos.type.id.client) <= pos.type.id.clock) {
            return std::nullopt;
        }
        uint64_t diff = 0;
        const Item *item = follow ? store.followRedone(pos.type.id, diff) : store.find(pos.type.id);
        if (!item || item->isGc() || item->ref != ContentRef::Type) {
            return std::nullopt;
        }
        out.type = item->content.rare<ContentType>()->branch;
    } else {
        return std::nullopt;
    }
    out.index = pos.assoc >= 0 ? out.type->length : 0;
    return out;
}

} // namespace Tandem::Crdt
