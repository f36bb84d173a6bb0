// SPDX-License-Identifier: GPL-3.0-or-later
//
// Malformed and hostile v1 updates, built byte by byte with the lib0 Encoder (most rows start
// from the reference update below and corrupt one thing). Every row is applied to a document
// that already holds content and run through the document-less update functions:
//   - a rejected row must report the expected DecodeErrorCode everywhere, leave the document
//     byte-identical (state, state vector, no update event) and still usable;
//   - an accepted row (Yjs accepts it too) must leave a consistent document whose own
//     encoding a fresh document accepts, and that still takes the next valid update.
// Primitive-level malformations (varint forms, each bad UTF-8 shape) live in
// tests/core/encoding/tst_encoding.cpp; here they appear only inside whole updates.

#include "core/crdt/doc.h"
#include "core/crdt/map.h"
#include "core/crdt/text.h"
#include "core/crdt/update.h"
#include "core/encoding/any.h"
#include "core/encoding/encoder.h"

#include <QElapsedTimer>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdlib>
#include <new>
#include <vector>

// Heap accounting for the allocation budget below: every operator new (the array and nothrow
// forms forward to it) records its size in a 16-byte header.
namespace {
std::atomic<size_t> liveHeap {0};
std::atomic<size_t> peakHeap {0};
} // namespace

void *operator new(std::size_t n)
{
    static_assert(alignof(std::max_align_t) <= 16);
    void *p = std::malloc(n + 16);
    if (!p) {
        throw std::bad_alloc();
    }
    *static_cast<std::size_t *>(p) = n;
    const size_t live = liveHeap.fetch_add(n, std::memory_order_relaxed) + n;
    size_t peak = peakHeap.load(std::memory_order_relaxed);
    while (live > peak && !peakHeap.compare_exchange_weak(peak, live)) { }
    return static_cast<char *>(p) + 16;
}
void operator delete(void *q) noexcept
{
    if (q) {
        char *p = static_cast<char *>(q) - 16;
        liveHeap.fetch_sub(*reinterpret_cast<std::size_t *>(p), std::memory_order_relaxed);
        std::free(p);
    }
}
void operator delete(void *q, std::size_t) noexcept
{
    ::operator delete(q);
}

using namespace Tandem::Crdt;
using Tandem::Encoding::Any;
using Tandem::Encoding::AnyEntry;
using Tandem::Encoding::DecodeError;
using Tandem::Encoding::DecodeErrorCode;
using Tandem::Encoding::decodeErrorName;
using Tandem::Encoding::Encoder;

namespace {

constexpr uint64_t maxSafe = (uint64_t(1) << 53) - 1; // Number.MAX_SAFE_INTEGER
constexpr uint64_t pow2(int n)
{
    return uint64_t(1) << n;
}

/// Exact bytes: varUints, single bytes and length-prefixed raw strings (which may be malformed
/// UTF-8 on purpose, so they bypass the Encoder's string writers).
class Bytes
{
public:
    Bytes &u(uint64_t v)
    {
        m_e.writeVarUint(v);
        return *this;
    }
    Bytes &byte(uint8_t b)
    {
        m_e.writeUint8(b);
        return *this;
    }
    Bytes &str(std::string_view s)
    {
        m_e.writeVarUint(s.size());
        m_e.writeBytes({reinterpret_cast<const uint8_t *>(s.data()), s.size()});
        return *this;
    }
    Bytes &raw(const QByteArray &b)
    {
        m_e.writeBytes({reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())});
        return *this;
    }
    operator QByteArray() const
    {
        return QByteArray(reinterpret_cast<const char *>(m_e.data().data()), qsizetype(m_e.size()));
    }

private:
    Encoder m_e;
};

/// The start of an update with one client block: 1 block, @p numStructs structs of @p client
/// from @p clock.
Bytes block(uint64_t client, uint64_t clock, uint64_t numStructs = 1)
{
    return std::move(Bytes().u(1).u(numStructs).u(client).u(clock));
}

/// The reference update: client 7 inserts "abc" at the start of root text "t".
///   01 | 01 07 00 | 04 01 01'74' 03'61 62 63' | 00
///   byte 4 is the info byte (ContentString, no origins, no parentSub).
QByteArray reference()
{
    return block(7, 0).byte(0x04).u(1).str("t").str("abc").u(0);
}

QByteArray patched(QByteArray b, qsizetype index, uint8_t value)
{
    b[index] = char(value);
    return b;
}

std::span<const uint8_t> view(const QByteArray &b)
{
    return {reinterpret_cast<const uint8_t *>(b.constData()), size_t(b.size())};
}
std::span<const uint8_t> view(const std::vector<uint8_t> &b)
{
    return b;
}

