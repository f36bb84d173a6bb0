// SPDX-License-Identifier: GPL-3.0-or-later
// The room schema (docs/ROOM-SCHEMA.md): notes as CRDT edits between peers exchanging updates
// in both orders, concurrent creations that never merge, renames and deletions that converge,
// and data of other shapes left alone.

#include "core/client/notes.h"
#include "core/crdt/doc.h"

#include <QTest>

using namespace Tandem;
using Client::Notes;

namespace {

std::vector<uint8_t> state(Crdt::Doc &d)
{
    return d.encodeStateAsUpdate();
}

void exchange(Crdt::Doc &a, Crdt::Doc &b)
{
    const auto fromA = a.encodeStateAsUpdate(b.encodeStateVector());
    const auto fromB = b.encodeStateAsUpdate(a.encodeStateVector());
    QVERIFY(fromA && fromB);
    QVERIFY(!b.applyUpdate(*fromA));
    QVERIFY(!a.applyUpdate(*fromB));
}

QStringList titles(const Notes &n)
{
    QStringList out;
    for (const auto &note : n.list()) {
        out << note.title;
    }
    return out;
}

} // namespace

class tst_Notes : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void createReadRenameRemove()
    {
        Crdt::Doc doc(1);
        Notes notes(doc);
        QVERIFY(notes.list().empty()); // nothing seeded
        const QString id = notes.create(QStringLiteral("Plan"), QStringLiteral("Ada"),
                                        QStringLiteral("step one"));
        QCOMPARE(id.size(), 32);
        const auto note = notes.find(id);
        QVERIFY(note);
        QCOMPARE(note->title, QStringLiteral("Plan"));
        QCOMPARE(note->createdBy, QStringLiteral("Ada"));
        QVERIFY(note->createdAt > 1.7e12);
        QCOMPARE(QString::fromStdU16String(note->body.toString()), QStringLiteral("step one"));
        QVERIFY(notes.rename(id, QStringLiteral("Plan B")));
        QCOMPARE(notes.findByTitle(QStringLiteral("Plan B"))->id, id);
        QVERIFY(!notes.findByTitle(QStringLiteral("Plan")));
        QVERIFY(notes.remove(id));
        QVERIFY(!notes.find(id));
        QVERIFY(!notes.remove(id));
        QVERIFY(!notes.rename(id, QStringLiteral("x")));
    }

    void creationIsOneUpdate()
    {
        Crdt::Doc doc(1);
        int updates = 0;
        doc.onUpdate([&](std::span<const uint8_t>, const Crdt::Transaction &) { ++updates; });
        Notes(doc).create(QStringLiteral("T"), QStringLiteral("A"), QStringLiteral("body"));
        QCOMPARE(updates, 1); // peers never see a half-made note
    }

    void concurrentCreationsNeverMerge()
    {
        Crdt::Doc a(1), b(2);
        Notes na(a), nb(b);
        na.create(QStringLiteral("Ideas"), QStringLiteral("Ada"), QStringLiteral("from a"));
        nb.create(QStringLiteral("Ideas"), QStringLiteral("Bob"), QStringLiteral("from b"));
        exchange(a, b);
        QCOMPARE(state(a), state(b));
        QCOMPARE(na.list().size(), size_t(2));
        QCOMPARE(titles(na), titles(nb)); // the same order everywhere
        QStringList bodies;
        for (const auto &n : na.list()) {
            bodies << QString::fromStdU16String(n.body.toString());
        }
        bodies.sort();
        QCOMPARE(bodies, (QStringList {QStringLiteral("from a"), QStringLiteral("from b")}));
    }

    void concurrentRenameAndEditConverge()
    {
        Crdt::Doc a(1), b(2);
        Notes na(a), nb(b);
        const QString id = na.create(QStringLiteral("Draft"), QStringLiteral("Ada"));
        exchange(a, b);
        na.rename(id, QStringLiteral("From A"));
        nb.rename(id, QStringLiteral("From B"));
        nb.find(id)->body.insert(0, u"typed by b");
        exchange(a, b);
        QCOMPARE(na.find(id)->title, nb.find(id)->title);
        QCOMPARE(QString::fromStdU16String(na.find(id)->body.toString()),
                 QStringLiteral("typed by b"));
    }

    void deletionWinsOverConcurrentEdits()
    {
        Crdt::Doc a(1), b(2);
        Notes na(a), nb(b);
        const QString id = na.create(QStringLiteral("Old"), QStringLiteral("Ada"));
        exchange(a, b);
        na.remove(id);
        nb.find(id)->body.insert(0, u"late edit");
        exchange(a, b);
        QVERIFY(!na.find(id));
        QVERIFY(!nb.find(id));
        QCOMPARE(state(a), state(b));
    }

    void otherDataIsLeftAlone()
    {
        Crdt::Doc doc(1);
        Crdt::Map root = doc.getMap(Notes::rootName);
        doc.transact([&](Crdt::Transaction &tr) { root.set(tr, "not-a-note", Encoding::Any(42)); });
        Notes notes(doc);
        QVERIFY(notes.list().empty());
        notes.create(QStringLiteral("Real"), QStringLiteral("Ada"));
        QCOMPARE(notes.list().size(), size_t(1));
        QVERIFY(root.has("not-a-note"));
    }
};

QTEST_GUILESS_MAIN(tst_Notes)
#include "tst_notes.moc"
