// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/storage/roomstore.h"

#include <QString>

#include <memory>

class QCommandLineParser;

namespace Tandem::App {

/// A server's store as the command line selects it.
struct StoreChoice
{
    std::unique_ptr<Storage::RoomStore> store; ///< not opened yet; null on failure
    QString name; ///< for messages: the SQLite file, or the PostgreSQL URL without password
};

/// Adds `--data-dir DIR` and `--store URL` to @p parser (`tandem token`; `tandem --serve` adds
/// them among its own options).
void addStoreOptions(QCommandLineParser &parser);

/// The store of `tandem --serve` and `tandem token`: PostgreSQL with `--store postgres://…`,
/// otherwise rooms.sqlite in `--data-dir` (default: the per-user data directory's "server"),
/// which is created if missing. Without a store, @p error says why (a translated message that
/// starts with "tandem: ").
StoreChoice selectStore(const QCommandLineParser &parser, QString *error);

} // namespace Tandem::App
