// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;

namespace Tandem::Ui {

/// Find and replace under the editor, as in most editors: Ctrl+F / Ctrl+H open it, Enter finds
/// the next match (Shift+Enter the previous one), Escape closes it. Replacing goes through the
/// editor's document, so the binding turns it into ordinary shared edits: peers receive only
/// the replaced words.
class FindBar : public QWidget
{
    Q_OBJECT
public:
    explicit FindBar(QPlainTextEdit *editor, QWidget *parent = nullptr);

    /// Shows the bar with the editor's selection as the search text.
    void open(bool withReplace);
    bool findNext(bool backwards = false);
    int replaceAll();
    /// Replaces the current match (if the selection is one) and finds the next.
    void replaceOne();

    QLineEdit *findField() const { return m_find; }
    QLineEdit *replaceField() const { return m_replace; }

protected:
    void keyPressEvent(QKeyEvent *event) override;

private:
    QPlainTextEdit *m_editor;
    QLineEdit *m_find;
    QLineEdit *m_replace;
    QWidget *m_replaceRow;
    QLabel *m_result;
};

} // namespace Tandem::Ui
