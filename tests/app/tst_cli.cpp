// SPDX-License-Identifier: GPL-3.0-or-later
// The scripting commands (tandem cat / export / import) as a user runs them: the real binary
// against a live `tandem --serve`, checking output, files and exit codes, including an
// unreachable server, an unknown note, a refused (oversized) import and usage errors.

#include "app/cli.h"
#include "tests/support/serveprocess.h"

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

private:
    QTemporaryDir m_dir;
    Testing::ServeProcess m_server {QStringLiteral(TANDEM_BINARY)};
    Testing::ServeProcess m_small {QStringLiteral(TANDEM_BINARY)};
    QString m_url;
};

QTEST_GUILESS_MAIN(tst_Cli)
#include "tst_cli.moc"
