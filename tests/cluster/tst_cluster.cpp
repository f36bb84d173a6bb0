// SPDX-License-Identifier: GPL-3.0-or-later
// Several `tandem --serve` instances (in process) sharing rooms through a real redis-server:
// clients on different instances see each other's edits and presence; with their own SQLite
// stores or one shared PostgreSQL; Redis restarted mid-session: edits made meanwhile on both
// sides converge once it is back (state-vector resync, not replays); an instance that leaves
// and comes back catches up.

#include "core/client/session.h"
#include "core/crdt/text.h"
#include "core/server/roomserver.h"
#include "core/storage/postgresroomstore.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/ports.h"
#include "tests/support/postgresserver.h"
#include "tests/support/redisserver.h"
#include "tests/support/serveprocess.h"

#include <QTemporaryDir>
#include <QTest>

using namespace Tandem;
using Client::Provider;
using Client::Session;

namespace {

QString text(Session &s)
{
    return QString::fromStdU16String(s.doc().getText("t").toString());
}

void insert(Session &s, const QString &what)
{
    Crdt::Text t = s.doc().getText("t");
    s.doc().transact(
            [&](Crdt::Transaction &tr) { t.insert(tr, t.length(), what.toStdU16String()); });
}

Client::TransportOptions fastRetries()
{
    Client::TransportOptions o;
    o.initialBackoffMs = 50;
    o.maxBackoffMs = 200;
    return o;
}

} // namespace

