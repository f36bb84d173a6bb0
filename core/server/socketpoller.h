// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>

#include <cstdint>

class QSocketNotifier;

namespace Tandem::Server {

/// Tells connections when their sockets are readable or writable.
///
/// On Linux one epoll set holds every socket and the event loop watches only that: Qt's
/// dispatchers poll() every notifier on every wakeup, so with thousands of idle connections
/// each update in a busy room would cost a scan over all of them. Elsewhere each socket gets
/// its own QSocketNotifier.
class SocketPoller : public QObject
{
    Q_OBJECT
public:
    class Watcher
    {
    public:
        virtual void onReadable() = 0;
        virtual void onWritable() = 0;

    protected:
        ~Watcher() = default;
    };

    /// Per-socket registration; lives in the connection.
    struct Handle
    {
        qintptr fd = -1;
        Watcher *watcher = nullptr;
        bool writeInterest = false;
#ifndef Q_OS_LINUX
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
#endif
    };

    explicit SocketPoller(QObject *parent = nullptr);
    ~SocketPoller() override;

    /// Starts watching @p handle's socket for reading.
    void add(Handle &handle);
    /// Also (or no longer) reports that the socket can take more data.
    void setWriteInterest(Handle &handle, bool on);
    /// Stops watching; call before closing the socket.
    void remove(Handle &handle);

private:
#ifdef Q_OS_LINUX
    void dispatch();
    int m_epoll = -1;
    QSocketNotifier *m_notifier = nullptr;
#endif
};

} // namespace Tandem::Server
