// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/storage/sqliteroomstore.h"

#include <QAtomicInt>
#include <QFileInfo>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QVariant>

namespace Tandem::Storage {

namespace {

QAtomicInt g_nextConnection;

QByteArray bytes(std::span<const uint8_t> data)
{
    return QByteArray(reinterpret_cast<const char *>(data.data()), qsizetype(data.size()));
}

bool exec(QSqlQuery &q, QString *error)
{
    if (q.exec()) {
        return true;
    }
    if (error) {
        *error = q.lastError().text();
    }
    return false;
}

} // namespace

SqliteRoomStore::SqliteRoomStore(QString path)
    : m_path(std::move(path)),
      m_connection(QStringLiteral("tandem-sqlite-%1").arg(g_nextConnection.fetchAndAddRelaxed(1)))
{ }

SqliteRoomStore::~SqliteRoomStore()
{
    m_begin.reset(); // statements go before their connection
    m_insert.reset();
    m_commit.reset();
    m_rollback.reset();
    if (QSqlDatabase::contains(m_connection)) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connection, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_connection);
    }
}

bool SqliteRoomStore::open(QString *error)
{
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connection);
    db.setDatabaseName(m_path);
    if (!db.open()) {
        *error = QStringLiteral("cannot open %1: %2").arg(m_path, db.lastError().text());
        return false;
    }
    const char *setup[] = {
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",
            "PRAGMA busy_timeout=5000",
            "CREATE TABLE IF NOT EXISTS rooms (name TEXT PRIMARY KEY, snapshot BLOB NOT NULL, "
            "snapshot_seq INTEGER NOT NULL)",
            // seq increases across all rooms, so also within each room, and is never reused
            // (AUTOINCREMENT): a plain rowid restarts low once compaction empties the table,
            // and such updates would sort below the snapshot they came after.
            "CREATE TABLE IF NOT EXISTS updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
            "room TEXT NOT NULL, data BLOB NOT NULL)",
            "CREATE INDEX IF NOT EXISTS updates_by_room ON updates (room, seq)",
    };
    for (const char *sql : setup) {
        QSqlQuery q(db);
        q.prepare(QString::fromLatin1(sql));
        if (!exec(q, error)) {
            *error = QStringLiteral("cannot prepare %1: %2").arg(m_path, *error);
            return false;
        }
    }
    if (!upgrade(error)) {
        return false;
    }
    auto prepared = [&](const char *sql) {
        auto q = std::make_unique<QSqlQuery>(db);
        if (!q->prepare(QString::fromLatin1(sql))) {
            *error = QStringLiteral("cannot prepare %1: %2").arg(m_path, q->lastError().text());
            return std::unique_ptr<QSqlQuery>();
        }
        return q;
    };
    m_begin = prepared("BEGIN IMMEDIATE");
    m_insert = prepared("INSERT INTO updates (room, data) VALUES (?, ?)");
    m_commit = prepared("COMMIT");
    m_rollback = prepared("ROLLBACK");
    return m_begin && m_insert && m_commit && m_rollback;
}

bool SqliteRoomStore::upgrade(QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    auto fail = [&](const QString &what) {
        *error = QStringLiteral("cannot upgrade %1 (%2): %3")
                         .arg(m_path, what, q.lastError().text());
        db.rollback();
        return false;
    };
    if (!db.transaction()) {
        *error = db.lastError().text();
        return false;
    }
    // Databases made before AUTOINCREMENT: same rows, in a table whose numbers never go back.
    if (!q.exec(QStringLiteral("SELECT sql FROM sqlite_master WHERE name = 'updates'"))) {
        return fail(QStringLiteral("schema"));
    }
    if (q.next() && !q.value(0).toString().contains(QLatin1String("AUTOINCREMENT"))) {
        const char *steps[] = {
                "ALTER TABLE updates RENAME TO updates_before_autoincrement",
                "CREATE TABLE updates (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                "room TEXT NOT NULL, data BLOB NOT NULL)",
                "INSERT INTO updates (seq, room, data) SELECT seq, room, data "
                "FROM updates_before_autoincrement",
                "DROP TABLE updates_before_autoincrement",
                "CREATE INDEX IF NOT EXISTS updates_by_room ON updates (room, seq)",
        };
        for (const char *sql : steps) {
            if (!q.exec(QString::fromLatin1(sql))) {
                return fail(QStringLiteral("updates table"));
            }
        }
    }
    // New numbers start above every number a snapshot already covers.
    if (!q.exec(QStringLiteral("SELECT MAX(COALESCE((SELECT MAX(snapshot_seq) FROM rooms), 0), "
                               "COALESCE((SELECT MAX(seq) FROM updates), 0))"))
        || !q.next()) {
        return fail(QStringLiteral("sequence"));
    }
    const qint64 floor = q.value(0).toLongLong();
    q.prepare(
            QStringLiteral("UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = 'updates'"));
    q.addBindValue(floor);
    if (!q.exec()) {
        return fail(QStringLiteral("sequence"));
    }
    if (q.numRowsAffected() == 0) {
        q.prepare(QStringLiteral("INSERT INTO sqlite_sequence (name, seq) VALUES ('updates', ?)"));
        q.addBindValue(floor);
        if (!q.exec()) {
            return fail(QStringLiteral("sequence"));
        }
    }
    if (!db.commit()) {
        *error = db.lastError().text();
        db.rollback();
        return false;
    }
    return true;
}

