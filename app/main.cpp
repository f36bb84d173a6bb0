// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/cli.h"
#include "app/serve.h"
#include "core/version.h"
#include "ui/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QCoreApplication>

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

    if (Tandem::App::isCliCommand(argc, argv)) {
        return Tandem::App::runCli(QCoreApplication::arguments());
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(
            QCoreApplication::translate("main", "Real-time collaborative notes."));
    parser.addHelpOption();
    parser.addVersionOption();
    Tandem::App::addServeOptions(parser);
    parser.process(*app);

    if (parser.isSet(QStringLiteral("serve"))) {
        return Tandem::App::runServer(parser);
    }

    Tandem::Ui::MainWindow window;
    window.show();
    return app->exec();
}
