// SPDX-License-Identifier: GPL-3.0-or-later
// tandem_screenshots <output dir>: two teammates, Ana and Bo, in one room of an in-process
// server, each in a main window of their own; saves PNGs of the app's main states:
//   two-people.png  both windows side by side, each showing the other's cursor (Bo selects)
//   typing.png      Bo's window while Ana types: "Ana is typing…" under the editor
//   people.png      Bo's people list at that moment
//   offline.png     Ana's window after the server stopped, with changes not yet on the server
// Every state is waited for (bounded); when one is not reached, the program says which and
// exits with 1. Meant to run under Xvfb (tools/screenshots.sh); all data lives in a temporary
// directory.

#include "core/client/presence.h"
#include "core/client/provider.h"
#include "core/client/session.h"
#include "core/server/roomserver.h"
#include "core/storage/sqliteroomstore.h"
#include "ui/mainwindow.h"
#include "ui/sharededitor.h"

#include <QAbstractItemModel>
#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QLabel>
#include <QListView>
#include <QListWidget>
#include <QPainter>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QTextBlock>

#include <cstdio>
#include <functional>
#include <memory>

using namespace Tandem;
using Client::Provider;
using Ui::MainWindow;

namespace {

const QSize windowSize(1100, 700);

/// One teammate: a local store and a main window.
struct Person
{
    Person(const QString &storePath, const QString &personName, const QString &color)
        : name(personName), store(storePath)
    {
        ok = store.open(&error);
        window = std::make_unique<MainWindow>(store);
        window->setIdentity({personName, color});
        window->resize(windowSize);
    }
    QString text() const { return window->editor()->toPlainText(); }

    QString name;
    Storage::SqliteRoomStore store;
    std::unique_ptr<MainWindow> window;
    bool ok = false;
    QString error;
};

struct Failure
{
    QString message;
};

/// Processes events until @p done, for at most @p timeoutMs; throws Failure naming @p what.
void waitUntil(const QString &what, const std::function<bool()> &done, int timeoutMs = 8000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!done()) {
        if (deadline.hasExpired()) {
            throw Failure {
                    QStringLiteral("state not reached within %1 ms: %2").arg(timeoutMs).arg(what)};
        }
        QTest::qWait(10);
    }
}

/// Lets pending paints and socket traffic settle.
void settle(int ms = 150)
{
    QTest::qWait(ms);
}

int positionOf(const Person &p, const QString &needle)
{
    const int at = int(p.text().indexOf(needle));
    if (at < 0) {
        throw Failure {QStringLiteral("text not found in %1's note: %2").arg(p.name, needle)};
    }
    return at;
}

void select(Person &p, int anchor, int head)
{
    QTextCursor c = p.window->editor()->textCursor();
    c.setPosition(anchor);
    c.setPosition(head, QTextCursor::KeepAnchor);
    p.window->editor()->setTextCursor(c);
}

/// Types @p text into @p p's editor at its caret like a person (a key every 35 ms).
void typeSlowly(Person &p, const QString &text)
{
    for (const QChar ch : text) {
        QTest::keyClicks(p.window->editor(), QString(ch));
        QTest::qWait(35);
    }
}

bool hasRemoteCursor(const Person &p, const QString &name, bool withSelection)
{
    for (const auto &c : p.window->editor()->remoteCursors()) {
        if (c.name == name && (!withSelection || c.anchor != c.head)) {
            return true;
        }
    }
    return false;
}

void save(const QImage &image, const QDir &dir, const QString &fileName)
{
    const QString path = dir.filePath(fileName);
    if (!image.save(path)) {
        throw Failure {QStringLiteral("cannot write %1").arg(path)};
    }
    std::printf("wrote %s (%dx%d)\n", qPrintable(QDir::toNativeSeparators(path)), image.width(),
                image.height());
    std::fflush(stdout);
}

/// Several widgets' grabs next to each other, on the window background colour.
QImage sideBySide(const QList<QWidget *> &widgets)
{
    const int gap = 16;
    QList<QPixmap> shots;
    int width = 0, height = 0;
    qreal dpr = 1.0;
    for (QWidget *w : widgets) {
        shots << w->grab();
        dpr = shots.back().devicePixelRatio();
        width += shots.back().width() + (shots.size() > 1 ? gap * dpr : 0);
        height = std::max(height, shots.back().height());
    }
    QImage image(width, height, QImage::Format_RGB32);
    image.fill(widgets.front()->palette().color(QPalette::Dark));
    QPainter painter(&image);
    int x = 0;
    for (const QPixmap &shot : shots) {
        painter.drawPixmap(x, 0, shot);
        x += shot.width() + int(gap * dpr);
    }
    return image;
}

