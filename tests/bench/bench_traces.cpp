// SPDX-License-Identifier: GPL-3.0-or-later
// Editing-trace benchmark: replays the traces in tests/data/traces in Tandem's CRDT and, in
// the same run, in the pinned yjs under node (tests/bench/yjs-trace-bench.mjs), and prints
// both side by side. Not a test: it asserts nothing except that both replays are correct.
//
//   bench_traces [trace.json.gz ...] [--runs N] [--no-yjs]

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/encoding/json.h"
#include "core/encoding/utf.h"
#include "tests/bench/traces.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <malloc.h>
#include <map>
#include <new>
#include <set>
#include <zlib.h>

using namespace Tandem;
using Encoding::Any;

// ---- live heap accounting (what the document holds) -----------------------------------
static std::atomic<int64_t> g_liveBytes {0};
void *operator new(size_t n)
{
    void *p = std::malloc(n ? n : 1);
    if (!p) {
        throw std::bad_alloc();
    }
    g_liveBytes += static_cast<int64_t>(malloc_usable_size(p));
    return p;
}
void operator delete(void *p) noexcept
{
    if (p) {
        g_liveBytes -= static_cast<int64_t>(malloc_usable_size(p));
        std::free(p);
    }
}
void operator delete(void *p, size_t) noexcept
{
    operator delete(p);
}

