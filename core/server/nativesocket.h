// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QtGlobal>

#include <cstddef>
#include <cstdint>

/// The few native socket calls the server's connections make, on both socket APIs (POSIX and
/// Winsock): the plain WebSocket path and the TLS layer under it use the same ones.
namespace Tandem::Server::NativeSocket {

/// The last call failed only because the socket would block.
bool wouldBlock();
/// recv(), retried on EINTR; -1 on error (see wouldBlock()), 0 when the peer closed.
qint64 receive(qintptr fd, void *buffer, size_t size);
/// send() that never raises SIGPIPE (a vanished peer is an error), retried on EINTR.
qint64 send(qintptr fd, const void *data, size_t size);
void shutdownWrite(qintptr fd);
void close(qintptr fd);
/// An accepted socket as the server wants it: non-blocking, no Nagle delay, no SIGPIPE.
void prepare(qintptr fd);

} // namespace Tandem::Server::NativeSocket
