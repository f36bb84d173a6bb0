// SPDX-License-Identifier: GPL-3.0-or-later
// The client's Transport over real sockets on 127.0.0.1: against the in-process RoomServer,
// against tiny policy servers that accept and close with a chosen code, against a port with
// nothing listening, and through a FaultProxy that cuts, stalls or slows the link. Its timers
// run on a ManualClock, so minutes of backoff and watchdog take no time: the test advances the
// clock, then spins the real event loop (QTRY_*) until the socket events have happened.

#include "core/client/transport.h"
#include "core/protocol/messages.h"
#include "core/server/roomserver.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/faultproxy.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>
#include <QWebSocketServer>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

using namespace Tandem;
using Client::ManualClock;
using Client::Transport;
using State = Transport::State;
using Testing::FaultProxy;

namespace {

constexpr int Wait = 3000; // bound for every wait on socket events (they take milliseconds)

/// A RoomServer on 127.0.0.1:0 with an SQLite store in a temporary directory.
struct RoomServerFixture
{
    RoomServerFixture()
    {
        Server::ServerOptions options;
        options.port = 0;
        server = std::make_unique<Server::RoomServer>(
                options,
                std::make_unique<Storage::SqliteRoomStore>(dir.path()
                                                           + QStringLiteral("/r.sqlite")));
        QString error;
        ok = dir.isValid() && server->listen(&error);
        if (!ok) {
            qWarning("%s", qPrintable(error));
        }
    }
    QUrl url(const QString &room = QStringLiteral("room")) const
    {
        QUrl u = server->url();
        u.setPath(QLatin1Char('/') + room);
        return u;
    }
    quint16 port() const { return quint16(server->url().port()); }

    QTemporaryDir dir;
    std::unique_ptr<Server::RoomServer> server;
    bool ok = false;
};

/// A WebSocket server that completes every handshake and closes at once with a fixed code.
class PolicyServer
{
public:
    PolicyServer(quint16 code, const QString &reason)
        : m_server(QStringLiteral("policy"), QWebSocketServer::NonSecureMode)
    {
        ok = m_server.listen(QHostAddress::LocalHost, 0);
        QObject::connect(
                &m_server, &QWebSocketServer::newConnection, &m_server, [this, code, reason] {
                    while (QWebSocket *s = m_server.nextPendingConnection()) {
                        ++accepted;
                        QObject::connect(s, &QWebSocket::disconnected, s, &QObject::deleteLater);
                        s->close(QWebSocketProtocol::CloseCode(code), reason);
                    }
                });
    }
    QUrl url() const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/room").arg(m_server.serverPort()));
    }

    bool ok = false;
    int accepted = 0;

private:
    QWebSocketServer m_server;
};

/// The delay until the scheduled retry.
int64_t retryDelay(const Transport &t, const ManualClock &clock)
{
    return t.nextAttemptAt() ? *t.nextAttemptAt() - clock.nowMs() : -1;
}

/// Whether @p delay is a jittered @p base: in [(1 - jitter) base, base].
bool inJitterBand(int64_t delay, int64_t base, double jitter = Transport::Options {}.jitter)
{
    return delay >= int64_t(double(base) * (1.0 - jitter)) && delay <= base;
}

/// Lets queued socket events run for a while (used only to show that nothing happens).
void settle()
{
    QTest::qWait(30);
}

const std::vector<uint8_t> emptyStep1
        = Protocol::encodeSyncStep1(std::vector<uint8_t> {0}); // no clients

} // namespace

class TstTransport : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void connectsToRoomServer();
    void backoffGrowsAndPlateaus_data();
    void backoffGrowsAndPlateaus();
    void finalCloseCodes_data();
    void finalCloseCodes();
    void serverUnreachable();
    void resetOnAccept();
    void connectTimeout();
    void watchdogDropsSilentConnection();
    void cutAndRestore();
    void droppedConnectionIsRetried();
    void closeWhileConnected();
    void closeWhileWaitingToRetry();
    void reconnectAndGoOffline();
    void roundTrip();
};

