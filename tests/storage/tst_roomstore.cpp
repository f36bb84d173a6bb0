// SPDX-License-Identifier: GPL-3.0-or-later
// The RoomStore contract, run against both stores: the embedded SQLite file and a real
// PostgreSQL started for the test (tests/support/postgresserver.h). Then what only matters
// with several servers on one PostgreSQL: concurrent writers, compaction that folds in updates
// its instance never saw, schema migration by instances starting together, a database restart,
// and a room server that keeps its rooms there.

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/crdt/update.h"
#include "core/storage/postgresroomstore.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/postgresserver.h"
#include "tests/support/serveprocess.h"

#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

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
            QVERIFY(q.exec(QStringLiteral("UPDATE tandem_schema SET version = 1")));
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

private:
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
