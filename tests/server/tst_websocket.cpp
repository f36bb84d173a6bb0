// SPDX-License-Identifier: GPL-3.0-or-later
// The server side of RFC 6455. Part 1 calls the pure codec (core/server/websocket.h) directly:
// request heads, the accept key, room names, client frame headers, unmasking, server frames,
// close frames and close codes. Part 2 starts a real RoomServer on 127.0.0.1:0 with a real
// SQLite file and talks to it through a raw QTcpSocket, doing the handshake and the framing by
// hand: refusals of plain HTTP and bad requests, pipelined and split input, fragmentation,
// ping/pong, protocol violations (1002), the message size limit (4413 before the payload),
// text messages (4400), the closing handshake, dead peers (server pings), and a slow reader
// that must not hold up the others. Not covered: the 10 s handshake timeout (not settable from
// ServerOptions, and the test must stay fast) and the maxBufferedBytes drop (64 MB).

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/protocol/messages.h"
#include "core/server/roomserver.h"
#include "core/server/websocket.h"
#include "core/server/websocketconnection.h"
#include "core/storage/sqliteroomstore.h"

#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#ifdef Q_OS_UNIX
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#endif

using namespace Tandem;
namespace WS = Tandem::Server::WebSocket;

namespace {

std::span<const uint8_t> span(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}

QByteArray bytes(std::span<const uint8_t> s)
{
    return QByteArray(reinterpret_cast<const char *>(s.data()), qsizetype(s.size()));
}

/// Sync step 1 of an empty document: sync, step 1, a one-byte state vector with no entries.
const QByteArray EmptyStep1("\x00\x00\x01\x00", 4);

// --- HTTP --------------------------------------------------------------------------------

QByteArray randomKey()
{
    QByteArray raw(16, Qt::Uninitialized);
    for (char &c : raw) {
        c = char(QRandomGenerator::global()->bounded(256));
    }
    return raw.toBase64();
}

/// Computed here, independently of WebSocket::acceptResponse().
QByteArray expectedAccept(const QByteArray &key)
{
    return QCryptographicHash::hash(QByteArray(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"),
                                    QCryptographicHash::Sha1)
            .toBase64();
}

QByteArray upgradeRequest(const QByteArray &target, const QByteArray &key,
                          const QByteArray &version = "13", const QByteArray &method = "GET")
{
    return method + ' ' + target
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: "
            + key + "\r\nSec-WebSocket-Version: " + version + "\r\n\r\n";
}

/// The value of header @p name in a response head (case-insensitive name), or a null array.
QByteArray headerValue(const QByteArray &head, QByteArrayView name)
{
    const QList<QByteArray> lines = head.split('\n');
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0
            && QByteArrayView(lines[i]).first(colon).compare(name, Qt::CaseInsensitive) == 0) {
            return lines[i].mid(colon + 1).trimmed();
        }
    }
    return {};
}

// --- Frames ------------------------------------------------------------------------------

enum class Len { Auto, Bits16, Bits64 };

/// A client frame header: @p b0 (FIN, RSV, opcode), @p length in the encoding asked for, and
/// the mask key if @p mask is given.
QByteArray clientFrameHeader(uint8_t b0, uint64_t length, const uint8_t *mask,
                             Len encoding = Len::Auto)
{
    QByteArray h;
    h.append(char(b0));
    const uint8_t maskBit = mask ? 0x80 : 0;
    if (encoding == Len::Auto) {
        encoding = length < 126 ? Len::Auto : length <= 0xFFFF ? Len::Bits16 : Len::Bits64;
    }
    if (encoding == Len::Auto) {
        h.append(char(maskBit | uint8_t(length)));
    } else if (encoding == Len::Bits16) {
        h.append(char(maskBit | 126)).append(char(length >> 8)).append(char(length & 0xFF));
    } else {
        h.append(char(maskBit | 127));
        for (int i = 0; i < 8; ++i) {
            h.append(char(uint8_t(length >> (56 - 8 * i))));
        }
    }
    if (mask) {
        h.append(reinterpret_cast<const char *>(mask), 4);
    }
    return h;
}

/// A fresh mask key with no zero byte (a zero byte would hide a missing unmask).
std::array<uint8_t, 4> randomMask()
{
    std::array<uint8_t, 4> m;
    for (uint8_t &b : m) {
        b = uint8_t(1 + QRandomGenerator::global()->bounded(255));
    }
    return m;
}

/// A complete client frame, masked unless @p masked is false.
QByteArray clientFrame(uint8_t b0, const QByteArray &payload, bool masked = true,
                       Len encoding = Len::Auto)
{
    const auto mask = randomMask();
    QByteArray f = clientFrameHeader(b0, uint64_t(payload.size()), masked ? mask.data() : nullptr,
                                     encoding);
    for (qsizetype i = 0; i < payload.size(); ++i) {
        f.append(masked ? char(uint8_t(payload[i]) ^ mask[size_t(i & 3)]) : payload[i]);
    }
    return f;
}

QByteArray closePayload(quint16 code, const QByteArray &reason = {})
{
    return QByteArray(1, char(code >> 8)) + char(code & 0xFF) + reason;
}

struct Frame
{
    bool fin = false;
    uint8_t opcode = 0;
    QByteArray payload;
};

/// The code of a close frame (1005 if it has none).
int closeCodeOf(const Frame &f)
{
    if (f.payload.size() < 2) {
        return WS::Close::NoStatus;
    }
    return (uint8_t(f.payload[0]) << 8) | uint8_t(f.payload[1]);
}

/// A sync update message inserting @p chars copies of @p c, made by a fresh document.
QByteArray textUpdateMessage(Crdt::ClientId id, qsizetype chars, char16_t c = u'x')
{
    Crdt::Doc doc(id);
    std::vector<uint8_t> update;
    doc.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
        update.assign(u.begin(), u.end());
    });
    doc.getText("text").insert(0, std::u16string(size_t(chars), c));
    return bytes(Protocol::encodeSyncUpdate(update));
}

// --- A hand-made client ----------------------------------------------------------------

