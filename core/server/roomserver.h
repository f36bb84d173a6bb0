// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/server/room.h"
#include "core/server/websocketconnection.h"

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>
#include <set>
#include <unordered_map>
#include <unordered_set>

class QTcpServer;
class QTimer;

namespace Tandem::Cluster {
class RedisBus;
}

namespace Tandem::Storage {
class RoomStore;
}

namespace Tandem::Server {

class Room;
class TlsContext;

/// Close codes the server uses. JS providers treat 4400-4499 as final (they stop reconnecting),
/// which is right for a client that sent something wrong; 1011 makes them retry.
namespace CloseCode {
constexpr quint16 BadMessage = 4400; ///< malformed, unknown or text message
constexpr quint16 Unauthorized = 4401; ///< access token missing, invalid or expired
constexpr quint16 Forbidden = 4403; ///< access token revoked
constexpr quint16 BadRoom = 4404; ///< invalid room name
constexpr quint16 TooLarge = 4413; ///< message above --max-message-bytes, or the room is full
constexpr quint16 TooFast = 4429; ///< above the per-connection message or byte rate
/// Server at capacity (rooms, memory, connections from one address); clients retry. Not 1013:
/// Qt 6.4's QWebSocket takes 1013 for a protocol error.
constexpr quint16 TryAgainLater = 4503;
constexpr quint16 ServerError = 1011; ///< storage failed, room could not be loaded
constexpr quint16 GoingAway = 1001; ///< server shutting down
} // namespace CloseCode

struct ServerOptions
{
    QHostAddress host = QHostAddress::LocalHost;
    quint16 port = 1234;
    qint64 maxMessageBytes = 16 * 1024 * 1024;
    int pingIntervalMs = 30000; ///< a connection that misses a pong for this long is dropped
    int awarenessCheckMs = 3000; ///< how often awareness timeouts are checked (as Yjs)
    int unloadDelayMs = 10000; ///< an empty room stays loaded this long (quick reconnects)
    int compactEvery = 1000; ///< stored updates before the log is folded into a snapshot
    /// Batching (`--batch-ms`): a room commits and broadcasts at most once per this many
    /// milliseconds. An update arriving after a quiet spell goes out at once; under load the
    /// updates of the window share one commit and one write per peer. 0: every event-loop
    /// round flushes what it read.
    int commitWindowMs = 0;
    /// Redis for sharing rooms with other instances (`--redis host:port`); empty: alone.
    QString redisHost;
    quint16 redisPort = 6379;
    /// TLS (`--cert`, `--key`): PEM certificate chain and private key; both empty: ws://.
    QString certFile;
    QString keyFile;

    // Access (`--require-token`): every connection must carry a token the server signed
    // (the `token` query parameter, as y-websocket clients send `params`).
    bool requireToken = false;
    int accessCheckMs = 5000; ///< how often revocations and expiries reach open connections

    // Abuse limits; 0 turns one off. A client over a limit is closed with the reason.
    int maxConnectionsPerAddress = 64; ///< beyond: 1013 (a reverse proxy needs this raised)
    double maxMessagesPerSecond = 200; ///< sustained, per connection; beyond: 4429
    double messageBurst = 2000; ///< messages a connection may send at once
    double maxBytesPerSecond = 1024 * 1024; ///< sustained, per connection; beyond: 4429
    double byteBurst = 32 * 1024 * 1024; ///< bytes at once (a large paste, a first sync)
    int maxRooms = 10000; ///< rooms loaded at once; beyond: 1013 for the newcomer
    qint64 maxRoomBytes = 64LL * 1024 * 1024; ///< a room's stored size; beyond: 4413
    /// Memory for loaded rooms (estimated, see MemoryBudget); beyond, idle rooms are unloaded
    /// and whoever would add more is closed with 4503.
    qint64 memoryBudgetBytes = 2LL * 1024 * 1024 * 1024;
};

/// `tandem --serve`: y-websocket compatible rooms, stored by a RoomStore. The room is the
/// request path, as in y-websocket. Single-threaded: everything runs on the thread of the
/// server's event loop. Connections are WebSocketConnection (see there for why not QWebSocket).
class RoomServer : public QObject, private WebSocketConnection::Listener, private RoomRelay
{
    Q_OBJECT
public:
    RoomServer(ServerOptions options, std::unique_ptr<Storage::RoomStore> store,
               QObject *parent = nullptr);
    ~RoomServer() override;

