// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/doc.h"
#include "core/protocol/awareness.h"
#include "core/server/ratelimiter.h"
#include "core/server/websocketconnection.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QString>

#include <map>
#include <memory>
#include <set>

namespace Tandem::Storage {
class RoomStore;
}

namespace Tandem::Server {

struct ServerOptions;

/// Carries a room's messages to the other server instances that have it loaded (Redis).
class RoomRelay
{
public:
    /// Sends a y-websocket message of room @p room to the other instances.
    virtual void publish(const QString &room, std::span<const uint8_t> message) = 0;

protected:
    ~RoomRelay() = default;
};

/// The memory of the loaded rooms, held against ServerOptions::memoryBudgetBytes (0: none).
/// Counted from their stored size, which is exact and cheap to keep: a loaded document takes
/// 7 to 10 times its stored size (measured on the editing traces in tests/data/traces), so each
/// stored byte counts as ten.
struct MemoryBudget
{
    static constexpr qint64 memoryPerStoredByte = 10;
    qint64 used = 0; ///< stored bytes of the loaded rooms
    qint64 limit = 0; ///< bytes of memory
    qint64 estimatedMemory() const { return used * memoryPerStoredByte; }
    bool allows(qint64 moreStored) const
    {
        return limit <= 0 || (used + moreStored) * memoryPerStoredByte <= limit;
    }
};

/// What a connection may do in its room, from its access token.
struct AccessRights
{
    bool readOnly = false;
    QByteArray tokenId; ///< empty: no token (a server that requires none)
    qint64 expiresAt = 0; ///< Unix seconds; 0: never
};

/// One loaded room: its document, its presence map and its connections.
class Room : public QObject, private WebSocketConnection::Listener
{
    Q_OBJECT
public:
    Room(QString name, Storage::RoomStore &store, const ServerOptions &options);
    ~Room() override;

    /// Loads the stored document. On failure the room must not be used (and nothing was
    /// written).
    bool load(QString *error);

    const QString &name() const { return m_name; }
    /// Storage failed: the document may hold what the disk does not; reload before reuse.
    bool failed() const { return m_failed; }
    int connectionCount() const { return int(m_peers.size()); }
    Crdt::Doc &doc() { return m_doc; }

    /// Takes a connection: sends sync step 1 and the known awareness states. A read-only
    /// connection receives everything, and its updates are refused (it may still be present).
    void join(WebSocketConnection *connection, const AccessRights &access = {});
    /// Closes the connections whose token was revoked (4403) or has expired (4401).
    void checkAccess(const std::set<QByteArray> &revokedIds, qint64 nowSecs);
    /// Counts this room's stored size against @p budget while it is loaded.
    void setMemoryBudget(MemoryBudget *budget);
    /// The stored size: the snapshot and the updates since (what compaction starts from).
    qint64 storedBytes() const { return m_bytes; }
    /// Pings every connection; drops the ones that did not answer the previous ping.
    void ping();
    void checkAwareness() { m_awareness.checkTimeouts(); }
    /// Folds the update log into a snapshot. False (and logged) if storage failed.
    bool compact();

    /// Shares this room with other instances through @p relay (nullptr: alone again).
    void setRelay(RoomRelay *relay) { m_relay = relay; }
    /// A message another instance published: its updates and presence are applied here and
    /// reach this instance's clients; a sync step 1 is answered with what it lacks.
    void applyFromRelay(std::span<const uint8_t> message);
    /// Asks the other instances for what this one lacks (after joining, or after the relay
    /// was down) and tells them who is here.
    void resyncRelay();
    /// Closes every connection with @p code.
    void closeAll(quint16 code, const QString &reason);

Q_SIGNALS:
    /// The last connection left.
    void empty();

private:
    struct Peer
    {
        std::set<Protocol::ClientId> controlled; ///< awareness ids this connection speaks for
        AccessRights access;
        RateLimiter messages;
        RateLimiter bytes;
        bool toldReadOnly = false;
    };

    void onMessage(WebSocketConnection *c, std::span<const uint8_t> message, bool text) override;
    void onClosed(WebSocketConnection *c) override;
    void drop(WebSocketConnection *c, quint16 code, const QString &reason);
    /// Whether an update from @p c fits the room's size limit and the memory budget; closes
    /// @p c with the reason if not.
    bool admitUpdate(WebSocketConnection *c, std::span<const uint8_t> update);
    void addBytes(qint64 delta);
    void broadcast(std::span<const uint8_t> bytes);
    /// Queues an accepted update; flushWrites() stores the queue in one transaction, then
    /// broadcasts it. Updates that arrive together (one read from the network) share a commit.
    void storeAndBroadcast(std::span<const uint8_t> update, bool fromRelay);
    /// Stores and broadcasts what is queued. Called before anything exposes the document (a
    /// step 2), so nobody ever sees an update the disk does not have.
    bool flushWrites();
    void onStoreFailure(const QString &error);
    /// Publishes the presence of this instance's clients to the other instances.
    void publishLocalPresence();

    QString m_name;
    Storage::RoomStore &m_store;
    const ServerOptions &m_options;
    Crdt::Doc m_doc;
    Protocol::Awareness m_awareness;
    std::map<WebSocketConnection *, Peer> m_peers;
    int64_t m_lastSeq = 0;
    int m_sinceSnapshot = 0;
    std::vector<std::vector<uint8_t>> m_unwritten;
    std::vector<bool> m_unwrittenFromRelay; ///< parallel to m_unwritten
    RoomRelay *m_relay = nullptr;
    const char m_relayOrigin = 0; ///< origin of what the relay brought (its address is the id)
    bool m_flushScheduled = false;
    QElapsedTimer m_lastFlush;
    bool m_failed = false;
    qint64 m_bytes = 0;
    MemoryBudget *m_budget = nullptr;
};

} // namespace Tandem::Server
