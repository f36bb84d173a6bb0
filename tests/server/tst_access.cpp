// SPDX-License-Identifier: GPL-3.0-or-later
// Who may enter a room on a server that requires access tokens: a real room server on
// 127.0.0.1:0 with a real SQLite file (its signing secret and token records live there), Tandem
// protocol clients, and stock y-websocket clients in node sending the token as y-websocket does
// (`params`, the URL query). Wrong, tampered, expired and other-room tokens are refused with a
// final 4401 and a reason; a read-only guest reads along and its updates are refused; revoking
// or outliving a token closes connections that are already open.

#include "core/server/accesstoken.h"
#include "tests/support/nodescript.h"
#include "tests/support/roomclient.h"
#include "tests/support/serveprocess.h"

#include <QDateTime>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QUrlQuery>

using namespace Tandem;
using Client = Testing::RoomClient;
using Encoding::Any;
namespace Access = Server::Access;

namespace {

qint64 now()
{
    return QDateTime::currentSecsSinceEpoch();
}

struct Fixture : Testing::ServerFixture
{
    static Server::ServerOptions withTokens()
    {
        Server::ServerOptions options;
        options.requireToken = true;
        options.accessCheckMs = 100;
        return options;
    }
    explicit Fixture(const QString &dir) : Testing::ServerFixture(dir, withTokens())
    {
        QString error;
        if (const auto s = store->accessSecret(&error)) {
            secret = *s;
        }
    }
    /// A token signed by the server's own secret (as `tandem token issue` makes them).
    QByteArray token(const QString &room, Access::Permission permission, qint64 expiresAt = 0,
                     QByteArray *id = nullptr)
    {
        Access::Grant g;
        g.room = room;
        g.permission = permission;
        g.expiresAt = expiresAt;
        g.id = Access::newTokenId();
        if (id) {
            *id = g.id;
        }
        return Access::issueToken(g, secret);
    }
    QUrl roomWith(const QString &name, const QByteArray &token) const
    {
        QUrl u = room(name);
        QUrlQuery q;
        q.addQueryItem(QStringLiteral("token"), QString::fromLatin1(token));
        u.setQuery(q);
        return u;
    }
    QByteArray secret;
};

QByteArray tampered(QByteArray token, qsizetype at)
{
    token[at] = token[at] == 'A' ? 'B' : 'A';
    return token;
}

bool isOk(const Any &a)
{
    const Any *ok = a.find("ok");
    return ok && ok->type() == Any::Type::Bool && ok->toBool();
}

Any command(const char *name, Any::Object fields = {})
{
    fields.insert(fields.begin(), Encoding::AnyEntry {"cmd", Any(name)});
    return Any::object(std::move(fields));
}

} // namespace

