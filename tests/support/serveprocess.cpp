// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/serveprocess.h"

#include <QDeadlineTimer>

namespace Tandem::Testing {

ServeProcess::~ServeProcess()
{
    terminate();
}

QUrl ServeProcess::start(const QString &dataDir, quint16 port, const QStringList &extraArgs,
                         int timeoutMs)
{
    m_url.clear();
    m_output.clear();
    m_process.setProcessChannelMode(QProcess::SeparateChannels);
    m_process.start(m_binary,
                    QStringList {QStringLiteral("--serve"), QStringLiteral("--port"),
                                 QString::number(port), QStringLiteral("--data-dir"), dataDir}
                            + extraArgs);
    if (!m_process.waitForStarted(timeoutMs)) {
        return {};
    }
    QByteArray out;
    const QDeadlineTimer deadline(timeoutMs);
    while (!out.contains("<room>") && !deadline.hasExpired()
           && m_process.state() == QProcess::Running) {
        m_process.waitForReadyRead(50);
        out += m_process.readAllStandardOutput();
    }
    m_output = out;
    const qsizetype at = out.indexOf("ws://");
    const qsizetype end = out.indexOf("<room>");
    if (at >= 0 && end > at) {
        m_url = QUrl(QString::fromLatin1(out.mid(at, end - at)));
    }
    return m_url;
}

QByteArray ServeProcess::outputUntil(const QByteArray &marker, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    m_output += m_process.readAllStandardOutput();
    while (!m_output.contains(marker) && !deadline.hasExpired()
           && m_process.state() == QProcess::Running) {
        m_process.waitForReadyRead(50);
        m_output += m_process.readAllStandardOutput();
    }
    return m_output;
}

void ServeProcess::kill()
{
    m_process.kill();
    m_process.waitForFinished(5000);
}

void ServeProcess::terminate()
{
    if (m_process.state() == QProcess::NotRunning) {
        return;
    }
    m_process.terminate();
    if (!m_process.waitForFinished(5000)) {
        kill();
    }
}

} // namespace Tandem::Testing
