// SPDX-License-Identifier: GPL-3.0-or-later
// The bundled icons (resources/): every one is compiled in under :/icons (linked through
// tandem_ui, with no Q_INIT_RESOURCE), and renders through Qt's svg plugins at menu, toolbar
// and large sizes into something visible, not an empty or fully transparent picture.

#include <QApplication>
#include <QFile>
#include <QIcon>
#include <QImage>
#include <QImageReader>
#include <QPixmap>
#include <QRegularExpression>
#include <QTest>

#include "resources/icons.h"

using namespace Tandem;

namespace {

const char *const iconNames[] = {
        "tandem",
        "note-new",
        "note-rename",
        "note-delete",
        "room-join",
        "room-host",
        "import",
        "export",
        "undo",
        "redo",
        "find-replace",
        "copy",
        "status-connected",
        "status-connecting",
        "status-offline",
        "status-refused",
};

/// Pixels that are not (almost) fully transparent.
int visiblePixels(const QImage &image)
{
    const QImage argb = image.convertToFormat(QImage::Format_ARGB32);
    int count = 0;
    for (int y = 0; y < argb.height(); ++y) {
        const auto *line = reinterpret_cast<const QRgb *>(argb.constScanLine(y));
        for (int x = 0; x < argb.width(); ++x) {
            count += qAlpha(line[x]) > 16 ? 1 : 0;
        }
    }
    return count;
}

} // namespace

class tst_Resources : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QImageReader::supportedImageFormats().contains("svg"),
                 "Qt's svg image format plugin is missing (Debian: libqt6svg6)");
    }

    void icon_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<int>("size");
        for (const char *name : iconNames) {
            for (const int size : {16, 24, 48}) {
                QTest::addRow("%s@%d", name, size) << QString::fromLatin1(name) << size;
            }
        }
    }

    void icon()
    {
        QFETCH(QString, name);
        QFETCH(int, size);
        const QString path = Resources::iconPath(name);
        QCOMPARE(path, QStringLiteral(":/icons/") + name + QStringLiteral(".svg"));
        QVERIFY2(QFile::exists(path), qPrintable(path + QStringLiteral(" is not compiled in")));

        // The image plugin (QPixmap, QImageReader), scaled as a style would.
        QImageReader reader(path);
        QCOMPARE(reader.format(), QByteArray("svg"));
        QCOMPARE(reader.size(), QSize(24, 24));
        reader.setScaledSize(QSize(size, size));
        const QImage image = reader.read();
        QVERIFY2(!image.isNull(), qPrintable(reader.errorString()));
        QCOMPARE(image.size(), QSize(size, size));
        QVERIFY2(image.hasAlphaChannel(), "an icon must keep its transparent background");
        const int visible = visiblePixels(image);
        QVERIFY2(visible >= size * size / 10,
                 qPrintable(QStringLiteral("only %1 visible pixels").arg(visible)));
        QVERIFY2(visible < size * size, "an icon must not be an opaque square");

        // The icon engine (QIcon, as menus and tool buttons use it).
        const QIcon icon = Resources::icon(name);
        QVERIFY(!icon.isNull());
        const QPixmap pixmap = icon.pixmap(QSize(size, size));
        QVERIFY(!pixmap.isNull());
        QCOMPARE(pixmap.size(), QSize(size, size) * pixmap.devicePixelRatio());
        QVERIFY(visiblePixels(pixmap.toImage()) >= size * size / 10);

        const QPixmap direct(path);
        QVERIFY(!direct.isNull());
    }

    void unknownIconIsNull()
    {
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("no-such-icon")));
        QVERIFY(Resources::icon(u"no-such-icon").pixmap(QSize(16, 16)).isNull());
    }
};

QTEST_MAIN(tst_Resources)
#include "tst_resources.moc"
