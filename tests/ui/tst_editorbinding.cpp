// SPDX-License-Identifier: GPL-3.0-or-later
// EditorBinding with real QPlainTextEdits (offscreen): two editors on two documents that
// exchange updates as peers do. Typing, Enter, paste, IME (pre-edit is not sent), remote edits
// that leave the local caret, selection and scroll position alone, undo of one's own edits
// only, and Qt's over-reported changes reduced to the real difference.

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "ui/editorbinding.h"

#include <QInputMethodEvent>
#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTest>
#include <QTextBlock>

using namespace Tandem;
using Ui::EditorBinding;

namespace {

const char remoteOrigin = 0;

/// One peer: a document, an editor and the binding between them.
struct Peer
{
    explicit Peer(Crdt::ClientId id) : doc(id)
    {
        editor.resize(400, 300);
        editor.show();
        binding = std::make_unique<EditorBinding>(doc, doc.getText("body"), &editor);
    }
    QString text() { return QString::fromStdU16String(doc.getText("body").toString()); }

    Crdt::Doc doc;
    QPlainTextEdit editor;
    std::unique_ptr<EditorBinding> binding;
};

/// Two peers that deliver every update to each other at once.
struct Pair
{
    Peer a {1}, b {2};
    Pair()
    {
        a.doc.onUpdate([this](std::span<const uint8_t> u, const Crdt::Transaction &tr) {
            if (tr.origin != &remoteOrigin) {
                b.doc.applyUpdate(u, &remoteOrigin);
            }
        });
        b.doc.onUpdate([this](std::span<const uint8_t> u, const Crdt::Transaction &tr) {
            if (tr.origin != &remoteOrigin) {
                a.doc.applyUpdate(u, &remoteOrigin);
            }
        });
    }
};

void setCursor(QPlainTextEdit &e, int anchor, int position)
{
    QTextCursor c = e.textCursor();
    c.setPosition(anchor);
    c.setPosition(position, QTextCursor::KeepAnchor);
    e.setTextCursor(c);
}

} // namespace

class tst_EditorBinding : public QObject
{
    Q_OBJECT
private Q_SLOTS:
    void typingReachesThePeer()
    {
        Pair p;
        p.a.editor.setFocus();
        QTest::keyClicks(&p.a.editor, QStringLiteral("hello"));
        QTest::keyClick(&p.a.editor, Qt::Key_Return);
        QTest::keyClicks(&p.a.editor, QStringLiteral("world"));
        QCOMPARE(p.a.text(), QStringLiteral("hello\nworld"));
        QCOMPARE(p.b.text(), QStringLiteral("hello\nworld"));
        QCOMPARE(p.b.editor.toPlainText(), QStringLiteral("hello\nworld"));
        QCOMPARE(p.b.editor.document()->blockCount(), 2);
        QTest::keyClick(&p.a.editor, Qt::Key_Backspace);
        QTest::keyClick(&p.a.editor, Qt::Key_Home);
        QTest::keyClick(&p.a.editor, Qt::Key_Backspace); // joins the two lines
        QCOMPARE(p.b.editor.toPlainText(), QStringLiteral("helloworl"));
        QCOMPARE(p.b.text(), p.a.text());
    }

    void pasteAndReplaceSelection()
    {
        Pair p;
        p.a.editor.insertPlainText(QStringLiteral("one two three"));
        setCursor(p.a.editor, 4, 7); // "two"
        p.a.editor.insertPlainText(QStringLiteral("2\n2\n2"));
        QCOMPARE(p.b.text(), QStringLiteral("one 2\n2\n2 three"));
        QCOMPARE(p.b.editor.toPlainText(), p.b.text());
    }

    void remoteEditsLeaveTheCaretAndSelectionAlone()
    {
        Pair p;
        p.a.editor.insertPlainText(QStringLiteral("0123456789"));
        setCursor(p.b.editor, 3, 6); // B selects "345"
        p.a.doc.getText("body").insert(0, u"ab"); // before B's selection
        QCOMPARE(p.b.editor.textCursor().anchor(), 5);
        QCOMPARE(p.b.editor.textCursor().position(), 8);
        QCOMPARE(p.b.editor.textCursor().selectedText(), QStringLiteral("345"));
        p.a.doc.getText("body").insert(12, u"zz"); // after it
        QCOMPARE(p.b.editor.textCursor().selectedText(), QStringLiteral("345"));
        p.a.doc.getText("body").remove(0, 2);
        QCOMPARE(p.b.editor.textCursor().anchor(), 3);
        QCOMPARE(p.b.editor.textCursor().selectedText(), QStringLiteral("345"));
        QCOMPARE(p.b.editor.toPlainText(), QStringLiteral("0123456789zz"));
    }

