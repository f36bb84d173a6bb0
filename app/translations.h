// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QCommandLineOption>
#include <QString>
#include <QStringList>

class QCoreApplication;

namespace Tandem::App {

/// The languages compiled into the binary besides English, the source language.
QStringList translatedLanguages();

/// `--lang <code>`, added to the main parser so that it is accepted and listed in --help.
/// Its value is read before any parser runs, by langArgument().
QCommandLineOption langOption();
/// The value of `--lang X` or `--lang=X` in @p arguments (the last one wins), or an empty string.
QString langArgument(const QStringList &arguments);
/// @p arguments without `--lang X` / `--lang=X`, for the parsers that do not know the option
/// (the scripting commands').
QStringList withoutLangArgument(const QStringList &arguments);

struct LanguageChoice
{
    QString language; ///< "de", "es", "fr", or empty for English
    bool unknownOverride = false; ///< the override names no language Tandem has
};

/// The language to show: @p override if given (`de`, `de_AT`, `fr-CA`, `en`, …), otherwise the
/// first of @p uiLanguages (most preferred first, as QLocale::uiLanguages()) that is English or
/// translated. An unknown override gives English.
LanguageChoice chooseLanguage(const QString &override, const QStringList &uiLanguages);

/// Installs Qt's own translations (qtbase, qtwebsockets from QLibraryInfo's TranslationsPath,
/// when present) and Tandem's embedded ones, for the system's UI languages or @p langOverride.
/// An unknown @p langOverride is reported on stderr and the program continues in English.
/// Call it before any widget or command-line parser is created.
void installTranslators(QCoreApplication &app, const QString &langOverride);

/// Translates a message of the command-line paths (no QObject there), in the context lupdate
/// gives a tr() call inside this namespace.
QString tr(const char *text);

} // namespace Tandem::App
