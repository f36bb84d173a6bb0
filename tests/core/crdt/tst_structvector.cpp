// SPDX-License-Identifier: GPL-3.0-or-later
// StructVector (a gap buffer of struct pointers) against std::vector under random inserts,
// erases and appends, including the paths that grow the gap and give memory back.

#include "core/crdt/structvector.h"

#include <QTest>

#include <random>

using Tandem::Crdt::Item;
using Tandem::Crdt::StructVector;

class tst_StructVector : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void matchesVector()
    {
        std::mt19937_64 rng(7);
        auto pick = [&](size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng); };
        StructVector v;
        std::vector<Item *> model;
        uintptr_t next = 1;
        for (int step = 0; step < 200000; ++step) {
            const size_t r = pick(10);
            if (r < 4 || model.empty()) {
                auto *item = reinterpret_cast<Item *>(next++);
                v.push_back(item);
                model.push_back(item);
            } else if (r < 7) {
                auto *item = reinterpret_cast<Item *>(next++);
                // Mostly near the previous edit, sometimes anywhere.
                const size_t at = pick(model.size() + 1);
                v.insert(at, item);
                model.insert(model.begin() + ptrdiff_t(at), item);
            } else {
                const size_t first = pick(model.size());
                const size_t last
                        = std::min(model.size(), first + 1 + pick(step % 1000 == 0 ? 5000 : 3));
                v.erase(first, last);
                model.erase(model.begin() + ptrdiff_t(first), model.begin() + ptrdiff_t(last));
            }
            QCOMPARE(v.size(), model.size());
            if (step % 997 == 0) {
                for (size_t i = 0; i < model.size(); ++i) {
                    QCOMPARE(v[i], model[i]);
                }
            }
            if (!model.empty()) {
                QCOMPARE(v.front(), model.front());
                QCOMPARE(v.back(), model.back());
            }
        }
        // Everything erased: the memory goes back.
        v.erase(0, v.size());
        QVERIFY(v.empty());
        QVERIFY(v.capacityBytes() < 4096);
    }
};

QTEST_APPLESS_MAIN(tst_StructVector)
#include "tst_structvector.moc"
