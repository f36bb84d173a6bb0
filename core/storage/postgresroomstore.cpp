// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/storage/postgresroomstore.h"

#include "core/crdt/update.h"

#include <QAtomicInt>
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

std::span<const uint8_t> span(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}

/// Runs @p sql (with @p binds); false with the driver's message in @p error.
bool run(QSqlQuery &q, const QString &sql, const QVariantList &binds, QString *error)
{
    if (binds.isEmpty()) { // DDL cannot be a prepared statement in PostgreSQL
        if (!q.exec(sql)) {
            *error = q.lastError().text();
            return false;
        }
        return true;
    }
    if (!q.prepare(sql)) {
        *error = q.lastError().text();
        return false;
    }
    for (const QVariant &v : binds) {
        q.addBindValue(v);
    }
    if (!q.exec()) {
        *error = q.lastError().text();
        return false;
    }
    return true;
}

/// A transaction that rolls back unless committed.
class Transaction
{
public:
    explicit Transaction(QSqlDatabase db) : m_db(std::move(db)) { m_open = m_db.transaction(); }
    ~Transaction()
    {
        if (m_open) {
            m_db.rollback();
        }
    }
    bool isOpen() const { return m_open; }
    bool commit(QString *error)
    {
        m_open = false;
        if (!m_db.commit()) {
            *error = m_db.lastError().text();
            m_db.rollback();
            return false;
        }
        return true;
    }

private:
    QSqlDatabase m_db;
    bool m_open = false;
};

} // namespace

PostgresRoomStore::PostgresRoomStore(QUrl url)
    : m_url(std::move(url)),
      m_connection(QStringLiteral("tandem-pg-%1").arg(g_nextConnection.fetchAndAddRelaxed(1)))
{ }

PostgresRoomStore::~PostgresRoomStore()
{
    if (QSqlDatabase::contains(m_connection)) {
        {
            QSqlDatabase db = QSqlDatabase::database(m_connection, false);
            db.close();
        }
        QSqlDatabase::removeDatabase(m_connection);
    }
}

QString PostgresRoomStore::displayUrl() const
{
    return m_url.toDisplayString(QUrl::RemovePassword);
}

bool PostgresRoomStore::open(QString *error)
{
    if (m_url.scheme() != QLatin1String("postgres")
        && m_url.scheme() != QLatin1String("postgresql")) {
        *error = QStringLiteral("not a postgres:// URL: %1").arg(displayUrl());
        return false;
    }
    if (!QSqlDatabase::isDriverAvailable(QStringLiteral("QPSQL"))) {
        *error = QStringLiteral("Qt's PostgreSQL driver (QPSQL) is not installed "
                                "(Debian: libqt6sql6-psql)");
        return false;
    }
    QSqlDatabase db = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), m_connection);
    db.setHostName(m_url.host());
    db.setPort(m_url.port(5432));
    db.setDatabaseName(m_url.path().mid(1));
    db.setUserName(m_url.userName());
    db.setPassword(m_url.password());
    db.setConnectOptions(QStringLiteral("connect_timeout=10"));
    if (!db.open()) {
        *error = QStringLiteral("cannot connect to %1: %2")
                         .arg(displayUrl(), db.lastError().text());
        return false;
    }
    return migrate(error);
}

