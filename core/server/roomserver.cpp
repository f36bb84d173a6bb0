// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/roomserver.h"

#include "core/server/room.h"
#include "core/server/serverlog.h"
#include "core/storage/roomstore.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>
#include <QWebSocketServer>

namespace Tandem::Server {

Q_LOGGING_CATEGORY(lcServer, "tandem.server")

RoomServer::RoomServer(ServerOptions options, std::unique_ptr<Storage::RoomStore> store,
                       QObject *parent)
    : QObject(parent), m_options(options), m_store(std::move(store))
{
    m_server
            = new QWebSocketServer(QStringLiteral("tandem"), QWebSocketServer::NonSecureMode, this);
    connect(m_server, &QWebSocketServer::newConnection, this, &RoomServer::onNewConnection);
    // Our own listener, so that every socket gets TCP_NODELAY before the handshake: small
    // updates must not wait for Nagle's algorithm (tens of milliseconds per hop otherwise).
    m_tcp = new QTcpServer(this);
    connect(m_tcp, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_tcp->nextPendingConnection()) {
            socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
            m_server->handleConnection(socket);
        }
    });
    m_pingTimer = new QTimer(this);
    m_pingTimer->setInterval(m_options.pingIntervalMs);
    connect(m_pingTimer, &QTimer::timeout, this, [this] {
        for (auto &[name, room] : m_rooms) {
            room->ping();
        }
    });
    m_awarenessTimer = new QTimer(this);
    m_awarenessTimer->setInterval(m_options.awarenessCheckMs);
    connect(m_awarenessTimer, &QTimer::timeout, this, [this] {
        for (auto &[name, room] : m_rooms) {
            room->checkAwareness();
        }
    });
}

RoomServer::~RoomServer()
{
    shutdown();
}

bool RoomServer::listen(QString *error)
{
    if (!m_store->open(error)) {
        return false;
    }
    if (!m_tcp->listen(m_options.host, m_options.port)) {
        *error = QStringLiteral("cannot listen on %1:%2: %3")
                         .arg(m_options.host.toString())
                         .arg(m_options.port)
                         .arg(m_tcp->errorString());
        return false;
    }
    m_pingTimer->start();
    m_awarenessTimer->start();
    return true;
}

QUrl RoomServer::url() const
{
    QUrl url;
    url.setScheme(QStringLiteral("ws"));
    url.setHost(m_tcp->serverAddress().toString());
    url.setPort(m_tcp->serverPort());
    url.setPath(QStringLiteral("/"));
    return url;
}

int RoomServer::connectionCount() const
{
    int n = 0;
    for (const auto &[name, room] : m_rooms) {
        n += room->connectionCount();
    }
    return n;
}

bool RoomServer::isValidRoomName(const QString &name)
{
    // The raw request path, as y-websocket names rooms. It is a key in storage, never a path.
    if (name.isEmpty() || name.size() > 512) {
        return false;
    }
    for (QChar c : name) {
        if (c.unicode() < 0x20 || c.unicode() == 0x7F) {
            return false;
        }
    }
    return true;
}

Room *RoomServer::room(const QString &name, QString *error)
{
    auto it = m_rooms.find(name);
    if (it != m_rooms.end() && it->second->failed() && it->second->connectionCount() == 0) {
        // It stopped after a storage failure: start again from what is stored.
        m_rooms.erase(it);
        it = m_rooms.end();
    }
    if (it != m_rooms.end()) {
        return it->second.get();
    }
    // Loaded before anyone is served: the join waits for it (the load is synchronous).
    auto room = std::make_unique<Room>(name, *m_store, m_options);
    if (!room->load(error)) {
        return nullptr; // never replaced by an empty document
    }
    Room *r = room.get();
    connect(r, &Room::empty, this, [this, name] {
        QTimer::singleShot(m_options.unloadDelayMs, this, [this, name] { unloadIfIdle(name); });
    });
    m_rooms.emplace(name, std::move(room));
    qCInfo(lcServer) << "room" << name << "loaded";
    Q_EMIT roomLoaded(name);
    return r;
}

void RoomServer::unloadIfIdle(const QString &name)
{
    auto it = m_rooms.find(name);
    if (it == m_rooms.end() || it->second->connectionCount() > 0) {
        return;
    }
    it->second->compact();
    m_rooms.erase(it);
    qCInfo(lcServer) << "room" << name << "unloaded";
    Q_EMIT roomUnloaded(name);
}

void RoomServer::onNewConnection()
{
    while (QWebSocket *socket = m_server->nextPendingConnection()) {
        socket->setParent(this);
        // Qt closes with 1009 above its own limit; keep that well above ours so that our
        // 4413 with a reason is what clients normally see, while memory stays bounded.
        socket->setMaxAllowedIncomingMessageSize(quint64(m_options.maxMessageBytes) * 2 + 1024);
        socket->setMaxAllowedIncomingFrameSize(quint64(m_options.maxMessageBytes) * 2 + 1024);
        if (m_shutDown) {
            socket->close(QWebSocketProtocol::CloseCode(CloseCode::GoingAway),
                          QStringLiteral("server is shutting down"));
            socket->deleteLater();
            continue;
        }
        const QString name = socket->requestUrl().path(QUrl::FullyEncoded).mid(1);
        if (!isValidRoomName(name)) {
            qCInfo(lcServer) << "refusing invalid room name" << name.left(80);
            socket->close(QWebSocketProtocol::CloseCode(CloseCode::BadRoom),
                          QStringLiteral("invalid room name"));
            socket->deleteLater();
            continue;
        }
        QString error;
        Room *r = room(name, &error);
        if (!r) {
            qCCritical(lcServer) << "room" << name << "could not be loaded:" << error;
            socket->close(QWebSocketProtocol::CloseCode(CloseCode::ServerError),
                          QStringLiteral("room could not be loaded"));
            socket->deleteLater();
            continue;
        }
        r->join(socket);
    }
}

void RoomServer::shutdown()
{
    if (m_shutDown) {
        return;
    }
    m_shutDown = true;
    m_pingTimer->stop();
    m_awarenessTimer->stop();
    for (auto &[name, room] : m_rooms) {
        room->compact();
        room->closeAll(CloseCode::GoingAway, QStringLiteral("server is shutting down"));
    }
    m_rooms.clear();
    m_tcp->close();
    m_server->close();
}

} // namespace Tandem::Server
