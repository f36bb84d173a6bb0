// SPDX-License-Identifier: GPL-3.0-or-later
// Room server benchmark (not a test): the same scenarios against `tandem --serve` and against
// the reference server (@y/websocket-server 0.1.1 on yjs 13.6.33, tests/js/reference-server.mjs),
// in the same run, with this C++ load generator:
//   sync       time for a new client to receive a room holding the automerge-paper document
//   ingest     the automerge-paper trace sent as live updates; time until the server applied all
//   broadcast  10 and 100 clients in one room, ramping the update rate; highest rate with
//              p99 fan-out latency <= 50 ms and no lost update; server CPU per delivery
//   idle       many idle connections over many rooms; server memory per connection
//   flood      two clients editing while a third floods the room (tandem with its default
//              limits); their latency before and during
// Usage: bench_server [--quick] [--only tandem|reference] [--flood (only that)]
//                     [--profile-broadcast <clients> <rate> [--batch-ms <ms>]]
// The generator shares the two cores with the server: past ~50-70k deliveries/s it measures
// itself. Linux only (reads /proc for CPU time and memory).

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/crdt/update.h"
#include "core/encoding/decoder.h"
#include "core/protocol/messages.h"
#include "tests/bench/traces.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

using namespace Tandem;

namespace {

QByteArray qbytes(std::span<const uint8_t> s)
{
    return QByteArray(reinterpret_cast<const char *>(s.data()), qsizetype(s.size()));
}

bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer t;
    t.start();
    while (!done()) {
        if (t.elapsed() > timeoutMs) {
            return false;
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

double cpuMs(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly)) {
        return 0;
    }
    const QByteArray s = f.readAll();
    const auto fields = s.mid(s.lastIndexOf(')') + 2).split(' ');
    // After the command: state is field 3; utime and stime are fields 14 and 15.
    const double ticks = fields.value(11).toDouble() + fields.value(12).toDouble();
    return ticks * 1000.0 / double(sysconf(_SC_CLK_TCK));
}

double rssKb(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/status").arg(pid));
    if (!f.open(QIODevice::ReadOnly)) {
        return 0;
    }
    for (const QByteArray &line : f.readAll().split('\n')) {
        if (line.startsWith("VmRSS:")) {
            return line.mid(6).trimmed().split(' ').value(0).toDouble();
        }
    }
    return 0;
}

/// A server under test, in its own process.
struct Server
{
    QString name;
    QProcess proc;
    QUrl url;
    QTemporaryDir dir;

    /// @p defaultLimits: tandem with its abuse limits as shipped (else off: the reference has
    /// none, and the load comes from one address as fast as it can).
    bool start(bool tandem, const QStringList &extraArgs = {}, bool defaultLimits = false)
    {
        proc.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("tandem.server.info=false"));
        proc.setProcessEnvironment(env);
        if (tandem) {
            name = QStringLiteral("tandem");
            QStringList args {QStringLiteral("--serve"),
                              QStringLiteral("--port"),
                              QStringLiteral("0"),
                              QStringLiteral("--data-dir"),
                              dir.path(),
                              QStringLiteral("--max-message-bytes"),
                              QString::number(64 * 1024 * 1024)};
            if (!defaultLimits) {
                args << QStringLiteral("--max-connections-per-address") << QStringLiteral("0")
                     << QStringLiteral("--max-messages-per-second") << QStringLiteral("0")
                     << QStringLiteral("--max-bytes-per-second") << QStringLiteral("0");
            }
            proc.start(QStringLiteral(TANDEM_BINARY), args + extraArgs);
        } else {
            name = QStringLiteral("reference");
            proc.setWorkingDirectory(QStringLiteral(TANDEM_SOURCE_DIR "/tests/js"));
            proc.start(QStringLiteral("node"),
                       {QStringLiteral("reference-server.mjs"), QStringLiteral("--host"),
                        QStringLiteral("127.0.0.1"), QStringLiteral("--port"),
                        QStringLiteral("0")});
        }
        if (!proc.waitForStarted(10000)) {
            return false;
        }
        QByteArray out;
        while (proc.waitForReadyRead(10000)) {
            out += proc.readAll();
            const int at = out.indexOf("ws://");
            if (at >= 0 && out.indexOf('\n', at) > 0) {
                QByteArray u = out.mid(at, out.indexOf('\n', at) - at);
                u = u.left(u.indexOf('"') >= 0 ? u.indexOf('"') : u.size());
                u = u.left(u.indexOf('<') >= 0 ? u.indexOf('<') : u.size());
                url = QUrl(QString::fromLatin1(u.trimmed()));
                return true;
            }
        }
        return false;
    }
    ~Server()
    {
        proc.terminate();
        if (!proc.waitForFinished(5000)) {
            proc.kill();
            proc.waitForFinished();
        }
    }
    QUrl room(const QString &r) const
    {
        QUrl u = url;
        u.setPath(QLatin1Char('/') + r);
        return u;
    }
};

