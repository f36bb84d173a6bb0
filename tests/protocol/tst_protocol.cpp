// SPDX-License-Identifier: GPL-3.0-or-later
// The y-websocket envelope codec and the awareness rules of y-protocols (yjs-protocol.md §7-§9):
// message round trips and a table of malformed messages; awareness clocks, the equal-clock null
// rule, protection of the local state, change vs update signals, timeouts with a fake clock.

#include "core/encoding/any.h"
#include "core/encoding/encoder.h"
#include "core/protocol/awareness.h"
#include "core/protocol/messages.h"

#include <QTest>

using namespace Tandem;
using namespace Tandem::Protocol;
using Encoding::Any;
using Encoding::DecodeErrorCode;

Q_DECLARE_METATYPE(std::vector<uint8_t>)
Q_DECLARE_METATYPE(Encoding::DecodeErrorCode)

namespace {

std::vector<uint8_t> entry(std::vector<std::tuple<uint64_t, uint64_t, std::string>> entries)
{
    Encoding::Encoder e;
    e.writeVarUint(entries.size());
    for (const auto &[client, clock, json] : entries) {
        e.writeVarUint(client);
        e.writeVarUint(clock);
        e.writeVarStringUtf8(json);
    }
    return e.take();
}

struct Recorder
{
    std::vector<Awareness::Changes> changes;
    std::vector<Awareness::Changes> updates;
    void attach(Awareness &a)
    {
        a.onChange
                = [this](const Awareness::Changes &c, Awareness::Origin) { changes.push_back(c); };
        a.onUpdate
                = [this](const Awareness::Changes &c, Awareness::Origin) { updates.push_back(c); };
    }
};

} // namespace

