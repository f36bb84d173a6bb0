// SPDX-License-Identifier: GPL-3.0-or-later
// Two main windows (offscreen) in one room of an in-process server, as two teammates: a note
// created in one appears in the other, typing shows up there while the other caret stays put,
// the people list, typing line and remote cursor appear and clear, undo touches only one's
// own edits, the status bar tells when the server is gone, and a stock Yjs client from node
// (y-websocket) co-edits with a window in plain mode.

#include "core/client/knownhosts.h"
#include "core/client/notes.h"
#include "core/client/session.h"
#include "core/encoding/any.h"
#include "core/server/roomserver.h"
#include "core/storage/sqliteroomstore.h"
#include "tests/support/nodescript.h"
#include "tests/support/serveprocess.h"
#include "ui/editorbinding.h"
#include "ui/findbar.h"
#include "ui/mainwindow.h"
#include "ui/sharededitor.h"

#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMessageBox>
#include <QProcess>
#include <QPushButton>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace Tandem;
using Client::Provider;
using Ui::MainWindow;

namespace {

struct Window
{
    Window(const QString &storePath, const QString &name, const QString &color) : store(storePath)
    {
        QString error;
        ok = store.open(&error);
        window = std::make_unique<MainWindow>(store);
        window->setIdentity({name, color});
        window->show();
    }
    QString text() const { return window->editor()->toPlainText(); }

    Storage::SqliteRoomStore store;
    std::unique_ptr<MainWindow> window;
    bool ok = false;
};

} // namespace