/// A lean protocol client: counts what arrives, hands sync payloads to a callback.
class Client : public QObject
{
public:
    Client()
    {
        connect(&ws, &QWebSocket::binaryMessageReceived, this, [this](const QByteArray &m) {
            ++received;
            if (onMessage) {
                onMessage(m);
            }
        });
        connect(&ws, &QWebSocket::connected, this, [this] { connected = true; });
    }
    QWebSocket ws;
    bool connected = false;
    int64_t received = 0;
    std::function<void(const QByteArray &)> onMessage;
};

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double percentile(std::vector<double> &v, double p)
{
    if (v.empty()) {
        return 0;
    }
    std::sort(v.begin(), v.end());
    return v[std::min(v.size() - 1, size_t(p * double(v.size())))];
}

/// Cluster mode: a second instance that half of the clients join (CPU counts both).
Server *g_second = nullptr;

double serversCpuMs(Server &s)
{
    return cpuMs(s.proc.processId()) + (g_second ? cpuMs(g_second->proc.processId()) : 0.0);
}

struct Results
{
    double syncMs = 0;
    double ingestPerSec = 0;
    double ingestCpuUsPerUpdate = 0;
    struct Broadcast
    {
        int clients = 0;
        double bestRate = 0;
        double p99AtBest = 0;
        double cpuUsPerDelivery = 0; ///< at its own highest sustained rate
        std::vector<std::pair<double, QString>> steps;
        std::map<double, std::pair<double, double>> sustained; ///< rate -> (cpu us, p99 ms)
    };
    std::vector<Broadcast> broadcast;
    double idleKbPerConnection = 0;
};

/// Sends the automerge-paper room, then times fresh clients receiving it.
double runSync(Server &s, const QByteArray &state)
{
    Client seed;
    bool echoed = false;
    seed.onMessage = [&](const QByteArray &m) { echoed = echoed || m.size() > state.size() / 2; };
    seed.ws.open(s.room(QStringLiteral("sync")));
    waitUntil([&] { return seed.connected; }, 10000);
    seed.ws.sendBinaryMessage(qbytes(Protocol::encodeSyncUpdate(
            {reinterpret_cast<const uint8_t *>(state.constData()), size_t(state.size())})));
    waitUntil([&] { return echoed; }, 30000);
    std::vector<double> times;
    for (int i = 0; i < 7; ++i) {
        Client c;
        bool got = false;
        c.onMessage = [&](const QByteArray &m) {
            const auto msg = Protocol::decodeMessage(
                    {reinterpret_cast<const uint8_t *>(m.constData()), size_t(m.size())});
            got = got
                    || (msg && msg->type == Protocol::MessageType::Sync
                        && msg->step == Protocol::SyncStep::Step2 && msg->payload.size() > 1000);
        };
        QElapsedTimer t;
        t.start();
        QObject::connect(&c.ws, &QWebSocket::connected, &c, [&c] {
            c.ws.sendBinaryMessage(qbytes(Protocol::encodeSyncStep1(std::vector<uint8_t> {0})));
        });
        c.ws.open(s.room(QStringLiteral("sync")));
        if (!waitUntil([&] { return got; }, 30000)) {
            return -1;
        }
        times.push_back(double(t.nsecsElapsed()) / 1e6);
        c.ws.close();
    }
    return median(times);
}

