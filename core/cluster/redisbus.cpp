// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/cluster/redisbus.h"

#include <QLoggingCategory>
#include <QSocketNotifier>
#include <QTimer>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <vector>

namespace Tandem::Cluster {

Q_LOGGING_CATEGORY(lcRedis, "tandem.redis")

// --- RedisConnection -----------------------------------------------------------------------

RedisConnection::RedisConnection(QObject *parent) : QObject(parent) { }

RedisConnection::~RedisConnection()
{
    if (m_ctx) {
        redisAsyncContext *ctx = m_ctx;
        ctx->onDisconnect = nullptr; // no signals from a dying object
        redisAsyncFree(ctx); // runs the cleanup hook, which forgets the context
    }
}

void RedisConnection::start(const QString &host, quint16 port)
{
    m_host = host;
    m_port = port;
    open();
}

void RedisConnection::open()
{
    m_retryScheduled = false;
    if (m_ctx) {
        return;
    }
    redisAsyncContext *ctx = redisAsyncConnect(m_host.toUtf8().constData(), int(m_port));
    if (!ctx || ctx->err) {
        m_error = ctx ? QString::fromUtf8(ctx->errstr) : QStringLiteral("out of memory");
        if (ctx) {
            redisAsyncFree(ctx);
        }
        scheduleRetry();
        return;
    }
    m_ctx = ctx;
    ctx->data = this;
    // The event hooks: hiredis asks for read/write readiness, we answer from the Qt loop.
    ctx->ev.data = this;
    ctx->ev.addRead = [](void *p) { static_cast<RedisConnection *>(p)->watch(true, true); };
    ctx->ev.delRead = [](void *p) { static_cast<RedisConnection *>(p)->watch(true, false); };
    ctx->ev.addWrite = [](void *p) { static_cast<RedisConnection *>(p)->watch(false, true); };
    ctx->ev.delWrite = [](void *p) { static_cast<RedisConnection *>(p)->watch(false, false); };
    ctx->ev.cleanup = [](void *p) {
        // hiredis is freeing the context: after this, nothing of it may be touched.
        auto *self = static_cast<RedisConnection *>(p);
        self->watch(true, false);
        self->watch(false, false);
        self->m_ctx = nullptr;
    };
    redisAsyncSetConnectCallback(ctx, &RedisConnection::onConnect);
    redisAsyncSetDisconnectCallback(ctx, &RedisConnection::onDisconnect);
}

void RedisConnection::watch(bool read, bool on)
{
    QSocketNotifier *&n = read ? m_read : m_write;
    if (on && !n && m_ctx) {
        n = new QSocketNotifier(m_ctx->c.fd, read ? QSocketNotifier::Read : QSocketNotifier::Write,
                                this);
        connect(n, &QSocketNotifier::activated, this, [this, read] {
            if (!m_ctx) {
                return;
            }
            if (read) {
                redisAsyncHandleRead(m_ctx); // may free the context (cleanup hook)
            } else {
                redisAsyncHandleWrite(m_ctx);
            }
        });
    } else if (!on && n) {
        // Possibly inside its own activation: disable now, delete later.
        n->setEnabled(false);
        n->deleteLater();
        n = nullptr;
    }
}

void RedisConnection::onConnect(const redisAsyncContext *ac, int status)
{
    auto *self = static_cast<RedisConnection *>(ac->data);
    if (status != REDIS_OK) {
        self->m_error = QString::fromUtf8(ac->errstr);
        self->m_connected = false;
        // hiredis frees the context after this callback.
        self->scheduleRetry();
        Q_EMIT self->stateChanged();
        return;
    }
    self->m_connected = true;
    self->m_error.clear();
    Q_EMIT self->stateChanged();
}

void RedisConnection::onDisconnect(const redisAsyncContext *ac, int status)
{
    auto *self = static_cast<RedisConnection *>(ac->data);
    self->m_connected = false;
    self->m_error = status == REDIS_OK ? QStringLiteral("closed") : QString::fromUtf8(ac->errstr);
    self->scheduleRetry();
    Q_EMIT self->stateChanged();
}

void RedisConnection::scheduleRetry()
{
    if (m_retryScheduled) {
        return;
    }
    m_retryScheduled = true;
    QTimer::singleShot(RedisBus::retryMs, this, [this] { open(); });
}

bool RedisConnection::command(const QList<QByteArray> &args)
{
    if (!m_ctx || !m_connected) {
        return false;
    }
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    for (const QByteArray &a : args) {
        argv.push_back(a.constData());
        lengths.push_back(size_t(a.size()));
    }
    const bool subscribe = args.value(0) == "SUBSCRIBE";
    return redisAsyncCommandArgv(m_ctx, subscribe ? &RedisConnection::onMessage : nullptr,
                                 subscribe ? this : nullptr, int(argv.size()), argv.data(),
                                 lengths.data())
            == REDIS_OK;
}

void RedisConnection::onMessage(redisAsyncContext *, void *r, void *privdata)
{
    auto *reply = static_cast<redisReply *>(r);
    if (!reply || !privdata || reply->type != REDIS_REPLY_ARRAY || reply->elements != 3) {
        return; // the context is going away, or a (un)subscribe confirmation
    }
    redisReply *kind = reply->element[0];
    if (kind->type != REDIS_REPLY_STRING || QByteArray(kind->str, int(kind->len)) != "message") {
        return;
    }
    auto *self = static_cast<RedisConnection *>(privdata);
    Q_EMIT self->message(QByteArray(reply->element[1]->str, int(reply->element[1]->len)),
                         QByteArray(reply->element[2]->str, int(reply->element[2]->len)));
}

// --- RedisBus -------------------------------------------------------------------------------

RedisBus::RedisBus(QObject *parent) : QObject(parent)
{
    m_publisher = new RedisConnection(this);
    m_subscriber = new RedisConnection(this);
    connect(m_publisher, &RedisConnection::stateChanged, this, &RedisBus::onConnectionState);
    connect(m_subscriber, &RedisConnection::stateChanged, this, &RedisBus::onConnectionState);
    connect(m_subscriber, &RedisConnection::message, this, &RedisBus::message);
}

RedisBus::~RedisBus() = default;

void RedisBus::start(const QString &host, quint16 port)
{
    m_publisher->start(host, port);
    m_subscriber->start(host, port);
}

bool RedisBus::up() const
{
    return m_publisher->isConnected() && m_subscriber->isConnected();
}

void RedisBus::onConnectionState()
{
    if (m_subscriber->isConnected()) {
        // A new connection knows no subscriptions: renew them all (idempotent in Redis).
        for (const QByteArray &channel : std::as_const(m_channels)) {
            m_subscriber->command({QByteArrayLiteral("SUBSCRIBE"), channel});
        }
    }
    const bool nowUp = up();
    if (nowUp == m_up) {
        return;
    }
    m_up = nowUp;
    const QString reason = nowUp          ? QString()
            : !m_publisher->isConnected() ? m_publisher->lastError()
                                          : m_subscriber->lastError();
    if (nowUp) {
        qCInfo(lcRedis) << "connected to Redis: rooms are shared with the other instances";
    } else {
        qCWarning(lcRedis).noquote() << "Redis unreachable (" << reason
                                     << "): serving this instance's clients only until it is back";
    }
    Q_EMIT stateChanged(nowUp, reason);
}

void RedisBus::subscribe(const QByteArray &channel)
{
    if (!m_channels.contains(channel)) {
        m_channels.insert(channel);
        m_subscriber->command({QByteArrayLiteral("SUBSCRIBE"), channel});
    }
}

void RedisBus::unsubscribe(const QByteArray &channel)
{
    if (m_channels.remove(channel)) {
        m_subscriber->command({QByteArrayLiteral("UNSUBSCRIBE"), channel});
    }
}

bool RedisBus::publish(const QByteArray &channel, const QByteArray &payload)
{
    return m_publisher->command({QByteArrayLiteral("PUBLISH"), channel, payload});
}

} // namespace Tandem::Cluster
