// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/roomserver.h"

#include "core/server/accesstoken.h"
#include "core/server/room.h"
#ifdef TANDEM_HAVE_REDIS
#include "core/cluster/redisbus.h"
#endif
#include "core/server/serverlog.h"
#include "core/server/tls.h"
#include "core/storage/roomstore.h"

#include <QDateTime>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTimer>

#include <functional>

#ifdef Q_OS_WIN
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <sys/socket.h>
#endif

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

/// The address a connected socket comes from.
QString peerAddressOf(qintptr fd)
{
    sockaddr_storage address {};
#ifdef Q_OS_WIN
    int length = sizeof address;
    const bool ok = ::getpeername(SOCKET(fd), reinterpret_cast<sockaddr *>(&address), &length) == 0;
#else
    socklen_t length = sizeof address;
    const bool ok = ::getpeername(int(fd), reinterpret_cast<sockaddr *>(&address), &length) == 0;
#endif
    if (!ok) {
        return QString();
    }
    QHostAddress host(reinterpret_cast<const sockaddr *>(&address));
    // One peer is one peer whether it came over IPv4 or IPv4-mapped IPv6.
    bool isV4 = false;
    const quint32 v4 = host.toIPv4Address(&isV4);
    return isV4 ? QHostAddress(v4).toString() : host.toString();
}