/// Streams every edit of the trace as a live update, then asks for step 2: the server
/// answers in order, so the answer means everything before it was applied.
std::pair<double, double> runIngest(Server &s, const std::vector<QByteArray> &updates)
{
    Client c;
    bool done = false;
    c.onMessage = [&](const QByteArray &m) {
        if (m.size() >= 2 && m[0] == 0 && m[1] == 1) {
            done = true;
        }
    };
    c.ws.open(s.room(QStringLiteral("ingest")));
    waitUntil([&] { return c.connected; }, 10000);
    waitUntil([&] { return c.received > 0; }, 10000); // the server's step 1
    const double cpu0 = serversCpuMs(s);
    QElapsedTimer t;
    t.start();
    for (const auto &u : updates) {
        c.ws.sendBinaryMessage(u);
    }
    c.ws.sendBinaryMessage(qbytes(Protocol::encodeSyncStep1(std::vector<uint8_t> {0})));
    if (!waitUntil([&] { return done; }, 600000)) {
        return {-1, 0};
    }
    const double secs = double(t.nsecsElapsed()) / 1e9;
    const double cpu = cpuMs(s.proc.processId()) - cpu0;
    return {double(updates.size()) / secs, cpu * 1000.0 / double(updates.size())};
}

struct StepResult
{
    double p99 = 0;
    bool lost = false;
    double achievedRate = 0;
    double cpuUsPerDelivery = 0;
};

/// N clients, @p rate updates per second in total for @p seconds; every update goes to all N.
StepResult runBroadcastStep(Server &s, std::vector<std::unique_ptr<Client>> &clients,
                            std::vector<std::unique_ptr<Crdt::Doc>> &docs, double rate,
                            double seconds)
{
    QHash<quint64, qint64> sentAt; // (client, clock) -> ns
    std::vector<double> latencies;
    latencies.reserve(size_t(rate * seconds * double(clients.size())) + 16);
    QElapsedTimer clock;
    clock.start();
    int64_t delivered = 0;
    for (auto &c : clients) {
        c->onMessage = [&](const QByteArray &m) {
            if (m.size() < 4 || m[0] != 0 || m[1] != 2) {
                return;
            }
            const auto msg = Protocol::decodeMessage(
                    {reinterpret_cast<const uint8_t *>(m.constData()), size_t(m.size())});
            const auto update = msg ? Crdt::decodeUpdate(msg->payload) : std::nullopt;
            if (!update) {
                return;
            }
            // The server may merge updates that arrived together: count every struct.
            const qint64 now = clock.nsecsElapsed();
            for (const auto &[client, refs] : update->clients) {
                for (const auto &ref : refs) {
                    for (uint64_t k = 0; k < ref.length; ++k) {
                        auto it = sentAt.constFind((quint64(client) << 32) ^ (ref.id.clock + k));
                        if (it != sentAt.constEnd()) {
                            latencies.push_back(double(now - it.value()) / 1e6);
                            ++delivered;
                        }
                    }
                }
            }
        };
    }
    // Pre-made updates: one single-character insert per client and send.
    const size_t total = size_t(rate * seconds);
    std::vector<std::pair<size_t, QByteArray>> plan;
    plan.reserve(total);
    for (size_t i = 0; i < total; ++i) {
        const size_t who = i % clients.size();
        QByteArray frame;
        const auto id
                = docs[who]->onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
                      frame = qbytes(Protocol::encodeSyncUpdate(u));
                  });
        // Each client types at the end of what it wrote (as people type in their own
        // paragraph). Inserting at 0 instead makes every update scan the whole list (YATA
        // conflict resolution over all items with the same origin) in both servers, which
        // measures the CRDT's worst case, not the server.
        Crdt::Text text = docs[who]->getText("text");
        text.insert(text.length(), u"x");
        docs[who]->unsubscribe(id);
        plan.emplace_back(who, frame);
    }
    const double cpu0 = serversCpuMs(s);
    size_t next = 0;
    const qint64 start = clock.nsecsElapsed();
    while (next < plan.size()) {
        const double elapsed = double(clock.nsecsElapsed() - start) / 1e9;
        const size_t due = std::min(plan.size(), size_t(elapsed * rate) + 1);
        for (; next < due; ++next) {
            auto &[who, frame] = plan[next];
            clients[who]->ws.sendBinaryMessage(frame);
            // Key by decoding the frame itself (robust to how the clock was assigned).
            Encoding::Decoder f(
                    {reinterpret_cast<const uint8_t *>(frame.constData()), size_t(frame.size())});
            f.readVarUint();
            f.readVarUint();
            f.readVarUint();
            f.readVarUint();
            f.readVarUint();
            const quint64 c = f.readVarUint();
            const quint64 k = f.readVarUint();
            sentAt.insert((c << 32) ^ k, clock.nsecsElapsed());
        }
        QCoreApplication::processEvents(QEventLoop::AllEvents, 1);
    }
    const int64_t expected = int64_t(plan.size()) * int64_t(clients.size());
    waitUntil([&] { return delivered >= expected; }, 3000);
    StepResult r;
    const double secs = double(clock.nsecsElapsed() - start) / 1e9;
    r.achievedRate = double(plan.size()) / std::max(seconds, secs - 3.0 * (delivered < expected));
    r.lost = delivered < expected;
    r.p99 = percentile(latencies, 0.99);
    r.cpuUsPerDelivery
            = (serversCpuMs(s) - cpu0) * 1000.0 / double(std::max<int64_t>(1, delivered));
    for (auto &c : clients) {
        c->onMessage = nullptr;
    }
    return r;
}

