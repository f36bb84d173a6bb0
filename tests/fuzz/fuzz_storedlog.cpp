// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the room server's loader (Room::load) over a damaged stored log. The input
// becomes a StoredRoom (a snapshot and the updates stored after it) held by an in-memory
// RoomStore; a real Room loads it. A log that does not load must say why and write nothing;
// one that loads must give a consistent document, and compacting it (Room::compact) must
// store a snapshot that loads again, alone, to the same state.
//
// Input: byte 0 is added to the number of updates to give lastSeq (sequence numbers need not
// start at 1), then records of a 2-byte little-endian length and that many bytes: the first
// is the snapshot, the others are the updates in order.
#include "core/crdt/doc.h"
#include "core/server/room.h"
#include "core/server/roomserver.h"

#include <QLoggingCategory>

#include <cstdio>
#include <cstdlib>

#include "fuzzsupport.h"

using namespace Tandem;

namespace {

[[noreturn]] void fail(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "fuzz_storedlog: %s %s\n", what, detail.c_str());
    std::abort();
}

void checkDoc(Crdt::Doc &doc, const char *what)
{
    const std::string problem = doc.checkIntegrity();
    if (!problem.empty()) {
        fail(what, problem);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    QLoggingCategory::setFilterRules(QStringLiteral("tandem.*=false"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    Fuzz::MemoryRoomStore store;
    std::span<const uint8_t> rest(data + 1, size - 1);
    bool first = true;
    while (!rest.empty()) {
        const size_t length = rest.size() < 2
                ? 0
                : std::min<size_t>(rest[0] | size_t(rest[1]) << 8, rest.size() - 2);
        const auto record = rest.subspan(std::min<size_t>(2, rest.size()), length);
        rest = rest.subspan(std::min<size_t>(2, rest.size()) + length);
        QByteArray bytes(reinterpret_cast<const char *>(record.data()), qsizetype(record.size()));
        if (first) {
            store.stored.snapshot = bytes;
            first = false;
        } else {
            store.stored.updates.push_back(bytes);
        }
    }
    store.stored.lastSeq = int64_t(store.stored.updates.size()) + data[0];

    Server::ServerOptions options;
    const QString name = QStringLiteral("fuzz");
    Server::Room room(name, store, options);
    QString error;
    if (!room.load(&error)) {
        if (error.isEmpty()) {
            fail("load() failed without saying why");
        }
        if (store.appends || store.compactions) {
            fail("a failed load() wrote to the store");
        }
        // Updates apply atomically: whatever applied before the damaged one is consistent.
        checkDoc(room.doc(), "after a failed load:");
        return 0;
    }
    checkDoc(room.doc(), "after load:");
    if (store.appends || store.compactions) {
        fail("load() wrote to the store");
    }
    const auto before = room.doc().encodeStateAsUpdate();

    if (!room.compact()) {
        fail("compact() failed on a store that cannot fail");
    }
    if (store.compactions != 1 || !store.stored.updates.empty()) {
        fail("compact() did not fold every loaded update into the snapshot");
    }
    if (room.doc().encodeStateAsUpdate() != before) {
        fail("compact() changed the document");
    }

    // The snapshot alone must load to the same state.
    Server::Room again(name, store, options);
    QString againError;
    if (!again.load(&againError)) {
        fail("the compacted snapshot does not load:", againError.toStdString());
    }
    checkDoc(again.doc(), "after loading the compacted snapshot:");
    // The same state (see Fuzz::differs for its limits; byte-equal encodings are not required:
    // adjacent deleted structs that one document keeps apart, the reloaded one may merge).
    if (const char *what = Fuzz::differs(room.doc(), again.doc())) {
        std::fprintf(stderr, "loaded:   %s\nreloaded: %s\n", Fuzz::describe(room.doc()).c_str(),
                     Fuzz::describe(again.doc()).c_str());
        fail("the compacted snapshot loads to a document with", what);
    }
    if (const char *what = Fuzz::unstable(again.doc())) {
        fail("the reloaded snapshot encodes into", what);
    }
    return 0;
}
