// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once
// The server side of RFC 6455 as pure functions over bytes: the opening handshake and the
// frame format. WebSocketConnection drives them over a socket; tests and fuzzers call them
// directly.

#include <QByteArray>

#include <cstdint>
#include <span>

namespace Tandem::Server::WebSocket {

enum class Opcode : uint8_t {
    Continuation = 0x0,
    Text = 0x1,
    Binary = 0x2,
    Close = 0x8,
    Ping = 0x9,
    Pong = 0xA,
};

/// Close codes of RFC 6455 §7.4.1 that the transport itself uses.
namespace Close {
constexpr quint16 Normal = 1000;
constexpr quint16 ProtocolError = 1002;
constexpr quint16 NoStatus = 1005; ///< reported, never sent: the close frame had no code
constexpr quint16 Abnormal = 1006; ///< reported, never sent: no close frame at all
constexpr quint16 TooBig = 1009;
constexpr quint16 TryAgainLater = 1013;
} // namespace Close

// --- Opening handshake ------------------------------------------------------------------

/// Longest request head (request line and headers) accepted.
constexpr qsizetype MaxRequestHeadBytes = 16 * 1024;

struct Request
{
    QByteArray target; ///< the request-target as sent, e.g. "/room?token=x"
    QByteArray key; ///< Sec-WebSocket-Key
    bool upgrade = false; ///< asks for a WebSocket upgrade at all
};

enum class HeadResult {
    NeedMore, ///< no blank line yet
    Upgrade, ///< a valid WebSocket upgrade request: answer with acceptResponse()
    PlainHttp, ///< a well-formed GET without upgrade (health checks): answer 200
    BadRequest, ///< malformed: answer 400 and close
    BadVersion, ///< an upgrade for another protocol version: answer 426
    TooLarge, ///< the head exceeds MaxRequestHeadBytes: answer 431
};

/// Parses the request head at the start of @p in. On anything but NeedMore, @p consumed is
/// the head's length (bytes after it are already frames).
HeadResult parseRequestHead(QByteArrayView in, Request &request, qsizetype &consumed);

/// The 101 response for @p key (Sec-WebSocket-Accept per RFC 6455 §4.2.2).
QByteArray acceptResponse(const QByteArray &key);
/// A complete HTTP response that ends the connection.
QByteArray errorResponse(HeadResult result);

/// The room named by a request-target: the path without its leading '/' and without the
/// query, undecoded (as y-websocket's server names rooms).
QByteArray roomOf(const QByteArray &target);

// --- Frames ------------------------------------------------------------------------------

struct FrameHeader
{
    bool fin = false;
    Opcode opcode = Opcode::Binary;
    uint8_t mask[4] = {};
    uint64_t payloadLength = 0;
    size_t headerLength = 0; ///< bytes before the payload
};

enum class FrameResult { NeedMore, Ok, Error };

/// Parses the header of a frame a client sent (clients must mask; no extension is ever
/// negotiated, so reserved bits are errors). On Error, @p why says what was wrong.
FrameResult parseClientFrameHeader(std::span<const uint8_t> in, FrameHeader &header,
                                   const char **why);

/// XORs @p data with the mask in place.
void unmask(std::span<uint8_t> data, const uint8_t mask[4]);

/// A complete unmasked server frame (FIN set).
QByteArray serverFrame(Opcode opcode, std::span<const uint8_t> payload);
/// A close frame; the reason is cut to fit a control frame (whole UTF-8 characters).
QByteArray closeFrame(quint16 code, const QString &reason);

/// Whether a peer may send @p code in a close frame (RFC 6455 §7.4).
bool isValidCloseCode(quint16 code);

} // namespace Tandem::Server::WebSocket
