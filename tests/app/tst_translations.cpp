// SPDX-License-Identifier: GPL-3.0-or-later
// The German, French and Spanish translations: the .ts files are complete and well-formed
// (no unfinished or empty entries, the right number of plural forms, placeholders, accelerators
// and ellipses kept), they match the sources as they are now (lupdate finds nothing new and
// nothing gone), and the real binary speaks the language chosen by --lang or the system locale,
// Qt's own strings included; an unknown --lang is reported and English is used.

#include "app/translations.h"

#include <QDir>
#include <QFile>
#include <QLibraryInfo>
#include <QMap>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>
#include <QTranslator>
#include <QXmlStreamReader>

using namespace Tandem::App;

namespace {

struct Message
{
    QString context, source, comment, type, translation;
    bool numerus = false;
    QStringList forms;
    bool active() const
    {
        return type != QLatin1String("vanished") && type != QLatin1String("obsolete");
    }
    QString key() const
    {
        return context + QLatin1String(" | ") + source + QLatin1String(" | ") + comment;
    }
};

struct TsFile
{
    QString language, sourceLanguage, error;
    QList<Message> messages;
};

TsFile readTs(const QString &path)
{
    TsFile ts;
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        ts.error = file.errorString();
        return ts;
    }
    QXmlStreamReader xml(&file);
    QString context;
    Message m;
    while (!xml.atEnd()) {
        xml.readNext();
        if (!xml.isStartElement()) {
            if (xml.isEndElement() && xml.name() == QLatin1String("message")) {
                ts.messages << m;
            }
            continue;
        }
        const auto name = xml.name();
        if (name == QLatin1String("TS")) {
            ts.language = xml.attributes().value(QLatin1String("language")).toString();
            ts.sourceLanguage = xml.attributes().value(QLatin1String("sourcelanguage")).toString();
        } else if (name == QLatin1String("name")) {
            context = xml.readElementText();
        } else if (name == QLatin1String("message")) {
            m = Message();
            m.context = context;
            m.numerus = xml.attributes().value(QLatin1String("numerus")) == QLatin1String("yes");
        } else if (name == QLatin1String("source")) {
            m.source = xml.readElementText();
        } else if (name == QLatin1String("comment")) {
            m.comment = xml.readElementText();
        } else if (name == QLatin1String("translation")) {
            m.type = xml.attributes().value(QLatin1String("type")).toString();
            if (!m.numerus) {
                m.translation = xml.readElementText();
            }
        } else if (name == QLatin1String("numerusform")) {
            m.forms << xml.readElementText();
        }
    }
    if (xml.hasError()) {
        ts.error = QStringLiteral("%1:%2: %3")
                           .arg(path)
                           .arg(xml.lineNumber())
                           .arg(xml.errorString());
    }
    return ts;
}

QString tsPath(const QString &language)
{
    return QStringLiteral(TANDEM_SOURCE_DIR "/translations/tandem_%1.ts").arg(language);
}

/// %1…%99 and %n, sorted (a translation may reorder them).
QStringList placeholders(const QString &s)
{
    static const QRegularExpression re(QStringLiteral("%(\\d+|n)"));
    QStringList result;
    for (auto it = re.globalMatch(s); it.hasNext();) {
        result << it.next().captured();
    }
    result.sort();
    return result;
}

/// Keyboard accelerators: & before a letter or digit (&& is a literal ampersand).
int accelerators(const QString &s)
{
    int count = 0;
    for (qsizetype i = 0; i + 1 < s.size(); ++i) {
        if (s.at(i) == QLatin1Char('&')) {
            if (s.at(i + 1) == QLatin1Char('&')) {
                ++i;
            } else if (s.at(i + 1).isLetterOrNumber()) {
                ++count;
            }
        }
    }
    return count;
}

struct Result
{
    int code = -1;
    QString out, err;
};

/// Runs the tandem binary with a controlled locale environment (@p lang is LANG; LANGUAGE, LC_ALL
/// and LC_MESSAGES are cleared unless given in @p extraEnv).
Result run(const QStringList &args, const QString &lang = QStringLiteral("en_US.UTF-8"),
           const QStringList &extraEnv = {})
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (const char *var : {"LANGUAGE", "LC_ALL", "LC_MESSAGES"}) {
        env.remove(QLatin1String(var));
    }
    env.insert(QStringLiteral("LANG"), lang);
    for (const QString &kv : extraEnv) {
        env.insert(kv.section(QLatin1Char('='), 0, 0), kv.section(QLatin1Char('='), 1));
    }
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(QStringLiteral(TANDEM_BINARY), args);
    Result r;
    if (!p.waitForFinished(30000)) {
        p.kill();
        p.waitForFinished();
        r.err = QStringLiteral("timed out");
        return r;
    }
    r.code = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
    // Help text is wrapped at word boundaries: compare with whitespace collapsed.
    r.out = QString::fromUtf8(p.readAllStandardOutput()).simplified();
    r.err = QString::fromUtf8(p.readAllStandardError()).simplified();
    return r;
}

} // namespace

