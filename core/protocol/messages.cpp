// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/protocol/messages.h"

#include "core/encoding/encoder.h"

namespace Tandem::Protocol {

using Encoding::DecodeError;
using Encoding::DecodeErrorCode;
using Encoding::Decoder;
using Encoding::Encoder;

std::optional<Message> decodeMessage(std::span<const uint8_t> bytes, DecodeError *error)
{
    Decoder d(bytes);
    Message m;
    const uint64_t type = d.readVarUint();
    switch (type) {
    case uint64_t(MessageType::Sync): {
        m.type = MessageType::Sync;
        const uint64_t step = d.readVarUint();
        if (d.ok() && step > uint64_t(SyncStep::Update)) {
            d.fail(DecodeErrorCode::UnknownMessage);
        }
        m.step = static_cast<SyncStep>(step);
        m.payload = d.readVarBytes();
        break;
    }
    case uint64_t(MessageType::Awareness):
        m.type = MessageType::Awareness;
        m.payload = d.readVarBytes();
        break;
    case uint64_t(MessageType::Auth): {
        m.type = MessageType::Auth;
        const uint64_t kind = d.readVarUint();
        if (d.ok() && kind != 0) {
            d.fail(DecodeErrorCode::UnknownMessage);
        }
        m.authReason = std::string(d.readVarStringUtf8());
        break;
    }
    case uint64_t(MessageType::QueryAwareness):
        m.type = MessageType::QueryAwareness;
        break;
    default:
        if (d.ok()) {
            d.fail(DecodeErrorCode::UnknownMessage);
        }
    }
    if (d.ok() && !d.atEnd()) {
        d.fail(DecodeErrorCode::TrailingData);
    }
    if (!d.ok()) {
        if (error) {
            *error = d.error();
        }
        return std::nullopt;
    }
    return m;
}

namespace {

std::vector<uint8_t> frame(MessageType type, std::optional<SyncStep> step,
                           std::span<const uint8_t> payload)
{
    Encoder e;
    e.reserve(payload.size() + 8);
    e.writeVarUint(uint64_t(type));
    if (step) {
        e.writeVarUint(uint64_t(*step));
    }
    e.writeVarBytes(payload);
    return e.take();
}

} // namespace

std::vector<uint8_t> encodeSyncStep1(std::span<const uint8_t> stateVector)
{
    return frame(MessageType::Sync, SyncStep::Step1, stateVector);
}

std::vector<uint8_t> encodeSyncStep2(std::span<const uint8_t> update)
{
    return frame(MessageType::Sync, SyncStep::Step2, update);
}

std::vector<uint8_t> encodeSyncUpdate(std::span<const uint8_t> update)
{
    return frame(MessageType::Sync, SyncStep::Update, update);
}

std::vector<uint8_t> encodeAwareness(std::span<const uint8_t> awarenessUpdate)
{
    return frame(MessageType::Awareness, std::nullopt, awarenessUpdate);
}

std::vector<uint8_t> encodeQueryAwareness()
{
    return {uint8_t(MessageType::QueryAwareness)};
}

std::vector<uint8_t> encodeAuthDenied(std::string_view reason)
{
    Encoder e;
    e.writeVarUint(uint64_t(MessageType::Auth));
    e.writeVarUint(0);
    e.writeVarStringUtf8(reason);
    return e.take();
}

} // namespace Tandem::Protocol
