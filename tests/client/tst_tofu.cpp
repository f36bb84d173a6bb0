// SPDX-License-Identifier: GPL-3.0-or-later
// Trust on first use against a real wss:// RoomServer on 127.0.0.1 with self-signed
// certificates: a first contact asks (certificateUnknown) and does not connect or retry; once
// the fingerprint is remembered, Sessions connect and sync; a server that comes back on the
// same port with another certificate is refused (certificateChanged, Offline, nothing
// exchanged); a fingerprint remembered for another host:port is no trust for this one.
// KnownHosts lives in a QSettings file in a temporary directory.

#include "core/client/knownhosts.h"
#include "core/client/session.h"
#include "core/client/transport.h"
#include "core/crdt/text.h"
#include "core/server/roomserver.h"
#include "core/server/tls.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/ports.h"
#include "tests/support/sessionclient.h"

#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace Tandem;
using Client::KnownHosts;
using Client::Provider;
using Client::Session;
using Client::Transport;

namespace {

constexpr int Wait = 10000;

using Testing::fastRetries;
using Testing::insert;
using Testing::LocalStore;
using Testing::text;

/// A wss:// room server with a self-signed certificate of its own (@p name), restartable on
/// the same port with the same rooms.
struct TlsServer
{
    explicit TlsServer(QTemporaryDir &dir) : dir(dir) { }

    bool start(const QString &name)
    {
        const QString cert = dir.filePath(name + QStringLiteral("-cert.pem"));
        const QString key = dir.filePath(name + QStringLiteral("-key.pem"));
        QString error;
        if (!QFile::exists(cert)
            && !Server::generateSelfSignedCertificate(
                    cert, key, {QStringLiteral("localhost"), QStringLiteral("127.0.0.1")}, 30,
                    &error)) {
            qWarning() << error;
            return false;
        }
        Server::ServerOptions options;
        options.port = port;
        options.certFile = cert;
        options.keyFile = key;
        server = std::make_unique<Server::RoomServer>(
                options,
                std::make_unique<Storage::SqliteRoomStore>(
                        dir.filePath(QStringLiteral("rooms.sqlite"))));
        if (!server->listen(&error)) {
            qWarning() << error;
            return false;
        }
        port = quint16(server->url().port());
        return true;
    }
    void stop() { server.reset(); }
    QUrl url(const QString &room) const
    {
        return QUrl(QStringLiteral("wss://127.0.0.1:%1/%2").arg(port).arg(room));
    }
    QString hostPort() const { return QStringLiteral("127.0.0.1:%1").arg(port); }
    QString fingerprint() const { return server->certificateFingerprint(); }

    QTemporaryDir &dir;
    std::unique_ptr<Server::RoomServer> server;
    quint16 port = 0;
};

} // namespace

