// SPDX-License-Identifier: GPL-3.0-or-later
// Interop test of `tandem --serve` with the stock Yjs web stack.
//
// The real server binary runs as a child process (its own --data-dir in a QTemporaryDir,
// --port 0, the port read from its "serving rooms at" line), and the clients are unmodified
// y-websocket@3.1.0 providers (tests/js/ywsclient.mjs, one node process each). What it proves:
//
//   concurrentEditsConverge  three providers inserting at the same time, without waiting for
//                            each other, end with the same text and state vector, and nothing
//                            is lost or split.
//   awarenessComesAndGoes    presence states travel between providers; a client that leaves
//                            (cleanly, or killed without a word) is gone for the others at once,
//                            not after Yjs' 30 s awareness timeout.
//   survivesKill9            what the server acknowledged (broadcast) is on disk: after SIGKILL
//                            and a restart on the same port and data dir, a fresh client sees it
//                            from the server alone; the old providers reconnect by themselves,
//                            push their offline edits, and everything ends up everywhere.
//   closeCodesAreFinal       malformed, text and oversized messages and an invalid room name get
//                            the documented 44xx close codes with a reason (which the provider
//                            treats as final), and they do not disturb good clients in the room.
//
// Needs node and tests/js/node_modules (`npm ci` in tests/js); the test fails, never skips,
// when they are missing. TANDEM_NODE=<path> picks the node binary.

#include "core/encoding/any.h"
#include "core/encoding/json.h"
#include "tests/support/nodescript.h"

#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QWebSocket>

#include <functional>
#include <memory>
#include <string>
#include <vector>

using Tandem::Encoding::Any;

namespace {

/// How long a wait for something that must happen may take: generous, so that a loaded machine
/// (node is slow to start, a build may be running) is not mistaken for a server that is stuck.
constexpr int kWaitMs = 15000;
/// How long any single command may take to answer (its own timeout included).
constexpr int kAnswerTimeoutMs = kWaitMs * 2;

bool isOk(const Any &res)
{
    const Any *ok = res.find("ok");
    return ok && ok->type() == Any::Type::Bool && ok->toBool();
}

std::string str(const Any &obj, std::string_view key)
{
    const Any *v = obj.find(key);
    return v && v->type() == Any::Type::String ? v->toString() : std::string();
}

double num(const Any &obj, std::string_view key, double fallback = -1)
{
    const Any *v = obj.find(key);
    return v && v->type() == Any::Type::Number ? v->toNumber() : fallback;
}

size_t arraySize(const Any &obj, std::string_view key)
{
    const Any *v = obj.find(key);
    return v && v->type() == Any::Type::Array ? v->toArray().size() : 0;
}

QString json(const Any &a)
{
    return QString::fromStdString(a.toJson());
}

/// {"cmd": name, ...fields}
Any command(const char *name, Any::Object fields = {})
{
    fields.insert(fields.begin(), Tandem::Encoding::AnyEntry {"cmd", Any(name)});
    return Any::object(std::move(fields));
}

/// A wait command (waitSynced, waitText, waitAwareness) with the kWaitMs timeout.
Any waitCommand(const char *name, Any::Object fields = {})
{
    fields.push_back({"timeoutMs", Any(kWaitMs)});
    return command(name, std::move(fields));
}

Any insertCommand(qsizetype index, const QString &text)
{
    return command("insert", {{"index", Any(double(index))}, {"text", Any(text.toStdString())}});
}

Any userState(const char *name)
{
    return Any::object({{"user", Any::object({{"name", Any(name)}})}});
}

/// `tandem --serve` as a child process. Its stderr (the server log) goes to a file, so a
/// chatty server can never block on a full pipe, and failures can quote it.
class TandemServer
{
public:
    explicit TandemServer(QString logPath) : m_logPath(std::move(logPath)) { }
    ~TandemServer() { stop(); }