    bool listen(QString *error);
    /// The ws:// (wss:// with TLS) address clients join (append the room name).
    QUrl url() const;
    /// With TLS: the SHA-256 fingerprint of the server's certificate ("AB:CD:…"), which
    /// clients of a self-signed server compare; else empty.
    QString certificateFingerprint() const;
    /// Signs an access token for @p room ("*": every room) and records it in the store, so
    /// that it can be listed and revoked. Needs listen() with requireToken. Valid for
    /// @p validSecs (0: until revoked). Empty, with @p error, on failure.
    QByteArray issueToken(const QString &room, bool readOnly, qint64 validSecs,
                          const QString &label, QString *error);
    /// The link to give someone: the room's address with the token in its query.
    QUrl inviteUrl(const QString &room, const QByteArray &token) const;
    /// Stores every room's snapshot and closes every connection (1001). Idempotent.
    void shutdown();

    int roomCount() const { return int(m_rooms.size()); }
    /// The stored size of every loaded room together.
    qint64 loadedBytes() const { return m_budget.used; }
    /// What the memory budget holds against its limit (see MemoryBudget).
    qint64 estimatedMemory() const { return m_budget.estimatedMemory(); }
    int connectionCount() const;
    const ServerOptions &options() const { return m_options; }

    /// Validates a room name taken from a request path (without the leading '/').
    static bool isValidRoomName(const QString &name);
    /// The room as the server names it, from what someone typed: the URL path clients send,
    /// percent-encoded as QUrl and browsers do ("my notes" is "my%20notes"), without the
    /// leading '/'. Input that is encoded already stays as it is.
    static QString roomNameFromTyped(const QString &room);

Q_SIGNALS:
    void roomLoaded(const QString &name);
    void roomUnloaded(const QString &name);

private:
    void onSocket(qintptr fd);
    // RoomRelay: through Redis, to the other instances
    void publish(const QString &room, std::span<const uint8_t> message) override;
    void onRelayed(const QByteArray &channel, const QByteArray &payload);
    static QByteArray channelOf(const QString &room);
    // WebSocketConnection::Listener, while a connection is in its handshake
    void onOpen(WebSocketConnection *c) override;
    /// Checks the connection's token; false (and @p c closed with the reason) if refused.
    bool admit(WebSocketConnection *c, const QString &room, AccessRights *access);
    /// Revocations and expiries reach the open connections.
    void checkAccess();
    void forgetAddress(const QString &address);
    void onMessage(WebSocketConnection *, std::span<const uint8_t>, bool) override { }
    void onClosed(WebSocketConnection *c) override
    {
        m_handshaking.erase(c);
        m_overLimit.erase(c);
    }
    void unloadIfIdle(const QString &name);
    /// The loaded room, or loads it; nullptr with @p code and @p error when it cannot be.
    Room *room(const QString &name, quint16 *code, QString *error);
    /// Unloads rooms nobody is in (before the unload delay) to make room under the budget.
    void unloadIdleRooms();

    ServerOptions m_options;
    std::unique_ptr<Storage::RoomStore> m_store;
    QTcpServer *m_tcp = nullptr; ///< accepts; hands over the native socket
    SocketPoller *m_poller = nullptr;
    WebSocketConnection::Limits m_limits;
    std::unordered_set<WebSocketConnection *> m_handshaking;
    Cluster::RedisBus *m_bus = nullptr; ///< when sharing rooms, else null
    QByteArray m_instanceId; ///< prefixes what this instance publishes (its own is dropped)
    std::unique_ptr<TlsContext> m_tls; ///< with --cert/--key, else null
    QTimer *m_pingTimer = nullptr;
    QTimer *m_awarenessTimer = nullptr;
    QTimer *m_accessTimer = nullptr;
    QByteArray m_secret; ///< signs access tokens (from the store)
    std::set<QByteArray> m_revoked; ///< ids of revoked tokens, as last read from the store
    std::unordered_map<QString, int> m_perAddress; ///< open connections per peer address
    /// Handshaking connections from an address over its limit (refused once open).
    std::unordered_map<WebSocketConnection *, QString> m_overLimit;
    MemoryBudget m_budget;
    std::unordered_map<QString, std::unique_ptr<Room>> m_rooms;
    bool m_shutDown = false;
};

} // namespace Tandem::Server
