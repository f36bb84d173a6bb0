// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QStringList>

namespace Tandem::App {

/// Exit codes of the scripting commands (also in `tandem cat --help`).
namespace Exit {
constexpr int Ok = 0;
constexpr int Failure = 1; ///< anything else (a local file cannot be read or written)
constexpr int Usage = 2;
constexpr int Unreachable = 3; ///< no sync with the server within --timeout
constexpr int NoSuchNote = 4;
constexpr int Refused = 5; ///< the server refused us for good (the reason is printed)
constexpr int NoSuchToken = 4; ///< `tandem token revoke` of an unknown id
} // namespace Exit

/// Whether @p argv starts with one of the scripting commands (cat, export, import, token).
bool isCliCommand(int argc, char **argv);
/// Runs `tandem cat|export|import|token ...` on a QCoreApplication; returns the exit code.
int runCli(const QStringList &arguments);

} // namespace Tandem::App
