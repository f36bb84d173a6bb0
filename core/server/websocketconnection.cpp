// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/websocketconnection.h"

#include "core/server/nativesocket.h"
#include "core/server/serverlog.h"
#include "core/server/tls.h"

#include <QTimerEvent>

#include <algorithm>
#include <climits>

namespace Tandem::Server {

using namespace WebSocket;

namespace {

/// One read buffer for every connection (the server is single-threaded): data is handled
/// where it landed, and only an incomplete frame is copied into the connection.
std::span<uint8_t> scratch()
{
    thread_local std::vector<uint8_t> buffer(64 * 1024);
    return buffer;
}

} // namespace

WebSocketConnection::WebSocketConnection(qintptr fd, SocketPoller &poller, const Limits &limits,
                                         Listener *listener, QObject *parent, const TlsContext *tls)
    : QObject(parent), m_poller(poller), m_limits(limits), m_listener(listener)
{
    NativeSocket::prepare(fd);
    if (tls) {
        m_tls = new TlsSession(*tls, fd);
    }
    m_handle.fd = fd;
    m_handle.watcher = this;
    m_poller.add(m_handle);
    m_timerId = startTimer(m_limits.handshakeTimeoutMs);
}

WebSocketConnection::~WebSocketConnection()
{
    if (m_state != State::Closed) {
        m_poller.remove(m_handle); // before the descriptor goes
        NativeSocket::close(m_handle.fd);
    }
    delete m_tls;
}

void WebSocketConnection::onReadable()
{
    if (m_state == State::Closed) {
        return;
    }
    if (m_tls) {
        readTls();
        return;
    }
    const std::span<uint8_t> buffer = scratch();
    const qint64 n = NativeSocket::receive(m_handle.fd, buffer.data(), buffer.size());
    if (n == 0 || (n < 0 && !NativeSocket::wouldBlock())) {
        finishClose(); // the peer is gone (1006 unless it said goodbye)
        return;
    }
    if (n < 0) {
        return;
    }
    received(buffer.first(size_t(n)));
}

void WebSocketConnection::received(std::span<uint8_t> got)
{
    if (m_in.empty()) {
        const size_t used = process(got);
        if (m_state != State::Closed && used < got.size()) {
            m_in.assign(got.begin() + qsizetype(used), got.end());
        }
    } else {
        m_in.insert(m_in.end(), got.begin(), got.end());
        const size_t used = process(m_in);
        m_in.erase(m_in.begin(), m_in.begin() + qsizetype(used));
    }
    if (m_in.empty() || m_state == State::Closed) {
        std::vector<uint8_t>().swap(m_in); // an idle connection keeps no buffer
    }
}

bool WebSocketConnection::handshakeTls()
{
    switch (m_tls->handshake()) {
    case TlsSession::Result::Ok:
        if (m_handle.writeInterest && m_outHead == m_out.size()) {
            m_poller.setWriteInterest(m_handle, false);
        }
        return true;
    case TlsSession::Result::WantRead:
        if (m_handle.writeInterest && m_outHead == m_out.size()) {
            m_poller.setWriteInterest(m_handle, false);
        }
        return false;
    case TlsSession::Result::WantWrite:
        m_poller.setWriteInterest(m_handle, true);
        return false;
    case TlsSession::Result::Closed:
        finishClose();
        return false;
    case TlsSession::Result::Error:
        break;
    }
    const QString why = m_tls->errorString();
    if (why.contains(QLatin1String("http request"))) {
        qCInfo(lcServer) << "refusing a plain ws:// or http:// request on the TLS port";
    } else {
        qCInfo(lcServer).noquote() << "TLS handshake failed:" << why;
    }
    finishClose();
    return false;
}

void WebSocketConnection::readTls()
{
    if (!m_tls->established() && !handshakeTls()) {
        return;
    }
    // Until OpenSSL has nothing left (what it buffered is invisible to the poller), but about
    // as much per wakeup as the plain path reads: what is still in the socket wakes us again,
    // so one busy peer cannot keep the others waiting.
    const std::span<uint8_t> buffer = scratch();
    size_t total = 0;
    while (m_state != State::Closed) {
        TlsSession::Result r;
        const size_t n = m_tls->read(buffer.data(), buffer.size(), &r);
        if (n > 0) {
            received(buffer.first(n));
            total += n;
            if (total >= buffer.size() && !m_tls->pending()) {
                return;
            }
            continue;
        }
        switch (r) {
        case TlsSession::Result::Ok:
        case TlsSession::Result::WantRead:
            return;
        case TlsSession::Result::WantWrite:
            m_tlsReadWantsWrite = true;
            m_poller.setWriteInterest(m_handle, true);
            return;
        case TlsSession::Result::Error:
            qCInfo(lcServer).noquote() << "TLS error:" << m_tls->errorString();
            [[fallthrough]];
        case TlsSession::Result::Closed:
            finishClose();
            return;
        }
    }
}

qint64 WebSocketConnection::sendOut(const char *data, size_t size)
{
    // Record by record (partial writes); a write OpenSSL wants retried is retried by the
    // caller with these same bytes first (they stay at the head of m_out).
    size_t total = 0;
    TlsSession::Result r = TlsSession::Result::Ok;
    while (total < size) {
        const size_t n = m_tls->write(data + total, size - total, &r);
        if (n == 0) {
            break;
        }
        total += n;
    }
    if (total > 0 || r == TlsSession::Result::Ok || r == TlsSession::Result::WantWrite
        || r == TlsSession::Result::WantRead) {
        return qint64(total);
    }
    if (r == TlsSession::Result::Error) {
        qCInfo(lcServer).noquote() << "TLS error:" << m_tls->errorString();
    }
    finishClose();
    return -1;
}

size_t WebSocketConnection::process(std::span<uint8_t> in)
{
    size_t pos = 0;
    if (m_state == State::Handshake) {
        pos = processHandshake(in);
        if (m_state != State::Open) {
            return m_state == State::Handshake ? pos : in.size();
        }
    }
    while (m_state == State::Open || m_state == State::Closing) {
        FrameHeader h;
        const char *why = nullptr;
        const auto rest = in.subspan(pos);
        const FrameResult r = parseClientFrameHeader(rest, h, &why);
        if (r == FrameResult::NeedMore) {
            break;
        }
        if (r == FrameResult::Error) {
            fail(Close::ProtocolError, QString::fromLatin1(why));
            return in.size();
        }
        if (!(uint8_t(h.opcode) & 0x8)) {
            const uint64_t total = h.payloadLength + (m_fragmenting ? m_fragments.size() : 0);
            if (total > uint64_t(m_limits.maxMessageBytes) && m_state == State::Closing) {
                finishClose(); // no more patience for a peer we are closing anyway
                return in.size();
            }
            if (total > uint64_t(m_limits.maxMessageBytes)) {
                fail(m_limits.tooLargeCode,
                     QStringLiteral("message of %1 bytes is above the limit of %2")
                             .arg(total)
                             .arg(m_limits.maxMessageBytes));
                return in.size();
            }
        }
        if (rest.size() - h.headerLength < h.payloadLength) {
            break; // the rest of the frame is still on its way
        }
        const auto payload = rest.subspan(h.headerLength, size_t(h.payloadLength));
        unmask(payload, h.mask);
        pos += h.headerLength + payload.size();
        handleFrame(h, payload);
    }
    return pos;
}

size_t WebSocketConnection::processHandshake(std::span<uint8_t> in)
{
    Request request;
    qsizetype used = 0;
    const HeadResult r = parseRequestHead(
            QByteArrayView(reinterpret_cast<const char *>(in.data()), qsizetype(in.size())),
            request, used);
    if (r == HeadResult::NeedMore) {
        return 0;
    }
    killTimer(m_timerId);
    m_timerId = 0;
    if (r != HeadResult::Upgrade) {
        if (r != HeadResult::PlainHttp) {
            qCInfo(lcServer) << "refusing a request that is not a WebSocket upgrade";
        }
        const QByteArray response = errorResponse(r);
        m_state = State::Closing;
        m_closeWhenFlushed = true;
        m_timerId = startTimer(m_limits.closeTimeoutMs);
        write(response.constData(), response.size(), true);
        return in.size();
    }
    m_target = request.target;
    const QByteArray response = acceptResponse(request.key);
    write(response.constData(), response.size());
    if (m_state == State::Handshake) {
        m_state = State::Open;
        if (m_listener) {
            m_listener->onOpen(this);
        }
    }
    return size_t(used);
}

void WebSocketConnection::handleFrame(const FrameHeader &h, std::span<uint8_t> payload)
{
    switch (h.opcode) {
    case Opcode::Text:
    case Opcode::Binary:
        if (m_fragmenting) {
            fail(Close::ProtocolError,
                 QStringLiteral("a new message began before the previous one ended"));
            return;
        }
        if (m_state != State::Open) {
            return; // closing: nothing more is delivered
        }
        if (h.fin) {
            if (m_listener) {
                m_listener->onMessage(this, payload, h.opcode == Opcode::Text);
            }
        } else {
            m_fragmenting = true;
            m_fragmentOpcode = h.opcode;
            m_fragments.assign(payload.begin(), payload.end());
        }
        return;
    case Opcode::Continuation:
        if (!m_fragmenting) {
            fail(Close::ProtocolError, QStringLiteral("continuation frame without a message"));
            return;
        }
        m_fragments.insert(m_fragments.end(), payload.begin(), payload.end());
        if (h.fin) {
            m_fragmenting = false;
            std::vector<uint8_t> message;
            message.swap(m_fragments);
            if (m_state == State::Open && m_listener) {
                m_listener->onMessage(this, message, m_fragmentOpcode == Opcode::Text);
            }
        }
        return;
    case Opcode::Ping:
        if (m_state == State::Open) {
            const QByteArray pong = serverFrame(Opcode::Pong, payload);
            write(pong.constData(), pong.size());
        }
        return;
    case Opcode::Pong:
        m_awaitingPong = false;
        return;
    case Opcode::Close: {
        quint16 code = Close::NoStatus;
        if (payload.size() == 1) {
            fail(Close::ProtocolError, QStringLiteral("close frame with a one-byte payload"));
            return;
        }
        if (payload.size() >= 2) {
            code = quint16((payload[0] << 8) | payload[1]);
            if (!isValidCloseCode(code)) {
                fail(Close::ProtocolError, QStringLiteral("invalid close code %1").arg(code));
                return;
            }
        }
        if (m_state == State::Closing) {
            finishClose(); // the answer to our close: the handshake is complete
            return;
        }
        // The peer closes: answer with its code, then end the connection once that is sent.
        m_closeCode = code;
        const QByteArray answer = code == Close::NoStatus ? serverFrame(Opcode::Close, {})
                                                          : closeFrame(code, QString());
        m_state = State::Closing;
        m_closeWhenFlushed = true;
        m_timerId = startTimer(m_limits.closeTimeoutMs); // in case it never reads the answer
        reportClosed();
        write(answer.constData(), answer.size(), true);
        return;
    }
    }
}

void WebSocketConnection::fail(quint16 code, const QString &why)
{
    qCInfo(lcServer).noquote() << "closing a connection:" << code << why;
    close(code, why);
}

void WebSocketConnection::sendBinary(std::span<const uint8_t> message)
{
    if (m_state == State::Open) {
        sendFrame(serverFrame(Opcode::Binary, message));
    }
}

void WebSocketConnection::sendFrame(const QByteArray &frame)
{
    if (m_state == State::Open) {
        write(frame.constData(), frame.size());
    }
}

void WebSocketConnection::ping()
{
    if (m_state == State::Open) {
        m_awaitingPong = true;
        const QByteArray frame = serverFrame(Opcode::Ping, {});
        write(frame.constData(), frame.size());
    }
}

void WebSocketConnection::close(quint16 code, const QString &reason)
{
    if (m_state == State::Handshake) {
        abort();
        return;
    }
    if (m_state != State::Open) {
        return;
    }
    m_closeCode = code;
    m_state = State::Closing;
    reportClosed();
    // Then the peer answers with its close frame and we end the connection; a peer that does
    // not answer is cut off after closeTimeoutMs.
    m_timerId = startTimer(m_limits.closeTimeoutMs);
    m_shutdownWhenFlushed = true;
    const QByteArray frame = closeFrame(code, reason);
    write(frame.constData(), frame.size(), true);
}

void WebSocketConnection::abort()
{
    finishClose();
}

void WebSocketConnection::write(const char *data, qsizetype size, bool evenIfClosing)
{
    if (m_state == State::Closed || (m_state == State::Closing && !evenIfClosing)) {
        return;
    }
    if (m_outHead == m_out.size()) {
        // Nothing waits: straight to the socket, which usually takes it all.
        qint64 sent;
        if (m_tls) {
            sent = sendOut(data, size_t(size));
            if (sent < 0) {
                return;
            }
        } else {
            const qint64 n = NativeSocket::send(m_handle.fd, data, size_t(size));
            if (n < 0 && !NativeSocket::wouldBlock()) {
                finishClose();
                return;
            }
            sent = std::max<qint64>(n, 0);
        }
        data += sent;
        size -= sent;
        if (size == 0) {
            flushed();
            return;
        }
        m_out.clear();
        m_outHead = 0;
    }
    // One message of any size may wait (a large room's sync); more only up to the limit.
    if (bufferedBytes() > 0 && bufferedBytes() + size > m_limits.maxBufferedBytes) {
        qCInfo(lcServer) << "dropping a connection that does not read what it is sent ("
                         << bufferedBytes() << "bytes waiting)";
        m_closeCode = Close::TryAgainLater;
        finishClose();
        return;
    }
    m_out.insert(m_out.end(), data, data + size);
    m_poller.setWriteInterest(m_handle, true);
}

void WebSocketConnection::onWritable()
{
    if (m_state == State::Closed) {
        return;
    }
    qint64 n;
    if (m_tls) {
        if (!m_tls->established()) {
            if (handshakeTls()) {
                readTls(); // the request may have come with the handshake's last flight
            }
            return;
        }
        if (std::exchange(m_tlsReadWantsWrite, false)) {
            readTls();
            if (m_state == State::Closed || m_tlsReadWantsWrite) {
                return;
            }
        }
        if (m_outHead == m_out.size()) {
            m_poller.setWriteInterest(m_handle, false);
            return;
        }
        n = sendOut(m_out.data() + m_outHead, m_out.size() - m_outHead);
        if (n <= 0) {
            return;
        }
    } else {
        n = NativeSocket::send(m_handle.fd, m_out.data() + m_outHead, m_out.size() - m_outHead);
        if (n < 0) {
            if (!NativeSocket::wouldBlock()) {
                finishClose();
            }
            return;
        }
    }
    m_outHead += size_t(n);
    if (m_outHead < m_out.size()) {
        if (m_outHead > m_out.size() / 2) {
            m_out.erase(m_out.begin(), m_out.begin() + qsizetype(m_outHead));
            m_outHead = 0;
        }
        return;
    }
    std::vector<char>().swap(m_out);
    m_outHead = 0;
    m_poller.setWriteInterest(m_handle, false);
    flushed();
}

void WebSocketConnection::flushed()
{
    if (m_closeWhenFlushed) {
        finishClose();
    } else if (m_shutdownWhenFlushed) {
        m_shutdownWhenFlushed = false;
        if (m_tls) {
            m_tls->shutdown(); // close_notify after our close frame
        }
        NativeSocket::shutdownWrite(m_handle.fd); // our close frame is the last thing we send
    }
}

void WebSocketConnection::timerEvent(QTimerEvent *event)
{
    if (event->timerId() != m_timerId) {
        QObject::timerEvent(event);
        return;
    }
    if (m_state == State::Handshake) {
        qCInfo(lcServer) << "dropping a connection that did not complete its handshake";
    }
    finishClose();
}

void WebSocketConnection::finishClose()
{
    if (m_state == State::Closed) {
        return;
    }
    m_state = State::Closed;
    if (m_timerId) {
        killTimer(m_timerId);
        m_timerId = 0;
    }
    if (m_tls) {
        m_tls->shutdown(); // close_notify, unless it went out already or TLS failed
    }
    // Unwatched before the descriptor closes (its number may be reused at once).
    m_poller.remove(m_handle);
    NativeSocket::close(m_handle.fd);
    std::vector<char>().swap(m_out);
    std::vector<uint8_t>().swap(m_fragments);
    if (m_reported) {
        deleteLater();
    } else {
        reportClosed();
    }
}

void WebSocketConnection::reportClosed()
{
    if (m_reportPosted) {
        return;
    }
    m_reportPosted = true;
    // From the event loop: the listener may be in the middle of a broadcast over its peers.
    QMetaObject::invokeMethod(
            this,
            [this] {
                Listener *listener = std::exchange(m_listener, nullptr);
                m_reported = true;
                if (listener) {
                    listener->onClosed(this);
                }
                if (m_state == State::Closed) {
                    deleteLater();
                }
            },
            Qt::QueuedConnection);
}

} // namespace Tandem::Server
