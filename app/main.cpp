// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/cli.h"
#include "app/serve.h"
#include "app/translations.h"
#include "core/storage/sqliteroomstore.h"
#include "core/version.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QMessageBox>
#include <QStandardPaths>
#include <QUrl>

#include <cstdio>
#include <cstring>
#include <memory>

#ifdef Q_OS_WIN
#include <windows.h>
#endif

namespace {

/// Options that need no display are handled on a QCoreApplication, so `tandem --version`,
/// `tandem --help` and `tandem --serve` work on a headless server (no Widgets loaded).
bool needsGui(int argc, char **argv)
{
    if (Tandem::App::isCliCommand(argc, argv)) {
        return false;
    }
    for (int i = 1; i < argc; ++i) {
        if (!std::strcmp(argv[i], "--help") || !std::strcmp(argv[i], "-h")
            || !std::strcmp(argv[i], "--version") || !std::strcmp(argv[i], "-v")
            || !std::strcmp(argv[i], "--help-all") || !std::strcmp(argv[i], "--serve")) {
            return false;
        }
    }
    return true;
}

/// A Windows GUI executable has no console: `tandem --serve` and `--help` from a terminal
/// write to the terminal they were started from (and receive its Ctrl+C).
void attachParentConsole()
{
#ifdef Q_OS_WIN
    if (AttachConsole(ATTACH_PARENT_PROCESS)) {
        std::freopen("CONOUT$", "w", stdout);
        std::freopen("CONOUT$", "w", stderr);
    }
#endif
}

} // namespace

int main(int argc, char **argv)
{
    std::unique_ptr<QCoreApplication> app;
    if (needsGui(argc, argv)) {
        app = std::make_unique<QApplication>(argc, argv);
    } else {
        attachParentConsole();
        app = std::make_unique<QCoreApplication>(argc, argv);
    }
    QCoreApplication::setApplicationName(QStringLiteral("tandem"));
    QCoreApplication::setOrganizationName(QStringLiteral("Tandem"));
    QCoreApplication::setApplicationVersion(Tandem::version());
    Tandem::App::installTranslators(*app, Tandem::App::langArgument(QCoreApplication::arguments()));

    if (Tandem::App::isCliCommand(argc, argv)) {
        return Tandem::App::runCli(Tandem::App::withoutLangArgument(QCoreApplication::arguments()));
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(
            QCoreApplication::translate("main", "Real-time collaborative notes."));
    parser.addHelpOption();
    parser.addVersionOption();
    parser.addOption(Tandem::App::langOption());
    Tandem::App::addServeOptions(parser);
    parser.addPositionalArgument(
            QStringLiteral("room"),
            QCoreApplication::translate("main", "A room to open, e.g. ws://host:1234/notes"),
            QStringLiteral("[room]"));
    parser.addOption({QStringLiteral("text"),
                      QCoreApplication::translate("main",
                                                  "Open the room's root text of this name "
                                                  "(rooms of Yjs demos) instead of its notes."),
                      QStringLiteral("name")});
    parser.process(*app);

    if (parser.isSet(QStringLiteral("serve"))) {
        return Tandem::App::runServer(parser);
    }

    // Every joined room is kept here, so it opens at once and works offline.
    const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    QDir().mkpath(dataDir);
    Tandem::Storage::SqliteRoomStore store(QDir(dataDir).filePath(QStringLiteral("rooms.sqlite")));
    QString error;
    if (!store.open(&error)) {
        QMessageBox::critical(
                nullptr, QCoreApplication::translate("main", "Tandem"),
                QCoreApplication::translate("main", "Cannot open the local store: %1").arg(error));
        return 1;
    }
    Tandem::Ui::MainWindow window(store);
    window.show();
    // `tandem ws://host:port/room` opens that room directly.
    for (const QString &arg : parser.positionalArguments()) {
        const QUrl url(arg);
        if (url.scheme() == QLatin1String("ws") || url.scheme() == QLatin1String("wss")) {
            if (!window.openRoom(url, &error, parser.value(QStringLiteral("text")))) {
                QMessageBox::warning(&window, QCoreApplication::translate("main", "Tandem"), error);
            }
            break;
        }
    }
    return app->exec();
}
