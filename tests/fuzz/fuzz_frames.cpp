// SPDX-License-Identifier: GPL-3.0-or-later
// libFuzzer target: the server's RFC 6455 codec (core/server/websocket.h), the pure functions
// WebSocketConnection drives over a socket, on untrusted bytes:
//  - parseRequestHead on an arbitrary head, whole and cut short (as a socket delivers it):
//    the consumed length is within the input and ends the head, a prefix that ends before
//    the head is NeedMore, any longer one gives the same answer; an accepted upgrade has a
//    printable target and a 16-byte key; roomOf, isValidRoomName, the responses are sane;
//  - parseClientFrameHeader + unmask over a byte stream, frame after frame: the header fits
//    the input, its length fields are minimal, control frames are short and final, shorter
//    prefixes ask for more, unmasking is the byte-wise XOR and undoes itself;
//  - close frames: the code as the connection reads it, isValidCloseCode, and closeFrame()
//    whose reason is cut to a control frame on a character boundary; serverFrame round trips;
//  - access tokens (core/server/accesstoken.h), which come in the request target: the input as
//    a token never verifies (no forgery); the input as the payload of a token signed with the
//    server's secret verifies only to a grant that allows the room, now, and that peekToken
//    reads alike, re-issues to an equal grant, and stops verifying when a payload character
//    changes; tokenFromTarget finds a token in a query and percent-decodes it.
// Byte 0 picks the part (modulo 4); the rest is the input.
#include "core/server/accesstoken.h"
#include "core/server/roomserver.h"
#include "core/server/websocket.h"

#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QString>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

using namespace Tandem::Server;
namespace WS = Tandem::Server::WebSocket;

namespace {

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "fuzz_frames: %s\n", what);
    std::abort();
}

void check(bool ok, const char *what)
{
    if (!ok) {
        fail(what);
    }
}

/// Reads a server frame (unmasked) the way a client would.
struct ServerFrame
{
    bool fin;
    uint8_t opcode;
    QByteArray payload;
};
ServerFrame readServerFrame(const QByteArray &frame)
{
    const auto *p = reinterpret_cast<const uint8_t *>(frame.constData());
    check(frame.size() >= 2, "server frame shorter than 2 bytes");
    check(!(p[1] & 0x80), "server frame is masked");
    check(!(p[0] & 0x70), "server frame has reserved bits");
    uint64_t length = p[1] & 0x7F;
    qsizetype pos = 2;
    if (length == 126) {
        check(frame.size() >= 4, "server frame: truncated 16-bit length");
        length = uint64_t(p[2]) << 8 | p[3];
        check(length >= 126, "server frame: 16-bit length not minimal");
        pos = 4;
    } else if (length == 127) {
        check(frame.size() >= 10, "server frame: truncated 64-bit length");
        length = 0;
        for (int i = 0; i < 8; ++i) {
            length = length << 8 | p[2 + i];
        }
        check(length > 0xFFFF && !(length >> 63), "server frame: 64-bit length not minimal");
        pos = 10;
    }
    check(uint64_t(frame.size() - pos) == length, "server frame length differs from its payload");
    return {bool(p[0] & 0x80), uint8_t(p[0] & 0x0F), frame.sliced(pos)};
}

bool isContinuationByte(char c)
{
    return (uint8_t(c) & 0xC0) == 0x80;
}

