// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/nodescript.h"

#include "core/encoding/json.h"

#include <QElapsedTimer>
#include <QFile>
#include <QStandardPaths>

namespace Tandem::Testing {

using Encoding::Any;

namespace {

Any failure(const QString &why)
{
    return Any::object({{"ok", Any(false)}, {"error", Any(why.toStdString())}});
}

} // namespace

NodeScript::~NodeScript()
{
    if (m_proc.state() != QProcess::NotRunning) {
        m_proc.closeWriteChannel();
        if (!m_proc.waitForFinished(5000)) {
            m_proc.kill();
            m_proc.waitForFinished();
        }
    }
}

bool NodeScript::start(const QString &script, const QStringList &modules, QString *error)
{
    QString node = qEnvironmentVariable("TANDEM_NODE");
    if (node.isEmpty()) {
        node = QStandardPaths::findExecutable(QStringLiteral("node"));
    }
    if (node.isEmpty()) {
        *error = QStringLiteral("node not found on PATH (or set TANDEM_NODE): .ci/quickstart "
                                "installs it");
        return false;
    }
    const QString js = QStringLiteral(TANDEM_SOURCE_DIR "/tests/js");
    for (const QString &module : modules) {
        const QString manifest
                = js + QStringLiteral("/node_modules/") + module + QStringLiteral("/package.json");
        if (!QFile::exists(manifest)) {
            *error = QStringLiteral("%1 is not installed (%2 missing): run `npm ci` in %3")
                             .arg(module, manifest, js);
            return false;
        }
    }
    m_proc.setWorkingDirectory(js);
    m_proc.setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_proc.start(node, {js + QLatin1Char('/') + script});
    if (!m_proc.waitForStarted(30000)) {
        *error = QStringLiteral("cannot start node (%1): %2").arg(node, m_proc.errorString());
        return false;
    }
    return true;
}

void NodeScript::send(const Any &command)
{
    const std::string line = command.toJson() + "\n";
    m_proc.write(line.data(), qint64(line.size()));
    m_proc.waitForBytesWritten(5000);
}

Any NodeScript::receive(int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    while (!m_proc.canReadLine()) {
        if (m_proc.state() == QProcess::NotRunning) {
            return failure(
                    QStringLiteral("the node script exited (code %1)").arg(m_proc.exitCode()));
        }
        const qint64 left = timeoutMs - timer.elapsed();
        if (left <= 0) {
            return failure(QStringLiteral("no answer within %1 ms").arg(timeoutMs));
        }
        m_proc.waitForReadyRead(int(qMin<qint64>(left, 1000)));
    }
    const QByteArray line = m_proc.readLine();
    std::string error;
    auto parsed
            = Encoding::parseJson(std::string_view(line.constData(), size_t(line.size())), &error);
    return parsed ? *parsed
                  : failure(QStringLiteral("unparsable answer %1: %2")
                                    .arg(QString::fromUtf8(line.trimmed()),
                                         QString::fromStdString(error)));
}

void NodeScript::kill()
{
    m_proc.kill();
    m_proc.waitForFinished(5000);
}

} // namespace Tandem::Testing
