// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/client/provider.h"

#include "core/client/clientlog.h"
#include "core/protocol/messages.h"

namespace Tandem::Client {

Provider::Provider(Crdt::Doc &doc, Protocol::Awareness &awareness, Transport &transport,
                   Clock &clock, QObject *parent)
    : QObject(parent), m_doc(doc), m_awareness(awareness), m_transport(transport), m_clock(clock)
{
    m_updateSub
            = m_doc.onUpdate([this](std::span<const uint8_t> update, const Crdt::Transaction &tr) {
                  if (tr.origin != this) {
                      onLocalUpdate(update);
                  }
              });
    m_awareness.onUpdate
            = [this](const Protocol::Awareness::Changes &c, Protocol::Awareness::Origin origin) {
                  if (origin != this) {
                      send(Protocol::encodeAwareness(m_awareness.encodeUpdate(c.all())));
                  }
              };
    connect(&m_transport, &Transport::stateChanged, this, &Provider::onTransportState);
    connect(&m_transport, &Transport::messageReceived, this, &Provider::onMessage);
    scheduleAwarenessCheck();
    onTransportState(m_transport.state());
}

Provider::~Provider()
{
    // Peers drop us now rather than after their 30 s timeout.
    if (m_awareness.localState()) {
        m_awareness.setLocalState(std::nullopt);
    }
    m_awareness.onUpdate = nullptr;
    m_doc.unsubscribe(m_updateSub);
    m_clock.cancel(m_confirmTimer);
    m_clock.cancel(m_awarenessTimer);
    m_transport.disconnect(this);
    m_transport.close();
}

void Provider::send(std::span<const uint8_t> message)
{
    m_transport.send(message);
}

void Provider::onTransportState(Transport::State state)
{
    m_clock.cancel(std::exchange(m_confirmTimer, 0));
    m_synced = false;
    m_answeredStep1 = false;
    m_step1s.clear();
    m_sentSeq = m_confirmedSeq; // what was sent on a lost connection may not have arrived
    if (state == Transport::State::Connected) {
        sendStep1();
        if (const auto local = m_awareness.localState()) {
            m_awareness.setLocalState(*local); // bumps the clock: peers take it as new
        }
    } else {
        // Nobody is known to be there any more: clear remote presence (no ghosts).
        std::vector<Protocol::ClientId> remote;
        for (Protocol::ClientId id : m_awareness.clients()) {
            if (id != m_awareness.clientId()) {
                remote.push_back(id);
            }
        }
        if (!remote.empty()) {
            m_awareness.removeStates(remote, this);
        }
    }
    updateStatus();
}

void Provider::sendStep1()
{
    m_step1s.push_back(m_sentSeq);
    m_lastConfirmAt = m_clock.nowMs();
    send(Protocol::encodeSyncStep1(m_doc.encodeStateVector()));
}

void Provider::onLocalUpdate(std::span<const uint8_t> update)
{
    ++m_localSeq;
    if (m_transport.state() == Transport::State::Connected) {
        send(Protocol::encodeSyncUpdate(update));
        if (m_answeredStep1) {
            m_sentSeq = m_localSeq;
            requestConfirmation();
        }
    }
    Q_EMIT unconfirmedChangesChanged(unconfirmedChanges());
}

void Provider::requestConfirmation()
{
    if (m_confirmTimer || m_sentSeq <= m_confirmedSeq
        || m_transport.state() != Transport::State::Connected) {
        return;
    }
    // One outstanding request at a time, at most one per confirmIntervalMs.
    if (!m_step1s.empty() && m_step1s.back() >= m_sentSeq) {
        return; // already asked for everything sent
    }
    const int64_t wait
            = std::max<int64_t>(0, m_lastConfirmAt + confirmIntervalMs - m_clock.nowMs());
    m_confirmTimer = m_clock.schedule(wait, [this] {
        m_confirmTimer = 0;
        if (m_transport.state() == Transport::State::Connected) {
            sendStep1();
        }
    });
}

void Provider::onMessage(const QByteArray &message)
{
    Encoding::DecodeError error;
    const auto m = Protocol::decodeMessage(
            {reinterpret_cast<const uint8_t *>(message.constData()), size_t(message.size())},
            &error);
    if (!m) {
        protocolError(QStringLiteral("malformed message from the server: %1")
                              .arg(QString::fromStdString(error.toString())));
        return;
    }
    switch (m->type) {
    case Protocol::MessageType::Sync:
        switch (m->step) {
        case Protocol::SyncStep::Step1: {
            const auto diff = m_doc.encodeStateAsUpdate(m->payload);
            if (!diff) {
                protocolError(QStringLiteral("malformed state vector from the server"));
                return;
            }
            send(Protocol::encodeSyncStep2(*diff));
            m_answeredStep1 = true;
            m_sentSeq = m_localSeq; // everything we have went with it
            requestConfirmation();
            break;
        }
        case Protocol::SyncStep::Step2:
        case Protocol::SyncStep::Update:
            if (const auto err = m_doc.applyUpdate(m->payload, this)) {
                protocolError(QStringLiteral("the server sent an update that does not apply: %1")
                                      .arg(QString::fromStdString(err.toString())));
                return;
            }
            if (m->step == Protocol::SyncStep::Step2 && !m_step1s.empty()) {
                const uint64_t covered = m_step1s.front();
                m_step1s.pop_front();
                if (covered > m_confirmedSeq) {
                    m_confirmedSeq = covered;
                    Q_EMIT unconfirmedChangesChanged(unconfirmedChanges());
                }
                if (!m_synced) {
                    m_synced = true;
                    m_transport.connectionUseful();
                    updateStatus();
                }
                requestConfirmation();
            }
            break;
        }
        break;
    case Protocol::MessageType::Awareness:
        if (const auto err = m_awareness.applyUpdate(m->payload, this)) {
            qCWarning(lcClient) << "ignoring a malformed awareness update:"
                                << QString::fromStdString(err.toString());
        }
        break;
    case Protocol::MessageType::QueryAwareness:
        send(Protocol::encodeAwareness(m_awareness.encodeUpdate(m_awareness.clients())));
        break;
    case Protocol::MessageType::Auth:
        m_transport.goOffline(
                QStringLiteral("permission denied: %1").arg(QString::fromStdString(m->authReason)));
        break;
    }
}

void Provider::protocolError(const QString &what)
{
    qCWarning(lcClient).noquote() << what;
    m_transport.reconnect(what);
}

void Provider::updateStatus()
{
    Status s = Status::Disconnected;
    switch (m_transport.state()) {
    case Transport::State::Disconnected:
        s = Status::Disconnected;
        break;
    case Transport::State::Connecting:
        s = Status::Connecting;
        break;
    case Transport::State::Connected:
        s = m_synced ? Status::Synced : Status::Syncing;
        break;
    case Transport::State::Offline:
        s = Status::Offline;
        break;
    }
    if (s != m_status) {
        m_status = s;
        Q_EMIT statusChanged(s);
    }
}

void Provider::scheduleAwarenessCheck()
{
    m_awarenessTimer = m_clock.schedule(awarenessCheckMs, [this] {
        m_awareness.checkTimeouts();
        scheduleAwarenessCheck();
    });
}

} // namespace Tandem::Client