void TstTransport::connectsToRoomServer()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    ManualClock clock;
    Transport t(clock);
    QSignalSpy states(&t, &Transport::stateChanged);
    QSignalSpy messages(&t, &Transport::messageReceived);
    QVERIFY(!t.send(emptyStep1)); // nothing is queued while disconnected

    t.open(f.url());
    QCOMPARE(t.state(), State::Connecting);
    QCOMPARE(t.url(), f.url());
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QCOMPARE(states.size(), 2);
    QCOMPARE(states.at(0).at(0).value<State>(), State::Connecting);
    QCOMPARE(states.at(1).at(0).value<State>(), State::Connected);
    QVERIFY(!t.nextAttemptAt());
    QCOMPARE(t.failures(), 0);

    // The server opens with sync step 1 (message type 0, step 0).
    QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty(), Wait);
    const QByteArray first = messages.first().first().toByteArray();
    QVERIFY(first.size() >= 2);
    QCOMPARE(int(first.at(0)), 0);
    QCOMPARE(int(first.at(1)), 0);

    // send() reaches the server: our (empty) step 1 is answered with a step 2 (0, 1).
    QVERIFY(t.send(emptyStep1));
    QTRY_VERIFY_WITH_TIMEOUT(std::any_of(messages.cbegin(), messages.cend(),
                                         [](const QList<QVariant> &m) {
                                             return m.first().toByteArray().startsWith(
                                                     QByteArray("\x00\x01", 2));
                                         }),
                             Wait);
    QCOMPARE(f.server->connectionCount(), 1);
    QCOMPARE(t.state(), State::Connected);
}

void TstTransport::backoffGrowsAndPlateaus_data()
{
    QTest::addColumn<int>("code");
    QTest::newRow("normal 1000") << 1000;
    QTest::newRow("server error 1011") << 1011;
}

void TstTransport::backoffGrowsAndPlateaus()
{
    QFETCH(int, code);
    PolicyServer policy(quint16(code), QStringLiteral("go away"));
    QVERIFY(policy.ok);
    ManualClock clock;
    Transport t(clock);
    int connected = 0;
    bool useful = false;
    connect(&t, &Transport::stateChanged, this, [&](State s) {
        if (s == State::Connected) {
            ++connected;
            if (useful) {
                t.connectionUseful(); // what the provider does after a completed sync
            }
        }
    });
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(policy.url());

    const int64_t bases[] = {1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000};
    bool jittered = false;
    for (int i = 0; i < int(std::size(bases)); ++i) {
        QTRY_COMPARE_WITH_TIMEOUT(retries.size(), i + 1, Wait);
        QCOMPARE(t.state(), State::Connecting);
        QCOMPARE(t.failures(), i + 1);
        // Every attempt did open a connection: that alone must not reset the backoff.
        QCOMPARE(connected, i + 1);
        QCOMPARE(policy.accepted, i + 1);
        QCOMPARE(t.reason(), QStringLiteral("go away"));
        QCOMPARE(t.backoffMs(i + 1), bases[i]);
        QVERIFY(t.nextAttemptAt());
        QCOMPARE(retries.last().first().toLongLong(), *t.nextAttemptAt());
        const int64_t delay = retryDelay(t, clock);
        QVERIFY2(inJitterBand(delay, bases[i]),
                 qPrintable(QStringLiteral("retry %1: %2 ms, base %3")
                                    .arg(i + 1)
                                    .arg(delay)
                                    .arg(bases[i])));
        jittered = jittered || delay != bases[i];
        clock.advance(delay - 1);
        QVERIFY(t.nextAttemptAt()); // not yet
        clock.advance(1);
        QVERIFY(!t.nextAttemptAt()); // the attempt started
    }
    QVERIFY(jittered);

    // A useful connection resets the delay: the next one is back to the initial second.
    useful = true;
    const int n = int(std::size(bases));
    QTRY_COMPARE_WITH_TIMEOUT(retries.size(), n + 1, Wait);
    QCOMPARE(connected, n + 1);
    QCOMPARE(t.failures(), 1);
    QVERIFY2(inJitterBand(retryDelay(t, clock), 1000),
             qPrintable(QString::number(retryDelay(t, clock))));

    // ... and then grows again from there.
    useful = false;
    clock.advance(retryDelay(t, clock));
    QTRY_COMPARE_WITH_TIMEOUT(retries.size(), n + 2, Wait);
    QCOMPARE(t.failures(), 2);
    QVERIFY2(inJitterBand(retryDelay(t, clock), 2000),
             qPrintable(QString::number(retryDelay(t, clock))));
}

void TstTransport::finalCloseCodes_data()
{
    QTest::addColumn<int>("code");
    QTest::addColumn<QString>("closeReason");
    QTest::addColumn<bool>("final");
    QTest::newRow("4401 no entry") << 4401 << QStringLiteral("no entry") << true;
    QTest::newRow("4400 no reason") << 4400 << QString() << true;
    QTest::newRow("4499") << 4499 << QStringLiteral("last final") << true;
    QTest::newRow("4399") << 4399 << QStringLiteral("just below") << false;
    QTest::newRow("4500") << 4500 << QStringLiteral("just above") << false;
}

