// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/room.h"

#include "core/crdt/update.h"
#include "core/protocol/messages.h"
#include "core/server/roomserver.h"
#include "core/server/serverlog.h"
#include "core/storage/roomstore.h"

#include <QTimer>

#include <chrono>
#include <random>

namespace Tandem::Server {

namespace {

std::span<const uint8_t> span(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}

Crdt::ClientId randomClientId()
{
    std::random_device rd;
    return std::uniform_int_distribution<uint32_t>()(rd);
}

int64_t monotonicMs()
{
    return std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now().time_since_epoch())
            .count();
}

/// Presence ids one connection may speak for: a client has one per document; more is a
/// client trying to fill the room's presence map.
constexpr size_t maxPresenceIdsPerConnection = 16;
/// Bytes of one presence update.
constexpr size_t maxPresenceBytes = 64 * 1024;

} // namespace

Room::Room(QString name, Storage::RoomStore &store, const ServerOptions &options)
    : m_name(std::move(name)), m_store(store), m_options(options), m_doc(randomClientId()),
      m_awareness(m_doc.clientId())
{
    // The server has no presence of its own (as the reference server).
    m_awareness.setLocalState(std::nullopt);
    m_awareness.onUpdate = [this](const Protocol::Awareness::Changes &c,
                                  Protocol::Awareness::Origin origin) {
        // Remember which ids a connection speaks for, so they go when it does. Ids
        // reported as updated count too: a client that reconnects with its old id is
        // "updated", not added.
        auto it = m_peers.find(static_cast<WebSocketConnection *>(const_cast<void *>(origin)));
        if (it != m_peers.end()) {
            it->second.controlled.insert(c.added.begin(), c.added.end());
            it->second.controlled.insert(c.updated.begin(), c.updated.end());
            for (auto id : c.removed) {
                it->second.controlled.erase(id);
            }
        }
        const auto message = Protocol::encodeAwareness(m_awareness.encodeUpdate(c.all()));
        broadcast(message);
        if (m_relay && origin != &m_relayOrigin) {
            m_relay->publish(m_name, message);
        }
    };
}

Room::~Room()
{
    for (auto &[connection, peer] : m_peers) {
        connection->setListener(nullptr);
    }
    setMemoryBudget(nullptr);
}

void Room::setMemoryBudget(MemoryBudget *budget)
{
    if (m_budget) {
        m_budget->used -= m_bytes;
    }
    m_budget = budget;
    if (m_budget) {
        m_budget->used += m_bytes;
    }
}

void Room::addBytes(qint64 delta)
{
    m_bytes += delta;
    if (m_budget) {
        m_budget->used += delta;
    }
}

bool Room::load(QString *error)
{
    auto stored = m_store.load(m_name, error);
    if (!stored) {
        return false;
    }
    auto apply = [&](const QByteArray &bytes, const char *what) {
        if (bytes.isEmpty()) {
            return true;
        }
        const auto err = m_doc.applyUpdate(span(bytes));
        if (err) {
            *error = QStringLiteral("stored %1 of room is damaged: %2")
                             .arg(QLatin1String(what), QString::fromStdString(err.toString()));
            return false;
        }
        return true;
    };
    bool ok = apply(stored->snapshot, "snapshot");
    for (const auto &u : stored->updates) {
        ok = ok && apply(u, "update");
    }
    m_lastSeq = stored->lastSeq;
    m_sinceSnapshot = int(stored->updates.size());
    qint64 bytes = stored->snapshot.size();
    for (const auto &u : stored->updates) {
        bytes += u.size();
    }
    addBytes(bytes);
    // From now on every change is stored and sent (what was just loaded is stored already).
    m_doc.onUpdate([this](std::span<const uint8_t> update, const Crdt::Transaction &tr) {
        storeAndBroadcast(update, tr.origin == &m_relayOrigin);
    });
    return ok;
}

void Room::join(WebSocketConnection *socket, const AccessRights &access)
{
    Peer &peer = m_peers[socket];
    peer.access = access;
    peer.messages = RateLimiter(m_options.maxMessagesPerSecond, m_options.messageBurst);
    peer.bytes = RateLimiter(m_options.maxBytesPerSecond, m_options.byteBurst);
    socket->setListener(this);
    socket->sendBinary(Protocol::encodeSyncStep1(m_doc.encodeStateVector()));
    const auto known = m_awareness.clients();
    if (!known.empty()) {
        socket->sendBinary(Protocol::encodeAwareness(m_awareness.encodeUpdate(known)));
    }
}