    /// Starts the server and waits for its "serving rooms at" line. @p port 0 picks a free one.
    /// On failure *error says why and *portBusy whether it was the port that was taken.
    bool start(const QString &dataDir, quint16 port, const QStringList &extraArgs, QString *error,
               bool *portBusy = nullptr)
    {
        stop();
        if (portBusy) {
            *portBusy = false;
        }
        const qint64 logStart = QFileInfo(m_logPath).size();
        m_proc = std::make_unique<QProcess>();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        m_proc->setProcessEnvironment(env);
        m_proc->setStandardErrorFile(m_logPath, QIODevice::Append);
        QStringList args {QStringLiteral("--serve"), QStringLiteral("--port"),
                          QString::number(port), QStringLiteral("--data-dir"), dataDir};
        args += extraArgs;
        m_proc->start(QStringLiteral(TANDEM_BINARY), args);
        if (!m_proc->waitForStarted(10000)) {
            *error = QStringLiteral("cannot start %1: %2")
                             .arg(QStringLiteral(TANDEM_BINARY), m_proc->errorString());
            return false;
        }
        static const QRegularExpression serving(
                QStringLiteral(R"(serving rooms at ws://127\.0\.0\.1:(\d+)/)"));
        QByteArray out;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 15000) {
            while (m_proc->canReadLine()) {
                const QByteArray line = m_proc->readLine();
                out += line;
                const auto match = serving.match(QString::fromUtf8(line));
                if (match.hasMatch()) {
                    m_port = quint16(match.captured(1).toUInt());
                    return true;
                }
            }
            if (m_proc->state() == QProcess::NotRunning) {
                break;
            }
            m_proc->waitForReadyRead(100);
        }
        out += m_proc->readAll();
        const bool exited = m_proc->state() == QProcess::NotRunning || m_proc->waitForFinished(500);
        const QString log = logSince(logStart);
        if (portBusy) {
            *portBusy = exited && m_proc->exitCode() == 1
                    && log.contains(QStringLiteral("cannot listen"));
        }
        *error = QStringLiteral("tandem --serve %1 without announcing its address\n"
                                "  stdout: %2\n  stderr: %3")
                         .arg(exited ? QStringLiteral("exited with code %1").arg(m_proc->exitCode())
                                     : QStringLiteral("ran 15 s"),
                              QString::fromUtf8(out).trimmed(), log.trimmed());
        stop();
        return false;
    }

    /// start() on a fixed port, retried while the port is still taken (e.g. by the
    /// previous instance's socket that the kernel has not released yet).
    bool restart(const QString &dataDir, quint16 port, const QStringList &extraArgs, QString *error)
    {
        for (int attempt = 0;; ++attempt) {
            bool busy = false;
            if (start(dataDir, port, extraArgs, error, &busy)) {
                if (m_port != port) {
                    *error = QStringLiteral("asked for port %1, the server announced %2")
                                     .arg(port)
                                     .arg(m_port);
                    return false;
                }
                return true;
            }
            if (!busy || attempt == 20) {
                return false;
            }
            QThread::msleep(100);
        }
    }

    /// SIGKILL: no shutdown code runs, nothing is flushed or compacted.
    void kill()
    {
        if (m_proc && m_proc->state() != QProcess::NotRunning) {
            m_proc->kill();
            m_proc->waitForFinished(5000);
        }
    }

    void stop()
    {
        if (m_proc && m_proc->state() != QProcess::NotRunning) {
            m_proc->terminate();
            if (!m_proc->waitForFinished(5000)) {
                kill();
            }
        }
        m_proc.reset();
    }

    quint16 port() const { return m_port; }
    /// The provider's serverUrl (the room is appended with a '/').
    QString url() const { return QStringLiteral("ws://127.0.0.1:%1").arg(m_port); }

    /// The server log, for failure messages (the last lines only).
    QString logTail() const
    {
        const QString log = logSince(0);
        return log.right(3000);
    }

private:
    QString logSince(qint64 offset) const
    {
        QFile f(m_logPath);
        if (!f.open(QIODevice::ReadOnly)) {
            return {};
        }
        f.seek(offset);
        return QString::fromUtf8(f.readAll());
    }

    QString m_logPath;
    std::unique_ptr<QProcess> m_proc;
    quint16 m_port = 0;
};

