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
            // seq is the rowid: increasing across all rooms, so also within each room.
            "CREATE TABLE IF NOT EXISTS updates (seq INTEGER PRIMARY KEY, room TEXT NOT NULL, "
            "data BLOB NOT NULL)",
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
    int64_t from = 0;
    if (snap.next()) {
        out.snapshot = snap.value(0).toByteArray();
        from = snap.value(1).toLongLong();
        out.lastSeq = from;
    }
    QSqlQuery q(db);
    q.setForwardOnly(true);
    q.prepare(QStringLiteral(
            "SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq"));
    q.addBindValue(room);
    q.addBindValue(qint64(from));
    if (!exec(q, error)) {
        return std::nullopt;
    }
    while (q.next()) {
        out.lastSeq = q.value(0).toLongLong();
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
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    if (!db.transaction()) {
        *error = db.lastError().text();
        return std::nullopt;
    }
    auto fail = [&](QSqlQuery &q) -> std::optional<int64_t> {
        *error = q.lastError().text();
        db.rollback();
        return std::nullopt;
    };
    int64_t seq = 0;
    QSqlQuery q(db);
    q.prepare(QStringLiteral("INSERT INTO updates (room, data) VALUES (?, ?)"));
    for (const auto &u : updates) {
        q.bindValue(0, room);
        q.bindValue(1, bytes(u));
        if (!q.exec()) {
            return fail(q);
        }
        seq = q.lastInsertId().toLongLong();
    }
    if (!db.commit()) {
        *error = db.lastError().text();
        db.rollback();
        return std::nullopt;
    }
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
