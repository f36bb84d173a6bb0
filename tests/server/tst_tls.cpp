// SPDX-License-Identifier: GPL-3.0-or-later
// The room server over TLS (wss://), in-process on 127.0.0.1:0 with a real SQLite file and a
// certificate made by generateSelfSignedCertificate. Covers the certificate itself (what Qt
// reads from it, the fingerprint the server reports), two QWebSocket clients that trust exactly
// that fingerprint syncing a document (a large one too: partial TLS writes), plain ws:// and
// garbage on the TLS port dropped without disturbing anyone, a key that does not belong to its
// certificate refused at start, and a stock y-websocket client in node joining over wss://.

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/encoding/utf.h"
#include "core/protocol/messages.h"
#include "core/server/roomserver.h"
#include "core/server/socketpoller.h"
#include "core/server/tls.h"
#include "core/server/websocketconnection.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/nodescript.h"
#include "tests/support/serveprocess.h"

#include <QElapsedTimer>
#include <QFile>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslError>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QWebSocket>

using namespace Tandem;
using Encoding::Any;

namespace {

constexpr int Wait = 10000;

std::span<const uint8_t> span(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}

QByteArray bytes(std::span<const uint8_t> s)
{
    return QByteArray(reinterpret_cast<const char *>(s.data()), qsizetype(s.size()));
}

QString fingerprintOf(const QSslCertificate &cert)
{
    return Server::fingerprintFromDigest(cert.digest(QCryptographicHash::Sha256));
}

/// A y-websocket protocol client over wss:// that trusts one certificate fingerprint (the
/// server's self-signed certificate) and nothing else besides what the system trusts.
class Client : public QObject
{
public:
    Client(Crdt::ClientId id, QString trusted) : doc(id), m_trusted(std::move(trusted))
    {
        connect(&ws, &QWebSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            sslErrors = errors;
            if (!m_trusted.isEmpty()
                && fingerprintOf(ws.sslConfiguration().peerCertificate()) == m_trusted) {
                ws.ignoreSslErrors(errors);
            }
        });
        connect(&ws, &QWebSocket::binaryMessageReceived, this, &Client::onMessage);
        doc.onUpdate([this](std::span<const uint8_t> u, const Crdt::Transaction &tr) {
            if (tr.origin != this && ws.state() == QAbstractSocket::ConnectedState) {
                ws.sendBinaryMessage(bytes(Protocol::encodeSyncUpdate(u)));
            }
        });
    }

    bool open(const QUrl &url)
    {
        QSignalSpy connected(&ws, &QWebSocket::connected);
        ws.open(url);
        if (!connected.wait(Wait)) {
            return false;
        }
        ws.sendBinaryMessage(bytes(Protocol::encodeSyncStep1(doc.encodeStateVector())));
        return true;
    }

    void onMessage(const QByteArray &message)
    {
        const auto m = Protocol::decodeMessage(span(message));
        QVERIFY2(m, "the server sent a malformed message");
        if (m->type == Protocol::MessageType::Sync) {
            if (m->step == Protocol::SyncStep::Step1) {
                const auto diff = doc.encodeStateAsUpdate(m->payload);
                ws.sendBinaryMessage(bytes(Protocol::encodeSyncStep2(*diff)));
            } else {
                synced = synced || m->step == Protocol::SyncStep::Step2;
                QVERIFY(!doc.applyUpdate(m->payload, this));
            }
        }
    }

    std::string text() { return Encoding::toUtf8(doc.getText("text").toString()); }
    void insert(uint64_t at, std::u16string_view s) { doc.getText("text").insert(at, s); }

    QWebSocket ws;
    Crdt::Doc doc;
    QList<QSslError> sslErrors;
    bool synced = false;

private:
    QString m_trusted;
};

/// A self-signed certificate for 127.0.0.1 and localhost in @p dir, as cert.pem and key.pem.
struct Certificate
{
    explicit Certificate(const QString &dir, const QString &name = QStringLiteral("server"))
        : cert(dir + QLatin1Char('/') + name + QStringLiteral("-cert.pem")),
          key(dir + QLatin1Char('/') + name + QStringLiteral("-key.pem"))
    {
        ok = Server::generateSelfSignedCertificate(
                cert, key, {QStringLiteral("localhost"), QStringLiteral("127.0.0.1")}, 30, &error);
    }
    QString cert;
    QString key;
    QString error;
    bool ok = false;
};