/// One stock y-websocket provider: a node process running tests/js/ywsclient.mjs, one JSON
/// command per line in, one JSON answer per line out, in order. send() and receive() may be
/// split to have several clients work at the same time.
class YwsClient
{
public:
    explicit YwsClient(QString tag) : m_tag(std::move(tag)) { }

    /// Destroying it ends the client's input: it destroys its provider (closing the socket)
    /// and exits.
    bool start(QString *error)
    {
        return m_script.start(
                QStringLiteral("ywsclient.mjs"),
                {QStringLiteral("yjs"), QStringLiteral("y-websocket"), QStringLiteral("ws")},
                error);
    }

    const QString &tag() const { return m_tag; }
    void send(const Any &cmd) { m_script.send(cmd); }
    /// The answer to the oldest command not answered yet.
    Any receive() { return m_script.receive(kAnswerTimeoutMs); }
    Any exec(const Any &cmd) { return m_script.exec(cmd, kAnswerTimeoutMs); }
    /// SIGKILL: the provider gets no chance to say goodbye (no awareness removal, no close
    /// frame); the kernel just closes its socket.
    void kill() { m_script.kill(); }

private:
    QString m_tag;
    Tandem::Testing::NodeScript m_script;
};

QString failed(const YwsClient &c, const Any &cmd, const Any &res)
{
    return QStringLiteral("client %1: %2 -> %3").arg(c.tag(), json(cmd), json(res));
}

Any connectCommand(const TandemServer &server, const QString &room, const char *name = nullptr)
{
    Any::Object fields {{"url", Any(server.url().toStdString())},
                        {"room", Any(room.toStdString())}};
    if (name) {
        fields.push_back({"name", Any(name)});
    }
    return command("connect", std::move(fields));
}

/// Runs @p cmd on @p client; the test function fails unless it answers ok.
#define MUST(client, cmd)                                                                          \
    do {                                                                                           \
        const Any cmd_ = (cmd);                                                                    \
        const Any res_ = (client).exec(cmd_);                                                      \
        QVERIFY2(isOk(res_), qPrintable(failed((client), cmd_, res_)));                            \
    } while (false)