/// A raw TCP client that speaks WebSocket by hand. The server runs on this thread, so every
/// wait runs the event loop (never a blocking waitForReadyRead).
class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        socket.connectToHost(QHostAddress::LocalHost, port);
        // The kernel completes the TCP handshake on its own: no event loop needed.
        connected = socket.waitForConnected(5000);
    }

    void send(const QByteArray &data)
    {
        socket.write(data);
        socket.flush();
    }

    /// Reads what arrived, then runs the event loop (the server's too) until @p done holds.
    template<class P> bool waitFor(P done, int timeoutMs)
    {
        const QDeadlineTimer deadline(timeoutMs);
        QTimer wake; // bounds each wait for events below
        wake.start(5);
        for (;;) {
            pump();
            if (done()) {
                return true;
            }
            if (deadline.hasExpired()) {
                return false;
            }
            QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents);
            QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        }
    }

    void pump()
    {
        if (socket.bytesAvailable() > 0) {
            in += socket.readAll();
        }
    }

    /// The HTTP response head; what follows it stays in `in`.
    std::optional<QByteArray> readResponseHead(int timeoutMs = 5000)
    {
        if (!waitFor([&] { return in.contains("\r\n\r\n"); }, timeoutMs)) {
            error = "no complete response head; got: " + in.left(200);
            return std::nullopt;
        }
        const qsizetype end = in.indexOf("\r\n\r\n") + 4;
        QByteArray head = in.left(end);
        in.remove(0, end);
        return head;
    }

    /// The opening handshake; checks 101 and Sec-WebSocket-Accept.
    bool open(const QByteArray &target)
    {
        if (!connected) {
            error = "not connected";
            return false;
        }
        const QByteArray key = randomKey();
        send(upgradeRequest(target, key));
        const auto head = readResponseHead();
        if (!head) {
            return false;
        }
        if (!head->startsWith("HTTP/1.1 101 ")
            || headerValue(*head, "Sec-WebSocket-Accept") != expectedAccept(key)) {
            error = "bad handshake response: " + *head;
            return false;
        }
        return true;
    }

    /// Opens and reads the room's sync step 1 (what every join starts with).
    bool join(const QByteArray &target)
    {
        if (!open(target)) {
            return false;
        }
        const auto f = readFrame();
        if (!f || f->opcode != 0x2 || !f->payload.startsWith(QByteArray("\x00\x00", 2))) {
            error += " / no sync step 1 after the handshake";
            return false;
        }
        return true;
    }

    /// Takes one complete server frame from `in`.
    std::optional<Frame> takeFrame()
    {
        if (in.size() < 2) {
            return std::nullopt;
        }
        const uint8_t b0 = uint8_t(in[0]), b1 = uint8_t(in[1]);
        if (b1 & 0x80) {
            error = "the server masked a frame";
            return std::nullopt;
        }
        if (b0 & 0x70) {
            error = "the server set reserved bits";
            return std::nullopt;
        }
        qsizetype pos = 2;
        uint64_t length = b1 & 0x7F;
        if (length == 126) {
            if (in.size() < 4) {
                return std::nullopt;
            }
            length = (uint64_t(uint8_t(in[2])) << 8) | uint8_t(in[3]);
            pos = 4;
            if (length < 126) {
                error = "the server sent a non-minimal length";
            }
        } else if (length == 127) {
            if (in.size() < 10) {
                return std::nullopt;
            }
            length = 0;
            for (int i = 0; i < 8; ++i) {
                length = (length << 8) | uint8_t(in[2 + i]);
            }
            pos = 10;
            if (length <= 0xFFFF) {
                error = "the server sent a non-minimal length";
            }
        }
        if (uint64_t(in.size() - pos) < length) {
            return std::nullopt;
        }
        Frame f {bool(b0 & 0x80), uint8_t(b0 & 0x0F), in.mid(pos, qsizetype(length))};
        in.remove(0, pos + qsizetype(length));
        return f;
    }

    /// The next server frame, or nothing if none came within @p timeoutMs (or it was invalid).
    std::optional<Frame> readFrame(int timeoutMs = 5000)
    {
        std::optional<Frame> f;
        waitFor(
                [&] {
                    if (!error.isEmpty()) {
                        return true;
                    }
                    f = takeFrame();
                    return f.has_value();
                },
                timeoutMs);
        if (!f && error.isEmpty()) {
            error = "no frame within the timeout";
        }
        return error.isEmpty() ? f : std::nullopt;
    }

    /// Whether the server closed the TCP connection within @p timeoutMs.
    bool waitClosed(int timeoutMs = 5000)
    {
        return waitFor([&] { return socket.state() == QAbstractSocket::UnconnectedState; },
                       timeoutMs);
    }

    QTcpSocket socket;
    QByteArray in;
    QByteArray error;
    bool connected = false;
};

#ifdef Q_OS_UNIX
/// The server runs on the test's thread. Should it ever block in a write to a client that does
/// not read, nothing on this thread runs again and the test would hang. After @p stallMs
/// without a beat(), this drains that client's socket from another thread, which unblocks
/// the server so that the test fails (fired()) instead of hanging.
class StallBreaker
{
public:
    StallBreaker(qintptr fd, int stallMs) : m_fd(int(fd)), m_stallMs(stallMs), m_lastBeat(now())
    {
        m_thread = std::thread([this] { run(); });
    }
    ~StallBreaker()
    {
        {
            std::lock_guard lock(m_mutex);
            m_done = true;
        }
        m_wake.notify_all();
        m_thread.join();
    }
    void beat() { m_lastBeat = now(); }
    bool fired() const { return m_fired; }

private:
    static qint64 now()
    {
        return std::chrono::duration_cast<std::chrono::milliseconds>(
                       std::chrono::steady_clock::now().time_since_epoch())
                .count();
    }
    void run()
    {
        std::unique_lock lock(m_mutex);
        while (!m_done) {
            m_wake.wait_for(lock, std::chrono::milliseconds(20));
            if (!m_fired && now() - m_lastBeat > m_stallMs) {
                m_fired = true;
            }
            if (m_fired) {
                break;
            }
        }
        if (!m_fired) {
            return;
        }
        while (!m_done) {
            lock.unlock();
            char buffer[65536];
            while (::recv(m_fd, buffer, sizeof buffer, MSG_DONTWAIT) > 0) { }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
            lock.lock();
        }
    }

    const int m_fd;
    const int m_stallMs;
    std::atomic<qint64> m_lastBeat;
    std::atomic<bool> m_fired = false;
    std::mutex m_mutex;
    std::condition_variable m_wake;
    bool m_done = false;
    std::thread m_thread;
};
#endif

/// A RoomServer on 127.0.0.1, a free port, and a SQLite file of its own.
struct TestServer
{
    explicit TestServer(Server::ServerOptions options = {})
    {
        options.host = QHostAddress::LocalHost;
        options.port = 0;
        auto store = std::make_unique<Storage::SqliteRoomStore>(
                dir.filePath(QStringLiteral("rooms.sqlite")));
        server = std::make_unique<Server::RoomServer>(options, std::move(store));
        ok = dir.isValid() && server->listen(&error);
    }
    quint16 port() const { return quint16(server->url().port()); }
    /// Connection objects still alive (open, closing, or in their handshake).
    qsizetype liveConnections() const
    {
        return server->findChildren<Server::WebSocketConnection *>().size();
    }

    QTemporaryDir dir;
    std::unique_ptr<Server::RoomServer> server;
    QString error;
    bool ok = false;
};

} // namespace

class tst_WebSocket : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestServer> m_server; ///< default options, shared by the socket tests
    std::unique_ptr<TestServer> m_small; ///< maxMessageBytes = 4096

    quint16 port() const { return m_server->port(); }
    /// A room of its own for each test (and data row).
    static QByteArray roomTarget()
    {
        QByteArray name = QByteArray("/") + QTest::currentTestFunction();
        if (QTest::currentDataTag()) {
            name += '/' + QByteArray(QTest::currentDataTag()).replace(' ', '-');
        }
        return name;
    }

