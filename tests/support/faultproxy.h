// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// A TCP proxy on 127.0.0.1 between a client under test and a real server, which breaks the
// network on request: cut it, stall it, slow it, or drop one connection. Event-driven (no
// threads): it works while the test spins the event loop (QTRY_*, QSignalSpy::wait).

#include <QElapsedTimer>
#include <QObject>
#include <QUrl>

#include <list>

class QTcpServer;

namespace Tandem::Testing {

class FaultProxy : public QObject
{
public:
    explicit FaultProxy(QObject *parent = nullptr);
    ~FaultProxy() override;

    /// Listens on 127.0.0.1 (port 0: any free one) and forwards every connection to
    /// 127.0.0.1:@p targetPort.
    bool listen(quint16 targetPort);
    quint16 port() const;
    /// ws://127.0.0.1:<port>/<path>
    QUrl url(const QString &path = {}) const;

    /// The network goes down: every open connection is aborted on both sides at once (each
    /// peer sees a reset), and until restore() every new connection is accepted and closed
    /// right away, so that attempts fail fast. The port stays bound (nothing else can take it
    /// and restore() cannot fail). New connections get an orderly close, not a reset: a reset
    /// that arrives before Qt 6.4 has noticed the connection complete makes QAbstractSocket
    /// connect again by itself, in a tight loop (see tst_transport's resetOnAccept). A link that
    /// fails silently is stall() instead.
    void cut();
    void restore();
    bool isCut() const { return m_cut; }

    /// While on, nothing is forwarded in either direction, closes included; connections stay
    /// open: a dead link the operating system has not noticed. Off forwards what was held.
    void stall(bool on);
    bool isStalled() const { return m_stalled; }

    /// Each chunk read is forwarded @p ms later (both directions, order preserved).
    void setDelay(int ms);

    /// The next connection is accepted and closed at once (an orderly close), before any byte
    /// is forwarded.
    void dropNextConnection();

    /// Connections accepted so far, including the ones aborted by cut() or dropped.
    int connectionsAccepted() const { return m_accepted; }
    /// Client-server pairs currently open (or still flushing towards one side).
    int openPairs() const { return int(m_pairs.size()); }

private:
    struct Pair;
    struct Direction;
    void onNewConnection();
    void pump(Pair *pair, Direction &d);
    void pumpAll();
    void finish(Pair *pair);
    qint64 nowNs() const { return m_elapsed.nsecsElapsed(); }

    QTcpServer *m_server = nullptr;
    quint16 m_target = 0;
    bool m_cut = false;
    bool m_stalled = false;
    int m_delayMs = 0;
    int m_dropNext = 0;
    int m_accepted = 0;
    QElapsedTimer m_elapsed;
    std::list<Pair *> m_pairs;
};

} // namespace Tandem::Testing
