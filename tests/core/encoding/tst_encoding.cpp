// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/encoding/any.h"
#include "core/encoding/utf.h"

#include <QTest>

using namespace Tandem::Encoding;

class tst_Encoding : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void placeholder() { QVERIFY(true); }
};

QTEST_APPLESS_MAIN(tst_Encoding)
#include "tst_encoding.moc"