QByteArray toBytes(const std::vector<uint8_t> &v)
{
    return QByteArray(reinterpret_cast<const char *>(v.data()), qsizetype(v.size()));
}

/// The document every row is applied to: client 1, text "hello" in root "t" (clocks 0..4)
/// and map entry "k" = "v" in root "m" (clock 5).
void makeFixture(Doc &doc)
{
    doc.transact([&](Transaction &tr) {
        doc.getText("t").insert(tr, 0, u"hello");
        doc.getMap("m").set(tr, "k", Any("v"));
    });
}

/// A valid update for the fixture: client 2 appends " world" to "hello".
const std::vector<uint8_t> &followUp()
{
    static const std::vector<uint8_t> bytes = [] {
        Doc base(1);
        makeFixture(base);
        Doc peer(2);
        peer.applyUpdate(base.encodeStateAsUpdate());
        peer.getText("t").insert(5, u" world");
        return peer.encodeStateAsUpdate(base.stateVector());
    }();
    return bytes;
}

/// A real multi-client update: inserts (one splitting an item), a deletion, a map value that
/// was overwritten (a GC struct), Any arrays/objects, multi-byte text and a delete set.
std::vector<uint8_t> realUpdate()
{
    Doc a(5);
    Doc b(6);
    Text ta = a.getText("t");
    ta.insert(0, u"hello world");
    ta.insert(5, u",");
    ta.remove(0, 2);
    a.transact([&](Transaction &tr) { a.getMap("m").set(tr, "k", Any(1)); });
    a.transact([&](Transaction &tr) {
        a.getMap("m").set(tr, "k", Any(Any::Array {Any("x"), Any(true), Any(2.5)}));
    });
    b.applyUpdate(a.encodeStateAsUpdate());
    b.getText("t").insert(3, u"\u00e9\U0001F600");
    b.transact([&](Transaction &tr) {
        b.getMap("m").set(tr, "n", Any::object({AnyEntry {"a", Any(nullptr)}}));
    });
    b.getText("t").remove(1, 1);
    a.applyUpdate(b.encodeStateAsUpdate(a.stateVector()));
    return a.encodeStateAsUpdate();
}

QByteArray errorName(DecodeErrorCode c)
{
    return decodeErrorName(c);
}

