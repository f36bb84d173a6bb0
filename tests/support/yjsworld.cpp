// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/yjsworld.h"

#include "core/crdt/array.h"
#include "core/crdt/branch.h"
#include "core/crdt/map.h"
#include "core/crdt/relativeposition.h"
#include "core/crdt/text.h"
#include "core/crdt/update.h"
#include "core/encoding/json.h"
#include "core/encoding/utf.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

namespace Tandem::Testing {

using namespace Tandem::Crdt;
using Encoding::AnyEntry;

std::string toHex(std::span<const uint8_t> bytes)
{
    static const char *digits = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (uint8_t b : bytes) {
        out.push_back(digits[b >> 4]);
        out.push_back(digits[b & 15]);
    }
    return out;
}

std::vector<uint8_t> fromHex(std::string_view hex)
{
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        throw std::runtime_error("bad hex");
    };
    std::vector<uint8_t> out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
        out.push_back(static_cast<uint8_t>(nib(hex[i]) * 16 + nib(hex[i + 1])));
    }
    return out;
}

const Any *field(const Any &obj, std::string_view key)
{
    return obj.find(key);
}

std::string str(const Any &obj, std::string_view key)
{
    const Any *v = obj.find(key);
    return v && v->type() == Any::Type::String ? v->toString() : std::string();
}

double num(const Any &obj, std::string_view key, double fallback)
{
    const Any *v = obj.find(key);
    return v && v->type() == Any::Type::Number ? v->toNumber() : fallback;
}

Any anyFromTagged(const Any &json)
{
    switch (json.type()) {
    case Any::Type::Array: {
        Any::Array out;
        for (const auto &v : json.toArray()) {
            out.push_back(anyFromTagged(v));
        }
        return Any(std::move(out));
    }
    case Any::Type::Object: {
        const auto &o = json.toObject();
        if (o.size() == 1) {
            const auto &[k, v] = o.front();
            if (k == "$undefined") {
                return Any();
            }
            if (k == "$bigint") {
                return Any(Any::BigInt {std::stoll(v.toString())});
            }
            if (k == "$bytes") {
                return Any(fromHex(v.toString()));
            }
            if (k == "$num") {
                const std::string &s = v.toString();
                if (s == "NaN") {
                    return Any(std::nan(""));
                }
                if (s == "Infinity") {
                    return Any(INFINITY);
                }
                if (s == "-Infinity") {
                    return Any(-INFINITY);
                }
                return Any(-0.0);
            }
        }
        Any::Object out;
        for (const auto &e : o) {
            out.push_back({e.key, anyFromTagged(e.value)});
        }
        return Any::object(std::move(out));
    }
    default:
        return json;
    }
}

Any anyToTagged(const Any &value)
{
    auto tag = [](const char *k, Any v) { return Any::object({{k, std::move(v)}}); };
    switch (value.type()) {
    case Any::Type::Undefined:
        return tag("$undefined", Any(true));
    case Any::Type::BigInt:
        return tag("$bigint", Any(std::to_string(value.toBigInt())));
    case Any::Type::Bytes:
        return tag("$bytes", Any(toHex(value.toBytes())));
    case Any::Type::Number: {
        const double d = value.toNumber();
        if (std::isnan(d)) {
            return tag("$num", Any("NaN"));
        }
        if (std::isinf(d)) {
            return tag("$num", Any(d > 0 ? "Infinity" : "-Infinity"));
        }
        if (d == 0 && std::signbit(d)) {
            return tag("$num", Any("-0"));
        }
        return value;
    }
    case Any::Type::Array: {
        Any::Array out;
        for (const auto &v : value.toArray()) {
            out.push_back(anyToTagged(v));
        }
        return Any(std::move(out));
    }
    case Any::Type::Object: {
        Any::Object out;
        for (const auto &e : value.toObject()) {
            out.push_back({e.key, anyToTagged(e.value)});
        }
        return Any::object(std::move(out));
    }
    default:
        return value;
    }
}