const QString planText
        = QStringLiteral("Sprint plan, week 12\n"
                         "\n"
                         "Goals\n"
                         "- Ship offline mode to the beta testers\n"
                         "- Fix the caret jump when pasting into a long note (#214)\n"
                         "- Draft the release notes for 0.2\n"
                         "\n"
                         "Owners\n"
                         "- Ana: offline mode, status bar wording\n"
                         "- Bo: the paste bug, release notes\n"
                         "\n"
                         "Open questions\n"
                         "- Should the typing line wait one second or two?\n");

void run(const QDir &out, const QTemporaryDir &data)
{
    Server::ServerOptions options;
    options.host = QHostAddress::LocalHost;
    options.port = 0;
    auto server = std::make_unique<Server::RoomServer>(
            options,
            std::make_unique<Storage::SqliteRoomStore>(
                    data.filePath(QStringLiteral("server.sqlite"))));
    QString error;
    if (!server->listen(&error)) {
        throw Failure {QStringLiteral("the server does not start: %1").arg(error)};
    }

    Person ana(data.filePath(QStringLiteral("ana.sqlite")), QStringLiteral("Ana"),
               QStringLiteral("#30bced"));
    Person bo(data.filePath(QStringLiteral("bo.sqlite")), QStringLiteral("Bo"),
              QStringLiteral("#ee6352"));
    if (!ana.ok || !bo.ok) {
        throw Failure {QStringLiteral("cannot open a local store: %1").arg(ana.error + bo.error)};
    }
    // Xvfb has no window manager: place the windows ourselves (grab() does not need them
    // to be on screen side by side, but it keeps a look at the live display sensible).
    ana.window->move(0, 0);
    bo.window->move(480, 280);
    ana.window->show();
    bo.window->show();
    if (!QTest::qWaitForWindowExposed(ana.window.get())
        || !QTest::qWaitForWindowExposed(bo.window.get())) {
        throw Failure {QStringLiteral("the windows are not exposed (is a display running?)")};
    }

    const QUrl url(server->url().toString() + QStringLiteral("team"));
    if (!ana.window->openRoom(url, &error) || !bo.window->openRoom(url, &error)) {
        throw Failure {QStringLiteral("cannot open the room: %1").arg(error)};
    }
    waitUntil(QStringLiteral("both windows synced with the server"), [&] {
        return ana.window->session()->provider()->status() == Provider::Status::Synced
                && bo.window->session()->provider()->status() == Provider::Status::Synced;
    });

    // A few notes, the last one open in both windows.
    ana.window->createNote(QStringLiteral("Retro, week 11"));
    ana.window->editor()->insertPlainText(
            QStringLiteral("What went well\n- Offline edits merged cleanly\n"));
    ana.window->createNote(QStringLiteral("Release checklist"));
    ana.window->editor()->insertPlainText(QStringLiteral("- Tag v0.2.0\n- Update the README\n"));
    const QString planId = ana.window->createNote(QStringLiteral("Sprint plan"));
    ana.window->editor()->insertPlainText(planText);
    waitUntil(QStringLiteral("Bo's window lists the three notes"),
              [&] { return bo.window->notesList()->count() == 3; });
    waitUntil(QStringLiteral("Bo's window has the sprint plan's text"), [&] {
        if (bo.window->currentNoteId() != planId) {
            bo.window->openNote(planId);
        }
        return bo.text() == planText;
    });

    // Bo adds a line, then selects "release notes" in his line; Ana's caret rests after
    // "beta testers".
    QTextCursor end = bo.window->editor()->textCursor();
    end.movePosition(QTextCursor::End);
    bo.window->editor()->setTextCursor(end);
    bo.window->activateWindow();
    bo.window->editor()->setFocus();
    typeSlowly(bo, QStringLiteral("- Can we show who is idle as well?"));
    const QString boSelection = QStringLiteral("release notes");
    const int boAt = positionOf(bo, QStringLiteral("- Bo: the paste bug, ")) + 21;
    select(bo, boAt, boAt + int(boSelection.size()));
    waitUntil(QStringLiteral("Ana's window has Bo's line"),
              [&] { return ana.text() == bo.text(); });
    const int anaAt = positionOf(ana, QStringLiteral("beta testers")) + 12;
    select(ana, anaAt, anaAt);
    ana.window->activateWindow();
    ana.window->editor()->setFocus();

    waitUntil(QStringLiteral("Ana's window shows Bo's cursor with his selection"),
              [&] { return hasRemoteCursor(ana, QStringLiteral("Bo"), true); });
    waitUntil(QStringLiteral("Bo's window shows Ana's cursor"), [&] {
        for (const auto &c : bo.window->editor()->remoteCursors()) {
            if (c.name == QStringLiteral("Ana") && c.head == anaAt) {
                return true;
            }
        }
        return false;
    });
    waitUntil(QStringLiteral("both people lists show two people"), [&] {
        return ana.window->peopleView()->model()->rowCount() == 2
                && bo.window->peopleView()->model()->rowCount() == 2;
    });
    waitUntil(QStringLiteral("the typing lines are clear again"), [&] {
        return ana.window->typingLine()->text().isEmpty()
                && bo.window->typingLine()->text().isEmpty();
    });
    settle();
    save(sideBySide({ana.window.get(), bo.window.get()}), out, QStringLiteral("two-people.png"));

    // Ana types a new line; Bo's window says so (the line clears 1 s after her last key, so
    // the grab follows her last key at once).
    QTextCursor afterQuestion = ana.window->editor()->textCursor();
    afterQuestion.setPosition(positionOf(ana, QStringLiteral("two?")) + 4);
    ana.window->editor()->setTextCursor(afterQuestion);
    const QString typed = QStringLiteral("\n- Ana: one second feels right, let's try it");
    QTest::keyClick(ana.window->editor(), Qt::Key_Return);
    typeSlowly(ana, typed.mid(1));
    waitUntil(
            QStringLiteral("Bo's window has Ana's new line"),
            [&] { return bo.text().contains(typed); }, 800);
    waitUntil(
            QStringLiteral("Bo's typing line says \"Ana is typing…\""),
            [&] { return bo.window->typingLine()->text() == QStringLiteral("Ana is typing…"); },
            800);
    save(bo.window->grab().toImage(), out, QStringLiteral("typing.png"));
    save(bo.window->peopleView()->grab().toImage(), out, QStringLiteral("people.png"));

    // The server stops: both windows work offline, and Ana's new words wait for it.
    waitUntil(QStringLiteral("every change confirmed by the server"), [&] {
        return ana.window->session()->provider()->unconfirmedChanges() == 0
                && bo.window->session()->provider()->unconfirmedChanges() == 0;
    });
    server.reset();
    waitUntil(QStringLiteral("Ana's status bar says she works offline"), [&] {
        return ana.window->connectionLabel()->text().contains(QStringLiteral("working offline"));
    });
    QTextCursor afterOwners = ana.window->editor()->textCursor();
    afterOwners.setPosition(positionOf(ana, QStringLiteral("status bar wording")) + 18);
    ana.window->editor()->setTextCursor(afterOwners);
    typeSlowly(ana, QStringLiteral(" (written on the train)"));
    waitUntil(QStringLiteral("Ana's status bar counts changes not yet on the server"), [&] {
        return ana.window->unconfirmedLabel()->text().contains(
                QStringLiteral("not yet on the server"));
    });
    waitUntil(QStringLiteral("Ana's people list shows her alone, no longer typing"), [&] {
        const auto people = ana.window->presence()->people();
        return people.size() == 1 && people.front().local && !people.front().typing
                && ana.window->editor()->remoteCursors().isEmpty();
    });
    waitUntil(QStringLiteral("Ana's status bar between two reconnection attempts"), [&] {
        return ana.window->connectionLabel()->text().contains(QStringLiteral("working offline"));
    });
    settle();
    save(ana.window->grab().toImage(), out, QStringLiteral("offline.png"));
}

} // namespace

