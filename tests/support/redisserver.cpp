// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/redisserver.h"

#include <QDeadlineTimer>

namespace Tandem::Testing {

bool RedisServer::start(quint16 port, QString *error)
{
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(QStringLiteral("redis-server"),
                    {QStringLiteral("--port"), QString::number(port), QStringLiteral("--bind"),
                     QStringLiteral("127.0.0.1"), QStringLiteral("--save"), QString(),
                     QStringLiteral("--appendonly"), QStringLiteral("no")});
    if (!m_process.waitForStarted(5000)) {
        *error = QStringLiteral("redis-server is not installed (the quick start installs it)");
        return false;
    }
    QByteArray out;
    const QDeadlineTimer deadline(10000);
    while (!out.contains("Ready to accept connections") && !deadline.hasExpired()
           && m_process.state() == QProcess::Running) {
        m_process.waitForReadyRead(50);
        out += m_process.readAll();
    }
    if (!out.contains("Ready to accept connections")) {
        *error = QString::fromLocal8Bit(out.right(1000));
        return false;
    }
    return true;
}

void RedisServer::stop()
{
    if (m_process.state() != QProcess::NotRunning) {
        m_process.kill();
        m_process.waitForFinished(5000);
    }
}

} // namespace Tandem::Testing