void Room::onMessage(WebSocketConnection *socket, std::span<const uint8_t> message, bool text)
{
    const auto peerIt = m_peers.find(socket);
    if (peerIt == m_peers.end()) {
        return;
    }
    Peer &peer = peerIt->second;
    // Over its rate, a connection is closed at once: reading on would make everyone else wait.
    const int64_t now = monotonicMs();
    if (!peer.messages.take(1, now)) {
        drop(socket, CloseCode::TooFast,
             QStringLiteral("too many messages: the limit is %1 per second")
                     .arg(m_options.maxMessagesPerSecond));
        return;
    }
    if (!peer.bytes.take(double(message.size()), now)) {
        drop(socket, CloseCode::TooFast,
             QStringLiteral("too much data: the limit is %1 bytes per second")
                     .arg(qint64(m_options.maxBytesPerSecond)));
        return;
    }
    if (text) {
        drop(socket, CloseCode::BadMessage, QStringLiteral("text messages are not supported"));
        return;
    }
    auto malformed = [&](const char *what, const Encoding::DecodeError &error) {
        drop(socket, CloseCode::BadMessage,
             QStringLiteral("malformed %1: %2")
                     .arg(QLatin1String(what), QString::fromStdString(error.toString())));
    };
    Encoding::DecodeError error;
    const auto m = Protocol::decodeMessage(message, &error);
    if (!m) {
        malformed("message", error);
        return;
    }
    switch (m->type) {
    case Protocol::MessageType::Sync:
        if (m->step == Protocol::SyncStep::Step1) {
            if (!flushWrites()) {
                return; // storage failed: every connection was closed
            }
            auto diff = m_doc.encodeStateAsUpdate(m->payload);
            if (!diff) {
                drop(socket, CloseCode::BadMessage, QStringLiteral("malformed state vector"));
                return;
            }
            socket->sendBinary(Protocol::encodeSyncStep2(*diff));
        } else if (peer.access.readOnly) {
            // Refused, not applied. A read-only client may hold local edits (a Yjs client sends
            // them with its step 2); saying so once is enough, and it stays to read along.
            if (!peer.toldReadOnly) {
                peer.toldReadOnly = true;
                qCInfo(lcServer) << "room" << m_name << ": refusing updates of a read-only guest";
            }
        } else if (admitUpdate(socket, m->payload)) {
            // The update event stores and broadcasts (to the sender too: JS clients expect it).
            if (const auto err = m_doc.applyUpdate(m->payload, socket)) {
                malformed("update", err);
            }
        }
        break;
    case Protocol::MessageType::Awareness: {
        // Presence is a name, a colour and a cursor: a large state is someone filling memory
        // that no room size limit would count.
        if (m->payload.size() > maxPresenceBytes) {
            drop(socket, CloseCode::TooLarge,
                 QStringLiteral("presence update of %1 bytes is above the limit of %2")
                         .arg(m->payload.size())
                         .arg(maxPresenceBytes));
            return;
        }
        if (const auto err = m_awareness.applyUpdate(m->payload, socket)) {
            malformed("awareness update", err);
            return;
        }
        if (peer.controlled.size() > maxPresenceIdsPerConnection) {
            drop(socket, CloseCode::BadMessage,
                 QStringLiteral("presence for more than %1 clients from one connection")
                         .arg(maxPresenceIdsPerConnection));
        }
        break;
    }
    case Protocol::MessageType::QueryAwareness:
        socket->sendBinary(
                Protocol::encodeAwareness(m_awareness.encodeUpdate(m_awareness.clients())));
        break;
    case Protocol::MessageType::Auth:
        break; // clients have nothing to authenticate to us with this message
    }
}

bool Room::admitUpdate(WebSocketConnection *socket, std::span<const uint8_t> update)
{
    const qint64 limit = m_options.maxRoomBytes;
    const bool nearLimit = limit > 0 && m_bytes + qint64(update.size()) > limit;
    if (!nearLimit && (!m_budget || m_budget->allows(qint64(update.size())))) {
        return true; // the cheap answer: even if all of it were new, it fits
    }
    // Only what the room lacks counts: a client that reconnects sends all it has.
    Encoding::DecodeError error;
    const auto novel = Crdt::diffUpdate(update, m_doc.encodeStateVector(), &error);
    if (!novel) {
        drop(socket, CloseCode::BadMessage,
             QStringLiteral("malformed update: %1").arg(QString::fromStdString(error.toString())));
        return false;
    }
    const qint64 grows = qint64(novel->size());
    if (limit > 0 && m_bytes + grows > limit) {
        qCWarning(lcServer) << "room" << m_name << "is full:" << m_bytes << "bytes stored, limit"
                            << limit;
        drop(socket, CloseCode::TooLarge,
             QStringLiteral("the room is full: it may hold %1 bytes").arg(limit));
        return false;
    }
    if (m_budget && !m_budget->allows(grows)) {
        qCWarning(lcServer) << "memory budget reached: loaded rooms take about"
                            << m_budget->estimatedMemory() << "of" << m_budget->limit << "bytes";
        drop(socket, CloseCode::TryAgainLater,
             QStringLiteral("the server is at its memory budget, try again later"));
        return false;
    }
    return true;
}

