// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: untrusted y-websocket messages through what the room server does with
// them, without sockets: the envelope, sync step 1 (answered from the room's document), step 2
// and updates (applied), awareness updates (applied, then re-encoded and accepted by a fresh
// peer). The input is a sequence of messages, each prefixed by one length byte, so that
// messages can meet the state earlier ones left.
#include "core/crdt/doc.h"
#include "core/protocol/awareness.h"
#include "core/protocol/messages.h"

#include <cstdio>
#include <cstdlib>

using namespace Tandem;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    Crdt::Doc doc(1);
    uint64_t now = 0;
    Protocol::Awareness awareness(1, [&now] { return now; });
    awareness.setLocalState(std::nullopt); // the server has no presence of its own
    std::span<const uint8_t> rest(data, size);
    while (!rest.empty()) {
        const size_t length = std::min<size_t>(rest[0], rest.size() - 1);
        const auto message = rest.subspan(1, length);
        rest = rest.subspan(1 + length);
        now += 1000;
        const auto m = Protocol::decodeMessage(message);
        if (!m) {
            continue;
        }
        switch (m->type) {
        case Protocol::MessageType::Sync:
            if (m->step == Protocol::SyncStep::Step1) {
                if (const auto diff = doc.encodeStateAsUpdate(m->payload)) {
                    Crdt::Doc fresh(2);
                    if (fresh.applyUpdate(*diff)) {
                        std::fprintf(stderr, "a step 2 answer was refused by a fresh document\n");
                        std::abort();
                    }
                }
            } else {
                doc.applyUpdate(m->payload);
            }
            break;
        case Protocol::MessageType::Awareness:
            if (!awareness.applyUpdate(m->payload, nullptr)) {
                // Whatever was accepted is relayed: another peer must accept the relay.
                Protocol::Awareness peer(3);
                if (peer.applyUpdate(awareness.encodeUpdate(awareness.clients()), nullptr)) {
                    std::fprintf(stderr, "a relayed awareness update was refused\n");
                    std::abort();
                }
            }
            awareness.checkTimeouts();
            break;
        case Protocol::MessageType::QueryAwareness:
            (void)awareness.encodeUpdate(awareness.clients());
            break;
        case Protocol::MessageType::Auth:
            break;
        }
    }
    const std::string problem = doc.checkIntegrity();
    if (!problem.empty()) {
        std::fprintf(stderr, "integrity: %s\n", problem.c_str());
        std::abort();
    }
    return 0;
}
