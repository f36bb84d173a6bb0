// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/postgresserver.h"

#include "tests/support/ports.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QStandardPaths>

#include <unistd.h>

namespace Tandem::Testing {

namespace {

const char *const password = "tandem-test-password";

QString findBin()
{
    // Debian keeps the server binaries out of PATH, per major version.
    QDir lib(QStringLiteral("/usr/lib/postgresql"));
    QStringList versions = lib.entryList(QDir::Dirs | QDir::NoDotAndDotDot, QDir::Name);
    std::reverse(versions.begin(), versions.end());
    for (const QString &v : versions) {
        if (QFile::exists(lib.filePath(v + QStringLiteral("/bin/initdb")))) {
            return lib.filePath(v + QStringLiteral("/bin"));
        }
    }
    const QString initdb = QStandardPaths::findExecutable(QStringLiteral("initdb"));
    return initdb.isEmpty() ? QString() : QFileInfo(initdb).absolutePath();
}

} // namespace

PostgresServer::~PostgresServer()
{
    stop();
}

bool PostgresServer::run(const QStringList &command, QString *error, int timeoutMs)
{
    QStringList args = command;
    QString program = args.takeFirst();
    if (::geteuid() == 0) { // PostgreSQL will not run as root
        args.prepend(program);
        args.prepend(QStringLiteral("--"));
        args.prepend(QStringLiteral("postgres"));
        args.prepend(QStringLiteral("-u"));
        program = QStringLiteral("runuser");
    }
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs) || p.exitStatus() != QProcess::NormalExit
        || p.exitCode() != 0) {
        *error = QStringLiteral("%1 %2 failed: %3")
                         .arg(program, args.join(QLatin1Char(' ')),
                              QString::fromLocal8Bit(p.readAll()).right(2000));
        return false;
    }
    return true;
}

bool PostgresServer::start(QString *error)
{
    m_bin = findBin();
    if (m_bin.isEmpty()) {
        *error = QStringLiteral("PostgreSQL is not installed (Debian: apt install postgresql; "
                                "the quick start does it)");
        return false;
    }
    if (!m_dir.isValid()) {
        *error = QStringLiteral("no temporary directory");
        return false;
    }
    const QString data = m_dir.filePath(QStringLiteral("data"));
    const QString pwfile = m_dir.filePath(QStringLiteral("pw"));
    QFile pw(pwfile);
    if (!pw.open(QIODevice::WriteOnly) || pw.write(password) < 0) {
        *error = QStringLiteral("cannot write %1").arg(pwfile);
        return false;
    }
    pw.close();
    if (::geteuid() == 0) {
        QProcess::execute(
                QStringLiteral("chown"),
                {QStringLiteral("-R"), QStringLiteral("postgres:postgres"), m_dir.path()});
    }
    if (!run({m_bin + QStringLiteral("/initdb"), QStringLiteral("-D"), data, QStringLiteral("-U"),
              QStringLiteral("tandem"), QStringLiteral("--pwfile=") + pwfile, QStringLiteral("-A"),
              QStringLiteral("scram-sha-256"), QStringLiteral("-E"), QStringLiteral("UTF8"),
              QStringLiteral("--no-sync")},
             error)) {
        return false;
    }
    m_port = freeLoopbackPort();
    if (!restart(error)) {
        return false;
    }
    return run({m_bin + QStringLiteral("/createdb"), QStringLiteral("-h"),
                QStringLiteral("127.0.0.1"), QStringLiteral("-p"), QString::number(m_port),
                QStringLiteral("-U"), QStringLiteral("tandem"), QStringLiteral("-w"),
                QStringLiteral("tandem")},
               error);
}

bool PostgresServer::restart(QString *error)
{
    stop();
    const QString data = m_dir.filePath(QStringLiteral("data"));
    const QString options = QStringLiteral("-p %1 -c listen_addresses=127.0.0.1 -k %2 -c fsync=off")
                                    .arg(m_port)
                                    .arg(m_dir.path());
    if (!run({m_bin + QStringLiteral("/pg_ctl"), QStringLiteral("-D"), data, QStringLiteral("-o"),
              options, QStringLiteral("-l"), m_dir.filePath(QStringLiteral("log")),
              QStringLiteral("-w"), QStringLiteral("start")},
             error)) {
        return false;
    }
    m_running = true;
    qputenv("PGPASSWORD", password); // for createdb
    return true;
}

void PostgresServer::stop()
{
    if (!m_running) {
        return;
    }
    QString ignored;
    run({m_bin + QStringLiteral("/pg_ctl"), QStringLiteral("-D"),
         m_dir.filePath(QStringLiteral("data")), QStringLiteral("-m"), QStringLiteral("fast"),
         QStringLiteral("-w"), QStringLiteral("stop")},
        &ignored);
    m_running = false;
}

QUrl PostgresServer::url() const
{
    QUrl url;
    url.setScheme(QStringLiteral("postgres"));
    url.setUserName(QStringLiteral("tandem"));
    url.setPassword(QString::fromLatin1(password));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(m_port);
    url.setPath(QStringLiteral("/tandem"));
    return url;
}

} // namespace Tandem::Testing
