// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QObject>
#include <QSet>
#include <QString>

#include <functional>

class QSocketNotifier;
struct redisAsyncContext;

namespace Tandem::Cluster {

class RedisConnection;

/// Redis pub/sub between server instances, on hiredis driven by the Qt event loop (our own
/// small adapter: hiredis' bundled Qt one frees things in the wrong order and needs moc).
///
/// Two connections, since a subscribed Redis connection can do nothing but listen: one
/// publishes, one is subscribed. Both come back by themselves after an outage (retrying every
/// second) and the subscriptions are renewed; `up()` tells whether messages flow, and
/// stateChanged() fires on every change so the server can log the outage and resynchronise.
class RedisBus : public QObject
{
    Q_OBJECT
public:
    explicit RedisBus(QObject *parent = nullptr);
    ~RedisBus() override;

    /// Connects to redis://host:port (password and TLS are not supported yet).
    void start(const QString &host, quint16 port);
    bool up() const;

    void subscribe(const QByteArray &channel);
    void unsubscribe(const QByteArray &channel);
    /// Sends @p payload (binary-safe) to @p channel; false while Redis is unreachable.
    bool publish(const QByteArray &channel, const QByteArray &payload);

    static constexpr int retryMs = 1000;

Q_SIGNALS:
    void message(const QByteArray &channel, const QByteArray &payload);
    /// Redis became reachable (@p up) or was lost (with @p reason).
    void stateChanged(bool up, const QString &reason);

private:
    void onConnectionState();

    RedisConnection *m_publisher = nullptr;
    RedisConnection *m_subscriber = nullptr;
    QSet<QByteArray> m_channels;
    bool m_up = false;
};

/// One hiredis async connection whose socket is watched by QSocketNotifiers. Reconnects by
/// itself. Internal to RedisBus.
class RedisConnection : public QObject
{
    Q_OBJECT
public:
    explicit RedisConnection(QObject *parent = nullptr);
    ~RedisConnection() override;

    void start(const QString &host, quint16 port);
    bool isConnected() const { return m_connected; }
    QString lastError() const { return m_error; }
    /// Sends a command with binary-safe arguments, ignoring its reply. SUBSCRIBE's messages
    /// arrive as message().
    bool command(const QList<QByteArray> &args);

Q_SIGNALS:
    void stateChanged();
    void message(const QByteArray &channel, const QByteArray &payload);

private:
    void open();
    void dropContext(const QString &why);
    void watch(bool read, bool on);
    void scheduleRetry();

    static void onConnect(const redisAsyncContext *ac, int status);
    static void onDisconnect(const redisAsyncContext *ac, int status);
    static void onMessage(redisAsyncContext *ac, void *reply, void *privdata);

    QString m_host;
    quint16 m_port = 0;
    redisAsyncContext *m_ctx = nullptr;
    QSocketNotifier *m_read = nullptr;
    QSocketNotifier *m_write = nullptr;
    bool m_connected = false;
    bool m_retryScheduled = false;
    QString m_error;
};

} // namespace Tandem::Cluster
