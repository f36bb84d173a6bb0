// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/server/socketpoller.h"
#include "core/server/websocket.h"

#include <QObject>

#include <span>
#include <vector>

class QTimerEvent;

namespace Tandem::Server {

class TlsContext;
class TlsSession;

/// One server-side WebSocket connection on a native socket.
///
/// Why not QWebSocket: a room server holds thousands of mostly idle connections and sends
/// each update to every one of them. QTcpSocket keeps a 16 KB read buffer per socket for
/// good and queues every write behind a write notifier; QWebSocket re-frames a broadcast once
/// per recipient. Here an idle connection holds no buffer at all (only what is in flight), a
/// write goes straight to the socket and waits in memory only when the socket is full, and
/// a broadcast is framed once for all recipients (server frames are not masked).
///
/// Lifetime: the connection reports its end once through Listener::onClosed (always from the
/// event loop, never from inside a call the listener made), then deletes itself. Listeners
/// never delete a connection; they close() or abort() it.
class WebSocketConnection : public QObject, private SocketPoller::Watcher
{
    Q_OBJECT
public:
    class Listener
    {
    public:
        /// The handshake succeeded.
        virtual void onOpen(WebSocketConnection *) { }
        /// A complete message. The bytes are valid during the call only.
        virtual void onMessage(WebSocketConnection *c, std::span<const uint8_t> message, bool text)
                = 0;
        /// The connection is over (closed by either side, or failed). Called once.
        virtual void onClosed(WebSocketConnection *c) = 0;

    protected:
        ~Listener() = default;
    };

    struct Limits
    {
        qint64 maxMessageBytes = 16 * 1024 * 1024;
        quint16 tooLargeCode = WebSocket::Close::TooBig;
        /// Unsent bytes a slow reader may accumulate before it is dropped (1013: try again).
        qint64 maxBufferedBytes = 64 * 1024 * 1024;
        int handshakeTimeoutMs = 10000;
        int closeTimeoutMs = 2000;
    };

    /// Takes ownership of the connected socket @p fd (from QTcpServer::incomingConnection).
    /// With @p tls, the connection starts with a TLS handshake (wss://); the handshake
    /// timeout covers it and the WebSocket handshake together.
    WebSocketConnection(qintptr fd, SocketPoller &poller, const Limits &limits, Listener *listener,
                        QObject *parent = nullptr, const TlsContext *tls = nullptr);
    ~WebSocketConnection() override;

    void setListener(Listener *listener) { m_listener = listener; }
    bool isOpen() const { return m_state == State::Open; }
    /// The request-target of the handshake ("/room?query").
    const QByteArray &requestTarget() const { return m_target; }
    /// How it ended (valid in onClosed): the code the peer or we sent, or 1006.
    quint16 closeCode() const { return m_closeCode; }
    /// Bytes accepted but not yet taken by the kernel.
    qint64 bufferedBytes() const { return qint64(m_out.size() - m_outHead); }

    void sendBinary(std::span<const uint8_t> message);
    /// Sends a frame made by WebSocket::serverFrame (a broadcast frames once for everyone).
    void sendFrame(const QByteArray &frame);
    /// Sends a ping; the next one finds out whether this one was answered.
    void ping();
    bool awaitingPong() const { return m_awaitingPong; }
    /// Starts the closing handshake: sends a close frame, then waits a moment for the peer's.
    void close(quint16 code, const QString &reason);
    /// Drops the connection at once (a peer that stopped answering).
    void abort();

private:
    enum class State : uint8_t { Handshake, Open, Closing, Closed };

    void onReadable() override;
    void onWritable() override;
    /// Handles bytes just read (scratch or not); keeps an incomplete frame in m_in.
    void received(std::span<uint8_t> got);
    /// TLS: reads until OpenSSL has nothing left (the poller cannot see what it buffered).
    void readTls();
    /// TLS: advances the handshake; false while it is not complete (or failed).
    bool handshakeTls();
    /// Sends through TLS or straight to the socket: bytes taken, 0 when the socket is full,
    /// -1 when the connection failed.
    qint64 sendOut(const char *data, size_t size);
    /// Handles what is in @p in; returns the bytes consumed.
    size_t process(std::span<uint8_t> in);
    size_t processHandshake(std::span<uint8_t> in);
    void handleFrame(const WebSocket::FrameHeader &h, std::span<uint8_t> payload);
    void fail(quint16 code, const QString &why);
    /// Writes @p data now if the socket takes it, keeps the rest for later. Once closing,
    /// only the closing handshake's own bytes (@p evenIfClosing) are written.
    void write(const char *data, qsizetype size, bool evenIfClosing = false);
    void flushed(); ///< everything written went out
    void timerEvent(QTimerEvent *event) override; ///< handshake or closing took too long
    void finishClose(); ///< closes the socket, reports, deletes itself
    void reportClosed();

    SocketPoller &m_poller;
    SocketPoller::Handle m_handle; ///< the socket; write interest only while data waits
    TlsSession *m_tls = nullptr; ///< wss://: the TLS layer over the socket, else null
    Limits m_limits;
    Listener *m_listener;
    int m_timerId = 0; ///< handshake or closing timeout (no QTimer object per connection)
    QByteArray m_target;
    std::vector<uint8_t> m_in; ///< a partial frame (empty, and unallocated, when idle)
    std::vector<char> m_out; ///< unsent bytes from m_outHead on
    size_t m_outHead = 0;
    std::vector<uint8_t> m_fragments; ///< a fragmented message being assembled
    WebSocket::Opcode m_fragmentOpcode = WebSocket::Opcode::Binary;
    bool m_fragmenting = false;
    State m_state = State::Handshake;
    bool m_awaitingPong = false;
    bool m_closeWhenFlushed = false; ///< the last bytes are queued: close once they are out
    bool m_shutdownWhenFlushed = false; ///< our close frame is queued: FIN after it
    bool m_reportPosted = false;
    bool m_reported = false;
    bool m_tlsReadWantsWrite = false; ///< TLS: a read must be retried once writable
    quint16 m_closeCode = WebSocket::Close::Abnormal;
};

} // namespace Tandem::Server
