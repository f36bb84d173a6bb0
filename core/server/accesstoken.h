// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Access tokens: who may enter a room, and whether they may write.
//
// A token is `base64url(payload) "." base64url(HMAC-SHA256(secret, base64url(payload)))`
// (RFC 4648 §5 alphabet, no padding). The payload is compact JSON:
//
//     {"v":1,"room":"notes","perm":"write","exp":1767225600,"id":"0123456789abcdef"}
//
// `room` is the room as the server names it (its URL path without the leading "/"), or "*"
// for every room; `exp` is in Unix seconds, 0 for never; `id` names the token so that it can
// be revoked. Anything that computes an HMAC-SHA256 can make one (docs: an admin's script).
// The secret is the server's (RoomStore::accessSecret()).

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

#include <cstdint>
#include <optional>

namespace Tandem::Server::Access {

enum class Permission : uint8_t { Read, Write };

/// What a token allows.
struct Grant
{
    QString room; ///< "*" = every room on the server
    Permission permission = Permission::Write;
    qint64 expiresAt = 0; ///< Unix seconds; 0 = never
    QByteArray id; ///< 16 lowercase hex characters, random (newTokenId())
};

/// 16 lowercase hex characters from the system's secure random generator.
QByteArray newTokenId();

/// The token for @p grant, signed with @p secret.
QByteArray issueToken(const Grant &grant, const QByteArray &secret);

enum class TokenError : uint8_t { None, Missing, Malformed, BadSignature, Expired, WrongRoom };

struct Verified
{
    TokenError error = TokenError::Missing;
    Grant grant; ///< valid when error is None
};

/// Checks @p token for @p room at @p nowSecs (Unix seconds). The signature is compared in
/// constant time and checked before the payload is decoded; a token longer than 2 KiB is
/// Malformed. Expired means nowSecs > exp (a token is still valid in its last second). An
/// empty @p secret accepts nothing.
Verified verifyToken(QByteArrayView token, const QByteArray &secret, const QString &room,
                     qint64 nowSecs);

/// A short English reason for a close frame ("access token expired"); empty for None.
QString describe(TokenError e);

/// The grant in @p token WITHOUT checking its signature or expiry: for a client that wants to
/// show itself read-only. Never use it to decide access.
std::optional<Grant> peekToken(QByteArrayView token);

/// The `token` query parameter of a request target such as "/room?x=1&token=…",
/// percent-decoded; empty when there is none (the first one counts).
QByteArray tokenFromTarget(QByteArrayView requestTarget);

} // namespace Tandem::Server::Access
