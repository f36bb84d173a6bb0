// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

class QCommandLineParser;

namespace Tandem::App {

/// Adds the options of `tandem --serve` to @p parser.
void addServeOptions(QCommandLineParser &parser);
/// Runs the headless room server until SIGINT/SIGTERM; returns the exit code.
int runServer(const QCommandLineParser &parser);

} // namespace Tandem::App