/// As MUST, keeping the answer in @p var.
#define MUST_GET(var, client, cmd)                                                                 \
    const Any var##Cmd_ = (cmd);                                                                   \
    const Any var = (client).exec(var##Cmd_);                                                      \
    QVERIFY2(isOk(var), qPrintable(failed((client), var##Cmd_, var)))

struct Agreement
{
    bool ok = false;
    QString text;
    QString why; ///< when not ok
};

/// Polls `state` of every client until all have the same text and state vector.
Agreement agree(const std::vector<YwsClient *> &clients, int timeoutMs = 2 * kWaitMs)
{
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        std::vector<Any> states;
        for (YwsClient *c : clients) {
            const Any cmd = command("state");
            Any s = c->exec(cmd);
            if (!isOk(s)) {
                return {false, {}, failed(*c, cmd, s)};
            }
            states.push_back(std::move(s));
        }
        bool same = true;
        for (size_t i = 1; i < states.size(); ++i) {
            same = same && str(states[i], "text") == str(states[0], "text")
                    && str(states[i], "sv") == str(states[0], "sv");
        }
        if (same) {
            return {true, QString::fromStdString(str(states[0], "text")), {}};
        }
        if (timer.elapsed() > timeoutMs) {
            QString why = QStringLiteral("clients did not converge within %1 ms:").arg(timeoutMs);
            for (size_t i = 0; i < states.size(); ++i) {
                why += QStringLiteral("\n  %1: status %2, sv %3, text \"%4\"")
                               .arg(clients[i]->tag(),
                                    QString::fromStdString(str(states[i], "status")),
                                    QString::fromStdString(str(states[i], "sv")),
                                    QString::fromStdString(str(states[i], "text")));
            }
            return {false, {}, why};
        }
        QThread::msleep(50);
    }
}

/// Empty if @p text is made of exactly @p pieces (each once, nothing else), else what is wrong.
QString checkPieces(const QString &text, const QStringList &pieces)
{
    QStringList problems;
    qsizetype total = 0;
    for (const QString &p : pieces) {
        total += p.size();
        const qsizetype n = text.count(p);
        if (n != 1) {
            problems << QStringLiteral("piece \"%1\" occurs %2 times").arg(p).arg(n);
        }
    }
    if (total != text.size()) {
        problems << QStringLiteral("the pieces have %1 UTF-16 units, the text %2")
                            .arg(total)
                            .arg(text.size());
    }
    if (problems.isEmpty()) {
        return {};
    }
    return problems.join(QStringLiteral("; ")) + QStringLiteral("\n  text: \"%1\"").arg(text);
}

/// Where a piece may go without splitting another: the start, and after every "]".
std::vector<qsizetype> boundaries(const QString &text)
{
    std::vector<qsizetype> out {0};
    for (qsizetype i = 0; i < text.size(); ++i) {
        if (text[i] == QLatin1Char(']')) {
            out.push_back(i + 1);
        }
    }
    return out;
}

/// What a raw QWebSocket saw of one connection.
struct RawOutcome
{
    bool opened = false;
    bool closed = false;
    int code = -1;
    QString reason;
    QString error;

    QString describe() const
    {
        return QStringLiteral("opened %1, closed %2, close code %3, reason \"%4\", error \"%5\"")
                .arg(opened)
                .arg(closed)
                .arg(code)
                .arg(reason, error);
    }
};

/// Opens @p url, runs @p onOpen once connected, and waits (event loop running) for the close.
RawOutcome rawSession(const QUrl &url, const std::function<void(QWebSocket &)> &onOpen,
                      int timeoutMs = 5000)
{
    RawOutcome out;
    QWebSocket ws;
    QObject context;
    QObject::connect(&ws, &QWebSocket::connected, &context, [&] {
        out.opened = true;
        if (onOpen) {
            onOpen(ws);
        }
    });
    QObject::connect(&ws, &QWebSocket::disconnected, &context, [&] {
        out.closed = true;
        out.code = int(ws.closeCode());
        out.reason = ws.closeReason();
    });
#if QT_VERSION >= QT_VERSION_CHECK(6, 5, 0)
    QObject::connect(&ws, &QWebSocket::errorOccurred, &context,
                     [&](QAbstractSocket::SocketError) { out.error = ws.errorString(); });
#else
    QObject::connect(&ws, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), &context,
                     [&](QAbstractSocket::SocketError) { out.error = ws.errorString(); });
#endif
    ws.open(url);
    QElapsedTimer timer;
    timer.start();
    while (!out.closed && timer.elapsed() < timeoutMs) {
        QTest::qWait(10);
    }
    if (!out.closed) {
        ws.abort();
    }
    return out;
}

} // namespace

class TstInterop : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void concurrentEditsConverge();
    void awarenessComesAndGoes();
    void survivesKill9();
    void closeCodesAreFinal();

private:
    QTemporaryDir m_tmp;
};

void TstInterop::initTestCase()
{
    QVERIFY2(m_tmp.isValid(), qPrintable(m_tmp.errorString()));
    QVERIFY2(QFile::exists(QStringLiteral(TANDEM_BINARY)),
             "the tandem binary is missing: build the `tandem` target");
    // Fail here, once and clearly, rather than in every test, when node or the modules are
    // missing.
    YwsClient probe(QStringLiteral("probe"));
    QString error;
    QVERIFY2(probe.start(&error), qPrintable(error));
    const Any answer = probe.exec(command("text"));
    QVERIFY2(str(answer, "error").find("not connected") != std::string::npos,
             qPrintable(QStringLiteral("ywsclient.mjs does not answer as expected: ")
                        + json(answer)));
}

