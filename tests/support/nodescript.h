// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A node script from tests/js driven over stdin/stdout: one JSON command per line in, one JSON
// answer per line out, in order (yjs-peer.mjs, ywsclient.mjs). Shared by the tests that run the
// real Yjs next to Tandem.

#include "core/encoding/any.h"

#include <QProcess>
#include <QString>
#include <QStringList>

namespace Tandem::Testing {

class NodeScript
{
public:
    NodeScript() = default;
    NodeScript(const NodeScript &) = delete;
    NodeScript &operator=(const NodeScript &) = delete;
    /// Ends the script's input (it cleans up and exits), killing it if it lingers.
    ~NodeScript();

    /// Starts `node tests/js/<script>`; fails with a clear @p error when node (or TANDEM_NODE)
    /// or one of @p modules in tests/js/node_modules is missing (`npm ci` installs them).
    bool start(const QString &script, const QStringList &modules, QString *error);

    void send(const Encoding::Any &command);
    /// The answer to the oldest command not answered yet; {ok: false, error} if the script
    /// exited, said nothing for @p timeoutMs, or said something that is not JSON.
    Encoding::Any receive(int timeoutMs = 30000);
    Encoding::Any exec(const Encoding::Any &command, int timeoutMs = 30000)
    {
        send(command);
        return receive(timeoutMs);
    }
    /// SIGKILL, for tests of peers that vanish.
    void kill();

private:
    QProcess m_proc;
};

} // namespace Tandem::Testing