class tst_Cluster : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        m_redisPort = Testing::freeLoopbackPort();
        m_redis = std::make_unique<Testing::RedisServer>();
        QString error;
        QVERIFY2(m_redis->start(m_redisPort, &error), qPrintable(error));
        QVERIFY2(m_pg.start(&error), qPrintable(error));
    }

    void editsAndPresenceCrossInstances_data()
    {
        QTest::addColumn<bool>("sharedStore");
        QTest::newRow("own SQLite stores") << false;
        QTest::newRow("one PostgreSQL") << true;
    }

    void editsAndPresenceCrossInstances()
    {
        QFETCH(bool, sharedStore);
        const QString room = sharedStore ? QStringLiteral("pg-room") : QStringLiteral("lite-room");
        auto a = startInstance(QStringLiteral("a"), sharedStore);
        auto b = startInstance(QStringLiteral("b"), sharedStore);
        auto c = startInstance(QStringLiteral("c"), sharedStore);
        QVERIFY(a && b && c);
        Storage::SqliteRoomStore la(m_dir.filePath(room + QStringLiteral("-la.sqlite")));
        Storage::SqliteRoomStore lb(m_dir.filePath(room + QStringLiteral("-lb.sqlite")));
        Storage::SqliteRoomStore lc(m_dir.filePath(room + QStringLiteral("-lc.sqlite")));
        QString error;
        QVERIFY(la.open(&error) && lb.open(&error) && lc.open(&error));
        Session sa(urlOf(*a, room), la), sb(urlOf(*b, room), lb), sc(urlOf(*c, room), lc);
        sa.awareness().setLocalState(Encoding::Any::object(
                {{"user", Encoding::Any::object({{"name", Encoding::Any("Ana")}})}}));
        QVERIFY(sa.open(&error) && sb.open(&error) && sc.open(&error));
        for (Session *s : {&sa, &sb, &sc}) {
            QTRY_COMPARE_WITH_TIMEOUT(s->provider()->status(), Provider::Status::Synced, 5000);
        }
        QTest::qWait(200); // the instances have subscribed to the room
        for (int i = 0; i < 20; ++i) { // concurrent edits on all three instances
            insert(sa, QStringLiteral("a"));
            insert(sb, QStringLiteral("b"));
            insert(sc, QStringLiteral("c"));
        }
        QTRY_COMPARE_WITH_TIMEOUT(text(sb), text(sa), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(text(sc), text(sa), 5000);
        QCOMPARE(text(sa).size(), 60);
        // Ana's presence reaches clients of the other instances, and leaves with her.
        const auto anaId = sa.awareness().clientId();
        QTRY_VERIFY_WITH_TIMEOUT(sc.awareness().state(anaId) != nullptr, 5000);
        sa.close();
        QTRY_VERIFY_WITH_TIMEOUT(sc.awareness().state(anaId) == nullptr, 5000);
    }

    void redisRestartConverges()
    {
        auto a = startInstance(QStringLiteral("ra"), false);
        auto b = startInstance(QStringLiteral("rb"), false);
        const QString room = QStringLiteral("outage");
        Storage::SqliteRoomStore la(m_dir.filePath(QStringLiteral("ra-local.sqlite")));
        Storage::SqliteRoomStore lb(m_dir.filePath(QStringLiteral("rb-local.sqlite")));
        QString error;
        QVERIFY(la.open(&error) && lb.open(&error));
        Session sa(urlOf(*a, room), la, Client::Clock::system(), fastRetries());
        Session sb(urlOf(*b, room), lb, Client::Clock::system(), fastRetries());
        QVERIFY(sa.open(&error) && sb.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(sa.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(sb.provider()->status(), Provider::Status::Synced, 5000);
        QTest::qWait(200);
        insert(sa, QStringLiteral("before "));
        QTRY_COMPARE_WITH_TIMEOUT(text(sb), QStringLiteral("before "), 5000);

        m_redis->stop(); // each instance goes on serving its own clients
        QTest::qWait(300);
        insert(sa, QStringLiteral("[a during]"));
        insert(sb, QStringLiteral("[b during]"));
        QTest::qWait(300);
        QVERIFY(!text(sb).contains(QStringLiteral("[a during]")));

        m_redis = std::make_unique<Testing::RedisServer>();
        QVERIFY2(m_redis->start(m_redisPort, &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(text(sb), text(sa), 10000);
        QVERIFY(text(sa).contains(QStringLiteral("[a during]")));
        QVERIFY(text(sa).contains(QStringLiteral("[b during]")));
        // And live again.
        insert(sb, QStringLiteral(" after"));
        QTRY_COMPARE_WITH_TIMEOUT(text(sa), text(sb), 5000);
    }

    void instanceThatComesBackCatchesUp()
    {
        // B is down while A's clients write; when B loads the room again it gets what its own
        // store lacks from A (its store is its own SQLite file here).
        auto a = startInstance(QStringLiteral("ca"), false);
        const QString room = QStringLiteral("catch-up");
        Storage::SqliteRoomStore la(m_dir.filePath(QStringLiteral("ca-local.sqlite")));
        Storage::SqliteRoomStore lb(m_dir.filePath(QStringLiteral("cb-local.sqlite")));
        QString error;
        QVERIFY(la.open(&error) && lb.open(&error));
        Session sa(urlOf(*a, room), la);
        QVERIFY(sa.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(sa.provider()->status(), Provider::Status::Synced, 5000);
        insert(sa, QStringLiteral("written while B was away"));
        QTRY_COMPARE_WITH_TIMEOUT(sa.provider()->unconfirmedChanges(), 0, 5000);
        auto b = startInstance(QStringLiteral("cb"), false);
        Session sb(urlOf(*b, room), lb);
        QVERIFY(sb.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(text(sb), QStringLiteral("written while B was away"), 5000);
    }

    void instanceKilledMidSession()
    {
        // B is a real `tandem --serve` process, killed with SIGKILL while clients on both
        // instances type; restarted on the same port and data, it catches up and its clients
        // return by themselves. Nothing typed anywhere is lost.
        auto a = startInstance(QStringLiteral("ka"), false);
        QTemporaryDir bData;
        const QStringList clustered {QStringLiteral("--redis"),
                                     QStringLiteral("127.0.0.1:%1").arg(m_redisPort)};
        auto b = std::make_unique<Testing::ServeProcess>(QStringLiteral(TANDEM_BINARY));
        const QUrl bUrl = b->start(bData.path(), 0, clustered);
        QVERIFY(!bUrl.isEmpty());
        const quint16 bPort = b->port();
        const QString room = QStringLiteral("killed");
        Storage::SqliteRoomStore la(m_dir.filePath(QStringLiteral("ka-local.sqlite")));
        Storage::SqliteRoomStore lb(m_dir.filePath(QStringLiteral("kb-local.sqlite")));
        QString error;
        QVERIFY(la.open(&error) && lb.open(&error));
        Session sa(urlOf(*a, room), la, Client::Clock::system(), fastRetries());
        Session sb(QUrl(bUrl.toString() + room), lb, Client::Clock::system(), fastRetries());
        QVERIFY(sa.open(&error) && sb.open(&error));
        QTRY_COMPARE_WITH_TIMEOUT(sa.provider()->status(), Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(sb.provider()->status(), Provider::Status::Synced, 5000);
        QTest::qWait(200);
        insert(sa, QStringLiteral("a1 "));
        insert(sb, QStringLiteral("b1 "));
        QTRY_COMPARE_WITH_TIMEOUT(text(sb), text(sa), 5000);

        b->kill();
        insert(sa, QStringLiteral("a2 ")); // A's side goes on
        insert(sb, QStringLiteral("b2 ")); // kept on B's client until it can deliver
        QTest::qWait(300);
        b = std::make_unique<Testing::ServeProcess>(QStringLiteral(TANDEM_BINARY));
        QVERIFY(!b->start(bData.path(), bPort, clustered).isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(sb.provider()->unconfirmedChanges(), 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(text(sa), text(sb), 10000);
        for (const char *part : {"a1 ", "b1 ", "a2 ", "b2 "}) {
            QVERIFY2(text(sa).contains(QLatin1String(part)), qPrintable(text(sa)));
        }
    }

private:
    std::unique_ptr<Server::RoomServer> startInstance(const QString &name, bool sharedStore)
    {
        Server::ServerOptions options;
        options.host = QHostAddress::LocalHost;
        options.port = 0;
        options.redisHost = QStringLiteral("127.0.0.1");
        options.redisPort = m_redisPort;
        std::unique_ptr<Storage::RoomStore> store;
        if (sharedStore) {
            store = std::make_unique<Storage::PostgresRoomStore>(m_pg.url());
        } else {
            store = std::make_unique<Storage::SqliteRoomStore>(
                    m_dir.filePath(name + QStringLiteral(".sqlite")));
        }
        auto server = std::make_unique<Server::RoomServer>(options, std::move(store));
        QString error;
        if (!server->listen(&error)) {
            qWarning() << error;
            return nullptr;
        }
        return server;
    }
    static QUrl urlOf(Server::RoomServer &s, const QString &room)
    {
        return QUrl(s.url().toString() + room);
    }

    QTemporaryDir m_dir;
    quint16 m_redisPort = 0;
    std::unique_ptr<Testing::RedisServer> m_redis;
    Testing::PostgresServer m_pg;
};

QTEST_GUILESS_MAIN(tst_Cluster)
#include "tst_cluster.moc"