class tst_Access : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void refused_data()
    {
        QTest::addColumn<int>("kind");
        QTest::addColumn<QString>("reason");
        QTest::newRow("missing") << 0 << QStringLiteral("access token missing");
        QTest::newRow("garbage") << 1 << QStringLiteral("access token malformed");
        QTest::newRow("tampered payload") << 2 << QStringLiteral("signature invalid");
        QTest::newRow("tampered signature") << 3 << QStringLiteral("signature invalid");
        QTest::newRow("another server's secret") << 4 << QStringLiteral("signature invalid");
        QTest::newRow("expired") << 5 << QStringLiteral("access token expired");
        QTest::newRow("another room") << 6 << QStringLiteral("another room");
    }
    void refused()
    {
        QFETCH(int, kind);
        QFETCH(QString, reason);
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        QVERIFY(!f.secret.isEmpty());
        const QString room = QStringLiteral("team");
        const QByteArray good = f.token(room, Access::Permission::Write);
        QByteArray token;
        switch (kind) {
        case 1:
            token = "not-a-token";
            break;
        case 2:
            token = tampered(good, 5);
            break;
        case 3:
            token = tampered(good, good.size() - 3);
            break;
        case 4: {
            Access::Grant g;
            g.room = room;
            g.id = Access::newTokenId();
            token = Access::issueToken(g, QByteArray(32, 'x'));
            break;
        }
        case 5:
            token = f.token(room, Access::Permission::Write, now() - 10);
            break;
        case 6:
            token = f.token(QStringLiteral("other"), Access::Permission::Write);
            break;
        }
        // Someone already inside, who must not notice.
        Client inside(1);
        QVERIFY(inside.open(f.roomWith(room, good)));
        QVERIFY(inside.waitSynced());
        inside.insert(0, u"private");

        Client c(2);
        c.open(kind == 0 ? f.room(room) : f.roomWith(room, token));
        QVERIFY(c.waitClosed());
        QCOMPARE(c.closeCode, int(Server::CloseCode::Unauthorized));
        QVERIFY2(c.closeReason.contains(reason), qPrintable(c.closeReason));
        QCOMPARE(c.text(), std::string()); // nothing of the room reached it
        QCOMPARE(c.updates, 0);
        QCOMPARE(inside.closeCode, -1);
    }

    void everyRoomToken()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        const QByteArray any = f.token(QStringLiteral("*"), Access::Permission::Write);
        Client a(1), b(2);
        QVERIFY(a.open(f.roomWith(QStringLiteral("one"), any)));
        QVERIFY(b.open(f.roomWith(QStringLiteral("two"), any)));
        QVERIFY(a.waitSynced() && b.waitSynced());
        QCOMPARE(a.closeCode, -1);
        QCOMPARE(b.closeCode, -1);
    }

    void readOnlyGuest()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        const QString room = QStringLiteral("team");
        Client writer(1), guest(2);
        QVERIFY(writer.open(f.roomWith(room, f.token(room, Access::Permission::Write))));
        QVERIFY(guest.open(f.roomWith(room, f.token(room, Access::Permission::Read))));
        QVERIFY(writer.waitSynced() && guest.waitSynced());
        writer.insert(0, u"agenda");
        QTRY_COMPARE(guest.text(), std::string("agenda"));
        // The guest's edits are refused: not applied, not stored, not relayed; it stays.
        guest.insert(0, u"graffiti ");
        guest.awareness.setLocalState(
                Any::object({{"user", Any::object({{"name", Any("guest")}})}}));
        QTRY_VERIFY(writer.awareness.state(2)); // its presence is welcome
        writer.insert(6, u" for monday");
        QTRY_COMPARE(guest.text(), std::string("graffiti agenda for monday"));
        QCOMPARE(writer.text(), std::string("agenda for monday"));
        Client late(3);
        QVERIFY(late.open(f.roomWith(room, f.token(room, Access::Permission::Write))));
        QVERIFY(late.waitSynced());
        QCOMPARE(late.text(), std::string("agenda for monday"));
        QCOMPARE(guest.closeCode, -1);
    }

    void revokingClosesOpenConnections()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        const QString room = QStringLiteral("team");
        QByteArray guestId;
        const QByteArray guestToken
                = f.token(room, Access::Permission::Write, now() + 3600, &guestId);
        Storage::IssuedToken record;
        record.id = guestId;
        record.room = room;
        record.expiresAt = now() + 3600;
        record.issuedAt = now();
        QString error;
        QVERIFY2(f.store->recordToken(record, &error), qPrintable(error));
        Client owner(1), guest(2);
        QVERIFY(owner.open(f.roomWith(room, f.token(room, Access::Permission::Write))));
        QVERIFY(guest.open(f.roomWith(room, guestToken)));
        QVERIFY(owner.waitSynced() && guest.waitSynced());
        // Revoked from outside the server, as `tandem token revoke` does: another store on the
        // same file.
        {
            Storage::SqliteRoomStore admin(dir.path() + QStringLiteral("/rooms.sqlite"));
            QVERIFY2(admin.open(&error), qPrintable(error));
            QVERIFY2(admin.revokeToken(guestId, &error), qPrintable(error));
        }
        QVERIFY(guest.waitClosed(3000));
        QCOMPARE(guest.closeCode, int(Server::CloseCode::Forbidden));
        QVERIFY2(guest.closeReason.contains(QStringLiteral("revoked")),
                 qPrintable(guest.closeReason));
        Client again(3);
        again.open(f.roomWith(room, guestToken));
        QVERIFY(again.waitClosed());
        QCOMPARE(again.closeCode, int(Server::CloseCode::Forbidden));
        QCOMPARE(owner.closeCode, -1);
    }

    void expiryClosesOpenConnections()
    {
        QTemporaryDir dir;
        Fixture f(dir.path());
        QVERIFY(f.ok);
        Client c(1);
        QVERIFY(c.open(
                f.roomWith(QStringLiteral("r"),
                           f.token(QStringLiteral("r"), Access::Permission::Write, now() + 1))));
        QVERIFY(c.waitSynced());
        QVERIFY(c.waitClosed(5000));
        QCOMPARE(c.closeCode, int(Server::CloseCode::Unauthorized));
        QVERIFY2(c.closeReason.contains(QStringLiteral("expired")), qPrintable(c.closeReason));
    }

    void yWebsocketClientsWithTokens()
    {
        // The real `tandem --serve --require-token`, its printed invite link, and stock
        // y-websocket providers given the token in `params`.
        QTemporaryDir dir;
        Testing::ServeProcess serve(QStringLiteral(TANDEM_BINARY));
        const QUrl base = serve.start(dir.path(), 0,
                                      {QStringLiteral("--require-token"),
                                       QStringLiteral("--invite-room"), QStringLiteral("plans")});
        QVERIFY2(!base.isEmpty(), "tandem --serve did not start");
        const QByteArray out = serve.outputUntil("token=");
        const QRegularExpression link(QStringLiteral(R"((ws://\S+/plans\?token=(\S+)))"));
        const auto m = link.match(QString::fromUtf8(out));
        QVERIFY2(m.hasMatch(), out.constData());
        const QUrl invite(m.captured(1));
        const std::string token
                = QUrlQuery(invite)
                          .queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded)
                          .toStdString();

        // The invite link as it is: a Tandem client.
        Client tandem(1);
        QVERIFY(tandem.open(invite));
        QVERIFY(tandem.waitSynced());
        tandem.insert(0, u"from tandem");
        QTRY_VERIFY(tandem.updates > 0); // the server's echo: it has it (node waits below block)

        const std::string url = base.toString(QUrl::StripTrailingSlash).toStdString();
        auto connect = [&](Testing::NodeScript &js, const std::string &t) {
            QString error;
            if (!js.start(QStringLiteral("ywsclient.mjs"),
                          {QStringLiteral("yjs"), QStringLiteral("y-websocket"),
                           QStringLiteral("ws")},
                          &error)) {
                return Any::object({{"ok", Any(false)}, {"error", Any(error.toStdString())}});
            }
            return js.exec(command("connect",
                                   {{"url", Any(url)},
                                    {"room", Any("plans")},
                                    {"params", Any::object({{"token", Any(t)}})}}));
        };
        Testing::NodeScript web;
        QVERIFY(isOk(connect(web, token)));
        const Any synced = web.exec(command("waitText", {{"text", Any("from tandem")}}));
        QVERIFY2(isOk(synced), synced.toJson().c_str());
        QVERIFY(isOk(web.exec(command("insert", {{"index", Any(0)}, {"text", Any("web: ")}}))));
        QTRY_COMPARE(tandem.text(), std::string("web: from tandem"));

        // A read-only guest, with a token made from the server's stored secret.
        QByteArray readToken;
        {
            Storage::SqliteRoomStore admin(dir.path() + QStringLiteral("/rooms.sqlite"));
            QString error;
            QVERIFY2(admin.open(&error), qPrintable(error));
            const auto secret = admin.accessSecret(&error);
            QVERIFY2(secret, qPrintable(error));
            Access::Grant g;
            g.room = QStringLiteral("plans");
            g.permission = Access::Permission::Read;
            g.id = Access::newTokenId();
            readToken = Access::issueToken(g, *secret);
        }
        Testing::NodeScript reader;
        QVERIFY(isOk(connect(reader, readToken.toStdString())));
        QVERIFY(isOk(reader.exec(command("waitText", {{"text", Any("web: from tandem")}}))));
        QVERIFY(isOk(reader.exec(command("insert", {{"index", Any(0)}, {"text", Any("ro ")}}))));
        const int echoed = tandem.updates;
        tandem.insert(16, u"!"); // at the end: no tie with the reader's own insert
        QTRY_VERIFY(tandem.updates > echoed);
        QVERIFY(isOk(reader.exec(command("waitText", {{"text", Any("ro web: from tandem!")}}))));
        QCOMPARE(tandem.text(), std::string("web: from tandem!"));

        // A wrong token: a final close with the reason, and the provider stops retrying.
        Testing::NodeScript intruder;
        QVERIFY(isOk(connect(intruder, token.substr(0, token.size() - 2) + "xx")));
        QTest::qWait(1500);
        const Any events = intruder.exec(command("closeEvents"));
        const Any *closed = events.find("closed");
        QVERIFY2(closed && closed->type() == Any::Type::Array && !closed->toArray().empty(),
                 events.toJson().c_str());
        const Any &first = closed->toArray().front();
        QCOMPARE(first.find("code")->toNumber(), double(Server::CloseCode::Unauthorized));
        QVERIFY2(first.find("reason")->toString().find("signature") != std::string::npos,
                 events.toJson().c_str());
        QCOMPARE(tandem.closeCode, -1);
    }
};

QTEST_GUILESS_MAIN(tst_Access)
#include "tst_access.moc"
