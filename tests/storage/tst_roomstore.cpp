// SPDX-License-Identifier: GPL-3.0-or-later
// The RoomStore contract, run against both stores: the embedded SQLite file and a real
// PostgreSQL started for the test (tests/support/postgresserver.h). Then what only matters
// with several servers on one PostgreSQL: concurrent writers, compaction that folds in updates
// its instance never saw, schema migration by instances starting together, a database restart,
// and a room server that keeps its rooms there.

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/crdt/update.h"
#include "core/server/accesstoken.h"
#include "core/storage/postgresroomstore.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/postgresserver.h"
#include "tests/support/serveprocess.h"

#include <QDateTime>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <thread>

using namespace Tandem;

namespace {

std::vector<uint8_t> textUpdate(Crdt::ClientId client, const std::u16string &text,
                                Crdt::Doc *into = nullptr)
{
    Crdt::Doc local(client);
    Crdt::Doc &doc = into ? *into : local;
    std::vector<uint8_t> update;
    const auto sub = doc.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
        update.assign(u.begin(), u.end());
    });
    doc.getText("t").insert(doc.getText("t").length(), text);
    doc.unsubscribe(sub);
    return update;
}

/// The text a stored room holds once everything is applied.
QString textOf(const Storage::StoredRoom &room)
{
    Crdt::Doc doc(99);
    auto apply = [&](const QByteArray &b) {
        if (!b.isEmpty()) {
            doc.applyUpdate({reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())});
        }
    };
    apply(room.snapshot);
    for (const QByteArray &u : room.updates) {
        apply(u);
    }
    return QString::fromStdU16String(doc.getText("t").toString());
}

} // namespace