/// The checks of one row. @p allowed lists the acceptable outcomes: {None} for a row that must
/// be accepted, otherwise the error codes that may be reported.
void verifyUpdate(const QByteArray &input, const std::vector<DecodeErrorCode> &allowed,
                  const QByteArray &equivalent)
{
    const auto bytes = view(input);
    const bool accept = allowed == std::vector {DecodeErrorCode::None};
    QElapsedTimer timer;
    timer.start();

    Doc doc(1);
    makeFixture(doc);
    const std::vector<uint8_t> before = doc.encodeStateAsUpdate();
    const StateVector svBefore = doc.stateVector();
    const std::vector<uint8_t> svBytes = svBefore.encode();
    int events = 0;
    doc.onUpdate([&](std::span<const uint8_t>, const Transaction &) { ++events; });

    // Decoding never holds much more memory than the input could fill: at most a few hundred
    // bytes of decoded structs and values per input byte, whatever the declared counts say.
    peakHeap = liveHeap.load();
    const size_t heapBefore = liveHeap.load();
    const DecodeError validated = validateUpdate(bytes);
    const size_t heapUsed = peakHeap.load() - heapBefore;
    const size_t heapBudget = 256 * bytes.size() + 64 * 1024;
    QVERIFY2(heapUsed <= heapBudget,
             qPrintable(QStringLiteral("decoding %1 bytes took %2 bytes of heap")
                                .arg(bytes.size())
                                .arg(heapUsed)));

    // (1) the outcome of applyUpdate, and the same verdict from validateUpdate
    const DecodeError err = doc.applyUpdate(bytes);
    if (allowed.size() == 1) {
        QCOMPARE(errorName(err.code), errorName(allowed.front()));
    } else {
        QVERIFY2(std::find(allowed.begin(), allowed.end(), err.code) != allowed.end(),
                 qPrintable(QStringLiteral("unexpected outcome: %1 at byte %2")
                                    .arg(QLatin1StringView(decodeErrorName(err.code)))
                                    .arg(err.offset)));
    }
    QCOMPARE(errorName(validated.code), errorName(err.code));
    const std::string problem = doc.checkIntegrity();
    QVERIFY2(problem.empty(), problem.c_str());

    if (!accept) {
        QVERIFY(err.offset <= bytes.size());
        // (2) nothing changed
        QCOMPARE(doc.encodeStateAsUpdate(), before);
        QVERIFY(doc.stateVector() == svBefore);
        QVERIFY(!doc.hasPendingStructs());
        QVERIFY(!doc.hasPendingDeleteSet());
        QCOMPARE(events, 0);

        // The document-less functions report the same error instead of producing output.
        DecodeError e;
        QVERIFY(!mergeUpdates({bytes}, &e));
        QCOMPARE(errorName(e.code), errorName(err.code));
        e = {};
        QVERIFY(!mergeUpdates({view(followUp()), bytes}, &e));
        QCOMPARE(errorName(e.code), errorName(err.code));
        e = {};
        QVERIFY(!diffUpdate(bytes, svBytes, &e));
        QCOMPARE(errorName(e.code), errorName(err.code));
        e = {};
        QVERIFY(!stateVectorFromUpdate(bytes, &e));
        QCOMPARE(errorName(e.code), errorName(err.code));
    } else {
        // Whatever was accepted re-encodes into something a fresh document accepts.
        Doc copy(3);
        QCOMPARE(errorName(copy.applyUpdate(doc.encodeStateAsUpdate()).code),
                 errorName(DecodeErrorCode::None));
        const std::string copyProblem = copy.checkIntegrity();
        QVERIFY2(copyProblem.empty(), copyProblem.c_str());

        if (!equivalent.isEmpty()) {
            Doc other(1);
            makeFixture(other);
            QCOMPARE(errorName(other.applyUpdate(view(equivalent)).code),
                     errorName(DecodeErrorCode::None));
            QCOMPARE(toBytes(doc.encodeStateAsUpdate()), toBytes(other.encodeStateAsUpdate()));
        }

        // The document-less functions produce well-formed updates.
        const auto merged1 = mergeUpdates({bytes});
        QVERIFY(merged1);
        const auto merged2 = mergeUpdates({view(followUp()), bytes});
        QVERIFY(merged2);
        QCOMPARE(errorName(validateUpdate(*merged2).code), errorName(DecodeErrorCode::None));
        const auto diff = diffUpdate(bytes, svBytes);
        QVERIFY(diff);
        QCOMPARE(errorName(validateUpdate(*diff).code), errorName(DecodeErrorCode::None));
        const auto sv = stateVectorFromUpdate(bytes);
        QVERIFY(sv);
        QVERIFY(StateVector::decode(*sv));

        // Applying it again is harmless.
        QCOMPARE(errorName(doc.applyUpdate(bytes).code), errorName(DecodeErrorCode::None));
        const std::string again = doc.checkIntegrity();
        QVERIFY2(again.empty(), again.c_str());
    }

    // (3) the document still takes a valid update
    QCOMPARE(errorName(doc.applyUpdate(followUp()).code), errorName(DecodeErrorCode::None));
    const std::string after = doc.checkIntegrity();
    QVERIFY2(after.empty(), after.c_str());
    QCOMPARE(doc.stateVector().get(2), Clock(6));
    if (!accept) {
        QCOMPARE(QString::fromStdU16String(doc.getText("t").toString()),
                 QStringLiteral("hello world"));
    }

    // Declared counts are never trusted, so even the 2^50-struct rows end at once.
    QVERIFY2(timer.elapsed() < 2000, qPrintable(QStringLiteral("took %1 ms").arg(timer.elapsed())));
}

void row(const char *name, const QByteArray &update, DecodeErrorCode expected,
         const QByteArray &equivalent = {})
{
    QTest::newRow(name) << update << int(expected) << equivalent;
}

/// ContentAny map entry "deep" in root "m" whose value is @p depth nested one-element arrays
/// (tag 117) around `undefined`. Any::decode allows nesting up to depth 128.
QByteArray deepArrays(int depth)
{
    Bytes b = block(7, 0).byte(0x28).u(1).str("m").str("deep").u(1);
    for (int i = 0; i < depth; ++i) {
        b.byte(117).u(1);
    }
    return b.byte(127).u(0);
}

} // namespace

class tst_Malformed : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void malformed_data();
    void malformed();
    void truncated_data();
    void truncated();
};

