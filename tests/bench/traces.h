// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Editing traces (tests/data/traces, CC BY 4.0) for the benchmarks.

#include "core/crdt/doc.h"
#include "core/crdt/text.h"

#include <QString>

#include <string>
#include <vector>

namespace Tandem::Bench {

struct Patch
{
    uint64_t pos;
    uint64_t del;
    std::u16string ins;
};
struct Txn
{
    std::vector<Patch> patches;
    std::vector<size_t> parents;
    size_t agent = 0;
};
struct Trace
{
    bool concurrent = false;
    size_t agents = 1;
    std::u16string end;
    std::vector<Txn> txns;
};

std::string gunzip(const QString &path);
Trace loadTrace(const QString &path);
/// One trace transaction as one CRDT transaction: each patch deletes, then inserts.
void applyTxn(Crdt::Doc &doc, Crdt::Text text, const Txn &txn);

} // namespace Tandem::Bench