bool PostgresRoomStore::migrate(QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction tr(db);
    QSqlQuery q(db);
    // One instance migrates at a time; the others wait here and find the work done.
    if (!tr.isOpen() || !run(q, QStringLiteral("SELECT pg_advisory_xact_lock(7341001)"), {}, error)
        || !run(q,
                QStringLiteral(
                        "CREATE TABLE IF NOT EXISTS tandem_schema (version INTEGER NOT NULL)"),
                {}, error)
        || !run(q, QStringLiteral("SELECT version FROM tandem_schema"), {}, error)) {
        *error = QStringLiteral("cannot prepare the schema in %1: %2").arg(displayUrl(), *error);
        return false;
    }
    const int version = q.next() ? q.value(0).toInt() : 0;
    if (version > schemaVersion) {
        *error = QStringLiteral("%1 holds schema version %2, newer than this server's %3: "
                                "upgrade the server")
                         .arg(displayUrl())
                         .arg(version)
                         .arg(schemaVersion);
        return false;
    }
    if (version < 1) {
        const char *v1[] = {
                "CREATE TABLE rooms (name TEXT PRIMARY KEY, snapshot BYTEA NOT NULL, "
                "snapshot_seq BIGINT NOT NULL)",
                // seq increases across all rooms, so also within each room.
                "CREATE TABLE updates (seq BIGSERIAL PRIMARY KEY, room TEXT NOT NULL, "
                "data BYTEA NOT NULL)",
                "CREATE INDEX updates_by_room ON updates (room, seq)",
        };
        for (const char *sql : v1) {
            if (!run(q, QString::fromLatin1(sql), {}, error)) {
                *error = QStringLiteral("cannot migrate %1 to schema 1: %2")
                                 .arg(displayUrl(), *error);
                return false;
            }
        }
    }
    if (version < 2) {
        // Access tokens: the signing secret (one row) and the tokens issued.
        const char *v2[] = {
                "CREATE TABLE IF NOT EXISTS access_secret (id SMALLINT PRIMARY KEY "
                "CHECK (id = 1), secret BYTEA NOT NULL)",
                "CREATE TABLE IF NOT EXISTS access_tokens (id TEXT PRIMARY KEY, "
                "room TEXT NOT NULL, read_only BOOLEAN NOT NULL, expires_at BIGINT NOT NULL, "
                "issued_at BIGINT NOT NULL, label TEXT NOT NULL, "
                "revoked BOOLEAN NOT NULL DEFAULT FALSE)",
                // What the servers poll: only the revoked ones are indexed.
                "CREATE INDEX IF NOT EXISTS access_tokens_revoked ON access_tokens (expires_at) "
                "WHERE revoked",
        };
        for (const char *sql : v2) {
            if (!run(q, QString::fromLatin1(sql), {}, error)) {
                *error = QStringLiteral("cannot migrate %1 to schema 2: %2")
                                 .arg(displayUrl(), *error);
                return false;
            }
        }
    }
    if (version < schemaVersion
        && (!run(q, QStringLiteral("DELETE FROM tandem_schema"), {}, error)
            || !run(q,
                    QStringLiteral("INSERT INTO tandem_schema (version) VALUES (%1)")
                            .arg(schemaVersion),
                    {}, error))) {
        *error = QStringLiteral("cannot record the schema version in %1: %2")
                         .arg(displayUrl(), *error);
        return false;
    }
    return tr.commit(error);
}

std::optional<StoredRoom> PostgresRoomStore::load(const QString &room, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    // One snapshot of the database for both reads: a compaction in between cannot make an
    // update appear twice or not at all.
    Transaction tr(db);
    QSqlQuery q(db);
    if (!tr.isOpen()
        || !run(q, QStringLiteral("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"), {}, error)
        || !run(q, QStringLiteral("SELECT snapshot, snapshot_seq FROM rooms WHERE name = ?"),
                {room}, error)) {
        return std::nullopt;
    }
    StoredRoom out;
    if (q.next()) {
        out.snapshot = q.value(0).toByteArray();
        out.lastSeq = q.value(1).toLongLong();
    }
    q.setForwardOnly(true);
    if (!run(q,
             QStringLiteral(
                     "SELECT seq, data FROM updates WHERE room = ? AND seq > ? ORDER BY seq"),
             {room, qint64(out.lastSeq)}, error)) {
        return std::nullopt;
    }
    while (q.next()) {
        out.lastSeq = q.value(0).toLongLong();
        out.updates.push_back(q.value(1).toByteArray());
    }
    if (!tr.commit(error)) {
        return std::nullopt;
    }
    return out;
}

std::optional<int64_t> PostgresRoomStore::append(const QString &room,
                                                 const std::vector<std::vector<uint8_t>> &updates,
                                                 QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction tr(db);
    if (!tr.isOpen()) {
        *error = db.lastError().text();
        return std::nullopt;
    }
    QSqlQuery q(db);
    if (!q.prepare(
                QStringLiteral("INSERT INTO updates (room, data) VALUES (?, ?) RETURNING seq"))) {
        *error = q.lastError().text();
        return std::nullopt;
    }
    int64_t seq = 0;
    for (const auto &u : updates) {
        q.bindValue(0, room);
        q.bindValue(1, bytes(u));
        if (!q.exec() || !q.next()) {
            *error = q.lastError().text();
            return std::nullopt;
        }
        seq = q.value(0).toLongLong();
    }
    if (!tr.commit(error)) {
        return std::nullopt;
    }
    return seq;
}