namespace {

using namespace Tandem::Bench;
using Clock = std::chrono::steady_clock;
double msSince(Clock::time_point t)
{
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

void replay(Crdt::Doc &doc, const Trace &t)
{
    const Crdt::Text text = doc.getText("text");
    for (const auto &txn : t.txns) {
        applyTxn(doc, text, txn);
    }
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

/// The floor: the same edits on a plain gap buffer.
double gapBufferMs(const Trace &t, std::u16string &result)
{
    const auto start = Clock::now();
    std::u16string buf(1024, u'\0');
    size_t gapStart = 0;
    size_t gapEnd = buf.size();
    auto moveGap = [&](size_t pos) {
        if (pos < gapStart) {
            const size_t n = gapStart - pos;
            std::copy_backward(buf.begin() + ptrdiff_t(pos), buf.begin() + ptrdiff_t(gapStart),
                               buf.begin() + ptrdiff_t(gapEnd));
            gapStart -= n;
            gapEnd -= n;
        } else if (pos > gapStart) {
            const size_t n = pos - gapStart;
            std::copy(buf.begin() + ptrdiff_t(gapEnd), buf.begin() + ptrdiff_t(gapEnd + n),
                      buf.begin() + ptrdiff_t(gapStart));
            gapStart += n;
            gapEnd += n;
        }
    };
    for (const auto &txn : t.txns) {
        for (const auto &p : txn.patches) {
            moveGap(p.pos);
            gapEnd += p.del;
            if (gapEnd - gapStart < p.ins.size()) {
                const size_t grow = std::max(buf.size(), p.ins.size());
                buf.insert(buf.begin() + ptrdiff_t(gapEnd), grow, u'\0');
                gapEnd += grow;
            }
            std::copy(p.ins.begin(), p.ins.end(), buf.begin() + ptrdiff_t(gapStart));
            gapStart += p.ins.size();
        }
    }
    const double ms = msSince(start);
    result = buf.substr(0, gapStart) + buf.substr(gapEnd);
    return ms;
}

QJsonObject runYjs(const QString &trace, int runs)
{
    QProcess node;
    node.start(QStringLiteral("node"),
               {QStringLiteral("--expose-gc"),
                QStringLiteral(TANDEM_SOURCE_DIR "/tests/bench/yjs-trace-bench.mjs"), trace,
                QStringLiteral("--runs"), QString::number(runs)});
    node.waitForFinished(600000);
    const QByteArray out = node.readAllStandardOutput();
    return QJsonDocument::fromJson(out.trimmed()).object();
}

void sequential(const QString &path, const Trace &t, int runs, bool withYjs)
{
    const QString name = QFileInfo(path).fileName();
    std::vector<double> apply;
    std::vector<double> applyNoListener;
    size_t updateBytes = 0;
    bool ok = true;
    for (int r = 0; r < runs; ++r) {
        Crdt::Doc doc(3000000000u);
        updateBytes = 0;
        doc.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
            updateBytes += u.size();
        });
        auto s = Clock::now();
        replay(doc, t);
        apply.push_back(msSince(s));
        ok = ok && doc.getText("text").toString() == t.end;
        Crdt::Doc quiet(3000000000u);
        s = Clock::now();
        replay(quiet, t);
        applyNoListener.push_back(msSince(s));
    }
    // Memory held by the document.
    const int64_t before = g_liveBytes.load();
    auto held = std::make_unique<Crdt::Doc>(3000000000u);
    replay(*held, t);
    const int64_t docBytes = g_liveBytes.load() - before;
    const std::vector<uint8_t> state = held->encodeStateAsUpdate();
    const QByteArray sha
            = QCryptographicHash::hash(QByteArrayView(state.data(), qsizetype(state.size())),
                                       QCryptographicHash::Sha256)
                      .toHex();
    // Load.
    std::vector<double> loads;
    for (int i = 0; i < 11; ++i) {
        Crdt::Doc fresh(1);
        const auto s = Clock::now();
        fresh.applyUpdate(state);
        loads.push_back(msSince(s));
        ok = ok && (i > 0 || fresh.getText("text").toString() == t.end);
    }
    const double loadCold = loads.front();
    loads.erase(loads.begin());
    std::u16string gapResult;
    const double gap = gapBufferMs(t, gapResult);

    std::printf("\n== %s: %zu txns, final length %zu, correct: %s\n", qPrintable(name),
                t.txns.size(), t.end.size(), ok && gapResult == t.end ? "yes" : "NO");
    QJsonObject y;
    if (withYjs) {
        y = runYjs(path, runs);
    }
    auto ratio = [](double theirs, double ours) { return ours > 0 ? theirs / ours : 0.0; };
    const double yApply = y.value(QStringLiteral("applyMs")).toDouble();
    const double yApplyQuiet = y.value(QStringLiteral("applyNoListenerMs")).toDouble();
    const double yCold = y.value(QStringLiteral("loadColdMs")).toDouble();
    const double yWarm = y.value(QStringLiteral("loadWarmMs")).toDouble();
    const double yHeap = y.value(QStringLiteral("docHeapBytes")).toDouble();
    std::printf("  apply, v1 update per txn : tandem %9.1f ms | yjs %9.1f ms | %6.1fx faster\n",
                median(apply), yApply, ratio(yApply, median(apply)));
    std::printf("  apply, no update listener: tandem %9.1f ms | yjs %9.1f ms | %6.1fx faster\n",
                median(applyNoListener), yApplyQuiet, ratio(yApplyQuiet, median(applyNoListener)));
    std::printf("  update bytes emitted     : tandem %9zu    | yjs %9lld\n", updateBytes,
                qint64(y.value(QStringLiteral("updateBytes")).toDouble()));
    std::printf("  encoded state (v1)       : tandem %9zu B  | yjs %9lld B  | byte-identical: %s\n",
                state.size(), qint64(y.value(QStringLiteral("stateBytes")).toDouble()),
                withYjs ? (sha == y.value(QStringLiteral("stateSha256")).toString().toLatin1()
                                   ? "yes"
                                   : "NO")
                        : "n/a");
    std::printf("  load state, cold         : tandem %9.2f ms | yjs %9.2f ms | %6.1fx faster\n",
                loadCold, yCold, ratio(yCold, loadCold));
    std::printf("  load state, warm (median): tandem %9.2f ms | yjs %9.2f ms | %6.1fx faster\n",
                median(loads), yWarm, ratio(yWarm, median(loads)));
    std::printf("  memory held by the doc   : tandem %9.2f MB | yjs %9.2f MB | %6.2fx of yjs\n",
                docBytes / 1e6, yHeap / 1e6, yHeap > 0 ? docBytes / yHeap : 0.0);
    std::printf("  floor: gap buffer replay : %9.2f ms\n", gap);
    size_t vecBytes = 0, textBytes = 0;
    for (const auto &[c, s] : held->store().clients()) {
        vecBytes += s.capacityBytes();
        for (size_t i = 0; i < s.size(); ++i) {
            textBytes += Crdt::Content::capacityFor(s[i]->content.text().size()) * 2;
        }
    }
    std::printf(
            "  structs in the store     : %zu (%zu item slots of %zu B, index %zu B, text %zu B)\n",
            held->store().itemCount(), held->store().itemSlots(), sizeof(Crdt::Item), vecBytes,
            textBytes);
}

void concurrent(const QString &path, const Trace &t, int runs, bool withYjs)
{
    std::vector<double> totals;
    std::vector<double> merges;
    bool ok = true;
    size_t stateBytes = 0;
    for (int r = 0; r < runs; ++r) {
        std::vector<std::unique_ptr<Crdt::Doc>> docs;
        std::vector<std::set<size_t>> seen(t.agents);
        for (size_t a = 0; a < t.agents; ++a) {
            docs.push_back(std::make_unique<Crdt::Doc>(100 + a));
        }
        std::vector<std::vector<uint8_t>> updates(t.txns.size());
        double mergeMs = 0;
        const auto start = Clock::now();
        for (size_t i = 0; i < t.txns.size(); ++i) {
            const Txn &txn = t.txns[i];
            Crdt::Doc &doc = *docs[txn.agent];
            // Ancestors this doc lacks, in index order.
            std::vector<size_t> todo;
            std::vector<size_t> stack(txn.parents.begin(), txn.parents.end());
            std::set<size_t> found;
            while (!stack.empty()) {
                const size_t p = stack.back();
                stack.pop_back();
                if (seen[txn.agent].count(p) || !found.insert(p).second) {
                    continue;
                }
                for (size_t q : t.txns[p].parents) {
                    stack.push_back(q);
                }
            }
            todo.assign(found.begin(), found.end());
            const auto m = Clock::now();
            for (size_t p : todo) {
                doc.applyUpdate(updates[p]);
                seen[txn.agent].insert(p);
            }
            mergeMs += msSince(m);
            const auto sub
                    = doc.onUpdate([&](std::span<const uint8_t> u, const Crdt::Transaction &) {
                          updates[i].assign(u.begin(), u.end());
                      });
            applyTxn(doc, doc.getText("text"), txn);
            doc.unsubscribe(sub);
            seen[txn.agent].insert(i);
        }
        const auto m = Clock::now();
        for (size_t a = 0; a < t.agents; ++a) {
            for (size_t i = 0; i < t.txns.size(); ++i) {
                if (!seen[a].count(i)) {
                    docs[a]->applyUpdate(updates[i]);
                }
            }
        }
        mergeMs += msSince(m);
        totals.push_back(msSince(start));
        merges.push_back(mergeMs);
        for (auto &d : docs) {
            ok = ok && d->getText("text").toString() == t.end;
        }
        stateBytes = docs[0]->encodeStateAsUpdate().size();
    }
    QJsonObject y;
    if (withYjs) {
        y = runYjs(path, runs);
    }
    const double yTotal = y.value(QStringLiteral("totalMs")).toDouble();
    const double yMerge = y.value(QStringLiteral("mergeMs")).toDouble();
    std::printf("\n== %s (concurrent, %zu agents, %zu txns), correct: %s\n",
                qPrintable(QFileInfo(path).fileName()), t.agents, t.txns.size(), ok ? "yes" : "NO");
    std::printf("  total replay             : tandem %9.1f ms | yjs %9.1f ms | %6.1fx faster\n",
                median(totals), yTotal, median(totals) > 0 ? yTotal / median(totals) : 0);
    std::printf("  time merging remote txns : tandem %9.1f ms | yjs %9.1f ms | %6.1fx faster\n",
                median(merges), yMerge, median(merges) > 0 ? yMerge / median(merges) : 0);
    std::printf("  encoded state (v1)       : tandem %9zu B  | yjs %9lld B\n", stateBytes,
                qint64(y.value(QStringLiteral("stateBytes")).toDouble()));
}

} // namespace

int main(int argc, char **argv)
{
    QStringList traces;
    int runs = 3;
    bool withYjs = true;
    for (int i = 1; i < argc; ++i) {
        const QString a = QString::fromLocal8Bit(argv[i]);
        if (a == QLatin1String("--runs") && i + 1 < argc) {
            runs = std::max(1, atoi(argv[++i]));
        } else if (a == QLatin1String("--no-yjs")) {
            withYjs = false;
        } else {
            traces << a;
        }
    }
    if (traces.isEmpty()) {
        const QDir dir(QStringLiteral(TANDEM_SOURCE_DIR "/tests/data/traces"));
        for (const QString &f :
             dir.entryList({QStringLiteral("*.json.gz")}, QDir::Files, QDir::Name)) {
            traces << dir.filePath(f);
        }
    }
    std::printf(
            "Tandem CRDT vs yjs 13.6.33 (node %s), medians of %d runs, same machine, same run\n",
            withYjs ? "on" : "off", runs);
    for (const QString &path : traces) {
        const Trace t = loadTrace(path);
        if (t.concurrent) {
            concurrent(path, t, runs, withYjs);
        } else {
            sequential(path, t, runs, withYjs);
        }
        std::fflush(stdout);
    }
    return 0;
}
