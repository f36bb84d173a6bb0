// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// What the client tests that drive a Session share: its root text, an insert as one
// transaction, retries fast enough for a test, and a local store in a real SQLite file.

#include "core/client/session.h"
#include "core/crdt/text.h"
#include "core/storage/sqliteroomstore.h"

#include <QDebug>
#include <QString>

namespace Tandem::Testing {

inline QString text(Client::Session &s, const char *name = "t")
{
    return QString::fromStdU16String(s.doc().getText(name).toString());
}

inline void insert(Client::Session &s, int64_t at, const QString &what, const char *name = "t")
{
    Crdt::Text t = s.doc().getText(name);
    s.doc().transact([&](Crdt::Transaction &tr) { t.insert(tr, at, what.toStdU16String()); });
}

inline Client::TransportOptions fastRetries()
{
    Client::TransportOptions o;
    o.initialBackoffMs = 50;
    o.maxBackoffMs = 200;
    return o;
}

/// A client's local store: a real SQLite file.
struct LocalStore
{
    explicit LocalStore(const QString &path) : store(path)
    {
        QString error;
        ok = store.open(&error);
        if (!ok) {
            qWarning() << error;
        }
    }
    Storage::SqliteRoomStore store;
    bool ok = false;
};

} // namespace Tandem::Testing