class tst_MainWindow : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // settings and data stay out of the user's
        QVERIFY(m_dir.isValid());
        // ... and out of earlier runs': test mode still writes under $HOME/.qttest.
        qputenv("HOME", QFile::encodeName(m_dir.path()));
    }

    void init()
    {
        Server::ServerOptions options;
        options.host = QHostAddress::LocalHost;
        options.port = 0;
        m_server = std::make_unique<Server::RoomServer>(
                options,
                std::make_unique<Storage::SqliteRoomStore>(
                        m_dir.filePath(QStringLiteral("server-%1.sqlite").arg(++m_round))));
        QString error;
        QVERIFY2(m_server->listen(&error), qPrintable(error));
    }
    void cleanup() { m_server.reset(); }

    void twoPeopleEditANote()
    {
        Window ana(m_dir.filePath(QStringLiteral("ana1.sqlite")), QStringLiteral("Ana"),
                   QStringLiteral("#30bced"));
        Window bo(m_dir.filePath(QStringLiteral("bo1.sqlite")), QStringLiteral("Bo"),
                  QStringLiteral("#ee6352"));
        const QUrl url = QUrl(m_server->url().toString() + QStringLiteral("team"));
        QString error;
        QVERIFY(ana.window->openRoom(url, &error));
        QVERIFY(bo.window->openRoom(url, &error));
        QTRY_COMPARE_WITH_TIMEOUT(ana.window->session()->provider()->status(),
                                  Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->session()->provider()->status(),
                                  Provider::Status::Synced, 5000);
        QCOMPARE(ana.window->connectionLabel()->text(), QStringLiteral("Connected"));

        // A note made by Ana shows up in Bo's list and opens there.
        const QString id = ana.window->createNote(QStringLiteral("Plan"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->notesList()->count(), 1, 5000);
        QCOMPARE(bo.window->notesList()->item(0)->text(), QStringLiteral("Plan"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->currentNoteId(), id, 5000);

        // Both are in the people list, each marked as "you" in their own window.
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->peopleView()->model()->rowCount(), 2, 5000);
        QCOMPARE(bo.window->presence()->people().front().name, QStringLiteral("Bo"));
        QVERIFY(bo.window->presence()->people().front().local);

        // Ana types; Bo sees it, and Bo's caret stays on the same character. Bo's notes list
        // is left alone meanwhile (not rebuilt under someone moving through it).
        const QListWidgetItem *listed = bo.window->notesList()->item(0);
        QTest::keyClicks(ana.window->editor(), QStringLiteral("hello world"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.text(), QStringLiteral("hello world"), 5000);
        QCOMPARE(bo.window->notesList()->item(0), listed);
        QTextCursor c = bo.window->editor()->textCursor();
        c.setPosition(6); // before "world"
        bo.window->editor()->setTextCursor(c);
        ana.window->editor()->moveCursor(QTextCursor::Start);
        QTest::keyClicks(ana.window->editor(), QStringLiteral(">> "));
        QTRY_COMPARE_WITH_TIMEOUT(bo.text(), QStringLiteral(">> hello world"), 5000);
        QCOMPARE(bo.window->editor()->textCursor().position(), 9);

        // The typing line names Ana while she types, and clears a second later.
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->typingLine()->text(), QStringLiteral("Ana is typing…"),
                                  5000);
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->typingLine()->text(), QString(), 5000);

        // Ana's caret (after ">> ") is drawn in Bo's editor, in her colour, where it is.
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->editor()->remoteCursors().size(), 1, 5000);
        const auto remote = bo.window->editor()->remoteCursors().front();
        QCOMPARE(remote.name, QStringLiteral("Ana"));
        QCOMPARE(remote.color, QStringLiteral("#30bced"));
        QCOMPARE(remote.head, 3);
        QTextCursor at3(bo.window->editor()->document());
        at3.setPosition(3);
        QCOMPARE(bo.window->editor()->caretRect(remote), bo.window->editor()->cursorRect(at3));

        // Undo in Ana's window removes Ana's edits only.
        bo.window->editor()->moveCursor(QTextCursor::End);
        QTest::keyClicks(bo.window->editor(), QStringLiteral("!"));
        QTRY_COMPARE_WITH_TIMEOUT(ana.text(), QStringLiteral(">> hello world!"), 5000);
        // With the platform's undo keys in the editor (QPlainTextEdit would use its own
        // document undo otherwise, which knows nothing of the other person).
        for (int i = 0; i < 5 && ana.window->binding()->undoManager().canUndo(); ++i) {
            QTest::keySequence(ana.window->editor(), QKeySequence::Undo);
        }
        QCOMPARE(ana.text(), QStringLiteral("!"));
        QTest::keySequence(ana.window->editor(), QKeySequence::Redo);
        QVERIFY2(ana.text().endsWith(QStringLiteral("!")) && ana.text().size() > 1,
                 qPrintable(ana.text()));
        while (ana.window->binding()->undo()) { }
        QCOMPARE(ana.text(), QStringLiteral("!"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.text(), QStringLiteral("!"), 5000);
        QTRY_COMPARE_WITH_TIMEOUT(ana.window->unconfirmedLabel()->text(),
                                  QStringLiteral("All changes saved on the server"), 5000);

        // The server goes away: the status bar says so and keeps the work local.
        m_server.reset();
        QTRY_VERIFY_WITH_TIMEOUT(
                ana.window->connectionLabel()->text().contains(QStringLiteral("working offline")),
                5000);
        QTest::keyClicks(ana.window->editor(), QStringLiteral("offline"));
        QTRY_VERIFY_WITH_TIMEOUT(ana.window->unconfirmedLabel()->text().contains(
                                         QStringLiteral("not yet on the server")),
                                 5000);
        // Bo's window no longer shows Ana.
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->peopleView()->model()->rowCount(), 1, 5000);
        QCOMPARE(bo.window->editor()->remoteCursors().size(), 0);
    }

    void deletedNoteClosesForEveryone()
    {
        Window ana(m_dir.filePath(QStringLiteral("ana2.sqlite")), QStringLiteral("Ana"),
                   QStringLiteral("#30bced"));
        Window bo(m_dir.filePath(QStringLiteral("bo2.sqlite")), QStringLiteral("Bo"),
                  QStringLiteral("#ee6352"));
        const QUrl url = QUrl(m_server->url().toString() + QStringLiteral("deleting"));
        QString error;
        QVERIFY(ana.window->openRoom(url, &error) && bo.window->openRoom(url, &error));
        const QString id = ana.window->createNote(QStringLiteral("Old"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->currentNoteId(), id, 5000);
        Client::Notes(ana.window->session()->doc()).remove(id);
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->notesList()->count(), 0, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(bo.window->currentNoteId().isEmpty(), 5000);
        QVERIFY(bo.window->editor()->isReadOnly());
    }

    void hostARoomFromTheApp()
    {
        // "Host a Room…": a server inside the app, which a teammate's window joins.
        Window host(m_dir.filePath(QStringLiteral("host6.sqlite")), QStringLiteral("Ana"),
                    QStringLiteral("#30bced"));
        QString error;
        QVERIFY2(host.window->hostRoom(0, QStringLiteral("hosted"), &error), qPrintable(error));
        QTRY_COMPARE_WITH_TIMEOUT(host.window->session()->provider()->status(),
                                  Provider::Status::Synced, 5000);
        host.window->createNote(QStringLiteral("Agenda"));
        Window guest(m_dir.filePath(QStringLiteral("guest6.sqlite")), QStringLiteral("Bo"),
                     QStringLiteral("#ee6352"));
        // Its links carry access tokens: an invite gets in, the bare address does not.
        const QUrl invite
                = host.window->hostedInvite(QStringLiteral("127.0.0.1"), false, 3600, &error);
        QVERIFY2(invite.query().startsWith(QStringLiteral("token=")), qPrintable(error));
        QVERIFY(guest.window->openRoom(invite, &error));
        QTRY_COMPARE_WITH_TIMEOUT(guest.window->notesList()->count(), 1, 5000);
        QCOMPARE(guest.window->notesList()->item(0)->text(), QStringLiteral("Agenda"));
        Window stranger(m_dir.filePath(QStringLiteral("stranger6.sqlite")), QStringLiteral("Cy"),
                        QStringLiteral("#8acb88"));
        QVERIFY(stranger.window->openRoom(invite.adjusted(QUrl::RemoveQuery), &error));
        QTRY_COMPARE_WITH_TIMEOUT(stranger.window->session()->provider()->status(),
                                  Provider::Status::Offline, 5000);
        QVERIFY2(stranger.window->connectionLabel()->text().contains(
                         QStringLiteral("access token missing")),
                 qPrintable(stranger.window->connectionLabel()->text()));
        QCOMPARE(stranger.window->notesList()->count(), 0);
    }

    void hostAnEncryptedRoom()
    {
        // "Host a Room…" with "Encrypt (wss://)": the host's own window trusts its certificate
        // without asking; a teammate is asked once (host and fingerprint), trusts and joins; a
        // different certificate than the one trusted gets the warning, Cancel by default.
#ifndef TANDEM_HAVE_TLS
        QSKIP("built without OpenSSL: the app cannot host wss:// rooms");
#endif
        Window host(m_dir.filePath(QStringLiteral("host-tls.sqlite")), QStringLiteral("Ana"),
                    QStringLiteral("#30bced"));
        QString error;
        QVERIFY2(host.window->hostRoom(0, QStringLiteral("secure"), &error, true),
                 qPrintable(error));
        const QUrl hosted = host.window->session()->url();
        QCOMPARE(hosted.scheme(), QStringLiteral("wss"));
        const QString fingerprint = host.window->hostedFingerprint();
        QVERIFY(!fingerprint.isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(host.window->session()->provider()->status(),
                                  Provider::Status::Synced, 5000);
        QVERIFY(!host.window->findChild<QMessageBox *>(QStringLiteral("certificateUnknownDialog")));
        QCOMPARE(Client::KnownHosts::fingerprint(Client::KnownHosts::hostPort(hosted)),
                 fingerprint);
        host.window->createNote(QStringLiteral("Plans"));

        // The teammate reaches it by another name: unknown there.
        QUrl byName = hosted;
        byName.setHost(QStringLiteral("localhost"));
        Window guest(m_dir.filePath(QStringLiteral("guest-tls.sqlite")), QStringLiteral("Bo"),
                     QStringLiteral("#ee6352"));
        QVERIFY(guest.window->openRoom(byName, &error));
        QMessageBox *ask = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((ask = guest.window->findChild<QMessageBox *>(
                                          QStringLiteral("certificateUnknownDialog"))),
                                 5000);
        QCOMPARE(guest.window->session()->provider()->status(), Provider::Status::Offline);
        QVERIFY2(guest.window->connectionLabel()->text().startsWith(
                         QStringLiteral("Not connected: The server's certificate is not trusted")),
                 qPrintable(guest.window->connectionLabel()->text()));
        QVERIFY(ask->text().contains(QStringLiteral("localhost:%1").arg(hosted.port())));
        QVERIFY(ask->text().contains(
                Client::KnownHosts::grouped(fingerprint).section(QLatin1Char('\n'), 0, 0)));
        ask->findChild<QPushButton *>(QStringLiteral("trust"))->click();
        QTRY_COMPARE_WITH_TIMEOUT(guest.window->session()->provider()->status(),
                                  Provider::Status::Synced, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(guest.window->notesList()->count(), 1, 5000);

        // Hosting again reuses the certificate: nobody has to compare again.
        Window again(m_dir.filePath(QStringLiteral("host-tls2.sqlite")), QStringLiteral("Ana"),
                     QStringLiteral("#30bced"));
        QVERIFY2(again.window->hostRoom(0, QStringLiteral("secure"), &error, true),
                 qPrintable(error));
        QCOMPARE(again.window->hostedFingerprint(), fingerprint);

        // Another certificate than the one trusted: the warning, and no connection.
        const QString hostPort = Client::KnownHosts::hostPort(byName);
        Client::KnownHosts::remember(hostPort, QStringLiteral("00:11:22:33"));
        Window third(m_dir.filePath(QStringLiteral("third-tls.sqlite")), QStringLiteral("Cy"),
                     QStringLiteral("#8acb88"));
        QVERIFY(third.window->openRoom(byName, &error));
        QMessageBox *warn = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT((warn = third.window->findChild<QMessageBox *>(
                                          QStringLiteral("certificateChangedDialog"))),
                                 5000);
        QCOMPARE(warn->icon(), QMessageBox::Warning);
        QCOMPARE(warn->defaultButton(), warn->button(QMessageBox::Cancel));
        QVERIFY(warn->text().contains(QStringLiteral("00:11:22:33")));
        QVERIFY(warn->findChild<QPushButton *>(QStringLiteral("trust")));
        warn->button(QMessageBox::Cancel)->click();
        QTest::qWait(300);
        QCOMPARE(third.window->session()->provider()->status(), Provider::Status::Offline);
        QCOMPARE(third.window->notesList()->count(), 0);
        QCOMPARE(Client::KnownHosts::fingerprint(hostPort), QStringLiteral("00:11:22:33"));
    }

    void readOnlyGuest()
    {
        // A link with a read-only token: the guest reads along, its editor and note actions are
        // read-only, and the status bar says so.
        Server::ServerOptions options;
        options.port = 0;
        options.requireToken = true;
        Server::RoomServer server(options,
                                  std::make_unique<Storage::SqliteRoomStore>(
                                          m_dir.filePath(QStringLiteral("tokens.sqlite"))));
        QString error;
        QVERIFY2(server.listen(&error), qPrintable(error));
        const QString room = QStringLiteral("minutes");
        const QByteArray write
                = server.issueToken(room, false, 3600, QStringLiteral("Ana"), &error);
        const QByteArray read = server.issueToken(room, true, 3600, QStringLiteral("Bo"), &error);
        QVERIFY2(!write.isEmpty() && !read.isEmpty(), qPrintable(error));
        Window ana(m_dir.filePath(QStringLiteral("ana-ro.sqlite")), QStringLiteral("Ana"),
                   QStringLiteral("#30bced"));
        Window bo(m_dir.filePath(QStringLiteral("bo-ro.sqlite")), QStringLiteral("Bo"),
                  QStringLiteral("#ee6352"));
        QVERIFY(ana.window->openRoom(server.inviteUrl(room, write), &error));
        QVERIFY(bo.window->openRoom(server.inviteUrl(room, read), &error));
        const QString id = ana.window->createNote(QStringLiteral("Monday"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->currentNoteId(), id, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(bo.window->session()->provider()->status(),
                                  Provider::Status::Synced, 5000);
        QVERIFY(bo.window->editor()->isReadOnly());
        QVERIFY(!ana.window->editor()->isReadOnly());
        QVERIFY2(bo.window->connectionLabel()->text().contains(QStringLiteral("read-only")),
                 qPrintable(bo.window->connectionLabel()->text()));
        QTest::keyClicks(bo.window->editor(), QStringLiteral("vandal"));
        QTest::keyClicks(ana.window->editor(), QStringLiteral("agenda"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.text(), QStringLiteral("agenda"), 5000);
        QCOMPARE(ana.text(), QStringLiteral("agenda"));
    }

    void findAndReplaceAll()
    {
        Window ana(m_dir.filePath(QStringLiteral("ana5.sqlite")), QStringLiteral("Ana"),
                   QStringLiteral("#30bced"));
        Window bo(m_dir.filePath(QStringLiteral("bo5.sqlite")), QStringLiteral("Bo"),
                  QStringLiteral("#ee6352"));
        const QUrl url = QUrl(m_server->url().toString() + QStringLiteral("replace"));
        QString error;
        QVERIFY(ana.window->openRoom(url, &error) && bo.window->openRoom(url, &error));
        ana.window->createNote(QStringLiteral("R"));
        QTest::keyClicks(ana.window->editor(), QStringLiteral("one two one three one"));
        QTRY_COMPARE_WITH_TIMEOUT(bo.text(), QStringLiteral("one two one three one"), 5000);
        QTextCursor c = bo.window->editor()->textCursor();
        c.setPosition(8); // Bo sits before the second "one"
        bo.window->editor()->setTextCursor(c);

        ana.window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(ana.window.get()));
        QTest::keySequence(ana.window.get(), QKeySequence::Replace);
        QTRY_VERIFY(ana.window->findBar()->isVisible());
        QVERIFY(ana.window->findBar()->replaceField()->isVisible());
        ana.window->findBar()->findField()->setText(QStringLiteral("one"));
        ana.window->findBar()->replaceField()->setText(QStringLiteral("1"));
        ana.window->binding()->undoManager().stopCapturing(); // typing and replacing: 2 steps
        QCOMPARE(ana.window->findBar()->replaceAll(), 3);
        QTRY_COMPARE_WITH_TIMEOUT(bo.text(), QStringLiteral("1 two 1 three 1"), 5000);
        QCOMPARE(bo.window->editor()->textCursor().position(), 6); // still before the second
        // One undo step takes the whole replacement back.
        QVERIFY(ana.window->binding()->undo());
        QTRY_COMPARE_WITH_TIMEOUT(bo.text(), QStringLiteral("one two one three one"), 5000);
        // Find wraps around and says so; Escape closes the bar.
        QVERIFY(ana.window->findBar()->findNext());
        QTest::keyClick(ana.window->findBar(), Qt::Key_Escape);
        QVERIFY(!ana.window->findBar()->isVisible());
    }

    void keyboardOnly()
    {
        Window ana(m_dir.filePath(QStringLiteral("ana4.sqlite")), QStringLiteral("Ana"),
                   QStringLiteral("#30bced"));
        QString error;
        QVERIFY(ana.window->openRoom(QUrl(m_server->url().toString() + QStringLiteral("keys")),
                                     &error));
        ana.window->createNote(QStringLiteral("Keys"));
        ana.window->activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(ana.window.get()));
        QTRY_VERIFY(ana.window->editor()->hasFocus());
        QTest::keyClick(ana.window->editor(), Qt::Key_Tab); // a tab is text in a note
        QCOMPARE(ana.text(), QStringLiteral("\t"));
        QTest::keyClick(ana.window.get(), Qt::Key_1, Qt::ControlModifier);
        QTRY_VERIFY(ana.window->notesList()->hasFocus());
        QTest::keyClick(ana.window.get(), Qt::Key_3, Qt::ControlModifier);
        QTRY_VERIFY(ana.window->peopleView()->hasFocus());
        QTest::keyClick(ana.window.get(), Qt::Key_2, Qt::ControlModifier);
        QTRY_VERIFY(ana.window->editor()->hasFocus());
        QTest::keyClick(ana.window->editor(), Qt::Key_Tab, Qt::ControlModifier); // leaves it
        QTRY_VERIFY(!ana.window->editor()->hasFocus());
        QCOMPARE(ana.text(), QStringLiteral("\t"));
        // The people list reads as sentences to screen readers.
        const QModelIndex you = ana.window->peopleView()->model()->index(0, 0);
        QCOMPARE(you.data(Qt::AccessibleTextRole).toString(), QStringLiteral("Ana (you), typing"));
        QTRY_COMPARE_WITH_TIMEOUT(ana.window->peopleView()
                                          ->model()
                                          ->index(0, 0)
                                          .data(Qt::AccessibleTextRole)
                                          .toString(),
                                  QStringLiteral("Ana (you), active"), 3000);
    }

    void yjsWebClientCoEdits()
    {
        // The server runs as its own process here: talking to node blocks this thread.
        Testing::ServeProcess server(QStringLiteral(TANDEM_BINARY));
        const QUrl served = server.start(m_dir.filePath(QStringLiteral("served")));
        QVERIFY(!served.isEmpty());
        const std::string base = served.toString().chopped(1).toStdString(); // without the '/'

        Testing::NodeScript yjs;
        QString error;
        QVERIFY2(yjs.start(QStringLiteral("ywsclient.mjs"),
                           {QStringLiteral("yjs"), QStringLiteral("y-websocket"),
                            QStringLiteral("ws")},
                           &error),
                 qPrintable(error));
        using Encoding::Any;
        auto ok = [](const Any &a) {
            const Any *v = a.find("ok");
            return v && v->type() == Any::Type::Bool && v->toBool();
        };
        QVERIFY(ok(yjs.exec(Any::object({{"cmd", Any("connect")},
                                         {"url", Any(base)},
                                         {"room", Any("demo")},
                                         {"name", Any("Web")}}))));
        QVERIFY(ok(yjs.exec(Any::object({{"cmd", Any("waitSynced")}}))));
        QVERIFY(ok(yjs.exec(Any::object(
                {{"cmd", Any("insert")}, {"index", Any(0)}, {"text", Any("from the web")}}))));

        Window ana(m_dir.filePath(QStringLiteral("ana3.sqlite")), QStringLiteral("Ana"),
                   QStringLiteral("#30bced"));
        QVERIFY(ana.window->openRoom(QUrl(QString::fromStdString(base + "/demo")), &error,
                                     QStringLiteral("text")));
        QTRY_COMPARE_WITH_TIMEOUT(ana.text(), QStringLiteral("from the web"), 5000);
        // The web client is in the people list (it has a user name).
        QTRY_COMPARE_WITH_TIMEOUT(ana.window->peopleView()->model()->rowCount(), 2, 5000);
        ana.window->editor()->moveCursor(QTextCursor::End);
        QTest::keyClicks(ana.window->editor(), QStringLiteral(", and the desktop"));
        QTest::qWait(200); // let the window's socket write before node is asked
        const Any seen = yjs.exec(Any::object(
                {{"cmd", Any("waitText")}, {"text", Any("from the web, and the desktop")}}));
        QVERIFY2(ok(seen), seen.toJson().c_str());
        ana.window.reset();
        server.terminate();
    }

private:
    QTemporaryDir m_dir;
    std::unique_ptr<Server::RoomServer> m_server;
    int m_round = 0;
};

QTEST_MAIN(tst_MainWindow)
#include "tst_mainwindow.moc"
