// SPDX-License-Identifier: GPL-3.0-or-later
// tandem cat URL [--note TITLE | --text NAME]
// tandem export URL (--note TITLE | --text NAME) -o FILE
// tandem import URL FILE [--note TITLE | --text NAME]
// One-shot clients for scripts: they sync, act, wait until the server confirmed their
// changes, and exit with a code that says what went wrong.
//
// tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url ws://host:port]
// tandem token list
// tandem token revoke ID
// Access tokens, made and kept in a server's store (--data-dir DIR or --store postgres://…),
// without talking to the server: it reads the same store.
#include "app/cli.h"

#include "app/storeoptions.h"
#include "app/translations.h"
#include "core/client/notes.h"
#include "core/client/session.h"
#include "core/crdt/text.h"
#include "core/server/accesstoken.h"
#include "core/server/roomserver.h"
#include "core/storage/sqliteroomstore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QSaveFile>
#include <QStringDecoder>
#include <QTextStream>
#include <QTimer>

#include <cstring>

namespace Tandem::App {

namespace {

const char *const commands[] = {"cat", "export", "import", "token"};

/// Waits until @p done, a final refusal, or the deadline. Returns the exit code; on a timeout
/// prints @p timeoutMessage.
int waitFor(Client::Session &session, const std::function<bool()> &done, QDeadlineTimer deadline,
            const QString &timeoutMessage)
{
    QTextStream err(stderr);
    QEventLoop loop;
    QTimer tick;
    QObject::connect(&tick, &QTimer::timeout, &loop, [&] {
        if (done() || session.transport().state() == Client::Transport::State::Offline
            || deadline.hasExpired()) {
            loop.quit();
        }
    });
    tick.start(5);
    if (!done()) {
        loop.exec();
    }
    if (done()) {
        return Exit::Ok;
    }
    if (session.transport().state() == Client::Transport::State::Offline) {
        err << tr("tandem: the server refused the connection: %1").arg(session.transport().reason())
            << Qt::endl;
        return Exit::Refused;
    }
    const QString reason = session.transport().reason();
    err << timeoutMessage << (reason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(reason))
        << Qt::endl;
    return Exit::Unreachable;
}

/// The room as servers name it: the URL path clients send, percent-encoded as QUrl and
/// browsers do ("my notes" is "my%20notes"), without the leading "/". Already encoded input
/// stays as it is.
QString serverRoomName(const QString &room)
{
    return Server::RoomServer::roomNameFromTyped(room);
}

QString formatTime(qint64 secs)
{
    return QDateTime::fromSecsSinceEpoch(secs, Qt::UTC)
            .toString(QStringLiteral("yyyy-MM-dd HH:mm 'UTC'"));
}

int runToken(const QStringList &arguments)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    QCommandLineParser parser;
    parser.setApplicationDescription(
            tr("Issues, lists and revokes access tokens of a server's store.\n\n"
               "  tandem token issue ROOM [--read] [--days N] [--label TEXT] [--url URL]\n"
               "  tandem token list\n"
               "  tandem token revoke ID\n\n"
               "Each takes the server's --data-dir DIR or --store postgres://… (as tandem "
               "--serve). ROOM * makes a token for every room.\n\n"
               "Exit codes: 0 done, 1 the store cannot be used, 2 usage, 4 no such token."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("token"), tr("token"));
    parser.addPositionalArgument(QStringLiteral("action"), tr("issue, list or revoke"));
    parser.addPositionalArgument(QStringLiteral("argument"),
                                 tr("issue: the room (* for every room); revoke: the token id"));
    parser.addOption({QStringLiteral("read"), tr("issue: read-only access.")});
    parser.addOption({QStringLiteral("days"),
                      tr("issue: days until the token expires (default 30; 0 = never)."),
                      QStringLiteral("n"), QStringLiteral("30")});
    parser.addOption({QStringLiteral("label"),
                      tr("issue: a note for the list, e.g. who the token is for."),
                      QStringLiteral("text")});
    parser.addOption({QStringLiteral("url"),
                      tr("issue: the server's address, to print an invite link "
                         "(e.g. ws://host:1234)."),
                      QStringLiteral("url")});
    addStoreOptions(parser);
    if (!parser.parse(arguments)) {
        err << "tandem: " << parser.errorText() << Qt::endl;
        return Exit::Usage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out << parser.helpText();
        return Exit::Ok;
    }
    auto usage = [&](const QString &why) {
        err << tr("tandem: %1 (see tandem token --help)").arg(why) << Qt::endl;
        return Exit::Usage;
    };
    const QStringList positional = parser.positionalArguments();
    const QString action = positional.value(1);
    const bool issue = action == QLatin1String("issue");
    const bool list = action == QLatin1String("list");
    const bool revoke = action == QLatin1String("revoke");
    if (!issue && !list && !revoke) {
        return usage(tr("token needs issue, list or revoke"));
    }
    if (positional.size() != (list ? 2 : 3)) {
        return usage(tr("wrong number of arguments"));
    }
    if (parser.isSet(QStringLiteral("store")) && parser.isSet(QStringLiteral("data-dir"))) {
        return usage(tr("--store and --data-dir cannot be combined"));
    }
    bool ok = false;
    const int days = parser.value(QStringLiteral("days")).toInt(&ok);
    if (!ok || days < 0 || days > 36500) {
        return usage(tr("--days needs a number from 0 (never expires) to 36500"));
    }
    QString base;
    if (parser.isSet(QStringLiteral("url"))) {
        const QUrl url(parser.value(QStringLiteral("url")));
        if (!url.isValid()
            || (url.scheme() != QLatin1String("ws") && url.scheme() != QLatin1String("wss"))
            || url.host().isEmpty() || url.hasQuery() || url.hasFragment()) {
            return usage(tr("--url needs the server's address such as ws://host:1234"));
        }
        base = url.toString(QUrl::FullyEncoded);
        while (base.endsWith(QLatin1Char('/'))) {
            base.chop(1);
        }
    }
    QString room;
    if (issue) {
        room = positional.value(2) == QLatin1String("*") ? QStringLiteral("*")
                                                         : serverRoomName(positional.value(2));
        if (!Server::RoomServer::isValidRoomName(room)) {
            return usage(tr("not a room name: %1").arg(positional.value(2)));
        }
    }

    QString error;
    StoreChoice chosen = selectStore(parser, &error);
    if (!chosen.store) {
        err << error << Qt::endl;
        return Exit::Failure;
    }
    Storage::RoomStore &store = *chosen.store;
    if (!store.open(&error)) {
        err << "tandem: " << error << Qt::endl;
        return Exit::Failure;
    }
    const qint64 now = QDateTime::currentSecsSinceEpoch();

    if (issue) {
        const auto secret = store.accessSecret(&error);
        if (!secret) {
            err << "tandem: " << error << Qt::endl;
            return Exit::Failure;
        }
        Server::Access::Grant grant;
        grant.room = room;
        grant.permission = parser.isSet(QStringLiteral("read")) ? Server::Access::Permission::Read
                                                                : Server::Access::Permission::Write;
        grant.expiresAt = days == 0 ? 0 : now + qint64(days) * 24 * 3600;
        grant.id = Server::Access::newTokenId();
        Storage::IssuedToken record;
        record.id = grant.id;
        record.room = grant.room;
        record.readOnly = grant.permission == Server::Access::Permission::Read;
        record.expiresAt = grant.expiresAt;
        record.issuedAt = now;
        record.label = parser.value(QStringLiteral("label"));
        if (!store.recordToken(record, &error)) {
            err << "tandem: " << error << Qt::endl;
            return Exit::Failure;
        }
        const QString token = QString::fromLatin1(Server::Access::issueToken(grant, *secret));
        const bool everyRoom = room == QLatin1String("*");
        if (base.isEmpty()) {
            out << token << Qt::endl;
        } else {
            out << base << QLatin1Char('/') << (everyRoom ? QStringLiteral("<room>") : room)
                << QStringLiteral("?token=") << token << Qt::endl;
        }
        out << tr("Token id: %1").arg(QString::fromLatin1(grant.id)) << Qt::endl;
        const QString access = record.readOnly ? tr("read only") : tr("read and write");
        const QString until = grant.expiresAt == 0
                ? tr("never expires")
                : tr("expires %1").arg(formatTime(grant.expiresAt));
        out << (everyRoom ? tr("Every room, %1, %2.").arg(access, until)
                          : tr("Room %1, %2, %3.").arg(room, access, until))
            << Qt::endl;
        if (everyRoom && !base.isEmpty()) {
            out << tr("Replace <room> in the link with the name of a room.") << Qt::endl;
        }
        out << tr("Store: %1").arg(chosen.name) << Qt::endl;
        return Exit::Ok;
    }

    if (revoke) {
        const QByteArray id = positional.value(2).toLatin1();
        if (!store.revokeToken(id, &error)) {
            if (error == QLatin1String("no such token")) {
                err << tr("tandem: no such token: %1").arg(positional.value(2)) << Qt::endl;
                return Exit::NoSuchToken;
            }
            err << "tandem: " << error << Qt::endl;
            return Exit::Failure;
        }
        out << tr("Revoked token %1: servers using this store refuse it within seconds.")
                        .arg(positional.value(2))
            << Qt::endl;
        return Exit::Ok;
    }

    // list
    const auto tokens = store.tokens(&error);
    if (!tokens) {
        err << "tandem: " << error << Qt::endl;
        return Exit::Failure;
    }
    if (tokens->empty()) {
        out << tr("No tokens in %1.").arg(chosen.name) << Qt::endl;
        return Exit::Ok;
    }
    std::vector<QStringList> rows;
    rows.push_back({tr("ID"), tr("ROOM"), tr("ACCESS"), tr("EXPIRES"), tr("LABEL"), tr("REVOKED")});
    for (const Storage::IssuedToken &t : *tokens) {
        QString expires = t.expiresAt == 0 ? tr("never") : formatTime(t.expiresAt);
        if (t.expiresAt != 0 && now > t.expiresAt) {
            expires = tr("%1 (expired)").arg(expires);
        }
        rows.push_back({QString::fromLatin1(t.id), t.room, t.readOnly ? tr("read") : tr("write"),
                        expires, t.label, t.revoked ? tr("yes") : tr("no")});
    }
    std::vector<qsizetype> widths(rows.front().size(), 0);
    for (const QStringList &row : rows) {
        for (qsizetype c = 0; c < row.size(); ++c) {
            widths[size_t(c)] = std::max(widths[size_t(c)], row[c].size());
        }
    }
    for (const QStringList &row : rows) {
        QString line;
        for (qsizetype c = 0; c < row.size(); ++c) {
            line += c + 1 == row.size()
                    ? row[c]
                    : row[c].leftJustified(widths[size_t(c)]) + QStringLiteral("  ");
        }
        out << line << Qt::endl;
    }
    return Exit::Ok;
}

} // namespace

bool isCliCommand(int argc, char **argv)
{
    if (argc < 2) {
        return false;
    }
    for (const char *c : commands) {
        if (!std::strcmp(argv[1], c)) {
            return true;
        }
    }
    return false;
}

int runCli(const QStringList &arguments)
{
    QTextStream out(stdout);
    QTextStream err(stderr);
    const QString command = arguments.value(1);
    if (command == QLatin1String("token")) {
        return runToken(arguments);
    }
    // Retries are progress, not news, for a script: errors still show.
    QLoggingCategory::setFilterRules(QStringLiteral("tandem.client.info=false"));
    QCommandLineParser parser;
    parser.setApplicationDescription(
            tr("Reads or writes a note of a room without the window.\n\n"
               "  tandem cat URL [--note TITLE | --text NAME]\n"
               "  tandem export URL (--note TITLE | --text NAME) -o FILE\n"
               "  tandem import URL FILE [--note TITLE | --text NAME]\n\n"
               "Exit codes: 0 done, 1 local file error, 2 usage, 3 server unreachable or "
               "too slow, 4 no such note, 5 refused by the server."));
    parser.addHelpOption();
    parser.addPositionalArgument(QStringLiteral("command"), tr("cat, export or import"));
    parser.addPositionalArgument(QStringLiteral("url"), tr("The room, e.g. ws://host:1234/team"));
    parser.addOption({QStringLiteral("note"), tr("The note's title."), QStringLiteral("title")});
    parser.addOption({QStringLiteral("text"),
                      tr("Plain mode: the room's root text of this name (rooms of Yjs demos "
                         "use codemirror, quill or monaco)."),
                      QStringLiteral("name")});
    parser.addOption({{QStringLiteral("o"), QStringLiteral("output")},
                      tr("export: the file to write."),
                      QStringLiteral("file")});
    parser.addOption({QStringLiteral("timeout"), tr("Seconds to wait for the server (default 15)."),
                      QStringLiteral("seconds"), QStringLiteral("15")});
    if (!parser.parse(arguments)) {
        err << "tandem: " << parser.errorText() << Qt::endl;
        return Exit::Usage;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        out << parser.helpText();
        return Exit::Ok;
    }
    const QStringList positional = parser.positionalArguments();
    const QUrl url(positional.value(1));
    const bool plain = parser.isSet(QStringLiteral("text"));
    const QString title = parser.value(QStringLiteral("note"));
    bool ok = false;
    const int timeoutS = parser.value(QStringLiteral("timeout")).toInt(&ok);
    auto usage = [&](const QString &why) {
        err << tr("tandem: %1 (see tandem %2 --help)").arg(why, command) << Qt::endl;
        return Exit::Usage;
    };
    if (!url.isValid()
        || (url.scheme() != QLatin1String("ws") && url.scheme() != QLatin1String("wss"))
        || url.host().isEmpty()) {
        return usage(tr("%1 needs a room URL such as ws://host:1234/room").arg(command));
    }
    if (!ok || timeoutS <= 0) {
        return usage(tr("--timeout needs a positive number of seconds"));
    }
    if (plain && parser.isSet(QStringLiteral("note"))) {
        return usage(tr("--note and --text cannot be combined"));
    }
    const int expected = command == QLatin1String("import") ? 3 : 2;
    if (positional.size() != expected) {
        return usage(tr("wrong number of arguments"));
    }
    if (command == QLatin1String("export")
        && (!parser.isSet(QStringLiteral("output")) || (!plain && title.isEmpty()))) {
        return usage(tr("export needs --note TITLE (or --text NAME) and -o FILE"));
    }

    // A throwaway local copy: these commands are online operations.
    Storage::SqliteRoomStore store(QStringLiteral(":memory:"));
    QString error;
    if (!store.open(&error)) {
        err << "tandem: " << error << Qt::endl;
        return Exit::Failure;
    }
    Client::Session session(url, store);
    if (!session.open(&error)) {
        err << "tandem: " << error << Qt::endl;
        return Exit::Failure;
    }
    const QDeadlineTimer deadline {std::chrono::seconds(timeoutS)};
    int code = waitFor(
            session,
            [&] { return session.provider()->status() == Client::Provider::Status::Synced; },
            deadline,
            tr("tandem: could not sync with %1 within the timeout").arg(url.toDisplayString()));
    if (code != Exit::Ok) {
        return code;
    }

    Client::Notes notes(session.doc());
    const std::string textName = parser.value(QStringLiteral("text")).toStdString();
    auto findText = [&]() -> std::optional<Crdt::Text> {
        if (plain) {
            return session.doc().getText(textName);
        }
        if (const auto note = title.isEmpty() ? std::nullopt : notes.findByTitle(title)) {
            if (note->body.isValid()) {
                return note->body;
            }
        }
        return std::nullopt;
    };

    if (command == QLatin1String("cat") || command == QLatin1String("export")) {
        QString content;
        if (!plain && title.isEmpty()) {
            for (const auto &note : notes.list()) { // cat without a note lists the notes
                content += note.title + QLatin1Char('\n');
            }
        } else {
            const auto text = findText();
            if (!text) {
                err << tr("tandem: no note titled “%1” in %2").arg(title, url.toDisplayString())
                    << Qt::endl;
                return Exit::NoSuchNote;
            }
            content = QString::fromStdU16String(text->toString());
        }
        if (command == QLatin1String("cat")) {
            out << content;
            out.flush();
            return Exit::Ok;
        }
        QSaveFile file(parser.value(QStringLiteral("output")));
        if (!file.open(QIODevice::WriteOnly) || file.write(content.toUtf8()) < 0
            || !file.commit()) {
            err << tr("tandem: cannot write %1: %2").arg(file.fileName(), file.errorString())
                << Qt::endl;
            return Exit::Failure;
        }
        return Exit::Ok;
    }

    // import
    QFile file(positional.value(2));
    if (!file.open(QIODevice::ReadOnly)) {
        err << tr("tandem: cannot read %1: %2").arg(file.fileName(), file.errorString())
            << Qt::endl;
        return Exit::Failure;
    }
    const QByteArray bytes = file.readAll();
    QStringDecoder utf8(QStringDecoder::Utf8);
    const QString content = utf8.decode(bytes);
    if (utf8.hasError()) {
        err << tr("tandem: %1 is not UTF-8 text").arg(file.fileName()) << Qt::endl;
        return Exit::Failure;
    }
    if (plain) {
        Crdt::Text text = session.doc().getText(textName);
        text.insert(text.length(), content.toStdU16String()); // appended: nothing is replaced
    } else {
        const QString name
                = title.isEmpty() ? QFileInfo(file.fileName()).completeBaseName() : title;
        notes.create(name, qEnvironmentVariable("USER", qEnvironmentVariable("USERNAME")), content);
    }
    code = waitFor(
            session, [&] { return session.provider()->unconfirmedChanges() == 0; }, deadline,
            tr("tandem: the server did not confirm the import to %1 within the timeout")
                    .arg(url.toDisplayString()));
    session.close();
    return code;
}

} // namespace Tandem::App
