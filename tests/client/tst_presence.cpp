// SPDX-License-Identifier: GPL-3.0-or-later
// Presence and typing with a ManualClock (typing clears 1 s after the last key, idle after
// 1 min, away after 5 min), the awareness fields editor bindings read, relative cursors that
// survive remote edits, and the people model (local user first, timeouts, cleared on
// disconnect) across two awareness instances wired like two peers.

#include "core/client/presence.h"
#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/encoding/json.h"

#include <QSettings>
#include <QTemporaryDir>
#include <QTest>

using namespace Tandem;
using Client::Activity;
using Client::LocalPresence;
using Client::ManualClock;
using Client::PresenceModel;

namespace {

/// Two awareness instances relaying to each other as through a server.
struct Pair
{
    ManualClock clock;
    Protocol::Awareness a {1, [this] { return uint64_t(clock.nowMs()); }};
    Protocol::Awareness b {2, [this] { return uint64_t(clock.nowMs()); }};
    Pair()
    {
        a.onUpdate = [this](const Protocol::Awareness::Changes &c, const void *origin) {
            if (origin != &b) {
                b.applyUpdate(a.encodeUpdate(c.all()), &a);
            }
        };
        b.onUpdate = [this](const Protocol::Awareness::Changes &c, const void *origin) {
            if (origin != &a) {
                a.applyUpdate(b.encodeUpdate(c.all()), &b);
            }
        };
    }
};

std::string field(const Protocol::Awareness &aw, Protocol::ClientId id, const char *key)
{
    const Encoding::Any *s = aw.state(id);
    const Encoding::Any *v = s ? s->find(key) : nullptr;
    return v ? v->toJson() : std::string("<none>");
}

} // namespace