namespace {

Any typeToJson(Branch *b);

Any valueToJson(const Value &v)
{
    return v.type ? typeToJson(v.type) : anyToTagged(v.any);
}

Any typeToJson(Branch *b)
{
    switch (b->typeRef()) {
    case TypeRef::Text:
    case TypeRef::XmlText:
        return Any(Encoding::toUtf8(Text(b).toString()));
    case TypeRef::Map: {
        Any::Object o;
        Map m(b);
        for (const auto &k : m.keys()) {
            o.push_back({k, valueToJson(*m.get(k))});
        }
        return Any::object(std::move(o));
    }
    case TypeRef::Array: {
        Any::Array a;
        for (const auto &v : Array(b).values()) {
            a.push_back(valueToJson(v));
        }
        return Any(std::move(a));
    }
    default:
        return Any(nullptr);
    }
}

Any deltaToJson(const Delta &delta)
{
    Any::Array ops;
    for (const auto &op : delta) {
        switch (op.kind) {
        case DeltaOp::Kind::Retain:
            ops.push_back(Any::object({{"retain", Any(double(op.length))}}));
            break;
        case DeltaOp::Kind::Delete:
            ops.push_back(Any::object({{"delete", Any(double(op.length))}}));
            break;
        case DeltaOp::Kind::Insert:
            if (!op.embed.empty()) {
                ops.push_back(Any::object({{"insert", *Encoding::parseJson(op.embed)}}));
            } else if (op.isType) {
                ops.push_back(Any::object({{"insert", Any("<type>")}}));
            } else {
                ops.push_back(Any::object({{"insert", Any(Encoding::toUtf8(op.text))}}));
            }
            break;
        }
    }
    return Any(std::move(ops));
}

std::u16string u16(const Any &cmd, std::string_view key)
{
    return Encoding::toUtf16(str(cmd, key));
}

Attributes attributesOf(const Any &obj)
{
    Attributes a;
    if (obj.type() == Any::Type::Object) {
        for (const auto &e : obj.toObject()) {
            a.set(e.key, e.value.toJson());
        }
    }
    return a;
}

NewType newType(const std::string &s)
{
    return s == "text" ? NewType::Text : s == "map" ? NewType::Map : NewType::Array;
}

} // namespace

struct World::DocState
{
    std::unique_ptr<Doc> doc;
    std::unique_ptr<UndoManager> undo;
    std::vector<std::string> updates;
    std::vector<std::string> pendingEvents;
    std::map<std::string, std::vector<Any>> pendingDeltas;
    std::set<std::string> observed;
    bool observeDeltas = true;
};

void World::describe(Doc &doc, std::string &out)
{
    // Key order of a map follows each peer's history (as in Yjs): compare maps sorted.
    Any map = typeToJson(doc.getMap("map").branch());
    Any::Object entries = map.toObject();
    std::sort(entries.begin(), entries.end(),
              [](const AnyEntry &a, const AnyEntry &b) { return a.key < b.key; });
    for (const auto &e : entries) {
        out += e.key + "=" + e.value.toJson() + ";";
    }
    out += typeToJson(doc.getArray("array").branch()).toJson();
}

World::World() = default;
World::~World() = default;

Doc *World::doc(const std::string &name)
{
    auto it = m_docs.find(name);
    return it == m_docs.end() ? nullptr : it->second->doc.get();
}

Origin World::origin(const Any &cmd)
{
    const Any *o = cmd.find("origin");
    if (!o || o->type() != Any::Type::String) {
        return nullptr;
    }
    return m_origins.insert(o->toString()).first->c_str();
}

Branch *World::resolve(DocState &d, const Any &target)
{
    const std::string kind = str(target, "kind");
    const std::string root = str(target, "root");
    const Any *path = target.find("path");
    const bool hasPath = path && path->type() == Any::Type::Array && !path->toArray().empty();
    Branch *b;
    if (!hasPath) {
        b = kind == "text"      ? d.doc->getText(root).branch()
                : kind == "map" ? d.doc->getMap(root).branch()
                                : d.doc->getArray(root).branch();
        if (kind == "text" && d.observeDeltas && !d.observed.count(root)) {
            d.observed.insert(root);
            DocState *ds = &d;
            Text(b).observe([ds, root](Transaction &, const Delta &delta) {
                ds->pendingDeltas[root].push_back(deltaToJson(delta));
            });
        }
        return b;
    }
    const auto &p = path->toArray();
    b = p[0].type() == Any::Type::String ? d.doc->getMap(root).branch()
                                         : d.doc->getArray(root).branch();
    for (const auto &step : p) {
        std::optional<Value> v;
        if (step.type() == Any::Type::String) {
            v = Map(b).get(step.toString());
        } else {
            auto vals = Array(b).values();
            const auto i = static_cast<size_t>(step.toNumber());
            if (i < vals.size()) {
                v = vals[i];
            }
        }
        if (!v || !v->type) {
            throw std::runtime_error("path does not lead to a type");
        }
        b = v->type;
    }
    return b;
}

