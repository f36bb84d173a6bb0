// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/roomserver.h"

#include "core/server/room.h"
#ifdef TANDEM_HAVE_REDIS
#include "core/cluster/redisbus.h"
#endif
#include "core/server/serverlog.h"
#include "core/storage/roomstore.h"

#include <QRandomGenerator>
#include <QTcpServer>
#include <QTimer>

#include <functional>

namespace Tandem::Server {

Q_LOGGING_CATEGORY(lcServer, "tandem.server")

namespace {

/// Accepts and hands over the native socket, with no QTcpSocket in between.
class Acceptor : public QTcpServer
{
public:
    Acceptor(std::function<void(qintptr)> onSocket, QObject *parent)
        : QTcpServer(parent), m_onSocket(std::move(onSocket))
    { }

protected:
    void incomingConnection(qintptr fd) override { m_onSocket(fd); }

private:
    std::function<void(qintptr)> m_onSocket;
};

} // namespace

RoomServer::RoomServer(ServerOptions options, std::unique_ptr<Storage::RoomStore> store,
                       QObject *parent)
    : QObject(parent), m_options(options), m_store(std::move(store))
{
    m_limits.maxMessageBytes = m_options.maxMessageBytes;
    m_limits.tooLargeCode = CloseCode::TooLarge;
    m_tcp = new Acceptor([this](qintptr fd) { onSocket(fd); }, this);
    m_poller = new SocketPoller(this);
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
    // Connections still closing go before the poller that watches them.
    qDeleteAll(findChildren<WebSocketConnection *>(Qt::FindDirectChildrenOnly));
}

bool RoomServer::listen(QString *error)
{
    if (!m_store->open(error)) {
        return false;
    }
    if (!m_tcp->listen(m_options.host, m_options.port)) {
        *error = tr("cannot listen on %1:%2: %3")
                         .arg(m_options.host.toString())
                         .arg(m_options.port)
                         .arg(m_tcp->errorString());
        return false;
    }
    m_pingTimer->start();
    m_awarenessTimer->start();
    if (!m_options.redisHost.isEmpty()) {
#ifdef TANDEM_HAVE_REDIS
        m_instanceId.resize(8);
        QRandomGenerator::system()->generate(reinterpret_cast<quint32 *>(m_instanceId.data()),
                                             reinterpret_cast<quint32 *>(m_instanceId.data() + 8));
        auto *bus = new Cluster::RedisBus(this);
        m_bus = bus;
        connect(bus, &Cluster::RedisBus::message, this, &RoomServer::onRelayed);
        connect(bus, &Cluster::RedisBus::stateChanged, this, [this](bool up) {
            if (up) {
                // Back (or there for the first time): catch up with the other instances.
                for (auto &[name, room] : m_rooms) {
                    room->resyncRelay();
                }
            }
        });
        bus->start(m_options.redisHost, m_options.redisPort);
#else
        *error = QStringLiteral("this server was built without Redis support (hiredis)");
        return false;
#endif
    }
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
#ifdef TANDEM_HAVE_REDIS
    if (Cluster::RedisBus *bus = m_bus) {
        bus->subscribe(channelOf(name));
        r->setRelay(this);
        r->resyncRelay(); // whatever the other instances have that the store did not
    }
#endif
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
#ifdef TANDEM_HAVE_REDIS
    if (Cluster::RedisBus *bus = m_bus) {
        bus->unsubscribe(channelOf(name));
    }
#endif
    m_rooms.erase(it);
    qCInfo(lcServer) << "room" << name << "unloaded";
    Q_EMIT roomUnloaded(name);
}

void RoomServer::onSocket(qintptr fd)
{
    auto *c = new WebSocketConnection(fd, *m_poller, m_limits, this, this);
    if (m_shutDown) {
        c->abort();
        return;
    }
    m_handshaking.insert(c);
}

void RoomServer::onOpen(WebSocketConnection *c)
{
    m_handshaking.erase(c);
    const QByteArray raw = WebSocket::roomOf(c->requestTarget());
    const QString name = QString::fromLatin1(raw); // a request-target is ASCII
    if (!isValidRoomName(name)) {
        qCInfo(lcServer) << "refusing invalid room name" << name.left(80);
        c->close(CloseCode::BadRoom, QStringLiteral("invalid room name"));
        return;
    }
    QString error;
    Room *r = room(name, &error);
    if (!r) {
        qCCritical(lcServer) << "room" << name << "could not be loaded:" << error;
        c->close(CloseCode::ServerError, QStringLiteral("room could not be loaded"));
        return;
    }
    r->join(c);
}

QByteArray RoomServer::channelOf(const QString &room)
{
    return QByteArrayLiteral("tandem:room:") + room.toUtf8();
}

void RoomServer::publish(const QString &room, std::span<const uint8_t> message)
{
#ifdef TANDEM_HAVE_REDIS
    if (Cluster::RedisBus *bus = m_bus) {
        // While Redis is down this is dropped; the resync after it returns makes up for it.
        bus->publish(channelOf(room),
                     m_instanceId
                             + QByteArray(reinterpret_cast<const char *>(message.data()),
                                          qsizetype(message.size())));
    }
#else
    Q_UNUSED(room);
    Q_UNUSED(message);
#endif
}

void RoomServer::onRelayed(const QByteArray &channel, const QByteArray &payload)
{
    if (payload.size() <= m_instanceId.size() || payload.startsWith(m_instanceId)) {
        return; // our own message coming back, or garbage
    }
    const QString name = QString::fromUtf8(channel.mid(channelOf(QString()).size()));
    auto it = m_rooms.find(name);
    if (it == m_rooms.end() || it->second->failed()) {
        return;
    }
    const QByteArray message = payload.mid(m_instanceId.size());
    it->second->applyFromRelay(
            {reinterpret_cast<const uint8_t *>(message.constData()), size_t(message.size())});
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
    for (WebSocketConnection *c : std::exchange(m_handshaking, {})) {
        c->setListener(nullptr);
        c->abort();
    }
    m_tcp->close();
}

} // namespace Tandem::Server
