// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/storage/sqliteroomstore.h"

#include <QAtomicInt>
#include <QFileInfo>
#include <QRandomGenerator>
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
            // Access tokens (added later: databases made before get them here, empty).
            // One row: the server's signing secret.
            "CREATE TABLE IF NOT EXISTS access_secret (id INTEGER PRIMARY KEY CHECK (id = 1), "
            "secret BLOB NOT NULL)",
            "CREATE TABLE IF NOT EXISTS access_tokens (id TEXT PRIMARY KEY, room TEXT NOT NULL, "
            "read_only INTEGER NOT NULL, expires_at INTEGER NOT NULL, issued_at INTEGER NOT "
            "NULL, label TEXT NOT NULL, revoked INTEGER NOT NULL DEFAULT 0)",
            // What the server polls: only the revoked ones are indexed.
            "CREATE INDEX IF NOT EXISTS access_tokens_revoked ON access_tokens (expires_at) "
            "WHERE revoked = 1",
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
    // IMMEDIATE: the write lock first (waiting up to busy_timeout for it). A deferred
    // transaction that reads and then writes fails at once with "database is locked" when
    // another process (a server, `tandem token`) committed in between.
    if (!q.exec(QStringLiteral("BEGIN IMMEDIATE"))) {
        *error = QStringLiteral("cannot upgrade %1: %2").arg(m_path, q.lastError().text());
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

std::optional<QByteArray> SqliteRoomStore::accessSecret(QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    q.prepare(QStringLiteral("SELECT secret FROM access_secret WHERE id = 1"));
    if (!exec(q, error)) {
        return std::nullopt;
    }
    if (q.next()) {
        return q.value(0).toByteArray();
    }
    q.finish();
    // First use. Another process may be doing the same: the first insert wins (the primary
    // key decides, under SQLite's write lock), and both read the winner's.
    QByteArray secret(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(secret.data()),
                                          secret.size() / qsizetype(sizeof(quint32)));
    QSqlQuery insert(db);
    insert.prepare(
            QStringLiteral("INSERT OR IGNORE INTO access_secret (id, secret) VALUES (1, ?)"));
    insert.addBindValue(secret);
    if (!exec(insert, error) || !exec(q, error)) {
        return std::nullopt;
    }
    if (!q.next()) {
        *error = QStringLiteral("the access secret vanished from %1").arg(m_path);
        return std::nullopt;
    }
    return q.value(0).toByteArray();
}

bool SqliteRoomStore::recordToken(const IssuedToken &token, QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("INSERT INTO access_tokens (id, room, read_only, expires_at, "
                             "issued_at, label, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)"));
    q.addBindValue(QString::fromLatin1(token.id));
    q.addBindValue(token.room);
    q.addBindValue(int(token.readOnly));
    q.addBindValue(token.expiresAt);
    q.addBindValue(token.issuedAt);
    q.addBindValue(token.label.isNull() ? QStringLiteral("") : token.label);
    q.addBindValue(int(token.revoked));
    return exec(q, error);
}

bool SqliteRoomStore::revokeToken(const QByteArray &id, QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.prepare(QStringLiteral("UPDATE access_tokens SET revoked = 1 WHERE id = ?"));
    q.addBindValue(QString::fromLatin1(id));
    if (!exec(q, error)) {
        return false;
    }
    if (q.numRowsAffected() < 1) {
        *error = QStringLiteral("no such token");
        return false;
    }
    return true;
}

std::optional<std::vector<IssuedToken>> SqliteRoomStore::tokens(QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id, room, read_only, expires_at, issued_at, label, revoked "
                             "FROM access_tokens ORDER BY issued_at, rowid"));
    if (!exec(q, error)) {
        return std::nullopt;
    }
    std::vector<IssuedToken> out;
    while (q.next()) {
        IssuedToken t;
        t.id = q.value(0).toString().toLatin1();
        t.room = q.value(1).toString();
        t.readOnly = q.value(2).toInt() != 0;
        t.expiresAt = q.value(3).toLongLong();
        t.issuedAt = q.value(4).toLongLong();
        t.label = q.value(5).toString();
        t.revoked = q.value(6).toInt() != 0;
        out.push_back(std::move(t));
    }
    if (q.lastError().isValid()) {
        *error = q.lastError().text();
        return std::nullopt;
    }
    return out;
}

std::optional<std::vector<QByteArray>> SqliteRoomStore::revokedTokenIds(qint64 nowSecs,
                                                                        QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    q.prepare(QStringLiteral("SELECT id FROM access_tokens WHERE revoked = 1 "
                             "AND (expires_at = 0 OR expires_at >= ?)"));
    q.addBindValue(nowSecs);
    if (!exec(q, error)) {
        return std::nullopt;
    }
    std::vector<QByteArray> out;
    while (q.next()) {
        out.push_back(q.value(0).toString().toLatin1());
    }
    if (q.lastError().isValid()) {
        *error = q.lastError().text();
        return std::nullopt;
    }
    return out;
}

} // namespace Tandem::Storage