bool SqliteRoomStore::setMaxPageCount(int pages)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    return q.exec(QStringLiteral("PRAGMA max_page_count = %1").arg(pages));
}

std::optional<StoredRoom> SqliteRoomStore::load(const QString &room, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    StoredRoom out;
    QSqlQuery snap(db);
    snap.prepare(QStringLiteral("SELECT snapshot, snapshot_seq FROM rooms WHERE name = ?"));
    snap.addBindValue(room);
    if (!exec(snap, error)) {
        return std::nullopt;
    }

    if (snap.next()) {
        out.snapshot = snap.value(0).toByteArray();
        out.lastSeq = snap.value(1).toLongLong();
    }
    QSqlQuery q(db);
    q.setForwardOnly(true);
    // Every update still stored: compaction deletes exactly what it folded in. (Databases
    // written before the AUTOINCREMENT upgrade may hold updates numbered below their snapshot;
    // applying one twice is harmless, skipping one is not.)
    q.prepare(QStringLiteral("SELECT seq, data FROM updates WHERE room = ? ORDER BY seq"));
    q.addBindValue(room);
    if (!exec(q, error)) {
        return std::nullopt;
    }
    while (q.next()) {
        out.lastSeq = std::max(out.lastSeq, int64_t(q.value(0).toLongLong()));
        out.updates.push_back(q.value(1).toByteArray());
    }
    if (q.lastError().isValid()) {
        *error = q.lastError().text();
        return std::nullopt;
    }
    return out;
}

std::optional<int64_t> SqliteRoomStore::append(const QString &room,
                                               const std::vector<std::vector<uint8_t>> &updates,
                                               QString *error)
{
    auto fail = [&](QSqlQuery &q, bool rollback) -> std::optional<int64_t> {
        *error = q.lastError().text();
        q.finish();
        if (rollback) {
            m_rollback->exec();
            m_rollback->finish();
        }
        return std::nullopt;
    };
    if (!m_begin->exec()) {
        return fail(*m_begin, false);
    }
    m_begin->finish();
    int64_t seq = 0;
    for (const auto &u : updates) {
        m_insert->bindValue(0, room);
        m_insert->bindValue(1, bytes(u));
        if (!m_insert->exec()) {
            return fail(*m_insert, true);
        }
        seq = m_insert->lastInsertId().toLongLong();
        m_insert->finish();
    }
    if (!m_commit->exec()) {
        return fail(*m_commit, true);
    }
    m_commit->finish();
    return seq;
}

bool SqliteRoomStore::compact(const QString &room, std::span<const uint8_t> snapshot,
                              int64_t upToSeq, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    if (!db.transaction()) {
        *error = db.lastError().text();
        return false;
    }
    QSqlQuery put(db);
    put.prepare(QStringLiteral("INSERT INTO rooms (name, snapshot, snapshot_seq) VALUES (?, ?, ?) "
                               "ON CONFLICT(name) DO UPDATE SET snapshot = excluded.snapshot, "
                               "snapshot_seq = excluded.snapshot_seq"));
    put.addBindValue(room);
    put.addBindValue(bytes(snapshot));
    put.addBindValue(qint64(upToSeq));
    QSqlQuery drop(db);
    drop.prepare(QStringLiteral("DELETE FROM updates WHERE room = ? AND seq <= ?"));
    drop.addBindValue(room);
    drop.addBindValue(qint64(upToSeq));
    if (!exec(put, error) || !exec(drop, error) || !db.commit()) {
        if (error && error->isEmpty()) {
            *error = db.lastError().text();
        }
        db.rollback();
        return false;
    }
    return true;
}

} // namespace Tandem::Storage