Results::Broadcast runBroadcast(Server &s, int n, const std::vector<double> &rates, double seconds)
{
    Results::Broadcast out;
    out.clients = n;
    std::vector<std::unique_ptr<Client>> clients;
    std::vector<std::unique_ptr<Crdt::Doc>> docs;
    const QString room = QStringLiteral("broadcast-%1").arg(n);
    for (int i = 0; i < n; ++i) {
        clients.push_back(std::make_unique<Client>());
        docs.push_back(std::make_unique<Crdt::Doc>(Crdt::ClientId(1000 + i)));
        clients.back()->ws.open(g_second && i % 2 ? g_second->room(room) : s.room(room));
    }
    waitUntil(
            [&] {
                return std::all_of(clients.begin(), clients.end(),
                                   [](auto &c) { return c->received > 0; });
            },
            20000);
    for (double rate : rates) {
        const StepResult r = runBroadcastStep(s, clients, docs, rate, seconds);
        const bool ok = !r.lost && r.p99 <= 50.0 && r.achievedRate >= 0.9 * rate;
        out.steps.push_back(
                {rate,
                 QStringLiteral("%1/s: p99 %2 ms, %3, cpu %4 us/delivery%5")
                         .arg(rate)
                         .arg(r.p99, 0, 'f', 1)
                         .arg(r.lost ? QStringLiteral("LOST updates") : QStringLiteral("none lost"))
                         .arg(r.cpuUsPerDelivery, 0, 'f', 2)
                         .arg(ok ? QString() : QStringLiteral(" (not sustained)"))});
        if (!ok) {
            break;
        }
        out.bestRate = rate;
        out.p99AtBest = r.p99;
        out.sustained[rate] = {r.cpuUsPerDelivery, r.p99};
        out.cpuUsPerDelivery = r.cpuUsPerDelivery;
    }
    for (auto &c : clients) {
        c->ws.close();
    }
    waitUntil([] { return false; }, 300);
    return out;
}

/// The kernel's share of one delivery, measured here: CPU time of one send() of a small
/// frame to a loopback TCP socket, spread over @p sockets connections as a broadcast does.
/// Whatever sends one write per delivery cannot go below this.
struct FloodResult
{
    double quiet50 = -1, quiet99 = -1, flood50 = -1, flood99 = -1;
};

