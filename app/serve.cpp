// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/serve.h"

#include "app/translations.h"
#include "core/server/roomserver.h"
#include "core/storage/postgresroomstore.h"
#include "core/storage/sqliteroomstore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QStandardPaths>
#include <QTextStream>

#include <functional>

#ifdef Q_OS_WIN
#include <windows.h>
#endif
#ifdef Q_OS_UNIX
#include <QSocketNotifier>

#include <csignal>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace Tandem::App {

namespace {

#ifdef Q_OS_UNIX
int g_signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] const auto n = ::write(g_signalPipe[1], &c, 1);
}

/// SIGINT/SIGTERM become a quit on the event loop (a signal handler may do almost nothing).
void quitOnSignals(QObject *context, std::function<void()> quit)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0) {
        return;
    }
    auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, context);
    QObject::connect(notifier, &QSocketNotifier::activated, context, [quit = std::move(quit)] {
        char c;
        [[maybe_unused]] const auto n = ::read(g_signalPipe[0], &c, 1);
        quit();
    });
    struct sigaction sa = {};
    sa.sa_handler = onSignal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    sigaction(SIGINT, &sa, nullptr);
    sigaction(SIGTERM, &sa, nullptr);
}
#elif defined(Q_OS_WIN)
std::function<void()> g_quit;
HANDLE g_quitDone = nullptr;

/// Ctrl+C, Ctrl+Break, closing the console, logoff and shutdown. The handler runs on a thread
/// of its own, so it posts the quit to the event loop. For the last three Windows ends the
/// process when the handler returns, so it waits (a little) for the shutdown to finish.
BOOL WINAPI onConsoleEvent(DWORD type)
{
    QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [] {
                g_quit();
                SetEvent(g_quitDone);
            },
            Qt::QueuedConnection);
    if (type != CTRL_C_EVENT && type != CTRL_BREAK_EVENT) {
        WaitForSingleObject(g_quitDone, 4000);
    }
    return TRUE;
}

void quitOnSignals(QObject *, std::function<void()> quit)
{
    g_quit = std::move(quit);
    g_quitDone = CreateEventW(nullptr, TRUE, FALSE, nullptr);
    SetConsoleCtrlHandler(onConsoleEvent, TRUE);
}
#endif

} // namespace

void addServeOptions(QCommandLineParser &parser)
{
    parser.addOption({QStringLiteral("serve"),
                      QCoreApplication::translate("main", "Host rooms without a window.")});
    parser.addOption(
            {QStringLiteral("host"),
             QCoreApplication::translate("main", "Address to listen on (default 127.0.0.1)."),
             QStringLiteral("address"), QStringLiteral("127.0.0.1")});
    parser.addOption(
            {QStringLiteral("port"),
             QCoreApplication::translate("main", "Port to listen on (default 1234, 0 picks one)."),
             QStringLiteral("port"), QStringLiteral("1234")});
    parser.addOption(
            {QStringLiteral("redis"),
             QCoreApplication::translate("main",
                                         "Share rooms with other servers through Redis at "
                                         "host:port (with --store postgres://… for one store)."),
             QStringLiteral("host:port")});
    parser.addOption(
            {QStringLiteral("store"),
             QCoreApplication::translate("main",
                                         "Keep rooms in PostgreSQL instead of the data directory's "
                                         "SQLite file (postgres://user:password@host:port/db); "
                                         "several servers can share it."),
             QStringLiteral("url")});
    parser.addOption({QStringLiteral("data-dir"),
                      QCoreApplication::translate("main", "Where rooms are stored."),
                      QStringLiteral("dir")});
    parser.addOption({QStringLiteral("max-message-bytes"),
                      QCoreApplication::translate(
                              "main", "Largest message a client may send (default 16 MiB)."),
                      QStringLiteral("bytes"), QString::number(16 * 1024 * 1024)});
    parser.addOption(
            {QStringLiteral("batch-ms"),
             QCoreApplication::translate("main",
                                         "Hold updates up to this long to send them in batches: "
                                         "less CPU in busy rooms, more latency (default 0)."),
             QStringLiteral("ms"), QStringLiteral("0")});
}

int runServer(const QCommandLineParser &parser)
{
    QTextStream err(stderr);
    QTextStream out(stdout);
    Server::ServerOptions options;
    bool ok = false;
    if (!options.host.setAddress(parser.value(QStringLiteral("host")))) {
        err << tr("tandem: --host needs an IP address, got %1")
                        .arg(parser.value(QStringLiteral("host")))
            << Qt::endl;
        return 2;
    }
    const uint port = parser.value(QStringLiteral("port")).toUInt(&ok);
    if (!ok || port > 65535) {
        err << tr("tandem: --port needs a number from 0 to 65535") << Qt::endl;
        return 2;
    }
    options.port = quint16(port);
    options.maxMessageBytes = parser.value(QStringLiteral("max-message-bytes")).toLongLong(&ok);
    if (!ok || options.maxMessageBytes < 1024) {
        err << tr("tandem: --max-message-bytes needs a number of at least 1024") << Qt::endl;
        return 2;
    }
    options.commitWindowMs = parser.value(QStringLiteral("batch-ms")).toInt(&ok);
    if (!ok || options.commitWindowMs < 0 || options.commitWindowMs > 1000) {
        err << tr("tandem: --batch-ms needs a number from 0 to 1000") << Qt::endl;
        return 2;
    }
    if (parser.isSet(QStringLiteral("redis"))) {
        const QString redis = parser.value(QStringLiteral("redis"));
        const qsizetype colon = redis.lastIndexOf(QLatin1Char(':'));
        const uint redisPort = colon > 0 ? redis.mid(colon + 1).toUInt(&ok) : 6379;
        if ((colon > 0 && !ok) || redisPort == 0 || redisPort > 65535) {
            err << tr("tandem: --redis needs host:port, got %1").arg(redis) << Qt::endl;
            return 2;
        }
        options.redisHost = colon > 0 ? redis.left(colon) : redis;
        options.redisPort = quint16(redisPort);
    }
    QString dataDir = parser.value(QStringLiteral("data-dir"));
    if (dataDir.isEmpty()) {
        dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation)
                + QStringLiteral("/server");
    }
    if (!QDir().mkpath(dataDir)) {
        err << tr("tandem: cannot create the data directory %1").arg(dataDir) << Qt::endl;
        return 1;
    }
    std::unique_ptr<Storage::RoomStore> store;
    QString storeName;
    if (parser.isSet(QStringLiteral("store"))) {
        const QUrl url(parser.value(QStringLiteral("store")));
        auto pg = std::make_unique<Storage::PostgresRoomStore>(url);
        storeName = pg->displayUrl(); // never the password
        store = std::move(pg);
    } else {
        storeName
                = QDir::toNativeSeparators(QDir(dataDir).filePath(QStringLiteral("rooms.sqlite")));
        store = std::make_unique<Storage::SqliteRoomStore>(
                QDir(dataDir).filePath(QStringLiteral("rooms.sqlite")));
    }
    Server::RoomServer server(options, std::move(store));
    QString error;
    if (!server.listen(&error)) {
        err << "tandem: " << error << Qt::endl;
        return 1;
    }
    quitOnSignals(&server, [&server] {
        server.shutdown();
        QCoreApplication::quit();
    });
    out << "Tandem " << QCoreApplication::applicationVersion() << " serving rooms at "
        << server.url().toString() << "<room>" << Qt::endl;
    out << "Data: " << storeName << Qt::endl;
    const int code = QCoreApplication::exec();
    server.shutdown();
    return code;
}

} // namespace Tandem::App
