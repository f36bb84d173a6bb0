// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: untrusted bytes through the room server's real message path. A real Room
// (loaded from an in-memory RoomStore, the unit boundary) takes real WebSocketConnections,
// each on one end of a socketpair; the fuzz input is cut into records that a client writes on
// the other end as masked WebSocket frames (whole, fragmented, interleaved with pings, or raw
// bytes), to up to two connections, and the Qt event loop runs until the server has read
// everything. So the input goes through the epoll poller, the frame parser, the envelope,
// sync step 1 / step 2 / updates (applied to the room's document, stored, compacted every few
// updates) and awareness (applied, relayed), with the server's own error paths (4400 closes,
// protocol errors, close handshakes, pings) and limits (read-only guests, the message rate,
// the room's size, a memory budget, the message size) as they really run. Half the inputs
// share the room with other server instances (a RoomRelay: what Redis carries in production)
// and may inject what those relay.
//
// Checked: everything the server sends is a valid frame holding a valid message that a
// client's document and awareness accept, and so is everything it publishes to the other
// instances; a client that asks with its state vector at the end holds the room's state;
// after each input the room's document is consistent, encodes into something a fresh
// document accepts, and what was stored loads (in a second Room) to the same state; every
// connection is gone once the clients hang up; the memory budget counts the room, then
// nothing. (Limits of the comparisons: see Fuzz::differs in fuzzsupport.h.)
//
// Input: records of one control byte, a 2-byte little-endian length and that many bytes.
// Control byte: bit 0 the client (0 or 1), bits 1-3 the kind, bit 4 "let the server run
// before the next record" (otherwise records pile up and arrive together), bit 7 "if this
// record opens a connection, it is a read-only guest's", bits 5-6 a variant:
//   0-3 one binary frame holding the message
//   4   the message in two fragments (variant 1: a ping between them)
//   5   a ping with the first 125 bytes (variant 1: a text frame, which the server refuses;
//       variants 2, 3: no client, the bytes are a message another server instance relayed)
//   6   raw bytes, written as they are (any frame, valid or not)
//   7   variant 0: the client hangs up; 1: sends a close frame; 2: the room pings; 3: compacts
// A client that was closed reconnects on its next record (at most 16 connections per input).
#include "core/crdt/doc.h"
#include "core/protocol/awareness.h"
#include "core/protocol/messages.h"
#include "core/server/room.h"
#include "core/server/roomserver.h"
#include "core/server/socketpoller.h"
#include "core/server/websocket.h"
#include "core/server/websocketconnection.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QPointer>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/sockios.h>
#include <memory>
#include <set>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzzsupport.h"

using namespace Tandem;
using namespace Tandem::Server;
namespace WS = Tandem::Server::WebSocket;

namespace {

[[noreturn]] void fail(const char *what, const std::string &detail = {})
{
    std::fprintf(stderr, "fuzz_server: %s %s\n", what, detail.c_str());
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok) {
        fail(what);
    }
}

SocketPoller *g_poller = nullptr;
ServerOptions g_options;
WebSocketConnection::Limits g_limits;

constexpr int MaxConnections = 16;
bool g_trace = false; ///< FUZZ_SERVER_TRACE=1: the records and what the clients get
uint8_t g_maskCounter = 0; ///< varies the masks, from the same start for every input
constexpr int MaxRounds = 5000;

const QByteArray Handshake = "GET /fuzz?x=1 HTTP/1.1\r\n"
                             "Host: fuzz\r\n"
                             "Upgrade: websocket\r\n"
                             "Connection: keep-alive, Upgrade\r\n"
                             "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                             "Sec-WebSocket-Version: 13\r\n\r\n";

/// A client frame, masked as RFC 6455 requires of clients.
std::vector<uint8_t> clientFrame(uint8_t opcode, bool fin, std::span<const uint8_t> payload)
{
    const uint8_t mask[4]
            = {0x5A, uint8_t(0xC3 + g_maskCounter), 0x00, uint8_t(0x81 ^ g_maskCounter)};
    ++g_maskCounter;
    std::vector<uint8_t> f;
    f.push_back(uint8_t((fin ? 0x80 : 0) | opcode));
    const size_t n = payload.size();
    if (n < 126) {
        f.push_back(uint8_t(0x80 | n));
    } else if (n <= 0xFFFF) {
        f.push_back(0x80 | 126);
        f.push_back(uint8_t(n >> 8));
        f.push_back(uint8_t(n));
    } else {
        f.push_back(0x80 | 127);
        for (int i = 7; i >= 0; --i) {
            f.push_back(uint8_t(uint64_t(n) >> (8 * i)));
        }
    }
    f.insert(f.end(), mask, mask + 4);
    for (size_t i = 0; i < n; ++i) {
        f.push_back(payload[i] ^ mask[i % 4]);
    }
    return f;
}