Any World::exec(const Any &cmd)
{
    DocState *touched = nullptr;
    Any::Object out;
    Any result;
    try {
        result = run(cmd, touched);
    } catch (const std::exception &e) {
        return Any::object({{"ok", Any(false)}, {"error", Any(e.what())}});
    }
    out.push_back({"ok", Any(true)});
    if (result.type() == Any::Type::Object) {
        for (const auto &e : result.toObject()) {
            out.push_back(e);
        }
    }
    Any::Array events;
    Any::Object deltas;
    if (touched) {
        for (auto &e : touched->pendingEvents) {
            events.push_back(Any(e));
        }
        touched->pendingEvents.clear();
        for (auto &[name, list] : touched->pendingDeltas) {
            deltas.push_back({name, Any(list)});
        }
        touched->pendingDeltas.clear();
    }
    out.push_back({"events", Any(std::move(events))});
    if (!result.find("deltas")) {
        out.push_back({"deltas", Any::object(std::move(deltas))});
    }
    return Any::object(std::move(out));
}

Any World::run(const Any &cmd, DocState *&touched)
{
    const std::string c = str(cmd, "cmd");
    const std::string name = str(cmd, "doc");
    auto docState = [&]() -> DocState & {
        auto it = m_docs.find(name);
        if (it == m_docs.end()) {
            throw std::runtime_error("unknown doc " + name);
        }
        touched = it->second.get();
        return *it->second;
    };
    if (c == "new") {
        auto d = std::make_unique<DocState>();
        const Any *gc = cmd.find("gc");
        d->doc = std::make_unique<Doc>(static_cast<ClientId>(num(cmd, "client")),
                                       !gc || gc->toBool());
        DocState *ds = d.get();
        const Any *observe = cmd.find("observeDeltas");
        ds->observeDeltas = !observe || observe->toBool();
        d->doc->onUpdate([ds](std::span<const uint8_t> u, const Transaction &) {
            ds->updates.push_back(toHex(u));
            ds->pendingEvents.push_back(ds->updates.back());
        });
        m_docs[name] = std::move(d);
        touched = ds;
        if (const Any *roots = cmd.find("roots")) {
            for (const auto &r : roots->toArray()) {
                resolve(*ds,
                        Any::object(
                                {{"kind", Any(str(r, "kind"))}, {"root", Any(str(r, "name"))}}));
            }
        }
        return Any::object({});
    }
    if (c == "op") {
        DocState &d = docState();
        d.doc->transact(
                [&](Transaction &tr) {
                    for (const auto &op : field(cmd, "ops")->toArray()) {
                        const std::string o = str(op, "op");
                        Branch *b = resolve(d, *field(op, "target"));
                        const auto index = static_cast<uint64_t>(num(op, "index"));
                        if (o == "textInsert") {
                            const Any *attrs = op.find("attrs");
                            if (attrs) {
                                const Attributes a = attributesOf(*attrs);
                                Text(b).insert(tr, index, u16(op, "text"), &a);
                            } else {
                                Text(b).insert(tr, index, u16(op, "text"));
                            }
                        } else if (o == "textDelete") {
                            Text(b).remove(tr, index, static_cast<uint64_t>(num(op, "length")));
                        } else if (o == "textFormat") {
                            Text(b).format(tr, index, static_cast<uint64_t>(num(op, "length")),
                                           attributesOf(*field(op, "attrs")));
                        } else if (o == "textInsertEmbed") {
                            const Any *attrs = op.find("attrs");
                            Text(b).insertEmbed(tr, index, field(op, "embed")->toJson(),
                                                attrs ? attributesOf(*attrs) : Attributes {});
                        } else if (o == "mapSet") {
                            Map(b).set(tr, str(op, "key"), anyFromTagged(*field(op, "value")));
                        } else if (o == "mapSetType") {
                            Map(b).setType(tr, str(op, "key"), newType(str(op, "type")));
                        } else if (o == "mapDelete") {
                            Map(b).remove(tr, str(op, "key"));
                        } else if (o == "arrayInsert") {
                            std::vector<Any> values;
                            for (const auto &v : field(op, "values")->toArray()) {
                                values.push_back(anyFromTagged(v));
                            }
                            Array(b).insert(tr, index, std::move(values));
                        } else if (o == "arrayInsertType") {
                            Array(b).insertType(tr, index, newType(str(op, "type")));
                        } else if (o == "arrayDelete") {
                            Array(b).remove(tr, index, static_cast<uint64_t>(num(op, "length")));
                        } else {
                            throw std::runtime_error("unknown op " + o);
                        }
                    }
                },
                origin(cmd));
        return Any::object({});
    }
    if (c == "apply") {
        DocState &d = docState();
        const auto bytes = fromHex(str(cmd, "update"));
        const auto err = d.doc->applyUpdate(bytes, origin(cmd));
        if (err) {
            throw std::runtime_error("applyUpdate: " + err.toString());
        }
        return Any::object({});
    }
    if (c == "state") {
        DocState &d = docState();
        Any::Object values;
        Any::Object lengths;
        for (const auto &r : field(cmd, "roots")->toArray()) {
            const std::string rn = str(r, "name");
            Branch *b = resolve(d, Any::object({{"kind", Any(str(r, "kind"))}, {"root", Any(rn)}}));
            values.push_back({rn, typeToJson(b)});
            lengths.push_back(
                    {rn, Any(double(b->typeRef() == TypeRef::Map ? Map(b).size() : b->length))});
        }
        Any::Object missing;
        if (d.doc->store().pendingStructs) {
            for (const auto &[client, clock] : d.doc->store().pendingStructs->missing) {
                missing.push_back({std::to_string(client), Any(double(clock))});
            }
        }
        return Any::object({{"clientID", Any(double(d.doc->clientId()))},
                            {"sv", Any(toHex(d.doc->encodeStateVector()))},
                            {"update", Any(toHex(d.doc->encodeStateAsUpdate()))},
                            {"values", Any::object(std::move(values))},
                            {"lengths", Any::object(std::move(lengths))},
                            {"pendingStructs", Any(d.doc->hasPendingStructs())},
                            {"pendingDs", Any(d.doc->hasPendingDeleteSet())},
                            {"pendingMissing", Any::object(std::move(missing))}});
    }
    if (c == "diff") {
        DocState &d = docState();
        const Any *sv = cmd.find("sv");
        auto u = sv ? d.doc->encodeStateAsUpdate(fromHex(sv->toString()))
                    : d.doc->encodeStateAsUpdate();
        if (!u) {
            throw std::runtime_error("bad state vector");
        }
        return Any::object({{"update", Any(toHex(*u))}});
    }
    if (c == "updates") {
        DocState &d = docState();
        Any::Array a;
        for (auto &u : d.updates) {
            a.push_back(Any(u));
        }
        return Any::object({{"updates", Any(std::move(a))}});
    }
    if (c == "mergeUpdates") {
        std::vector<std::vector<uint8_t>> bytes;
        for (const auto &u : field(cmd, "updates")->toArray()) {
            bytes.push_back(fromHex(u.toString()));
        }
        std::vector<std::span<const uint8_t>> spans(bytes.begin(), bytes.end());
        auto r = mergeUpdates(spans);
        if (!r) {
            throw std::runtime_error("mergeUpdates failed");
        }
        return Any::object({{"update", Any(toHex(*r))}});
    }
    if (c == "diffUpdate") {
        auto r = diffUpdate(fromHex(str(cmd, "update")), fromHex(str(cmd, "sv")));
        if (!r) {
            throw std::runtime_error("diffUpdate failed");
        }
        return Any::object({{"update", Any(toHex(*r))}});
    }
    if (c == "svFromUpdate") {
        auto r = stateVectorFromUpdate(fromHex(str(cmd, "update")));
        if (!r) {
            throw std::runtime_error("svFromUpdate failed");
        }
        return Any::object({{"sv", Any(toHex(*r))}});
    }
    if (c == "relPos") {
        DocState &d = docState();
        Branch *b = resolve(d, *field(cmd, "target"));
        const auto p = relativePositionFromIndex(b, static_cast<uint64_t>(num(cmd, "index")),
                                                 static_cast<int64_t>(num(cmd, "assoc")));
        return Any::object(
                {{"json", *Encoding::parseJson(p.toJson())}, {"binary", Any(toHex(p.encode()))}});
    }
    if (c == "absPos") {
        DocState &d = docState();
        std::optional<RelativePosition> p;
        if (const Any *bin = cmd.find("binary")) {
            p = RelativePosition::decode(fromHex(bin->toString()));
        } else {
            const Any &j = *field(cmd, "json");
            p = RelativePosition {};
            auto id = [](const Any *v) -> OptId {
                if (!v || v->type() != Any::Type::Object) {
                    return {};
                }
                return Id {static_cast<ClientId>(num(*v, "client")),
                           static_cast<Clock>(num(*v, "clock"))};
            };
            p->type = id(j.find("type"));
            p->item = id(j.find("item"));
            if (const Any *t = j.find("tname"); t && t->type() == Any::Type::String) {
                p->tname = t->toString();
            }
            p->assoc = static_cast<int64_t>(num(j, "assoc"));
        }
        auto abs = p ? absolutePosition(*p, *d.doc) : std::nullopt;
        return Any::object({{"index", abs ? Any(double(abs->index)) : Any(nullptr)},
                            {"assoc", abs ? Any(double(abs->assoc)) : Any(nullptr)}});
    }
    auto stacks = [](DocState &d, Any::Object extra) {
        extra.push_back({"undoStackSize", Any(double(d.undo->undoStackSize()))});
        extra.push_back({"redoStackSize", Any(double(d.undo->redoStackSize()))});
        return Any::object(std::move(extra));
    };
    if (c == "undoManager") {
        DocState &d = docState();
        std::vector<Branch *> scope;
        for (const auto &t : field(cmd, "targets")->toArray()) {
            scope.push_back(resolve(d, t));
        }
        UndoManager::Options options;
        options.captureTimeoutMs = static_cast<uint64_t>(num(cmd, "captureTimeout", 500));
        options.now = [] {
            static uint64_t t = 1'000'000;
            return ++t; // a millisecond per transaction, as a fast script in JS
        };
        if (const Any *tracked = cmd.find("trackedOrigins")) {
            options.trackedOrigins.clear();
            for (const auto &o : tracked->toArray()) {
                options.trackedOrigins.insert(
                        o.isNull() ? nullptr : m_origins.insert(o.toString()).first->c_str());
            }
        }
        d.undo = std::make_unique<UndoManager>(*d.doc, scope, options);
        return stacks(d, {});
    }
    if (c == "undo" || c == "redo") {
        DocState &d = docState();
        const bool done = c == "undo" ? d.undo->undo() : d.undo->redo();
        return stacks(d, {{"done", Any(done)}});
    }
    if (c == "stopCapturing") {
        DocState &d = docState();
        d.undo->stopCapturing();
        return stacks(d, {});
    }
    if (c == "free") {
        m_docs.erase(name);
        return Any::object({});
    }
    throw std::runtime_error("unknown command " + c);
}