class tst_Protocol : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void roundTrips()
    {
        const std::vector<uint8_t> sv {1, 5, 3};
        const auto step1 = encodeSyncStep1(sv); // the payload is a view into it
        auto m = decodeMessage(step1);
        QVERIFY(m);
        QCOMPARE(m->type, MessageType::Sync);
        QCOMPARE(m->step, SyncStep::Step1);
        QCOMPARE(std::vector<uint8_t>(m->payload.begin(), m->payload.end()), sv);
        // Exact bytes of an empty document's handshake (yjs-protocol.md §7).
        QCOMPARE(encodeSyncStep1(std::vector<uint8_t> {0}), (std::vector<uint8_t> {0, 0, 1, 0}));
        QCOMPARE(encodeSyncStep2(std::vector<uint8_t> {0, 0}),
                 (std::vector<uint8_t> {0, 1, 2, 0, 0}));
        m = decodeMessage(encodeSyncUpdate(std::vector<uint8_t> {0, 0}));
        QVERIFY(m && m->step == SyncStep::Update && m->payload.size() == 2);
        m = decodeMessage(encodeAwareness(std::vector<uint8_t> {0}));
        QVERIFY(m && m->type == MessageType::Awareness && m->payload.size() == 1);
        m = decodeMessage(encodeQueryAwareness());
        QVERIFY(m && m->type == MessageType::QueryAwareness);
        m = decodeMessage(encodeAuthDenied("no token"));
        QVERIFY(m && m->type == MessageType::Auth);
        QCOMPARE(QString::fromStdString(m->authReason), QStringLiteral("no token"));
    }

    void malformed_data()
    {
        QTest::addColumn<std::vector<uint8_t>>("bytes");
        QTest::addColumn<DecodeErrorCode>("code");
        using V = std::vector<uint8_t>;
        QTest::newRow("empty") << V {} << DecodeErrorCode::UnexpectedEnd;
        QTest::newRow("unknown type") << V {7} << DecodeErrorCode::UnknownMessage;
        QTest::newRow("huge type") << V {0xff, 0xff, 0x7f} << DecodeErrorCode::UnknownMessage;
        QTest::newRow("unknown sync step") << V {0, 3, 0} << DecodeErrorCode::UnknownMessage;
        QTest::newRow("sync without payload") << V {0, 0} << DecodeErrorCode::UnexpectedEnd;
        QTest::newRow("payload longer than message")
                << V {0, 2, 5, 0} << DecodeErrorCode::LengthTooLarge;
        QTest::newRow("payload length 2^40")
                << V {1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x20} << DecodeErrorCode::LengthTooLarge;
        QTest::newRow("trailing bytes") << V {0, 0, 1, 0, 9} << DecodeErrorCode::TrailingData;
        QTest::newRow("query awareness with a body") << V {3, 0} << DecodeErrorCode::TrailingData;
        QTest::newRow("auth of unknown kind") << V {2, 1, 0} << DecodeErrorCode::UnknownMessage;
        QTest::newRow("auth reason broken utf-8")
                << V {2, 0, 1, 0xff} << DecodeErrorCode::InvalidUtf8;
        QTest::newRow("varint overflow")
                << V {0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}
                << DecodeErrorCode::IntegerOverflow;
    }
    void malformed()
    {
        QFETCH(std::vector<uint8_t>, bytes);
        QFETCH(DecodeErrorCode, code);
        Encoding::DecodeError error;
        QVERIFY(!decodeMessage(bytes, &error));
        QCOMPARE(QString::fromLatin1(decodeErrorName(error.code)),
                 QString::fromLatin1(decodeErrorName(code)));
        QVERIFY(error.offset <= bytes.size());
    }

    void awarenessClockRules()
    {
        uint64_t now = 1000;
        Awareness a(1, [&] { return now; });
        Recorder r;
        r.attach(a);
        // A new entry is added; an older or equal clock with a state is ignored.
        QVERIFY(!a.applyUpdate(entry({{5, 1, R"({"user":{"name":"eve"}})"}}), nullptr));
        QCOMPARE(r.updates.size(), size_t(1));
        QCOMPARE(r.updates[0].added, std::vector<ClientId> {5});
        QVERIFY(!a.applyUpdate(entry({{5, 1, R"({"user":{"name":"mallory"}})"}}), nullptr));
        QCOMPARE(r.updates.size(), size_t(1));
        QCOMPARE(a.state(5)->toJson(), std::string(R"({"user":{"name":"eve"}})"));
        // A renewal (same state, newer clock) is an update but not a change.
        QVERIFY(!a.applyUpdate(entry({{5, 2, R"({"user":{"name":"eve"}})"}}), nullptr));
        QCOMPARE(r.updates.size(), size_t(2));
        QCOMPARE(r.changes.size(), size_t(1));
        QCOMPARE(r.updates[1].updated, std::vector<ClientId> {5});
        // A null with the same clock removes (what a disconnecting provider sends).
        QVERIFY(!a.applyUpdate(entry({{5, 2, "null"}}), nullptr));
        QVERIFY(!a.state(5));
        QCOMPARE(r.changes.back().removed, std::vector<ClientId> {5});
        // Coming back with the same clock is ignored; a newer one is "updated", not "added".
        QVERIFY(!a.applyUpdate(entry({{5, 2, R"({"x":1})"}}), nullptr));
        QVERIFY(!a.state(5));
        QVERIFY(!a.applyUpdate(entry({{5, 3, R"({"x":1})"}}), nullptr));
        QVERIFY(a.state(5));
        QCOMPARE(r.updates.back().updated, std::vector<ClientId> {5});
        // The initial {} at clock 0 of an unknown client is ignored (0 < 0 is false).
        QVERIFY(!a.applyUpdate(entry({{9, 0, "{}"}}), nullptr));
        QVERIFY(!a.state(9));
    }

    void localStateIsProtected()
    {
        Awareness a(1, [] { return uint64_t(0); });
        a.setLocalState(Any::object({{"user", Any::object({{"name", Any("me")}})}}));
        QCOMPARE(a.clock(1), uint64_t(1));
        // A peer claims we left: we keep our state and answer with a newer clock.
        Recorder r;
        r.attach(a);
        QVERIFY(!a.applyUpdate(entry({{1, 1, "null"}}), nullptr));
        QVERIFY(a.state(1));
        QCOMPARE(a.clock(1), uint64_t(2));
        QCOMPARE(r.updates.back().removed, std::vector<ClientId> {1});
        // The update the provider would send back carries the state with the new clock.
        Awareness b(2, [] { return uint64_t(0); });
        QVERIFY(!b.applyUpdate(a.encodeUpdate({1}), nullptr));
        QCOMPARE(b.clock(1), uint64_t(2));
        QVERIFY(b.state(1));
    }

    void timeouts()
    {
        uint64_t now = 0;
        Awareness a(1, [&] { return now; });
        a.setLocalState(Any::object({{"n", Any(1)}}));
        QVERIFY(!a.applyUpdate(entry({{7, 1, "{}"}}), nullptr));
        Recorder r;
        r.attach(a);
        now = Awareness::renewAfterMs; // 15 s: the local state is renewed (clock+1), no change
        a.checkTimeouts();
        QCOMPARE(a.clock(1), uint64_t(2));
        QCOMPARE(r.updates.size(), size_t(1));
        QVERIFY(r.changes.empty());
        QVERIFY(a.state(7));
        now = Awareness::outdatedTimeoutMs; // 30 s without news: the remote state goes
        a.checkTimeouts();
        QVERIFY(!a.state(7));
        QCOMPARE(r.changes.back().removed, std::vector<ClientId> {7});
    }

    void awarenessRejectsGarbage_data()
    {
        QTest::addColumn<std::vector<uint8_t>>("bytes");
        QTest::newRow("state is not JSON") << entry({{5, 1, "{user"}});
        QTest::newRow("2^40 entries") << std::vector<uint8_t> {0x80, 0x80, 0x80, 0x80, 0x80, 0x20};
        QTest::newRow("truncated") << std::vector<uint8_t> {1, 5};
        auto trailing = entry({{5, 1, "{}"}});
        trailing.push_back(0);
        QTest::newRow("trailing") << trailing;
        auto second = entry({{5, 1, "{}"}, {6, 1, "{"}});
        QTest::newRow("second entry broken") << second;
    }
    void awarenessRejectsGarbage()
    {
        QFETCH(std::vector<uint8_t>, bytes);
        Awareness a(1, [] { return uint64_t(0); });
        Recorder r;
        r.attach(a);
        QVERIFY(a.applyUpdate(bytes, nullptr));
        QVERIFY(r.updates.empty()); // nothing half-applied
        QVERIFY(!a.state(5));
    }

    void relaysStateTextVerbatim()
    {
        // Relayed states keep the sender's JSON text (key order, number spelling).
        Awareness a(1, [] { return uint64_t(0); });
        const std::string json = R"({"b":1.50,"a":[true,null],"c":"\u00e9"})";
        QVERIFY(!a.applyUpdate(entry({{5, 1, json}}), nullptr));
        QCOMPARE(a.encodeUpdate({5}), entry({{5, 1, json}}));
    }
};

QTEST_APPLESS_MAIN(tst_Protocol)
#include "tst_protocol.moc"