void fuzzHead(std::span<const uint8_t> in)
{
    const QByteArrayView all(reinterpret_cast<const char *>(in.data()), qsizetype(in.size()));
    WS::Request request;
    qsizetype consumed = -1;
    const WS::HeadResult r = WS::parseRequestHead(all, request, consumed);
    const QByteArray response = WS::errorResponse(r);
    check(response.startsWith("HTTP/1.1 ") && response.contains("\r\n\r\n"),
          "errorResponse is not an HTTP response");
    {
        const qsizetype bodyAt = response.indexOf("\r\n\r\n") + 4;
        const QByteArray lengthField = "Content-Length: ";
        const qsizetype at = response.indexOf(lengthField);
        check(at >= 0, "errorResponse without Content-Length");
        const qsizetype end = response.indexOf("\r\n", at);
        const qsizetype declared
                = response.sliced(at + lengthField.size(), end - at - lengthField.size())
                          .toLongLong();
        check(declared == response.size() - bodyAt, "errorResponse Content-Length is wrong");
    }
    if (r == WS::HeadResult::NeedMore) {
        check(!all.contains("\r\n\r\n") || all.indexOf("\r\n\r\n") + 4 > WS::MaxRequestHeadBytes,
              "NeedMore although the head is complete");
        check(all.size() < WS::MaxRequestHeadBytes, "NeedMore on an input above the head limit");
        return;
    }
    if (r == WS::HeadResult::TooLarge) {
        check(all.size() >= WS::MaxRequestHeadBytes, "TooLarge on a short input");
        return;
    }
    check(consumed >= 4 && consumed <= all.size(), "consumed is outside the input");
    check(consumed <= WS::MaxRequestHeadBytes, "consumed is above the head limit");
    check(all.sliced(consumed - 4, 4) == "\r\n\r\n", "consumed does not end at the blank line");
    check(all.first(consumed - 2).indexOf("\r\n\r\n") < 0, "consumed is past the first blank line");
    if (r == WS::HeadResult::Upgrade) {
        check(request.upgrade, "Upgrade without request.upgrade");
        check(request.target.startsWith('/'), "target without its leading '/'");
        for (char c : request.target) {
            check(uint8_t(c) > 0x20 && uint8_t(c) < 0x7F, "target is not printable ASCII");
        }
        const auto key = QByteArray::fromBase64Encoding(request.key,
                                                        QByteArray::AbortOnBase64DecodingErrors);
        check(key && key.decoded.size() == 16, "accepted a key that is not 16 bytes in base64");
        const QByteArray accept = WS::acceptResponse(request.key);
        check(accept.startsWith("HTTP/1.1 101 ") && accept.endsWith("\r\n\r\n"),
              "acceptResponse is not a 101 response");
        const QByteArray room = WS::roomOf(request.target);
        check(!room.contains('?'), "roomOf kept the query");
        check(request.target.sliced(1).startsWith(room), "roomOf is not the path");
        (void)RoomServer::isValidRoomName(QString::fromUtf8(room));
    }
    // As a socket delivers it: any prefix that ends before the blank line asks for more, any
    // longer one gives the same answer.
    for (qsizetype cut : {qsizetype(0), consumed / 2, consumed - 1, consumed,
                          consumed + (all.size() - consumed) / 2}) {
        if (cut < 0 || cut > all.size()) {
            continue;
        }
        WS::Request partial;
        qsizetype partialConsumed = -1;
        const WS::HeadResult pr = WS::parseRequestHead(all.first(cut), partial, partialConsumed);
        if (cut < consumed) {
            check(pr == WS::HeadResult::NeedMore, "a prefix of the head was not NeedMore");
        } else {
            check(pr == r && partialConsumed == consumed && partial.target == request.target
                          && partial.key == request.key,
                  "a longer prefix gave another answer");
        }
    }
}

