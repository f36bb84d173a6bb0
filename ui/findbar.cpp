// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/findbar.h"

#include <QGridLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTextDocument>
#include <QToolButton>

namespace Tandem::Ui {

FindBar::FindBar(QPlainTextEdit *editor, QWidget *parent) : QWidget(parent), m_editor(editor)
{
    setAccessibleName(tr("Find and replace"));
    auto *grid = new QGridLayout(this);
    grid->setContentsMargins(0, 2, 0, 2);
    m_find = new QLineEdit(this);
    m_find->setPlaceholderText(tr("Find in this note"));
    m_find->setAccessibleName(tr("Find"));
    m_find->setClearButtonEnabled(true);
    auto *previous = new QPushButton(tr("&Previous"), this);
    auto *next = new QPushButton(tr("Ne&xt"), this);
    m_result = new QLabel(this);
    auto *close = new QToolButton(this);
    close->setText(QStringLiteral("×"));
    close->setToolTip(tr("Close (Esc)"));
    close->setAccessibleName(tr("Close find and replace"));
    grid->addWidget(m_find, 0, 0);
    grid->addWidget(previous, 0, 1);
    grid->addWidget(next, 0, 2);
    grid->addWidget(m_result, 0, 3);
    grid->addWidget(close, 0, 4);

    m_replaceRow = new QWidget(this);
    auto *row = new QHBoxLayout(m_replaceRow);
    row->setContentsMargins(0, 0, 0, 0);
    m_replace = new QLineEdit(m_replaceRow);
    m_replace->setPlaceholderText(tr("Replace with"));
    m_replace->setAccessibleName(tr("Replace with"));
    auto *one = new QPushButton(tr("&Replace"), m_replaceRow);
    auto *all = new QPushButton(tr("Replace &All"), m_replaceRow);
    row->addWidget(m_replace, 1);
    row->addWidget(one);
    row->addWidget(all);
    grid->addWidget(m_replaceRow, 1, 0, 1, 5);
    grid->setColumnStretch(0, 1);

    connect(m_find, &QLineEdit::returnPressed, this, [this] { findNext(); });
    connect(m_find, &QLineEdit::textChanged, this, [this] { m_result->clear(); });
    connect(m_replace, &QLineEdit::returnPressed, this, &FindBar::replaceOne);
    connect(next, &QPushButton::clicked, this, [this] { findNext(); });
    connect(previous, &QPushButton::clicked, this, [this] { findNext(true); });
    connect(one, &QPushButton::clicked, this, &FindBar::replaceOne);
    connect(all, &QPushButton::clicked, this, &FindBar::replaceAll);
    connect(close, &QToolButton::clicked, this, [this] {
        hide();
        m_editor->setFocus();
    });
    hide();
}

void FindBar::open(bool withReplace)
{
    const QString selected = m_editor->textCursor().selectedText();
    if (!selected.isEmpty() && !selected.contains(QChar::ParagraphSeparator)) {
        m_find->setText(selected);
    }
    m_replaceRow->setVisible(withReplace);
    show();
    m_find->setFocus();
    m_find->selectAll();
}

bool FindBar::findNext(bool backwards)
{
    const QString text = m_find->text();
    if (text.isEmpty()) {
        return false;
    }
    const QTextDocument::FindFlags flags
            = backwards ? QTextDocument::FindBackward : QTextDocument::FindFlags();
    if (m_editor->find(text, flags)) {
        m_result->clear();
        return true;
    }
    // Wrap around once.
    m_editor->moveCursor(backwards ? QTextCursor::End : QTextCursor::Start);
    if (m_editor->find(text, flags)) {
        m_result->setText(tr("Wrapped around"));
        return true;
    }
    m_result->setText(tr("Not found"));
    return false;
}

void FindBar::replaceOne()
{
    QTextCursor c = m_editor->textCursor();
    if (c.hasSelection() && c.selectedText() == m_find->text()) {
        c.insertText(m_replace->text());
    }
    findNext();
}

int FindBar::replaceAll()
{
    const QString text = m_find->text();
    if (text.isEmpty()) {
        return 0;
    }
    QTextDocument *document = m_editor->document();
    // No edit block: Qt would report the whole span between the first and the last match as
    // one change, and peers' carets inside it would be thrown to its end. Match by match, each
    // becomes its own small shared edit (and the shared undo still takes them back as one
    // step: they fall within its capture window).
    int replaced = 0;
    QTextCursor hit = document->find(text, 0);
    while (!hit.isNull()) {
        hit.insertText(m_replace->text());
        ++replaced;
        hit = document->find(text, hit.position());
    }
    m_result->setText(tr("Replaced: %n", nullptr, replaced));
    return replaced;
}

void FindBar::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape) {
        hide();
        m_editor->setFocus();
        return;
    }
    if ((event->key() == Qt::Key_Return || event->key() == Qt::Key_Enter)
        && (event->modifiers() & Qt::ShiftModifier)) {
        findNext(true);
        return;
    }
    QWidget::keyPressEvent(event);
}

} // namespace Tandem::Ui
