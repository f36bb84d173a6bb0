// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The C++ twin of tests/js/ops.mjs: named documents driven by the same JSON commands, so
// the fixture test and the live differential test can compare Tandem with Yjs directly.

#include "core/crdt/doc.h"
#include "core/crdt/undomanager.h"
#include "core/encoding/any.h"

#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace Tandem::Testing {

using Encoding::Any;

std::string toHex(std::span<const uint8_t> bytes);
std::vector<uint8_t> fromHex(std::string_view hex);
/// Tagged JSON ({"$bigint": ...} etc.) ↔ Any, as ops.mjs converts them.
Any anyFromTagged(const Any &json);
Any anyToTagged(const Any &value);
/// Object field access helpers for responses and commands.
const Any *field(const Any &obj, std::string_view key);
std::string str(const Any &obj, std::string_view key);
double num(const Any &obj, std::string_view key, double fallback = 0);
/// Observed deltas ({root: [delta...]}) without rich-text attributes: Tandem reports text
/// changes only, so attribute-only retains merge with their neighbours and trailing retains go.
Any plainDeltas(const Any &deltas);

class World
{
public:
    World();
    ~World();
    /// Executes one command; the response has the same shape as ops.mjs' responses.
    Any exec(const Any &cmd);
    Crdt::Doc *doc(const std::string &name);
    /// Appends a JSON description of the roots "map" and "array" of @p doc to @p out.
    static void describe(Crdt::Doc &doc, std::string &out);

private:
    struct DocState;
    Any run(const Any &cmd, DocState *&touched);
    Crdt::Branch *resolve(DocState &d, const Any &target);
    Crdt::Origin origin(const Any &cmd);

    std::map<std::string, std::unique_ptr<DocState>> m_docs;
    std::set<std::string> m_origins; ///< interned origin names (their addresses are the origins)
};

} // namespace Tandem::Testing