qint64 nowSecs()
{
    return QDateTime::currentSecsSinceEpoch();
}

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
    m_accessTimer = new QTimer(this);
    m_accessTimer->setInterval(m_options.accessCheckMs);
    connect(m_accessTimer, &QTimer::timeout, this, &RoomServer::checkAccess);
    m_budget.limit = m_options.memoryBudgetBytes;
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
    if (m_options.requireToken) {
        const auto secret = m_store->accessSecret(error);
        if (!secret) {
            return false;
        }
        m_secret = *secret;
        const auto revoked = m_store->revokedTokenIds(nowSecs(), error);
        if (!revoked) {
            return false;
        }
        m_revoked = std::set<QByteArray>(revoked->begin(), revoked->end());
    }
    if (!m_options.certFile.isEmpty() || !m_options.keyFile.isEmpty()) {
        if (m_options.certFile.isEmpty() || m_options.keyFile.isEmpty()) {
            *error = tr("TLS needs both a certificate and a private key file");
            return false;
        }
        m_tls = TlsContext::load(m_options.certFile, m_options.keyFile, error);
        if (!m_tls) {
            return false;
        }
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
    if (m_options.requireToken) {
        m_accessTimer->start();
    }
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
    url.setScheme(m_tls ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setHost(m_tcp->serverAddress().toString());
    url.setPort(m_tcp->serverPort());
    url.setPath(QStringLiteral("/"));
    return url;
}

QByteArray RoomServer::issueToken(const QString &room, bool readOnly, qint64 validSecs,
                                  const QString &label, QString *error)
{
    if (m_secret.isEmpty()) {
        *error = QStringLiteral("this server does not require access tokens");
        return {};
    }
    Access::Grant grant;
    grant.room = room;
    grant.permission = readOnly ? Access::Permission::Read : Access::Permission::Write;
    grant.expiresAt = validSecs > 0 ? nowSecs() + validSecs : 0;
    grant.id = Access::newTokenId();
    Storage::IssuedToken record;
    record.id = grant.id;
    record.room = room;
    record.readOnly = readOnly;
    record.expiresAt = grant.expiresAt;
    record.issuedAt = nowSecs();
    record.label = label;
    if (!m_store->recordToken(record, error)) {
        return {};
    }
    return Access::issueToken(grant, m_secret);
}

QUrl RoomServer::inviteUrl(const QString &room, const QByteArray &token) const
{
    QUrl invite = url();
    invite.setPath(QLatin1Char('/') + room, QUrl::TolerantMode); // room: as the server names it
    if (!token.isEmpty()) {
        invite.setQuery(QStringLiteral("token=") + QString::fromLatin1(token));
    }
    return invite;
}

QString RoomServer::certificateFingerprint() const
{
    return m_tls ? m_tls->fingerprint() : QString();
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

QString RoomServer::roomNameFromTyped(const QString &room)
{
    QUrl url(QStringLiteral("ws://host"));
    url.setPath(QLatin1Char('/') + room, QUrl::TolerantMode);
    return url.path(QUrl::FullyEncoded).mid(1);
}

Room *RoomServer::room(const QString &name, quint16 *code, QString *error)
{
    *code = CloseCode::ServerError;
    auto it = m_rooms.find(name);
    if (it != m_rooms.end() && it->second->failed() && it->second->connectionCount() == 0) {
        // It stopped after a storage failure: start again from what is stored.
        m_rooms.erase(it);
        it = m_rooms.end();
    }
    if (it != m_rooms.end()) {
        return it->second.get();
    }
    if (m_options.maxRooms > 0 && int(m_rooms.size()) >= m_options.maxRooms) {
        unloadIdleRooms();
    }
    if (!m_budget.allows(0)) {
        unloadIdleRooms();
    }
    if (m_options.maxRooms > 0 && int(m_rooms.size()) >= m_options.maxRooms) {
        *code = CloseCode::TryAgainLater;
        *error = QStringLiteral("the server has the most rooms open it may (%1), try again later")
                         .arg(m_options.maxRooms);
        return nullptr;
    }
    if (!m_budget.allows(0)) {
        *code = CloseCode::TryAgainLater;
        *error = QStringLiteral("the server is at its memory budget, try again later");
        return nullptr;
    }
    // Loaded before anyone is served: the join waits for it (the load is synchronous).
    auto room = std::make_unique<Room>(name, *m_store, m_options);
    if (!room->load(error)) {
        return nullptr; // never replaced by an empty document
    }
    room->setMemoryBudget(&m_budget);
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

void RoomServer::unloadIdleRooms()
{
    std::vector<QString> idle;
    for (const auto &[name, room] : m_rooms) {
        if (room->connectionCount() == 0) {
            idle.push_back(name);
        }
    }
    for (const QString &name : idle) {
        unloadIfIdle(name);
    }
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
    auto *c = new WebSocketConnection(fd, *m_poller, m_limits, this, this, m_tls.get());
    if (m_shutDown) {
        c->abort();
        return;
    }
    if (m_options.maxConnectionsPerAddress > 0) {
        const QString address = peerAddressOf(fd);
        const int n = ++m_perAddress[address];
        connect(c, &QObject::destroyed, this, [this, address] { forgetAddress(address); });
        if (n > m_options.maxConnectionsPerAddress) {
            // Told why once its handshake is done (in onOpen).
            m_overLimit.emplace(c, address);
        }
        if (n > 2 * m_options.maxConnectionsPerAddress) {
            m_overLimit.erase(c);
            // Far over: not even a handshake to tell it why (it is not listening anyway).
            c->abort();
            return;
        }
    }
    m_handshaking.insert(c);
}

void RoomServer::onOpen(WebSocketConnection *c)
{
    m_handshaking.erase(c);
    if (const auto over = m_overLimit.find(c); over != m_overLimit.end()) {
        qCWarning(lcServer).noquote()
                << "refusing a connection from" << over->second << ": it has"
                << m_options.maxConnectionsPerAddress
                << "already (behind a reverse proxy, every client has the proxy's address: "
                   "raise --max-connections-per-address and limit in the proxy)";
        m_overLimit.erase(over);
        c->close(CloseCode::TryAgainLater,
                 QStringLiteral("too many connections from your address (the limit is %1)")
                         .arg(m_options.maxConnectionsPerAddress));
        return;
    }
    const QByteArray raw = WebSocket::roomOf(c->requestTarget());
    const QString name = QString::fromLatin1(raw); // a request-target is ASCII
    if (!isValidRoomName(name)) {
        qCInfo(lcServer) << "refusing invalid room name" << name.left(80);
        c->close(CloseCode::BadRoom, QStringLiteral("invalid room name"));
        return;
    }
    AccessRights access;
    if (!admit(c, name, &access)) {
        return;
    }
    QString error;
    quint16 code = CloseCode::ServerError;
    Room *r = room(name, &code, &error);
    if (!r) {
        if (code == CloseCode::ServerError) {
            qCCritical(lcServer) << "room" << name << "could not be loaded:" << error;
            c->close(code, QStringLiteral("room could not be loaded"));
        } else {
            qCWarning(lcServer).noquote() << "refusing to load room" << name << ":" << error;
            c->close(code, error);
        }
        return;
    }
    r->join(c, access);
}

bool RoomServer::admit(WebSocketConnection *c, const QString &room, AccessRights *access)
{
    if (!m_options.requireToken) {
        return true;
    }
    const QByteArray token = Access::tokenFromTarget(c->requestTarget());
    const Access::Verified v = Access::verifyToken(token, m_secret, room, nowSecs());
    if (v.error != Access::TokenError::None) {
        qCInfo(lcServer).noquote()
                << "refusing a connection to room" << room << ":" << Access::describe(v.error);
        c->close(CloseCode::Unauthorized, Access::describe(v.error));
        return false;
    }
    if (m_revoked.count(v.grant.id)) {
        qCInfo(lcServer).noquote()
                << "refusing a connection to room" << room << ": revoked token" << v.grant.id;
        c->close(CloseCode::Forbidden, QStringLiteral("access token revoked"));
        return false;
    }
    access->readOnly = v.grant.permission == Access::Permission::Read;
    access->tokenId = v.grant.id;
    access->expiresAt = v.grant.expiresAt;
    return true;
}

void RoomServer::checkAccess()
{
    QString error;
    const qint64 now = nowSecs();
    if (const auto revoked = m_store->revokedTokenIds(now, &error)) {
        m_revoked = std::set<QByteArray>(revoked->begin(), revoked->end());
    } else {
        // Keep what was known: a store hiccup must not let revoked tokens back in.
        qCWarning(lcServer) << "cannot read revoked tokens:" << error;
    }
    for (auto &[name, room] : m_rooms) {
        room->checkAccess(m_revoked, now);
    }
}

void RoomServer::forgetAddress(const QString &address)
{
    auto it = m_perAddress.find(address);
    if (it != m_perAddress.end() && --it->second <= 0) {
        m_perAddress.erase(it);
    }
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
    m_accessTimer->stop();
    for (auto &[name, room] : m_rooms) {
        room->compact();
        room->closeAll(CloseCode::GoingAway, QStringLiteral("server is shutting down"));
    }
    m_rooms.clear();
    m_overLimit.clear();
    for (WebSocketConnection *c : std::exchange(m_handshaking, {})) {
        c->setListener(nullptr);
        c->abort();
    }
    m_tcp->close();
}

} // namespace Tandem::Server
