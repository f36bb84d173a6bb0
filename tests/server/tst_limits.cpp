// SPDX-License-Identifier: GPL-3.0-or-later
// Abuse limits of the room server, each against a real server on 127.0.0.1:0 with a real SQLite
// file: connections per address, messages and bytes per second per connection, rooms per
// instance, a room's size, the memory budget and presence ids per connection. Every client over
// a limit is closed with its code and a reason, and the others in the room carry on. The last
// case floods a real `tandem --serve` from a raw socket while two clients keep editing through
// it, and compares their latency with the latency before the flood.

#include "tests/support/roomclient.h"
#include "tests/support/serveprocess.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <atomic>
#include <thread>

using namespace Tandem;
using Testing::bytes;
using Client = Testing::RoomClient;
using Fixture = Testing::ServerFixture;

namespace {

/// A raw WebSocket client on its own thread that sends a stream of prepared messages as fast
/// as the socket takes them, and counts what it could send before the server closed it.
class Flooder
{
public:
    Flooder(QUrl url, std::vector<QByteArray> messages)
        : m_url(std::move(url)), m_messages(std::move(messages))
    { }
    ~Flooder() { wait(); }

    void start()
    {
        m_thread = std::thread([this] { run(); });
    }
    void wait()
    {
        if (m_thread.joinable()) {
            m_thread.join();
        }
    }
    int sent() const { return m_sent; }
    /// The close code the server sent (-1: none seen).
    int closeCode() const { return m_closeCode; }

private:
    static QByteArray frame(const QByteArray &payload)
    {
        QByteArray f;
        f.append(char(0x82)); // FIN, binary
        if (payload.size() < 126) {
            f.append(char(0x80 | payload.size()));
        } else {
            f.append(char(0x80 | 126));
            f.append(char(payload.size() >> 8));
            f.append(char(payload.size() & 0xff));
        }
        f.append(QByteArray(4, '\0')); // a zero mask leaves the payload as it is
        return f + payload;
    }

