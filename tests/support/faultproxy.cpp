// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/support/faultproxy.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <deque>

#ifdef Q_OS_UNIX
#include <sys/socket.h>
#endif

namespace Tandem::Testing {

/// One way through a pair: what was read from `from` and is not yet written to `to`.
struct FaultProxy::Direction
{
    QTcpSocket *from = nullptr;
    QTcpSocket *to = nullptr;
    std::deque<std::pair<qint64, QByteArray>> held; ///< (release time in ns, bytes), in order
    bool eof = false; ///< `from` is gone: close `to` once `held` is written
    bool closed = false; ///< `to` is gone (closed by us or by its peer)
    QTimer *timer = nullptr; ///< wakes pump() when the first held chunk is due (setDelay)
};

/// A client connection and the proxy's connection to the target. The sockets and timers are
/// its children; it is deleted later (its sockets may be emitting when it ends).
struct FaultProxy::Pair : QObject
{
    QTcpSocket *client = nullptr;
    QTcpSocket *server = nullptr;
    Direction up; ///< client -> server
    Direction down; ///< server -> client
    bool done = false; ///< finished: every signal still arriving is ignored
};

namespace {

/// abort() with SO_LINGER 0, so that the peer sees a reset even if everything was read.
void reset(QTcpSocket *s)
{
#ifdef Q_OS_UNIX
    if (s->socketDescriptor() != -1) {
        const linger l {1, 0};
        ::setsockopt(int(s->socketDescriptor()), SOL_SOCKET, SO_LINGER, &l, sizeof l);
    }
#endif
    s->abort();
}

} // namespace

FaultProxy::FaultProxy(QObject *parent) : QObject(parent), m_server(new QTcpServer(this))
{
    m_elapsed.start();
    connect(m_server, &QTcpServer::newConnection, this, &FaultProxy::onNewConnection);
}

FaultProxy::~FaultProxy()
{
    for (Pair *p : m_pairs) {
        p->done = true;
        p->client->abort();
        p->server->abort();
        delete p;
    }
}

bool FaultProxy::listen(quint16 targetPort)
{
    m_target = targetPort;
    return m_server->listen(QHostAddress::LocalHost, 0);
}

quint16 FaultProxy::port() const
{
    return m_server->serverPort();
}

QUrl FaultProxy::url(const QString &path) const
{
    QString p = path;
    while (p.startsWith(QLatin1Char('/'))) {
        p.remove(0, 1);
    }
    return QUrl(QStringLiteral("ws://127.0.0.1:%1/%2").arg(port()).arg(p));
}

void FaultProxy::cut()
{
    m_cut = true;
    const auto pairs = m_pairs;
    for (Pair *p : pairs) {
        p->done = true; // before reset(): abort() emits synchronously
        reset(p->client);
        reset(p->server);
        finish(p);
    }
}

void FaultProxy::restore()
{
    m_cut = false;
}

void FaultProxy::stall(bool on)
{
    m_stalled = on;
    if (!on) {
        pumpAll();
    }
}

void FaultProxy::setDelay(int ms)
{
    m_delayMs = std::max(ms, 0);
}

void FaultProxy::dropNextConnection()
{
    ++m_dropNext;
}

void FaultProxy::onNewConnection()
{
    while (QTcpSocket *client = m_server->nextPendingConnection()) {
        ++m_accepted;
        if (m_cut || m_dropNext > 0) {
            m_dropNext -= m_cut ? 0 : 1;
            // An orderly close, not a reset: see cut() in the header.
            connect(client, &QTcpSocket::disconnected, client, &QObject::deleteLater);
            client->disconnectFromHost();
            continue;
        }
        auto *pair = new Pair;
        pair->setParent(this); // a pair still waiting for deleteLater() dies with the proxy
        m_pairs.push_back(pair);
        pair->client = client;
        client->setParent(pair);
        pair->server = new QTcpSocket(pair);
        pair->up.from = pair->down.to = pair->client;
        pair->up.to = pair->down.from = pair->server;
        for (Direction *d : {&pair->up, &pair->down}) {
            d->timer = new QTimer(pair);
            d->timer->setSingleShot(true);
            d->timer->setTimerType(Qt::PreciseTimer);
            connect(d->timer, &QTimer::timeout, pair, [this, pair, d] { pump(pair, *d); });
            const auto read = [this, pair, d] {
                if (pair->done) {
                    return;
                }
                const QByteArray bytes = d->from->readAll();
                if (!bytes.isEmpty() && !d->eof) {
                    d->held.emplace_back(nowNs() + qint64(m_delayMs) * 1000000, bytes);
                }
                pump(pair, *d);
            };
            connect(d->from, &QTcpSocket::readyRead, pair, read);
            // Unconnected covers both a close and a failed connection attempt to the target.
            connect(d->from, &QTcpSocket::stateChanged, pair,
                    [this, pair, d, read](QAbstractSocket::SocketState state) {
                        if (pair->done || state != QAbstractSocket::UnconnectedState) {
                            return;
                        }
                        read(); // what arrived with the close
                        Direction &other = d == &pair->up ? pair->down : pair->up;
                        other.closed = true; // nothing can be written to a closed socket
                        other.held.clear();
                        d->eof = true; // close the other side once what it is owed is written
                        pump(pair, *d);
                        if (!pair->done && pair->up.closed && pair->down.closed) {
                            finish(pair);
                        }
                    });
        }
        connect(pair->server, &QTcpSocket::connected, pair, [this, pair] { pump(pair, pair->up); });
        pair->server->connectToHost(QHostAddress::LocalHost, m_target);
    }
}

void FaultProxy::pump(Pair *pair, Direction &d)
{
    if (pair->done || m_stalled || d.closed || d.to->state() != QAbstractSocket::ConnectedState) {
        return; // an unconnected `to` is still connecting (it would be `closed` otherwise)
    }
    const qint64 now = nowNs();
    while (!d.held.empty() && d.held.front().first <= now) {
        d.to->write(d.held.front().second);
        d.held.pop_front();
    }
    if (!d.held.empty()) {
        const qint64 waitNs = d.held.front().first - now;
        d.timer->start(int((waitNs + 999999) / 1000000));
        return;
    }
    if (d.eof) {
        d.closed = true;
        d.to->disconnectFromHost(); // writes what is buffered first; may emit at once
        if (!pair->done && pair->up.closed && pair->down.closed) {
            finish(pair);
        }
    }
}

void FaultProxy::pumpAll()
{
    const auto pairs = m_pairs;
    for (Pair *p : pairs) {
        pump(p, p->up);
        pump(p, p->down);
    }
}

void FaultProxy::finish(Pair *pair)
{
    pair->done = true;
    m_pairs.remove(pair);
    pair->deleteLater();
}

} // namespace Tandem::Testing
