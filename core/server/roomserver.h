// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/server/room.h"
#include "core/server/websocketconnection.h"

#include <QHostAddress>
#include <QObject>
#include <QString>
#include <QUrl>

#include <memory>
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

/// Close codes the server uses. JS providers treat 4400-4499 as final (they stop reconnecting),
/// which is right for a client that sent something wrong; 1011 makes them retry.
namespace CloseCode {
constexpr quint16 BadMessage = 4400; ///< malformed, unknown or text message
constexpr quint16 BadRoom = 4404; ///< invalid room name
constexpr quint16 TooLarge = 4413; ///< message above --max-message-bytes
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
    /// The ws:// address clients join (append the room name).
    QUrl url() const;
    /// Stores every room's snapshot and closes every connection (1001). Idempotent.
    void shutdown();

    int roomCount() const { return int(m_rooms.size()); }
    int connectionCount() const;
    const ServerOptions &options() const { return m_options; }

    /// Validates a room name taken from a request path (without the leading '/').
    static bool isValidRoomName(const QString &name);

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
    void onMessage(WebSocketConnection *, std::span<const uint8_t>, bool) override { }
    void onClosed(WebSocketConnection *c) override { m_handshaking.erase(c); }
    void unloadIfIdle(const QString &name);
    Room *room(const QString &name, QString *error);

    ServerOptions m_options;
    std::unique_ptr<Storage::RoomStore> m_store;
    QTcpServer *m_tcp = nullptr; ///< accepts; hands over the native socket
    SocketPoller *m_poller = nullptr;
    WebSocketConnection::Limits m_limits;
    std::unordered_set<WebSocketConnection *> m_handshaking;
    Cluster::RedisBus *m_bus = nullptr; ///< when sharing rooms, else null
    QByteArray m_instanceId; ///< prefixes what this instance publishes (its own is dropped)
    QTimer *m_pingTimer = nullptr;
    QTimer *m_awarenessTimer = nullptr;
    std::unordered_map<QString, std::unique_ptr<Room>> m_rooms;
    bool m_shutDown = false;
};

} // namespace Tandem::Server
