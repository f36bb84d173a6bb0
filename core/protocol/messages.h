// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The y-websocket envelope and the y-protocols sync messages (yjs-protocol.md §7, §8.1).
// One WebSocket binary message carries one message: varUint(type), then
//   0 sync:            varUint(step) varUint8Array(payload)   step 0 = state vector,
//                                                              1 = step-2 update, 2 = update
//   1 awareness:       varUint8Array(awareness update)
//   2 auth:            varUint(0 = permission denied) varString(reason)
//   3 query awareness: nothing

#include "core/encoding/decoder.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace Tandem::Protocol {

enum class MessageType : uint8_t { Sync = 0, Awareness = 1, Auth = 2, QueryAwareness = 3 };
enum class SyncStep : uint8_t { Step1 = 0, Step2 = 1, Update = 2 };

struct Message
{
    MessageType type = MessageType::Sync;
    SyncStep step = SyncStep::Step1; ///< for Sync
    std::span<const uint8_t> payload; ///< state vector, update or awareness update (a view)
    std::string authReason; ///< for Auth: why permission was denied
};

/// Decodes one message. Unknown types and steps, truncated or trailing bytes are errors
/// (code and offset in @p error); the payload is not interpreted here.
std::optional<Message> decodeMessage(std::span<const uint8_t> bytes,
                                     Encoding::DecodeError *error = nullptr);

std::vector<uint8_t> encodeSyncStep1(std::span<const uint8_t> stateVector);
std::vector<uint8_t> encodeSyncStep2(std::span<const uint8_t> update);
std::vector<uint8_t> encodeSyncUpdate(std::span<const uint8_t> update);
std::vector<uint8_t> encodeAwareness(std::span<const uint8_t> awarenessUpdate);
std::vector<uint8_t> encodeQueryAwareness();
std::vector<uint8_t> encodeAuthDenied(std::string_view reason);

} // namespace Tandem::Protocol