void TstTransport::finalCloseCodes()
{
    QFETCH(int, code);
    QFETCH(QString, closeReason);
    QFETCH(bool, final);
    PolicyServer policy(quint16(code), closeReason);
    QVERIFY(policy.ok);
    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(policy.url());

    if (!final) {
        QTRY_COMPARE_WITH_TIMEOUT(retries.size(), 1, Wait);
        QCOMPARE(t.state(), State::Connecting);
        QCOMPARE(t.reason(), closeReason);
        QVERIFY(inJitterBand(retryDelay(t, clock), 1000));
        clock.advance(retryDelay(t, clock));
        QTRY_COMPARE_WITH_TIMEOUT(policy.accepted, 2, Wait);
        return;
    }

    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Offline, Wait);
    if (closeReason.isEmpty()) {
        QVERIFY2(t.reason().contains(QString::number(code)), qPrintable(t.reason()));
    } else {
        QCOMPARE(t.reason(), closeReason);
    }
    QCOMPARE(retries.size(), 0);
    QVERIFY(!t.nextAttemptAt());
    QCOMPARE(clock.pendingTimers(), size_t(0));
    clock.advance(60000);
    settle();
    QCOMPARE(t.state(), State::Offline);
    QCOMPARE(policy.accepted, 1);
    QCOMPARE(retries.size(), 0);

    // open() starts over from Offline.
    t.open(policy.url());
    QCOMPARE(t.state(), State::Connecting);
    QVERIFY(t.reason().isEmpty());
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Offline, Wait);
    QCOMPARE(policy.accepted, 2);
}

void TstTransport::serverUnreachable()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close(); // nothing listens there now

    ManualClock clock;
    Transport t(clock);
    QSignalSpy states(&t, &Transport::stateChanged);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/room").arg(port)));
    for (int i = 1; i <= 3; ++i) {
        QTRY_COMPARE_WITH_TIMEOUT(retries.size(), i, Wait);
        QCOMPARE(t.state(), State::Connecting);
        QCOMPARE(t.failures(), i);
        QVERIFY(!t.reason().isEmpty()); // the socket error
        QVERIFY(inJitterBand(retryDelay(t, clock), t.backoffMs(i)));
        clock.advance(retryDelay(t, clock));
    }
    for (const auto &s : states) {
        QCOMPARE(s.first().value<State>(), State::Connecting);
    }
}

void TstTransport::resetOnAccept()
{
    // A server (or a middlebox) that accepts and resets at once must get one connection per
    // attempt, like any server that accepts and closes: no tight loop.
#ifndef Q_OS_UNIX
    QSKIP("needs SO_LINGER through <sys/socket.h>");
#else
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost, 0));
    int accepted = 0;
    connect(&server, &QTcpServer::newConnection, this, [&] {
        while (QTcpSocket *s = server.nextPendingConnection()) {
            ++accepted;
            const linger l {1, 0}; // abort() with SO_LINGER 0: the peer sees a reset
            ::setsockopt(int(s->socketDescriptor()), SOL_SOCKET, SO_LINGER, &l, sizeof l);
            s->abort();
            s->deleteLater();
        }
    });
    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(QUrl(QStringLiteral("ws://127.0.0.1:%1/room").arg(server.serverPort())));
    QTest::qWait(100);
    qInfo("%d connections in 100 ms, %d retries scheduled", accepted, int(retries.size()));
    // Qt 6.4's QNativeSocketEngine checks whether a connection completed by calling connect()
    // again; when the reset has already arrived that call fails with ECONNRESET, which
    // nativeConnect() does not handle, so the socket stays "connecting" and the next check's
    // connect() starts a new TCP connection (strace: connect() = EINPROGRESS, ECONNRESET,
    // EINPROGRESS, ... on one fd). No signal reaches the Transport, which hammers the server
    // (thousands of connections a second) until its connect timeout.
    QEXPECT_FAIL("", "Qt reconnects by itself after a reset during connect: a tight loop",
                 Continue);
    QVERIFY(accepted <= 2);
    QEXPECT_FAIL("", "the attempt ends only at the connect timeout", Continue);
    QCOMPARE(retries.size(), 1);

    // The connect timeout still ends the storm.
    if (retries.isEmpty()) {
        clock.advance(Transport::Options {}.connectTimeoutMs);
        QCOMPARE(retries.size(), 1);
        QCOMPARE(t.failures(), 1);
        settle();
        const int after = accepted;
        settle();
        QCOMPARE(accepted, after);
    }
