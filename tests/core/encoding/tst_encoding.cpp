// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/encoding/any.h"
#include "core/encoding/json.h"
#include "core/encoding/utf.h"

#include <QTest>

using namespace Tandem::Encoding;

class tst_Encoding : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void utf8Rejects_data();
    void utf8Rejects();
    void loneSurrogateBecomesReplacement();
    void varUintLimits();
    void declaredLengthBeyondInput();
    void anyNestingIsBounded();
    void jsonKeepsKeyOrder();
};

void tst_Encoding::utf8Rejects_data()
{
    QTest::addColumn<QByteArray>("bytes");
    QTest::newRow("lone continuation") << QByteArray("\x80", 1);
    QTest::newRow("overlong slash") << QByteArray("\xC0\xAF", 2);
    QTest::newRow("surrogate as UTF-8 (CESU)") << QByteArray("\xED\xA0\xBD", 3);
    QTest::newRow("truncated 3-byte") << QByteArray("\xE2\x82", 2);
    QTest::newRow("above U+10FFFF") << QByteArray("\xF4\x90\x80\x80", 4);
    QTest::newRow("invalid lead byte") << QByteArray("\xFF", 1);
}

void tst_Encoding::utf8Rejects()
{
    QFETCH(QByteArray, bytes);
    std::u16string out;
    QVERIFY(!fromUtf8(std::string_view(bytes.constData(), size_t(bytes.size())), out));
    // Inside a message the decoder reports it with the string's offset.
    std::vector<uint8_t> msg {uint8_t(bytes.size())};
    msg.insert(msg.end(), bytes.begin(), bytes.end());
    Decoder d(msg);
    d.readVarString();
    QCOMPARE(d.error().code, DecodeErrorCode::InvalidUtf8);
    QCOMPARE(d.error().offset, size_t(0));
}

void tst_Encoding::loneSurrogateBecomesReplacement()
{
    Encoder e;
    e.writeVarString(u"a\xD83D"
                     u"b");
    const std::vector<uint8_t> expected {5, 'a', 0xEF, 0xBF, 0xBD, 'b'};
    QCOMPARE(std::vector<uint8_t>(e.data().begin(), e.data().end()), expected);
    QCOMPARE(utf8Length(u"a\xD83D"
                        u"b"),
             size_t(5));
}

void tst_Encoding::varUintLimits()
{
    const std::vector<uint8_t> max {0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F}; // 2^53-1
    Decoder ok(max);
    QCOMPARE(ok.readVarUint(), (uint64_t(1) << 53) - 1);
    QVERIFY(ok.ok());
    const std::vector<uint8_t> tooBig {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10}; // 2^53
    Decoder big(tooBig);
    big.readVarUint();
    QCOMPARE(big.error().code, DecodeErrorCode::IntegerOverflow);
    const std::vector<uint8_t> endless(12, 0xFF);
    Decoder runaway(endless);
    runaway.readVarUint();
    QVERIFY(!runaway.ok());
}

void tst_Encoding::declaredLengthBeyondInput()
{
    // A 6-byte message claiming a 2^32-byte string must fail without allocating it.
    const std::vector<uint8_t> msg {0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 'x'};
    Decoder d(msg);
    d.readVarBytes();
    QCOMPARE(d.error().code, DecodeErrorCode::LengthTooLarge);
    // Same for an array of 2^32 values.
    const std::vector<uint8_t> arr {117, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
    Decoder a(arr);
    Any::decode(a);
    QCOMPARE(a.error().code, DecodeErrorCode::LengthTooLarge);
}

void tst_Encoding::anyNestingIsBounded()
{
    std::vector<uint8_t> deep;
    for (int i = 0; i < 100000; ++i) {
        deep.push_back(117); // array
        deep.push_back(1); // of one element
    }
    deep.push_back(126);
    Decoder d(deep);
    Any::decode(d);
    QCOMPARE(d.error().code, DecodeErrorCode::NestingTooDeep);
}

void tst_Encoding::jsonKeepsKeyOrder()
{
    const auto v = parseJson(R"({"b":1,"a":[true,null,"x\u00e9"],"2":0,"1":-0.5})");
    QVERIFY(v);
    // Array-index keys first, ascending (JS object semantics), then insertion order.
    QCOMPARE(QString::fromStdString(v->toJson()),
             QStringLiteral("{\"1\":-0.5,\"2\":0,\"b\":1,\"a\":[true,null,\"x\u00e9\"]}"));
    QVERIFY(!parseJson("{\"a\":1,}"));
    QVERIFY(!parseJson("[1 2]"));
}

QTEST_APPLESS_MAIN(tst_Encoding)
#include "tst_encoding.moc"
