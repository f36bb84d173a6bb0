// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The real `tandem --serve` in a process of its own, for tests that need to kill it, talk to it
// from node, or run the binary as users do.

#include <QProcess>
#include <QStringList>
#include <QUrl>

namespace Tandem::Testing {

class ServeProcess
{
public:
    explicit ServeProcess(QString binary) : m_binary(std::move(binary)) { }
    /// Terminates the server (SIGTERM, then SIGKILL if it lingers).
    ~ServeProcess();

    /// Starts it on @p port (0: any) with @p dataDir and waits for its "ws://…<room>" line.
    /// Returns the base URL ("ws://127.0.0.1:PORT/"), or an empty one if it did not come up.
    QUrl start(const QString &dataDir, quint16 port = 0, const QStringList &extraArgs = {},
               int timeoutMs = 10000);
    /// SIGKILL: no chance to flush or say goodbye.
    void kill();
    void terminate();
    QUrl url() const { return m_url; }
    /// Everything it printed on stdout so far, reading more until @p marker appears (or
    /// @p timeoutMs passes).
    QByteArray outputUntil(const QByteArray &marker, int timeoutMs = 5000);
    quint16 port() const { return quint16(m_url.port()); }
    QProcess &process() { return m_process; }

private:
    QString m_binary;
    QProcess m_process;
    QUrl m_url;
    QByteArray m_output;
};

} // namespace Tandem::Testing