/// Joins connections to the room once their handshake is done (what RoomServer does).
/// The other server instances (Redis, in production): what the room publishes must be valid
/// messages whose updates and presence another instance accepts.
class CheckingRelay : public RoomRelay
{
public:
    virtual ~CheckingRelay() = default;
    void publish(const QString &, std::span<const uint8_t> message) override
    {
        Encoding::DecodeError error;
        const auto m = Protocol::decodeMessage(message, &error);
        if (!m) {
            fail("the room published a malformed message:", error.toString());
        }
        if (m->type == Protocol::MessageType::Sync && m->step == Protocol::SyncStep::Step1) {
            check(m_instance.encodeStateAsUpdate(m->payload).has_value(),
                  "the room published a malformed state vector");
        } else if (m->type == Protocol::MessageType::Sync) {
            if (const auto err = m_instance.applyUpdate(m->payload)) {
                fail("another instance refused an update the room published:", err.toString());
            }
        } else if (m->type == Protocol::MessageType::Awareness) {
            if (const auto err = m_presence.applyUpdate(m->payload, nullptr)) {
                fail("another instance refused presence the room published:", err.toString());
            }
        } else {
            fail("the room published an unexpected message type");
        }
    }

private:
    Crdt::Doc m_instance {44};
    Protocol::Awareness m_presence {45};
};

class JoinListener : public WebSocketConnection::Listener
{
public:
    explicit JoinListener(Room &room) : m_room(room) { }
    virtual ~JoinListener() = default;
    void onOpen(WebSocketConnection *c) override
    {
        AccessRights access;
        access.readOnly = readOnly.erase(c) > 0;
        m_room.join(c, access);
    }
    void onMessage(WebSocketConnection *, std::span<const uint8_t>, bool) override { }
    void onClosed(WebSocketConnection *) override { }

    std::set<WebSocketConnection *> readOnly; ///< connections to join as read-only guests

private:
    Room &m_room;
};

/// The client side of one connection: writes frames, reads and checks what the server sends.
struct Client
{
    int fd = -1;
    QPointer<WebSocketConnection> connection; ///< the server's side (for the leak check)
    std::vector<uint8_t> inbox;
    std::vector<uint8_t> replies; ///< answers queued while parsing
    int id = 0; ///< for traces: the order of connections in the input
    int answers = 0; ///< sync step 2 messages received
    bool open = false; ///< the 101 response has come
    bool done = false; ///< closed (by either side): reconnect before sending again
    Crdt::Doc mirror {42};
    Protocol::Awareness awareness {43};

    void hangUp()
    {
        if (fd >= 0) {
            ::close(fd);
            fd = -1;
        }
        done = true;
    }

    /// Writes all of @p bytes (running the server while the socket is full).
    void send(std::span<const uint8_t> bytes, const std::function<void()> &pump)
    {
        size_t at = 0;
        int stalls = 0;
        while (at < bytes.size() && fd >= 0) {
            const ssize_t n = ::send(fd, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
            if (n > 0) {
                at += size_t(n);
                stalls = 0;
            } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
                if (++stalls > MaxRounds) {
                    fail("the server stopped reading a connection it keeps open");
                }
                pump();
            } else if (n < 0 && errno == EINTR) {
                continue;
            } else {
                hangUp(); // the server closed it
            }
        }
    }

    void sendFrame(uint8_t opcode, bool fin, std::span<const uint8_t> payload,
                   const std::function<void()> &pump)
    {
        send(clientFrame(opcode, fin, payload), pump);
    }

    /// Bytes written that the server has not read yet.
    int unread() const
    {
        int n = 0;
        if (fd >= 0 && ::ioctl(fd, SIOCOUTQ, &n) != 0) {
            n = 0;
        }
        return n;
    }