class tst_Presence : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void identityIsStoredAndReused()
    {
        QTemporaryDir dir;
        QSettings settings(dir.filePath(QStringLiteral("t.ini")), QSettings::IniFormat);
        const auto first = Client::Identity::load(settings);
        QVERIFY(!first.name.isEmpty());
        QVERIFY(Client::Identity::palette().contains(first.color));
        QCOMPARE(first.colorLight(), first.color + QStringLiteral("33"));
        const auto again = Client::Identity::load(settings);
        QCOMPARE(again.name, first.name);
        QCOMPARE(again.color, first.color);
        Client::Identity renamed {QStringLiteral("Grace"), Client::Identity::palette().at(2)};
        renamed.save(settings);
        QCOMPARE(Client::Identity::load(settings).name, QStringLiteral("Grace"));
    }

    void fieldsThatBindingsRead()
    {
        Pair p;
        LocalPresence local(p.a, p.clock);
        local.setIdentity({QStringLiteral("Ada"), QStringLiteral("#30bced")});
        QCOMPARE(field(p.b, 1, "user"),
                 std::string(R"({"name":"Ada","color":"#30bced","colorLight":"#30bced33"})"));
        QCOMPARE(field(p.b, 1, "typing"), std::string("false"));
        QCOMPARE(field(p.b, 1, "status"), std::string("\"active\""));
        QCOMPARE(field(p.b, 1, "cursor"), std::string("null"));
    }

    void typingClearsOneSecondAfterTheLastKey()
    {
        Pair p;
        LocalPresence local(p.a, p.clock);
        PresenceModel seenByB(p.b);
        local.setIdentity({QStringLiteral("Ada"), QStringLiteral("#30bced")});
        local.noteTyping();
        QVERIFY(local.typing());
        QCOMPARE(field(p.b, 1, "typing"), std::string("true"));
        p.clock.advance(600);
        local.noteTyping(); // another key: the second starts again
        p.clock.advance(600);
        QVERIFY(local.typing());
        QCOMPARE(seenByB.people().size(), 1);
        QVERIFY(seenByB.people().front().typing);
        p.clock.advance(400);
        QVERIFY(!local.typing());
        QCOMPARE(field(p.b, 1, "typing"), std::string("false"));
        QVERIFY(!seenByB.people().front().typing);
    }

    void idleThenAwayThenActive()
    {
        Pair p;
        LocalPresence local(p.a, p.clock);
        local.setIdentity({QStringLiteral("Ada"), QStringLiteral("#30bced")});
        p.clock.advance(59 * 1000);
        QCOMPARE(local.activity(), Activity::Active);
        p.clock.advance(6 * 1000);
        QCOMPARE(local.activity(), Activity::Idle);
        QCOMPARE(field(p.b, 1, "status"), std::string("\"idle\""));
        p.clock.advance(4 * 60 * 1000);
        QCOMPARE(local.activity(), Activity::Away);
        QCOMPARE(field(p.b, 1, "status"), std::string("\"away\""));
        local.noteActivity();
        QCOMPARE(local.activity(), Activity::Active);
        QCOMPARE(field(p.b, 1, "status"), std::string("\"active\""));
    }

    void cursorIsRelativeAndSurvivesRemoteEdits()
    {
        Pair p;
        Crdt::Doc docA(1), docB(2);
        docA.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
            docB.applyUpdate(u, &docA);
        });
        Crdt::Text ta = docA.getText("body");
        ta.insert(0, u"hello world");
        LocalPresence local(p.a, p.clock);
        local.setIdentity({QStringLiteral("Ada"), QStringLiteral("#30bced")});
        local.setCursor(ta, 6, 11); // "world" selected
        PresenceModel seenByB(p.b);
        QCOMPARE(seenByB.people().size(), 1);
        const auto &person = seenByB.people().front();
        QVERIFY(person.anchor && person.head);
        // Full JSON form: every key present, as y-codemirror.next needs.
        const std::string cursor = field(p.b, 1, "cursor");
        QVERIFY2(cursor.find("\"type\":null") != std::string::npos, cursor.c_str());
        QVERIFY2(cursor.find("\"tname\":\"body\"") != std::string::npos, cursor.c_str());
        // B inserts before the selection: the positions move with the text.
        Crdt::Text tb = docB.getText("body");
        tb.insert(0, u">> ");
        const auto anchor = Crdt::absolutePosition(*person.anchor, docB);
        const auto head = Crdt::absolutePosition(*person.head, docB);
        QVERIFY(anchor && head);
        QCOMPARE(anchor->index, uint64_t(9));
        QCOMPARE(head->index, uint64_t(14));
        local.clearCursor();
        QCOMPARE(field(p.b, 1, "cursor"), std::string("null"));
        // Malformed cursors from other clients are ignored, not trusted.
        QVERIFY(!Client::relativePositionFromAny(
                *Encoding::parseJson(R"({"item":{"client":-1}})")));
        QVERIFY(!Client::relativePositionFromAny(Encoding::Any("x")));
    }

    void modelListsPeopleLocalFirstAndForgetsThem()
    {
        Pair p;
        LocalPresence la(p.a, p.clock);
        LocalPresence lb(p.b, p.clock);
        la.setIdentity({QStringLiteral("Zoe"), QStringLiteral("#30bced")});
        lb.setIdentity({QStringLiteral("Ada"), QStringLiteral("#ee6352")});
        PresenceModel model(p.a);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.data(model.index(0), PresenceModel::NameRole).toString(),
                 QStringLiteral("Zoe")); // the local user first
        QVERIFY(model.data(model.index(0), PresenceModel::LocalRole).toBool());
        QCOMPARE(model.data(model.index(1), PresenceModel::ColorRole).toString(),
                 QStringLiteral("#ee6352"));
        // B stops renewing (its link is gone): dropped after 30 s.
        p.b.onUpdate = nullptr;
        p.clock.advance(31 * 1000);
        p.a.checkTimeouts();
        QCOMPARE(model.rowCount(), 1);
        // A state without a user (a bare provider) is not a person.
        Protocol::Awareness bare(3);
        p.a.applyUpdate(bare.encodeUpdate({3}), &bare);
        QCOMPARE(model.rowCount(), 1);
    }
};

QTEST_GUILESS_MAIN(tst_Presence)
#include "tst_presence.moc"
