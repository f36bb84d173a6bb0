// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/storage/roomstore.h"

#include <memory>

class QSqlQuery;

namespace Tandem::Storage {

/// The embedded default: one SQLite file in WAL mode. A commit is in the WAL before append()
/// returns, so killing the process at any moment loses nothing that was acknowledged.
/// (synchronous=NORMAL: a power cut may lose the last commits but never corrupts the file.)
class SqliteRoomStore : public RoomStore
{
public:
    explicit SqliteRoomStore(QString path);
    ~SqliteRoomStore() override;

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

    QString path() const { return m_path; }
    /// Caps the database at @p pages pages (SQLite's max_page_count): writes beyond it fail as
    /// on a full disk. Tests use it to check that a full disk loses nothing.
    bool setMaxPageCount(int pages);

private:
    /// Brings databases of earlier versions up to date (in one transaction).
    bool upgrade(QString *error);

    QString m_path;
    QString m_connection; ///< QSqlDatabase connection name, unique per store
    // append() runs once per event-loop round under load: its statements are parsed once.
    std::unique_ptr<QSqlQuery> m_begin, m_insert, m_commit, m_rollback;
};

} // namespace Tandem::Storage