int main(int argc, char *argv[])
{
    // Everything the app writes (settings, local copies) goes to a temporary home.
    QTemporaryDir data;
    if (!data.isValid()) {
        std::fprintf(stderr, "tandem_screenshots: no temporary directory: %s\n",
                     qPrintable(data.errorString()));
        return 1;
    }
    qputenv("HOME", QFile::encodeName(data.path()));
    QStandardPaths::setTestModeEnabled(true);

    QApplication app(argc, argv);
    QApplication::setApplicationName(QStringLiteral("tandem"));
    QApplication::setOrganizationName(QStringLiteral("Tandem"));
    const QStringList args = QApplication::arguments();
    if (args.size() > 2 || args.value(1).startsWith(QLatin1Char('-'))) {
        std::fprintf(stderr, "usage: tandem_screenshots [output directory]\n");
        return 2;
    }
    const QDir out(args.value(1, QStringLiteral("screenshots")));
    if (!QDir().mkpath(out.path())) {
        std::fprintf(stderr, "tandem_screenshots: cannot create %s\n", qPrintable(out.path()));
        return 1;
    }
    try {
        run(out, data);
    } catch (const Failure &failure) {
        std::fprintf(stderr, "tandem_screenshots: %s\n", qPrintable(failure.message));
        return 1;
    }
    return 0;
}
