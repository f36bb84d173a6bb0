// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A real redis-server for tests: foreground, no persistence, on 127.0.0.1 and a port of the
// test's choosing (so it can be restarted on the same one). The quick start installs it.

#include <QProcess>
#include <QString>

namespace Tandem::Testing {

class RedisServer
{
public:
    ~RedisServer() { stop(); }
    bool start(quint16 port, QString *error);
    void stop();

private:
    QProcess m_process;
};

} // namespace Tandem::Testing
