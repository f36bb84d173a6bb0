// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/websocket.h"

#include <QCryptographicHash>
#include <QString>

#include <cstring>

namespace Tandem::Server::WebSocket {

namespace {

constexpr QByteArrayView HeadEnd("\r\n\r\n");

/// Whether the comma-separated header value @p list holds @p token (case-insensitive).
bool hasToken(QByteArrayView list, QByteArrayView token)
{
    while (!list.isEmpty()) {
        const qsizetype comma = list.indexOf(',');
        const QByteArrayView part = comma < 0 ? list : list.first(comma);
        if (part.trimmed().compare(token, Qt::CaseInsensitive) == 0) {
            return true;
        }
        list = comma < 0 ? QByteArrayView() : list.sliced(comma + 1);
    }
    return false;
}

} // namespace

HeadResult parseRequestHead(QByteArrayView in, Request &request, qsizetype &consumed)
{
    const qsizetype end = in.first(std::min(in.size(), MaxRequestHeadBytes)).indexOf(HeadEnd);
    if (end < 0) {
        return in.size() >= MaxRequestHeadBytes ? HeadResult::TooLarge : HeadResult::NeedMore;
    }
    consumed = end + HeadEnd.size();
    const QByteArrayView head = in.first(end);

    qsizetype lineEnd = head.indexOf("\r\n");
    const QByteArrayView requestLine = lineEnd < 0 ? head : head.first(lineEnd);
    // "GET <target> HTTP/1.1": exactly three parts, and only GET upgrades (RFC 6455 §4.1).
    const qsizetype sp1 = requestLine.indexOf(' ');
    const qsizetype sp2 = sp1 < 0 ? -1 : requestLine.indexOf(' ', sp1 + 1);
    if (sp1 <= 0 || sp2 <= sp1 + 1 || requestLine.indexOf(' ', sp2 + 1) >= 0) {
        return HeadResult::BadRequest;
    }
    const QByteArrayView method = requestLine.first(sp1);
    const QByteArrayView target = requestLine.sliced(sp1 + 1, sp2 - sp1 - 1);
    const QByteArrayView version = requestLine.sliced(sp2 + 1);
    if (method != "GET" || !target.startsWith('/') || !version.startsWith("HTTP/1.")) {
        return HeadResult::BadRequest;
    }
    for (char c : target) {
        if (uint8_t(c) <= 0x20 || uint8_t(c) >= 0x7F) {
            return HeadResult::BadRequest; // a request-target is printable ASCII
        }
    }
    request = Request {};
    request.target = target.toByteArray();

    bool connectionUpgrade = false;
    QByteArrayView upgrade, wsVersion, key;
    while (lineEnd >= 0) {
        const qsizetype start = lineEnd + 2;
        lineEnd = head.indexOf("\r\n", start);
        const QByteArrayView line
                = lineEnd < 0 ? head.sliced(start) : head.sliced(start, lineEnd - start);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            return HeadResult::BadRequest; // no obsolete line folding, no nameless headers
        }
        const QByteArrayView name = line.first(colon);
        const QByteArrayView value = line.sliced(colon + 1).trimmed();
        if (name.compare("Connection", Qt::CaseInsensitive) == 0) {
            connectionUpgrade = connectionUpgrade || hasToken(value, "upgrade");
        } else if (name.compare("Upgrade", Qt::CaseInsensitive) == 0) {
            upgrade = value;
        } else if (name.compare("Sec-WebSocket-Version", Qt::CaseInsensitive) == 0) {
            wsVersion = value;
        } else if (name.compare("Sec-WebSocket-Key", Qt::CaseInsensitive) == 0) {
            key = value;
        }
    }
    if (upgrade.isEmpty() && !connectionUpgrade) {
        return HeadResult::PlainHttp;
    }
    if (!hasToken(upgrade, "websocket") || !connectionUpgrade) {
        return HeadResult::BadRequest;
    }
    if (wsVersion != "13") {
        return HeadResult::BadVersion;
    }
    const auto decoded = QByteArray::fromBase64Encoding(key.toByteArray(),
                                                        QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded || decoded.decoded.size() != 16) {
        return HeadResult::BadRequest;
    }
    request.key = key.toByteArray();
    request.upgrade = true;
    return HeadResult::Upgrade;
}

