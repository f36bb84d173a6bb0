// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/editorbinding.h"

#include <QPlainTextEdit>
#include <QScrollBar>
#include <QTextBlock>
#include <QTextCursor>
#include <QTextDocument>

namespace Tandem::Ui {

namespace {

/// QTextDocument separates paragraphs with U+2029 (and soft breaks with U+2028): '\n' in the
/// shared text, one unit either way, so offsets map one to one.
QString toShared(QString s)
{
    for (QChar &c : s) {
        if (c == QChar::ParagraphSeparator || c == QChar::LineSeparator) {
            c = QLatin1Char('\n');
        }
    }
    return s;
}

} // namespace

EditorBinding::EditorBinding(Crdt::Doc &doc, Crdt::Text text, QPlainTextEdit *editor,
                             QObject *parent)
    : QObject(parent), m_doc(doc), m_text(text), m_editor(editor)
{
    QTextDocument *document = m_editor->document();
    document->setUndoRedoEnabled(false);
    m_shadow = QString::fromStdU16String(m_text.toString());
    m_applyingRemote = true;
    document->setPlainText(m_shadow);
    m_applyingRemote = false;

    Crdt::UndoManager::Options options;
    options.trackedOrigins = {this};
    m_undo = std::make_unique<Crdt::UndoManager>(m_doc, std::vector {m_text.branch()}, options);

    connect(document, &QTextDocument::contentsChange, this, &EditorBinding::onContentsChange);
    m_observer = m_text.observe([this](Crdt::Transaction &tr, const Crdt::Delta &delta) {
        if (tr.origin != this) {
            applyRemote(delta); // remote peers, and our own undo/redo
        }
        emitUndoState();
    });
}

EditorBinding::~EditorBinding()
{
    m_doc.unsubscribe(m_observer);
    if (m_editor) {
        m_editor->document()->disconnect(this);
    }
}

void EditorBinding::onContentsChange(int position, int removed, int added)
{
    if (m_applyingRemote) {
        return;
    }
    QTextDocument *document = m_editor->document();
    const int length = document->characterCount() - 1; // without the final separator
    position = std::clamp(position, 0, int(m_shadow.size()));
    removed = std::clamp(removed, 0, int(m_shadow.size()) - position);
    added = std::clamp(added, 0, length - position);
    QTextCursor cursor(document);
    cursor.setPosition(position);
    cursor.setPosition(position + added, QTextCursor::KeepAnchor);
    const QString inserted = toShared(cursor.selectedText());
    const QStringView old = QStringView(m_shadow).mid(position, removed);
    // Qt sometimes reports a whole block as changed: keep only what really differs.
    qsizetype prefix = 0;
    while (prefix < old.size() && prefix < inserted.size() && old[prefix] == inserted[prefix]) {
        ++prefix;
    }
    qsizetype suffix = 0;
    while (suffix < old.size() - prefix && suffix < inserted.size() - prefix
           && old[old.size() - 1 - suffix] == inserted[inserted.size() - 1 - suffix]) {
        ++suffix;
    }
    const qsizetype deleteCount = old.size() - prefix - suffix;
    const QString insert = inserted.mid(prefix, inserted.size() - prefix - suffix);
    m_shadow.replace(position, removed, inserted);
    if (deleteCount == 0 && insert.isEmpty()) {
        return;
    }
    m_doc.transact(
            [&](Crdt::Transaction &tr) {
                if (deleteCount > 0) {
                    m_text.remove(tr, uint64_t(position + prefix), uint64_t(deleteCount));
                }
                if (!insert.isEmpty()) {
                    m_text.insert(tr, uint64_t(position + prefix), insert.toStdU16String());
                }
            },
            this);
    Q_EMIT localEdit();
}

void EditorBinding::applyRemote(const Crdt::Delta &delta)
{
    QTextDocument *document = m_editor->document();
    // What is at the top of the view stays there (a cursor there moves with the edits).
    QTextCursor top = m_editor->cursorForPosition(QPoint(0, 0));
    const int topBefore = top.position();
    const int topBlockBefore = top.blockNumber();
    QScrollBar *scroll = m_editor->verticalScrollBar();
    const int scrollBefore = scroll->value();

    // The local caret and selection never get pushed by someone else's text: an insertion right
    // at the caret goes after it (Qt would move the caret past it).
    const QTextCursor local = m_editor->textCursor();
    int anchor = local.anchor();
    int head = local.position();
    auto mapInsert = [](int &x, int at, int length) {
        if (x > at) {
            x += length;
        }
    };
    auto mapDelete = [](int &x, int at, int length) {
        x = x >= at + length ? x - length : std::min(x, at);
    };

    m_applyingRemote = true;
    QTextCursor cursor(document);
    cursor.beginEditBlock();
    int position = 0;
    for (const Crdt::DeltaOp &op : delta) {
        switch (op.kind) {
        case Crdt::DeltaOp::Kind::Retain:
            position += int(op.length);
            break;
        case Crdt::DeltaOp::Kind::Insert: {
            // Embeds and nested types take one unit in the text: U+FFFC keeps offsets equal.
            const QString text = op.text.empty()
                    ? QString(int(op.length), QChar::ObjectReplacementCharacter)
                    : QString::fromStdU16String(op.text);
            cursor.setPosition(position);
            cursor.insertText(text);
            m_shadow.insert(position, text);
            mapInsert(anchor, position, int(text.size()));
            mapInsert(head, position, int(text.size()));
            position += int(text.size());
            break;
        }
        case Crdt::DeltaOp::Kind::Delete:
            cursor.setPosition(position);
            cursor.setPosition(position + int(op.length), QTextCursor::KeepAnchor);
            cursor.removeSelectedText();
            m_shadow.remove(position, int(op.length));
            mapDelete(anchor, position, int(op.length));
            mapDelete(head, position, int(op.length));
            break;
        }
    }
    cursor.endEditBlock();
    m_applyingRemote = false;

    const QTextCursor moved = m_editor->textCursor();
    if (moved.anchor() != anchor || moved.position() != head) {
        QScrollBar *horizontal = m_editor->horizontalScrollBar();
        const int x = horizontal->value(), y = scroll->value();
        QTextCursor fixed = moved;
        fixed.setPosition(anchor);
        fixed.setPosition(head, QTextCursor::KeepAnchor);
        m_editor->setTextCursor(fixed);
        horizontal->setValue(x); // setting the caret must not scroll the view
        scroll->setValue(y);
    }

    if (top.position() != topBefore && scrollBefore > 0) {
        // Lines came or went above the view: scroll so the same text stays on top.
        scroll->setValue(scrollBefore + top.blockNumber() - topBlockBefore);
    }
}

bool EditorBinding::undo()
{
    const bool done = m_undo->undo();
    emitUndoState();
    return done;
}

bool EditorBinding::redo()
{
    const bool done = m_undo->redo();
    emitUndoState();
    return done;
}

void EditorBinding::emitUndoState()
{
    Q_EMIT undoAvailable(m_undo->canUndo());
    Q_EMIT redoAvailable(m_undo->canRedo());
}

} // namespace Tandem::Ui