void fuzzFrames(std::span<const uint8_t> in)
{
    std::vector<uint8_t> stream(in.begin(), in.end());
    size_t pos = 0;
    while (pos < stream.size()) {
        const std::span<const uint8_t> rest(stream.data() + pos, stream.size() - pos);
        WS::FrameHeader h;
        const char *why = nullptr;
        const WS::FrameResult r = WS::parseClientFrameHeader(rest, h, &why);
        if (r == WS::FrameResult::Error) {
            check(why && *why, "Error without a reason");
            return;
        }
        if (r == WS::FrameResult::NeedMore) {
            check(rest.size() < 14, "NeedMore with a whole maximal header at hand");
            return;
        }
        check(h.headerLength == 6 || h.headerLength == 8 || h.headerLength == 14,
              "header length is not 6, 8 or 14");
        check(h.headerLength <= rest.size(), "header longer than the input");
        check(std::memcmp(h.mask, rest.data() + h.headerLength - 4, 4) == 0,
              "mask is not the 4 bytes before the payload");
        check(h.fin == bool(rest[0] & 0x80), "fin is not bit 7");
        check(uint8_t(h.opcode) == (rest[0] & 0x0F), "opcode is not the low nibble");
        const bool control = uint8_t(h.opcode) & 0x8;
        check(!control || (h.fin && h.payloadLength <= 125), "long or fragmented control frame");
        check(h.headerLength != 8 || (h.payloadLength >= 126 && h.payloadLength <= 0xFFFF),
              "16-bit length not minimal");
        check(h.headerLength != 14 || (h.payloadLength > 0xFFFF && !(h.payloadLength >> 63)),
              "64-bit length not minimal or too large");
        check(h.headerLength != 6 || h.payloadLength < 126, "7-bit length above 125");
        // A socket may deliver the header a byte at a time: every shorter prefix asks for more.
        for (size_t cut = 0; cut < h.headerLength; ++cut) {
            WS::FrameHeader ph;
            const char *pwhy = nullptr;
            const auto pr = WS::parseClientFrameHeader(rest.first(cut), ph, &pwhy);
            check(pr == WS::FrameResult::NeedMore, "a prefix of a valid header was not NeedMore");
        }
        if (rest.size() - h.headerLength < h.payloadLength) {
            return; // the payload is still on its way
        }
        const size_t n = size_t(h.payloadLength);
        const std::span<uint8_t> payload(stream.data() + pos + h.headerLength, n);
        const std::vector<uint8_t> original(payload.begin(), payload.end());
        WS::unmask(payload, h.mask);
        for (size_t i = 0; i < n; ++i) {
            check(payload[i] == uint8_t(original[i] ^ h.mask[i % 4]), "unmask is not the XOR");
        }
        if (h.opcode == WS::Opcode::Close && n >= 2) {
            // The code as WebSocketConnection reads it, and our answer to it.
            const quint16 code = quint16(payload[0] << 8 | payload[1]);
            const bool valid = (code >= 3000 && code <= 4999)
                    || (code >= 1000 && code <= 1014 && code != 1004 && code != 1005
                        && code != 1006);
            check(WS::isValidCloseCode(code) == valid, "isValidCloseCode disagrees with §7.4");
            const QString reason = QString::fromUtf8(
                    reinterpret_cast<const char *>(payload.data()) + 2, qsizetype(n - 2));
            const ServerFrame answer = readServerFrame(WS::closeFrame(code, reason));
            check(answer.fin && answer.opcode == 0x8, "closeFrame is not a final close frame");
            check(answer.payload.size() >= 2 && answer.payload.size() <= 125,
                  "closeFrame payload does not fit a control frame");
            check(quint16(uint8_t(answer.payload[0]) << 8 | uint8_t(answer.payload[1])) == code,
                  "closeFrame changed the code");
            const QByteArray full = reason.toUtf8();
            const QByteArray sent = answer.payload.sliced(2);
            check(full.startsWith(sent), "closeFrame's reason is not a prefix of the reason");
            check(sent.size() == full.size() || !isContinuationByte(full[sent.size()]),
                  "closeFrame cut a character");
            check(QString::fromUtf8(sent).toUtf8() == sent, "closeFrame's reason is not UTF-8");
        }
        // What the server sends back in a frame round trips.
        const ServerFrame echo = readServerFrame(
                WS::serverFrame(h.opcode, std::span<const uint8_t>(payload.data(), n)));
        check(echo.fin && echo.opcode == uint8_t(h.opcode)
                      && echo.payload
                              == QByteArrayView(reinterpret_cast<const char *>(payload.data()),
                                                qsizetype(n)),
              "serverFrame does not round trip");
        WS::unmask(payload, h.mask);
        check(std::equal(payload.begin(), payload.end(), original.begin()),
              "unmask twice is not the identity");
        pos += h.headerLength + n;
    }
}

