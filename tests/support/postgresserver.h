// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A private PostgreSQL for tests: initdb into a temporary directory, started on a free
// loopback port with password authentication, stopped (fast) when this object goes. Runs the
// server as the `postgres` system user when the tests run as root (PostgreSQL refuses root).
// The quick start installs PostgreSQL; a missing installation is an error, never a skip.

#include <QString>
#include <QTemporaryDir>
#include <QUrl>

namespace Tandem::Testing {

class PostgresServer
{
public:
    PostgresServer() = default;
    PostgresServer(const PostgresServer &) = delete;
    PostgresServer &operator=(const PostgresServer &) = delete;
    ~PostgresServer();

    /// Creates and starts the cluster with database "tandem" owned by user "tandem". False with
    /// @p error (the failing command and its output).
    bool start(QString *error);
    /// postgres://tandem:<password>@127.0.0.1:<port>/tandem
    QUrl url() const;
    /// Stops and starts it again on the same data and port (a database restart).
    bool restart(QString *error);
    void stop();

private:
    bool run(const QStringList &command, QString *error, int timeoutMs = 60000);

    QTemporaryDir m_dir;
    QString m_bin;
    quint16 m_port = 0;
    bool m_running = false;
};

} // namespace Tandem::Testing
