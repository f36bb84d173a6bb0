// SPDX-License-Identifier: GPL-3.0-or-later
// The client core end to end: Sessions (local SQLite store + Provider + Transport) against a
// real in-process RoomServer on 127.0.0.1:0 and against the reference JS server
// (@y/websocket-server in node). Covers sync, the unconfirmed-changes count, edits made while
// disconnected or while the server is down (none lost), the local store as write-ahead log,
// presence relay and cleanup, and final close codes that keep the local edit.

#include "core/client/session.h"
#include "core/crdt/text.h"
#include "core/encoding/utf.h"
#include "core/server/roomserver.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/faultproxy.h"
#include "tests/support/serveprocess.h"
#include "tests/support/sessionclient.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Tandem;
using Client::Provider;
using Client::Session;

namespace {

using Testing::fastRetries;
using Testing::insert;
using Testing::LocalStore;
using Testing::text;

/// `tandem --serve` in process, restartable on the same port and data.
struct ServerUnderTest
{
    QTemporaryDir dir;
    std::unique_ptr<Server::RoomServer> server;
    quint16 port = 0;
    Server::ServerOptions options;

    bool start()
    {
        options.host = QHostAddress::LocalHost;
        options.port = port;
        auto store = std::make_unique<Storage::SqliteRoomStore>(
                dir.filePath(QStringLiteral("rooms.sqlite")));
        server = std::make_unique<Server::RoomServer>(options, std::move(store));
        QString error;
        if (!server->listen(&error)) {
            qWarning() << error;
            return false;
        }
        port = quint16(server->url().port());
        return true;
    }
    void stop() { server.reset(); }
    QUrl url(const QString &room) const
    {
        return QUrl(QStringLiteral("ws://127.0.0.1:%1/%2").arg(port).arg(room));
    }
};

} // namespace