void TstInterop::concurrentEditsConverge()
{
    const QString dir = m_tmp.filePath(QStringLiteral("converge"));
    TandemServer server(dir + QStringLiteral(".log"));
    QString error;
    QVERIFY2(server.start(dir, 0, {}, &error), qPrintable(error));

    std::vector<std::unique_ptr<YwsClient>> owned;
    std::vector<YwsClient *> clients;
    for (const char *tag : {"A", "B", "C"}) {
        owned.push_back(std::make_unique<YwsClient>(QLatin1String(tag)));
        clients.push_back(owned.back().get());
        QVERIFY2(clients.back()->start(&error), qPrintable(error));
    }
    for (YwsClient *c : clients) {
        MUST(*c, connectCommand(server, QStringLiteral("notes/a")));
    }
    for (YwsClient *c : clients) {
        MUST(*c, waitCommand("waitSynced"));
    }

    // Each round, every client inserts two pieces at one index, all without waiting for
    // anyone: the inserts cross on the wire, and at the same position the order is decided by
    // Yjs' conflict resolution on every peer. All inserts of a round go at the same boundary
    // of the text agreed before it: the text before that boundary cannot change during the
    // round, so the index is a boundary in every client's view whatever has arrived, and no
    // piece is ever split ("contains every piece" is a fair check). The rounds insert at the
    // start, the end and in the middle. Some pieces are non-ASCII (UTF-16 indices, surrogates).
    const QString flavors[] = {QString(), QStringLiteral("ü"), QStringLiteral("😀")};
    QStringList pieces;
    for (int round = 0; round < 4; ++round) {
        const Agreement agreed = agree(clients);
        QVERIFY2(agreed.ok,
                 qPrintable(QStringLiteral("before round %1: ").arg(round) + agreed.why));
        const auto b = boundaries(agreed.text);
        const qsizetype index = round == 0 ? 0
                : round == 1               ? b.back()
                : round == 2               ? b[b.size() / 2]
                                           : b[1];
        std::vector<std::vector<Any>> sent(clients.size());
        for (int k = 0; k < 2; ++k) {
            for (size_t c = 0; c < clients.size(); ++c) {
                const QString piece = QStringLiteral("[%1%2.%3%4]")
                                              .arg(clients[c]->tag())
                                              .arg(round)
                                              .arg(k)
                                              .arg(flavors[(round + k + c) % 3]);
                pieces << piece;
                sent[c].push_back(insertCommand(index, piece));
                clients[c]->send(sent[c].back());
            }
        }
        for (size_t c = 0; c < clients.size(); ++c) {
            for (const Any &cmd : sent[c]) {
                const Any res = clients[c]->receive();
                QVERIFY2(isOk(res), qPrintable(failed(*clients[c], cmd, res)));
            }
        }
    }

    const Agreement final = agree(clients);
    QVERIFY2(final.ok, qPrintable(final.why));
    for (YwsClient *c : clients) {
        MUST(*c, waitCommand("waitText", {{"text", Any(final.text.toStdString())}}));
    }
    const QString problem = checkPieces(final.text, pieces);
    QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("converged text: ") + problem));
}

void TstInterop::awarenessComesAndGoes()
{
    const QString dir = m_tmp.filePath(QStringLiteral("awareness"));
    TandemServer server(dir + QStringLiteral(".log"));
    QString error;
    QVERIFY2(server.start(dir, 0, {}, &error), qPrintable(error));

    YwsClient a(QStringLiteral("A")), b(QStringLiteral("B")), c(QStringLiteral("C"));
    for (YwsClient *p : {&a, &b, &c}) {
        QVERIFY2(p->start(&error), qPrintable(error));
    }
    const QString room = QStringLiteral("notes/a");
    MUST(a, connectCommand(server, room, "alice"));
    MUST(b, connectCommand(server, room, "bob"));
    MUST(a, waitCommand("waitSynced"));
    MUST(b, waitCommand("waitSynced"));
    MUST_GET(stateA, a, command("state"));
    MUST_GET(stateB, b, command("state"));
    const Any idA(num(stateA, "clientID"));
    const Any idB(num(stateB, "clientID"));

    // The names set before the sockets opened reach the other side.
    MUST(b, waitCommand("waitAwareness", {{"clientID", idA}, {"state", userState("alice")}}));
    MUST(a, waitCommand("waitAwareness", {{"clientID", idB}, {"state", userState("bob")}}));

    // A change of state is relayed.
    const Any withCursor = Any::object(
            {{"user", Any::object({{"name", Any("alice")}})}, {"cursor", Any(nullptr)}});
    MUST(a, command("setAwareness", {{"state", withCursor}}));
    MUST(b, waitCommand("waitAwareness", {{"clientID", idA}, {"state", withCursor}}));

    // A client killed without a word (no awareness removal, no close frame): only the server
    // can tell the others, and it must do so when the socket closes, well before the 30 s
    // awareness timeout.
    MUST(c, connectCommand(server, room, "carol"));
    MUST(c, waitCommand("waitSynced"));
    MUST_GET(stateC, c, command("state"));
    const Any idC(num(stateC, "clientID"));
    MUST(b, waitCommand("waitAwareness", {{"clientID", idC}, {"state", userState("carol")}}));
    c.kill();
    MUST(b,
         command("waitAwareness",
                 {{"clientID", idC}, {"present", Any(false)}, {"timeoutMs", Any(2000)}}));

    // A leaves cleanly.
    MUST(a, command("destroy"));
    MUST(b,
         command("waitAwareness",
                 {{"clientID", idA}, {"present", Any(false)}, {"timeoutMs", Any(2000)}}));
    MUST_GET(left, b, command("awareness"));
    const Any *states = left.find("states");
    QVERIFY2(states && states->type() == Any::Type::Object && states->toObject().size() == 1,
             qPrintable(QStringLiteral("B should only know itself now: ") + json(left)));
}

