// SPDX-License-Identifier: GPL-3.0-or-later
// Access tokens (core/server/accesstoken.h): issuing and verifying, each way a token can be
// wrong, finding it in a request target, and a token made by node's own crypto module (an
// admin's script) verifying here: the format depends on nothing of Qt.

#include "core/server/accesstoken.h"
#include "tests/support/nodescript.h"

#include <QCryptographicHash>
#include <QMessageAuthenticationCode>
#include <QTest>
#include <QUrl>
#include <QUrlQuery>

#include <limits>

using namespace Tandem;
using namespace Tandem::Server::Access;

namespace {

const QByteArray kSecret
        = QByteArray::fromHex("00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff");
constexpr qint64 kNow = 1'800'000'000;

Grant grant(const QString &room, Permission p = Permission::Write, qint64 exp = 0)
{
    Grant g;
    g.room = room;
    g.permission = p;
    g.expiresAt = exp;
    g.id = newTokenId();
    return g;
}

/// @p token with the character at @p at replaced by another base64url character.
QByteArray flipped(QByteArray token, qsizetype at)
{
    token[at] = token[at] == 'A' ? 'B' : 'A';
    return token;
}

} // namespace

class tst_AccessToken : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void tokenIdsAreRandomHex()
    {
        const QByteArray a = newTokenId(), b = newTokenId();
        QCOMPARE(a.size(), 16);
        QVERIFY(a != b);
        for (char c : a) {
            QVERIFY((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
        }
    }

    void roundTrip()
    {
        const Grant g = grant(QStringLiteral("notes/team ä"), Permission::Write, kNow + 60);
        const QByteArray token = issueToken(g, kSecret);
        QCOMPARE(token.count('.'), 1);
        QVERIFY(!token.contains('=') && !token.contains('+') && !token.contains('/'));
        const Verified v = verifyToken(token, kSecret, g.room, kNow);
        QCOMPARE(v.error, TokenError::None);
        QCOMPARE(v.grant.room, g.room);
        QCOMPARE(v.grant.permission, Permission::Write);
        QCOMPARE(v.grant.expiresAt, g.expiresAt);
        QCOMPARE(v.grant.id, g.id);
        // The payload is the compact JSON the header documents.
        const QByteArray payload = QByteArray::fromBase64(token.left(token.indexOf('.')),
                                                          QByteArray::Base64UrlEncoding);
        QCOMPARE(payload,
                 QByteArray(R"({"v":1,"room":"notes/team ä","perm":"write","exp":)")
                         + QByteArray::number(kNow + 60) + R"(,"id":")" + g.id + R"("})");
        QCOMPARE(describe(v.error), QString());
    }

    void readAndWritePermissions()
    {
        const auto read
                = verifyToken(issueToken(grant(QStringLiteral("r"), Permission::Read), kSecret),
                              kSecret, QStringLiteral("r"), kNow);
        QCOMPARE(read.error, TokenError::None);
        QCOMPARE(read.grant.permission, Permission::Read);
        const auto write
                = verifyToken(issueToken(grant(QStringLiteral("r"), Permission::Write), kSecret),
                              kSecret, QStringLiteral("r"), kNow);
        QCOMPARE(write.error, TokenError::None);
        QCOMPARE(write.grant.permission, Permission::Write);
    }

    void expiry()
    {
        const QByteArray token
                = issueToken(grant(QStringLiteral("r"), Permission::Write, kNow), kSecret);
        QCOMPARE(verifyToken(token, kSecret, QStringLiteral("r"), kNow - 1).error,
                 TokenError::None);
        QCOMPARE(verifyToken(token, kSecret, QStringLiteral("r"), kNow).error,
                 TokenError::None); // its last second
        QCOMPARE(verifyToken(token, kSecret, QStringLiteral("r"), kNow + 1).error,
                 TokenError::Expired);
        QCOMPARE(describe(TokenError::Expired), QStringLiteral("access token expired"));
        // exp 0: never.
        const QByteArray forever = issueToken(grant(QStringLiteral("r")), kSecret);
        QCOMPARE(verifyToken(forever, kSecret, QStringLiteral("r"), kNow).error, TokenError::None);
        QCOMPARE(verifyToken(forever, kSecret, QStringLiteral("r"),
                             std::numeric_limits<qint64>::max())
                         .error,
                 TokenError::None);
    }

    void rooms()
    {
        const QByteArray one = issueToken(grant(QStringLiteral("team")), kSecret);
        QCOMPARE(verifyToken(one, kSecret, QStringLiteral("team"), kNow).error, TokenError::None);
        QCOMPARE(verifyToken(one, kSecret, QStringLiteral("other"), kNow).error,
                 TokenError::WrongRoom);
        QCOMPARE(verifyToken(one, kSecret, QStringLiteral("team/sub"), kNow).error,
                 TokenError::WrongRoom);
        QCOMPARE(verifyToken(one, kSecret, QStringLiteral("Team"), kNow).error,
                 TokenError::WrongRoom);
        QCOMPARE(describe(TokenError::WrongRoom),
                 QStringLiteral("access token is for another room"));
        const QByteArray all = issueToken(grant(QStringLiteral("*")), kSecret);
        for (const char *room : {"team", "other", "a/b", "*"}) {
            const auto v = verifyToken(all, kSecret, QString::fromLatin1(room), kNow);
            QCOMPARE(v.error, TokenError::None);
            QCOMPARE(v.grant.room, QStringLiteral("*"));
        }
        // A room literally named "*" in a token for one room is no wildcard on the other side.
        QCOMPARE(verifyToken(one, kSecret, QStringLiteral("*"), kNow).error, TokenError::WrongRoom);
    }

    void tamperedAndBrokenTokensAreRefused()
    {
        const QByteArray token = issueToken(grant(QStringLiteral("r")), kSecret);
        const qsizetype dot = token.indexOf('.');
        auto check = [&](const QByteArray &t) {
            return verifyToken(t, kSecret, QStringLiteral("r"), kNow).error;
        };
        // Every single changed character of the payload and of the signature.
        for (qsizetype i = 0; i < token.size(); ++i) {
            if (i == dot) {
                continue;
            }
            const TokenError e = check(flipped(token, i));
            // The last signature character carries 2 unused bits: the text differs, so it is
            // refused all the same (signatures are compared as text).
            QVERIFY2(e == TokenError::BadSignature, qPrintable(QString::number(i)));
        }
        QCOMPARE(describe(TokenError::BadSignature),
                 QStringLiteral("access token signature invalid"));
        // Another secret.
        QCOMPARE(verifyToken(token, QByteArray(32, 'x'), QStringLiteral("r"), kNow).error,
                 TokenError::BadSignature);
        QCOMPARE(verifyToken(token, QByteArray(), QStringLiteral("r"), kNow).error,
                 TokenError::BadSignature);
        // A payload changed to something else entirely, signed with another key.
        Grant other = grant(QStringLiteral("r"));
        const QByteArray forged = issueToken(other, QByteArray("guess"));
        QCOMPARE(check(forged), TokenError::BadSignature);
        // Swapped signature: payload of one, signature of another.
        const QByteArray second = issueToken(grant(QStringLiteral("r")), kSecret);
        QCOMPARE(check(token.left(dot + 1) + second.mid(second.indexOf('.') + 1)),
                 TokenError::BadSignature);
        // Truncated anywhere.
        for (qsizetype n = 1; n < token.size(); ++n) {
            const TokenError e = check(token.left(n));
            QVERIFY2(e == TokenError::Malformed || e == TokenError::BadSignature,
                     qPrintable(QString::number(n)));
        }
        // Empty, garbage, huge.
        QCOMPARE(check(QByteArray()), TokenError::Missing);
        QCOMPARE(describe(TokenError::Missing), QStringLiteral("access token missing"));
        QCOMPARE(check("garbage"), TokenError::Malformed);
        QCOMPARE(describe(TokenError::Malformed), QStringLiteral("access token malformed"));
        QCOMPARE(check("."), TokenError::Malformed);
        QCOMPARE(check(token + '.' + token), TokenError::Malformed);
        QCOMPARE(check(token + '='), TokenError::Malformed);
        QCOMPARE(check("a b.c"), TokenError::Malformed);
        QCOMPARE(check(QByteArray("\0\xff.\x01", 4)), TokenError::Malformed);
        QCOMPARE(check(QByteArray(1 << 20, 'A') + '.' + token.mid(dot + 1)), TokenError::Malformed);
        QCOMPARE(check(QByteArray(2100, 'A') + ".x"), TokenError::Malformed);
    }

    void signedButInvalidPayloadsAreMalformed()
    {
        // Correctly signed, but not a version-1 payload: refused after the signature check.
        auto sign = [](const QByteArray &json) -> QByteArray {
            const QByteArray payload
                    = json.toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
            return payload + '.'
                    + QMessageAuthenticationCode::hash(payload, kSecret, QCryptographicHash::Sha256)
                              .toBase64(QByteArray::Base64UrlEncoding
                                        | QByteArray::OmitTrailingEquals);
        };
        const QByteArray good
                = R"({"v":1,"room":"r","perm":"read","exp":0,"id":"0123456789abcdef"})";
        QCOMPARE(verifyToken(sign(good), kSecret, QStringLiteral("r"), kNow).error,
                 TokenError::None);
        const char *bad[] = {
                R"({"v":2,"room":"r","perm":"read","exp":0,"id":"0123456789abcdef"})",
                R"({"room":"r","perm":"read","exp":0,"id":"0123456789abcdef"})",
                R"({"v":1,"room":"","perm":"read","exp":0,"id":"0123456789abcdef"})",
                R"({"v":1,"room":5,"perm":"read","exp":0,"id":"0123456789abcdef"})",
                R"({"v":1,"room":"r","perm":"admin","exp":0,"id":"0123456789abcdef"})",
                R"({"v":1,"room":"r","perm":"read","exp":-1,"id":"0123456789abcdef"})",
                R"({"v":1,"room":"r","perm":"read","exp":1.5,"id":"0123456789abcdef"})",
                R"({"v":1,"room":"r","perm":"read","exp":"0","id":"0123456789abcdef"})",
                R"({"v":1,"room":"r","perm":"read","exp":0,"id":"0123456789ABCDEF"})",
                R"({"v":1,"room":"r","perm":"read","exp":0,"id":"0123"})",
                R"({"v":1,"room":"r","perm":"read","exp":0})",
                R"([1,2,3])",
                R"(not json)",
        };
        for (const char *json : bad) {
            QVERIFY2(verifyToken(sign(json), kSecret, QStringLiteral("r"), kNow).error
                             == TokenError::Malformed,
                     json);
            QVERIFY2(!peekToken(sign(json)), json);
        }
    }

    void peek()
    {
        const Grant g = grant(QStringLiteral("room"), Permission::Read, kNow - 10);
        const auto peeked = peekToken(issueToken(g, kSecret));
        QVERIFY(peeked);
        QCOMPARE(peeked->room, g.room);
        QCOMPARE(peeked->permission, Permission::Read);
        QCOMPARE(peeked->expiresAt, g.expiresAt); // expired, but peeking does not judge
        QCOMPARE(peeked->id, g.id);
        QVERIFY(peekToken(issueToken(g, QByteArray("any secret")))); // nor checks signatures
        QVERIFY(!peekToken(QByteArray()));
        QVERIFY(!peekToken("garbage"));
        QVERIFY(!peekToken("Z2FyYmFnZQ.x")); // "garbage", not JSON
        QVERIFY(!peekToken(QByteArray(QByteArray(4096, 'A') + ".x")));
    }

    void tokenInRequestTarget()
    {
        const QByteArray token = issueToken(grant(QStringLiteral("notes/team")), kSecret);
        // As a client builds the URL: QUrlQuery among other parameters.
        QUrl url(QStringLiteral("ws://host:1234/notes/team"));
        QUrlQuery query;
        query.addQueryItem(QStringLiteral("x"), QStringLiteral("1 2&3"));
        query.addQueryItem(QStringLiteral("token"), QString::fromLatin1(token));
        query.addQueryItem(QStringLiteral("y"), QStringLiteral("=?"));
        url.setQuery(query);
        const QByteArray target = url.toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority);
        QVERIFY(target.startsWith("/notes/team?"));
        QCOMPARE(tokenFromTarget(target), token);
        QCOMPARE(verifyToken(tokenFromTarget(target), kSecret, QStringLiteral("notes/team"), kNow)
                         .error,
                 TokenError::None);
        // Fully percent-encoded (as encodeURIComponent may leave it, or a proxy rewrites it).
        const QByteArray encoded = "/r?token=" + token.toPercentEncoding("", ".-_");
        QVERIFY(encoded.contains('%'));
        QCOMPARE(tokenFromTarget(encoded), token);
        QCOMPARE(tokenFromTarget(QByteArray("/r?%74oken=" + token)), token); // an encoded key
        QCOMPARE(tokenFromTarget(QByteArray("/r?a=1&token=" + token + "&b=2")), token);
        QCOMPARE(tokenFromTarget(QByteArray("/r?token=" + token + "#fragment")), token);
        QCOMPARE(tokenFromTarget("/r?token=first&token=second"), QByteArray("first"));
        QCOMPARE(tokenFromTarget("/r"), QByteArray());
        QCOMPARE(tokenFromTarget("/r?"), QByteArray());
        QCOMPARE(tokenFromTarget("/r?tokens=x&mytoken=y&token"), QByteArray());
        QCOMPARE(tokenFromTarget("/r?x=token"), QByteArray());
        QCOMPARE(tokenFromTarget("/token=x"), QByteArray());
    }

    void tokenFromNodeCryptoVerifies()
    {
        Testing::NodeScript node;
        QString error;
        QVERIFY2(node.start(QStringLiteral("access-token.mjs"), {}, &error), qPrintable(error));
        using Encoding::Any;
        auto make = [&](const char *room, const char *perm, int64_t exp, const char *id) {
            const Any answer
                    = node.exec(Any::object({{"secret", Any(kSecret.toHex().toStdString())},
                                             {"payload",
                                              Any::object({{"v", Any(1)},
                                                           {"room", Any(room)},
                                                           {"perm", Any(perm)},
                                                           {"exp", Any(exp)},
                                                           {"id", Any(id)}})}}));
            const Any *ok = answer.find("ok");
            const Any *token = answer.find("token");
            if (!ok || !ok->toBool() || !token) {
                qWarning() << "node said" << QString::fromStdString(answer.toJson());
                return QByteArray();
            }
            return QByteArray::fromStdString(token->toString());
        };
        const QByteArray write = make("notes/team ä", "write", kNow + 3600, "00000000deadbeef");
        QVERIFY(!write.isEmpty());
        Verified v = verifyToken(write, kSecret, QStringLiteral("notes/team ä"), kNow);
        QCOMPARE(v.error, TokenError::None);
        QCOMPARE(v.grant.permission, Permission::Write);
        QCOMPARE(v.grant.expiresAt, kNow + 3600);
        QCOMPARE(v.grant.id, QByteArray("00000000deadbeef"));
        QCOMPARE(verifyToken(write, kSecret, QStringLiteral("notes/team ä"), kNow + 3601).error,
                 TokenError::Expired);

        const QByteArray read = make("*", "read", 0, "0123456789abcdef");
        v = verifyToken(read, kSecret, QStringLiteral("anything"), kNow);
        QCOMPARE(v.error, TokenError::None);
        QCOMPARE(v.grant.permission, Permission::Read);
        QCOMPARE(v.grant.room, QStringLiteral("*"));
        // And the same grant issued here is the very same token, byte for byte.
        Grant same;
        same.room = QStringLiteral("*");
        same.permission = Permission::Read;
        same.id = "0123456789abcdef";
        QCOMPARE(issueToken(same, kSecret), read);
    }
};

QTEST_GUILESS_MAIN(tst_AccessToken)
#include "tst_accesstoken.moc"