class tst_Session : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void init()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY(m_server.start());
    }
    void cleanup() { m_server.stop(); }

    void twoClientsConverge()
    {
        LocalStore la(m_dir.filePath(QStringLiteral("a1.sqlite")));
        LocalStore lb(m_dir.filePath(QStringLiteral("b1.sqlite")));
        QVERIFY(la.ok && lb.ok);
        Session a(m_server.url(QStringLiteral("converge")), la.store);
        Session b(m_server.url(QStringLiteral("converge")), lb.store);
        QString error;
        QVERIFY2(a.open(&error), qPrintable(error));
        QVERIFY2(b.open(&error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->status(), Provider::Status::Synced, 5000);
        insert(a, 0, QStringLiteral("hello"));
        QCOMPARE(a.provider()->unconfirmedChanges(), 1);
        insert(b, 0, QStringLiteral("world "));
        QTRY_COMPARE_WITH_TIMEOUT(text(a), text(b), 5000);
        QCOMPARE(text(a).size(), 11);
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->unconfirmedChanges(), 0, 5000);
    }

    void disconnectedEditsMergeAndAreConfirmed()
    {
        LocalStore la(m_dir.filePath(QStringLiteral("a2.sqlite")));
        LocalStore lb(m_dir.filePath(QStringLiteral("b2.sqlite")));
        Session a(m_server.url(QStringLiteral("offline")), la.store, Client::Clock::system(),
                  fastRetries());
        Session b(m_server.url(QStringLiteral("offline")), lb.store);
        QString error;
        QVERIFY(a.open(&error) && b.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->status(), Provider::Status::Synced, 5000);

        a.transport().close();
        QCOMPARE(a.provider()->status(), Provider::Status::Disconnected);
        for (int i = 0; i < 20; ++i) {
            insert(a, 0, QStringLiteral("a"));
        }
        insert(b, 0, QStringLiteral("b"));
        QCOMPARE(a.provider()->unconfirmedChanges(), 20);
        QTest::qWait(100);
        QVERIFY(!text(b).contains(QLatin1Char('a'))); // nothing leaked while disconnected

        a.transport().open(a.url());
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(text(b), text(a), 5000);
        QCOMPARE(text(a).count(QLatin1Char('a')), 20);
        QCOMPARE(text(a).count(QLatin1Char('b')), 1);
    }

    void serverDownEditsSurviveAndMerge()
    {
        LocalStore la(m_dir.filePath(QStringLiteral("a3.sqlite")));
        LocalStore lb(m_dir.filePath(QStringLiteral("b3.sqlite")));
        Session a(m_server.url(QStringLiteral("restart")), la.store, Client::Clock::system(),
                  fastRetries());
        Session b(m_server.url(QStringLiteral("restart")), lb.store, Client::Clock::system(),
                  fastRetries());
        QString error;
        QVERIFY(a.open(&error) && b.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        insert(a, 0, QStringLiteral("before "));
        QTRY_COMPARE_WITH_TIMEOUT(text(b), QStringLiteral("before "), 5000);

        m_server.stop();
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Connecting, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->status(), Provider::Status::Connecting, 5000);
        QVERIFY(!a.transport().reason().isEmpty());
        insert(a, 7, QStringLiteral("during-a "));
        insert(b, 0, QStringLiteral("during-b "));
        QVERIFY(a.provider()->unconfirmedChanges() >= 1);
        QTest::qWait(300); // several failed attempts

        QVERIFY(m_server.start()); // same port, same data
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(text(a), text(b), 5000);
        QVERIFY(text(a).contains(QStringLiteral("before ")));
        QVERIFY(text(a).contains(QStringLiteral("during-a ")));
        QVERIFY(text(a).contains(QStringLiteral("during-b ")));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->unconfirmedChanges(), 0, 5000);
        // A successful sync resets the backoff.
        QCOMPARE(a.transport().failures(), 0);
    }

    void cutOffForAWhileLosesNothing()
    {
        // A reaches the server through a proxy that pulls the cable; B is directly connected.
        // Both keep typing while A is cut off; afterwards both hold every edit.
        Testing::FaultProxy proxy;
        QVERIFY(proxy.listen(m_server.port));
        LocalStore la(m_dir.filePath(QStringLiteral("a8.sqlite")));
        LocalStore lb(m_dir.filePath(QStringLiteral("b8.sqlite")));
        Session a(proxy.url(QStringLiteral("cut")), la.store, Client::Clock::system(),
                  fastRetries());
        Session b(m_server.url(QStringLiteral("cut")), lb.store);
        QString error;
        QVERIFY(a.open(&error) && b.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->status(), Provider::Status::Synced, 5000);
        int typedA = 0, typedB = 0;
        auto typeA = [&] {
            insert(a, int64_t(text(a).size()), QStringLiteral("a"));
            ++typedA;
        };
        auto typeB = [&] {
            insert(b, 0, QStringLiteral("b"));
            ++typedB;
        };
        for (int i = 0; i < 50; ++i) {
            typeA();
            typeB();
            QTest::qWait(1);
        }
        proxy.cut();
        QElapsedTimer cutFor;
        cutFor.start();
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Connecting, 5000);
        for (int i = 0; i < 200; ++i) {
            typeA();
            if (i % 2 == 0) {
                typeB();
            }
            QTest::qWait(5); // about a second of typing while cut off
        }
        const int unconfirmedWhileCut = a.provider()->unconfirmedChanges();
        QVERIFY(unconfirmedWhileCut >= 200);
        QVERIFY(a.transport().failures() >= 2); // it kept trying (and failing) meanwhile
        proxy.restore();
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(text(b), text(a), 10000);
        const qint64 cutMs = cutFor.elapsed();
        QCOMPARE(int(text(a).count(QLatin1Char('a'))), typedA);
        QCOMPARE(int(text(a).count(QLatin1Char('b'))), typedB);
        qInfo("cut off for %lld ms: A typed %d edits (%d while cut off, %d unconfirmed then), B "
              "typed %d; after reconnecting both hold all %d, nothing unconfirmed",
              cutMs, typedA, 200, unconfirmedWhileCut, typedB, typedA + typedB);
    }

    void serverKilledWithSigkill()
    {
        // The real `tandem --serve` process, killed with SIGKILL mid-session and started again
        // on the same data: the clients come back by themselves and nothing is lost.
        QTemporaryDir data;
        Testing::ServeProcess server(QStringLiteral(TANDEM_BINARY));
        QVERIFY(!server.start(data.path()).isEmpty());
        const quint16 port = server.port();
        const QUrl url(QStringLiteral("ws://127.0.0.1:%1/killed").arg(port));
        LocalStore la(m_dir.filePath(QStringLiteral("a9.sqlite")));
        LocalStore lb(m_dir.filePath(QStringLiteral("b9.sqlite")));
        Session a(url, la.store, Client::Clock::system(), fastRetries());
        Session b(url, lb.store, Client::Clock::system(), fastRetries());
        QString error;
        QVERIFY(a.open(&error) && b.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        insert(a, 0, QStringLiteral("confirmed "));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, 5000);
        server.kill(); // SIGKILL
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Connecting, 5000);
        insert(a, 10, QStringLiteral("while-down "));
        insert(b, 0, QStringLiteral("b-while-down "));
        Testing::ServeProcess again(QStringLiteral(TANDEM_BINARY));
        QVERIFY(!again.start(data.path(), port).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->unconfirmedChanges(), 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(text(a), text(b), 5000);
        for (const char *part : {"confirmed ", "while-down ", "b-while-down "}) {
            QVERIFY2(text(a).contains(QLatin1String(part)), qPrintable(text(a)));
        }
        a.close();
        b.close();
        again.terminate();
    }

    void localStoreIsWrittenBeforeSending()
    {
        // No server at all: the edit must be on disk the moment the call returns, and a new
        // session (the app restarted) opens it at once and delivers it later.
        const QString path = m_dir.filePath(QStringLiteral("a4.sqlite"));
        const QUrl url = m_server.url(QStringLiteral("wal"));
        m_server.stop();
        {
            LocalStore la(path);
            Session a(url, la.store, Client::Clock::system(), fastRetries());
            QString error;
            QVERIFY(a.open(&error));
            insert(a, 0, QStringLiteral("typed offline"));
            LocalStore peek(path);
            const auto stored = peek.store.load(Session::storeKey(url), &error);
            QVERIFY(stored);
            Crdt::Doc check(7);
            for (const QByteArray &u : stored->updates) {
                check.applyUpdate(
                        {reinterpret_cast<const uint8_t *>(u.constData()), size_t(u.size())});
            }
            if (!stored->snapshot.isEmpty()) {
                check.applyUpdate({reinterpret_cast<const uint8_t *>(stored->snapshot.constData()),
                                   size_t(stored->snapshot.size())});
            }
            QCOMPARE(QString::fromStdU16String(check.getText("t").toString()),
                     QStringLiteral("typed offline"));
        }
        QVERIFY(m_server.start());
        LocalStore la(path);
        Session again(url, la.store, Client::Clock::system(), fastRetries());
        QString error;
        QVERIFY(again.open(&error));
        QCOMPARE(text(again), QStringLiteral("typed offline")); // at once, before any sync
        LocalStore lb(m_dir.filePath(QStringLiteral("b4.sqlite")));
        Session b(url, lb.store);
        QVERIFY(b.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(text(b), QStringLiteral("typed offline"), 5000);
    }

    void presenceRelayedAndCleared()
    {
        LocalStore la(m_dir.filePath(QStringLiteral("a5.sqlite")));
        LocalStore lb(m_dir.filePath(QStringLiteral("b5.sqlite")));
        auto a = std::make_unique<Session>(m_server.url(QStringLiteral("presence")), la.store);
        Session b(m_server.url(QStringLiteral("presence")), lb.store, Client::Clock::system(),
                  fastRetries());
        const Encoding::Any state = Encoding::Any::object(
                {{"user", Encoding::Any::object({{"name", Encoding::Any("Ada")}})}});
        a->awareness().setLocalState(state);
        QString error;
        QVERIFY(a->open(&error) && b.open(&error));
        const auto aId = a->awareness().clientId();
        QTRY_VERIFY_WITH_TIMEOUT(b.awareness().state(aId) != nullptr, 5000);
        // Leaving clears it at once (a null state, and the server removes its states).
        a.reset();
        QTRY_VERIFY_WITH_TIMEOUT(b.awareness().state(aId) == nullptr, 2000);

        // A client that loses its connection drops every remote state (no ghosts).
        Session c(m_server.url(QStringLiteral("presence")), la.store);
        c.awareness().setLocalState(state);
        QVERIFY(c.open(&error));
        QTRY_VERIFY_WITH_TIMEOUT(b.awareness().state(c.awareness().clientId()) != nullptr, 5000);
        b.transport().close();
        QCOMPARE(b.awareness().clients().size(), size_t(1)); // only its own
    }

    void finalCloseKeepsTheEditAndSaysWhy()
    {
        m_server.stop();
        m_server.options.maxMessageBytes = 4096;
        QVERIFY(m_server.start());
        LocalStore la(m_dir.filePath(QStringLiteral("a6.sqlite")));
        Session a(m_server.url(QStringLiteral("big")), la.store, Client::Clock::system(),
                  fastRetries());
        QString error;
        QVERIFY(a.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        insert(a, 0, QString(8000, QLatin1Char('x')));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Offline, 5000);
        QVERIFY2(a.transport().reason().contains(QStringLiteral("limit")),
                 qPrintable(a.transport().reason()));
        QTest::qWait(300);
        QCOMPARE(a.transport().state(), Client::Transport::State::Offline); // no retry loop
        QCOMPARE(text(a).size(), 8000); // the edit is kept
        QCOMPARE(a.provider()->unconfirmedChanges(), 1);
        m_server.options.maxMessageBytes = 16 * 1024 * 1024;
    }

    void worksAgainstTheReferenceServer()
    {
        QProcess node;
        node.setWorkingDirectory(QStringLiteral(TANDEM_SOURCE_DIR "/tests/js"));
        const QString nodeBin = qEnvironmentVariableIsSet("TANDEM_NODE")
                ? qEnvironmentVariable("TANDEM_NODE")
                : QStringLiteral("node");
        node.start(nodeBin,
                   {QStringLiteral("reference-server.mjs"), QStringLiteral("--port"),
                    QStringLiteral("0")});
        QVERIFY2(node.waitForStarted(10000), "node is needed (the quick start installs it)");
        QByteArray line;
        QTRY_VERIFY_WITH_TIMEOUT((line += node.readAllStandardOutput()).contains('\n'), 15000);
        const int at = line.indexOf("ws://");
        QVERIFY2(at >= 0, line.constData());
        const QByteArray base = line.mid(at, line.indexOf('"', at) - at);

        LocalStore la(m_dir.filePath(QStringLiteral("a7.sqlite")));
        LocalStore lb(m_dir.filePath(QStringLiteral("b7.sqlite")));
        const QUrl url(QString::fromLatin1(base + "/reference-room"));
        Session a(url, la.store);
        Session b(url, lb.store);
        QString error;
        QVERIFY(a.open(&error) && b.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->status(), Provider::Status::Synced, 5000);
        insert(a, 0, QStringLiteral("from a"));
        insert(b, 0, QStringLiteral("from b "));
        QTRY_COMPARE_WITH_TIMEOUT(text(a), text(b), 5000);
        QCOMPARE(text(a).size(), 13);
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->unconfirmedChanges(), 0, 5000);
        a.close();
        b.close();
        node.closeWriteChannel(); // it exits when stdin ends
        if (!node.waitForFinished(5000)) {
            node.kill();
            node.waitForFinished(2000);
        }
    }

private:
    QTemporaryDir m_dir;
    ServerUnderTest m_server;
};

QTEST_GUILESS_MAIN(tst_Session)
#include "tst_session.moc"
