// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/client/clock.h"
#include "core/client/provider.h"
#include "core/client/transport.h"
#include "core/crdt/doc.h"
#include "core/protocol/awareness.h"

#include <QObject>
#include <QUrl>

#include <memory>

namespace Tandem::Storage {
class RoomStore;
}

namespace Tandem::Client {

/// One joined room, offline first: the document lives in a local RoomStore and opens from it
/// at once; every change (local or remote) is written there before anything else sees it, so
/// edits made offline or while the server is down survive a crash and merge on reconnect.
/// Then a Provider keeps it in sync with the server.
class Session : public QObject
{
    Q_OBJECT
public:
    /// @p store must be open and outlive the session.
    Session(const QUrl &roomUrl, Storage::RoomStore &store, Clock &clock = Clock::system(),
            TransportOptions transport = {}, QObject *parent = nullptr);
    ~Session() override;

    /// Loads the room from the local store and starts connecting. False with @p error if the
    /// stored copy cannot be read (nothing is connected then, and nothing overwritten).
    bool open(QString *error);
    /// Stores a compacted copy and disconnects (sending a null presence first).
    void close();

    /// The local store's key for a room URL: scheme, host, port and path (no query, which
    /// carries credentials).
    static QString storeKey(const QUrl &roomUrl);

    Crdt::Doc &doc() { return m_doc; }
    Protocol::Awareness &awareness() { return m_awareness; }
    Transport &transport() { return m_transport; }
    Provider *provider() { return m_provider.get(); }
    QUrl url() const { return m_url; }
    /// The last local storage failure (a full disk), or empty.
    QString storageError() const { return m_storageError; }

    /// Updates written before the stored log is folded into a snapshot.
    static constexpr int compactEvery = 500;

Q_SIGNALS:
    /// Writing to the local store failed: changes are kept in memory and still sent, but would
    /// not survive a crash until the disk has room again.
    void storageFailed(const QString &error);

private:
    void store(std::span<const uint8_t> update);
    void compact();

    QUrl m_url;
    QString m_key;
    Storage::RoomStore &m_store;
    Clock &m_clock;
    Crdt::Doc m_doc;
    Protocol::Awareness m_awareness;
    Transport m_transport;
    std::unique_ptr<Provider> m_provider;
    Crdt::SubscriptionId m_storeSub = 0;
    int64_t m_lastSeq = 0;
    int m_sinceSnapshot = 0;
    QString m_storageError;
};

} // namespace Tandem::Client
