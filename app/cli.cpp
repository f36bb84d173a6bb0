// SPDX-License-Identifier: GPL-3.0-or-later
// tandem cat URL [--note TITLE | --text NAME]
// tandem export URL (--note TITLE | --text NAME) -o FILE
// tandem import URL FILE [--note TITLE | --text NAME]
// One-shot clients for scripts: they sync, act, wait until the server confirmed their
// changes, and exit with a code that says what went wrong.
#include "app/cli.h"

#include "app/translations.h"
#include "core/client/notes.h"
#include "core/client/session.h"
#include "core/crdt/text.h"
#include "core/storage/sqliteroomstore.h"

#include <QCommandLineParser>
#include <QCoreApplication>
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

const char *const commands[] = {"cat", "export", "import"};

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