class tst_Translations : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        for (const QString &language : translatedLanguages()) {
            m_ts[language] = readTs(tsPath(language));
            QVERIFY2(m_ts[language].error.isEmpty(), qPrintable(m_ts[language].error));
            QVERIFY2(m_ts[language].messages.size() > 50, qPrintable(tsPath(language)));
        }
    }

    void tsFileIsComplete_data()
    {
        QTest::addColumn<QString>("language");
        QTest::addColumn<int>("pluralForms");
        // Qt's plural rules (lrelease): German, French and Spanish each have two forms.
        QTest::newRow("de") << QStringLiteral("de") << 2;
        QTest::newRow("fr") << QStringLiteral("fr") << 2;
        QTest::newRow("es") << QStringLiteral("es") << 2;
    }
    void tsFileIsComplete()
    {
        QFETCH(QString, language);
        QFETCH(int, pluralForms);
        const TsFile &ts = m_ts[language];
        QVERIFY2(ts.language.startsWith(language), qPrintable(ts.language));
        QStringList problems;
        QSet<QString> keys;
        int active = 0;
        for (const Message &m : ts.messages) {
            if (!m.active()) {
                continue;
            }
            ++active;
            const QString where = m.context + QLatin1String(": \"") + m.source + QLatin1Char('"');
            if (keys.contains(m.key())) {
                problems << QLatin1String("duplicate ") + where;
            }
            keys.insert(m.key());
            // lupdate-generated contexts are class names; unqualified ones mean lupdate ran
            // without -I and could not see the namespaces: they would never match at runtime.
            if (m.context != QLatin1String("main")
                && !m.context.startsWith(QLatin1String("Tandem::"))) {
                problems << QLatin1String("unexpected context (lupdate without -I?) ") + where;
            }
            if (!m.type.isEmpty()) {
                problems << m.type + QLatin1Char(' ') + where;
                continue;
            }
            const QStringList texts = m.numerus ? m.forms : QStringList {m.translation};
            if (m.numerus && m.forms.size() != pluralForms) {
                problems << QStringLiteral("%1 plural forms instead of %2 for ")
                                        .arg(m.forms.size())
                                        .arg(pluralForms)
                                + where;
            }
            for (const QString &t : texts) {
                if (t.trimmed().isEmpty()) {
                    problems << QLatin1String("empty translation of ") + where;
                    continue;
                }
                if (placeholders(t) != placeholders(m.source)) {
                    problems << QStringLiteral("placeholders differ in \"%1\" for ").arg(t) + where;
                }
                if (accelerators(t) != accelerators(m.source)) {
                    problems << QStringLiteral("accelerators differ in \"%1\" for ").arg(t) + where;
                }
                if (m.source.contains(QChar(0x2026)) != t.contains(QChar(0x2026))
                    || (t.contains(QLatin1String("..."))
                        && !m.source.contains(QLatin1String("...")))) {
                    problems << QStringLiteral("ellipsis (…) differs in \"%1\" for ").arg(t)
                                    + where;
                }
                if (m.source.endsWith(QLatin1Char('\n')) != t.endsWith(QLatin1Char('\n'))) {
                    problems << QStringLiteral("trailing newline differs in \"%1\" for ").arg(t)
                                    + where;
                }
            }
        }
        QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char('\n'))));
        QVERIFY(active > 50);
    }

    /// lupdate over the sources as they are now, into copies of the .ts files: every tr() string is
    /// already there (translated), and every string there is still used.
    void tsFilesMatchTheSources()
    {
        if (!QFile::exists(QStringLiteral(TANDEM_LUPDATE))) {
            QSKIP("lupdate not found");
        }
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QStringList args = {QStringLiteral("-locations"),
                            QStringLiteral("none"),
                            QStringLiteral("-source-language"),
                            QStringLiteral("en"),
                            QStringLiteral("-I"),
                            QStringLiteral(TANDEM_SOURCE_DIR)};
        for (const char *sub : {"core", "ui", "app"}) {
            args << QStringLiteral(TANDEM_SOURCE_DIR "/") + QLatin1String(sub);
        }
        args << QStringLiteral("-ts");
        for (const QString &language : translatedLanguages()) {
            const QString copy = dir.filePath(QFileInfo(tsPath(language)).fileName());
            QVERIFY(QFile::copy(tsPath(language), copy));
            args << copy;
        }
        QProcess lupdate;
        lupdate.start(QStringLiteral(TANDEM_LUPDATE), args);
        QVERIFY(lupdate.waitForFinished(60000));
        QVERIFY2(lupdate.exitStatus() == QProcess::NormalExit && lupdate.exitCode() == 0,
                 lupdate.readAllStandardError().constData());

        QStringList problems;
        for (const QString &language : translatedLanguages()) {
            const TsFile updated = readTs(dir.filePath(QFileInfo(tsPath(language)).fileName()));
            QVERIFY2(updated.error.isEmpty(), qPrintable(updated.error));
            QMap<QString, Message> before, after;
            for (const Message &m : m_ts[language].messages) {
                before.insert(m.key(), m);
            }
            for (const Message &m : updated.messages) {
                after.insert(m.key(), m);
            }
            for (const Message &m : updated.messages) {
                const auto old = before.constFind(m.key());
                if (m.active() && (old == before.cend() || !old->active())) {
                    problems << QStringLiteral("%1: new in the sources, not in the .ts: %2")
                                        .arg(language, m.key());
                } else if (!m.active() && old != before.cend() && old->active()) {
                    problems << QStringLiteral("%1: in the .ts, gone from the sources: %2")
                                        .arg(language, m.key());
                }
            }
        }
        QVERIFY2(problems.isEmpty(),
                 qPrintable(QLatin1String("Run `cmake --build build --target update_translations` "
                                          "and translate (see app/CMakeLists.txt):\n")
                            + problems.join(QLatin1Char('\n'))));
    }

    /// lrelease's plural rules pick the forms in the order they were written in: French uses
    /// the singular for 0, German and Spanish the plural.
    void pluralFormsMatchTheLanguage_data()
    {
        QTest::addColumn<QString>("language");
        QTest::addColumn<int>("n");
        QTest::addColumn<int>("form");
        for (const QString &l : translatedLanguages()) {
            QTest::addRow("%s 1", qPrintable(l)) << l << 1 << 0;
            QTest::addRow("%s 2", qPrintable(l)) << l << 2 << 1;
            QTest::addRow("%s 21", qPrintable(l)) << l << 21 << 1;
            QTest::addRow("%s 0", qPrintable(l)) << l << 0 << (l == QLatin1String("fr") ? 0 : 1);
        }
    }
    void pluralFormsMatchTheLanguage()
    {
        QFETCH(QString, language);
        QFETCH(int, n);
        QFETCH(int, form);
        QTranslator translator;
        QVERIFY(translator.load(QLatin1String("tandem_") + language,
                                QStringLiteral(TANDEM_QM_DIR)));
        int checked = 0;
        for (const Message &m : m_ts[language].messages) {
            if (!m.numerus || !m.active()) {
                continue;
            }
            ++checked;
            const QByteArray context = m.context.toUtf8(), source = m.source.toUtf8(),
                             comment = m.comment.toUtf8();
            const QString got
                    = translator.translate(context.constData(), source.constData(),
                                           comment.isEmpty() ? nullptr : comment.constData(), n);
            QCOMPARE(got, m.forms.value(form));
        }
        QVERIFY(checked > 0);
    }

    void chooseLanguage_data()
    {
        QTest::addColumn<QString>("override");
        QTest::addColumn<QStringList>("uiLanguages");
        QTest::addColumn<QString>("language");
        QTest::addColumn<bool>("unknown");
        const QStringList german = {QStringLiteral("de-DE"), QStringLiteral("de")};
        QTest::newRow("system German") << QString() << german << QStringLiteral("de") << false;
        QTest::newRow("system French (Canada)")
                << QString() << QStringList {QStringLiteral("fr-CA")} << QStringLiteral("fr")
                << false;
        QTest::newRow("system Spanish (Mexico)")
                << QString() << QStringList {QStringLiteral("es-MX")} << QStringLiteral("es")
                << false;
        QTest::newRow("system English first")
                << QString() << QStringList {QStringLiteral("en-GB"), QStringLiteral("de-DE")}
                << QString() << false;
        QTest::newRow("system Italian, then French")
                << QString() << QStringList {QStringLiteral("it-IT"), QStringLiteral("fr-FR")}
                << QStringLiteral("fr") << false;
        QTest::newRow("system Japanese only")
                << QString() << QStringList {QStringLiteral("ja-JP")} << QString() << false;
        QTest::newRow("system C") << QString() << QStringList {QStringLiteral("C")} << QString()
                                  << false;
        QTest::newRow("override es")
                << QStringLiteral("es") << german << QStringLiteral("es") << false;
        QTest::newRow("override fr_BE")
                << QStringLiteral("fr_BE") << german << QStringLiteral("fr") << false;
        QTest::newRow("override DE-at")
                << QStringLiteral("DE-at") << QStringList() << QStringLiteral("de") << false;
        QTest::newRow("override en") << QStringLiteral("en") << german << QString() << false;
        QTest::newRow("override unknown") << QStringLiteral("xx") << german << QString() << true;
        QTest::newRow("override Klingon name")
                << QStringLiteral("klingon") << german << QString() << true;
        QTest::newRow("override untranslated it")
                << QStringLiteral("it") << german << QString() << true;
    }
    void chooseLanguage()
    {
        QFETCH(QString, override);
        QFETCH(QStringList, uiLanguages);
        QFETCH(QString, language);
        QFETCH(bool, unknown);
        const LanguageChoice choice = Tandem::App::chooseLanguage(override, uiLanguages);
        QCOMPARE(choice.language, language);
        QCOMPARE(choice.unknownOverride, unknown);
    }

    void langArgument()
    {
        const auto list = [](const char *s) {
            return QString::fromUtf8(s).split(QLatin1Char(' '), Qt::SkipEmptyParts);
        };
        QCOMPARE(Tandem::App::langArgument(list("tandem --lang de --help")), QStringLiteral("de"));
        QCOMPARE(Tandem::App::langArgument(list("tandem cat --help --lang=fr")),
                 QStringLiteral("fr"));
        QCOMPARE(Tandem::App::langArgument(list("tandem --lang de --lang es")),
                 QStringLiteral("es"));
        QCOMPARE(Tandem::App::langArgument(list("tandem --help")), QString());
        QCOMPARE(Tandem::App::langArgument(list("tandem --lang")), QString());
        QCOMPARE(Tandem::App::langArgument(list("tandem -- --lang de")), QString());
        QCOMPARE(Tandem::App::withoutLangArgument(list("tandem cat ws://h/r --lang de --note x")),
                 list("tandem cat ws://h/r --note x"));
        QCOMPARE(Tandem::App::withoutLangArgument(list("tandem cat --lang=es ws://h/r")),
                 list("tandem cat ws://h/r"));
        QCOMPARE(Tandem::App::withoutLangArgument(list("tandem import u -- --lang")),
                 list("tandem import u -- --lang"));
    }

    void helpIsTranslated_data()
    {
        QTest::addColumn<QString>("language");
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("context");
        QTest::addColumn<QString>("source");
        for (const QString &l : translatedLanguages()) {
            QTest::addRow("tandem --lang %s --help", qPrintable(l))
                    << l << QStringList {QStringLiteral("--lang"), l, QStringLiteral("--help")}
                    << QStringLiteral("main") << QStringLiteral("Real-time collaborative notes.");
            QTest::addRow("tandem --help --lang=%s (option list)", qPrintable(l))
                    << l << QStringList {QStringLiteral("--help"), QLatin1String("--lang=") + l}
                    << QStringLiteral("main") << QStringLiteral("Host rooms without a window.");
            QTest::addRow("tandem cat --help --lang %s", qPrintable(l))
                    << l
                    << QStringList {QStringLiteral("cat"), QStringLiteral("--help"),
                                    QStringLiteral("--lang"), l}
                    << QStringLiteral("Tandem::App") << QStringLiteral("cat, export or import");
        }
    }
    void helpIsTranslated()
    {
        QFETCH(QString, language);
        QFETCH(QStringList, args);
        QFETCH(QString, context);
        QFETCH(QString, source);
        QString expected;
        for (const Message &m : m_ts[language].messages) {
            if (m.active() && m.context == context && m.source == source) {
                expected = m.translation.simplified();
            }
        }
        QVERIFY2(!expected.isEmpty() && expected != source.simplified(), qPrintable(source));
        const Result r = run(args);
        QCOMPARE(r.code, 0);
        QVERIFY2(r.out.contains(expected), qPrintable(r.out));
        QVERIFY2(!r.out.contains(source.simplified()), qPrintable(r.out));
        QVERIFY2(!r.err.contains(QLatin1String("unknown language")), qPrintable(r.err));

        // Qt's own strings (QCommandLineParser's) come from qtbase_<lang>.qm, which translates
        // some of them (French and Spanish lack "Displays help on commandline options.").
        QTranslator qt;
        if (!qt.load(QLatin1String("qtbase_") + language,
                     QLibraryInfo::path(QLibraryInfo::TranslationsPath))) {
            qWarning("qtbase_%s.qm is not installed (qt6-translations-l10n): Qt's own strings "
                     "stay in English",
                     qPrintable(language));
            return;
        }
        int checked = 0;
        for (const char *qtSource :
             {"Options:", "Arguments:", "Displays help on commandline options."}) {
            const QString qtText = qt.translate("QCommandLineParser", qtSource).simplified();
            if (!qtText.isEmpty()) {
                ++checked;
                QVERIFY2(r.out.contains(qtText),
                         qPrintable(qtText + QLatin1String(" in ") + r.out));
                QVERIFY2(!r.out.contains(QLatin1String(qtSource)), qPrintable(r.out));
            }
        }
        QVERIFY(checked > 0);
    }

    void systemLocaleChoosesTheLanguage()
    {
        const QString description = QStringLiteral("Real-time collaborative notes.");
        const auto translation = [this, &description](const QString &language) {
            for (const Message &m : m_ts[language].messages) {
                if (m.context == QLatin1String("main") && m.source == description) {
                    return m.translation;
                }
            }
            return QString();
        };
        for (const QString &language : translatedLanguages()) {
            QVERIFY(!translation(language).isEmpty());
            QVERIFY(translation(language) != description);
        }
        Result r = run({QStringLiteral("--help")}, QStringLiteral("de_DE.UTF-8"));
        QVERIFY2(r.out.contains(translation(QStringLiteral("de"))), qPrintable(r.out));
        r = run({QStringLiteral("--help")}, QStringLiteral("en_US.UTF-8"),
                {QStringLiteral("LC_MESSAGES=es_ES.UTF-8")});
        QVERIFY2(r.out.contains(translation(QStringLiteral("es"))), qPrintable(r.out));
        r = run({QStringLiteral("--help")}, QStringLiteral("fr_CA.UTF-8"));
        QVERIFY2(r.out.contains(translation(QStringLiteral("fr"))), qPrintable(r.out));
        r = run({QStringLiteral("--help")}, QStringLiteral("it_IT.UTF-8"));
        QVERIFY2(r.out.contains(description), qPrintable(r.out));
        // --lang wins over the system locale.
        r = run({QStringLiteral("--help"), QStringLiteral("--lang"), QStringLiteral("en")},
                QStringLiteral("de_DE.UTF-8"));
        QVERIFY2(r.out.contains(description), qPrintable(r.out));
        QVERIFY2(r.err.isEmpty() || !r.err.contains(QLatin1String("unknown language")),
                 qPrintable(r.err));
    }

    void unknownLangIsReportedAndEnglishUsed()
    {
        Result r = run({QStringLiteral("--lang"), QStringLiteral("xx"), QStringLiteral("--help")},
                       QStringLiteral("de_DE.UTF-8"));
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains(QLatin1String(
                         "tandem: unknown language \"xx\" for --lang (available: de, en, es, fr); "
                         "continuing in English.")),
                 qPrintable(r.err));
        QVERIFY2(r.out.contains(QLatin1String("Real-time collaborative notes.")),
                 qPrintable(r.out));
        QVERIFY2(r.out.contains(QLatin1String("Displays help on commandline options.")),
                 qPrintable(r.out));
        // The scripting commands accept --lang too (their own parser never sees it).
        r = run({QStringLiteral("cat"), QStringLiteral("--lang=xx"), QStringLiteral("--help")});
        QCOMPARE(r.code, 0);
        QVERIFY2(r.err.contains(QLatin1String("unknown language \"xx\"")), qPrintable(r.err));
        QVERIFY2(r.out.contains(QLatin1String("cat, export or import")), qPrintable(r.out));
    }

private:
    QMap<QString, TsFile> m_ts;
};

QTEST_GUILESS_MAIN(tst_Translations)
#include "tst_translations.moc"