    void remoteLinesAboveKeepTheViewStill()
    {
        Pair p;
        QString lines;
        for (int i = 0; i < 200; ++i) {
            lines += QStringLiteral("line %1\n").arg(i);
        }
        p.a.doc.getText("body").insert(0, lines.toStdU16String());
        QScrollBar *scroll = p.b.editor.verticalScrollBar();
        scroll->setValue(100);
        const QString topBefore = p.b.editor.cursorForPosition(QPoint(1, 1)).block().text();
        p.a.doc.getText("body").insert(0, u"new 1\nnew 2\nnew 3\n");
        QCOMPARE(p.b.editor.cursorForPosition(QPoint(1, 1)).block().text(), topBefore);
    }

    void preeditIsNotSentUntilCommitted()
    {
        Pair p;
        p.a.editor.insertPlainText(QStringLiteral("ab"));
        QInputMethodEvent preedit(QStringLiteral("ni"), {});
        QCoreApplication::sendEvent(&p.a.editor, &preedit);
        QCOMPARE(p.b.text(), QStringLiteral("ab"));
        QInputMethodEvent commit;
        commit.setCommitString(QStringLiteral("你"));
        QCoreApplication::sendEvent(&p.a.editor, &commit);
        QCOMPARE(p.a.text(), QStringLiteral("ab你"));
        QCOMPARE(p.b.text(), QStringLiteral("ab你"));
    }

    void undoTouchesOnlyOwnEdits()
    {
        Pair p;
        p.a.editor.setFocus();
        QTest::keyClicks(&p.a.editor, QStringLiteral("mine "));
        p.a.binding->undoManager().stopCapturing();
        p.b.editor.moveCursor(QTextCursor::End);
        p.b.editor.insertPlainText(QStringLiteral("theirs"));
        QCOMPARE(p.a.text(), QStringLiteral("mine theirs"));
        QVERIFY(p.a.binding->undo());
        QCOMPARE(p.a.text(), QStringLiteral("theirs"));
        QCOMPARE(p.a.editor.toPlainText(), QStringLiteral("theirs"));
        QCOMPARE(p.b.editor.toPlainText(), QStringLiteral("theirs"));
        QVERIFY(!p.a.binding->undo()); // nothing of A's left to undo
        QVERIFY(p.a.binding->redo());
        QCOMPARE(p.b.text(), QStringLiteral("mine theirs"));
        QVERIFY(p.b.binding->undo());
        QCOMPARE(p.a.text(), QStringLiteral("mine "));
    }

    void overReportedChangesBecomeMinimalEdits()
    {
        Pair p;
        p.a.editor.insertPlainText(QStringLiteral("keep this, change that"));
        setCursor(p.b.editor, 2, 2);
        // An edit block that replaces everything (as a replace-all does) is reported as the
        // whole text removed and added again.
        int updates = 0;
        p.a.doc.onUpdate([&](std::span<const uint8_t>, const Crdt::Transaction &) { ++updates; });
        QTextCursor all(p.a.editor.document());
        all.beginEditBlock();
        all.select(QTextCursor::Document);
        all.insertText(QStringLiteral("keep this, change THAT"));
        all.endEditBlock();
        QCOMPARE(p.b.text(), QStringLiteral("keep this, change THAT"));
        QCOMPARE(updates, 1);
        QCOMPARE(p.b.editor.textCursor().position(), 2); // B's caret was not touched
    }

    void joinsAnExistingText()
    {
        Crdt::Doc doc(5);
        doc.getText("body").insert(0, u"already\nthere");
        QPlainTextEdit editor;
        EditorBinding binding(doc, doc.getText("body"), &editor);
        QCOMPARE(editor.toPlainText(), QStringLiteral("already\nthere"));
        QVERIFY(!binding.undoManager().canUndo()); // loading is not an edit of ours
    }
};

QTEST_MAIN(tst_EditorBinding)
#include "tst_editorbinding.moc"
