// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/storeoptions.h"

#include "app/translations.h"
#include "core/storage/postgresroomstore.h"
#include "core/storage/sqliteroomstore.h"

#include <QCommandLineParser>
#include <QDir>
#include <QStandardPaths>
#include <QUrl>

namespace Tandem::App {

void addStoreOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("data-dir"),
                      tr("The server's data directory (its rooms.sqlite)."),
                      QStringLiteral("dir")});
    parser.addOption({QStringLiteral("store"),
                      tr("The server's PostgreSQL store instead "
                         "(postgres://user:password@host:port/db)."),
                      QStringLiteral("url")});
}

StoreChoice selectStore(const QCommandLineParser &parser, QString *error)
{
    StoreChoice choice;
    if (parser.isSet(QStringLiteral("store"))) {
        auto pg = std::make_unique<Storage::PostgresRoomStore>(
                QUrl(parser.value(QStringLiteral("store"))));
        choice.name = pg->displayUrl(); // never the password
        choice.store = std::move(pg);
        return choice;
    }
    QString dataDir = parser.value(QStringLiteral("data-dir"));
    if (dataDir.isEmpty()) {
        dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
                + QStringLiteral("/server");
    }
    if (!QDir().mkpath(dataDir)) {
        *error = tr("tandem: cannot create the data directory %1").arg(dataDir);
        return choice;
    }
    const QString file = QDir(dataDir).filePath(QStringLiteral("rooms.sqlite"));
    choice.name = QDir::toNativeSeparators(file);
    choice.store = std::make_unique<Storage::SqliteRoomStore>(file);
    return choice;
}

} // namespace Tandem::App