void Room::checkAccess(const std::set<QByteArray> &revokedIds, qint64 nowSecs)
{
    std::vector<std::pair<WebSocketConnection *, bool>> ended; // (connection, revoked)
    for (const auto &[socket, peer] : m_peers) {
        const AccessRights &a = peer.access;
        if (a.tokenId.isEmpty()) {
            continue;
        }
        if (revokedIds.count(a.tokenId)) {
            ended.emplace_back(socket, true);
        } else if (a.expiresAt > 0 && nowSecs > a.expiresAt) {
            ended.emplace_back(socket, false);
        }
    }
    for (const auto &[socket, revoked] : ended) {
        if (revoked) {
            drop(socket, CloseCode::Forbidden, QStringLiteral("access token revoked"));
        } else {
            drop(socket, CloseCode::Unauthorized, QStringLiteral("access token expired"));
        }
    }
}

void Room::applyFromRelay(std::span<const uint8_t> message)
{
    const auto m = Protocol::decodeMessage(message);
    if (!m) {
        qCWarning(lcServer) << "room" << m_name << ": ignoring a malformed relayed message";
        return;
    }
    if (m->type == Protocol::MessageType::Awareness) {
        m_awareness.applyUpdate(m->payload, &m_relayOrigin);
        return;
    }
    if (m->type != Protocol::MessageType::Sync) {
        return;
    }
    if (m->step == Protocol::SyncStep::Step1) {
        // Another instance (re)joined: send it what it lacks (stored first, as for clients)
        // and who is here. If it has something this one lacks, ask for that in turn; once
        // both hold the same, nobody asks again, so this cannot ping-pong.
        if (!flushWrites() || !m_relay) {
            return;
        }
        if (const auto diff = m_doc.encodeStateAsUpdate(m->payload)) {
            m_relay->publish(m_name, Protocol::encodeSyncStep2(*diff));
        }
        if (const auto theirs = Crdt::StateVector::decode(m->payload)) {
            const Crdt::StateVector &ours = m_doc.stateVector();
            const bool theyHaveMore
                    = std::any_of(theirs->entries().begin(), theirs->entries().end(),
                                  [&](const auto &e) { return e.second > ours.get(e.first); });
            if (theyHaveMore) {
                m_relay->publish(m_name, Protocol::encodeSyncStep1(m_doc.encodeStateVector()));
            }
        }
        publishLocalPresence();
        return;
    }
    if (const auto err = m_doc.applyUpdate(m->payload, &m_relayOrigin)) {
        qCWarning(lcServer) << "room" << m_name << ": a relayed update does not apply:"
                            << QString::fromStdString(err.toString());
    }
}

void Room::resyncRelay()
{
    if (!m_relay) {
        return;
    }
    m_relay->publish(m_name, Protocol::encodeSyncStep1(m_doc.encodeStateVector()));
    publishLocalPresence();
}

void Room::publishLocalPresence()
{
    if (!m_relay) {
        return;
    }
    std::vector<Protocol::ClientId> local;
    for (const auto &[socket, peer] : m_peers) {
        local.insert(local.end(), peer.controlled.begin(), peer.controlled.end());
    }
    if (!local.empty()) {
        m_relay->publish(m_name, Protocol::encodeAwareness(m_awareness.encodeUpdate(local)));
    }
}

void Room::storeAndBroadcast(std::span<const uint8_t> update, bool fromRelay)
{
    if (m_failed) {
        return;
    }
    m_unwritten.emplace_back(update.begin(), update.end());
    addBytes(qint64(update.size()));
    m_unwrittenFromRelay.push_back(fromRelay);
    if (!m_flushScheduled) {
        m_flushScheduled = true;
        // Right away (at the end of this event-loop round) unless the last flush was less
        // than the batching window ago: quiet rooms wait for nothing, busy ones send batches.
        const qint64 wait = m_lastFlush.isValid()
                ? std::max<qint64>(0, m_options.commitWindowMs - m_lastFlush.elapsed())
                : 0;
        QTimer::singleShot(int(wait), Qt::PreciseTimer, this, [this] { flushWrites(); });
    }
}