class tst_RoomStore : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QString error;
        QVERIFY2(m_pg.start(&error), qPrintable(error));
    }

    void contract_data()
    {
        QTest::addColumn<QString>("kind");
        QTest::newRow("sqlite") << QStringLiteral("sqlite");
        QTest::newRow("postgres") << QStringLiteral("postgres");
    }

    void contract()
    {
        QFETCH(QString, kind);
        const QString room = QStringLiteral("contract-") + kind;
        auto store = make(kind);
        QString error;
        QVERIFY2(store->open(&error), qPrintable(error));

        auto empty = store->load(room, &error);
        QVERIFY2(empty, qPrintable(error));
        QVERIFY(empty->snapshot.isEmpty() && empty->updates.empty());
        QCOMPARE(empty->lastSeq, 0);

        Crdt::Doc writer(1);
        const auto a = textUpdate(1, u"hello ", &writer);
        const auto b = textUpdate(1, u"world", &writer);
        const auto seqA = store->append(room, {a}, &error);
        const auto seqB = store->append(room, {b}, &error);
        QVERIFY2(seqA && seqB, qPrintable(error));
        QVERIFY(*seqB > *seqA);

        auto loaded = store->load(room, &error);
        QVERIFY(loaded);
        QCOMPARE(loaded->updates.size(), size_t(2));
        QCOMPARE(loaded->lastSeq, *seqB);
        QCOMPARE(textOf(*loaded), QStringLiteral("hello world"));

        // Compaction: the snapshot replaces the log up to the given sequence number.
        QVERIFY2(store->compact(room, writer.encodeStateAsUpdate(), *seqB, &error),
                 qPrintable(error));
        loaded = store->load(room, &error);
        QVERIFY(loaded);
        QVERIFY(loaded->updates.empty());
        QCOMPARE(loaded->lastSeq, *seqB);
        QCOMPARE(textOf(*loaded), QStringLiteral("hello world"));

        // A batch is one transaction; later updates follow the snapshot.
        const auto c = textUpdate(1, u"!", &writer);
        const auto d = textUpdate(1, u"?", &writer);
        QVERIFY(store->append(room, {c, d}, &error));
        loaded = store->load(room, &error);
        QCOMPARE(loaded->updates.size(), size_t(2));
        QCOMPARE(textOf(*loaded), QStringLiteral("hello world!?"));

        // Rooms are keys, not paths; other rooms are untouched.
        QVERIFY(store->append(QStringLiteral("../../etc/passwd"), {textUpdate(2, u"x")}, &error));
        QCOMPARE(textOf(*store->load(room, &error)), QStringLiteral("hello world!?"));

        // Everything survives reopening.
        store.reset();
        store = make(kind);
        QVERIFY(store->open(&error));
        QCOMPARE(textOf(*store->load(room, &error)), QStringLiteral("hello world!?"));
    }

    void accessTokens_data() { contract_data(); }

    void accessTokens()
    {
        QFETCH(QString, kind);
        auto store = make(kind);
        QString error;
        QVERIFY2(store->open(&error), qPrintable(error));

        // The signing secret: made once, kept, the same for every store on the database.
        const auto secret = store->accessSecret(&error);
        QVERIFY2(secret, qPrintable(error));
        QCOMPARE(secret->size(), 32);
        QVERIFY(*secret != QByteArray(32, '\0'));
        QCOMPARE(store->accessSecret(&error), secret);
        auto other = make(kind);
        QVERIFY2(other->open(&error), qPrintable(error));
        QCOMPARE(other->accessSecret(&error), secret);
        store.reset();
        store = make(kind);
        QVERIFY(store->open(&error));
        QCOMPARE(store->accessSecret(&error), secret);

        // Recording and listing.
        const qint64 now = 1'800'000'000;
        const QString prefix = QStringLiteral("tokens-") + kind + QLatin1Char('-');
        auto token = [&](const QByteArray &id, const char *room, bool readOnly, qint64 exp) {
            Storage::IssuedToken t;
            t.id = id;
            t.room = prefix + QLatin1String(room);
            t.readOnly = readOnly;
            t.expiresAt = exp;
            t.issuedAt = now - 1000;
            t.label = QStringLiteral("for ") + QLatin1String(room) + QStringLiteral(" – ü");
            return t;
        };
        const QByteArray tag = kind == QLatin1String("sqlite") ? "00" : "11";
        const QByteArray forever = tag + "00000000000001", later = tag + "00000000000002",
                         past = tag + "00000000000003", kept = tag + "00000000000004";
        QVERIFY2(store->recordToken(token(forever, "a", false, 0), &error), qPrintable(error));
        QVERIFY(store->recordToken(token(later, "b", true, now + 100), &error));
        QVERIFY(store->recordToken(token(past, "c", false, now - 100), &error));
        QVERIFY(store->recordToken(token(kept, "*", true, 0), &error));
        QVERIFY(!store->recordToken(token(forever, "a", false, 0), &error)); // id taken
        QVERIFY(!error.isEmpty());

        auto listed = [&](Storage::RoomStore &s) {
            std::map<QByteArray, Storage::IssuedToken> out;
            QString e;
            const auto all = s.tokens(&e);
            if (all) {
                for (const auto &t : *all) {
                    if (t.room.startsWith(prefix)) {
                        out[t.id] = t;
                    }
                }
            }
            return out;
        };
        auto before = listed(*store);
        QCOMPARE(before.size(), size_t(4));
        QCOMPARE(before[later].room, prefix + QStringLiteral("b"));
        QVERIFY(before[later].readOnly);
        QVERIFY(!before[forever].readOnly);
        QCOMPARE(before[later].expiresAt, now + 100);
        QCOMPARE(before[later].issuedAt, now - 1000);
        QCOMPARE(before[later].label, QStringLiteral("for b – ü"));
        QVERIFY(!before[later].revoked);
        auto revokedMine = [&](Storage::RoomStore &s, qint64 at) {
            QString e;
            const auto ids = s.revokedTokenIds(at, &e);
            std::set<QByteArray> out;
            if (ids) {
                for (const QByteArray &id : *ids) {
                    if (id.startsWith(tag)) {
                        out.insert(id);
                    }
                }
            } else {
                out.insert("error: " + e.toUtf8());
            }
            return out;
        };
        QCOMPARE(revokedMine(*store, now), std::set<QByteArray>());

        // Revoking: listed as revoked until the token would have expired anyway.
        QVERIFY2(store->revokeToken(forever, &error), qPrintable(error));
        QVERIFY(store->revokeToken(later, &error));
        QVERIFY(store->revokeToken(past, &error));
        QVERIFY(store->revokeToken(later, &error)); // twice is fine
        QCOMPARE(revokedMine(*store, now), (std::set<QByteArray> {forever, later}));
        QCOMPARE(revokedMine(*other, now), (std::set<QByteArray> {forever, later}));
        QCOMPARE(revokedMine(*store, now + 100), (std::set<QByteArray> {forever, later}));
        QCOMPARE(revokedMine(*store, now + 101), (std::set<QByteArray> {forever}));
        const auto after = listed(*other);
        QVERIFY(after.at(forever).revoked && after.at(later).revoked && after.at(past).revoked);
        QVERIFY(!after.at(kept).revoked);

        QVERIFY(!store->revokeToken("ffffffffffffffff", &error));
        QCOMPARE(error, QStringLiteral("no such token"));

        store.reset();
        store = make(kind);
        QVERIFY(store->open(&error));
        QCOMPARE(revokedMine(*store, now), (std::set<QByteArray> {forever, later}));
    }

    void accessSecretRace_data() { contract_data(); }

    void accessSecretRace()
    {
        // Instances starting together on a database that has no secret yet agree on one. Each
        // thread has its own connection, as separate processes would.
        QFETCH(QString, kind);
        static int round = 0;
        const QString name = QStringLiteral("race%1").arg(++round);
        std::function<std::unique_ptr<Storage::RoomStore>()> makeStore;
        if (kind == QLatin1String("sqlite")) {
            const QString path = m_dir.filePath(name + QStringLiteral(".sqlite"));
            makeStore = [path] { return std::make_unique<Storage::SqliteRoomStore>(path); };
        } else {
            const QUrl url = freshPostgresDatabase(name);
            QVERIFY(!url.isEmpty());
            makeStore = [url] { return std::make_unique<Storage::PostgresRoomStore>(url); };
        }
        // Schema first (its own race is tested elsewhere), then the secret from all at once.
        {
            auto first = makeStore();
            QString error;
            QVERIFY2(first->open(&error), qPrintable(error));
        }
        constexpr int n = 6;
        std::vector<QByteArray> secrets(n);
        std::vector<QString> errors(n);
        std::atomic<int> ready {0};
        std::vector<std::thread> threads;
        for (int i = 0; i < n; ++i) {
            threads.emplace_back([&, i] {
                auto store = makeStore();
                QString error;
                const bool opened = store->open(&error);
                ++ready; // counted either way: nobody waits for a thread that gave up
                if (!opened) {
                    errors[i] = error;
                    return;
                }
                while (ready.load() < n) {
                    std::this_thread::yield();
                }
                if (const auto s = store->accessSecret(&error)) {
                    secrets[i] = *s;
                } else {
                    errors[i] = error;
                }
            });
        }
        for (auto &t : threads) {
            t.join();
        }
        for (int i = 0; i < n; ++i) {
            QVERIFY2(errors[i].isEmpty(), qPrintable(errors[i]));
            QCOMPARE(secrets[i].size(), 32);
            QCOMPARE(secrets[i], secrets[0]);
        }
    }

    void sqliteUpgradesEarlierDatabasesWithoutLosingUpdates()
    {
        // A database written by an earlier version: plain rowids, a room compacted up to seq 5,
        // and (the bug that made the upgrade necessary) one later update that got rowid 1
        // because compaction had emptied the table.
        const QString path = m_dir.filePath(QStringLiteral("old.sqlite"));
        Crdt::Doc writer(7);
        const auto early = textUpdate(7, u"early ", &writer);
        const auto late = textUpdate(7, u"late", &writer);
        {
            QSqlDatabase db
                    = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), QStringLiteral("old"));
            db.setDatabaseName(path);
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(
                    QStringLiteral("CREATE TABLE rooms (name TEXT PRIMARY KEY, snapshot BLOB "
                                   "NOT NULL, snapshot_seq INTEGER NOT NULL)")));
            QVERIFY(q.exec(
                    QStringLiteral("CREATE TABLE updates (seq INTEGER PRIMARY KEY, room TEXT "
                                   "NOT NULL, data BLOB NOT NULL)")));
            q.prepare(QStringLiteral("INSERT INTO rooms VALUES ('r', ?, 5)"));
            q.addBindValue(QByteArray(reinterpret_cast<const char *>(early.data()),
                                      qsizetype(early.size())));
            QVERIFY(q.exec());
            q.prepare(QStringLiteral("INSERT INTO updates (seq, room, data) VALUES (1, 'r', ?)"));
            q.addBindValue(QByteArray(reinterpret_cast<const char *>(late.data()),
                                      qsizetype(late.size())));
            QVERIFY(q.exec());
        }
        QSqlDatabase::removeDatabase(QStringLiteral("old"));
        Storage::SqliteRoomStore store(path);
        QString error;
        QVERIFY2(store.open(&error), qPrintable(error));
        QCOMPARE(textOf(*store.load(QStringLiteral("r"), &error)), QStringLiteral("early late"));
        const auto seq = store.append(QStringLiteral("r"), {textUpdate(7, u"!", &writer)}, &error);
        QVERIFY(seq);
        QVERIFY(*seq > 5); // above everything the snapshot covers
        QVERIFY(store.compact(QStringLiteral("r"), writer.encodeStateAsUpdate(), *seq, &error));
        QVERIFY(store.append(QStringLiteral("r"), {textUpdate(7, u"?", &writer)}, &error));
        Storage::SqliteRoomStore reopened(path);
        QVERIFY(reopened.open(&error));
        QCOMPARE(textOf(*reopened.load(QStringLiteral("r"), &error)),
                 QStringLiteral("early late!?"));
    }

    void databasesWithoutAccessTokensUpgrade_data() { contract_data(); }

    void databasesWithoutAccessTokensUpgrade()
    {
        // A database as the previous version left it (no token tables; PostgreSQL at schema 1)
        // with a room in it: it opens, keeps the room, and takes tokens.
        QFETCH(QString, kind);
        Crdt::Doc writer(8);
        const auto update = textUpdate(8, u"kept", &writer);
        const QByteArray updateBytes(reinterpret_cast<const char *>(update.data()),
                                     qsizetype(update.size()));
        std::function<std::unique_ptr<Storage::RoomStore>()> makeStore;
        const QString connection = QStringLiteral("previous-") + kind;
        {
            QSqlDatabase db;
            QStringList schema;
            if (kind == QLatin1String("sqlite")) {
                const QString path = m_dir.filePath(QStringLiteral("previous.sqlite"));
                makeStore = [path] { return std::make_unique<Storage::SqliteRoomStore>(path); };
                db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), connection);
                db.setDatabaseName(path);
                schema = {QStringLiteral("CREATE TABLE rooms (name TEXT PRIMARY KEY, snapshot BLOB "
                                         "NOT NULL, snapshot_seq INTEGER NOT NULL)"),
                          QStringLiteral("CREATE TABLE updates (seq INTEGER PRIMARY KEY "
                                         "AUTOINCREMENT, room TEXT NOT NULL, data BLOB NOT NULL)"),
                          QStringLiteral("CREATE INDEX updates_by_room ON updates (room, seq)")};
            } else {
                const QUrl url = freshPostgresDatabase(QStringLiteral("previous"));
                QVERIFY(!url.isEmpty());
                makeStore = [url] { return std::make_unique<Storage::PostgresRoomStore>(url); };
                db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
                db.setHostName(url.host());
                db.setPort(url.port());
                db.setDatabaseName(url.path().mid(1));
                db.setUserName(url.userName());
                db.setPassword(url.password());
                schema = {QStringLiteral("CREATE TABLE tandem_schema (version INTEGER NOT NULL)"),
                          QStringLiteral("CREATE TABLE rooms (name TEXT PRIMARY KEY, snapshot "
                                         "BYTEA NOT NULL, snapshot_seq BIGINT NOT NULL)"),
                          QStringLiteral("CREATE TABLE updates (seq BIGSERIAL PRIMARY KEY, room "
                                         "TEXT NOT NULL, data BYTEA NOT NULL)"),
                          QStringLiteral("CREATE INDEX updates_by_room ON updates (room, seq)"),
                          QStringLiteral("INSERT INTO tandem_schema (version) VALUES (1)")};
            }
            QVERIFY2(db.open(), qPrintable(db.lastError().text()));
            QSqlQuery q(db);
            for (const QString &sql : schema) {
                QVERIFY2(q.exec(sql),
                         qPrintable(sql + QStringLiteral(": ") + q.lastError().text()));
            }
            QVERIFY(q.prepare(
                    QStringLiteral("INSERT INTO updates (room, data) VALUES ('old', ?)")));
            q.addBindValue(updateBytes);
            QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
        }
        QSqlDatabase::removeDatabase(connection);

        auto store = makeStore();
        QString error;
        QVERIFY2(store->open(&error), qPrintable(error));
        const auto loaded = store->load(QStringLiteral("old"), &error);
        QVERIFY2(loaded, qPrintable(error));
        QCOMPARE(textOf(*loaded), QStringLiteral("kept"));
        const auto secret = store->accessSecret(&error);
        QVERIFY2(secret && secret->size() == 32, qPrintable(error));
        Storage::IssuedToken t;
        t.id = "0123456789abcdef";
        t.room = QStringLiteral("old");
        QVERIFY2(store->recordToken(t, &error), qPrintable(error));
        const auto all = store->tokens(&error);
        QVERIFY(all && all->size() == 1);
        QCOMPARE(all->front().id, t.id);
        QCOMPARE(all->front().label, QString());
        QVERIFY(store->revokeToken(t.id, &error));
        QCOMPARE(store->revokedTokenIds(0, &error)->size(), size_t(1));
        // And it opens again as it is now.
        store.reset();
        store = makeStore();
        QVERIFY2(store->open(&error), qPrintable(error));
        QCOMPARE(store->accessSecret(&error), secret);
        QCOMPARE(textOf(*store->load(QStringLiteral("old"), &error)), QStringLiteral("kept"));
    }

    void postgresConcurrentWritersAndSafeCompaction()
    {
        // Two servers share the database. B appends updates A never applied; A compacts with
        // its own (older) view of the document: nothing of B's may be lost.
        Storage::PostgresRoomStore a(m_pg.url()), b(m_pg.url());
        QString error;
        QVERIFY2(a.open(&error) && b.open(&error), qPrintable(error));
        const QString room = QStringLiteral("shared");
        Crdt::Doc docA(10), docB(20);
        const auto fromA = textUpdate(10, u"from A. ", &docA);
        const auto seqA = a.append(room, {fromA}, &error);
        QVERIFY(seqA);
        docB.applyUpdate(fromA);
        const auto fromB = textUpdate(20, u"from B.", &docB);
        const auto seqB = b.append(room, {fromB}, &error);
        QVERIFY(seqB && *seqB > *seqA);
        // A compacts up to the newest stored update, knowing only its own text.
        QVERIFY2(a.compact(room, docA.encodeStateAsUpdate(), *seqB, &error), qPrintable(error));
        const auto loaded = b.load(room, &error);
        QVERIFY(loaded);
        QVERIFY(loaded->updates.empty());
        QCOMPARE(textOf(*loaded), QStringLiteral("from A. from B."));
    }

    void postgresMigratesOnceAndRefusesNewerSchemas()
    {
        // Several instances starting at once: one migrates, the others find it done.
        std::vector<std::unique_ptr<Storage::PostgresRoomStore>> stores;
        QString error;
        for (int i = 0; i < 4; ++i) {
            stores.push_back(std::make_unique<Storage::PostgresRoomStore>(m_pg.url()));
            QVERIFY2(stores.back()->open(&error), qPrintable(error));
        }
        QVERIFY(stores.front()->append(QStringLiteral("m"), {textUpdate(3, u"ok")}, &error));
        // A database from a newer server is refused, not damaged.
        {
            QSqlDatabase db
                    = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), QStringLiteral("bump"));
            db.setHostName(m_pg.url().host());
            db.setPort(m_pg.url().port());
            db.setDatabaseName(QStringLiteral("tandem"));
            db.setUserName(m_pg.url().userName());
            db.setPassword(m_pg.url().password());
            QVERIFY(db.open());
            QSqlQuery q(db);
            QVERIFY(q.exec(QStringLiteral("UPDATE tandem_schema SET version = 99")));
            Storage::PostgresRoomStore newer(m_pg.url());
            QVERIFY(!newer.open(&error));
            QVERIFY2(error.contains(QStringLiteral("upgrade the server")), qPrintable(error));
            QVERIFY(q.exec(QStringLiteral("UPDATE tandem_schema SET version = %1")
                                   .arg(Storage::PostgresRoomStore::schemaVersion)));
        }
        QSqlDatabase::removeDatabase(QStringLiteral("bump"));
    }

    void postgresWrongPasswordIsAClearError()
    {
        QUrl url = m_pg.url();
        url.setPassword(QStringLiteral("wrong"));
        Storage::PostgresRoomStore store(url);
        QString error;
        QVERIFY(!store.open(&error));
        QVERIFY2(error.contains(QStringLiteral("password authentication failed")),
                 qPrintable(error));
        QVERIFY2(!error.contains(QStringLiteral("wrong")), qPrintable(error)); // no secrets in logs
    }

    void postgresRestartIsSurvived()
    {
        Storage::PostgresRoomStore store(m_pg.url());
        QString error;
        QVERIFY(store.open(&error));
        Crdt::Doc doc(5);
        QVERIFY(store.append(QStringLiteral("r"), {textUpdate(5, u"before ", &doc)}, &error));
        QVERIFY2(m_pg.restart(&error), qPrintable(error));
        // The first call after the restart may fail (the connection died): a clear error, then
        // Qt's driver reconnects on reopen. Nothing stored is lost either way.
        const auto after = textUpdate(5, u"after", &doc);
        if (!store.append(QStringLiteral("r"), {after}, &error)) {
            QVERIFY(!error.isEmpty());
            Storage::PostgresRoomStore again(m_pg.url());
            QVERIFY2(again.open(&error), qPrintable(error));
            QVERIFY(again.append(QStringLiteral("r"), {after}, &error));
        }
        Storage::PostgresRoomStore reader(m_pg.url());
        QVERIFY(reader.open(&error));
        QCOMPARE(textOf(*reader.load(QStringLiteral("r"), &error)), QStringLiteral("before after"));
    }

    void serveOnPostgres()
    {
        // `tandem --serve --store postgres://…`: what one server stored, another one serves.
        auto run = [](const QStringList &args) {
            QProcess p;
            p.start(QStringLiteral(TANDEM_BINARY), args);
            p.waitForFinished(30000);
            return std::make_pair(p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()));
        };
        const QString file = m_dir.filePath(QStringLiteral("note.txt"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("kept in postgres");
        f.close();
        const QStringList store {QStringLiteral("--store"), m_pg.url().toString()};
        {
            Testing::ServeProcess first(QStringLiteral(TANDEM_BINARY));
            const QUrl url = first.start(m_dir.filePath(QStringLiteral("d1")), 0, store);
            QVERIFY2(!url.isEmpty(), first.process().readAllStandardError().constData());
            QCOMPARE(run({QStringLiteral("import"), url.toString() + QStringLiteral("pgroom"), file,
                          QStringLiteral("--note"), QStringLiteral("N")})
                             .first,
                     0);
        } // SIGTERM: the first server stores and exits
        Testing::ServeProcess second(QStringLiteral(TANDEM_BINARY));
        const QUrl url = second.start(m_dir.filePath(QStringLiteral("d2")), 0, store);
        QVERIFY(!url.isEmpty());
        const auto [code, out]
                = run({QStringLiteral("cat"), url.toString() + QStringLiteral("pgroom"),
                       QStringLiteral("--note"), QStringLiteral("N")});
        QCOMPARE(code, 0);
        QCOMPARE(out, QStringLiteral("kept in postgres"));
    }

    void tokenCommandOnPostgres()
    {
        // `tandem token … --store postgres://…`: what it issues verifies with the secret every
        // instance on the database uses, and a revocation is what they poll.
        auto run = [](const QStringList &args) {
            QProcess p;
            p.start(QStringLiteral(TANDEM_BINARY), args);
            p.waitForFinished(30000);
            return std::make_pair(
                    p.exitCode(),
                    QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError()));
        };
        const QStringList store {QStringLiteral("--store"), m_pg.url().toString()};
        const auto [code, out]
                = run(QStringList {QStringLiteral("token"), QStringLiteral("issue"),
                                   QStringLiteral("pgroom"), QStringLiteral("--read")}
                      + store);
        QVERIFY2(code == 0, qPrintable(out));
        QVERIFY2(!out.contains(m_pg.url().password()), qPrintable(out)); // no secrets printed
        const QByteArray token = out.split(QLatin1Char('\n')).value(0).toLatin1();
        Storage::PostgresRoomStore pg(m_pg.url());
        QString error;
        QVERIFY2(pg.open(&error), qPrintable(error));
        const auto secret = pg.accessSecret(&error);
        QVERIFY2(secret, qPrintable(error));
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const auto v = Server::Access::verifyToken(token, *secret, QStringLiteral("pgroom"), now);
        QCOMPARE(v.error, Server::Access::TokenError::None);
        QCOMPARE(v.grant.permission, Server::Access::Permission::Read);
        QCOMPARE(run(QStringList {QStringLiteral("token"), QStringLiteral("revoke"),
                                  QString::fromLatin1(v.grant.id)}
                     + store)
                         .first,
                 0);
        const auto revoked = pg.revokedTokenIds(now, &error);
        QVERIFY2(revoked, qPrintable(error));
        QVERIFY(std::find(revoked->begin(), revoked->end(), v.grant.id) != revoked->end());
        const auto [listCode, list]
                = run(QStringList {QStringLiteral("token"), QStringLiteral("list")} + store);
        QCOMPARE(listCode, 0);
        QVERIFY2(list.contains(QString::fromLatin1(v.grant.id)), qPrintable(list));
    }

