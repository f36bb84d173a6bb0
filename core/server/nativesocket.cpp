// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/nativesocket.h"

#include <algorithm>
#include <climits>

#ifdef Q_OS_WIN
#include <winsock2.h>
#else
#include <cerrno>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>
#endif

namespace Tandem::Server::NativeSocket {

#ifdef Q_OS_WIN
bool wouldBlock()
{
    return WSAGetLastError() == WSAEWOULDBLOCK;
}
qint64 receive(qintptr fd, void *buffer, size_t size)
{
    return ::recv(SOCKET(fd), static_cast<char *>(buffer), int(std::min<size_t>(size, INT_MAX)), 0);
}
qint64 send(qintptr fd, const void *data, size_t size)
{
    return ::send(SOCKET(fd), static_cast<const char *>(data), int(std::min<size_t>(size, INT_MAX)),
                  0);
}
void shutdownWrite(qintptr fd)
{
    ::shutdown(SOCKET(fd), SD_SEND);
}
void close(qintptr fd)
{
    ::closesocket(SOCKET(fd));
}
void prepare(qintptr fd)
{
    u_long nonBlocking = 1;
    ::ioctlsocket(SOCKET(fd), FIONBIO, &nonBlocking);
    BOOL one = TRUE;
    ::setsockopt(SOCKET(fd), IPPROTO_TCP, TCP_NODELAY, reinterpret_cast<const char *>(&one),
                 sizeof one);
}
#else
bool wouldBlock()
{
    return errno == EAGAIN || errno == EWOULDBLOCK;
}
qint64 receive(qintptr fd, void *buffer, size_t size)
{
    ssize_t n;
    do {
        n = ::recv(int(fd), buffer, size, 0);
    } while (n < 0 && errno == EINTR);
    return n;
}
qint64 send(qintptr fd, const void *data, size_t size)
{
#ifdef MSG_NOSIGNAL
    constexpr int flags = MSG_NOSIGNAL; // a vanished peer is an error, not a SIGPIPE
#else
    constexpr int flags = 0; // macOS: SO_NOSIGPIPE, set in prepare()
#endif
    ssize_t n;
    do {
        n = ::send(int(fd), data, size, flags);
    } while (n < 0 && errno == EINTR);
    return n;
}
void shutdownWrite(qintptr fd)
{
    ::shutdown(int(fd), SHUT_WR);
}
void close(qintptr fd)
{
    ::close(int(fd));
}
void prepare(qintptr fd)
{
    // Accepted sockets do not inherit the listener's O_NONBLOCK on Linux: without this, one
    // peer that stops reading would block the whole server in send().
    ::fcntl(int(fd), F_SETFL, ::fcntl(int(fd), F_GETFL) | O_NONBLOCK);
    // Small updates must not wait for Nagle's algorithm (tens of milliseconds per hop).
    int one = 1;
    ::setsockopt(int(fd), IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
#ifdef SO_NOSIGPIPE
    ::setsockopt(int(fd), SOL_SOCKET, SO_NOSIGPIPE, &one, sizeof one);
#endif
}
#endif

} // namespace Tandem::Server::NativeSocket
