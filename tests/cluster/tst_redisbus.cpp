// SPDX-License-Identifier: GPL-3.0-or-later
// RedisBus against a real redis-server started by the test on a free loopback port: messages
// between two instances (binary-safe), and an outage: both notice, publishing says no, and
// after Redis comes back they reconnect by themselves and the subscriptions work again.

#include "core/cluster/redisbus.h"
#include "tests/support/ports.h"
#include "tests/support/redisserver.h"

#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using Tandem::Cluster::RedisBus;

using Tandem::Testing::RedisServer;

class tst_RedisBus : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void messagesFlowAndSurviveAnOutage()
    {
        const quint16 port = Tandem::Testing::freeLoopbackPort();
        auto redis = std::make_unique<RedisServer>();
        QString error;
        QVERIFY2(redis->start(port, &error), qPrintable(error));

        RedisBus a, b;
        a.start(QStringLiteral("127.0.0.1"), port);
        b.start(QStringLiteral("127.0.0.1"), port);
        QTRY_VERIFY_WITH_TIMEOUT(a.up() && b.up(), 5000);
        QSignalSpy gotA(&a, &RedisBus::message);
        QSignalSpy gotB(&b, &RedisBus::message);
        a.subscribe("room:team");
        QTest::qWait(100); // the subscription reaches Redis before the first publish
        const QByteArray payload("\x00\x01binary\xff update", 17);
        QVERIFY(b.publish("room:team", payload));
        QTRY_COMPARE_WITH_TIMEOUT(gotA.size(), 1, 5000);
        QCOMPARE(gotA.at(0).at(0).toByteArray(), QByteArray("room:team"));
        QCOMPARE(gotA.at(0).at(1).toByteArray(), payload);
        QVERIFY(b.publish("room:other", "not for a"));
        QTest::qWait(100);
        QCOMPARE(gotA.size(), 1);
        QCOMPARE(gotB.size(), 0);

        // Redis goes away: both notice and say so; publishing is refused, not queued blindly.
        QSignalSpy stateA(&a, &RedisBus::stateChanged);
        redis->stop();
        QTRY_VERIFY_WITH_TIMEOUT(!a.up() && !b.up(), 5000);
        QVERIFY(!stateA.isEmpty());
        QCOMPARE(stateA.last().at(0).toBool(), false);
        QVERIFY(!stateA.last().at(1).toString().isEmpty());
        QVERIFY(!b.publish("room:team", "lost"));

        // It comes back on the same port: reconnection and renewed subscriptions, by themselves.
        redis = std::make_unique<RedisServer>();
        QVERIFY2(redis->start(port, &error), qPrintable(error));
        QTRY_VERIFY_WITH_TIMEOUT(a.up() && b.up(), 5000);
        QCOMPARE(stateA.last().at(0).toBool(), true);
        QTest::qWait(100);
        QVERIFY(b.publish("room:team", "after"));
        QTRY_COMPARE_WITH_TIMEOUT(gotA.size(), 2, 5000);
        QCOMPARE(gotA.at(1).at(1).toByteArray(), QByteArray("after"));
    }
};

QTEST_GUILESS_MAIN(tst_RedisBus)
#include "tst_redisbus.moc"