struct Fixture
{
    Fixture(const QString &dir, const Certificate &certificate)
    {
        Server::ServerOptions options;
        options.port = 0;
        options.unloadDelayMs = 0;
        options.certFile = certificate.cert;
        options.keyFile = certificate.key;
        server = std::make_unique<Server::RoomServer>(
                options,
                std::make_unique<Storage::SqliteRoomStore>(dir + QStringLiteral("/rooms.sqlite")));
        ok = server->listen(&error);
    }
    QUrl room(const QString &name) const
    {
        QUrl u = server->url();
        u.setPath(QLatin1Char('/') + name);
        return u;
    }
    bool ok = false;
    QString error;
    std::unique_ptr<Server::RoomServer> server;
};

/// Bare WebSocketConnections with TLS and short limits, accepted from a QTcpServer.
class Harness : public QTcpServer, public Server::WebSocketConnection::Listener
{
public:
    Harness(const Server::TlsContext &tls, int handshakeTimeoutMs) : m_tls(tls)
    {
        limits.handshakeTimeoutMs = handshakeTimeoutMs;
        listen(QHostAddress::LocalHost, 0);
    }
    ~Harness() override { qDeleteAll(findChildren<Server::WebSocketConnection *>()); }
    void onOpen(Server::WebSocketConnection *) override { ++opened; }
    void onMessage(Server::WebSocketConnection *, std::span<const uint8_t>, bool) override { }
    void onClosed(Server::WebSocketConnection *) override { ++closed; }

    Server::WebSocketConnection::Limits limits;
    Server::SocketPoller poller;
    int opened = 0;
    int closed = 0;

protected:
    void incomingConnection(qintptr fd) override
    {
        new Server::WebSocketConnection(fd, poller, limits, this, this, &m_tls);
    }

private:
    const Server::TlsContext &m_tls;
};

bool isOk(const Any &res)
{
    const Any *ok = res.find("ok");
    return ok && ok->type() == Any::Type::Bool && ok->toBool();
}

Any command(const char *name, Any::Object fields = {})
{
    fields.insert(fields.begin(), Encoding::AnyEntry {"cmd", Any(name)});
    return Any::object(std::move(fields));
}

} // namespace

