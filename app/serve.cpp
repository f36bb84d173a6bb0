// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/serve.h"

#include "app/storeoptions.h"
#include "app/translations.h"
#include "core/server/roomserver.h"
#include "core/server/tls.h"
#include "core/storage/postgresroomstore.h"
#include "core/storage/sqliteroomstore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QHostInfo>
#include <QNetworkInterface>
#include <QStandardPaths>
#include <QTextStream>

#include <algorithm>
#include <climits>
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

/// `tandem --serve --generate-cert DIR`: a self-signed pair for --cert/--key, and how to use it.
int generateCertificate(const QCommandLineParser &parser, QTextStream &out, QTextStream &err)
{
    const QDir dir(parser.value(QStringLiteral("generate-cert")));
    QStringList names = parser.values(QStringLiteral("cert-host"));
    if (names.isEmpty()) {
        // Every name this machine is likely to be reached by.
        names << QStringLiteral("localhost") << QHostInfo::localHostName();
        for (const QHostAddress &a : QNetworkInterface::allAddresses()) {
            if (a.protocol() == QAbstractSocket::IPv4Protocol || a.isLoopback() || a.isGlobal()) {
                names << a.toString();
            }
        }
        names.removeAll(QString());
        names.removeDuplicates();
    }
    bool ok = false;
    const int days = parser.value(QStringLiteral("cert-days")).toInt(&ok);
    if (!ok || days < 1) {
        err << tr("tandem: --cert-days needs a number of days") << Qt::endl;
        return 2;
    }
    const QString cert = dir.filePath(QStringLiteral("cert.pem"));
    const QString key = dir.filePath(QStringLiteral("key.pem"));
    QString error;
    if (!Server::generateSelfSignedCertificate(cert, key, names, days, &error)) {
        err << "tandem: " << error << Qt::endl;
        return 1;
    }
    const auto context = Server::TlsContext::load(cert, key, &error);
    if (!context) {
        err << "tandem: " << error << Qt::endl;
        return 1;
    }
    out << "Self-signed certificate for " << names.join(QStringLiteral(", ")) << Qt::endl
        << "  " << QDir::toNativeSeparators(cert) << Qt::endl
        << "  " << QDir::toNativeSeparators(key) << " (keep it private)" << Qt::endl
        << "SHA-256 fingerprint: " << context->fingerprint() << Qt::endl
        << "Serve with: tandem --serve --cert " << QDir::toNativeSeparators(cert) << " --key "
        << QDir::toNativeSeparators(key) << Qt::endl;
    return 0;
}

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
    parser.addOption(
            {QStringLiteral("cert"),
             QCoreApplication::translate("main",
                                         "Serve wss:// (TLS) with this PEM certificate chain "
                                         "(with --key)."),
             QStringLiteral("file")});
    parser.addOption(
            {QStringLiteral("key"),
             QCoreApplication::translate("main", "The PEM private key of --cert (unencrypted)."),
             QStringLiteral("file")});
    parser.addOption(
            {QStringLiteral("generate-cert"),
             QCoreApplication::translate("main",
                                         "With --serve: write a self-signed certificate and key "
                                         "(cert.pem, key.pem) into this directory, print its "
                                         "fingerprint and exit."),
             QStringLiteral("dir")});
    parser.addOption(
            {QStringLiteral("cert-host"),
             QCoreApplication::translate("main",
                                         "A host name or IP address the generated certificate is "
                                         "for (repeatable; default: this machine's names and "
                                         "addresses)."),
             QStringLiteral("name")});
    parser.addOption({QStringLiteral("cert-days"),
                      QCoreApplication::translate(
                              "main", "How long the generated certificate is valid (default 825)."),
                      QStringLiteral("days"), QStringLiteral("825")});
    parser.addOption({QStringLiteral("max-message-bytes"),
                      QCoreApplication::translate(
                              "main", "Largest message a client may send (default 16 MiB)."),
                      QStringLiteral("bytes"), QString::number(16 * 1024 * 1024)});
    parser.addOption(
            {QStringLiteral("require-token"),
             QCoreApplication::translate("main",
                                         "Admit only clients whose link carries an access token "
                                         "(see `tandem token`); prints an invite link at start.")});
    parser.addOption(
            {QStringLiteral("invite-room"),
             QCoreApplication::translate(
                     "main",
                     "Room of the invite link printed with --require-token (default notes)."),
             QStringLiteral("room"), QStringLiteral("notes")});
    const auto limit = [&parser](const char *name, const char *help, const char *value,
                                 qint64 byDefault) {
        parser.addOption({QString::fromLatin1(name), QCoreApplication::translate("main", help),
                          QString::fromLatin1(value), QString::number(byDefault)});
    };
    const Server::ServerOptions defaults;
    limit("max-connections-per-address",
          QT_TRANSLATE_NOOP("main", "Connections one address may hold (0: no limit; default 64)."),
          "n", defaults.maxConnectionsPerAddress);
    limit("max-messages-per-second",
          QT_TRANSLATE_NOOP("main",
                            "Messages per second a connection may send on average "
                            "(bursts of ten times as many pass; 0: no limit; default 200)."),
          "n", qint64(defaults.maxMessagesPerSecond));
    limit("max-bytes-per-second",
          QT_TRANSLATE_NOOP("main",
                            "Bytes per second a connection may send on average, past a "
                            "burst of 32 MiB (0: no limit; default 1 MiB)."),
          "bytes", qint64(defaults.maxBytesPerSecond));
    limit("max-rooms",
          QT_TRANSLATE_NOOP("main", "Rooms open at once (0: no limit; default 10000)."), "n",
          defaults.maxRooms);
    limit("max-room-bytes",
          QT_TRANSLATE_NOOP("main",
                            "Stored size one room may reach (0: no limit; default 64 MiB)."),
          "bytes", defaults.maxRoomBytes);
    limit("memory-budget",
          QT_TRANSLATE_NOOP("main",
                            "Memory for open rooms, estimated at ten times their stored size "
                            "(0: no limit; default 2 GiB); beyond it idle rooms close and "
                            "growth is refused."),
          "bytes", defaults.memoryBudgetBytes);
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
    if (parser.isSet(QStringLiteral("generate-cert"))) {
        return generateCertificate(parser, out, err);
    }
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
    // The limits: whole numbers, 0 turns one off.
    const auto readLimit = [&](const char *name, qint64 *value) {
        *value = parser.value(QString::fromLatin1(name)).toLongLong(&ok);
        if (!ok || *value < 0) {
            err << tr("tandem: --%1 needs a number (0 for no limit)").arg(QLatin1String(name))
                << Qt::endl;
            return false;
        }
        return true;
    };
    qint64 perAddress = 0, messages = 0, bytes = 0, rooms = 0;
    if (!readLimit("max-connections-per-address", &perAddress)
        || !readLimit("max-messages-per-second", &messages)
        || !readLimit("max-bytes-per-second", &bytes) || !readLimit("max-rooms", &rooms)
        || !readLimit("max-room-bytes", &options.maxRoomBytes)
        || !readLimit("memory-budget", &options.memoryBudgetBytes)) {
        return 2;
    }
    options.maxConnectionsPerAddress = int(std::min<qint64>(perAddress, INT_MAX));
    options.maxMessagesPerSecond = double(messages);
    options.messageBurst = 10.0 * double(messages);
    options.maxBytesPerSecond = double(bytes);
    options.byteBurst = std::max(32.0 * 1024 * 1024, double(options.maxMessageBytes));
    options.maxRooms = int(std::min<qint64>(rooms, INT_MAX));
    options.requireToken = parser.isSet(QStringLiteral("require-token"));
    const QString inviteRoom
            = Server::RoomServer::roomNameFromTyped(parser.value(QStringLiteral("invite-room")));
    if (options.requireToken && !Server::RoomServer::isValidRoomName(inviteRoom)) {
        err << tr("tandem: --invite-room needs a room name") << Qt::endl;
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
    options.certFile = parser.value(QStringLiteral("cert"));
    options.keyFile = parser.value(QStringLiteral("key"));
    if (options.certFile.isEmpty() != options.keyFile.isEmpty()) {
        err << tr("tandem: --cert and --key go together") << Qt::endl;
        return 2;
    }
    QString error;
    StoreChoice store = selectStore(parser, &error); // shared with `tandem token`
    if (!store.store) {
        err << error << Qt::endl;
        return 1;
    }
    const QString storeName = store.name;
    Server::RoomServer server(options, std::move(store.store));
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
    if (!server.certificateFingerprint().isEmpty()) {
        out << "TLS certificate SHA-256 fingerprint: " << server.certificateFingerprint()
            << Qt::endl;
    }
    if (options.requireToken) {
        constexpr qint64 week = 7 * 24 * 3600;
        const QByteArray token = server.issueToken(
                inviteRoom, false, week, QStringLiteral("printed by tandem --serve"), &error);
        if (token.isEmpty()) {
            err << "tandem: " << error << Qt::endl;
            return 1;
        }
        out << "Access tokens are required. Invite link to room " << inviteRoom
            << " (read and write, valid 7 days):" << Qt::endl
            << "  " << server.inviteUrl(inviteRoom, token).toString(QUrl::FullyEncoded) << Qt::endl
            << "More links: tandem token issue ROOM [--read] with this server's --data-dir or "
               "--store."
            << Qt::endl;
    }
    const int code = QCoreApplication::exec();
    server.shutdown();
    return code;
}

} // namespace Tandem::App