void TstInterop::survivesKill9()
{
    const QString dir = m_tmp.filePath(QStringLiteral("kill9"));
    TandemServer server(dir + QStringLiteral(".log"));
    QString error;
    QVERIFY2(server.start(dir, 0, {}, &error), qPrintable(error));
    const quint16 port = server.port();
    const QString room = QStringLiteral("notes/kill9");

    YwsClient a(QStringLiteral("A")), b(QStringLiteral("B"));
    YwsClient fresh(QStringLiteral("fresh")), late(QStringLiteral("late"));
    for (YwsClient *p : {&a, &b, &fresh, &late}) {
        QVERIFY2(p->start(&error), qPrintable(error));
    }
    MUST(a, connectCommand(server, room));
    MUST(b, connectCommand(server, room));
    MUST(a, waitCommand("waitSynced"));
    MUST(b, waitCommand("waitSynced"));

    // Concurrent edits at the start of the text (see concurrentEditsConverge for why one index).
    QStringList before;
    for (int k = 0; k < 3; ++k) {
        for (YwsClient *p : {&a, &b}) {
            const QString piece = QStringLiteral("[%1-before-%2]").arg(p->tag()).arg(k);
            before << piece;
            p->send(insertCommand(0, piece));
        }
    }
    for (int k = 0; k < 3; ++k) {
        for (YwsClient *p : {&a, &b}) {
            const Any res = p->receive();
            QVERIFY2(isOk(res), qPrintable(failed(*p, command("insert"), res)));
        }
    }
    const Agreement agreed = agree({&a, &b});
    QVERIFY2(agreed.ok, qPrintable(agreed.why));
    QVERIFY2(checkPieces(agreed.text, before).isEmpty(),
             qPrintable(checkPieces(agreed.text, before)));
    // Both clients hold the other's edits, so the server broadcast them, which it does only
    // after storing them.

    server.kill();

    // The providers notice and retry with exponential backoff: after 200, 400, 800, 1600 ms,
    // then every 2500 ms. Each failed attempt is one more connection-close. Meanwhile each
    // edits offline. Restarting right after the fifth close (their fourth failed retry) leaves
    // 2.5 s before their next attempt, for the fresh client to sync with the server alone.
    QStringList offline;
    QElapsedTimer timer;
    timer.start();
    for (int wanted : {1, 5}) {
        for (YwsClient *p : {&a, &b}) {
            for (;;) {
                MUST_GET(events, *p, command("closeEvents"));
                if (arraySize(events, "events") >= size_t(wanted)) {
                    QVERIFY2(arraySize(events, "closed") == 0,
                             qPrintable(QStringLiteral("client %1 gave up reconnecting: %2")
                                                .arg(p->tag(), json(events))));
                    break;
                }
                QVERIFY2(timer.elapsed() < 20000,
                         qPrintable(QStringLiteral("client %1 did not retry as expected: %2")
                                            .arg(p->tag(), json(events))));
                QThread::msleep(10);
            }
            if (wanted == 1) {
                const QString piece = QStringLiteral("[%1-offline]").arg(p->tag());
                offline << piece;
                MUST(*p, insertCommand(0, piece));
            }
        }
    }

    QVERIFY2(server.restart(dir, port, {}, &error),
             qPrintable(QStringLiteral("restart on port %1: ").arg(port) + error));

    // From the server alone: the commands are queued together, so `state` runs as soon as
    // the provider has synced, before any later message is handled.
    fresh.send(connectCommand(server, room));
    fresh.send(waitCommand("waitSynced"));
    fresh.send(command("state"));
    const Any freshConnect = fresh.receive();
    QVERIFY2(isOk(freshConnect), qPrintable(json(freshConnect)));
    const Any freshSynced = fresh.receive();
    QVERIFY2(isOk(freshSynced),
             qPrintable(QStringLiteral("fresh client after restart: ") + json(freshSynced)
                        + QStringLiteral("\nserver log:\n") + server.logTail()));
    const Any freshState = fresh.receive();
    QVERIFY2(isOk(freshState), qPrintable(json(freshState)));
    const QString seen = QString::fromStdString(str(freshState, "text"));
    bool oldClientFirst = false;
    for (const QString &piece : offline) {
        oldClientFirst = oldClientFirst || seen.contains(piece);
    }
    QVERIFY2(!oldClientFirst,
             qPrintable(QStringLiteral("inconclusive (test timing, not the server): an old "
                                       "client reconnected before the fresh one synced: \"%1\"")
                                .arg(seen)));
    QVERIFY2(seen == agreed.text,
             qPrintable(QStringLiteral("after SIGKILL and restart the server lost acknowledged "
                                       "edits:\n  agreed before the kill: \"%1\"\n  served "
                                       "after restart:     \"%2\"\nserver log:\n%3")
                                .arg(agreed.text, seen, server.logTail())));

    // The old providers come back by themselves and push their offline edits.
    for (YwsClient *p : {&a, &b}) {
        MUST(*p, waitCommand("waitSynced"));
        MUST_GET(events, *p, command("closeEvents"));
        QVERIFY2(arraySize(events, "closed") == 0,
                 qPrintable(QStringLiteral("client %1 got a final close: %2")
                                    .arg(p->tag(), json(events))));
    }

    // More edits after the restart, at both ends of the text.
    QStringList after;
    for (int k = 0; k < 2; ++k) {
        for (YwsClient *p : {&a, &b}) {
            const QString piece = QStringLiteral("[%1-after-%2]").arg(p->tag()).arg(k);
            after << piece;
            p->send(insertCommand(0, piece));
        }
    }
    for (int k = 0; k < 2; ++k) {
        for (YwsClient *p : {&a, &b}) {
            const Any res = p->receive();
            QVERIFY2(isOk(res), qPrintable(failed(*p, command("insert"), res)));
        }
    }
    const Agreement settled = agree({&a, &b, &fresh});
    QVERIFY2(settled.ok, qPrintable(settled.why));

    // A client joining now sees every edit: before the kill, offline, after the restart.
    MUST(late, connectCommand(server, room));
    MUST(late, waitCommand("waitSynced"));
    const Agreement all = agree({&a, &b, &fresh, &late});
    QVERIFY2(all.ok, qPrintable(all.why));
    const QString problem = checkPieces(all.text, before + offline + after);
    QVERIFY2(problem.isEmpty(), qPrintable(QStringLiteral("after the restart: ") + problem));
}

