// SPDX-License-Identifier: GPL-3.0-or-later
#include "app/translations.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QLocale>
#include <QRegularExpression>
#include <QTextStream>
#include <QTranslator>

namespace Tandem::App {

namespace {

const QString langName = QStringLiteral("lang");

/// The scripting commands (app/cli.cpp) translate through a file-local `tr()` that uses the
/// context "cli", but lupdate files those strings under the enclosing namespace, "Tandem::App".
/// This translator looks them up there too, so `tandem cat --help` is translated either way.
class TandemTranslator : public QTranslator
{
public:
    using QTranslator::QTranslator;
    QString translate(const char *context, const char *sourceText,
                      const char *disambiguation = nullptr, int n = -1) const override
    {
        QString result = QTranslator::translate(context, sourceText, disambiguation, n);
        if (result.isNull() && context && !qstrcmp(context, "cli")) {
            result = QTranslator::translate("Tandem::App", sourceText, disambiguation, n);
        }
        return result;
    }
};

/// "de_AT", "de-DE", "DE", "de.UTF-8" → "de".
QString primaryLanguage(const QString &code)
{
    static const QRegularExpression separator(QStringLiteral("[-_.@]"));
    return code.section(separator, 0, 0).trimmed().toLower();
}

bool installQm(QCoreApplication &app, QTranslator *translator, const QString &file,
               const QString &dir)
{
    if (translator->load(file, dir)) {
        app.installTranslator(translator);
        return true;
    }
    delete translator;
    return false;
}

} // namespace

QStringList translatedLanguages()
{
    return {QStringLiteral("de"), QStringLiteral("es"), QStringLiteral("fr")};
}

QCommandLineOption langOption()
{
    return {langName,
            QCoreApplication::translate(
                    "main", "Language of the interface: de, en, es or fr (default: the system's)."),
            QStringLiteral("code")};
}

QString langArgument(const QStringList &arguments)
{
    QString value;
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (arg == QLatin1String("--")) {
            break; // the rest are positional arguments
        }
        if (arg == QLatin1String("--lang")) {
            if (i + 1 < arguments.size()) {
                value = arguments.at(++i);
            }
        } else if (arg.startsWith(QLatin1String("--lang="))) {
            value = arg.mid(7);
        }
    }
    return value;
}

QStringList withoutLangArgument(const QStringList &arguments)
{
    QStringList result;
    bool positionalOnly = false;
    for (qsizetype i = 0; i < arguments.size(); ++i) {
        const QString &arg = arguments.at(i);
        if (i > 0 && !positionalOnly) {
            if (arg == QLatin1String("--")) {
                positionalOnly = true;
            } else if (arg == QLatin1String("--lang")) {
                ++i; // and its value
                continue;
            } else if (arg.startsWith(QLatin1String("--lang="))) {
                continue;
            }
        }
        result << arg;
    }
    return result;
}

LanguageChoice chooseLanguage(const QString &override, const QStringList &uiLanguages)
{
    const QStringList translated = translatedLanguages();
    if (!override.trimmed().isEmpty()) {
        const QString language = primaryLanguage(override);
        if (language == QLatin1String("en")) {
            return {};
        }
        if (translated.contains(language)) {
            return {language, false};
        }
        return {QString(), true};
    }
    for (const QString &ui : uiLanguages) {
        const QString language = primaryLanguage(ui);
        if (language == QLatin1String("en") || language == QLatin1String("c")
            || language == QLatin1String("posix")) {
            return {}; // English is preferred to any translation further down the list
        }
        if (translated.contains(language)) {
            return {language, false};
        }
    }
    return {};
}

void installTranslators(QCoreApplication &app, const QString &langOverride)
{
    const LanguageChoice choice = chooseLanguage(langOverride, QLocale::system().uiLanguages());
    if (choice.unknownOverride) {
        // Deliberately not translated: the program goes on in English.
        QTextStream(stderr) << "tandem: unknown language \"" << langOverride
                            << "\" for --lang (available: de, en, es, fr); continuing in English."
                            << Qt::endl;
    }
    if (choice.language.isEmpty()) {
        return; // English: the source texts, Qt's included
    }
    // The last installed translator is asked first: Tandem's own, then Qt's.
    const QString qtDir = QLibraryInfo::path(QLibraryInfo::TranslationsPath);
    for (const QString &catalog : {QStringLiteral("qtbase"), QStringLiteral("qtwebsockets")}) {
        installQm(app, new QTranslator(&app), catalog + QLatin1Char('_') + choice.language, qtDir);
    }
    if (!installQm(app, new TandemTranslator(&app), QStringLiteral("tandem_") + choice.language,
                   QStringLiteral(":/i18n"))) {
        qWarning("tandem: the embedded translation tandem_%s.qm is missing",
                 qPrintable(choice.language));
    }
}

QString tr(const char *text)
{
    return QCoreApplication::translate("Tandem::App", text);
}

} // namespace Tandem::App
