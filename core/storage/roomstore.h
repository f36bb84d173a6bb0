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
    /// Whether other server instances write to the same store (then an update relayed from
    /// one of them is stored already).
    virtual bool shared() const { return false; }
};

} // namespace Tandem::Storage
