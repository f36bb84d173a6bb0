// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/doc.h"
#include "core/crdt/text.h"
#include "core/crdt/undomanager.h"

#include <QObject>
#include <QString>

#include <memory>

class QPlainTextEdit;

namespace Tandem::Ui {

/// Keeps a QPlainTextEdit and a shared Text the same, both ways.
///
/// Local edits (typing, paste, IME commits; pre-edit text is not part of the document until
/// committed) become CRDT edits with this binding as origin; remote changes are applied to
/// the document through a separate cursor, so the local caret, selection and scroll position
/// stay where they were. Paragraph separators are '\n' in the Text. QTextDocument's own undo
/// is off: undo() and redo() go through an UndoManager that only touches this user's edits.
class EditorBinding : public QObject
{
    Q_OBJECT
public:
    EditorBinding(Crdt::Doc &doc, Crdt::Text text, QPlainTextEdit *editor,
                  QObject *parent = nullptr);
    ~EditorBinding() override;

    QPlainTextEdit *editor() const { return m_editor; }
    Crdt::Text text() const { return m_text; }
    Crdt::UndoManager &undoManager() { return *m_undo; }
    bool undo();
    bool redo();

Q_SIGNALS:
    /// The user changed the text (for typing indicators).
    void localEdit();
    void undoAvailable(bool);
    void redoAvailable(bool);

private:
    void onContentsChange(int position, int removed, int added);
    void applyRemote(const Crdt::Delta &delta);
    void emitUndoState();

    Crdt::Doc &m_doc;
    Crdt::Text m_text;
    QPlainTextEdit *m_editor;
    std::unique_ptr<Crdt::UndoManager> m_undo;
    Crdt::SubscriptionId m_observer = 0;
    /// The text as the CRDT has it: contentsChange() can over-report a change, so the real
    /// difference is found against this copy.
    QString m_shadow;
    bool m_applyingRemote = false;
};

} // namespace Tandem::Ui
