// SPDX-License-Identifier: GPL-3.0-or-later
#include "tests/bench/traces.h"

#include "core/encoding/json.h"
#include "core/encoding/utf.h"

#include <zlib.h>

namespace Tandem::Bench {

using Encoding::Any;

std::string gunzip(const QString &path)
{
    gzFile f = gzopen(path.toLocal8Bit().constData(), "rb");
    if (!f) {
        return {};
    }
    std::string out;
    char buf[1 << 16];
    int n;
    while ((n = gzread(f, buf, sizeof buf)) > 0) {
        out.append(buf, size_t(n));
    }
    gzclose(f);
    return out;
}

Trace loadTrace(const QString &path)
{
    const std::string json = gunzip(path);
    const auto parsed = Encoding::parseJson(json);
    Trace t;
    if (!parsed) {
        return t;
    }
    t.end = Encoding::toUtf16(parsed->find("endContent")->toString());
    if (const Any *k = parsed->find("kind"); k && k->toString() == "concurrent") {
        t.concurrent = true;
        t.agents = size_t(parsed->find("numAgents")->toNumber());
    }
    for (const auto &tx : parsed->find("txns")->toArray()) {
        Txn txn;
        for (const auto &p : tx.find("patches")->toArray()) {
            const auto &a = p.toArray();
            txn.patches.push_back({uint64_t(a[0].toNumber()), uint64_t(a[1].toNumber()),
                                   Encoding::toUtf16(a[2].toString())});
        }
        if (const Any *parents = tx.find("parents")) {
            for (const auto &x : parents->toArray()) {
                txn.parents.push_back(size_t(x.toNumber()));
            }
            txn.agent = size_t(tx.find("agent")->toNumber());
        }
        t.txns.push_back(std::move(txn));
    }
    return t;
}

/// One trace transaction as one CRDT transaction: each patch deletes, then inserts.
void applyTxn(Crdt::Doc &doc, Crdt::Text text, const Txn &txn)
{
    doc.transact([&](Crdt::Transaction &tr) {
        for (const auto &p : txn.patches) {
            if (p.del) {
                text.remove(tr, p.pos, p.del);
            }
            if (!p.ins.empty()) {
                text.insert(tr, p.pos, p.ins);
            }
        }
    });
}

} // namespace Tandem::Bench
