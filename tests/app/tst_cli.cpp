// SPDX-License-Identifier: GPL-3.0-or-later
// The scripting commands (tandem cat / export / import) as a user runs them: the real binary
// against a live `tandem --serve`, checking output, files and exit codes, including an
// unreachable server, an unknown note, a refused (oversized) import and usage errors. And
// `tandem token issue|list|revoke` against a data directory, checked with the Access API.

#include "app/cli.h"
#include "core/server/accesstoken.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/serveprocess.h"

#include <QDateTime>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Tandem;
using namespace Tandem::App;

namespace {

struct Result
{
    int code = -1;
    QString out, err;
};

Result run(const QStringList &args, int timeoutMs = 30000)
{
    QProcess p;
    p.start(QStringLiteral(TANDEM_BINARY), args);
    Result r;
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    r.out = QString::fromUtf8(p.readAllStandardOutput());
    r.err = QString::fromUtf8(p.readAllStandardError());
    return r;
}

} // namespace

class tst_Cli : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        m_url = m_server.start(m_dir.filePath(QStringLiteral("srv"))).toString();
        QVERIFY(!m_url.isEmpty());
    }

    void importCatExport()
    {
        const QString file = m_dir.filePath(QStringLiteral("in.txt"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("first line\nzweite Zeile \xc3\xa4\xf0\x9f\x98\x80\n");
        f.close();
        Result r = run({QStringLiteral("import"), m_url + QStringLiteral("team"), file,
                        QStringLiteral("--note"), QStringLiteral("Plan")});
        QVERIFY2(r.code == Exit::Ok, qPrintable(r.err));
        r = run({QStringLiteral("cat"), m_url + QStringLiteral("team")});
        QCOMPARE(r.code, Exit::Ok);
        QCOMPARE(r.out, QStringLiteral("Plan\n")); // without --note: the list of notes
        r = run({QStringLiteral("cat"), m_url + QStringLiteral("team"), QStringLiteral("--note"),
                 QStringLiteral("Plan")});
        QCOMPARE(r.code, Exit::Ok);
        QCOMPARE(r.out.toUtf8(), QByteArray("first line\nzweite Zeile \xc3\xa4\xf0\x9f\x98\x80\n"));
        const QString exported = m_dir.filePath(QStringLiteral("out.txt"));
        r = run({QStringLiteral("export"), m_url + QStringLiteral("team"), QStringLiteral("--note"),
                 QStringLiteral("Plan"), QStringLiteral("-o"), exported});
        QCOMPARE(r.code, Exit::Ok);
        QFile e(exported);
        QVERIFY(e.open(QIODevice::ReadOnly));
        QCOMPARE(e.readAll(), QByteArray("first line\nzweite Zeile \xc3\xa4\xf0\x9f\x98\x80\n"));
    }

    void plainMode()
    {
        const QString file = m_dir.filePath(QStringLiteral("plain.txt"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("for a demo");
        f.close();
        QCOMPARE(run({QStringLiteral("import"), m_url + QStringLiteral("demo"), file,
                      QStringLiteral("--text"), QStringLiteral("codemirror")})
                         .code,
                 Exit::Ok);
        const Result r = run({QStringLiteral("cat"), m_url + QStringLiteral("demo"),
                              QStringLiteral("--text"), QStringLiteral("codemirror")});
        QCOMPARE(r.code, Exit::Ok);
        QCOMPARE(r.out, QStringLiteral("for a demo"));
    }

    void errorsHaveTheirCodes()
    {
        Result r = run({QStringLiteral("cat"), m_url + QStringLiteral("team"),
                        QStringLiteral("--note"), QStringLiteral("Missing")});
        QCOMPARE(r.code, Exit::NoSuchNote);
        QVERIFY(r.err.contains(QStringLiteral("Missing")));

        r = run({QStringLiteral("cat"), QStringLiteral("ws://127.0.0.1:1/x"),
                 QStringLiteral("--timeout"), QStringLiteral("1")});
        QCOMPARE(r.code, Exit::Unreachable);
        QVERIFY2(r.err.contains(QStringLiteral("could not sync")), qPrintable(r.err));

        r = run({QStringLiteral("cat"), QStringLiteral("http://example.org/")});
        QCOMPARE(r.code, Exit::Usage);
        r = run({QStringLiteral("export"), m_url + QStringLiteral("team")});
        QCOMPARE(r.code, Exit::Usage);
        r = run({QStringLiteral("import"), m_url + QStringLiteral("team"),
                 m_dir.filePath(QStringLiteral("does-not-exist"))});
        QCOMPARE(r.code, Exit::Failure);
    }

    void refusedImportSaysWhy()
    {
        const QString url
                = m_small.start(m_dir.filePath(QStringLiteral("small")), 0,
                                {QStringLiteral("--max-message-bytes"), QStringLiteral("1024")})
                          .toString();
        QVERIFY(!url.isEmpty());
        const QString file = m_dir.filePath(QStringLiteral("big.txt"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(5000, 'x'));
        f.close();
        const Result r = run({QStringLiteral("import"), url + QStringLiteral("r"), file});
        QCOMPARE(r.code, Exit::Refused);
        QVERIFY2(r.err.contains(QStringLiteral("limit")), qPrintable(r.err));
    }

    void tokenIssueListRevoke()
    {
        const QString dir = m_dir.filePath(QStringLiteral("tokens"));
        const QStringList store {QStringLiteral("--data-dir"), dir};
        const qint64 now = QDateTime::currentSecsSinceEpoch();

        // A link for one room, read and write, 30 days by default.
        Result r = run(QStringList {QStringLiteral("token"), QStringLiteral("issue"),
                                    QStringLiteral("team"), QStringLiteral("--url"),
                                    QStringLiteral("ws://127.0.0.1:1234/"),
                                    QStringLiteral("--label"), QStringLiteral("for Ann")}
                       + store);
        QVERIFY2(r.code == Exit::Ok, qPrintable(r.err));
        QStringList lines = r.out.split(QLatin1Char('\n'));
        QVERIFY2(lines.value(0).startsWith(QStringLiteral("ws://127.0.0.1:1234/team?token=")),
                 qPrintable(r.out));
        const QByteArray teamToken = Server::Access::tokenFromTarget(
                QUrl(lines.value(0)).toEncoded(QUrl::RemoveScheme | QUrl::RemoveAuthority));
        const auto teamGrant = Server::Access::peekToken(teamToken);
        QVERIFY(teamGrant);
        QVERIFY2(lines.value(1).contains(QString::fromLatin1(teamGrant->id)), qPrintable(r.out));

        // Only the token without --url; every room; never expiring; read only.
        r = run(QStringList {QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("*"),
                             QStringLiteral("--read"), QStringLiteral("--days"),
                             QStringLiteral("0")}
                + store);
        QCOMPARE(r.code, Exit::Ok);
        const QByteArray allToken = r.out.split(QLatin1Char('\n')).value(0).toLatin1();
        // A room name that needs encoding: link and token name it as servers see it.
        r = run(QStringList {QStringLiteral("token"), QStringLiteral("issue"),
                             QStringLiteral("my notes"), QStringLiteral("--url"),
                             QStringLiteral("wss://example.org"), QStringLiteral("--days"),
                             QStringLiteral("2")}
                + store);
        QCOMPARE(r.code, Exit::Ok);
        const QString spaced = r.out.split(QLatin1Char('\n')).value(0);
        QVERIFY2(spaced.startsWith(QStringLiteral("wss://example.org/my%20notes?token=")),
                 qPrintable(spaced));
        const QByteArray spacedToken = Server::Access::tokenFromTarget(spaced.toLatin1());

        // All three verify with the store's secret.
        QByteArray secret;
        {
            Storage::SqliteRoomStore s(dir + QStringLiteral("/rooms.sqlite"));
            QString error;
            QVERIFY2(s.open(&error), qPrintable(error));
            const auto stored = s.accessSecret(&error);
            QVERIFY2(stored, qPrintable(error));
            secret = *stored;
        }
        using Server::Access::TokenError;
        auto v = Server::Access::verifyToken(teamToken, secret, QStringLiteral("team"), now);
        QCOMPARE(v.error, TokenError::None);
        QCOMPARE(v.grant.permission, Server::Access::Permission::Write);
        QVERIFY(qAbs(v.grant.expiresAt - (now + 30 * 24 * 3600)) < 60);
        QCOMPARE(Server::Access::verifyToken(teamToken, secret, QStringLiteral("other"), now).error,
                 TokenError::WrongRoom);
        v = Server::Access::verifyToken(allToken, secret, QStringLiteral("anything"), now);
        QCOMPARE(v.error, TokenError::None);
        QCOMPARE(v.grant.permission, Server::Access::Permission::Read);
        QCOMPARE(v.grant.expiresAt, 0);
        v = Server::Access::verifyToken(spacedToken, secret, QStringLiteral("my%20notes"), now);
        QCOMPARE(v.error, TokenError::None);
        QCOMPARE(Server::Access::verifyToken(spacedToken, secret, QStringLiteral("my%20notes"),
                                             now + 3 * 24 * 3600)
                         .error,
                 TokenError::Expired);

        // The list.
        r = run(QStringList {QStringLiteral("token"), QStringLiteral("list")} + store);
        QCOMPARE(r.code, Exit::Ok);
        lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QCOMPARE(lines.size(), 4); // a header and three tokens
        QVERIFY2(lines[1].contains(QString::fromLatin1(teamGrant->id))
                         && lines[1].contains(QStringLiteral("team"))
                         && lines[1].contains(QStringLiteral("write"))
                         && lines[1].contains(QStringLiteral("for Ann"))
                         && lines[1].endsWith(QStringLiteral("no")),
                 qPrintable(r.out));
        QVERIFY2(lines[2].contains(QStringLiteral("*")) && lines[2].contains(QStringLiteral("read"))
                         && lines[2].contains(QStringLiteral("never")),
                 qPrintable(r.out));

        // Revoking.
        r = run(QStringList {QStringLiteral("token"), QStringLiteral("revoke"),
                             QString::fromLatin1(teamGrant->id)}
                + store);
        QVERIFY2(r.code == Exit::Ok, qPrintable(r.err));
        r = run(QStringList {QStringLiteral("token"), QStringLiteral("list")} + store);
        lines = r.out.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        QVERIFY2(lines.value(1).endsWith(QStringLiteral("yes")), qPrintable(r.out));
        {
            Storage::SqliteRoomStore s(dir + QStringLiteral("/rooms.sqlite"));
            QString error;
            QVERIFY(s.open(&error));
            const auto revoked = s.revokedTokenIds(now, &error);
            QVERIFY2(revoked, qPrintable(error));
            QCOMPARE(*revoked, std::vector<QByteArray> {teamGrant->id});
        }
        r = run(QStringList {QStringLiteral("token"), QStringLiteral("revoke"),
                             QStringLiteral("0123456789abcdef")}
                + store);
        QCOMPARE(r.code, Exit::NoSuchToken);
        QVERIFY2(r.err.contains(QStringLiteral("no such token")), qPrintable(r.err));

        // Usage errors.
        for (const QStringList &args :
             {QStringList {QStringLiteral("token")},
              QStringList {QStringLiteral("token"), QStringLiteral("issue")},
              QStringList {QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("r"),
                           QStringLiteral("--days"), QStringLiteral("-1")},
              QStringList {QStringLiteral("token"), QStringLiteral("issue"), QStringLiteral("r"),
                           QStringLiteral("--url"), QStringLiteral("http://host")},
              QStringList {QStringLiteral("token"), QStringLiteral("list"), QStringLiteral("x")},
              QStringList {QStringLiteral("token"), QStringLiteral("revoke")},
              QStringList {QStringLiteral("token"), QStringLiteral("forge")}}) {
            r = run(args + store);
            QVERIFY2(r.code == Exit::Usage, qPrintable(args.join(QLatin1Char(' '))));
        }
    }

    void tokensIssuedAtOnceShareOneSecret()
    {
        // Two `tandem token issue` on a fresh data directory at the same moment: the first makes
        // the secret, the other uses it (two processes on one SQLite file).
        const QString dir = m_dir.filePath(QStringLiteral("race"));
        std::vector<std::unique_ptr<QProcess>> procs;
        for (int i = 0; i < 4; ++i) {
            procs.push_back(std::make_unique<QProcess>());
            procs.back()->start(QStringLiteral(TANDEM_BINARY),
                                {QStringLiteral("token"), QStringLiteral("issue"),
                                 QStringLiteral("r"), QStringLiteral("--data-dir"), dir});
        }
        std::vector<QByteArray> tokens;
        for (auto &p : procs) {
            QVERIFY(p->waitForFinished(30000));
            QVERIFY2(p->exitCode() == Exit::Ok, p->readAllStandardError().constData());
            tokens.push_back(p->readAllStandardOutput().split('\n').value(0));
        }
        Storage::SqliteRoomStore s(dir + QStringLiteral("/rooms.sqlite"));
        QString error;
        QVERIFY(s.open(&error));
        const auto secret = s.accessSecret(&error);
        QVERIFY2(secret, qPrintable(error));
        for (const QByteArray &token : tokens) {
            QCOMPARE(Server::Access::verifyToken(token, *secret, QStringLiteral("r"),
                                                 QDateTime::currentSecsSinceEpoch())
                             .error,
                     Server::Access::TokenError::None);
        }
    }

private:
    QTemporaryDir m_dir;
    Testing::ServeProcess m_server {QStringLiteral(TANDEM_BINARY)};
    Testing::ServeProcess m_small {QStringLiteral(TANDEM_BINARY)};
    QString m_url;
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