private:
    /// A new, empty database on the test's PostgreSQL; its URL, or an empty one on failure.
    QUrl freshPostgresDatabase(const QString &name)
    {
        const QString connection = QStringLiteral("create-") + name;
        bool ok = false;
        {
            QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), connection);
            db.setHostName(m_pg.url().host());
            db.setPort(m_pg.url().port());
            db.setDatabaseName(m_pg.url().path().mid(1));
            db.setUserName(m_pg.url().userName());
            db.setPassword(m_pg.url().password());
            QSqlQuery q(db);
            ok = db.open() && q.exec(QStringLiteral("CREATE DATABASE %1").arg(name));
            if (!ok) {
                qWarning() << "cannot create database" << name << db.lastError().text()
                           << q.lastError().text();
            }
        }
        QSqlDatabase::removeDatabase(connection);
        if (!ok) {
            return {};
        }
        QUrl url = m_pg.url();
        url.setPath(QLatin1Char('/') + name);
        return url;
    }

    std::unique_ptr<Storage::RoomStore> make(const QString &kind)
    {
        if (kind == QLatin1String("sqlite")) {
            return std::make_unique<Storage::SqliteRoomStore>(
                    m_dir.filePath(QStringLiteral("s.sqlite")));
        }
        return std::make_unique<Storage::PostgresRoomStore>(m_pg.url());
    }

    QTemporaryDir m_dir;
    Testing::PostgresServer m_pg;
};

QTEST_GUILESS_MAIN(tst_RoomStore)
#include "tst_roomstore.moc"
