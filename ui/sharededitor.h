// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/client/presence.h"

#include <QPlainTextEdit>

namespace Tandem::Crdt {
class Doc;
}

namespace Tandem::Ui {

/// The note editor: a QPlainTextEdit that also draws the other people's cursors and
/// selections in their colours, with a name label over each caret that fades while its owner
/// is idle or away. Cursors arrive as relative positions, so they stay on the same characters
/// whatever else is edited meanwhile.
class SharedEditor : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit SharedEditor(QWidget *parent = nullptr);

    /// Whose cursors to draw: the people model's rows (the local user is skipped), resolved in
    /// @p doc. Call again when the people or the document change.
    void setRemoteCursors(Crdt::Doc *doc, const QList<Client::PresenceModel::Person> &people);

    struct RemoteCursor
    {
        QString name;
        QString color;
        Client::Activity activity = Client::Activity::Active;
        bool typing = false;
        int anchor = 0;
        int head = 0;
    };
    /// The cursors as last resolved (for tests and accessibility).
    const QList<RemoteCursor> &remoteCursors() const { return m_cursors; }
    /// Where a remote caret is drawn, in viewport coordinates.
    QRect caretRect(const RemoteCursor &cursor) const;

Q_SIGNALS:
    /// The platform's undo or redo keys were pressed here. The document's own undo is off:
    /// the shared undo (own edits only) answers them.
    void undoRequested();
    void redoRequested();

protected:
    void paintEvent(QPaintEvent *event) override;
    void keyPressEvent(QKeyEvent *event) override;
    bool event(QEvent *event) override;

private:
    void updateSelections();

    QList<RemoteCursor> m_cursors;
};

} // namespace Tandem::Ui
