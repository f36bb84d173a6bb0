// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/storage/roomstore.h"

#include <QUrl>

namespace Tandem::Storage {

/// Rooms in PostgreSQL (Qt's QPSQL driver), for several `tandem --serve` instances sharing one
/// store: `--store postgres://user:password@host:port/database`.
///
/// Same rules as the SQLite store: a commit is durable before append() returns (PostgreSQL's
/// default synchronous_commit), nothing is half-written. The server creates and migrates its
/// schema itself (table tandem_schema holds the version; migrations run under an advisory lock,
/// so instances starting together do not race).
///
/// Compaction is safe with several writers: the snapshot written is the given one merged with
/// every stored update up to the sequence number, read in the same transaction, so updates an
/// instance has not seen yet are folded in rather than dropped.
class PostgresRoomStore : public RoomStore
{
public:
    explicit PostgresRoomStore(QUrl url);
    ~PostgresRoomStore() override;

    bool open(QString *error) override;
    std::optional<StoredRoom> load(const QString &room, QString *error) override;
    std::optional<int64_t> append(const QString &room,
                                  const std::vector<std::vector<uint8_t>> &updates,
                                  QString *error) override;
    bool compact(const QString &room, std::span<const uint8_t> snapshot, int64_t upToSeq,
                 QString *error) override;

    std::optional<QByteArray> accessSecret(QString *error) override;
    bool recordToken(const IssuedToken &token, QString *error) override;
    bool revokeToken(const QByteArray &id, QString *error) override;
    std::optional<std::vector<IssuedToken>> tokens(QString *error) override;
    std::optional<std::vector<QByteArray>> revokedTokenIds(qint64 nowSecs, QString *error) override;

    bool shared() const override { return true; }

    /// The schema version this build creates.
    static constexpr int schemaVersion = 2;
    /// The URL without its password, for logs.
    QString displayUrl() const;

private:
    bool migrate(QString *error);

    QUrl m_url;
    QString m_connection;
};

} // namespace Tandem::Storage
