// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/accesstoken.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMessageAuthenticationCode>
#include <QRandomGenerator>

namespace Tandem::Server::Access {

namespace {

constexpr qsizetype kMaxTokenBytes = 2048;
/// base64url of a 32-byte HMAC-SHA256, unpadded.
constexpr qsizetype kSignatureChars = 43;
/// Largest integer a JSON number holds exactly (and JavaScript's Number.MAX_SAFE_INTEGER).
constexpr qint64 kMaxExp = (qint64(1) << 53) - 1;

constexpr auto kBase64Url = QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals;

bool isBase64UrlChar(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'
            || c == '_';
}

bool isBase64Url(QByteArrayView s)
{
    for (char c : s) {
        if (!isBase64UrlChar(c)) {
            return false;
        }
    }
    return true;
}

bool isTokenId(QByteArrayView id)
{
    if (id.size() != 16) {
        return false;
    }
    for (char c : id) {
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

QByteArray signature(QByteArrayView encodedPayload, const QByteArray &secret)
{
    return QMessageAuthenticationCode::hash(encodedPayload.toByteArray(), secret,
                                            QCryptographicHash::Sha256)
            .toBase64(kBase64Url);
}

/// Compares in time that depends only on the (public) lengths.
bool constantTimeEquals(QByteArrayView a, QByteArrayView b)
{
    if (a.size() != b.size()) {
        return false;
    }
    unsigned char diff = 0;
    for (qsizetype i = 0; i < a.size(); ++i) {
        diff |= static_cast<unsigned char>(a[i] ^ b[i]);
    }
    return diff == 0;
}

/// A JSON string literal for @p s (QJsonDocument writes only arrays and objects).
QByteArray jsonString(const QString &s)
{
    const QByteArray array = QJsonDocument(QJsonArray {s}).toJson(QJsonDocument::Compact);
    return array.mid(1, array.size() - 2); // without [ and ]
}

/// The payload and signature parts; false unless the token has that shape.
bool split(QByteArrayView token, QByteArrayView *payload, QByteArrayView *sig)
{
    const qsizetype dot = token.indexOf('.');
    if (dot <= 0 || token.size() > kMaxTokenBytes) {
        return false;
    }
    *payload = token.first(dot);
    *sig = token.sliced(dot + 1);
    return isBase64Url(*payload) && isBase64Url(*sig); // also: exactly one dot
}

/// The grant in an encoded payload, or nothing when it is not a version-1 payload.
std::optional<Grant> decodePayload(QByteArrayView encoded)
{
    const auto decoded = QByteArray::fromBase64Encoding(
            encoded.toByteArray(),
            QByteArray::Base64UrlEncoding | QByteArray::AbortOnBase64DecodingErrors);
    if (!decoded) {
        return std::nullopt;
    }
    QJsonParseError parseError;
    const QJsonDocument doc = QJsonDocument::fromJson(*decoded, &parseError);
    if (parseError.error != QJsonParseError::NoError || !doc.isObject()) {
        return std::nullopt;
    }
    const QJsonObject o = doc.object();
    const QJsonValue v = o.value(QLatin1String("v"));
    const QJsonValue room = o.value(QLatin1String("room"));
    const QJsonValue perm = o.value(QLatin1String("perm"));
    const QJsonValue exp = o.value(QLatin1String("exp"));
    const QJsonValue id = o.value(QLatin1String("id"));
    if (!v.isDouble() || v.toInteger(-1) != 1 || !room.isString() || room.toString().isEmpty()
        || !perm.isString() || !exp.isDouble() || !id.isString()) {
        return std::nullopt;
    }
    Grant grant;
    grant.room = room.toString();
    if (perm.toString() == QLatin1String("read")) {
        grant.permission = Permission::Read;
    } else if (perm.toString() == QLatin1String("write")) {
        grant.permission = Permission::Write;
    } else {
        return std::nullopt;
    }
    grant.expiresAt = exp.toInteger(-1);
    if (grant.expiresAt < 0 || grant.expiresAt > kMaxExp) {
        return std::nullopt;
    }
    grant.id = id.toString().toLatin1();
    if (!isTokenId(grant.id) || id.toString().size() != grant.id.size()) {
        return std::nullopt;
    }
    return grant;
}

} // namespace

QByteArray newTokenId()
{
    quint32 words[2];
    QRandomGenerator::system()->fillRange(words);
    return QByteArray(reinterpret_cast<const char *>(words), sizeof words).toHex();
}

QByteArray issueToken(const Grant &grant, const QByteArray &secret)
{
    const QByteArray json = QByteArrayLiteral("{\"v\":1,\"room\":") + jsonString(grant.room)
            + QByteArrayLiteral(",\"perm\":")
            + (grant.permission == Permission::Read ? QByteArrayLiteral("\"read\"")
                                                    : QByteArrayLiteral("\"write\""))
            + QByteArrayLiteral(",\"exp\":") + QByteArray::number(grant.expiresAt)
            + QByteArrayLiteral(",\"id\":") + jsonString(QString::fromLatin1(grant.id))
            + QByteArrayLiteral("}");
    const QByteArray payload = json.toBase64(kBase64Url);
    return payload + '.' + signature(payload, secret);
}

Verified verifyToken(QByteArrayView token, const QByteArray &secret, const QString &room,
                     qint64 nowSecs)
{
    Verified result;
    if (token.isEmpty()) {
        result.error = TokenError::Missing;
        return result;
    }
    QByteArrayView payload, sig;
    if (!split(token, &payload, &sig)) {
        result.error = TokenError::Malformed;
        return result;
    }
    // Nothing of the payload is looked at before its signature holds.
    if (secret.isEmpty() || sig.size() != kSignatureChars
        || !constantTimeEquals(sig, signature(payload, secret))) {
        result.error = TokenError::BadSignature;
        return result;
    }
    const auto grant = decodePayload(payload);
    if (!grant) {
        result.error = TokenError::Malformed;
        return result;
    }
    if (grant->expiresAt != 0 && nowSecs > grant->expiresAt) {
        result.error = TokenError::Expired;
        return result;
    }
    if (grant->room != QLatin1String("*") && grant->room != room) {
        result.error = TokenError::WrongRoom;
        return result;
    }
    result.error = TokenError::None;
    result.grant = *grant;
    return result;
}

QString describe(TokenError e)
{
    switch (e) {
    case TokenError::None:
        return {};
    case TokenError::Missing:
        return QStringLiteral("access token missing");
    case TokenError::Malformed:
        return QStringLiteral("access token malformed");
    case TokenError::BadSignature:
        return QStringLiteral("access token signature invalid");
    case TokenError::Expired:
        return QStringLiteral("access token expired");
    case TokenError::WrongRoom:
        return QStringLiteral("access token is for another room");
    }
    return QStringLiteral("access token invalid");
}

std::optional<Grant> peekToken(QByteArrayView token)
{
    QByteArrayView payload, sig;
    if (!split(token, &payload, &sig)) {
        return std::nullopt;
    }
    return decodePayload(payload);
}

QByteArray tokenFromTarget(QByteArrayView requestTarget)
{
    const qsizetype question = requestTarget.indexOf('?');
    if (question < 0) {
        return {};
    }
    QByteArrayView query = requestTarget.sliced(question + 1);
    if (const qsizetype hash = query.indexOf('#'); hash >= 0) {
        query = query.first(hash);
    }
    while (!query.isEmpty()) {
        const qsizetype amp = query.indexOf('&');
        const QByteArrayView pair = amp < 0 ? query : query.first(amp);
        query = amp < 0 ? QByteArrayView() : query.sliced(amp + 1);
        const qsizetype eq = pair.indexOf('=');
        const QByteArrayView key = eq < 0 ? pair : pair.first(eq);
        if (QByteArray::fromPercentEncoding(key.toByteArray()) == "token") {
            return eq < 0 ? QByteArray()
                          : QByteArray::fromPercentEncoding(pair.sliced(eq + 1).toByteArray());
        }
    }
    return {};
}

} // namespace Tandem::Server::Access