void fuzzRoomOf(std::span<const uint8_t> in)
{
    const QByteArray target(reinterpret_cast<const char *>(in.data()), qsizetype(in.size()));
    const QByteArray room = WS::roomOf(target);
    check(room.size() <= std::max<qsizetype>(0, target.size() - 1), "roomOf grew");
    check(!room.contains('?'), "roomOf kept the query");
    check(target.isEmpty() || target.sliced(1).startsWith(room), "roomOf is not the path");
    (void)RoomServer::isValidRoomName(QString::fromUtf8(room));
    const ServerFrame f = readServerFrame(
            WS::serverFrame(WS::Opcode::Binary, std::span<const uint8_t>(in.data(), in.size())));
    check(f.payload == target, "serverFrame does not round trip");
}

bool sameGrant(const Tandem::Server::Access::Grant &a, const Tandem::Server::Access::Grant &b)
{
    return a.room == b.room && a.permission == b.permission && a.expiresAt == b.expiresAt
            && a.id == b.id;
}

void fuzzTokens(std::span<const uint8_t> in)
{
    namespace Access = Tandem::Server::Access;
    const QByteArray secret = QByteArrayLiteral("fuzz-secret-0123456789abcdef0123");
    const QString room = QStringLiteral("notes");
    constexpr qint64 now = 1767225600;
    const QByteArray bytes(reinterpret_cast<const char *>(in.data()), qsizetype(in.size()));

    // The bytes as a request target, and as a token: nobody forges a signature.
    check(Access::tokenFromTarget(bytes).size() <= bytes.size(), "tokenFromTarget grew");
    (void)Access::peekToken(bytes);
    check(Access::verifyToken(bytes, secret, room, now).error != Access::TokenError::None,
          "an unsigned token was accepted");
    check(Access::verifyToken(bytes, QByteArray(), room, now).error != Access::TokenError::None,
          "a token was accepted with no secret");

    // The bytes as the payload of a token signed with the secret: what is behind the signature.
    const auto b64 = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;
    const QByteArray payload = bytes.toBase64(b64);
    const QByteArray token = payload + '.'
            + QMessageAuthenticationCode::hash(payload, secret, QCryptographicHash::Sha256)
                      .toBase64(b64);
    const auto v = Access::verifyToken(token, secret, room, now);
    const auto peeked = Access::peekToken(token);
    if (v.error == Access::TokenError::None) {
        const Access::Grant &g = v.grant;
        check(g.room == QLatin1String("*") || g.room == room, "a grant for another room");
        check(g.expiresAt == 0 || now <= g.expiresAt, "an expired grant");
        check(g.id.size() == 16, "a grant whose id is not 16 characters");
        for (char c : g.id) {
            check((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'), "a grant id that is not hex");
        }
        check(peeked && sameGrant(*peeked, g), "peekToken reads another grant");
        const auto again = Access::verifyToken(Access::issueToken(g, secret), secret, room, now);
        check(again.error == Access::TokenError::None && sameGrant(again.grant, g),
              "a re-issued grant does not verify alike");
        // Any other payload character breaks the signature.
        QByteArray tampered = token;
        const qsizetype at = in.empty() ? 0 : in[0] % payload.size();
        tampered[at] = tampered[at] == 'A' ? 'B' : 'A';
        check(Access::verifyToken(tampered, secret, room, now).error != Access::TokenError::None,
              "a token with a changed payload was accepted");
        // And the token travels in a query.
        const QByteArray target = "/notes?x=1&token=" + token.toPercentEncoding() + "&y";
        check(Access::tokenFromTarget(target) == token, "tokenFromTarget lost the token");
    } else {
        check(v.error != Access::TokenError::BadSignature, "a signed token has a bad signature");
    }
}

} // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***)
{
    QLoggingCategory::setFilterRules(QStringLiteral("tandem.*=false"));
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }
    const std::span<const uint8_t> in(data + 1, size - 1);
    switch (data[0] % 4) {
    case 0:
        fuzzHead(in);
        break;
    case 1:
        fuzzFrames(in);
        break;
    case 2:
        fuzzRoomOf(in);
        break;
    default:
        fuzzTokens(in);
        break;
    }
    return 0;
}