/// Two clients edit (A types, B receives; the time between is the latency) while a third
/// sends 50,000 one-character updates into the same room as fast as its socket takes them.
FloodResult runFlood(Server &s)
{
    Client a, b, flooder;
    QElapsedTimer clock;
    clock.start();
    std::vector<qint64> arrivals; // when B got each of A's edits (told apart by their size)
    b.onMessage = [&](const QByteArray &m) {
        if (m.size() > 60 && m[0] == 0 && m[1] == 2) {
            arrivals.push_back(clock.nsecsElapsed());
        }
    };
    for (Client *c : {&a, &b, &flooder}) {
        c->ws.open(s.room(QStringLiteral("flood")));
    }
    if (!waitUntil([&] { return a.connected && b.connected && flooder.connected; }, 10000)) {
        return {};
    }
    Crdt::Doc docA(1);
    QByteArray lastA;
    docA.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
        lastA = qbytes(Protocol::encodeSyncUpdate(u));
    });
    auto measure = [&](int edits) {
        std::vector<double> ms;
        for (int i = 0; i < edits; ++i) {
            const size_t before = arrivals.size();
            const qint64 t0 = clock.nsecsElapsed();
            docA.getText("text").insert(0, std::u16string(64, u'a'));
            a.ws.sendBinaryMessage(lastA);
            if (!waitUntil([&] { return arrivals.size() > before; }, 30000)) {
                break;
            }
            ms.push_back(double(arrivals[before] - t0) / 1e6);
            waitUntil([] { return false; }, 10);
        }
        return ms;
    };
    FloodResult r;
    auto quiet = measure(100);
    std::vector<QByteArray> flood;
    {
        Crdt::Doc f(2);
        f.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
            flood.push_back(qbytes(Protocol::encodeSyncUpdate(u)));
        });
        for (int i = 0; i < 50000; ++i) {
            f.getText("flood").insert(0, u"f");
        }
    }
    for (const QByteArray &u : flood) {
        flooder.ws.sendBinaryMessage(u);
    }
    auto flooded = measure(100);
    if (quiet.size() == 100 && flooded.size() == 100) {
        r.quiet50 = percentile(quiet, 0.5);
        r.quiet99 = percentile(quiet, 0.99);
        r.flood50 = percentile(flooded, 0.5);
        r.flood99 = percentile(flooded, 0.99);
    }
    return r;
}

double loopbackSendFloorUs(int sockets)
{
    QTcpServer listener;
    listener.listen(QHostAddress::LocalHost, 0);
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    std::vector<QTcpSocket *> accepted;
    for (int i = 0; i < sockets; ++i) {
        clients.push_back(std::make_unique<QTcpSocket>());
        clients.back()->connectToHost(QHostAddress::LocalHost, listener.serverPort());
    }
    waitUntil(
            [&] {
                while (QTcpSocket *a = listener.nextPendingConnection()) {
                    a->setSocketOption(QAbstractSocket::LowDelayOption, 1);
                    accepted.push_back(a);
                }
                return int(accepted.size()) == sockets;
            },
            5000);
    const char frame[32] = {char(0x82), 30};
    constexpr int rounds = 200; // 6 KB per socket: fits the receive buffers, nobody reads
    timespec t0, t1;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0);
    for (int r = 0; r < rounds; ++r) {
        for (QTcpSocket *a : accepted) {
            (void)::send(int(a->socketDescriptor()), frame, sizeof frame, MSG_NOSIGNAL);
        }
    }
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1);
    const double us = double(t1.tv_sec - t0.tv_sec) * 1e6 + double(t1.tv_nsec - t0.tv_nsec) / 1e3;
    return us / double(rounds * int(accepted.size()));
}