    void receive(const std::function<void()> &pump)
    {
        uint8_t buffer[16384];
        while (fd >= 0) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n > 0) {
                inbox.insert(inbox.end(), buffer, buffer + n);
                continue;
            }
            if (n < 0 && errno == EINTR) {
                continue;
            }
            if (n == 0 || !(errno == EAGAIN || errno == EWOULDBLOCK)) {
                parse();
                hangUp();
                return;
            }
            break;
        }
        parse();
        if (!replies.empty()) {
            std::vector<uint8_t> out;
            out.swap(replies);
            send(out, pump);
        }
    }

    void parse()
    {
        size_t pos = 0;
        if (!open) {
            const auto end = std::search(inbox.begin(), inbox.end(), "\r\n\r\n", &"\r\n\r\n"[4]);
            if (end == inbox.end()) {
                return;
            }
            const std::string head(inbox.begin(), end);
            check(head.starts_with("HTTP/1.1 101 "), "the server refused a valid upgrade");
            check(head.find("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
                          != std::string::npos,
                  "wrong Sec-WebSocket-Accept");
            open = true;
            pos = size_t(end - inbox.begin()) + 4;
        }
        while (inbox.size() - pos >= 2) {
            const uint8_t *p = inbox.data() + pos;
            const size_t avail = inbox.size() - pos;
            check(!(p[1] & 0x80) && !(p[0] & 0x70), "a server frame is masked or has RSV bits");
            uint64_t length = p[1] & 0x7F;
            size_t header = 2;
            if (length == 126) {
                if (avail < 4) {
                    break;
                }
                length = uint64_t(p[2]) << 8 | p[3];
                header = 4;
            } else if (length == 127) {
                if (avail < 10) {
                    break;
                }
                length = 0;
                for (int i = 0; i < 8; ++i) {
                    length = length << 8 | p[2 + i];
                }
                header = 10;
            }
            if (avail - header < length) {
                break;
            }
            check(p[0] & 0x80, "the server fragmented a message");
            onFrame(p[0] & 0x0F, std::span<const uint8_t>(p + header, size_t(length)));
            pos += header + size_t(length);
            if (fd < 0) {
                break;
            }
        }
        inbox.erase(inbox.begin(), inbox.begin() + qsizetype(std::min(pos, inbox.size())));
    }

    /// Queues an answer (pong, close) to send once the frames read are handled: sending may
    /// have to run the server, which must not happen while the inbox is being parsed.
    void reply(uint8_t opcode, std::span<const uint8_t> payload)
    {
        const auto f = clientFrame(opcode, true, payload);
        replies.insert(replies.end(), f.begin(), f.end());
    }

    void onFrame(uint8_t opcode, std::span<const uint8_t> payload)
    {
        switch (opcode) {
        case 0x2:
            onMessage(payload);
            return;
        case 0x9:
            reply(0xA, payload); // as a client must
            return;
        case 0xA:
            return;
        case 0x8: {
            check(payload.size() != 1 && payload.size() <= 125, "a bad close frame");
            if (payload.size() >= 2) {
                const quint16 code = quint16(payload[0] << 8 | payload[1]);
                check(WS::isValidCloseCode(code), "the server sent an invalid close code");
                const uint8_t answer[2] = {payload[0], payload[1]};
                reply(0x8, answer);
            } else {
                reply(0x8, {});
            }
            done = true; // the server reads our answer, then closes; we close after that
            return;
        }
        default:
            fail("the server sent a frame with opcode", std::to_string(opcode));
        }
    }

    void onMessage(std::span<const uint8_t> message)
    {
        Encoding::DecodeError error;
        const auto m = Protocol::decodeMessage(message, &error);
        if (!m) {
            fail("the server sent a malformed message:", error.toString());
        }
        if (g_trace) {
            std::fprintf(stderr, "  client %d got type %d step %d, %zu payload bytes\n", id,
                         int(m->type), int(m->step), m->payload.size());
        }
        switch (m->type) {
        case Protocol::MessageType::Sync:
            if (m->step == Protocol::SyncStep::Step1) {
                check(mirror.encodeStateAsUpdate(m->payload).has_value(),
                      "the server sent a malformed state vector");
            } else if (const auto err = mirror.applyUpdate(m->payload)) {
                fail("a client refused an update from the server:", err.toString());
            }
            answers += m->step == Protocol::SyncStep::Step2;
            return;
        case Protocol::MessageType::Awareness:
            if (const auto err = awareness.applyUpdate(m->payload, nullptr)) {
                fail("a client refused an awareness update from the server:", err.toString());
            }
            return;
        default:
            fail("the server sent an unexpected message type");
        }
    }
};

