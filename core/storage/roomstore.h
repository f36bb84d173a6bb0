// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QByteArray>
#include <QString>

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace Tandem::Storage {

/// What is stored for one room: the last snapshot (a v1 update of the whole document, may be
/// empty) and the updates accepted since, in order.
struct StoredRoom
{
    QByteArray snapshot;
    std::vector<QByteArray> updates;
    int64_t lastSeq = 0; ///< sequence number of the last update (0: none)
};

/// An access token as issued (core/server/accesstoken.h): what `tandem token list` shows and
/// what revocation needs. The token itself is not kept, only its id.
struct IssuedToken
{
    QByteArray id; ///< 16 lowercase hex characters
    QString room; ///< "*" = every room
    bool readOnly = false;
    qint64 expiresAt = 0; ///< Unix seconds; 0 = never
    qint64 issuedAt = 0; ///< Unix seconds
    QString label;
    bool revoked = false;
};

/// Durable storage of rooms as update logs plus snapshots. Room names are keys, never paths.
/// Every call returns false/nullopt with a readable @p error on failure (a full disk, say);
/// nothing is half-written.
class RoomStore
{
public:
    virtual ~RoomStore() = default;
    virtual bool open(QString *error) = 0;
    virtual std::optional<StoredRoom> load(const QString &room, QString *error) = 0;
    /// Appends updates in one transaction (all or none); returns the last one's sequence
    /// number.
    virtual std::optional<int64_t>
    append(const QString &room, const std::vector<std::vector<uint8_t>> &updates, QString *error)
            = 0;
    /// Replaces the snapshot and drops the updates up to @p upToSeq, atomically.
    virtual bool compact(const QString &room, std::span<const uint8_t> snapshot, int64_t upToSeq,
                         QString *error)
            = 0;

    /// The server's signing secret for access tokens: 32 random bytes made on first use and
    /// kept (shared by every instance on a shared store; two making it at once agree on one).
    virtual std::optional<QByteArray> accessSecret(QString *error) = 0;
    /// Records an issued token; fails if its id is taken.
    virtual bool recordToken(const IssuedToken &token, QString *error) = 0;
    /// Marks a token revoked; false with error "no such token" when unknown.
    virtual bool revokeToken(const QByteArray &id, QString *error) = 0;
    /// Every recorded token, oldest first.
    virtual std::optional<std::vector<IssuedToken>> tokens(QString *error) = 0;
    /// Ids of revoked tokens that have not expired yet at @p nowSecs (expiresAt 0 or
    /// >= nowSecs). The server polls this every few seconds: one indexed query.
    virtual std::optional<std::vector<QByteArray>> revokedTokenIds(qint64 nowSecs, QString *error)
            = 0;

    /// Whether other server instances write to the same store (then an update relayed from
    /// one of them is stored already).
    virtual bool shared() const { return false; }
};

} // namespace Tandem::Storage