bool Room::flushWrites()
{
    m_flushScheduled = false;
    m_lastFlush.start();
    if (m_unwritten.empty() || m_failed) {
        return !m_failed;
    }
    // What another instance relayed is in a shared store already; anything else is stored here.
    std::vector<std::vector<uint8_t>> toStore;
    for (size_t i = 0; i < m_unwritten.size(); ++i) {
        if (!m_store.shared() || !m_unwrittenFromRelay[i]) {
            toStore.push_back(m_unwritten[i]);
        }
    }
    if (!toStore.empty()) {
        QString error;
        const auto seq = m_store.append(m_name, toStore, &error);
        if (!seq) {
            m_unwritten.clear();
            m_unwrittenFromRelay.clear();
            onStoreFailure(error);
            return false;
        }
        m_lastSeq = *seq;
        m_sinceSnapshot += int(toStore.size());
    }
    // Stored: now they may be seen. One frame per update (merging a batch into one update
    // was measured: the merge costs more than it saves), all of them in one write per peer:
    // on loopback a write costs several microseconds of kernel time, the frames almost nothing.
    QByteArray frames;
    for (const auto &u : m_unwritten) {
        frames += WebSocket::serverFrame(WebSocket::Opcode::Binary, Protocol::encodeSyncUpdate(u));
    }
    for (size_t i = 0; i < m_unwritten.size(); ++i) {
        if (m_relay && !m_unwrittenFromRelay[i]) {
            m_relay->publish(m_name, Protocol::encodeSyncUpdate(m_unwritten[i]));
        }
    }
    m_unwritten.clear();
    m_unwrittenFromRelay.clear();
    for (auto &[socket, peer] : m_peers) {
        socket->sendFrame(frames);
    }
    if (m_sinceSnapshot >= m_options.compactEvery) {
        compact();
    }
    return true;
}

void Room::onStoreFailure(const QString &error)
{
    // The document now holds something the disk does not. Stop serving from it: clients
    // reconnect (1011 means retry) and their sync sends the unstored part again to a room
    // freshly loaded from what is stored.
    qCCritical(lcServer) << "room" << m_name << "cannot store an update:" << error;
    m_failed = true;
    closeAll(CloseCode::ServerError, QStringLiteral("storage failed"));
}

bool Room::compact()
{
    if (m_failed || !flushWrites()) {
        return false;
    }
    const auto snapshot = m_doc.encodeStateAsUpdate();
    QString error;
    if (!m_store.compact(m_name, snapshot, m_lastSeq, &error)) {
        qCWarning(lcServer) << "room" << m_name << "could not be compacted:" << error;
        return false;
    }
    m_sinceSnapshot = 0;
    addBytes(qint64(snapshot.size()) - m_bytes);
    return true;
}

void Room::ping()
{
    for (auto &[socket, peer] : m_peers) {
        if (socket->awaitingPong()) {
            qCInfo(lcServer) << "room" << m_name << ": a connection did not answer a ping";
            socket->abort(); // the peer is gone: no close handshake to wait for
        } else {
            socket->ping();
        }
    }
}

void Room::broadcast(std::span<const uint8_t> bytes)
{
    // Framed once for everyone: server frames are not masked, so every peer gets the same bytes.
    const QByteArray frame = WebSocket::serverFrame(WebSocket::Opcode::Binary, bytes);
    for (auto &[socket, peer] : m_peers) {
        socket->sendFrame(frame);
    }
}

void Room::drop(WebSocketConnection *socket, quint16 code, const QString &reason)
{
    qCInfo(lcServer) << "room" << m_name << ": closing a connection:" << code << reason;
    socket->close(code, reason);
    onClosed(socket); // its users leave now; the connection's own report comes later
}

void Room::closeAll(quint16 code, const QString &reason)
{
    std::vector<WebSocketConnection *> sockets;
    for (auto &[socket, peer] : m_peers) {
        sockets.push_back(socket);
    }
    for (WebSocketConnection *socket : sockets) {
        socket->close(code, reason);
        onClosed(socket);
    }
}

void Room::onClosed(WebSocketConnection *socket)
{
    auto it = m_peers.find(socket);
    if (it == m_peers.end()) {
        return;
    }
    const std::vector<Protocol::ClientId> controlled(it->second.controlled.begin(),
                                                     it->second.controlled.end());
    m_peers.erase(it);
    socket->setListener(nullptr);
    // Its users leave at once: no ghost cursors until the 30 s timeout.
    if (!controlled.empty()) {
        m_awareness.removeStates(controlled, nullptr);
    }
    if (m_peers.empty()) {
        Q_EMIT empty();
    }
}

} // namespace Tandem::Server