class tst_Tofu : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init()
    {
        // A fresh, private trust store for every test.
        m_settings
                = std::make_unique<QSettings>(m_dir.filePath(QStringLiteral("%1.ini").arg(
                                                      QLatin1String(QTest::currentTestFunction()))),
                                              QSettings::IniFormat);
        m_settings->clear();
        KnownHosts::setSettings(m_settings.get());
    }

    void cleanup()
    {
        KnownHosts::setSettings(nullptr);
        m_settings.reset();
    }

    void knownHostsBasics()
    {
        QCOMPARE(KnownHosts::hostPort(QUrl(QStringLiteral("wss://Example.org/r"))),
                 QStringLiteral("example.org:443"));
        QCOMPARE(KnownHosts::hostPort(QUrl(QStringLiteral("ws://h:1234/r"))),
                 QStringLiteral("h:1234"));
        QCOMPARE(KnownHosts::hostPort(QUrl(QStringLiteral("wss://[::1]:99/r"))),
                 QStringLiteral("[::1]:99"));
        QVERIFY(KnownHosts::fingerprint(QStringLiteral("h:1")).isEmpty());
        KnownHosts::remember(QStringLiteral("h:1"), QStringLiteral("ab:cd"));
        QCOMPARE(KnownHosts::fingerprint(QStringLiteral("h:1")), QStringLiteral("AB:CD"));
        QVERIFY(KnownHosts::fingerprint(QStringLiteral("h:2")).isEmpty());
        // It is in the settings given, under knownHosts.
        QCOMPARE(m_settings->value(QStringLiteral("knownHosts/h:1")).toString(),
                 QStringLiteral("AB:CD"));
        KnownHosts::forget(QStringLiteral("h:1"));
        QVERIFY(KnownHosts::fingerprint(QStringLiteral("h:1")).isEmpty());

        QString fp;
        for (int i = 0; i < 32; ++i) {
            fp += QStringLiteral("%1%2")
                          .arg(i, 2, 16, QLatin1Char('0'))
                          .arg(QLatin1String(i < 31 ? ":" : ""));
        }
        const QString grouped = KnownHosts::grouped(fp.toUpper());
        QCOMPARE(grouped.count(QLatin1Char('\n')), 3);
        QVERIFY(grouped.startsWith(QStringLiteral("00:01:02:03  04:05:06:07\n")));
    }

    void firstUseAsksAndDoesNotConnect()
    {
        QTemporaryDir dir;
        TlsServer server(dir);
        QVERIFY(server.start(QStringLiteral("a")));
        QSignalSpy loaded(server.server.get(), &Server::RoomServer::roomLoaded);

        Transport t(Client::Clock::system(), fastRetries());
        QSignalSpy unknown(&t, &Transport::certificateUnknown);
        QSignalSpy changed(&t, &Transport::certificateChanged);
        QSignalSpy received(&t, &Transport::messageReceived);
        t.open(server.url(QStringLiteral("r")));
        QVERIFY(unknown.wait(Wait));
        QCOMPARE(unknown.size(), 1);
        QCOMPARE(unknown.first().at(0).toString(), server.hostPort());
        QCOMPARE(unknown.first().at(1).toString(), server.fingerprint());
        QCOMPARE(t.state(), Transport::State::Offline);
        QVERIFY2(t.reason().contains(QStringLiteral("not trusted")), qPrintable(t.reason()));
        QVERIFY(t.reason().contains(server.fingerprint()));
        QVERIFY(t.certificateRefused());
        QVERIFY(!t.nextAttemptAt());

        // Many backoff periods later: it did not try again (it would ask again each time).
        QTest::qWait(600);
        QCOMPARE(unknown.size(), 1);
        QCOMPARE(t.state(), Transport::State::Offline);
        QCOMPARE(received.size(), 0);
        QCOMPARE(loaded.size(), 0);
        QCOMPARE(server.server->connectionCount(), 0);
        QCOMPARE(changed.size(), 0);
        QVERIFY(KnownHosts::fingerprint(server.hostPort()).isEmpty()); // nothing decided for us
    }

    void rememberedConnectsAndSyncs()
    {
        QTemporaryDir dir;
        TlsServer server(dir);
        QVERIFY(server.start(QStringLiteral("a")));
        LocalStore la(dir.filePath(QStringLiteral("a.sqlite")));
        LocalStore lb(dir.filePath(QStringLiteral("b.sqlite")));
        QVERIFY(la.ok && lb.ok);

        Session a(server.url(QStringLiteral("sync")), la.store, Client::Clock::system(),
                  fastRetries());
        QSignalSpy unknown(&a.transport(), &Transport::certificateUnknown);
        QString error;
        QVERIFY2(a.open(&error), qPrintable(error));
        QVERIFY(unknown.wait(Wait));
        QCOMPARE(a.provider()->status(), Provider::Status::Offline);
        insert(a, 0, QStringLiteral("written while untrusted"));

        // The user compared the fingerprint and trusts it.
        KnownHosts::remember(unknown.first().at(0).toString(), unknown.first().at(1).toString());
        a.transport().open(a.url());
        QVERIFY(!a.transport().certificateRefused());
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, Wait);

        Session b(server.url(QStringLiteral("sync")), lb.store, Client::Clock::system(),
                  fastRetries());
        QSignalSpy unknownB(&b.transport(), &Transport::certificateUnknown);
        QVERIFY2(b.open(&error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(b.provider()->status(), Provider::Status::Synced, Wait);
        QCOMPARE(unknownB.size(), 0); // same host:port, same certificate: no question
        QTRY_COMPARE_WITH_TIMEOUT(text(b), QStringLiteral("written while untrusted"), Wait);
        insert(b, 0, QStringLiteral("> "));
        QTRY_COMPARE_WITH_TIMEOUT(text(a), QStringLiteral("> written while untrusted"), Wait);
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, Wait);
    }

    void changedCertificateIsRefused()
    {
        QTemporaryDir dir;
        TlsServer server(dir);
        server.port = Testing::freeLoopbackPort();
        QVERIFY(server.start(QStringLiteral("first")));
        const QString firstFingerprint = server.fingerprint();
        KnownHosts::remember(server.hostPort(), firstFingerprint);
        LocalStore la(dir.filePath(QStringLiteral("a.sqlite")));
        QVERIFY(la.ok);
        Session a(server.url(QStringLiteral("r")), la.store, Client::Clock::system(),
                  fastRetries());
        QString error;
        QVERIFY2(a.open(&error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->status(), Provider::Status::Synced, Wait);
        insert(a, 0, QStringLiteral("secret"));
        QTRY_COMPARE_WITH_TIMEOUT(a.provider()->unconfirmedChanges(), 0, Wait);

        // Someone else answers on the same address now, with a certificate of its own.
        QSignalSpy changed(&a.transport(), &Transport::certificateChanged);
        QSignalSpy unknown(&a.transport(), &Transport::certificateUnknown);
        QSignalSpy received(&a.transport(), &Transport::messageReceived);
        server.stop();
        QVERIFY(server.start(QStringLiteral("second")));
        QVERIFY(server.fingerprint() != firstFingerprint);
        QSignalSpy loaded(server.server.get(), &Server::RoomServer::roomLoaded);
        QVERIFY(changed.wait(Wait));
        QCOMPARE(changed.size(), 1);
        QCOMPARE(changed.first().at(0).toString(), server.hostPort());
        QCOMPARE(changed.first().at(1).toString(), firstFingerprint);
        QCOMPARE(changed.first().at(2).toString(), server.fingerprint());
        QCOMPARE(a.transport().state(), Transport::State::Offline);
        QCOMPARE(a.provider()->status(), Provider::Status::Offline);
        QVERIFY2(a.transport().reason().contains(QStringLiteral("changed"))
                         && a.transport().reason().contains(QStringLiteral("intercept")),
                 qPrintable(a.transport().reason()));

        insert(a, 0, QStringLiteral("more "));
        QTest::qWait(600); // many retry periods
        QCOMPARE(changed.size(), 1);
        QCOMPARE(unknown.size(), 0);
        QCOMPARE(received.size(), 0);
        QCOMPARE(loaded.size(), 0); // no request ever reached the impostor
        QCOMPARE(server.server->connectionCount(), 0);
        QCOMPARE(a.transport().state(), Transport::State::Offline);
        // Still the first certificate that is trusted.
        QCOMPARE(KnownHosts::fingerprint(server.hostPort()), firstFingerprint);
    }

    void trustIsPerHostAndPort()
    {
        QTemporaryDir dir;
        TlsServer server(dir);
        QVERIFY(server.start(QStringLiteral("a")));
        // The same certificate, trusted elsewhere: another port, another name for this host.
        KnownHosts::remember(QStringLiteral("127.0.0.1:%1").arg(server.port + 1),
                             server.fingerprint());
        KnownHosts::remember(QStringLiteral("localhost:%1").arg(server.port), server.fingerprint());

        Transport t(Client::Clock::system(), fastRetries());
        QSignalSpy unknown(&t, &Transport::certificateUnknown);
        QSignalSpy connected(&t, &Transport::stateChanged);
        t.open(server.url(QStringLiteral("r")));
        QVERIFY(unknown.wait(Wait));
        QCOMPARE(unknown.first().at(0).toString(), server.hostPort());
        QCOMPARE(t.state(), Transport::State::Offline);
        for (const auto &args : connected) {
            QVERIFY(args.at(0).value<Transport::State>() != Transport::State::Connected);
        }
        QCOMPARE(server.server->connectionCount(), 0);
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<QSettings> m_settings;
};

QTEST_GUILESS_MAIN(tst_Tofu)
#include "tst_tofu.moc"
