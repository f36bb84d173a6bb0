// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/client/clock.h"

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QUrl>

#include <optional>
#include <random>
#include <span>

class QSslError;
class QWebSocket;

namespace Tandem::Client {

struct TransportOptions
{
    int64_t initialBackoffMs = 1000;
    int64_t maxBackoffMs = 30000;
    double jitter = 0.25; ///< a retry waits between (1 - jitter) and 1 times the backoff
    int64_t watchdogMs = 30000; ///< silence after which the connection is given up
    int64_t pingIntervalMs = 10000;
    int64_t connectTimeoutMs = 15000; ///< a handshake that takes longer is abandoned
};

/// The client's WebSocket connection to a room, as an explicit state machine that keeps
/// itself connected:
///
///   Disconnected --open()--> Connecting --handshake--> Connected
///        ^                       |  ^                      |
///        |                       v  |  (backoff timer)     v
///      close()               waiting to retry <------- connection lost
///                                                          |
///                       Offline(reason) <-- close code 4400-4499, or goOffline()
///
/// Retries wait 1 s, doubling up to 30 s, with jitter; the delay is reset only by
/// connectionUseful() (the provider calls it after a completed sync), so a server that accepts
/// and then closes cannot cause a tight loop. A connection silent for 30 s (no message, no
/// pong; the transport pings every 10 s) is dropped and retried. Time comes from a Clock.
///
/// wss://: a certificate the system trusts just works. One it does not (self-signed) is
/// accepted only if its fingerprint is the one KnownHosts remembers for this host:port.
/// Otherwise the transport goes Offline before the TLS handshake completes (nothing is sent)
/// and says why: certificateUnknown (first contact: ask the user, KnownHosts::remember(), then
/// open() again) or certificateChanged (a different certificate than before: possibly someone
/// in between; it never connects on its own).
class Transport : public QObject
{
    Q_OBJECT
public:
    enum class State { Disconnected, Connecting, Connected, Offline };
    Q_ENUM(State)

    using Options = TransportOptions;

    explicit Transport(Clock &clock = Clock::system(), Options options = {},
                       QObject *parent = nullptr);
    ~Transport() override;

    /// Connects to @p url and keeps connecting until close() or a final failure.
    void open(const QUrl &url);
    /// Disconnects and stops retrying (not a failure: open() again at any time).
    void close();
    /// Ends the connection for good with @p reason (the server refused us).
    void goOffline(const QString &reason);
    /// Drops the connection as failed (the server sent something unusable) and retries.
    void reconnect(const QString &reason);
    /// The connection did what it is for (a sync completed): the next retry starts over at
    /// the initial delay.
    void connectionUseful();

    /// Sends a binary message; false when not connected (nothing is queued).
    bool send(std::span<const uint8_t> message);

    State state() const { return m_state; }
    QUrl url() const { return m_url; }
    /// Why the transport is Offline, or what ended the last connection.
    QString reason() const { return m_reason; }
    /// Offline because we refused the server's certificate (not the server us).
    bool certificateRefused() const { return m_certificateRefused; }
    /// Failed attempts since the last useful connection.
    int failures() const { return m_failures; }
    /// When the next attempt starts (Clock time), while waiting to retry.
    std::optional<int64_t> nextAttemptAt() const { return m_nextAttemptAt; }
    /// The last measured round-trip time.
    std::optional<int64_t> roundTripMs() const { return m_rtt; }

    /// The delay before retry number @p failures (1 = the first), before jitter.
    int64_t backoffMs(int failures) const;

Q_SIGNALS:
    void stateChanged(Tandem::Client::Transport::State state);
    void messageReceived(const QByteArray &message);
    void roundTripMeasured(qint64 ms);
    /// The connection was lost; the next attempt starts at @p atMs (Clock time).
    void retryScheduled(qint64 atMs);
    /// The server's certificate is not trusted and none is remembered for @p hostPort: the
    /// transport is Offline until the user trusts @p fingerprint (KnownHosts) and opens again.
    void certificateUnknown(const QString &hostPort, const QString &fingerprint);
    /// The server's certificate is not the one remembered for @p hostPort: Offline, for good.
    void certificateChanged(const QString &hostPort, const QString &knownFingerprint,
                            const QString &newFingerprint);

private:
    void connectNow();
    void onConnected();
    void onDisconnected();
    void onActivity();
    void onSslErrors(const QList<QSslError> &errors);
    void scheduleRetry();
    void setState(State state);
    void closeSocket(); ///< with a close frame if connected
    void dropSocket(); ///< at once
    void cancelTimers();
    void checkWatchdog();
    void sendPing();

    Clock &m_clock;
    Options m_options;
    QUrl m_url;
    QWebSocket *m_socket = nullptr;
    State m_state = State::Disconnected;
    QString m_reason;
    int m_failures = 0;
    bool m_certificateRefused = false;
    std::optional<int64_t> m_nextAttemptAt;
    std::optional<int64_t> m_rtt;
    int64_t m_lastActivity = 0;
    int64_t m_pingSentAt = -1;
    Clock::TimerId m_retryTimer = 0;
    Clock::TimerId m_watchdogTimer = 0;
    Clock::TimerId m_pingTimer = 0;
    Clock::TimerId m_connectTimer = 0;
    std::mt19937 m_random;
};

} // namespace Tandem::Client