    void run()
    {
        QTcpSocket socket;
        socket.connectToHost(m_url.host(), quint16(m_url.port()));
        if (!socket.waitForConnected(5000)) {
            return;
        }
        socket.write("GET " + m_url.path().toLatin1()
                     + " HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                       "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n");
        QByteArray in;
        while (!in.contains("\r\n\r\n") && socket.waitForReadyRead(5000)) {
            in += socket.readAll();
        }
        in = in.mid(in.indexOf("\r\n\r\n") + 4);
        for (const QByteArray &m : m_messages) {
            if (socket.write(frame(m)) < 0 || socket.state() != QAbstractSocket::ConnectedState) {
                break;
            }
            // Keep at most 1 MB queued, so that what was "sent" reached the kernel.
            while (socket.bytesToWrite() > 1024 * 1024 && socket.waitForBytesWritten(1000)) { }
            ++m_sent;
            in += socket.read(1 << 20); // what the server says back; a close frame is in there
        }
        socket.waitForBytesWritten(2000);
        while (socket.waitForReadyRead(2000)) {
            in += socket.readAll();
        }
        // Find the server's close frame (0x88) among the frames it sent.
        qsizetype pos = 0;
        while (pos + 2 <= in.size()) {
            const uint8_t op = uint8_t(in[pos]) & 0x0f;
            qsizetype len = uint8_t(in[pos + 1]) & 0x7f;
            qsizetype head = 2;
            if (len == 126) {
                len = (qsizetype(uint8_t(in[pos + 2])) << 8) | uint8_t(in[pos + 3]);
                head = 4;
            } else if (len == 127) {
                len = 0;
                for (int i = 0; i < 8; ++i) {
                    len = (len << 8) | uint8_t(in[pos + 2 + i]);
                }
                head = 10;
            }
            if (op == 0x8 && len >= 2 && pos + head + 2 <= in.size()) {
                m_closeCode = (uint8_t(in[pos + head]) << 8) | uint8_t(in[pos + head + 1]);
            }
            pos += head + len;
        }
    }

    QUrl m_url;
    std::vector<QByteArray> m_messages;
    std::thread m_thread;
    std::atomic<int> m_sent = 0;
    std::atomic<int> m_closeCode = -1;
};

struct Percentiles
{
    double p50 = 0, p95 = 0, p99 = 0;
};

Percentiles percentiles(std::vector<double> v)
{
    if (v.empty()) {
        return {};
    }
    std::sort(v.begin(), v.end());
    const auto at
            = [&v](size_t percent) { return v[std::min(v.size() - 1, v.size() * percent / 100)]; };
    return {at(50), at(95), at(99)};
}

} // namespace

class tst_Limits : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void connectionsPerAddress()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.maxConnectionsPerAddress = 3;
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        std::vector<std::unique_ptr<Client>> clients;
        for (int i = 0; i < 3; ++i) {
            clients.push_back(std::make_unique<Client>(100 + i));
            QVERIFY(clients.back()->open(f.room(QStringLiteral("r"))));
            QVERIFY(clients.back()->waitSynced());
        }
        Client fourth(200);
        fourth.open(f.room(QStringLiteral("r")));
        QVERIFY(fourth.waitClosed());
        QCOMPARE(fourth.closeCode, int(Server::CloseCode::TryAgainLater));
        QVERIFY2(fourth.closeReason.contains(QStringLiteral("too many connections")),
                 qPrintable(fourth.closeReason));
        // The three carry on; when one leaves, a newcomer is let in.
        clients[0]->insert(0, u"still here");
        QTRY_COMPARE(clients[2]->text(), std::string("still here"));
        clients[1]->ws.close();
        QTRY_COMPARE(f.server->connectionCount(), 2);
        Client fifth(300);
        QVERIFY(fifth.open(f.room(QStringLiteral("r"))));
        QVERIFY(fifth.waitSynced());
        QCOMPARE(fifth.text(), std::string("still here"));
    }

    void messagesPerSecond()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.maxMessagesPerSecond = 20;
        options.messageBurst = 40;
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        Client calm(1), noisy(2);
        QVERIFY(calm.open(f.room(QStringLiteral("r"))));
        QVERIFY(noisy.open(f.room(QStringLiteral("r"))));
        QVERIFY(calm.waitSynced() && noisy.waitSynced());
        for (int i = 0; i < 200; ++i) {
            noisy.ws.sendBinaryMessage(bytes(Protocol::encodeQueryAwareness()));
        }
        QVERIFY(noisy.waitClosed());
        QCOMPARE(noisy.closeCode, int(Server::CloseCode::TooFast));
        QVERIFY2(noisy.closeReason.contains(QStringLiteral("too many messages")),
                 qPrintable(noisy.closeReason));
        // The calm one keeps its rate and its room.
        for (int i = 0; i < 10; ++i) {
            calm.insert(0, u"x");
            QTest::qWait(60);
        }
        Client reader(3);
        QVERIFY(reader.open(f.room(QStringLiteral("r"))));
        QTRY_COMPARE(reader.text(), std::string(10, 'x'));
        QCOMPARE(calm.closeCode, -1);
    }

    void bytesPerSecond()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.maxBytesPerSecond = 2000;
        options.byteBurst = 20000;
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        Client big(1), other(2);
        QVERIFY(big.open(f.room(QStringLiteral("r"))));
        QVERIFY(other.open(f.room(QStringLiteral("r"))));
        QVERIFY(big.waitSynced() && other.waitSynced());
        const std::u16string chunk(8000, u'b');
        big.insert(0, chunk); // 8 KB: within the burst
        QTRY_COMPARE(other.text().size(), size_t(8000));
        big.insert(0, chunk);
        big.insert(0, chunk); // 24 KB within a moment: over
        QVERIFY(big.waitClosed());
        QCOMPARE(big.closeCode, int(Server::CloseCode::TooFast));
        QVERIFY2(big.closeReason.contains(QStringLiteral("too much data")),
                 qPrintable(big.closeReason));
        QCOMPARE(other.closeCode, -1);
    }

    void roomsPerInstance()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.maxRooms = 2;
        options.unloadDelayMs = 60000; // idle rooms stay loaded until room is needed
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        Client a(1), b(2);
        QVERIFY(a.open(f.room(QStringLiteral("one"))));
        QVERIFY(b.open(f.room(QStringLiteral("two"))));
        QVERIFY(a.waitSynced() && b.waitSynced());
        Client c(3);
        c.open(f.room(QStringLiteral("three")));
        QVERIFY(c.waitClosed());
        QCOMPARE(c.closeCode, int(Server::CloseCode::TryAgainLater));
        QVERIFY2(c.closeReason.contains(QStringLiteral("most rooms")), qPrintable(c.closeReason));
        QCOMPARE(f.server->roomCount(), 2);
        // Once a room is idle it makes way, even before its unload delay.
        b.ws.close();
        QTRY_COMPARE(f.server->connectionCount(), 1);
        Client d(4);
        QVERIFY(d.open(f.room(QStringLiteral("three"))));
        QVERIFY(d.waitSynced());
        QCOMPARE(f.server->roomCount(), 2);
        QCOMPARE(a.closeCode, -1);
    }

    void roomSizeLimit()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.maxRoomBytes = 6000;
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        Client writer(1), keeper(2);
        QVERIFY(writer.open(f.room(QStringLiteral("r"))));
        QVERIFY(keeper.open(f.room(QStringLiteral("r"))));
        QVERIFY(writer.waitSynced() && keeper.waitSynced());
        writer.insert(0, std::u16string(3500, u'a'));
        QTRY_COMPARE(keeper.text().size(), size_t(3500));
        // Someone holding all of it reconnects: its sync sends everything again (3.5 KB on top
        // of 3.5 KB stored would be over), but only what the room lacks counts.
        keeper.ws.close();
        QTRY_COMPARE(f.server->connectionCount(), 1);
        keeper.closeCode = -1;
        keeper.synced = false;
        QVERIFY(keeper.open(f.room(QStringLiteral("r"))));
        QVERIFY(keeper.waitSynced());
        QTest::qWait(100);
        QCOMPARE(keeper.closeCode, -1);
        // Growing past the limit is refused and closes the writer; nothing of it is kept.
        writer.insert(0, std::u16string(3000, u'b'));
        QVERIFY(writer.waitClosed());
        QCOMPARE(writer.closeCode, int(Server::CloseCode::TooLarge));
        QVERIFY2(writer.closeReason.contains(QStringLiteral("room is full")),
                 qPrintable(writer.closeReason));
        Client late(3);
        QVERIFY(late.open(f.room(QStringLiteral("r"))));
        QVERIFY(late.waitSynced());
        QCOMPARE(late.text(), std::string(3500, 'a'));
        QCOMPARE(keeper.closeCode, -1);
        QCOMPARE(keeper.text(), std::string(3500, 'a'));
    }

    void memoryBudget()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.memoryBudgetBytes = 8000 * Server::MemoryBudget::memoryPerStoredByte;
        options.unloadDelayMs = 60000;
        Fixture f(dir.path(), options);
        QVERIFY(f.ok);
        Client a(1), b(2);
        QVERIFY(a.open(f.room(QStringLiteral("one"))));
        QVERIFY(b.open(f.room(QStringLiteral("two"))));
        QVERIFY(a.waitSynced() && b.waitSynced());
        a.insert(0, std::u16string(5000, u'a'));
        QTRY_VERIFY(f.server->loadedBytes() >= 5000);
        b.insert(0, std::u16string(4000, u'b')); // would take all rooms past 8000 bytes
        QVERIFY(b.waitClosed());
        QCOMPARE(b.closeCode, int(Server::CloseCode::TryAgainLater));
        QVERIFY2(b.closeReason.contains(QStringLiteral("memory budget")),
                 qPrintable(b.closeReason));
        QCOMPARE(a.closeCode, -1);
        QVERIFY(f.server->estimatedMemory() <= options.memoryBudgetBytes);
        // Within the budget, the rest of the server works as before.
        b.closeCode = -1;
        b.synced = false;
        Client b2(3);
        QVERIFY(b2.open(f.room(QStringLiteral("two"))));
        QVERIFY(b2.waitSynced());
        b2.insert(0, u"small");
        Client b3(4);
        QVERIFY(b3.open(f.room(QStringLiteral("two"))));
        QTRY_COMPARE(b3.text(), std::string("small"));
    }

    void presenceIdsPerConnection()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        Client honest(1), greedy(2);
        QVERIFY(honest.open(f.room(QStringLiteral("r"))));
        QVERIFY(greedy.open(f.room(QStringLiteral("r"))));
        QVERIFY(honest.waitSynced() && greedy.waitSynced());
        // One connection claiming the presence of 40 clients.
        for (Protocol::ClientId id = 1000; id < 1040; ++id) {
            Protocol::Awareness fake(id);
            fake.setLocalState(Encoding::Any::object({{"user", Encoding::Any(std::string("x"))}}));
            greedy.ws.sendBinaryMessage(bytes(Protocol::encodeAwareness(fake.encodeUpdate({id}))));
        }
        QVERIFY(greedy.waitClosed());
        QCOMPARE(greedy.closeCode, int(Server::CloseCode::BadMessage));
        // What it claimed goes with it.
        const auto claimed = [&honest] {
            const auto ids = honest.awareness.clients();
            return std::count_if(ids.begin(), ids.end(),
                                 [](auto id) { return id >= 1000 && id < 1040; });
        };
        QTRY_COMPARE(claimed(), 0);
        QCOMPARE(honest.closeCode, -1);

        // And no single presence state may be large.
        Client bloated(3);
        QVERIFY(bloated.open(f.room(QStringLiteral("r"))));
        QVERIFY(bloated.waitSynced());
        bloated.awareness.setLocalState(
                Encoding::Any::object({{"user", Encoding::Any(std::string(100 * 1024, 'x'))}}));
        QVERIFY(bloated.waitClosed());
        QCOMPARE(bloated.closeCode, int(Server::CloseCode::TooLarge));
        QVERIFY(!honest.awareness.state(3));
        QCOMPARE(honest.closeCode, -1);
    }

    void floodWhileOthersEdit()
    {
        QTemporaryDir dir;
        Testing::ServeProcess serve(QStringLiteral(TANDEM_BINARY));
        const QUrl base = serve.start(dir.path());
        QVERIFY2(!base.isEmpty(), "tandem --serve did not start");
        QUrl room = base;
        room.setPath(QStringLiteral("/flooded"));

        Client a(1), b(2);
        QVERIFY(a.open(room));
        QVERIFY(b.open(room));
        QVERIFY(a.waitSynced() && b.waitSynced());

        // A types a character every 5 ms; the time until B has it is the latency (an event loop
        // woken by B's document, not a polling wait, which would add up to 10 ms).
        QEventLoop loop;
        size_t waitingFor = 0;
        b.doc.onUpdate([&](std::span<const uint8_t>, const Crdt::Transaction &) {
            if (waitingFor && b.doc.getText("text").length() >= waitingFor) {
                waitingFor = 0;
                loop.quit();
            }
        });
        QTimer timeout;
        timeout.setSingleShot(true);
        connect(&timeout, &QTimer::timeout, &loop, &QEventLoop::quit);
        auto measure = [&](int edits) {
            std::vector<double> ms;
            for (int i = 0; i < edits; ++i) {
                waitingFor = b.doc.getText("text").length() + 1;
                QElapsedTimer t;
                t.start();
                a.insert(0, u"k");
                timeout.start(5000);
                if (waitingFor) {
                    loop.exec();
                }
                if (waitingFor) {
                    return std::vector<double> {}; // timed out
                }
                ms.push_back(double(t.nsecsElapsed()) / 1e6);
                QTest::qWait(5);
            }
            return ms;
        };
        const auto quiet = measure(100);
        QCOMPARE(quiet.size(), size_t(100));

        // The flood: 50,000 real updates (the default allows bursts of 2,000 messages), as
        // fast as the socket takes them, in the same room.
        std::vector<QByteArray> updates;
        {
            Crdt::Doc flood(3);
            flood.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
                updates.push_back(bytes(Protocol::encodeSyncUpdate(u)));
            });
            for (int i = 0; i < 50000; ++i) {
                flood.getText("flood").insert(0, u"f");
            }
        }
        Flooder flooder(room, std::move(updates));
        flooder.start();
        const auto flooded = measure(100);
        flooder.wait();
        QCOMPARE(flooded.size(), size_t(100));
        QCOMPARE(flooder.closeCode(), int(Server::CloseCode::TooFast));
        // What got through before the cut: the burst, not the flood.
        const size_t accepted = Encoding::toUtf8(b.doc.getText("flood").toString()).size();
        QVERIFY2(accepted < 10000, qPrintable(QString::number(accepted)));

        const Percentiles q = percentiles(quiet), fl = percentiles(flooded);
        qInfo("latency A -> server -> B: quiet p50 %.2f / p95 %.2f / p99 %.2f ms | during a flood "
              "of "
              "%d messages from a third client in the room (%zu accepted, then closed with %d): "
              "p50 %.2f / p95 %.2f / p99 %.2f ms",
              q.p50, q.p95, q.p99, flooder.sent(), accepted, flooder.closeCode(), fl.p50, fl.p95,
              fl.p99);
        // Unchanged, within what a shared 2-core machine jitters. The burst the limit lets
        // through is relayed to A and B like any edits (the one or two samples that meet it
        // show in the p99, which is printed, not judged); the rest of the flood is cut off.
        QVERIFY2(fl.p50 <= std::max(2 * q.p50, q.p50 + 2), "median latency grew under the flood");
        QVERIFY2(fl.p95 <= std::max(3 * q.p95, q.p95 + 10), "p95 latency grew under the flood");
        QCOMPARE(a.closeCode, -1);
        QCOMPARE(b.closeCode, -1);
        QCOMPARE(a.text(), b.text());
    }
};

QTEST_GUILESS_MAIN(tst_Limits)
#include "tst_limits.moc"
