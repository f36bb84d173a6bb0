// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/client/clock.h"
#include "core/client/transport.h"
#include "core/crdt/doc.h"
#include "core/protocol/awareness.h"

#include <QObject>

#include <deque>

namespace Tandem::Client {

/// Binds a document and its awareness to a room through a Transport, speaking the
/// y-websocket protocol (works against `tandem --serve` and the reference JS server alike).
///
/// On connect it sends sync step 1 and the local awareness (clock bumped, or peers ignore it),
/// answers the server's step 1 with everything the server lacks (edits made offline
/// included), sends local updates as they happen and applies remote ones. It is Synced once
/// the server answered its step 1.
///
/// Confirmation: a server handles a connection's messages in order, and answers a sync step 1
/// only after everything received before it (`tandem --serve` also stores it first). So after
/// sending local changes the provider sends a step 1 of its own; its answer confirms them.
/// unconfirmedChanges() counts local transactions not confirmed that way.
///
/// The provider takes over the awareness' onUpdate hook. Destroy it before the document,
/// the awareness and the transport.
class Provider : public QObject
{
    Q_OBJECT
public:
    enum class Status { Disconnected, Connecting, Syncing, Synced, Offline };
    Q_ENUM(Status)

    Provider(Crdt::Doc &doc, Protocol::Awareness &awareness, Transport &transport,
             Clock &clock = Clock::system(), QObject *parent = nullptr);
    /// Sends a null awareness state (so peers drop us at once) and closes the transport.
    ~Provider() override;

    Status status() const { return m_status; }
    int unconfirmedChanges() const { return int(m_localSeq - m_confirmedSeq); }
    Transport &transport() { return m_transport; }

    /// How soon after a local change its confirmation is asked for, at most.
    static constexpr int64_t confirmIntervalMs = 200;
    /// How often awareness timeouts are checked (as y-protocols).
    static constexpr int64_t awarenessCheckMs = 3000;

Q_SIGNALS:
    void statusChanged(Tandem::Client::Provider::Status status);
    void unconfirmedChangesChanged(int count);

private:
    void onTransportState(Transport::State state);
    void onMessage(const QByteArray &message);
    void onLocalUpdate(std::span<const uint8_t> update);
    void send(std::span<const uint8_t> message);
    void sendStep1();
    void requestConfirmation();
    void updateStatus();
    void scheduleAwarenessCheck();
    void protocolError(const QString &what);

    Crdt::Doc &m_doc;
    Protocol::Awareness &m_awareness;
    Transport &m_transport;
    Clock &m_clock;
    Crdt::SubscriptionId m_updateSub = 0;
    Status m_status = Status::Disconnected;
    bool m_synced = false; ///< the server answered our first step 1 on this connection
    bool m_answeredStep1 = false; ///< we sent the server what it lacks on this connection
    uint64_t m_localSeq = 0; ///< local transactions so far
    uint64_t m_sentSeq = 0; ///< sent on this connection (or confirmed before)
    uint64_t m_confirmedSeq = 0;
    std::deque<uint64_t> m_step1s; ///< per unanswered step 1: m_sentSeq when it was sent
    Clock::TimerId m_confirmTimer = 0;
    Clock::TimerId m_awarenessTimer = 0;
    int64_t m_lastConfirmAt = -confirmIntervalMs;
};

} // namespace Tandem::Client
