// SPDX-License-Identifier: GPL-3.0-or-later
// The room server in-process: a real QWebSocketServer on 127.0.0.1:0 with a real SQLite file,
// and QWebSocket clients speaking the y-websocket protocol with Tandem's own Doc and Awareness.
// Covers the handshake, the echo to the sender, awareness relay and removal on close, query
// awareness, close codes for bad input (without disturbing the others), durability (stored
// before broadcast, reload after restart, damaged storage refused, full disk loses nothing)
// and idle unloading.

#include "tests/support/roomclient.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>

using namespace Tandem;

namespace {

using Testing::bytes;
using Testing::span;
using Client = Testing::RoomClient;
using Fixture = Testing::ServerFixture;

int storedUpdates(const QString &dbPath, const QString &room)
{
    int n = -1;
    {
        QSqlDatabase db
                = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("peek"));
        db.setDatabaseName(dbPath);
        if (db.open()) {
            QSqlQuery q(db);
            q.prepare(QStringLiteral("SELECT COUNT(*) FROM updates WHERE room = ?"));
            q.addBindValue(room);
            if (q.exec() && q.next()) {
                n = q.value(0).toInt();
            }
        }
    }
    QSqlDatabase::removeDatabase(QStringLiteral("peek"));
    return n;
}

} // namespace