/// One observed delta without rich-text attributes: Tandem reports text changes only, so
/// attribute-only retains merge with their neighbours and trailing retains go.
static Any plainDelta(const Any &delta)
{
    Any::Array out;
    for (const auto &op : delta.toArray()) {
        const auto &e = op.toObject().front(); // {insert|retain|delete: value}
        if (!out.empty() && e.key != "insert" && out.back().toObject().front().key == e.key) {
            const double sum = out.back().toObject().front().value.toNumber() + e.value.toNumber();
            out.back() = Any::object({{e.key, Any(sum)}});
            continue;
        }
        if (!out.empty() && e.key == "insert" && e.value.type() == Any::Type::String
            && out.back().toObject().front().key == "insert"
            && out.back().toObject().front().value.type() == Any::Type::String) {
            out.back() = Any::object(
                    {{"insert",
                      Any(out.back().toObject().front().value.toString() + e.value.toString())}});
            continue;
        }
        out.push_back(Any::object({{e.key, e.value}}));
    }
    while (!out.empty() && out.back().toObject().front().key == "retain") {
        out.pop_back();
    }
    return Any(std::move(out));
}

Any plainDeltas(const Any &deltas)
{
    Any::Object out;
    for (const auto &e : deltas.toObject()) {
        Any::Array list;
        for (const auto &d : e.value.toArray()) {
            list.push_back(plainDelta(d));
        }
        out.push_back({e.key, Any(std::move(list))});
    }
    return Any::object(std::move(out));
}

} // namespace Tandem::Testing