void checkDoc(const Crdt::Doc &doc, const char *what)
{
    const std::string problem = doc.checkIntegrity();
    if (!problem.empty()) {
        fail(what, problem);
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    static int argc = 1;
    static char arg0[] = "fuzz_server";
    static char *argv[] = {arg0, nullptr};
    new QCoreApplication(argc, argv);
    g_trace = qEnvironmentVariableIsSet("FUZZ_SERVER_TRACE");
    if (!qEnvironmentVariableIsSet("FUZZ_SERVER_LOG")) { // set it to see what the server does
        QLoggingCategory::setFilterRules(QStringLiteral("tandem.*=false"));
    }
    g_poller = new SocketPoller;
    g_options.compactEvery = 4; // the real compaction path, often
    g_limits.maxMessageBytes = 8 * 1024; // the size limit is reachable
    g_limits.tooLargeCode = CloseCode::TooLarge;
    // The abuse limits within reach of one input: a room full at 8 KiB, a burst of 64
    // messages per connection (the byte rate stays the server's default).
    g_options.maxRoomBytes = 8 * 1024;
    g_options.messageBurst = 64;
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    g_maskCounter = 0;
    Fuzz::MemoryRoomStore store;
    auto room = std::make_unique<Room>(QStringLiteral("fuzz"), store, g_options);
    QString error;
    check(room->load(&error), "an empty room does not load");
    // Odd-sized inputs run under a memory budget smaller than the room's own limit.
    MemoryBudget budget;
    budget.limit = size % 2 ? 6 * 1024 : 0;
    room->setMemoryBudget(&budget);
    // Half the inputs run in a room shared with other instances (what it publishes is checked).
    CheckingRelay relay;
    if ((size / 2) % 2) {
        room->setRelay(&relay);
        room->resyncRelay();
    }
    JoinListener joiner(*room);

    std::vector<std::unique_ptr<Client>> clients; // every client of this input
    Client *slots[2] = {nullptr, nullptr};

    std::function<void()> pump = [&] {
        QCoreApplication::processEvents(QEventLoop::AllEvents);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        for (auto &c : clients) {
            c->receive(pump);
        }
    };
    // Runs the server until it has read everything written (then a little more, for what it
    // queued: flushes, close reports).
    auto settle = [&] {
        for (int round = 0;; ++round) {
            pump();
            bool unread = false;
            for (auto &c : clients) {
                unread = unread || c->unread() > 0;
            }
            if (!unread) {
                break;
            }
            if (round > MaxRounds) {
                fail("the server does not read what it is sent");
            }
        }
        pump();
        pump();
    };
    auto client = [&](int slot, bool readOnly) -> Client * {
        Client *c = slots[slot];
        if (c && !c->done && c->fd >= 0) {
            return c;
        }
        if (c) {
            c->hangUp();
        }
        if (int(clients.size()) >= MaxConnections) {
            return nullptr;
        }
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
            fail("socketpair:", std::strerror(errno));
        }
        ::fcntl(sv[1], F_SETFL, ::fcntl(sv[1], F_GETFL) | O_NONBLOCK);
        clients.push_back(std::make_unique<Client>());
        c = clients.back().get();
        c->id = int(clients.size()) - 1;
        if (g_trace) {
            std::fprintf(stderr, "  connection %d opens for slot %d%s\n", c->id, slot,
                         readOnly ? ", read-only" : "");
        }
        c->fd = sv[1];
        c->connection = new WebSocketConnection(sv[0], *g_poller, g_limits, &joiner);
        if (readOnly) {
            joiner.readOnly.insert(c->connection.data());
        }
        c->send(std::span(reinterpret_cast<const uint8_t *>(Handshake.constData()),
                          size_t(Handshake.size())),
                pump);
        slots[slot] = c;
        return c;
    };

    std::span<const uint8_t> rest(data, size);
    while (rest.size() >= 3) {
        const uint8_t control = rest[0];
        const size_t length = std::min<size_t>(rest[1] | size_t(rest[2]) << 8, rest.size() - 3);
        const auto payload = rest.subspan(3, length);
        rest = rest.subspan(3 + length);
        const int kind = (control >> 1) & 7;
        const int variant = (control >> 5) & 3;
        if (g_trace) {
            std::fprintf(stderr, "record: client %d kind %d variant %d%s%s, %zu bytes\n",
                         control & 1, kind, variant, control & 0x10 ? " settle" : "",
                         control & 0x80 ? " read-only" : "", payload.size());
        }
        if (kind == 7 && variant >= 2) {
            if (variant == 2) {
                room->ping();
            } else {
                room->compact();
            }
        } else if (kind == 5 && variant >= 2) {
            room->applyFromRelay(payload);
        } else if (Client *c = client(control & 1, control & 0x80)) {
            switch (kind) {
            case 4: {
                const auto head = payload.first(payload.size() / 2);
                c->sendFrame(0x2, false, head, pump);
                if (variant & 1) {
                    c->sendFrame(0x9, true, head.first(std::min<size_t>(head.size(), 125)), pump);
                }
                c->sendFrame(0x0, true, payload.subspan(head.size()), pump);
                break;
            }
            case 5:
                c->sendFrame(variant & 1 ? 0x1 : 0x9, true,
                             payload.first(std::min<size_t>(payload.size(), 125)), pump);
                break;
            case 6:
                c->send(payload, pump);
                break;
            case 7:
                if (variant == 0) {
                    c->hangUp();
                } else {
                    std::vector<uint8_t> close = {0x03, 0xE8};
                    close.insert(close.end(), payload.begin(),
                                 payload.begin()
                                         + qsizetype(std::min<size_t>(payload.size(), 123)));
                    c->sendFrame(0x8, true, close, pump);
                    c->done = true;
                }
                break;
            default:
                c->sendFrame(0x2, true, payload, pump);
                break;
            }
        }
        if (control & 0x10) {
            settle();
        }
    }
    settle();
    room->checkAwareness();

    // A client that is still there asks for what it lacks: then it holds the room's state.
    for (Client *c : slots) {
        if (c && c->open && !c->done && c->fd >= 0) {
            if (g_trace) {
                std::fprintf(stderr, "final sync of connection %d\n", c->id);
            }
            // (Raw bytes sent before may have left a partial frame that swallows this one:
            // then no answer comes, and there is nothing to compare.)
            const int answersBefore = c->answers;
            const auto step1 = Protocol::encodeSyncStep1(c->mirror.encodeStateVector());
            c->sendFrame(0x2, true, step1, pump);
            settle();
            if (c->open && !c->done && c->fd >= 0 && c->answers > answersBefore) {
                if (const char *what = Fuzz::differs(room->doc(), c->mirror)) {
                    std::fprintf(stderr, "room:  %s\nother: %s\n",
                                 Fuzz::describe(room->doc()).c_str(),
                                 Fuzz::describe(c->mirror).c_str());
                    fail("a client that synced has", what);
                }
                checkDoc(c->mirror, "a client's document after syncing:");
            }
        }
    }

    // Everyone hangs up: every connection must go.
    for (auto &c : clients) {
        c->hangUp();
    }
    for (int round = 0;; ++round) {
        QCoreApplication::processEvents(QEventLoop::AllEvents);
        QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
        bool alive = false;
        for (auto &c : clients) {
            alive = alive || !c->connection.isNull();
        }
        if (!alive) {
            break;
        }
        if (round > MaxRounds) {
            fail("a connection outlived its client");
        }
    }
    check(room->connectionCount() == 0, "the room still counts connections");

    checkDoc(room->doc(), "the room's document:");
    const auto state = room->doc().encodeStateAsUpdate();
    {
        Crdt::Doc fresh(7);
        if (const auto err = fresh.applyUpdate(state)) {
            fail("a fresh document refused the room's state:", err.toString());
        }
        checkDoc(fresh, "a fresh document with the room's state:");
    }
    {
        // What was stored (updates, compacted snapshots) loads to the same state.
        Room reloaded(QStringLiteral("fuzz"), store, g_options);
        QString reloadError;
        if (!reloaded.load(&reloadError)) {
            fail("the stored room does not load:", reloadError.toStdString());
        }
        checkDoc(reloaded.doc(), "the reloaded room:");
        if (const char *what = Fuzz::differs(room->doc(), reloaded.doc())) {
            std::fprintf(stderr, "room:  %s\nother: %s\n", Fuzz::describe(room->doc()).c_str(),
                         Fuzz::describe(reloaded.doc()).c_str());
            fail("the reloaded room has", what);
        }
        if (const char *what = Fuzz::unstable(reloaded.doc())) {
            fail("the reloaded room encodes into", what);
        }
    }
    check(budget.used == room->storedBytes(), "the memory budget does not count the room");
    room.reset();
    check(budget.used == 0, "the memory budget still counts a room that is gone");
    QCoreApplication::sendPostedEvents(nullptr, QEvent::DeferredDelete);
    return 0;
}