void tst_Malformed::malformed_data()
{
    using C = DecodeErrorCode;
    QTest::addColumn<QByteArray>("update");
    QTest::addColumn<int>("expected");
    // For accepted rows: an update that must leave the fixture in exactly the same state.
    QTest::addColumn<QByteArray>("equivalent");

    const QByteArray ref = reference();
    const QByteArray empty = Bytes().u(0).u(0); // no structs, empty delete set
    // Client 7 holding a GC range of three clocks (what an unplaceable "abc" turns into).
    const QByteArray gc7 = block(7, 0).byte(0x00).u(3).u(0);

    // Control: the reference itself is fine.
    row("reference", ref, C::None);

    // ---- content refs: only 0..10 exist; the ref is checked before anything else is read
    row("content ref 11", patched(ref, 4, 0x0B), C::UnknownContent);
    row("content ref 31", patched(ref, 4, 0x1F), C::UnknownContent);
    // 0xCB = origin + rightOrigin flags + ref 11.
    row("content ref 11 with origin flags", patched(ref, 4, 0xCB), C::UnknownContent);
    // 0xFF = every flag + ref 31.
    row("content ref 31 with every flag", patched(ref, 4, 0xFF), C::UnknownContent);
    // ContentType with type ref 7 (only 0..6 exist).
    row("type ref 7", block(7, 0).byte(0x07).u(1).str("t").u(7).u(0), C::UnknownContent);
    row("type ref 2^40", block(7, 0).byte(0x07).u(1).str("t").u(pow2(40)).u(0), C::UnknownContent);

    // ---- flag bits of the info byte
    // GC and Skip ignore the three flag bits (Yjs switches on info & 0x1f alone).
    row("GC with every flag (0xE0)", block(7, 0).byte(0xE0).u(3).u(0), C::None, gc7);
    row("Skip with every flag (0xEA)", block(7, 0).byte(0xEA).u(3).u(0), C::None, empty);
    // With an origin the parentSub flag carries no key (the key comes from the neighbour).
    row("parentSub flag beside an origin (0xA4)", block(7, 0).byte(0xA4).u(1).u(4).str("abc").u(0),
        C::None, block(7, 0).byte(0x84).u(1).u(4).str("abc").u(0));
    // 0x24: parentSub flag without a key: "abc" is read as the key, the delete set's 00 as an
    // empty string, which makes a zero-length item.
    row("parentSub flag without a key (0x24)", patched(ref, 4, 0x24), C::InvalidStruct);
    // 0x84: origin flag without an origin: the parent info becomes the origin (1,1), then the
    // 't' (0x74 = 116) is read as the string's byte length.
    row("origin flag without an origin (0x84)", patched(ref, 4, 0x84), C::LengthTooLarge);

    // ---- zero-length structs (a struct must cover at least one clock)
    row("zero-length GC", block(7, 0).byte(0x00).u(0).u(0), C::InvalidStruct);
    row("zero-length Skip", block(7, 0).byte(0x0A).u(0).u(0), C::InvalidStruct);
    row("zero-length ContentDeleted", block(7, 0).byte(0x01).u(1).str("t").u(0).u(0),
        C::InvalidStruct);
    row("empty ContentString", block(7, 0).byte(0x04).u(1).str("t").str("").u(0), C::InvalidStruct);
    row("ContentAny without values", block(7, 0).byte(0x08).u(1).str("t").u(0).u(0),
        C::InvalidStruct);
    row("ContentJSON without values", block(7, 0).byte(0x02).u(1).str("t").u(0).u(0),
        C::InvalidStruct);
    // A valid "abc" followed by a zero-length GC in the same block.
    row("zero-length GC after a valid struct",
        block(7, 0, 2).byte(0x04).u(1).str("t").str("abc").byte(0x00).u(0).u(0), C::InvalidStruct);

    // ---- JSON texts Yjs parses as it reads (JSON.parse throws, the update is refused):
    // ContentJSON elements ("undefined" aside), an embed, a format value.
    row("ContentJSON element that is not JSON",
        block(7, 0).byte(0x02).u(1).str("t").u(1).str("nuld").u(0), C::InvalidJson);
    row("ContentJSON second element that is not JSON",
        block(7, 0).byte(0x02).u(1).str("t").u(2).str("undefined").str("1 2").u(0), C::InvalidJson);
    row("ContentEmbed that is not JSON", block(7, 0).byte(0x05).u(1).str("t").str("{oops").u(0),
        C::InvalidJson);
    row("ContentFormat value that is not JSON",
        block(7, 0).byte(0x06).u(1).str("t").str("bold").str("tru").u(0), C::InvalidJson);

    // ---- declared byte lengths beyond the input
    row("ContentString declares 100 bytes, has 3",
        block(7, 0).byte(0x04).u(1).str("t").u(100).raw("abc").u(0), C::LengthTooLarge);
    row("ContentString declares 2^53-1 bytes",
        block(7, 0).byte(0x04).u(1).str("t").u(maxSafe).raw("abc"), C::LengthTooLarge);
    row("ContentBinary declares 2^40 bytes",
        block(7, 0).byte(0x03).u(1).str("t").u(pow2(40)).raw("abc"), C::LengthTooLarge);
    row("root name declares 200 bytes", block(7, 0).byte(0x04).u(1).u(200).raw("t").str("abc"),
        C::LengthTooLarge);
    row("parentSub key declares 50 bytes", block(7, 0).byte(0x28).u(1).str("m").u(50).raw("k"),
        C::LengthTooLarge);
    // ContentDeleted's length counts clocks, not bytes: 1000 deleted clocks in 10 bytes is a
    // legitimate update (a peer's deleted-and-collected text).
    row("ContentDeleted of 1000 clocks", block(7, 0).byte(0x01).u(1).str("t").u(1000).u(0),
        C::None);
    // ... but a clock count above 2^53-1 is not a JS number.
    row("ContentDeleted of 2^53 clocks", block(7, 0).byte(0x01).u(1).str("t").u(pow2(53)).u(0),
        C::IntegerOverflow);

    // ---- huge declared counts in 10-byte messages: rejected before any allocation
    // varUint(2^40) takes 6 bytes, varUint(2^50) 8.
    row("2^40 client blocks", Bytes().u(pow2(40)).u(0).u(0).u(0).u(0), C::LengthTooLarge);
    row("2^50 structs in a block", Bytes().u(1).u(pow2(50)).u(7), C::LengthTooLarge);
    // 100 structs announced, one GC (2 bytes) present: more than the rest could hold.
    row("100 structs announced, 1 present", block(7, 0, 100).byte(0x00).u(1).u(0),
        C::LengthTooLarge);
    {
        // The largest honest struct count: 5000 two-byte GC structs, all present; only the
        // delete set is missing. Checks the heap budget against the struct reservation.
        Bytes b = block(7, 0, 5000);
        for (int i = 0; i < 5000; ++i) {
            b.byte(0x00).u(1);
        }
        row("5000 structs present, delete set missing", b, C::UnexpectedEnd);
    }
    row("ContentAny with 2^40 values",
        block(7, 0).byte(0x28).u(1).str("m").str("k").u(pow2(40)).u(0), C::LengthTooLarge);
    row("ContentJSON with 2^40 values", block(7, 0).byte(0x02).u(1).str("t").u(pow2(40)).u(0),
        C::LengthTooLarge);
    // One Any value: an array (tag 117) / object (118) / byte array (116) of 2^40 elements.
    row("Any array of 2^40 elements",
        block(7, 0).byte(0x28).u(1).str("m").str("k").u(1).byte(117).u(pow2(40)).u(0),
        C::LengthTooLarge);
    row("Any object of 2^40 entries",
        block(7, 0).byte(0x28).u(1).str("m").str("k").u(1).byte(118).u(pow2(40)).u(0),
        C::LengthTooLarge);
    row("Any bytes of 2^40 bytes",
        block(7, 0).byte(0x28).u(1).str("m").str("k").u(1).byte(116).u(pow2(40)).u(0),
        C::LengthTooLarge);
    row("delete set of 2^40 clients", Bytes().u(0).u(pow2(40)).u(0).u(0).u(0), C::LengthTooLarge);
    row("delete set client with 2^40 ranges", Bytes().u(0).u(1).u(1).u(pow2(40)).u(0),
        C::LengthTooLarge);

    // ---- clocks near the 2^53-1 limit
    row("first clock 2^53", block(7, pow2(53)).byte(0x00).u(1).u(0), C::IntegerOverflow);
    row("GC of 1 at clock 2^53-1", block(7, maxSafe).byte(0x00).u(1).u(0), C::IntegerOverflow);
    row("ContentDeleted of 2^53-1 clocks at clock 1",
        block(7, 1).byte(0x01).u(1).str("t").u(maxSafe).u(0), C::IntegerOverflow);
    row("\"abc\" ending one past 2^53-1",
        block(7, maxSafe - 2).byte(0x04).u(1).str("t").str("abc").u(0), C::IntegerOverflow);
    // Ends exactly at 2^53-1: representable. Client 7 has a gap before it, so it is pending.
    row("\"abc\" ending at 2^53-1", block(7, maxSafe - 3).byte(0x04).u(1).str("t").str("abc").u(0),
        C::None);
    // The first struct is fine; the running clock of the second crosses the limit.
    row("second struct crosses 2^53-1",
        block(7, maxSafe - 6, 2).byte(0x00).u(5).byte(0x04).u(1).str("t").str("abc").u(0),
        C::IntegerOverflow);
    // One struct may cover at most 2^32 - 1 clocks (more would take millions of items).
    row("deleted range of 2^32 clocks", block(7, 0).byte(0x00).u(uint64_t(1) << 32).u(0),
        C::LengthTooLarge);
    row("deleted range of 2^32 - 1 clocks", block(7, 0).byte(0x00).u((uint64_t(1) << 32) - 1).u(0),
        C::None);

    // ---- references to the struct's own client must point backwards
    row("origin is the struct itself", block(7, 0).byte(0x84).u(7).u(0).str("abc").u(0),
        C::InvalidStruct);
    row("origin ahead in the own client", block(7, 0).byte(0x84).u(7).u(5).str("abc").u(0),
        C::InvalidStruct);
    // Second struct at clock 3 with rightOrigin (7,3): itself.
    row("rightOrigin is the struct itself",
        block(7, 0, 2).byte(0x04).u(1).str("t").str("abc").byte(0x44).u(7).u(3).str("d").u(0),
        C::InvalidStruct);
    row("parent is the struct itself", block(7, 0).byte(0x04).u(0).u(7).u(0).str("abc").u(0),
        C::InvalidStruct);
    // Control: a backward reference inside the block is how "abc" + "d" is normally written.
    row("origin earlier in the own block",
        block(7, 0, 2).byte(0x04).u(1).str("t").str("abc").byte(0x84).u(7).u(2).str("d").u(0),
        C::None);
    // Forward references to other clients are legitimate: the struct waits (pending).
    row("origin in an unknown client", block(7, 0).byte(0x84).u(8).u(100).str("abc").u(0), C::None);

    // ---- parent info
    // Yjs reads the parent info as "== 1 means root name, anything else means parent id", so
    // the values 2 and 2^53-1 are an id. Here the id (1,0) is text, not a type: the item has
    // no valid parent and is kept as a GC range, like an item whose parent was collected.
    row("parent info 2", block(7, 0).byte(0x04).u(2).u(1).u(0).str("abc").u(0), C::None, gc7);
    row("parent info 2^53-1", block(7, 0).byte(0x04).u(maxSafe).u(1).u(0).str("abc").u(0), C::None,
        gc7);
    row("parent id is not a type", block(7, 0).byte(0x04).u(0).u(1).u(5).str("abc").u(0), C::None,
        gc7);
    row("parent id in an unknown client", block(7, 0).byte(0x04).u(0).u(9).u(0).str("abc").u(0),
        C::None);

    // ---- malformed UTF-8 inside an update: rejected (JS peers use a fatal TextDecoder)
    row("root name overlong '/'", block(7, 0).byte(0x04).u(1).str("\xC0\xAF").str("abc").u(0),
        C::InvalidUtf8);
    row("map key CESU surrogate",
        block(7, 0).byte(0x28).u(1).str("m").str("\xED\xA0\xBD").u(1).byte(125).u(0).u(0),
        C::InvalidUtf8);
    row("string content 0xFF", block(7, 0).byte(0x04).u(1).str("t").str("a\xFF").u(0),
        C::InvalidUtf8);
    row("string content truncated sequence",
        block(7, 0).byte(0x04).u(1).str("t").str("\xE2\x82").u(0), C::InvalidUtf8);
    row("XmlElement name lone continuation",
        block(7, 0).byte(0x07).u(1).str("t").u(3).str("\x80").u(0), C::InvalidUtf8);
    row("Any string above U+10FFFF",
        block(7, 0).byte(0x28).u(1).str("m").str("k").u(1).byte(119).str("\xF4\x90\x80\x80").u(0),
        C::InvalidUtf8);
    row("Any object key overlong NUL",
        block(7, 0)
                .byte(0x28)
                .u(1)
                .str("m")
                .str("k")
                .u(1)
                .byte(118)
                .u(1)
                .str("\xC0\x80")
                .byte(126)
                .u(0),
        C::InvalidUtf8);
    row("ContentJSON element 0xFF", block(7, 0).byte(0x02).u(1).str("t").u(1).str("\xFF").u(0),
        C::InvalidUtf8);
    row("ContentFormat key 0xFF", block(7, 0).byte(0x06).u(1).str("t").str("\xFF").str("true").u(0),
        C::InvalidUtf8);
    row("ContentDoc guid CESU surrogate",
        block(7, 0).byte(0x09).u(1).str("t").str("\xED\xA0\xBD").byte(118).u(0).u(0),
        C::InvalidUtf8);

    // ---- delete set: 00 (no structs) then the delete set
    row("delete range clock+len past 2^53-1", Bytes().u(0).u(1).u(1).u(1).u(maxSafe - 1).u(2),
        C::IntegerOverflow);
    row("delete range of 2^53-1 from clock 1", Bytes().u(0).u(1).u(1).u(1).u(1).u(maxSafe),
        C::IntegerOverflow);
    row("delete range length 2^53", Bytes().u(0).u(1).u(1).u(1).u(0).u(pow2(53)),
        C::IntegerOverflow);
    // One range announced: clock 300 (ac 02), then the input ends before the length.
    row("delete range without its length", Bytes().u(0).u(1).u(1).u(1).u(300), C::UnexpectedEnd);
    // Empty ranges and clients without ranges are no-ops (readers must accept them).
    row("delete range of length 0", Bytes().u(0).u(1).u(1).u(1).u(2).u(0), C::None, empty);
    row("delete set client without ranges", Bytes().u(0).u(1).u(1).u(0), C::None, empty);
    // Unsorted, overlapping ranges of client 1: together they delete "hello" (clocks 0..4).
    row("unsorted overlapping delete ranges",
        Bytes().u(0).u(1).u(1).u(3).u(3).u(2).u(0).u(2).u(1).u(3), C::None,
        Bytes().u(0).u(1).u(1).u(1).u(0).u(5));
    // Beyond the known state: kept as a pending delete set.
    row("delete range beyond the state", Bytes().u(0).u(1).u(1).u(1).u(100).u(5), C::None);
    // Exactly up to 2^53-1: deletes all of client 1 and keeps [6, 2^53-1) pending.
    row("delete range up to 2^53-1", Bytes().u(0).u(1).u(1).u(1).u(0).u(maxSafe), C::None);

    // ---- trailing bytes: decodeUpdate stops after the delete set and ignores the rest, as
    // Yjs' readUpdate does (only StateVector::decode insists on the end of the input).
    row("trailing garbage", Bytes().raw(ref).byte(0xDE).byte(0xAD).byte(0xBE).byte(0xEF), C::None,
        ref);
    // Even a whole second update after the first is ignored.
    row("second update appended",
        Bytes().raw(ref).raw(block(7, 3).byte(0x84).u(7).u(2).str("d").u(0)), C::None, ref);

    // ---- nesting of Any values: bounded at depth 128, without recursion beyond that
    row("Any nested 100000 arrays", deepArrays(100000), C::NestingTooDeep);
    {
        Bytes b = block(7, 0).byte(0x28).u(1).str("m").str("deep").u(1);
        for (int i = 0; i < 100000; ++i) {
            b.byte(118).u(1).str(""); // object with one entry, key ""
        }
        row("Any nested 100000 objects", b.byte(127).u(0), C::NestingTooDeep);
    }
    {
        // 128 nested arrays that each declare 20000 elements (every count fits the rest of the
        // input) around 20000 `undefined`s: the innermost array is complete, its parent lacks
        // its second element. Reserving every declared count while descending would hold
        // 128 x 20000 values at once (100 MB for 20 kB).
        Bytes b = block(7, 0).byte(0x28).u(1).str("m").str("deep").u(1);
        for (int i = 0; i < 128; ++i) {
            b.byte(117).u(20000);
        }
        for (int i = 0; i < 20000; ++i) {
            b.byte(127);
        }
        row("Any arrays 128 deep, each declaring the whole input", b, C::UnexpectedEnd);
    }
    {
        // The same with objects (tag 118, entries "" -> value) declaring 10000 entries each.
        Bytes b = block(7, 0).byte(0x28).u(1).str("m").str("deep").u(1);
        for (int i = 0; i < 128; ++i) {
            b.byte(118).u(10000).str("");
        }
        b.byte(127); // the innermost object's first value (its key "" came with the header)
        for (int i = 1; i < 10000; ++i) {
            b.str("").byte(127);
        }
        row("Any objects 128 deep, each declaring the whole input", b, C::UnexpectedEnd);
    }
    row("Any nested 129 arrays", deepArrays(129), C::NestingTooDeep);
    row("Any nested 128 arrays", deepArrays(128), C::None);
    {
        // Subdocument options nested too deep.
        Bytes b = block(7, 0).byte(0x09).u(1).str("t").str("guid");
        for (int i = 0; i < 100000; ++i) {
            b.byte(117).u(1);
        }
        row("ContentDoc options nested 100000 deep", b.byte(127).u(0), C::NestingTooDeep);
    }

    // ---- well-formed but hostile: accepted, and the document must stay consistent
    // origin "l" (1,3) lies right of rightOrigin "e" (1,1).
    row("rightOrigin left of origin", block(7, 0).byte(0xC4).u(1).u(3).u(1).u(1).str("X").u(0),
        C::None);
    row("origin equals rightOrigin", block(7, 0).byte(0xC4).u(1).u(2).u(1).u(2).str("X").u(0),
        C::None);
    // Neighbours in two different types (text "l", map entry "k"): cannot be placed, GC.
    row("neighbours in different types", block(7, 0).byte(0xC4).u(1).u(2).u(1).u(5).str("X").u(0),
        C::None);
    // A GC run over clocks 3..12 of client 1: only the unknown part 6..12 is new.
    row("GC overlapping known clocks", block(1, 3).byte(0x00).u(10).u(0), C::None,
        block(1, 6).byte(0x00).u(7).u(0));
    // Known clocks re-sent with other content are skipped.
    row("known clocks with other content", block(1, 0).byte(0x04).u(1).str("t").str("HELLO").u(0),
        C::None, empty);
    // Clocks 4..6 of client 1: 4..5 are known; the new part's left neighbour (1,5) is the map
    // entry, not in text "t", so it cannot be placed and becomes GC.
    row("partially known item next to another type",
        block(1, 4).byte(0x04).u(1).str("t").str("xyz").u(0), C::None,
        block(1, 6).byte(0x00).u(1).u(0));
    // The doc's own client id continuing its clock (another session with the same id).
    row("own client continues", block(1, 6).byte(0x84).u(1).u(4).str("!").u(0), C::None);
    // Two blocks of client 7: the later one replaces the earlier (Yjs' Map.set).
    row("repeated client block",
        Bytes().u(2)
                .u(1)
                .u(7)
                .u(0)
                .byte(0x04)
                .u(1)
                .str("t")
                .str("abc")
                .u(1)
                .u(7)
                .u(0)
                .byte(0x00)
                .u(2)
                .u(0),
        C::None, block(7, 0).byte(0x00).u(2).u(0));
    // A Skip is never integrated, even after a gap.
    row("Skip after a gap", block(7, 5).byte(0x0A).u(3).u(0), C::None, empty);
    // A Skip followed by an item in the same block: the item waits for clocks 0..1.
    row("Skip then an item",
        block(7, 0, 2).byte(0x0A).u(2).byte(0x04).u(1).str("t").str("abc").u(0), C::None);
    // Client 8's item has its origin inside client 7's GC range: it is collected too.
    row("origin inside a GC range",
        Bytes().u(2).u(1).u(8).u(0).byte(0x84).u(7).u(1).str("X").u(1).u(7).u(0).byte(0x00).u(3).u(
                0),
        C::None, Bytes().u(2).u(1).u(8).u(0).byte(0x00).u(1).u(1).u(7).u(0).byte(0x00).u(3).u(0));
    // Client 8's map entry lives in the type (7,0), which arrives as a GC range.
    row("parent type is a GC range",
        Bytes().u(2)
                .u(1)
                .u(8)
                .u(0)
                .byte(0x28)
                .u(0)
                .u(7)
                .u(0)
                .str("a")
                .u(1)
                .byte(120)
                .u(1)
                .u(7)
                .u(0)
                .byte(0x00)
                .u(1)
                .u(0),
        C::None, Bytes().u(2).u(1).u(8).u(0).byte(0x00).u(1).u(1).u(7).u(0).byte(0x00).u(1).u(0));
    // A value for map key "k" inserted left of the current value "v" (rightOrigin (1,5)):
    // it is not the newest, so it is deleted at once and "v" stays.
    row("map value left of the current one",
        block(7, 0).byte(0x68).u(1).u(5).u(1).byte(119).str("w").u(0), C::None);
    // A Y.Map nested in text "t" (7,0) with entry "a" = true (7,1), and the type deleted in
    // the same update's delete set.
    row("nested type deleted with its child",
        block(7, 0, 2)
                .byte(0x07)
                .u(1)
                .str("t")
                .u(1)
                .byte(0x28)
                .u(0)
                .u(7)
                .u(0)
                .str("a")
                .u(1)
                .byte(120)
                .u(1)
                .u(7)
                .u(1)
                .u(0)
                .u(1),
        C::None);
    // Client ids are not limited to 32 bits on the wire.
    row("client id 2^53-1", block(maxSafe, 0).byte(0x04).u(1).str("t").str("abc").u(0), C::None);
    row("client id 0", block(0, 0).byte(0x04).u(1).str("t").str("abc").u(0), C::None);
}

