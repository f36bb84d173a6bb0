// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/client/transport.h"

#include "core/client/clientlog.h"
#include "core/client/knownhosts.h"

#include <QSslConfiguration>
#include <QSslError>
#include <QWebSocket>

#include <algorithm>

namespace Tandem::Client {

Q_LOGGING_CATEGORY(lcClient, "tandem.client")

Transport::Transport(Clock &clock, Options options, QObject *parent)
    : QObject(parent), m_clock(clock), m_options(options), m_random(std::random_device {}())
{ }

Transport::~Transport()
{
    cancelTimers();
    dropSocket();
}

int64_t Transport::backoffMs(int failures) const
{
    int64_t delay = m_options.initialBackoffMs;
    for (int i = 1; i < failures && delay < m_options.maxBackoffMs; ++i) {
        delay *= 2;
    }
    return std::min(delay, m_options.maxBackoffMs);
}

void Transport::open(const QUrl &url)
{
    m_url = url;
    m_failures = 0;
    m_certificateRefused = false;
    m_reason.clear();
    connectNow();
}

void Transport::close()
{
    setState(State::Disconnected);
    cancelTimers();
    closeSocket();
}

void Transport::goOffline(const QString &reason)
{
    qCWarning(lcClient).noquote() << "offline:" << reason;
    m_reason = reason;
    setState(State::Offline);
    cancelTimers();
    closeSocket();
}

void Transport::reconnect(const QString &reason)
{
    if (m_state == State::Connected || (m_state == State::Connecting && m_socket)) {
        m_reason = reason;
        onDisconnected();
    }
}

void Transport::connectionUseful()
{
    m_failures = 0;
}

bool Transport::send(std::span<const uint8_t> message)
{
    if (m_state != State::Connected || !m_socket) {
        return false;
    }
    m_socket->sendBinaryMessage(
            QByteArray(reinterpret_cast<const char *>(message.data()), qsizetype(message.size())));
    return true;
}

void Transport::connectNow()
{
    cancelTimers();
    dropSocket();
    m_nextAttemptAt.reset();
    setState(State::Connecting);
    m_socket = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    QWebSocket *socket = m_socket;
    connect(socket, &QWebSocket::connected, this, [this, socket] {
        if (socket == m_socket) {
            onConnected();
        }
    });
    connect(socket, &QWebSocket::disconnected, this, [this, socket] {
        if (socket == m_socket) {
            onDisconnected();
        }
    });
    connect(socket, QOverload<QAbstractSocket::SocketError>::of(&QWebSocket::error), this,
            [this, socket] {
                // A failed connection attempt ends here (and may or may not also emit
                // disconnected).
                if (socket == m_socket && socket->state() == QAbstractSocket::UnconnectedState) {
                    onDisconnected();
                }
            });
#ifndef QT_NO_SSL
    connect(socket, &QWebSocket::sslErrors, this, [this, socket](const QList<QSslError> &errors) {
        if (socket == m_socket) {
            onSslErrors(errors);
        }
    });
#endif
    connect(socket, &QWebSocket::binaryMessageReceived, this, [this, socket](const QByteArray &m) {
        if (socket == m_socket) {
            onActivity();
            Q_EMIT messageReceived(m);
        }
    });
    connect(socket, &QWebSocket::pong, this, [this, socket](quint64 elapsedMs, const QByteArray &) {
        if (socket == m_socket) {
            onActivity();
            m_rtt = int64_t(elapsedMs);
            Q_EMIT roundTripMeasured(qint64(elapsedMs));
        }
    });
    m_connectTimer = m_clock.schedule(m_options.connectTimeoutMs, [this] {
        m_connectTimer = 0;
        m_reason = tr("the server did not answer in time");
        onDisconnected();
    });
    socket->open(m_url);
}

void Transport::onConnected()
{
    m_clock.cancel(std::exchange(m_connectTimer, 0));
    m_lastActivity = m_clock.nowMs();
    setState(State::Connected);
    if (m_state != State::Connected) {
        return; // a slot on stateChanged closed us again
    }
    m_watchdogTimer = m_clock.schedule(m_options.watchdogMs, [this] { checkWatchdog(); });
    m_pingTimer = m_clock.schedule(m_options.pingIntervalMs, [this] { sendPing(); });
}

void Transport::onSslErrors(const QList<QSslError> &errors)
{
#ifndef QT_NO_SSL
    const QString hostPort = KnownHosts::hostPort(m_url);
    const QString fingerprint
            = KnownHosts::fingerprintOf(m_socket->sslConfiguration().peerCertificate());
    const QString known = KnownHosts::fingerprint(hostPort);
    if (!fingerprint.isEmpty() && known.compare(fingerprint, Qt::CaseInsensitive) == 0) {
        m_socket->ignoreSslErrors(errors); // exactly these, for the certificate the user trusts
        return;
    }
    QStringList what;
    for (const QSslError &e : errors) {
        what << e.errorString();
    }
    qCWarning(lcClient).noquote() << "certificate of" << hostPort << "not trusted ("
                                  << what.join(QStringLiteral("; ")) << "), SHA-256" << fingerprint;
    m_certificateRefused = true;
    if (known.isEmpty() || fingerprint.isEmpty()) {
        // First contact: the user decides. No retries meanwhile (each would ask again).
        goOffline(tr("The server's certificate is not trusted yet (SHA-256 fingerprint %1)")
                          .arg(fingerprint));
        Q_EMIT certificateUnknown(hostPort, fingerprint);
    } else {
        goOffline(tr("The server's certificate changed since you last connected: this may be "
                     "someone intercepting the connection. Not connecting. (Known SHA-256 "
                     "fingerprint %1, now %2)")
                          .arg(known, fingerprint));
        Q_EMIT certificateChanged(hostPort, known, fingerprint);
    }
#else
    Q_UNUSED(errors);
#endif
}

void Transport::onActivity()
{
    m_lastActivity = m_clock.nowMs();
}

void Transport::checkWatchdog()
{
    m_watchdogTimer = 0;
    const int64_t silent = m_clock.nowMs() - m_lastActivity;
    if (silent >= m_options.watchdogMs) {
        qCInfo(lcClient) << "no data from" << m_url.toDisplayString() << "for" << silent
                         << "ms: reconnecting";
        m_reason = tr("the connection went silent");
        onDisconnected();
        return;
    }
    m_watchdogTimer = m_clock.schedule(m_options.watchdogMs - silent, [this] { checkWatchdog(); });
}

void Transport::sendPing()
{
    m_pingTimer = 0;
    if (m_socket && m_state == State::Connected) {
        m_socket->ping();
        m_pingTimer = m_clock.schedule(m_options.pingIntervalMs, [this] { sendPing(); });
    }
}

void Transport::onDisconnected()
{
    if (m_state == State::Disconnected || m_state == State::Offline) {
        return;
    }
    quint16 code = 0;
    QString closeReason;
    if (m_socket) {
        code = quint16(m_socket->closeCode());
        closeReason = m_socket->closeReason();
        if (m_reason.isEmpty() && m_socket->error() != QAbstractSocket::UnknownSocketError) {
            m_reason = m_socket->errorString();
        }
    }
    cancelTimers();
    dropSocket();
    if (code >= 4400 && code <= 4499) {
        // The server refuses this client for good: retrying cannot help (y-websocket agrees).
        goOffline(closeReason.isEmpty() ? tr("the server closed the connection (code %1)").arg(code)
                                        : closeReason);
        return;
    }
    if (!closeReason.isEmpty()) {
        m_reason = closeReason;
    }
    ++m_failures;
    scheduleRetry();
}

void Transport::scheduleRetry()
{
    const int64_t base = backoffMs(m_failures);
    std::uniform_real_distribution<double> unit(0.0, 1.0);
    const auto delay = int64_t(double(base) * (1.0 - m_options.jitter * unit(m_random)));
    m_nextAttemptAt = m_clock.nowMs() + delay;
    qCInfo(lcClient).noquote() << "connection to" << m_url.toDisplayString() << "lost (" << m_reason
                               << "); retrying in" << delay << "ms";
    setState(State::Connecting);
    Q_EMIT retryScheduled(qint64(*m_nextAttemptAt));
    m_retryTimer = m_clock.schedule(delay, [this] {
        m_retryTimer = 0;
        m_reason.clear();
        connectNow();
    });
}

void Transport::setState(State state)
{
    if (m_state == state) {
        return;
    }
    m_state = state;
    Q_EMIT stateChanged(state);
}

void Transport::closeSocket()
{
    if (m_socket && m_socket->state() == QAbstractSocket::ConnectedState) {
        m_socket->disconnect(this);
        m_socket->close(QWebSocketProtocol::CloseCodeNormal); // a polite goodbye
        m_socket->deleteLater();
        m_socket = nullptr;
    }
    dropSocket();
}

void Transport::dropSocket()
{
    if (m_socket) {
        m_socket->disconnect(this);
        m_socket->abort();
        m_socket->deleteLater();
        m_socket = nullptr;
    }
}

void Transport::cancelTimers()
{
    m_nextAttemptAt.reset(); // no attempt is scheduled any more
    for (Clock::TimerId *t : {&m_retryTimer, &m_watchdogTimer, &m_pingTimer, &m_connectTimer}) {
        m_clock.cancel(std::exchange(*t, 0));
    }
}

} // namespace Tandem::Client
