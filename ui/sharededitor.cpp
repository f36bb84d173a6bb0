// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/sharededitor.h"

#include "core/crdt/doc.h"
#include "core/crdt/relativeposition.h"

#include <QKeyEvent>
#include <QPainter>
#include <QTextBlock>

namespace Tandem::Ui {

SharedEditor::SharedEditor(QWidget *parent) : QPlainTextEdit(parent)
{
    setAccessibleName(tr("Note"));
    setAccessibleDescription(tr("The shared text of the selected note"));
    connect(this, &QPlainTextEdit::updateRequest, viewport(), [this] { viewport()->update(); });
}

void SharedEditor::setRemoteCursors(Crdt::Doc *doc,
                                    const QList<Client::PresenceModel::Person> &people)
{
    m_cursors.clear();
    const int length = document()->characterCount() - 1;
    for (const auto &person : people) {
        if (person.local || !person.anchor || !person.head || !doc) {
            continue;
        }
        const auto anchor = Crdt::absolutePosition(*person.anchor, *doc);
        const auto head = Crdt::absolutePosition(*person.head, *doc);
        if (!anchor || !head) {
            continue; // their cursor is in another note, or not known here yet
        }
        RemoteCursor c;
        c.name = person.name;
        c.color = person.color;
        c.activity = person.activity;
        c.typing = person.typing;
        c.anchor = std::clamp(int(anchor->index), 0, length);
        c.head = std::clamp(int(head->index), 0, length);
        m_cursors.push_back(c);
    }
    updateSelections();
    viewport()->update();
}

void SharedEditor::updateSelections()
{
    QList<QTextEdit::ExtraSelection> selections;
    for (const RemoteCursor &c : m_cursors) {
        if (c.anchor == c.head) {
            continue;
        }
        QTextEdit::ExtraSelection s;
        s.cursor = QTextCursor(document());
        s.cursor.setPosition(c.anchor);
        s.cursor.setPosition(c.head, QTextCursor::KeepAnchor);
        QColor background(c.color);
        background.setAlpha(60);
        s.format.setBackground(background);
        selections.push_back(s);
    }
    setExtraSelections(selections);
}

QRect SharedEditor::caretRect(const RemoteCursor &cursor) const
{
    QTextCursor c(document());
    c.setPosition(cursor.head);
    return cursorRect(c);
}

void SharedEditor::keyPressEvent(QKeyEvent *event)
{
    if (event == QKeySequence::Undo) {
        Q_EMIT undoRequested();
        event->accept();
        return;
    }
    if (event == QKeySequence::Redo) {
        Q_EMIT redoRequested();
        event->accept();
        return;
    }
    QPlainTextEdit::keyPressEvent(event);
}

bool SharedEditor::event(QEvent *event)
{
    // Tab is text in a note; Ctrl+Tab and Ctrl+Shift+Tab leave the editor (keyboard users must
    // never be trapped in it). Handled here: the text control would otherwise take them.
    if (event->type() == QEvent::KeyPress) {
        auto *key = static_cast<QKeyEvent *>(event);
        if ((key->key() == Qt::Key_Tab || key->key() == Qt::Key_Backtab)
            && (key->modifiers() & Qt::ControlModifier)) {
            const bool back
                    = key->key() == Qt::Key_Backtab || (key->modifiers() & Qt::ShiftModifier);
            QWidget *next = back ? previousInFocusChain() : nextInFocusChain();
            while (next && next != this
                   && (!(next->focusPolicy() & Qt::TabFocus) || !next->isVisible()
                       || !next->isEnabled())) {
                next = back ? next->previousInFocusChain() : next->nextInFocusChain();
            }
            if (next && next != this) {
                next->setFocus(back ? Qt::BacktabFocusReason : Qt::TabFocusReason);
            }
            return true;
        }
    }
    return QPlainTextEdit::event(event);
}

void SharedEditor::paintEvent(QPaintEvent *event)
{
    QPlainTextEdit::paintEvent(event);
    QPainter painter(viewport());
    painter.setRenderHint(QPainter::Antialiasing);
    QFont labelFont = font();
    labelFont.setPointSizeF(labelFont.pointSizeF() * 0.8);
    painter.setFont(labelFont);
    const QFontMetrics metrics(labelFont);
    for (const RemoteCursor &c : m_cursors) {
        const QRect caret = caretRect(c);
        if (!caret.intersects(viewport()->rect())) {
            continue;
        }
        QColor color(c.color);
        if (!color.isValid()) {
            color = palette().color(QPalette::Highlight);
        }
        // The label covers a little of the line above: full strength while its owner types,
        // stepping back when they only sit there, and further when idle or away. The caret
        // itself stays fully visible.
        const qreal labelOpacity = c.typing              ? 0.95
                : c.activity == Client::Activity::Active ? 0.7
                : c.activity == Client::Activity::Idle   ? 0.4
                                                         : 0.25;
        painter.fillRect(QRect(caret.left(), caret.top(), 2, caret.height()), color);
        const QString name = metrics.elidedText(c.name, Qt::ElideRight, 160);
        QRect label(caret.left(), caret.top() - metrics.height() - 2,
                    metrics.horizontalAdvance(name) + 8, metrics.height() + 2);
        if (label.top() < 0) {
            label.moveTop(caret.bottom() + 1); // no room above the first line
        }
        painter.setOpacity(labelOpacity);
        painter.setPen(Qt::NoPen);
        painter.setBrush(color);
        painter.drawRoundedRect(label, 3, 3);
        // Black or white, whichever contrasts more (relative luminance, not HSL lightness).
        const qreal luminance
                = 0.2126 * color.redF() + 0.7152 * color.greenF() + 0.0722 * color.blueF();
        painter.setPen(luminance > 0.4 ? Qt::black : Qt::white);
        painter.drawText(label, Qt::AlignCenter, name);
        painter.setOpacity(1.0);
    }
}

} // namespace Tandem::Ui