QByteArray acceptResponse(const QByteArray &key)
{
    const QByteArray input = key + QByteArrayLiteral("258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    const QByteArray accept = QCryptographicHash::hash(input, QCryptographicHash::Sha1).toBase64();
    return "HTTP/1.1 101 Switching Protocols\r\n"
           "Upgrade: websocket\r\n"
           "Connection: Upgrade\r\n"
           "Sec-WebSocket-Accept: "
            + accept + "\r\n\r\n";
}

QByteArray errorResponse(HeadResult result)
{
    QByteArray status, extra, body;
    switch (result) {
    case HeadResult::PlainHttp:
        status = "200 OK";
        body = "okay"; // what y-websocket's server answers: load balancers' health checks
        break;
    case HeadResult::BadVersion:
        status = "426 Upgrade Required";
        extra = "Sec-WebSocket-Version: 13\r\n";
        body = "only WebSocket version 13 is supported\n";
        break;
    case HeadResult::TooLarge:
        status = "431 Request Header Fields Too Large";
        body = "request head too large\n";
        break;
    default:
        status = "400 Bad Request";
        body = "not a valid WebSocket upgrade request\n";
        break;
    }
    return "HTTP/1.1 " + status + "\r\n" + extra
            + "Content-Type: text/plain\r\nConnection: close\r\nContent-Length: "
            + QByteArray::number(body.size()) + "\r\n\r\n" + body;
}

QByteArray roomOf(const QByteArray &target)
{
    const qsizetype query = target.indexOf('?');
    return (query < 0 ? target : target.left(query)).mid(1);
}

FrameResult parseClientFrameHeader(std::span<const uint8_t> in, FrameHeader &header,
                                   const char **why)
{
    if (in.size() < 2) {
        return FrameResult::NeedMore;
    }
    const uint8_t b0 = in[0], b1 = in[1];
    if (b0 & 0x70) {
        *why = "reserved bits set (no extension was negotiated)";
        return FrameResult::Error;
    }
    const uint8_t op = b0 & 0x0F;
    switch (op) {
    case 0x0:
    case 0x1:
    case 0x2:
    case 0x8:
    case 0x9:
    case 0xA:
        break;
    default:
        *why = "unknown opcode";
        return FrameResult::Error;
    }
    if (!(b1 & 0x80)) {
        *why = "client frames must be masked";
        return FrameResult::Error;
    }
    header.fin = b0 & 0x80;
    header.opcode = Opcode(op);
    const uint8_t len7 = b1 & 0x7F;
    size_t pos = 2;
    uint64_t length = len7;
    if (len7 == 126) {
        if (in.size() < 4) {
            return FrameResult::NeedMore;
        }
        length = (uint64_t(in[2]) << 8) | in[3];
        pos = 4;
        if (length < 126) {
            *why = "payload length not minimally encoded";
            return FrameResult::Error;
        }
    } else if (len7 == 127) {
        if (in.size() < 10) {
            return FrameResult::NeedMore;
        }
        length = 0;
        for (size_t i = 0; i < 8; ++i) {
            length = (length << 8) | in[2 + i];
        }
        pos = 10;
        if (length >> 63) {
            *why = "payload length has its most significant bit set";
            return FrameResult::Error;
        }
        if (length <= 0xFFFF) {
            *why = "payload length not minimally encoded";
            return FrameResult::Error;
        }
    }
    const bool control = op & 0x8;
    if (control && (!header.fin || length > 125)) {
        *why = "control frames must be short and unfragmented";
        return FrameResult::Error;
    }
    if (in.size() < pos + 4) {
        return FrameResult::NeedMore;
    }
    for (size_t i = 0; i < 4; ++i) {
        header.mask[i] = in[pos + i];
    }
    header.payloadLength = length;
    header.headerLength = pos + 4;
    return FrameResult::Ok;
}

void unmask(std::span<uint8_t> data, const uint8_t mask[4])
{
    uint8_t *p = data.data();
    size_t n = data.size();
    // Word at a time: the mask repeats every 4 bytes, so an 8-byte word sees it twice.
    uint64_t wide;
    uint8_t m8[8] = {mask[0], mask[1], mask[2], mask[3], mask[0], mask[1], mask[2], mask[3]};
    std::memcpy(&wide, m8, 8);
    while (n >= 8) {
        uint64_t w;
        std::memcpy(&w, p, 8);
        w ^= wide;
        std::memcpy(p, &w, 8);
        p += 8;
        n -= 8;
    }
    for (size_t i = 0; i < n; ++i) {
        p[i] ^= mask[i & 3];
    }
}

QByteArray serverFrame(Opcode opcode, std::span<const uint8_t> payload)
{
    const uint64_t n = payload.size();
    const qsizetype headerLength = n < 126 ? 2 : n <= 0xFFFF ? 4 : 10;
    QByteArray frame(headerLength + qsizetype(n), Qt::Uninitialized);
    auto *out = reinterpret_cast<uint8_t *>(frame.data());
    out[0] = 0x80 | uint8_t(opcode);
    if (n < 126) {
        out[1] = uint8_t(n);
    } else if (n <= 0xFFFF) {
        out[1] = 126;
        out[2] = uint8_t(n >> 8);
        out[3] = uint8_t(n);
    } else {
        out[1] = 127;
        for (int i = 0; i < 8; ++i) {
            out[2 + i] = uint8_t(n >> (56 - 8 * i));
        }
    }
    if (n) {
        std::memcpy(out + headerLength, payload.data(), n);
    }
    return frame;
}

QByteArray closeFrame(quint16 code, const QString &reason)
{
    QByteArray utf8 = reason.toUtf8();
    if (utf8.size() > 123) {
        qsizetype cut = 123;
        while (cut > 0 && (uint8_t(utf8[cut]) & 0xC0) == 0x80) {
            --cut; // never split a character
        }
        utf8.truncate(cut);
    }
    QByteArray payload;
    payload.reserve(2 + utf8.size());
    payload.append(char(code >> 8)).append(char(code & 0xFF)).append(utf8);
    return serverFrame(
            Opcode::Close,
            {reinterpret_cast<const uint8_t *>(payload.constData()), size_t(payload.size())});
}

bool isValidCloseCode(quint16 code)
{
    if (code >= 3000 && code <= 4999) {
        return true;
    }
    return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

} // namespace Tandem::Server::WebSocket
