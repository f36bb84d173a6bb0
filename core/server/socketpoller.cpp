// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/server/socketpoller.h"

#include "core/server/serverlog.h"

#include <QSocketNotifier>

#ifdef Q_OS_LINUX
#include <cerrno>
#include <cstring>
#include <sys/epoll.h>
#include <unistd.h>
#endif

namespace Tandem::Server {

#ifdef Q_OS_LINUX

SocketPoller::SocketPoller(QObject *parent) : QObject(parent)
{
    m_epoll = ::epoll_create1(EPOLL_CLOEXEC);
    if (m_epoll < 0) {
        qFatal("epoll_create1 failed: %s", std::strerror(errno));
    }
    m_notifier = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
    connect(m_notifier, &QSocketNotifier::activated, this, &SocketPoller::dispatch);
}

SocketPoller::~SocketPoller()
{
    delete m_notifier;
    ::close(m_epoll);
}

namespace {

epoll_event eventFor(SocketPoller::Handle &handle)
{
    epoll_event ev {};
    ev.events = handle.writeInterest ? uint32_t(EPOLLIN | EPOLLOUT) : uint32_t(EPOLLIN);
    ev.data.ptr = &handle;
    return ev;
}

} // namespace

void SocketPoller::add(Handle &handle)
{
    epoll_event ev = eventFor(handle);
    if (::epoll_ctl(m_epoll, EPOLL_CTL_ADD, int(handle.fd), &ev) != 0) {
        qCWarning(lcServer) << "cannot watch a socket:" << std::strerror(errno);
    }
}

void SocketPoller::setWriteInterest(Handle &handle, bool on)
{
    if (handle.writeInterest == on) {
        return;
    }
    handle.writeInterest = on;
    epoll_event ev = eventFor(handle);
    ::epoll_ctl(m_epoll, EPOLL_CTL_MOD, int(handle.fd), &ev);
}

void SocketPoller::remove(Handle &handle)
{
    ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, int(handle.fd), nullptr);
    handle.watcher = nullptr; // events already fetched for it are skipped
}

void SocketPoller::dispatch()
{
    // Level-triggered: whatever is not handled now is reported again on the next round.
    epoll_event events[128];
    const int n = ::epoll_wait(m_epoll, events, 128, 0);
    for (int i = 0; i < n; ++i) {
        // Handles stay valid until the event loop runs again (connections delete themselves
        // later), so one removed by an earlier event of this batch has a null watcher.
        auto *handle = static_cast<Handle *>(events[i].data.ptr);
        if (handle->watcher && (events[i].events & (EPOLLIN | EPOLLERR | EPOLLHUP))) {
            handle->watcher->onReadable();
        }
        if (handle->watcher && (events[i].events & EPOLLOUT)) {
            handle->watcher->onWritable();
        }
    }
}

#else // one QSocketNotifier per socket

SocketPoller::SocketPoller(QObject *parent) : QObject(parent) { }

SocketPoller::~SocketPoller() = default;

void SocketPoller::add(Handle &handle)
{
    handle.read = new QSocketNotifier(handle.fd, QSocketNotifier::Read, this);
    connect(handle.read, &QSocketNotifier::activated, this, [&handle] {
        if (handle.watcher) {
            handle.watcher->onReadable();
        }
    });
}

void SocketPoller::setWriteInterest(Handle &handle, bool on)
{
    if (handle.writeInterest == on) {
        return;
    }
    handle.writeInterest = on;
    if (!handle.write) {
        handle.write = new QSocketNotifier(handle.fd, QSocketNotifier::Write, this);
        connect(handle.write, &QSocketNotifier::activated, this, [&handle] {
            if (handle.watcher) {
                handle.watcher->onWritable();
            }
        });
    }
    handle.write->setEnabled(on);
}

void SocketPoller::remove(Handle &handle)
{
    handle.watcher = nullptr;
    // Deleted later: this may run inside one of their own activations.
    for (QSocketNotifier *n : {handle.read, handle.write}) {
        if (n) {
            n->setEnabled(false);
            n->deleteLater();
        }
    }
    handle.read = handle.write = nullptr;
}

#endif

} // namespace Tandem::Server