class tst_RoomServer : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void syncEchoAndLateJoin()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        Client a(1);
        QVERIFY(a.open(f.room(QStringLiteral("notes/one"))));
        QTRY_VERIFY(a.synced);
        QCOMPARE(a.step1s, 1); // the server's step 1 comes unasked
        a.insert(0, u"hello");
        // The update comes back to its sender too (JS clients rely on the echo).
        QTRY_COMPARE(a.updates, 1);
        Client b(2);
        QVERIFY(b.open(f.room(QStringLiteral("notes/one"))));
        QTRY_COMPARE(b.text(), std::string("hello"));
        b.insert(5, u" world");
        QTRY_COMPARE(a.text(), std::string("hello world"));
        // Another room is another document.
        Client c(3);
        QVERIFY(c.open(f.room(QStringLiteral("notes/two"))));
        QTRY_VERIFY(c.synced);
        QCOMPARE(c.text(), std::string());
        QCOMPARE(f.server->roomCount(), 2);
    }

    void awarenessRelayAndRemovalOnClose()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        Client a(1);
        Client b(2);
        QVERIFY(a.open(f.room(QStringLiteral("r"))));
        QVERIFY(b.open(f.room(QStringLiteral("r"))));
        a.awareness.setLocalState(Encoding::Any::object(
                {{"user", Encoding::Any::object({{"name", Encoding::Any("alice")}})}}));
        QTRY_VERIFY(b.awareness.state(1));
        QCOMPARE(b.awareness.state(1)->toJson(), std::string(R"({"user":{"name":"alice"}})"));
        // Query awareness is answered with every known state.
        const int before = b.awarenessMessages;
        b.ws.sendBinaryMessage(bytes(Protocol::encodeQueryAwareness()));
        QTRY_VERIFY(b.awarenessMessages > before);
        // The connection closes without saying goodbye: its user disappears at once.
        a.ws.abort();
        QTRY_VERIFY_WITH_TIMEOUT(!b.awareness.state(1), 2000);
    }

    void badInputClosesOnlyThatConnection()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.maxMessageBytes = 4096;
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        Client good(1);
        Client other(2);
        QVERIFY(good.open(f.room(QStringLiteral("r"))));
        QVERIFY(other.open(f.room(QStringLiteral("r"))));
        struct Case
        {
            const char *name;
            std::function<void(QWebSocket &)> send;
            int code;
            QString room = QStringLiteral("r");
        };
        const std::vector<Case> cases = {
                {"malformed",
                 [](QWebSocket &ws) { ws.sendBinaryMessage(QByteArray("\x00\x07", 2)); }, 4400},
                {"unknown type",
                 [](QWebSocket &ws) { ws.sendBinaryMessage(QByteArray("\x09", 1)); }, 4400},
                {"broken update",
                 [](QWebSocket &ws) {
                     ws.sendBinaryMessage(QByteArray("\x00\x02\x03\x01\x05\x00", 6));
                 },
                 4400},
                {"bad state vector",
                 [](QWebSocket &ws) {
                     ws.sendBinaryMessage(QByteArray("\x00\x00\x02\x05\x05", 5));
                 },
                 4400},
                {"broken awareness",
                 [](QWebSocket &ws) {
                     ws.sendBinaryMessage(QByteArray("\x01\x05\x01\x05\x01\x01{", 7));
                 },
                 4400},
                {"text frame", [](QWebSocket &ws) { ws.sendTextMessage(QStringLiteral("hello")); },
                 4400},
                {"too large", [](QWebSocket &ws) { ws.sendBinaryMessage(QByteArray(8192, '\0')); },
                 4413},
                {"room name too long", [](QWebSocket &) {}, 4404, QString(600, QLatin1Char('x'))},
        };
        for (const auto &c : cases) {
            Client bad(99);
            QSignalSpy closed(&bad.ws, &QWebSocket::disconnected);
            QSignalSpy opened(&bad.ws, &QWebSocket::connected);
            bad.ws.open(f.room(c.room));
            QTRY_VERIFY2(opened.count() + closed.count() > 0, c.name);
            if (bad.ws.state() == QAbstractSocket::ConnectedState) {
                c.send(bad.ws);
                QVERIFY2(closed.wait(5000), c.name);
            }
            QVERIFY2(bad.closeCode == c.code,
                     qPrintable(QStringLiteral("%1: close code %2 (%3)")
                                        .arg(QLatin1String(c.name))
                                        .arg(bad.closeCode)
                                        .arg(bad.closeReason)));
            QVERIFY2(!bad.closeReason.isEmpty(), c.name);
        }
        // The others never noticed.
        good.insert(0, u"still here");
        QTRY_COMPARE(other.text(), std::string("still here"));
        QCOMPARE(good.ws.state(), QAbstractSocket::ConnectedState);
    }

    void storedBeforeBroadcastAndReloaded()
    {
        QTemporaryDir dir;
        const QString db = dir.path() + QStringLiteral("/rooms.sqlite");
        {
            Fixture f(dir.path());
            QVERIFY(f.ok);
            Client a(1);
            Client b(2);
            QVERIFY(a.open(f.room(QStringLiteral("keep"))));
            QVERIFY(b.open(f.room(QStringLiteral("keep"))));
            QTRY_VERIFY(a.synced && b.synced);
            for (int i = 0; i < 20; ++i) {
                a.insert(0, u"ab");
                // When b has it, the disk has it.
                QTRY_COMPARE(b.updates, i + 1);
                QCOMPARE(storedUpdates(db, QStringLiteral("keep")), i + 1);
            }
        } // the server goes away (clean shutdown: snapshot)
        Fixture f(dir.path());
        QVERIFY(f.ok);
        Client c(3);
        QVERIFY(c.open(f.room(QStringLiteral("keep"))));
        QTRY_COMPARE(c.text().size(), size_t(40));
    }

    void damagedRoomIsRefusedNotReplaced()
    {
        QTemporaryDir dir;
        const QString db = dir.path() + QStringLiteral("/rooms.sqlite");
        {
            Fixture f(dir.path()); // creates the schema
            QVERIFY(f.ok);
        }
        {
            QSqlDatabase d = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"),
                                                       QStringLiteral("damage"));
            d.setDatabaseName(db);
            QVERIFY(d.open());
            QSqlQuery q(d);
            QVERIFY(q.exec(QStringLiteral(
                    "INSERT INTO updates (room, seq, data) VALUES ('hurt', 1, x'0102ffff')")));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("damage"));
        Fixture f(dir.path());
        QVERIFY(f.ok);
        Client a(1);
        QSignalSpy closed(&a.ws, &QWebSocket::disconnected);
        a.ws.open(f.room(QStringLiteral("hurt")));
        QVERIFY(closed.wait(5000));
        QCOMPARE(a.closeCode, 1011);
        QCOMPARE(f.server->roomCount(), 0);
        QCOMPARE(storedUpdates(db, QStringLiteral("hurt")), 1); // still there, untouched
    }

    void fullDiskLosesNothing()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.unloadDelayMs = 60000; // the failed room must not be reused while still loaded
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        Client a(1);
        QVERIFY(a.open(f.room(QStringLiteral("big"))));
        QTRY_VERIFY(a.synced);
        a.insert(0, u"first");
        QTRY_COMPARE(a.updates, 1);
        QVERIFY(f.store->setMaxPageCount(1)); // the disk is full from now on
        a.insert(5, std::u16string(20000, u'x'));
        QTRY_COMPARE(a.closeCode, 1011); // server-side failure: clients retry
        QVERIFY(f.store->setMaxPageCount(1 << 30)); // space again
        // The client comes back; its sync delivers what the disk missed.
        Client again(1);
        again.doc.applyUpdate(a.doc.encodeStateAsUpdate());
        QVERIFY(again.open(f.room(QStringLiteral("big"))));
        QTRY_VERIFY(again.synced);
        Client check(2);
        QVERIFY(check.open(f.room(QStringLiteral("big"))));
        QTRY_COMPARE(check.text().size(), size_t(20005));
        // And it is on disk now: a new server process starts from the file alone.
        again.ws.close();
        check.ws.close();
        f.server.reset();
        Fixture restarted(dir.path());
        QVERIFY(restarted.ok);
        Client fresh(3);
        QVERIFY(fresh.open(restarted.room(QStringLiteral("big"))));
        QTRY_COMPARE(fresh.text().size(), size_t(20005));
    }

    void idleRoomsUnload()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        QSignalSpy unloaded(f.server.get(), &Server::RoomServer::roomUnloaded);
        {
            Client a(1);
            QVERIFY(a.open(f.room(QStringLiteral("idle"))));
            QTRY_VERIFY(a.synced);
            a.insert(0, u"kept");
            QTRY_COMPARE(a.updates, 1);
            a.ws.close();
        }
        QTRY_COMPARE(unloaded.count(), 1);
        QCOMPARE(f.server->roomCount(), 0);
        Client b(2);
        QVERIFY(b.open(f.room(QStringLiteral("idle"))));
        QTRY_COMPARE(b.text(), std::string("kept"));
    }
};

QTEST_GUILESS_MAIN(tst_RoomServer)
#include "tst_roomserver.moc"