double runIdle(Server &s, int connections, int rooms)
{
    waitUntil([] { return false; }, 500);
    const double before = rssKb(s.proc.processId());
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < connections; ++i) {
        clients.push_back(std::make_unique<Client>());
        clients.back()->ws.open(s.room(QStringLiteral("idle-%1").arg(i % rooms)));
    }
    waitUntil(
            [&] {
                return std::all_of(clients.begin(), clients.end(),
                                   [](auto &c) { return c->received > 0; });
            },
            60000);
    waitUntil([] { return false; }, 1000);
    const double after = rssKb(s.proc.processId());
    for (auto &c : clients) {
        c->ws.close();
    }
    waitUntil([] { return false; }, 500);
    return (after - before) / double(connections);
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const bool quick = args.contains(QStringLiteral("--quick"));
    const QString only = args.indexOf(QStringLiteral("--only")) > 0
            ? args.value(args.indexOf(QStringLiteral("--only")) + 1)
            : QString();

    // The automerge-paper document and its edits as live updates.
    const Bench::Trace trace = Bench::loadTrace(
            QStringLiteral(TANDEM_SOURCE_DIR "/tests/data/traces/automerge-paper.json.gz"));
    std::vector<QByteArray> updates;
    Crdt::Doc doc(3000000000u);
    doc.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
        updates.push_back(qbytes(Protocol::encodeSyncUpdate(u)));
    });
    for (const auto &txn : trace.txns) {
        Bench::applyTxn(doc, doc.getText("text"), txn);
    }
    const QByteArray state = qbytes(doc.encodeStateAsUpdate());
    std::printf("Room server: tandem --serve vs @y/websocket-server 0.1.1 (yjs 13.6.33, node %s), "
                "same machine, same run\n",
                qPrintable(QString::fromLatin1(qgetenv("NODE_VERSION"))));
    std::fflush(stdout);

    const std::vector<double> rates100 = quick
            ? std::vector<double> {100, 500}
            : std::vector<double> {100, 250, 500, 1000, 1500, 2000, 3000, 4000, 6000};
    const std::vector<double> rates10 = quick
            ? std::vector<double> {500, 2000}
            : std::vector<double> {500, 1000, 2000, 5000, 10000, 20000};
    const double stepSeconds = quick ? 1.0 : 2.0;
    // A flood from one client while two others edit: tandem with its default limits.
    std::map<QString, FloodResult> floods;
    for (bool tandem : {true, false}) {
        Server s;
        if (s.start(tandem, {}, true) && (only.isEmpty() || s.name == only)) {
            floods[s.name] = runFlood(s);
            const FloodResult &f = floods[s.name];
            std::printf("  [%s] flood: quiet p50 %.2f p99 %.2f ms, flooded p50 %.2f p99 %.2f ms\n",
                        qPrintable(s.name), f.quiet50, f.quiet99, f.flood50, f.flood99);
            std::fflush(stdout);
        }
    }
    if (args.contains(QStringLiteral("--flood"))) {
        return 0;
    }
    std::map<QString, Results> results;
    // --batch-ms N: start the tandem server with it (for --profile-broadcast).
    QStringList tandemArgs;
    if (const int at = int(args.indexOf(QStringLiteral("--batch-ms"))); at > 0) {
        tandemArgs << QStringLiteral("--batch-ms") << args.value(at + 1);
    }
    for (bool tandem : {true, false}) {
        Server s;
        if (!s.start(tandem, tandem ? tandemArgs : QStringList())) {
            std::printf("cannot start the %s server\n", tandem ? "tandem" : "reference");
            return 1;
        }
        if (!only.isEmpty() && s.name != only) {
            continue;
        }
        Results &r = results[s.name];
        if (const int at = int(args.indexOf(QStringLiteral("--profile-broadcast"))); at > 0) {
            // Only a steady broadcast (for attaching a profiler to the server).
            const int n = args.value(at + 1).toInt();
            const double rate = args.value(at + 2).toDouble();
            std::printf("  [%s] server pid %lld\n", qPrintable(s.name), s.proc.processId());
            std::fflush(stdout);
            const auto b = runBroadcast(s, n, {rate, rate, rate, rate, rate}, 2.0);
            for (const auto &[rt, line] : b.steps) {
                std::printf("  [%s] %d clients %s\n", qPrintable(s.name), n, qPrintable(line));
            }
            continue;
        }
        r.syncMs = runSync(s, state);
        std::printf("  [%s] sync %.1f ms\n", qPrintable(s.name), r.syncMs);
        std::fflush(stdout);
        std::vector<QByteArray> ingest = updates;
        if (quick) {
            ingest.resize(20000);
        }
        std::tie(r.ingestPerSec, r.ingestCpuUsPerUpdate) = runIngest(s, ingest);
        std::printf("  [%s] ingest %.0f updates/s\n", qPrintable(s.name), r.ingestPerSec);
        std::fflush(stdout);
        r.broadcast.push_back(runBroadcast(s, 10, rates10, stepSeconds));
        r.broadcast.push_back(runBroadcast(s, 100, rates100, stepSeconds));
        for (const auto &b : r.broadcast) {
            for (const auto &[rate, line] : b.steps) {
                std::printf("  [%s] %d clients %s\n", qPrintable(s.name), b.clients,
                            qPrintable(line));
            }
        }
        // Idle memory on a fresh process: after the other scenarios a heap that grew and shrank
        // absorbs new connections without growing, which would flatter either server.
        Server fresh;
        if (!fresh.start(tandem)) {
            std::printf("cannot restart the %s server\n", qPrintable(s.name));
            return 1;
        }
        r.idleKbPerConnection = runIdle(fresh, quick ? 500 : 2000, 100);
        std::printf("  [%s] idle %.1f KB per connection\n", qPrintable(s.name),
                    r.idleKbPerConnection);
        std::fflush(stdout);
    }
    if (results.size() == 2) {
        const Results &t = results[QStringLiteral("tandem")];
        const Results &y = results[QStringLiteral("reference")];
        auto ratio = [](double a, double b) { return b > 0 ? a / b : 0.0; };
        std::printf("\n  sync automerge-paper room : tandem %8.1f ms | reference %8.1f ms | %5.1fx "
                    "faster\n",
                    t.syncMs, y.syncMs, ratio(y.syncMs, t.syncMs));
        std::printf("  ingest automerge-paper    : tandem %8.0f /s | reference %8.0f /s | %5.1fx "
                    "the rate\n",
                    t.ingestPerSec, y.ingestPerSec, ratio(t.ingestPerSec, y.ingestPerSec));
        std::printf("  ingest server CPU/update  : tandem %8.2f us | reference %8.2f us | %5.1fx "
                    "less\n",
                    t.ingestCpuUsPerUpdate, y.ingestCpuUsPerUpdate,
                    ratio(y.ingestCpuUsPerUpdate, t.ingestCpuUsPerUpdate));
        for (size_t i = 0; i < t.broadcast.size() && i < y.broadcast.size(); ++i) {
            std::printf("  broadcast, %3d clients   : tandem %8.0f /s | reference %8.0f /s | "
                        "%5.1fx the rate"
                        " (highest with p99 <= 50 ms, none lost; p99 %.1f vs %.1f ms)\n",
                        t.broadcast[i].clients, t.broadcast[i].bestRate, y.broadcast[i].bestRate,
                        ratio(t.broadcast[i].bestRate, y.broadcast[i].bestRate),
                        t.broadcast[i].p99AtBest, y.broadcast[i].p99AtBest);
            std::printf("  CPU per delivery, %3d cl. : tandem %8.2f us | reference %8.2f us | "
                        "%5.1fx less"
                        " (each at its highest sustained rate)\n",
                        t.broadcast[i].clients, t.broadcast[i].cpuUsPerDelivery,
                        y.broadcast[i].cpuUsPerDelivery,
                        ratio(y.broadcast[i].cpuUsPerDelivery, t.broadcast[i].cpuUsPerDelivery));
        }
        for (size_t i = 0; i < t.broadcast.size() && i < y.broadcast.size(); ++i) {
            // Equal load: the highest rate both sustained.
            const auto &tb = t.broadcast[i].sustained;
            const auto &yb = y.broadcast[i].sustained;
            for (auto it = yb.rbegin(); it != yb.rend(); ++it) {
                const auto match = tb.find(it->first);
                if (match == tb.end()) {
                    continue;
                }
                std::printf("  CPU/delivery, equal load : tandem %8.2f us | reference %8.2f us | "
                            "%5.1fx less (%d clients at %.0f/s; p99 %.1f vs %.1f ms)\n",
                            match->second.first, it->second.first,
                            ratio(it->second.first, match->second.first), t.broadcast[i].clients,
                            it->first, match->second.second, it->second.second);
                break;
            }
        }
        // The same 100-client ramp against a server that batches: CPU for latency.
        Server batched;
        if (batched.start(true, {QStringLiteral("--batch-ms"), QStringLiteral("8")})) {
            const auto b = runBroadcast(batched, 100, rates100, stepSeconds);
            const auto &yb
                    = y.broadcast.size() > 1 ? y.broadcast[1].sustained : decltype(b.sustained) {};
            for (auto it = yb.rbegin(); it != yb.rend(); ++it) {
                const auto match = b.sustained.find(it->first);
                if (match == b.sustained.end()) {
                    continue;
                }
                std::printf("  same, tandem --batch-ms 8: tandem %8.2f us | reference %8.2f us | "
                            "%5.1fx less (100 clients at %.0f/s; p99 %.1f vs %.1f ms)\n",
                            match->second.first, it->second.first,
                            ratio(it->second.first, match->second.first), it->first,
                            match->second.second, it->second.second);
                break;
            }
            std::printf("  broadcast, 100 cl., batched: tandem %6.0f /s (p99 %.1f ms)\n",
                        b.bestRate, b.p99AtBest);
        }
        // Past one machine: the same 100-client ramp with the clients spread over two
        // instances that share the room through a real redis-server.
        QProcess redis;
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        const quint16 redisPort = probe.serverPort();
        probe.close();
        redis.setProcessChannelMode(QProcess::MergedChannels);
        redis.start(QStringLiteral("redis-server"),
                    {QStringLiteral("--port"), QString::number(redisPort), QStringLiteral("--bind"),
                     QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                     QStringLiteral("--appendonly"), QStringLiteral("no")});
        QByteArray redisOut;
        while (redis.waitForReadyRead(5000) && !redisOut.contains("Ready to accept")) {
            redisOut += redis.readAll();
        }
        const QStringList clustered {QStringLiteral("--redis"),
                                     QStringLiteral("127.0.0.1:%1").arg(redisPort)};
        Server first, second;
        if (redisOut.contains("Ready to accept") && first.start(true, clustered)
            && second.start(true, clustered)) {
            g_second = &second;
            const auto b = runBroadcast(first, 100, rates100, stepSeconds);
            g_second = nullptr;
            for (const auto &[rate, line] : b.steps) {
                std::printf("  [2 instances] 100 clients %s\n", qPrintable(line));
            }
            std::printf(
                    "  broadcast, 100 cl., 2 inst.: tandem %6.0f /s (p99 %.1f ms, CPU of both %.2f "
                    "us/delivery) | one instance %6.0f /s (p99 %.1f ms)\n",
                    b.bestRate, b.p99AtBest, b.cpuUsPerDelivery, t.broadcast[1].bestRate,
                    t.broadcast[1].p99AtBest);
            const auto one = t.broadcast[1].sustained.find(500);
            const auto two = b.sustained.find(500);
            if (one != t.broadcast[1].sustained.end() && two != b.sustained.end()) {
                std::printf("  fan-out at 500/s, 100 cl. : 2 instances p99 %.1f ms | one instance "
                            "p99 %.1f ms\n",
                            two->second.second, one->second.second);
            }
        } else {
            std::printf("  (cluster run skipped: redis-server or the instances did not start)\n");
        }
        redis.kill();
        redis.waitForFinished();
        std::printf("  kernel floor, one send() : %8.2f us per delivery on loopback (measured "
                    "now; one write per delivery cannot cost less)\n",
                    loopbackSendFloorUs(100));
        const FloodResult &tf = floods[QStringLiteral("tandem")];
        const FloodResult &yf = floods[QStringLiteral("reference")];
        std::printf("  editing through a flood  : tandem p99 %7.2f ms | reference p99 %7.2f ms | "
                    "(quiet p99 %.2f vs %.2f ms; p50 flooded %.2f vs %.2f ms; 50,000 updates from "
                    "a third client, tandem with its default limits)\n",
                    tf.flood99, yf.flood99, tf.quiet99, yf.quiet99, tf.flood50, yf.flood50);
        std::printf("  memory per idle connection: tandem %7.1f KB | reference %7.1f KB | %5.2fx\n",
                    t.idleKbPerConnection, y.idleKbPerConnection,
                    ratio(t.idleKbPerConnection, y.idleKbPerConnection));
    }
    return 0;
}