bool PostgresRoomStore::compact(const QString &room, std::span<const uint8_t> snapshot,
                                int64_t upToSeq, QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    Transaction tr(db);
    QSqlQuery q(db);
    // Serialise compactions of this room across instances, then fold in whatever is stored up
    // to upToSeq: other instances may have written updates this one has not applied yet.
    if (!tr.isOpen()
        || !run(q, QStringLiteral("SELECT pg_advisory_xact_lock(hashtext(?))"), {room}, error)
        || !run(q, QStringLiteral("SELECT snapshot FROM rooms WHERE name = ?"), {room}, error)) {
        return false;
    }
    std::vector<QByteArray> parts;
    if (q.next()) {
        parts.push_back(q.value(0).toByteArray());
    }
    if (!run(q, QStringLiteral("SELECT data FROM updates WHERE room = ? AND seq <= ? ORDER BY seq"),
             {room, qint64(upToSeq)}, error)) {
        return false;
    }
    while (q.next()) {
        parts.push_back(q.value(0).toByteArray());
    }
    std::vector<std::span<const uint8_t>> spans {snapshot};
    for (const QByteArray &p : parts) {
        if (!p.isEmpty()) {
            spans.push_back(span(p));
        }
    }
    const auto merged = Crdt::mergeUpdates(spans);
    if (!merged) {
        *error = QStringLiteral("stored data of room %1 does not merge").arg(room);
        return false;
    }
    if (!run(q,
             QStringLiteral("INSERT INTO rooms (name, snapshot, snapshot_seq) VALUES (?, ?, ?) "
                            "ON CONFLICT (name) DO UPDATE SET snapshot = excluded.snapshot, "
                            "snapshot_seq = GREATEST(rooms.snapshot_seq, excluded.snapshot_seq)"),
             {room, bytes(*merged), qint64(upToSeq)}, error)
        || !run(q, QStringLiteral("DELETE FROM updates WHERE room = ? AND seq <= ?"),
                {room, qint64(upToSeq)}, error)) {
        return false;
    }
    return tr.commit(error);
}

std::optional<QByteArray> PostgresRoomStore::accessSecret(QString *error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connection, false);
    QSqlQuery q(db);
    const QString select = QStringLiteral("SELECT secret FROM access_secret WHERE id = ?");
    if (!run(q, select, {1}, error)) {
        return std::nullopt;
    }
    if (q.next()) {
        return q.value(0).toByteArray();
    }
    // First use, maybe by several instances at once: the first insert wins (ON CONFLICT waits
    // for a competing insert to commit), and everyone reads the winner's.
    QByteArray secret(32, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(secret.data()),
                                          secret.size() / qsizetype(sizeof(quint32)));
    if (!run(q,
             QStringLiteral("INSERT INTO access_secret (id, secret) VALUES (1, ?) "
                            "ON CONFLICT (id) DO NOTHING"),
             {secret}, error)
        || !run(q, select, {1}, error)) {
        return std::nullopt;
    }
    if (!q.next()) {
        *error = QStringLiteral("the access secret vanished from %1").arg(displayUrl());
        return std::nullopt;
    }
    return q.value(0).toByteArray();
}

bool PostgresRoomStore::recordToken(const IssuedToken &token, QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    return run(q,
               QStringLiteral("INSERT INTO access_tokens (id, room, read_only, expires_at, "
                              "issued_at, label, revoked) VALUES (?, ?, ?, ?, ?, ?, ?)"),
               {QString::fromLatin1(token.id), token.room, token.readOnly, token.expiresAt,
                token.issuedAt, token.label.isNull() ? QStringLiteral("") : token.label,
                token.revoked},
               error);
}

bool PostgresRoomStore::revokeToken(const QByteArray &id, QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    if (!run(q, QStringLiteral("UPDATE access_tokens SET revoked = TRUE WHERE id = ?"),
             {QString::fromLatin1(id)}, error)) {
        return false;
    }
    if (q.numRowsAffected() < 1) {
        *error = QStringLiteral("no such token");
        return false;
    }
    return true;
}

std::optional<std::vector<IssuedToken>> PostgresRoomStore::tokens(QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!run(q,
             QStringLiteral("SELECT id, room, read_only, expires_at, issued_at, label, revoked "
                            "FROM access_tokens ORDER BY issued_at, id"),
             {}, error)) {
        return std::nullopt;
    }
    std::vector<IssuedToken> out;
    while (q.next()) {
        IssuedToken t;
        t.id = q.value(0).toString().toLatin1();
        t.room = q.value(1).toString();
        t.readOnly = q.value(2).toBool();
        t.expiresAt = q.value(3).toLongLong();
        t.issuedAt = q.value(4).toLongLong();
        t.label = q.value(5).toString();
        t.revoked = q.value(6).toBool();
        out.push_back(std::move(t));
    }
    return out;
}

std::optional<std::vector<QByteArray>> PostgresRoomStore::revokedTokenIds(qint64 nowSecs,
                                                                          QString *error)
{
    QSqlQuery q(QSqlDatabase::database(m_connection, false));
    q.setForwardOnly(true);
    if (!run(q,
             QStringLiteral("SELECT id FROM access_tokens WHERE revoked "
                            "AND (expires_at = 0 OR expires_at >= ?)"),
             {nowSecs}, error)) {
        return std::nullopt;
    }
    std::vector<QByteArray> out;
    while (q.next()) {
        out.push_back(q.value(0).toString().toLatin1());
    }
    return out;
}

} // namespace Tandem::Storage
