// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: untrusted bytes through every entry point that takes a v1 update.
// The input is split in two by its first byte so that a second update can meet the state
// the first one left behind (pending structs, pending deletes, splits of known items).
#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/crdt/update.h"

#include <cstdio>
#include <cstdlib>

using namespace Tandem::Crdt;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const size_t split = size > 1 ? 1 + data[0] % (size - 1) : 1;
    std::span<const uint8_t> all(data + 1, size - 1);
    std::span<const uint8_t> first = all.subspan(0, std::min(all.size(), split));
    std::span<const uint8_t> second = all.subspan(first.size());

    for (bool gc : {true, false}) {
        Doc doc(1, gc);
        Text text = doc.getText("t");
        doc.applyUpdate(first);
        doc.transact([&](Transaction &tr) {
            text.insert(tr, text.length() / 2, u"x");
            if (text.length() > 2) {
                text.remove(tr, 0, 1);
            }
        });
        doc.applyUpdate(second);
        const std::string problem = doc.checkIntegrity();
        if (!problem.empty()) {
            std::fprintf(stderr, "integrity: %s\n", problem.c_str());
            std::abort();
        }
        // Whatever was accepted must re-encode into something a fresh document accepts.
        const auto state = doc.encodeStateAsUpdate();
        Doc copy(2, gc);
        if (const auto err = copy.applyUpdate(state)) {
            std::fprintf(stderr, "own encoding rejected: %s\n", err.toString().c_str());
            std::abort();
        }
        // (Hostile updates can describe orders that no peer could have produced, so the copy
        // may order such items differently; it must still be a consistent document.)
        if (!copy.checkIntegrity().empty()) {
            std::fprintf(stderr, "re-encoded state is inconsistent: %s\n",
                         copy.checkIntegrity().c_str());
            std::abort();
        }
    }
    mergeUpdates({first, second});
    diffUpdate(first, second);
    stateVectorFromUpdate(all);
    return 0;
}