#endif
}

void TstTransport::connectTimeout()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    FaultProxy proxy;
    QVERIFY(proxy.listen(f.port()));
    proxy.stall(true); // TCP connects, the handshake never completes

    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(proxy.url(QStringLiteral("room")));
    QTRY_COMPARE_WITH_TIMEOUT(proxy.connectionsAccepted(), 1, Wait);
    settle();
    clock.advance(Transport::Options {}.connectTimeoutMs - 1);
    QCOMPARE(t.state(), State::Connecting);
    QCOMPARE(retries.size(), 0);
    clock.advance(1);
    QCOMPARE(retries.size(), 1);
    QCOMPARE(t.failures(), 1);
    QVERIFY2(t.reason().contains(QStringLiteral("in time")), qPrintable(t.reason()));

    proxy.stall(false);
    clock.advance(retryDelay(t, clock));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QCOMPARE(proxy.connectionsAccepted(), 2);
}

void TstTransport::watchdogDropsSilentConnection()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    FaultProxy proxy;
    QVERIFY(proxy.listen(f.port()));
    ManualClock clock;
    Transport t(clock);
    QSignalSpy messages(&t, &Transport::messageReceived);
    QSignalSpy pongs(&t, &Transport::roundTripMeasured);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(proxy.url(QStringLiteral("room")));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty(), Wait);

    // A healthy link: a ping every 10 s, and its pong keeps the connection alive past 30 s.
    for (int i = 1; i <= 3; ++i) {
        clock.advance(10000);
        QTRY_COMPARE_WITH_TIMEOUT(pongs.size(), i, Wait);
    }
    QCOMPARE(t.state(), State::Connected); // t = 30 s
    QCOMPARE(retries.size(), 0);

    // The link dies silently: pings go out, nothing comes back. Last sign of life: t = 30 s.
    proxy.stall(true);
    clock.advance(10000);
    settle();
    QCOMPARE(pongs.size(), 3);
    clock.advance(10000);
    settle();
    clock.advance(9999);
    QCOMPARE(t.state(), State::Connected);
    QCOMPARE(retries.size(), 0);
    clock.advance(1); // 30 s of silence
    QCOMPARE(t.state(), State::Connecting);
    QCOMPARE(retries.size(), 1);
    QCOMPARE(t.failures(), 1);
    QVERIFY2(t.reason().contains(QStringLiteral("silent")), qPrintable(t.reason()));

    proxy.stall(false);
    const qsizetype before = messages.size();
    clock.advance(retryDelay(t, clock));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QTRY_VERIFY_WITH_TIMEOUT(messages.size() > before, Wait); // a fresh sync step 1
    QCOMPARE(proxy.connectionsAccepted(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 1, Wait);
}

void TstTransport::cutAndRestore()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    FaultProxy proxy;
    QVERIFY(proxy.listen(f.port()));
    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    QSignalSpy messages(&t, &Transport::messageReceived);
    t.open(proxy.url(QStringLiteral("room")));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 1, Wait);
    QCOMPARE(proxy.openPairs(), 1);

    proxy.cut();
    QCOMPARE(proxy.openPairs(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(retries.size(), 1, Wait);
    QCOMPARE(t.state(), State::Connecting);
    QCOMPARE(t.failures(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 0, Wait); // the server saw it too

    // Still down: the next attempt fails as well, and the delay grows.
    clock.advance(retryDelay(t, clock));
    QTRY_COMPARE_WITH_TIMEOUT(retries.size(), 2, Wait);
    QCOMPARE(proxy.connectionsAccepted(), 2);
    QCOMPARE(t.failures(), 2);
    QVERIFY(inJitterBand(retryDelay(t, clock), 2000));

    proxy.restore();
    const qsizetype before = messages.size();
    clock.advance(retryDelay(t, clock));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QTRY_VERIFY_WITH_TIMEOUT(messages.size() > before, Wait);
    QCOMPARE(proxy.connectionsAccepted(), 3);
    QCOMPARE(proxy.openPairs(), 1);
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 1, Wait);
}

void TstTransport::droppedConnectionIsRetried()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    FaultProxy proxy;
    QVERIFY(proxy.listen(f.port()));
    proxy.dropNextConnection(); // accepted and closed before the handshake
    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(proxy.url(QStringLiteral("room")));
    QTRY_COMPARE_WITH_TIMEOUT(retries.size(), 1, Wait);
    QCOMPARE(t.state(), State::Connecting);
    QCOMPARE(t.failures(), 1);
    QCOMPARE(proxy.openPairs(), 0);
    clock.advance(retryDelay(t, clock));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QCOMPARE(proxy.connectionsAccepted(), 2);
    QCOMPARE(proxy.openPairs(), 1);
}