private Q_SLOTS:
    void initTestCase()
    {
        m_server = std::make_unique<TestServer>();
        QVERIFY2(m_server->ok, qPrintable(m_server->error));
        Server::ServerOptions small;
        small.maxMessageBytes = 4096;
        m_small = std::make_unique<TestServer>(small);
        QVERIFY2(m_small->ok, qPrintable(m_small->error));
    }

    void cleanup()
    {
        // Whatever a test did, once its clients are gone the server holds nothing for them.
        QTRY_COMPARE_WITH_TIMEOUT(m_server->server->connectionCount(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_server->liveConnections(), 0, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(m_small->liveConnections(), 0, 5000);
    }

    void cleanupTestCase()
    {
        m_server.reset();
        m_small.reset();
    }

    // --- Part 1: the codec ---------------------------------------------------------------

    void parseRequestHead_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<int>("expected");
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("key");

        const QByteArray key = "dGhlIHNhbXBsZSBub25jZQ==";
        auto head = [](const QByteArray &requestLine, const QByteArray &headers) -> QByteArray {
            return requestLine + "\r\n" + headers + "\r\n";
        };
        const QByteArray upgradeHeaders = "Host: example.com\r\nUpgrade: websocket\r\n"
                                          "Connection: Upgrade\r\nSec-WebSocket-Key: "
                + key + "\r\nSec-WebSocket-Version: 13\r\n";
        const auto Upgrade = int(WS::HeadResult::Upgrade);
        const auto Plain = int(WS::HeadResult::PlainHttp);
        const auto Bad = int(WS::HeadResult::BadRequest);
        const auto BadVersion = int(WS::HeadResult::BadVersion);

        QTest::newRow("upgrade") << head("GET /notes/one?token=x HTTP/1.1", upgradeHeaders)
                                 << Upgrade << QByteArray("/notes/one?token=x") << key;
        QTest::newRow("tokens case-insensitive")
                << head("GET /r HTTP/1.1",
                        "host: h\r\nUPGRADE: WebSocket\r\nconnection: UPGRADE\r\n"
                        "sec-websocket-key: "
                                + key + "\r\nSEC-WEBSOCKET-VERSION: 13\r\n")
                << Upgrade << QByteArray("/r") << key;
        QTest::newRow("connection list")
                << head("GET /r HTTP/1.1",
                        "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n"
                        "Sec-WebSocket-Key: "
                                + key + "\r\nSec-WebSocket-Version: 13\r\n")
                << Upgrade << QByteArray("/r") << key;
        QTest::newRow("no space after colons")
                << head("GET / HTTP/1.1",
                        "Upgrade:websocket\r\nConnection:Upgrade\r\nSec-WebSocket-Key:" + key
                                + "\r\nSec-WebSocket-Version:13\r\n")
                << Upgrade << QByteArray("/") << key;
        QTest::newRow("plain GET") << head("GET / HTTP/1.1", "Host: h\r\n") << Plain
                                   << QByteArray("/") << QByteArray();
        QTest::newRow("plain GET keep-alive")
                << head("GET /health HTTP/1.1", "Host: h\r\nConnection: keep-alive\r\n") << Plain
                << QByteArray("/health") << QByteArray();
        QTest::newRow("POST") << head("POST /r HTTP/1.1", upgradeHeaders) << Bad << QByteArray()
                              << QByteArray();
        QTest::newRow("no key") << head(
                "GET /r HTTP/1.1",
                "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n")
                                << Bad << QByteArray() << QByteArray();
        QTest::newRow("key of 15 bytes") << head("GET /r HTTP/1.1",
                                                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                                 "Sec-WebSocket-Key: "
                                                         + QByteArray(15, 'k').toBase64()
                                                         + "\r\nSec-WebSocket-Version: 13\r\n")
                                         << Bad << QByteArray() << QByteArray();
        QTest::newRow("key of 17 bytes") << head("GET /r HTTP/1.1",
                                                 "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                                 "Sec-WebSocket-Key: "
                                                         + QByteArray(17, 'k').toBase64()
                                                         + "\r\nSec-WebSocket-Version: 13\r\n")
                                         << Bad << QByteArray() << QByteArray();
        QTest::newRow("key not base64") << head(
                "GET /r HTTP/1.1",
                "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                "Sec-WebSocket-Key: !!!!!!!!!!!!!!!!!!!!!!==\r\nSec-WebSocket-Version: 13\r\n")
                                        << Bad << QByteArray() << QByteArray();
        QTest::newRow("target without slash")
                << head("GET r HTTP/1.1", upgradeHeaders) << Bad << QByteArray() << QByteArray();
        QTest::newRow("absolute target") << head("GET http://h/r HTTP/1.1", upgradeHeaders) << Bad
                                         << QByteArray() << QByteArray();
        QTest::newRow("header without colon")
                << head("GET /r HTTP/1.1", upgradeHeaders + "NoColonHere\r\n") << Bad
                << QByteArray() << QByteArray();
        QTest::newRow("header with empty name")
                << head("GET /r HTTP/1.1", upgradeHeaders + ": value\r\n") << Bad << QByteArray()
                << QByteArray();
        QTest::newRow("control char in target") << head("GET /a\x01z HTTP/1.1", upgradeHeaders)
                                                << Bad << QByteArray() << QByteArray();
        QTest::newRow("tab in target") << head("GET /a\tb HTTP/1.1", upgradeHeaders) << Bad
                                       << QByteArray() << QByteArray();
        QTest::newRow("DEL in target") << head("GET /a\x7f HTTP/1.1", upgradeHeaders) << Bad
                                       << QByteArray() << QByteArray();
        QTest::newRow("four request-line parts")
                << head("GET /r HTTP/1.1 x", upgradeHeaders) << Bad << QByteArray() << QByteArray();
        QTest::newRow("HTTP/2") << head("GET /r HTTP/2.0", upgradeHeaders) << Bad << QByteArray()
                                << QByteArray();
        QTest::newRow("garbage") << QByteArray("\x16\x03\x01\x02\x00\r\n\r\n", 9) << Bad
                                 << QByteArray() << QByteArray();
        QTest::newRow("upgrade to h2c")
                << head("GET /r HTTP/1.1",
                        "Upgrade: h2c\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                                + "\r\nSec-WebSocket-Version: 13\r\n")
                << Bad << QByteArray() << QByteArray();
        QTest::newRow("upgrade without connection")
                << head("GET /r HTTP/1.1",
                        "Upgrade: websocket\r\nSec-WebSocket-Key: " + key
                                + "\r\nSec-WebSocket-Version: 13\r\n")
                << Bad << QByteArray() << QByteArray();
        QTest::newRow("version 8")
                << head("GET /r HTTP/1.1",
                        "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key
                                + "\r\nSec-WebSocket-Version: 8\r\n")
                << BadVersion << QByteArray() << QByteArray();
    }

    void parseRequestHead()
    {
        QFETCH(QByteArray, head);
        QFETCH(int, expected);
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, key);

        // Frame bytes in the same buffer are left alone: consumed ends at the blank line.
        const QByteArray frames = clientFrame(0x82, EmptyStep1);
        WS::Request request;
        qsizetype consumed = -1;
        const auto result = WS::parseRequestHead(QByteArray(head + frames), request, consumed);
        QCOMPARE(int(result), expected);
        QCOMPARE(consumed, head.size());
        if (result == WS::HeadResult::Upgrade) {
            QCOMPARE(request.target, target);
            QCOMPARE(request.key, key);
            QVERIFY(request.upgrade);
        } else if (result == WS::HeadResult::PlainHttp) {
            QCOMPARE(request.target, target);
            QVERIFY(!request.upgrade);
        }

        // Every strict prefix of the head is incomplete (no answer before the blank line).
        for (qsizetype n = 0; n < head.size(); ++n) {
            WS::Request r;
            qsizetype c = -1;
            const auto partial = WS::parseRequestHead(QByteArrayView(head).first(n), r, c);
            QVERIFY2(partial == WS::HeadResult::NeedMore,
                     qPrintable(QStringLiteral("prefix of %1 bytes").arg(n)));
        }
    }

    void parseRequestHeadSizeLimit()
    {
        WS::Request request;
        qsizetype consumed = -1;
        // No blank line: incomplete up to the limit, too large at it.
        const QByteArray endless = "GET /" + QByteArray(WS::MaxRequestHeadBytes, 'a');
        QCOMPARE(WS::parseRequestHead(QByteArrayView(endless).first(WS::MaxRequestHeadBytes - 1),
                                      request, consumed),
                 WS::HeadResult::NeedMore);
        QCOMPARE(WS::parseRequestHead(QByteArrayView(endless).first(WS::MaxRequestHeadBytes),
                                      request, consumed),
                 WS::HeadResult::TooLarge);
        QCOMPARE(WS::parseRequestHead(endless, request, consumed), WS::HeadResult::TooLarge);

        // A head of exactly the limit (blank line included) is accepted; one byte more is not.
        const QByteArray key = randomKey();
        auto padded = [&](qsizetype total) -> QByteArray {
            const QByteArray base = upgradeRequest("/r", key);
            const QByteArray pad = "X-Pad: ";
            const qsizetype fill = total - base.size() - pad.size() - 2;
            return QByteArray(base).insert(base.size() - 2, pad + QByteArray(fill, 'p') + "\r\n");
        };
        const QByteArray atLimit = padded(WS::MaxRequestHeadBytes);
        QCOMPARE(atLimit.size(), WS::MaxRequestHeadBytes);
        QCOMPARE(WS::parseRequestHead(atLimit, request, consumed), WS::HeadResult::Upgrade);
        QCOMPARE(consumed, atLimit.size());
        QCOMPARE(request.key, key);
        const QByteArray overLimit = padded(WS::MaxRequestHeadBytes + 1);
        QCOMPARE(WS::parseRequestHead(overLimit, request, consumed), WS::HeadResult::TooLarge);
    }

    void acceptResponse()
    {
        // RFC 6455 §1.3.
        const QByteArray response = WS::acceptResponse("dGhlIHNhbXBsZSBub25jZQ==");
        QVERIFY(response.startsWith("HTTP/1.1 101 "));
        QVERIFY(response.endsWith("\r\n\r\n"));
        QCOMPARE(headerValue(response, "Sec-WebSocket-Accept"),
                 QByteArray("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
        QCOMPARE(headerValue(response, "Upgrade").toLower(), QByteArray("websocket"));
        QCOMPARE(headerValue(response, "Connection").toLower(), QByteArray("upgrade"));
        const QByteArray key = randomKey();
        QCOMPARE(headerValue(WS::acceptResponse(key), "Sec-WebSocket-Accept"), expectedAccept(key));
    }

    void errorResponse_data()
    {
        QTest::addColumn<int>("result");
        QTest::addColumn<QByteArray>("status");
        QTest::newRow("plain") << int(WS::HeadResult::PlainHttp) << QByteArray("200");
        QTest::newRow("bad") << int(WS::HeadResult::BadRequest) << QByteArray("400");
        QTest::newRow("version") << int(WS::HeadResult::BadVersion) << QByteArray("426");
        QTest::newRow("too large") << int(WS::HeadResult::TooLarge) << QByteArray("431");
    }

    void errorResponse()
    {
        QFETCH(int, result);
        QFETCH(QByteArray, status);
        const QByteArray response = WS::errorResponse(WS::HeadResult(result));
        QVERIFY2(response.startsWith(QByteArray("HTTP/1.1 " + status + ' ')), response.constData());
        const qsizetype end = response.indexOf("\r\n\r\n");
        QVERIFY(end > 0);
        const QByteArray head = response.left(end + 4);
        const QByteArray body = response.mid(end + 4);
        QCOMPARE(headerValue(head, "Content-Length").toLongLong(), body.size());
        QCOMPARE(headerValue(head, "Connection").toLower(), QByteArray("close"));
        if (WS::HeadResult(result) == WS::HeadResult::PlainHttp) {
            QCOMPARE(body.trimmed(), QByteArray("okay"));
        }
        if (WS::HeadResult(result) == WS::HeadResult::BadVersion) {
            QCOMPARE(headerValue(head, "Sec-WebSocket-Version"), QByteArray("13"));
        }
    }

    void roomOf_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("room");
        QTest::newRow("path and query") << QByteArray("/a/b?x=1") << QByteArray("a/b");
        QTest::newRow("root") << QByteArray("/") << QByteArray("");
        QTest::newRow("root with query") << QByteArray("/?room=x") << QByteArray("");
        QTest::newRow("plain") << QByteArray("/notes") << QByteArray("notes");
        QTest::newRow("undecoded") << QByteArray("/a%20b?q=%20") << QByteArray("a%20b");
        QTest::newRow("two queries") << QByteArray("/r?a?b") << QByteArray("r");
    }

    void roomOf()
    {
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, room);
        QCOMPARE(WS::roomOf(target), room);
    }

    void parseClientFrameHeaderValid_data()
    {
        QTest::addColumn<int>("b0");
        QTest::addColumn<quint64>("length");
        QTest::addColumn<int>("headerLength");
        QTest::newRow("7-bit 0") << 0x82 << quint64(0) << 6;
        QTest::newRow("7-bit 125") << 0x82 << quint64(125) << 6;
        QTest::newRow("16-bit 126") << 0x82 << quint64(126) << 8;
        QTest::newRow("16-bit 65535") << 0x82 << quint64(65535) << 8;
        QTest::newRow("64-bit 65536") << 0x82 << quint64(65536) << 14;
        QTest::newRow("64-bit max") << 0x82 << quint64(0x7FFFFFFFFFFFFFFFull) << 14;
        QTest::newRow("text first fragment") << 0x01 << quint64(5) << 6;
        QTest::newRow("continuation") << 0x00 << quint64(300) << 8;
        QTest::newRow("last continuation") << 0x80 << quint64(1) << 6;
        QTest::newRow("close") << 0x88 << quint64(2) << 6;
        QTest::newRow("ping 125") << 0x89 << quint64(125) << 6;
        QTest::newRow("pong 0") << 0x8A << quint64(0) << 6;
    }

    void parseClientFrameHeaderValid()
    {
        QFETCH(int, b0);
        QFETCH(quint64, length);
        QFETCH(int, headerLength);
        const uint8_t mask[4] = {0x11, 0x22, 0x33, 0x44};
        const QByteArray h = clientFrameHeader(uint8_t(b0), length, mask) + "payload...";
        WS::FrameHeader header;
        const char *why = nullptr;
        QCOMPARE(WS::parseClientFrameHeader(span(h), header, &why), WS::FrameResult::Ok);
        QCOMPARE(header.fin, bool(b0 & 0x80));
        QCOMPARE(int(header.opcode), b0 & 0x0F);
        QCOMPARE(quint64(header.payloadLength), length);
        QCOMPARE(int(header.headerLength), headerLength);
        QCOMPARE(QByteArray(reinterpret_cast<const char *>(header.mask), 4),
                 QByteArray("\x11\x22\x33\x44"));
        // Every truncation of the header asks for more.
        for (int n = 0; n < headerLength; ++n) {
            WS::FrameHeader partial;
            QVERIFY2(WS::parseClientFrameHeader(span(h).first(size_t(n)), partial, &why)
                             == WS::FrameResult::NeedMore,
                     qPrintable(QStringLiteral("truncated to %1 bytes").arg(n)));
        }
    }

    void parseClientFrameHeaderErrors_data()
    {
        QTest::addColumn<QByteArray>("header");
        const uint8_t m[4] = {1, 2, 3, 4};
        QTest::newRow("unmasked") << clientFrameHeader(0x82, 4, nullptr);
        QTest::newRow("unmasked empty") << clientFrameHeader(0x82, 0, nullptr);
        QTest::newRow("RSV1") << clientFrameHeader(0xC2, 4, m);
        QTest::newRow("RSV2") << clientFrameHeader(0xA2, 4, m);
        QTest::newRow("RSV3") << clientFrameHeader(0x92, 4, m);
        QTest::newRow("opcode 3") << clientFrameHeader(0x83, 4, m);
        QTest::newRow("opcode 7") << clientFrameHeader(0x87, 4, m);
        QTest::newRow("opcode 0xB") << clientFrameHeader(0x8B, 4, m);
        QTest::newRow("opcode 0xF") << clientFrameHeader(0x8F, 4, m);
        QTest::newRow("ping 126") << clientFrameHeader(0x89, 126, m);
        QTest::newRow("close 16-bit length") << clientFrameHeader(0x88, 2, m, Len::Bits16);
        QTest::newRow("ping without FIN") << clientFrameHeader(0x09, 0, m);
        QTest::newRow("close without FIN") << clientFrameHeader(0x08, 2, m);
        QTest::newRow("pong without FIN") << clientFrameHeader(0x0A, 0, m);
        QTest::newRow("16-bit for 125") << clientFrameHeader(0x82, 125, m, Len::Bits16);
        QTest::newRow("16-bit for 0") << clientFrameHeader(0x82, 0, m, Len::Bits16);
        QTest::newRow("64-bit for 65535") << clientFrameHeader(0x82, 65535, m, Len::Bits64);
        QTest::newRow("64-bit for 0") << clientFrameHeader(0x82, 0, m, Len::Bits64);
        QTest::newRow("64-bit top bit") << clientFrameHeader(0x82, 0x8000000000000000ull, m);
        QTest::newRow("64-bit all ones") << clientFrameHeader(0x82, ~0ull, m);
    }

    void parseClientFrameHeaderErrors()
    {
        QFETCH(QByteArray, header);
        WS::FrameHeader h;
        const char *why = nullptr;
        QCOMPARE(WS::parseClientFrameHeader(span(header), h, &why), WS::FrameResult::Error);
        QVERIFY(why && *why);
    }

    void unmask()
    {
        const uint8_t mask[4] = {0xA1, 0x5B, 0x00, 0xFF};
        for (size_t length = 0; length <= 40; ++length) {
            // Every alignment of the start, so the word loop and the tail both see all phases.
            for (size_t offset = 0; offset < 4; ++offset) {
                std::vector<uint8_t> original(offset + length);
                for (auto &b : original) {
                    b = uint8_t(QRandomGenerator::global()->bounded(256));
                }
                std::vector<uint8_t> data = original;
                const std::span<uint8_t> s = std::span(data).subspan(offset);
                WS::unmask(s, mask);
                for (size_t i = 0; i < length; ++i) {
                    QVERIFY2(data[offset + i] == uint8_t(original[offset + i] ^ mask[i % 4]),
                             qPrintable(QStringLiteral("length %1 offset %2 byte %3")
                                                .arg(length)
                                                .arg(offset)
                                                .arg(i)));
                }
                for (size_t i = 0; i < offset; ++i) {
                    QCOMPARE(data[i], original[i]); // nothing before the span
                }
                WS::unmask(s, mask);
                QVERIFY(data == original);
            }
        }
    }

    void serverFrame_data()
    {
        QTest::addColumn<int>("length");
        QTest::addColumn<QByteArray>("header");
        QTest::newRow("0") << 0 << QByteArray("\x82\x00", 2);
        QTest::newRow("125") << 125 << QByteArray("\x82\x7D");
        QTest::newRow("126") << 126 << QByteArray("\x82\x7E\x00\x7E", 4);
        QTest::newRow("65535") << 65535 << QByteArray("\x82\x7E\xFF\xFF");
        QTest::newRow("65536") << 65536
                               << QByteArray("\x82\x7F\x00\x00\x00\x00\x00\x01\x00\x00", 10);
    }

    void serverFrame()
    {
        QFETCH(int, length);
        QFETCH(QByteArray, header);
        QByteArray payload(length, Qt::Uninitialized);
        for (int i = 0; i < length; ++i) {
            payload[i] = char(i * 7);
        }
        const QByteArray frame = WS::serverFrame(WS::Opcode::Binary, span(payload));
        QCOMPARE(frame.size(), header.size() + length);
        QCOMPARE(frame.left(header.size()).toHex(), header.toHex());
        QVERIFY(frame.mid(header.size()) == payload);
        // Other opcodes only change the first byte.
        const QByteArray pong = WS::serverFrame(WS::Opcode::Pong, span(payload));
        QCOMPARE(uint8_t(pong[0]), uint8_t(0x8A));
        QCOMPARE(pong.mid(1), frame.mid(1));
    }

    void closeFrame_data()
    {
        QTest::addColumn<QString>("reason");
        QTest::newRow("empty") << QString();
        QTest::newRow("short") << QStringLiteral("bye");
        QTest::newRow("ascii 123") << QString(123, u'a');
        QTest::newRow("ascii 200") << QString(200, u'a');
        QTest::newRow("2-byte chars") << QString(100, QChar(0xE9)); // é: cut at 122
        QTest::newRow("3-byte chars") << QString(60, QChar(0x20AC)); // €: 41 fit exactly
        QString emoji;
        for (int i = 0; i < 40; ++i) {
            emoji += QStringLiteral("\U0001F600"); // 4 bytes, a surrogate pair
        }
        QTest::newRow("4-byte chars") << emoji;
        QTest::newRow("ascii then 4-byte") << QStringLiteral("a") + emoji; // cut at 121
        QTest::newRow("mixed") << QString(60, QChar(0x20AC)) + QString(5, u'b');
    }

    void closeFrame()
    {
        QFETCH(QString, reason);
        const QByteArray frame = WS::closeFrame(4413, reason);
        QCOMPARE(uint8_t(frame[0]), uint8_t(0x88));
        const int length = uint8_t(frame[1]);
        QVERIFY(length <= 125); // a control frame, 7-bit length, unmasked
        QCOMPARE(frame.size(), 2 + length);
        QCOMPARE(frame.mid(2, 2), QByteArray("\x11\x3D")); // 4413
        const QByteArray sentReason = frame.mid(4);
        // Whole characters: the longest prefix of the reason whose UTF-8 fits in 123 bytes.
        QString expected;
        for (qsizetype i = 0; i < reason.size();) {
            const qsizetype n = reason.at(i).isHighSurrogate() ? 2 : 1;
            if ((expected + reason.mid(i, n)).toUtf8().size() > 123) {
                break;
            }
            expected += reason.mid(i, n);
            i += n;
        }
        QCOMPARE(sentReason, expected.toUtf8());
        QCOMPARE(QString::fromUtf8(sentReason).toUtf8(), sentReason); // valid UTF-8
    }

    void isValidCloseCode_data()
    {
        QTest::addColumn<int>("code");
        QTest::addColumn<bool>("valid");
        QTest::newRow("0") << 0 << false;
        QTest::newRow("999") << 999 << false;
        QTest::newRow("1000") << 1000 << true;
        QTest::newRow("1001") << 1001 << true;
        QTest::newRow("1002") << 1002 << true;
        QTest::newRow("1003") << 1003 << true;
        QTest::newRow("1004") << 1004 << false;
        QTest::newRow("1005") << 1005 << false;
        QTest::newRow("1006") << 1006 << false;
        QTest::newRow("1007") << 1007 << true;
        QTest::newRow("1011") << 1011 << true;
        QTest::newRow("1015") << 1015 << false;
        QTest::newRow("1016") << 1016 << false;
        QTest::newRow("2999") << 2999 << false;
        QTest::newRow("3000") << 3000 << true;
        QTest::newRow("4413") << 4413 << true;
        QTest::newRow("4999") << 4999 << true;
        QTest::newRow("5000") << 5000 << false;
        QTest::newRow("65535") << 65535 << false;
    }

    void isValidCloseCode()
    {
        QFETCH(int, code);
        QFETCH(bool, valid);
        QCOMPARE(WS::isValidCloseCode(quint16(code)), valid);
    }

    // --- Part 2: over real sockets -----------------------------------------------------

    void handshake()
    {
        RawClient c(port());
        QVERIFY(c.connected);
        const QByteArray key = randomKey();
        c.send(upgradeRequest(roomTarget() + "?token=abc", key));
        const auto head = c.readResponseHead();
        QVERIFY2(head, c.error.constData());
        QVERIFY2(head->startsWith("HTTP/1.1 101 "), head->constData());
        QCOMPARE(headerValue(*head, "Sec-WebSocket-Accept"), expectedAccept(key));
        QCOMPARE(headerValue(*head, "Upgrade").toLower(), QByteArray("websocket"));
        QCOMPARE(headerValue(*head, "Connection").toLower(), QByteArray("upgrade"));
        // The room speaks first: sync step 1 with its (empty) state vector.
        const auto f = c.readFrame();
        QVERIFY2(f, c.error.constData());
        QVERIFY(f->fin);
        QCOMPARE(f->opcode, uint8_t(0x2));
        QCOMPARE(f->payload.toHex(), EmptyStep1.toHex());
        QTRY_COMPARE(m_server->server->connectionCount(), 1);
    }

    void httpRefusals_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<QByteArray>("status");
        QTest::newRow("plain GET")
                << QByteArray("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") << QByteArray("200");
        QTest::newRow("garbage") << QByteArray("garbage garbage garbage garbage\r\n\r\n")
                                 << QByteArray("400");
        QTest::newRow("binary garbage")
                << QByteArray("\x16\x03\x01\x00\xa5\x01\r\n\r\n", 10) << QByteArray("400");
        QTest::newRow("version 8") << upgradeRequest("/r", randomKey(), "8") << QByteArray("426");
        QTest::newRow("POST") << upgradeRequest("/r", randomKey(), "13", "POST")
                              << QByteArray("400");
        QTest::newRow("bad key") << upgradeRequest("/r", "c2hvcnQ=") << QByteArray("400");
        // Exactly the limit without a blank line: the server has read all of it when it answers.
        QTest::newRow("head too large")
                << QByteArray("GET /" + QByteArray(WS::MaxRequestHeadBytes - 5, 'a'))
                << QByteArray("431");
    }

    void httpRefusals()
    {
        QFETCH(QByteArray, request);
        QFETCH(QByteArray, status);
        RawClient c(port());
        QVERIFY(c.connected);
        c.send(request);
        // The server answers, then closes the connection itself.
        QVERIFY2(c.waitClosed(), c.in.constData());
        c.pump();
        const qsizetype end = c.in.indexOf("\r\n\r\n");
        QVERIFY2(end > 0, c.in.constData());
        const QByteArray head = c.in.left(end + 4);
        const QByteArray body = c.in.mid(end + 4);
        QVERIFY2(head.startsWith(QByteArray("HTTP/1.1 " + status + ' ')), head.constData());
        QCOMPARE(headerValue(head, "Content-Length").toLongLong(), body.size());
        if (status == "200") {
            QCOMPARE(body.trimmed(), QByteArray("okay"));
        }
        if (status == "426") {
            QCOMPARE(headerValue(head, "Sec-WebSocket-Version"), QByteArray("13"));
        }
        QCOMPARE(m_server->server->connectionCount(), 0);
    }

    void badRoom_data()
    {
        QTest::addColumn<QByteArray>("target");
        QTest::newRow("root") << QByteArray("/");
        QTest::newRow("root with query") << QByteArray("/?room=x");
    }

    void badRoom()
    {
        QFETCH(QByteArray, target);
        RawClient c(port());
        QVERIFY2(c.open(target), c.error.constData());
        const auto f = c.readFrame();
        QVERIFY2(f, c.error.constData());
        QCOMPARE(f->opcode, uint8_t(0x8));
        QCOMPARE(closeCodeOf(*f), int(Server::CloseCode::BadRoom));
        QVERIFY(c.waitClosed());
        QCOMPARE(m_server->server->connectionCount(), 0);
    }

    void pipelinedHandshakeAndFrame()
    {
        RawClient c(port());
        QVERIFY(c.connected);
        const QByteArray key = randomKey();
        // One write: the server reads the head and the frame together.
        c.send(upgradeRequest(roomTarget(), key) + clientFrame(0x82, EmptyStep1));
        const auto head = c.readResponseHead();
        QVERIFY2(head, c.error.constData());
        QVERIFY2(head->startsWith("HTTP/1.1 101 "), head->constData());
        QCOMPARE(headerValue(*head, "Sec-WebSocket-Accept"), expectedAccept(key));
        const auto step1 = c.readFrame();
        QVERIFY2(step1, c.error.constData());
        QCOMPARE(step1->payload.toHex(), EmptyStep1.toHex());
        const auto step2 = c.readFrame();
        QVERIFY2(step2, c.error.constData());
        QCOMPARE(step2->opcode, uint8_t(0x2));
        QVERIFY2(step2->payload.startsWith(QByteArray("\x00\x01", 2)),
                 step2->payload.toHex().constData());
        const auto m = Protocol::decodeMessage(span(step2->payload));
        QVERIFY(m);
        QCOMPARE(m->step, Protocol::SyncStep::Step2);
    }

    void handshakeAndFrameInPieces()
    {
        RawClient c(port());
        QVERIFY(c.connected);
        const QByteArray key = randomKey();
        const QByteArray request = upgradeRequest(roomTarget(), key);
        // The head in three pieces, the last one ending inside the blank line.
        const qsizetype a = 10, b = request.size() - 3;
        for (const QByteArray &piece : {request.left(a), request.mid(a, b - a), request.mid(b)}) {
            c.send(piece);
            QTest::qWait(5); // separate reads on the server
        }
        const auto head = c.readResponseHead();
        QVERIFY2(head, c.error.constData());
        QCOMPARE(headerValue(*head, "Sec-WebSocket-Accept"), expectedAccept(key));
        QVERIFY2(c.readFrame(), c.error.constData()); // step 1
        // A frame in pieces: one byte of header, the rest of the header, then the payload
        // byte by byte.
        const QByteArray frame = clientFrame(0x82, EmptyStep1);
        QCOMPARE(frame.size(), 6 + EmptyStep1.size());
        QList<QByteArray> pieces {frame.left(1), frame.mid(1, 5)};
        for (qsizetype i = 6; i < frame.size(); ++i) {
            pieces.append(frame.mid(i, 1));
        }
        for (const QByteArray &piece : pieces) {
            c.send(piece);
            QTest::qWait(5);
            QVERIFY(c.in.isEmpty()); // no answer before the message is complete
        }
        const auto step2 = c.readFrame();
        QVERIFY2(step2, c.error.constData());
        QVERIFY(step2->payload.startsWith(QByteArray("\x00\x01", 2)));
    }

    void fragmentedMessage()
    {
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        // Sync step 1 in three fragments (binary, continuation, continuation), with a ping
        // between the second and the third.
        c.send(clientFrame(0x02, EmptyStep1.left(1)));
        c.send(clientFrame(0x00, EmptyStep1.mid(1, 2)));
        c.send(clientFrame(0x89, "between"));
        const auto pong = c.readFrame();
        QVERIFY2(pong, c.error.constData());
        QCOMPARE(pong->opcode, uint8_t(0xA));
        QVERIFY(pong->fin);
        QCOMPARE(pong->payload, QByteArray("between"));
        QVERIFY(c.in.isEmpty()); // the message is not complete yet
        c.send(clientFrame(0x80, EmptyStep1.mid(3)));
        const auto step2 = c.readFrame();
        QVERIFY2(step2, c.error.constData());
        QCOMPARE(step2->opcode, uint8_t(0x2));
        QVERIFY2(step2->payload.startsWith(QByteArray("\x00\x01", 2)),
                 step2->payload.toHex().constData());
        // And the connection goes on: the same message unfragmented gets the same answer.
        c.send(clientFrame(0x82, EmptyStep1));
        const auto again = c.readFrame();
        QVERIFY2(again, c.error.constData());
        QCOMPARE(again->payload, step2->payload);
    }

    void ping_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::newRow("abc") << QByteArray("abc");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("125 bytes") << QByteArray(125, '\xA5');
    }

    void ping()
    {
        QFETCH(QByteArray, payload);
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        c.send(clientFrame(0x89, payload));
        const auto pong = c.readFrame();
        QVERIFY2(pong, c.error.constData());
        QCOMPARE(pong->opcode, uint8_t(0xA));
        QVERIFY(pong->fin);
        QCOMPARE(pong->payload, payload);
    }

    void manyFramesInOneWrite()
    {
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        // An unsolicited pong is ignored; then 50 pings and a message, all in one write.
        QByteArray burst = clientFrame(0x8A, "unsolicited");
        for (int i = 0; i < 50; ++i) {
            burst += clientFrame(0x89, QByteArray::number(i));
        }
        burst += clientFrame(0x82, EmptyStep1);
        c.send(burst);
        for (int i = 0; i < 50; ++i) {
            const auto pong = c.readFrame();
            QVERIFY2(pong, c.error.constData());
            QCOMPARE(pong->opcode, uint8_t(0xA));
            QCOMPARE(pong->payload, QByteArray::number(i));
        }
        const auto step2 = c.readFrame();
        QVERIFY2(step2, c.error.constData());
        QVERIFY(step2->payload.startsWith(QByteArray("\x00\x01", 2)));
    }

    void largeMessage()
    {
        // Far above the server's 64 KB read buffer: the frame is assembled over many reads.
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        const QByteArray message = textUpdateMessage(4242, 150000, u'\u00e9'); // ~300 KB
        QVERIFY(message.size() > 256 * 1024);
        c.send(clientFrame(0x82, message));
        const auto echo = c.readFrame();
        QVERIFY2(echo, c.error.constData());
        const auto m = Protocol::decodeMessage(span(echo->payload));
        QVERIFY(m);
        QCOMPARE(m->step, Protocol::SyncStep::Update);
        Crdt::Doc check(1);
        QVERIFY(!check.applyUpdate(m->payload));
        QCOMPARE(check.getText("text").toString(), std::u16string(150000, u'\u00e9'));
    }

    void protocolViolations_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("unmasked") << clientFrame(0x82, EmptyStep1, false);
        QTest::newRow("RSV1") << clientFrame(0xC2, EmptyStep1);
        QTest::newRow("RSV3") << clientFrame(0x92, EmptyStep1);
        QTest::newRow("opcode 3") << clientFrame(0x83, EmptyStep1);
        QTest::newRow("opcode 0xB") << clientFrame(0x8B, "x");
        QTest::newRow("continuation without start") << clientFrame(0x80, EmptyStep1);
        QTest::newRow("data frame during fragments")
                << clientFrame(0x02, EmptyStep1.left(2)) + clientFrame(0x82, EmptyStep1);
        QTest::newRow("ping of 126 bytes") << clientFrame(0x89, QByteArray(126, 'p'));
        QTest::newRow("fragmented ping") << clientFrame(0x09, "p");
        QTest::newRow("non-minimal length") << clientFrame(0x82, EmptyStep1, true, Len::Bits16);
        QTest::newRow("close with one byte") << clientFrame(0x88, "\x03");
        QTest::newRow("close with 1005") << clientFrame(0x88, closePayload(1005));
        QTest::newRow("close with 2999") << clientFrame(0x88, closePayload(2999));
    }

    void protocolViolations()
    {
        QFETCH(QByteArray, input);
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        QCOMPARE(m_server->server->connectionCount(), 1);
        c.send(input);
        const auto f = c.readFrame();
        QVERIFY2(f, c.error.constData());
        QCOMPARE(f->opcode, uint8_t(0x8));
        QCOMPARE(closeCodeOf(*f), int(WS::Close::ProtocolError));
        QVERIFY(f->payload.size() <= 125);
        // The room lets go of it at once; the server ends the connection (FIN after its close
        // frame, which makes QTcpSocket close its side too).
        QCOMPARE(m_server->server->connectionCount(), 0);
        QVERIFY(c.waitClosed(3000));
    }

    void messageSizeLimit_data()
    {
        QTest::addColumn<QByteArray>("input");
        const auto mask = randomMask();
        // Only the header: the limit is enforced before any payload arrives.
        QTest::newRow("16-bit header only") << clientFrameHeader(0x82, 4097, mask.data());
        QTest::newRow("64-bit header only") << clientFrameHeader(0x82, 1ull << 40, mask.data());
        QTest::newRow("whole frame of 4097") << clientFrame(0x82, QByteArray(4097, 'z'));
        // Fragments add up: 3000 sent, then a continuation header announcing 1097 more.
        QTest::newRow("fragments add up") << clientFrame(0x02, QByteArray(3000, '\0'))
                        + clientFrameHeader(0x80, 1097, mask.data());
    }

    void messageSizeLimit()
    {
        QFETCH(QByteArray, input);
        RawClient c(m_small->port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        c.send(input);
        const auto f = c.readFrame(2000);
        QVERIFY2(f, c.error.constData());
        QCOMPARE(f->opcode, uint8_t(0x8));
        QCOMPARE(closeCodeOf(*f), int(Server::CloseCode::TooLarge));
        QVERIFY(c.waitClosed(3000));
    }

    void messageAtSizeLimit()
    {
        // A message of exactly maxMessageBytes is accepted (the limit is inclusive).
        const qsizetype chars = 4000 + (4096 - textUpdateMessage(8, 4000).size());
        const QByteArray message = textUpdateMessage(8, chars);
        QCOMPARE(message.size(), 4096);
        RawClient c(m_small->port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        // In two fragments, so the fragment total is what is checked.
        c.send(clientFrame(0x02, message.left(1000)) + clientFrame(0x80, message.mid(1000)));
        const auto echo = c.readFrame();
        QVERIFY2(echo, c.error.constData());
        QCOMPARE(echo->opcode, uint8_t(0x2));
        const auto m = Protocol::decodeMessage(span(echo->payload));
        QVERIFY(m);
        QCOMPARE(m->step, Protocol::SyncStep::Update);
        Crdt::Doc check(1);
        QVERIFY(!check.applyUpdate(m->payload));
        QCOMPARE(check.getText("text").toString(), std::u16string(size_t(chars), u'x'));
    }

    void textMessage_data()
    {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("text") << clientFrame(0x81, "hello");
        QTest::newRow("fragmented text") << clientFrame(0x01, "hel") + clientFrame(0x80, "lo");
    }

    void textMessage()
    {
        QFETCH(QByteArray, input);
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        c.send(input);
        const auto f = c.readFrame();
        QVERIFY2(f, c.error.constData());
        QCOMPARE(f->opcode, uint8_t(0x8));
        QCOMPARE(closeCodeOf(*f), int(Server::CloseCode::BadMessage));
        QVERIFY(c.waitClosed(3000));
    }

    void clientClose_data()
    {
        QTest::addColumn<QByteArray>("payload");
        QTest::addColumn<QByteArray>("answer");
        QTest::newRow("1000") << closePayload(1000) << closePayload(1000);
        QTest::newRow("1000 with reason") << closePayload(1000, "bye") << closePayload(1000);
        QTest::newRow("1001") << closePayload(1001) << closePayload(1001);
        QTest::newRow("4000") << closePayload(4000) << closePayload(4000);
        QTest::newRow("no code") << QByteArray() << QByteArray();
    }

    void clientClose()
    {
        QFETCH(QByteArray, payload);
        QFETCH(QByteArray, answer);
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        QCOMPARE(m_server->server->connectionCount(), 1);
        c.send(clientFrame(0x88, payload));
        const auto f = c.readFrame();
        QVERIFY2(f, c.error.constData());
        QCOMPARE(f->opcode, uint8_t(0x8));
        QVERIFY(f->fin);
        QCOMPARE(f->payload.toHex(), answer.toHex());
        // Then the server closes the TCP connection: nothing more comes.
        QVERIFY(c.waitClosed(3000));
        c.pump();
        QVERIFY2(c.in.isEmpty(), c.in.toHex().constData());
        QTRY_COMPARE(m_server->server->connectionCount(), 0);
    }

    void dataAfterClientCloseIsIgnored()
    {
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        // A ping after the close frame gets no pong: the connection is closing.
        c.send(clientFrame(0x88, closePayload(1000)) + clientFrame(0x89, "late"));
        const auto f = c.readFrame();
        QVERIFY2(f, c.error.constData());
        QCOMPARE(f->opcode, uint8_t(0x8));
        QCOMPARE(closeCodeOf(*f), 1000);
        QVERIFY(c.waitClosed(3000));
        c.pump();
        QVERIFY2(c.in.isEmpty(), c.in.toHex().constData());
    }

    void serverPingsAndDropsSilentPeer()
    {
        Server::ServerOptions options;
        options.pingIntervalMs = 250;
        TestServer s(options);
        QVERIFY2(s.ok, qPrintable(s.error));
        RawClient live(s.port());
        RawClient silent(s.port());
        QVERIFY2(live.join("/pinged"), live.error.constData());
        QVERIFY2(silent.join("/pinged"), silent.error.constData());
        QCOMPARE(s.server->connectionCount(), 2);

        // The live client answers every ping; the silent one never does and is dropped
        // without a close frame (abort) at the second ping.
        int pings = 0;
        const bool dropped = live.waitFor(
                [&] {
                    while (auto f = live.takeFrame()) {
                        if (f->opcode == 0x9) {
                            ++pings;
                            live.send(clientFrame(0x8A, f->payload));
                        }
                    }
                    silent.pump();
                    return silent.socket.state() == QAbstractSocket::UnconnectedState && pings >= 2;
                },
                3000);
        QVERIFY2(dropped,
                 qPrintable(QStringLiteral("pings answered: %1, silent client %2")
                                    .arg(pings)
                                    .arg(silent.socket.state())));
        QVERIFY(live.error.isEmpty());
        QCOMPARE(live.socket.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(s.server->connectionCount(), 1);
        // The silent one saw pings, but no close frame.
        while (auto f = silent.takeFrame()) {
            QVERIFY(f->opcode != 0x8);
        }
    }

#ifdef Q_OS_UNIX
    void acceptedSocketsAreNonBlocking()
    {
        // The server is single-threaded: one blocking send() to a client that does not read
        // stops every room. Find the server's end of this connection among our descriptors.
        RawClient c(port());
        QVERIFY2(c.join(roomTarget()), c.error.constData());
        const quint16 clientPort = c.socket.localPort();
        int serverSide = -1;
        for (int fd = 0; fd < 65536 && serverSide < 0; ++fd) {
            sockaddr_in local {}, peer {};
            socklen_t length = sizeof local;
            if (::getsockname(fd, reinterpret_cast<sockaddr *>(&local), &length) != 0
                || local.sin_family != AF_INET || ntohs(local.sin_port) != port()) {
                continue;
            }
            length = sizeof peer;
            if (::getpeername(fd, reinterpret_cast<sockaddr *>(&peer), &length) == 0
                && ntohs(peer.sin_port) == clientPort) {
                serverSide = fd;
            }
        }
        QVERIFY2(serverSide >= 0, "the server's socket for the connection was not found");
        const int flags = ::fcntl(serverSide, F_GETFL);
        QVERIFY(flags >= 0);
        QVERIFY2(flags & O_NONBLOCK, "an accepted connection's socket is in blocking mode");
    }
#endif

    void slowReaderDoesNotHoldUpOthers()
    {
        QElapsedTimer timer;
        timer.start();
        const QByteArray target = roomTarget();
        // No small SO_RCVBUF here: set before connecting, it also clamps the TCP window for
        // good, and the slow reader could then not catch up within seconds at the end.
        RawClient slow(port());
        QVERIFY2(slow.join(target), slow.error.constData());
        // From now on the slow client takes nothing: Qt buffers at most a byte for it, so the
        // kernel's buffers fill and then the server's.
        slow.socket.setReadBufferSize(1);
        RawClient writer(port());
        QVERIFY2(writer.join(target), writer.error.constData());

        Crdt::Doc doc(77);
        std::vector<uint8_t> update;
        doc.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
            update.assign(u.begin(), u.end());
        });
        Crdt::Text text = doc.getText("text");
        // 60 updates of 60 K two-byte characters: about 7 MB, more than the kernel buffers on
        // both ends of a loopback connection hold (4 MB send buffer at most by default).
        constexpr int Updates = 60;
        constexpr size_t Chars = 60 * 1024;
        qint64 slowestEcho = 0;
        {
#ifdef Q_OS_UNIX
            StallBreaker breaker(slow.socket.socketDescriptor(), 1500);
#endif
            for (int i = 0; i < Updates; ++i) {
                text.insert(text.length(), std::u16string(Chars, char16_t(u'\u00e0' + i % 26)));
                writer.send(clientFrame(0x82, bytes(Protocol::encodeSyncUpdate(update))));
                QElapsedTimer echoTimer;
                echoTimer.start();
                const auto echo = writer.readFrame(1000); // its own echo, promptly
#ifdef Q_OS_UNIX
                QVERIFY2(!breaker.fired(),
                         qPrintable(QStringLiteral(
                                            "update %1: the server's thread stalled for more than "
                                            "1.5 s while the slow reader did not read (a blocking "
                                            "write to it?)")
                                            .arg(i)));
                breaker.beat();
#endif
                QVERIFY2(echo,
                         qPrintable(QStringLiteral("update %1: %2")
                                            .arg(i)
                                            .arg(QString::fromLatin1(writer.error))));
                QVERIFY(echo->payload.startsWith(QByteArray("\x00\x02", 2)));
                slowestEcho = std::max(slowestEcho, echoTimer.elapsed());
            }
        }
        // The server did have to hold data back for the slow reader.
        qint64 held = 0;
        for (auto *c : m_server->server->findChildren<Server::WebSocketConnection *>()) {
            held = std::max(held, c->bufferedBytes());
        }
        qDebug("slowest echo %lld ms; %lld bytes held for the slow reader after %lld ms",
               slowestEcho, held, timer.elapsed());
        QVERIFY2(held > 0, "the slow reader never filled its buffers: the test proves nothing");
        QCOMPARE(slow.socket.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(m_server->server->connectionCount(), 2);

        // The slow reader reads again and gets everything, whole and in order.
        slow.socket.setReadBufferSize(0);
        Crdt::Doc check(1);
        for (int i = 0; i < Updates; ++i) {
            const auto f = slow.readFrame(5000);
            QVERIFY2(f,
                     qPrintable(QStringLiteral("update %1: %2")
                                        .arg(i)
                                        .arg(QString::fromLatin1(slow.error))));
            const auto m = Protocol::decodeMessage(span(f->payload));
            QVERIFY(m);
            QCOMPARE(m->step, Protocol::SyncStep::Update);
            QVERIFY(!check.applyUpdate(m->payload));
        }
        QVERIFY(check.getText("text").toString() == text.toString());
        auto totalHeld = [&] {
            qint64 n = 0;
            for (auto *c : m_server->server->findChildren<Server::WebSocketConnection *>()) {
                n += c->bufferedBytes();
            }
            return n;
        };
        QTRY_COMPARE_WITH_TIMEOUT(totalHeld(), qint64(0), 2000);
        qDebug("done after %lld ms", timer.elapsed());
    }
};

QTEST_GUILESS_MAIN(tst_WebSocket)
#include "tst_websocket.moc"