void TstInterop::closeCodesAreFinal()
{
    const QString dir = m_tmp.filePath(QStringLiteral("closecodes"));
    TandemServer server(dir + QStringLiteral(".log"));
    QString error;
    QVERIFY2(server.start(dir, 0, {QStringLiteral("--max-message-bytes"), QStringLiteral("4096")},
                          &error),
             qPrintable(error));
    const QString room = QStringLiteral("notes/a");
    const QUrl roomUrl(server.url() + QStringLiteral("/") + room);

    // Two good clients in the room the bad ones abuse.
    YwsClient writer(QStringLiteral("writer")), reader(QStringLiteral("reader"));
    for (YwsClient *p : {&writer, &reader}) {
        QVERIFY2(p->start(&error), qPrintable(error));
        MUST(*p, connectCommand(server, room));
    }
    for (YwsClient *p : {&writer, &reader}) {
        MUST(*p, waitCommand("waitSynced"));
    }
    QString text;
    auto stillWorks = [&](const char *after) {
        const QString piece = QStringLiteral("[after %1]").arg(QLatin1String(after));
        const Any insert = insertCommand(text.size(), piece);
        text += piece;
        const Any wait = waitCommand("waitText", {{"text", Any(text.toStdString())}});
        const Any inserted = writer.exec(insert);
        if (!isOk(inserted)) {
            return failed(writer, insert, inserted);
        }
        const Any seen = reader.exec(wait);
        return isOk(seen) ? QString() : failed(reader, wait, seen);
    };

    struct Case
    {
        const char *what;
        QUrl url;
        std::function<void(QWebSocket &)> send;
        int code;
    };
    const Case cases[] = {
            {"a malformed binary message (sync message, unknown step 7)", roomUrl,
             [](QWebSocket &ws) { ws.sendBinaryMessage(QByteArray::fromHex("0007")); }, 4400},
            {"a text message", roomUrl,
             [](QWebSocket &ws) { ws.sendTextMessage(QStringLiteral("hello")); }, 4400},
            {"an 8 KiB message with --max-message-bytes 4096", roomUrl,
             [](QWebSocket &ws) { ws.sendBinaryMessage(QByteArray(8192, '\0')); }, 4413},
            {"a room name of 600 characters",
             QUrl(server.url() + QStringLiteral("/") + QString(600, QLatin1Char('r'))),
             {},
             4404},
    };
    for (const Case &c : cases) {
        const RawOutcome out = rawSession(c.url, c.send);
        QVERIFY2(out.closed && out.code == c.code && !out.reason.isEmpty(),
                 qPrintable(QStringLiteral("%1: expected close code %2 with a reason, got: %3")
                                    .arg(QLatin1String(c.what))
                                    .arg(c.code)
                                    .arg(out.describe())));
        const QString problem = stillWorks(c.what);
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
    }

    // The stock provider takes a 44xx close as final: one 'closed' event, no retries.
    YwsClient lost(QStringLiteral("lost"));
    QVERIFY2(lost.start(&error), qPrintable(error));
    MUST(lost, connectCommand(server, QString(600, QLatin1Char('r'))));
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        MUST_GET(events, lost, command("closeEvents"));
        if (arraySize(events, "closed") > 0) {
            const Any &closed = events.find("closed")->toArray().front();
            QVERIFY2(num(closed, "code") == 4404 && !str(closed, "reason").empty(),
                     qPrintable(QStringLiteral("provider on a 600-character room: ")
                                + json(events)));
            break;
        }
        QVERIFY2(timer.elapsed() < 5000,
                 qPrintable(QStringLiteral("provider on a 600-character room was not closed: ")
                            + json(events)));
        QThread::msleep(20);
    }
    QThread::msleep(1500); // a retry would come after 200 ms
    MUST_GET(later, lost, command("closeEvents"));
    MUST_GET(lostState, lost, command("state"));
    QVERIFY2(arraySize(later, "events") == 1 && arraySize(later, "closed") == 1,
             qPrintable(QStringLiteral("the provider retried after 4404: ") + json(later)));
    const Any *should = lostState.find("shouldConnect");
    QVERIFY2(should && should->type() == Any::Type::Bool && !should->toBool(),
             qPrintable(json(lostState)));

    // The good clients were never disturbed.
    for (YwsClient *p : {&writer, &reader}) {
        MUST_GET(events, *p, command("closeEvents"));
        QVERIFY2(arraySize(events, "events") == 0,
                 qPrintable(QStringLiteral("client %1 lost its connection: %2")
                                    .arg(p->tag(), json(events))));
    }
}

QTEST_GUILESS_MAIN(TstInterop)
#include "tst_interop.moc"