class tst_Tls : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void generatedCertificate()
    {
        QTemporaryDir dir;
        Certificate c(dir.path());
        QVERIFY2(c.ok, qPrintable(c.error));
        const auto certs = QSslCertificate::fromPath(c.cert);
        QCOMPARE(certs.size(), 1);
        const QSslCertificate &cert = certs.first();
        QVERIFY(!cert.isNull());
        QVERIFY(cert.isSelfSigned());
        const auto san = cert.subjectAlternativeNames();
        QVERIFY(san.values(QSsl::DnsEntry).contains(QStringLiteral("localhost")));
        QVERIFY(san.values(QSsl::IpAddressEntry).contains(QStringLiteral("127.0.0.1")));
        QVERIFY(cert.expiryDate() > QDateTime::currentDateTimeUtc().addDays(29));
#ifdef Q_OS_UNIX
        // Owner only (0600).
        QCOMPARE(QFile::permissions(c.key) & 0x0FFF,
                 QFileDevice::ReadUser | QFileDevice::WriteUser);
#endif

        Fixture f(dir.path(), c);
        QVERIFY2(f.ok, qPrintable(f.error));
        QCOMPARE(f.server->url().scheme(), QStringLiteral("wss"));
        QCOMPARE(f.server->certificateFingerprint(), fingerprintOf(cert));
        QCOMPARE(f.server->certificateFingerprint().size(), 32 * 3 - 1); // "AB:CD:…"
        QVERIFY(QRegularExpression(QStringLiteral("^([0-9A-F]{2}:){31}[0-9A-F]{2}$"))
                        .match(f.server->certificateFingerprint())
                        .hasMatch());

        // What a client sees: only that nobody vouches for it (the names match).
        Client a(1, f.server->certificateFingerprint());
        QVERIFY(a.open(f.room(QStringLiteral("r"))));
        QCOMPARE(a.sslErrors.size(), 1);
        QCOMPARE(a.sslErrors.first().error(), QSslError::SelfSignedCertificate);
        QCOMPARE(a.ws.sslConfiguration().peerCertificate(), cert);
        QVERIFY(a.ws.sslConfiguration().sessionProtocol() == QSsl::TlsV1_3
                || a.ws.sslConfiguration().sessionProtocol() == QSsl::TlsV1_2);
    }

    void plainServerHasNoFingerprint()
    {
        QTemporaryDir dir;
        Server::ServerOptions options;
        options.port = 0;
        Server::RoomServer server(options,
                                  std::make_unique<Storage::SqliteRoomStore>(
                                          dir.path() + QStringLiteral("/rooms.sqlite")));
        QString error;
        QVERIFY2(server.listen(&error), qPrintable(error));
        QCOMPARE(server.url().scheme(), QStringLiteral("ws"));
        QVERIFY(server.certificateFingerprint().isEmpty());
    }

    void untrustedCertificateIsRefused()
    {
        QTemporaryDir dir;
        Certificate c(dir.path());
        QVERIFY2(c.ok, qPrintable(c.error));
        Fixture f(dir.path(), c);
        QVERIFY2(f.ok, qPrintable(f.error));
        Client a(1, QStringLiteral("00:11")); // trusts some other certificate
        QVERIFY(!a.open(f.room(QStringLiteral("r"))));
        QVERIFY(!a.sslErrors.isEmpty());
        QCOMPARE(f.server->connectionCount(), 0);
    }

    void twoClientsSync()
    {
        QTemporaryDir dir;
        Certificate c(dir.path());
        QVERIFY2(c.ok, qPrintable(c.error));
        Fixture f(dir.path(), c);
        QVERIFY2(f.ok, qPrintable(f.error));
        const QString fp = f.server->certificateFingerprint();
        Client a(1, fp);
        Client b(2, fp);
        QVERIFY(a.open(f.room(QStringLiteral("sync"))));
        a.insert(0, u"hello over TLS");
        QVERIFY(b.open(f.room(QStringLiteral("sync"))));
        QTRY_COMPARE_WITH_TIMEOUT(b.text(), std::string("hello over TLS"), Wait);
        b.insert(0, u"> ");
        QTRY_COMPARE_WITH_TIMEOUT(a.text(), std::string("> hello over TLS"), Wait);
        QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 2, Wait);

        // Several megabytes in one message: many records, the socket fills up, OpenSSL's
        // writes are retried with the same bytes.
        std::u16string big(3 * 1024 * 1024, u'x');
        for (size_t i = 0; i < big.size(); i += 97) {
            big[i] = char16_t(u'a' + (i / 97) % 26);
        }
        a.insert(0, big);
        QTRY_COMPARE_WITH_TIMEOUT(b.doc.getText("text").length(), big.size() + 16, 30000);
        QCOMPARE(b.text(), a.text());

        // A late joiner gets it all in its sync answer.
        Client late(3, fp);
        QVERIFY(late.open(f.room(QStringLiteral("sync"))));
        QTRY_VERIFY_WITH_TIMEOUT(late.synced, 30000);
        QCOMPARE(late.text(), a.text());

        // A clean close from the client: the server answers and forgets it.
        a.ws.close();
        QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 2, Wait);
    }

    void plainAndGarbageClientsAreDropped()
    {
        QTemporaryDir dir;
        Certificate c(dir.path());
        QVERIFY2(c.ok, qPrintable(c.error));
        Fixture f(dir.path(), c);
        QVERIFY2(f.ok, qPrintable(f.error));
        const QString fp = f.server->certificateFingerprint();
        Client a(1, fp);
        Client b(2, fp);
        QVERIFY(a.open(f.room(QStringLiteral("r"))));
        QVERIFY(b.open(f.room(QStringLiteral("r"))));
        a.insert(0, u"before");
        QTRY_COMPARE_WITH_TIMEOUT(b.text(), std::string("before"), Wait);

        // A ws:// client on the TLS port: its HTTP request is no TLS handshake.
        QWebSocket plain;
        QSignalSpy plainConnected(&plain, &QWebSocket::connected);
        QSignalSpy plainDisconnected(&plain, &QWebSocket::disconnected);
        QUrl plainUrl = f.room(QStringLiteral("r"));
        plainUrl.setScheme(QStringLiteral("ws"));
        plain.open(plainUrl);
        QTRY_VERIFY_WITH_TIMEOUT(!plainDisconnected.isEmpty(), Wait);
        QVERIFY(plainConnected.isEmpty());

        // Garbage: something like a TLS record header, then noise; and noise alone.
        const QList<QByteArray> junks {QByteArray("\x16\x03\x01\x00\x20", 5) + QByteArray(32, 'z'),
                                       QByteArray(4096, '\xff'),
                                       QByteArray("\x16\x03\x03\xff\xff", 5)
                                               + QByteArray(70000, '\x01')};
        for (const QByteArray &junk : junks) {
            QTcpSocket raw;
            raw.connectToHost(QHostAddress::LocalHost, quint16(f.server->url().port()));
            QVERIFY(raw.waitForConnected(Wait));
            raw.write(junk);
            QTRY_COMPARE_WITH_TIMEOUT(raw.state(), QAbstractSocket::UnconnectedState, Wait);
        }

        // The TLS clients never noticed.
        QCOMPARE(a.ws.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(b.ws.state(), QAbstractSocket::ConnectedState);
        QCOMPARE(f.server->connectionCount(), 2);
        b.insert(0, u"after, ");
        QTRY_COMPARE_WITH_TIMEOUT(a.text(), std::string("after, before"), Wait);
    }

    void handshakeTimeoutCoversTls()
    {
        // One timeout for the TLS handshake and the WebSocket upgrade together: a peer that
        // stalls in either is dropped.
        QTemporaryDir dir;
        Certificate c(dir.path());
        QVERIFY2(c.ok, qPrintable(c.error));
        QString error;
        const auto context = Server::TlsContext::load(c.cert, c.key, &error);
        QVERIFY2(context, qPrintable(error));
        Harness harness(*context, 300);
        QVERIFY(harness.isListening());

        QTcpSocket stalledInTls; // the first bytes of a ClientHello, then nothing
        stalledInTls.connectToHost(QHostAddress::LocalHost, harness.serverPort());
        QVERIFY(stalledInTls.waitForConnected(Wait));
        stalledInTls.write(QByteArray("\x16\x03\x01", 3));

        QSslSocket stalledInHttp; // TLS done, no upgrade request
        connect(&stalledInHttp, &QSslSocket::sslErrors, &stalledInHttp,
                [&](const QList<QSslError> &errors) { stalledInHttp.ignoreSslErrors(errors); });
        QSignalSpy encrypted(&stalledInHttp, &QSslSocket::encrypted);
        stalledInHttp.connectToHostEncrypted(QStringLiteral("127.0.0.1"), harness.serverPort());
        QVERIFY(encrypted.wait(Wait));

        QElapsedTimer timer;
        timer.start();
        QTRY_COMPARE_WITH_TIMEOUT(stalledInTls.state(), QAbstractSocket::UnconnectedState, Wait);
        QTRY_COMPARE_WITH_TIMEOUT(stalledInHttp.state(), QAbstractSocket::UnconnectedState, Wait);
        QVERIFY(timer.elapsed() < 3000);
        QTRY_COMPARE_WITH_TIMEOUT(harness.closed, 2, Wait);
        QCOMPARE(harness.opened, 0);
    }

    void serverShutdownClosesCleanly()
    {
        QTemporaryDir dir;
        Certificate c(dir.path());
        QVERIFY2(c.ok, qPrintable(c.error));
        Fixture f(dir.path(), c);
        QVERIFY2(f.ok, qPrintable(f.error));
        Client a(1, f.server->certificateFingerprint());
        QVERIFY(a.open(f.room(QStringLiteral("r"))));
        QTRY_COMPARE_WITH_TIMEOUT(f.server->connectionCount(), 1, Wait);
        QSignalSpy disconnected(&a.ws, &QWebSocket::disconnected);
        f.server->shutdown();
        QVERIFY(disconnected.wait(Wait));
        QCOMPARE(int(a.ws.closeCode()), int(Server::CloseCode::GoingAway));
    }

    void keyMustMatchCertificate()
    {
        QTemporaryDir dir;
        Certificate one(dir.path(), QStringLiteral("one"));
        Certificate two(dir.path(), QStringLiteral("two"));
        QVERIFY2(one.ok && two.ok, qPrintable(one.error + two.error));

        Certificate mixed = one;
        mixed.key = two.key;
        Fixture f(dir.path(), mixed);
        QVERIFY(!f.ok);
        QVERIFY2(f.error.contains(QStringLiteral("does not belong to the certificate")),
                 qPrintable(f.error));

        Certificate missing = one;
        missing.cert = dir.path() + QStringLiteral("/nothing.pem");
        Fixture g(dir.path(), missing);
        QVERIFY(!g.ok);
        QVERIFY2(g.error.contains(QStringLiteral("cannot read the certificate file")),
                 qPrintable(g.error));

        Certificate notPem = one;
        notPem.key = one.cert; // a certificate where the key should be
        Fixture h(dir.path(), notPem);
        QVERIFY(!h.ok);
        QVERIFY2(h.error.contains(QStringLiteral("no unencrypted PEM private key")),
                 qPrintable(h.error));

        Certificate onlyCert = one;
        onlyCert.key.clear();
        Fixture i(dir.path(), onlyCert);
        QVERIFY(!i.ok);
        QVERIFY2(i.error.contains(QStringLiteral("both")), qPrintable(i.error));
    }

    void yWebsocketClientOverWss()
    {
        // The real `tandem --serve --cert --key` (node blocks this thread while it answers, so
        // the server cannot live in it), a stock y-websocket client in node and a Tandem one.
        QTemporaryDir dir;
        Certificate c(dir.path());
        QVERIFY2(c.ok, qPrintable(c.error));
        const QString fp = fingerprintOf(QSslCertificate::fromPath(c.cert).value(0));
        Testing::ServeProcess server(QStringLiteral(TANDEM_BINARY));
        // (start() knows ws:// lines only: the address is read here.)
        server.start(dir.path() + QStringLiteral("/data"), 0,
                     {QStringLiteral("--cert"), c.cert, QStringLiteral("--key"), c.key});
        const QByteArray out = server.outputUntil("fingerprint");
        const qsizetype at = out.indexOf("wss://");
        const qsizetype end = out.indexOf("<room>");
        QVERIFY2(at >= 0 && end > at, out.constData());
        QUrl base(QString::fromLatin1(out.mid(at, end - at)));
        const QByteArray line = "TLS certificate SHA-256 fingerprint: " + fp.toLatin1();
        QVERIFY2(out.contains(line), out.constData());
        QUrl room = base;
        room.setPath(QStringLiteral("/mixed"));

        Client tandem(1, fp);
        Client observer(2, fp);
        QVERIFY(tandem.open(room));
        QVERIFY(observer.open(room));
        tandem.insert(0, u"from Tandem");
        QTRY_COMPARE_WITH_TIMEOUT(observer.text(), std::string("from Tandem"), Wait);

        // node trusts the self-signed certificate the way an admin would tell it to.
        qputenv("NODE_EXTRA_CA_CERTS", QFile::encodeName(c.cert));
        Testing::NodeScript node;
        QString error;
        const bool started = node.start(
                QStringLiteral("ywsclient.mjs"),
                {QStringLiteral("yjs"), QStringLiteral("y-websocket"), QStringLiteral("ws")},
                &error);
        qunsetenv("NODE_EXTRA_CA_CERTS");
        QVERIFY2(started, qPrintable(error));
        const auto must = [&](const Any &cmd) {
            const Any res = node.exec(cmd, 40000);
            if (!isOk(res)) {
                qWarning("%s -> %s", cmd.toJson().c_str(), res.toJson().c_str());
            }
            return isOk(res);
        };
        base.setPath(QString());
        QVERIFY(must(command(
                "connect", {{"url", Any(base.toString().toStdString())}, {"room", Any("mixed")}})));
        QVERIFY(must(command("waitSynced", {{"timeoutMs", Any(20000)}})));
        QVERIFY(must(
                command("waitText", {{"text", Any("from Tandem")}, {"timeoutMs", Any(20000)}})));
        QVERIFY(must(command("insert", {{"index", Any(0)}, {"text", Any("and from Yjs, ")}})));
        QTRY_COMPARE_WITH_TIMEOUT(tandem.text(), std::string("and from Yjs, from Tandem"), Wait);
        tandem.insert(uint64_t(tandem.doc.getText("text").length()), u"!");
        QTRY_COMPARE_WITH_TIMEOUT(observer.text(), std::string("and from Yjs, from Tandem!"), Wait);
        QVERIFY(must(
                command("waitText",
                        {{"text", Any("and from Yjs, from Tandem!")}, {"timeoutMs", Any(20000)}})));
        QVERIFY(must(command("destroy")));
    }
};

QTEST_GUILESS_MAIN(tst_Tls)
#include "tst_tls.moc"