void TstTransport::closeWhileConnected()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(f.url());
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 1, Wait);

    t.close();
    QCOMPARE(t.state(), State::Disconnected);
    QVERIFY(!t.nextAttemptAt());
    QCOMPARE(clock.pendingTimers(), size_t(0)); // no ping, watchdog or retry left
    QVERIFY(!t.send(emptyStep1));
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 0, Wait); // closed, not left open
    clock.advance(60000);
    settle();
    QCOMPARE(t.state(), State::Disconnected);
    QCOMPARE(retries.size(), 0);
    QCOMPARE(t.failures(), 0); // a close is not a failure

    t.open(f.url());
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 1, Wait);
}

void TstTransport::closeWhileWaitingToRetry()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const QUrl url(QStringLiteral("ws://127.0.0.1:%1/room").arg(probe.serverPort()));
    probe.close();

    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(url);
    QTRY_COMPARE_WITH_TIMEOUT(retries.size(), 1, Wait);
    t.close();
    QCOMPARE(t.state(), State::Disconnected);
    QCOMPARE(clock.pendingTimers(), size_t(0));
    clock.advance(60000);
    settle();
    QCOMPARE(t.state(), State::Disconnected);
    QCOMPARE(retries.size(), 1);
    // nextAttemptAt() is documented as "while waiting to retry"; after close() there is none.
    QVERIFY(!t.nextAttemptAt());

    // The same for goOffline() while waiting to retry.
    t.open(url);
    QTRY_COMPARE_WITH_TIMEOUT(retries.size(), 2, Wait);
    t.goOffline(QStringLiteral("refused"));
    QCOMPARE(t.state(), State::Offline);
    QCOMPARE(clock.pendingTimers(), size_t(0));
    clock.advance(60000);
    settle();
    QCOMPARE(retries.size(), 2);
    QVERIFY(!t.nextAttemptAt());
}

void TstTransport::reconnectAndGoOffline()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    ManualClock clock;
    Transport t(clock);
    QSignalSpy retries(&t, &Transport::retryScheduled);
    t.open(f.url());
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);

    // The provider found the connection unusable: drop it and retry.
    t.reconnect(QStringLiteral("garbled"));
    QCOMPARE(t.state(), State::Connecting);
    QCOMPARE(retries.size(), 1);
    QCOMPARE(t.failures(), 1);
    QCOMPARE(t.reason(), QStringLiteral("garbled"));
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 0, Wait);
    clock.advance(retryDelay(t, clock));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);

    // The provider was refused for good.
    t.goOffline(QStringLiteral("refused"));
    QCOMPARE(t.state(), State::Offline);
    QCOMPARE(t.reason(), QStringLiteral("refused"));
    QCOMPARE(clock.pendingTimers(), size_t(0));
    QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 0, Wait);
    clock.advance(60000);
    settle();
    QCOMPARE(t.state(), State::Offline);
    QCOMPARE(retries.size(), 1);
}

void TstTransport::roundTrip()
{
    RoomServerFixture f;
    QVERIFY(f.ok);
    FaultProxy proxy;
    QVERIFY(proxy.listen(f.port()));
    ManualClock clock;
    Transport t(clock);
    QSignalSpy rtts(&t, &Transport::roundTripMeasured);
    t.open(proxy.url(QStringLiteral("room")));
    QTRY_COMPARE_WITH_TIMEOUT(t.state(), State::Connected, Wait);
    QVERIFY(!t.roundTripMs());

    clock.advance(Transport::Options {}.pingIntervalMs);
    QTRY_COMPARE_WITH_TIMEOUT(rtts.size(), 1, Wait);
    QVERIFY(t.roundTripMs());
    QVERIFY(*t.roundTripMs() >= 0);
    QCOMPARE(rtts.first().first().toLongLong(), *t.roundTripMs());

    // 50 ms each way through the proxy: the ping and its pong take at least 100 ms.
    proxy.setDelay(50);
    clock.advance(Transport::Options {}.pingIntervalMs);
    QTRY_COMPARE_WITH_TIMEOUT(rtts.size(), 2, Wait);
    QVERIFY2(*t.roundTripMs() >= 100, qPrintable(QString::number(*t.roundTripMs())));
    QCOMPARE(rtts.last().first().toLongLong(), *t.roundTripMs());
    QCOMPARE(t.state(), State::Connected);
}

QTEST_GUILESS_MAIN(TstTransport)
#include "tst_transport.moc"