void tst_Malformed::malformed()
{
    QFETCH(QByteArray, update);
    QFETCH(int, expected);
    QFETCH(QByteArray, equivalent);
    verifyUpdate(update, {DecodeErrorCode(expected)}, equivalent);
}

void tst_Malformed::truncated_data()
{
    QTest::addColumn<QByteArray>("update");
    QTest::addColumn<bool>("complete");
    const QByteArray full = toBytes(realUpdate());
    // Every prefix, including the empty one, and the whole update as control.
    for (qsizetype n = 0; n <= full.size(); ++n) {
        QTest::addRow("cut at %lld of %lld", qlonglong(n), qlonglong(full.size()))
                << full.left(n) << (n == full.size());
    }
}

void tst_Malformed::truncated()
{
    QFETCH(QByteArray, update);
    QFETCH(bool, complete);
    if (complete) {
        verifyUpdate(update, {DecodeErrorCode::None}, {});
        return;
    }
    // A strict prefix is never a valid shorter update: every read depends only on the bytes
    // before it, so decoding a prefix reads the same fields as decoding the whole update, and
    // that consumes all of its bytes (the update carries no trailing data). The prefix runs
    // out inside some field: either a read hits the end or a declared count/length is found
    // to exceed what is left.
    verifyUpdate(update, {DecodeErrorCode::UnexpectedEnd, DecodeErrorCode::LengthTooLarge}, {});
}

QTEST_APPLESS_MAIN(tst_Malformed)
#include "tst_malformed.moc"
