// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/client/presence.h"

#include <QMainWindow>
#include <QUrl>

#include <memory>
#include <optional>

class QLabel;
class QLineEdit;
class QListView;
class QListWidget;
class QToolButton;

namespace Tandem::Client {
class Session;
class Notes;
} // namespace Tandem::Client
namespace Tandem::Server {
class RoomServer;
}
namespace Tandem::Storage {
class RoomStore;
}

namespace Tandem::Ui {

class EditorBinding;
class FindBar;
class SharedEditor;

/// One room: its notes on the left, the shared editor in the middle with the typing line
/// under it, the people on the right, and the connection in the status bar.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    /// @p localStore keeps every joined room offline-first; it must outlive the window.
    explicit MainWindow(Storage::RoomStore &localStore, QWidget *parent = nullptr);
    ~MainWindow() override;

    void setIdentity(const Client::Identity &identity);
    /// Joins @p url (ws://host:port/room). With @p plainText, the room is a Yjs demo's: its
    /// root Text of that name is the one note (docs/ROOM-SCHEMA.md). False with @p error if
    /// the local copy is unreadable.
    bool openRoom(const QUrl &url, QString *error, const QString &plainText = {});
    /// Starts a room server inside the app on @p port (0: any) and joins @p room on it. With
    /// @p encrypt, it serves wss:// with a self-signed certificate made once and kept in the
    /// app data directory (tls/), which this window trusts without asking. Only links with an
    /// access token get in (hostedInvite()); this window joins with its own.
    bool hostRoom(quint16 port, const QString &room, QString *error, bool encrypt = false);
    /// The hosted server's certificate fingerprint ("AB:CD:…"), empty unless hosting wss://.
    QString hostedFingerprint() const;
    /// A link to the hosted room at @p host, with a new access token (read-only or not,
    /// valid @p validSecs, 0: until revoked). Empty with @p error if not hosting.
    QUrl hostedInvite(const QString &host, bool readOnly, qint64 validSecs, QString *error);

    /// Creates a note and opens it; returns its id.
    QString createNote(const QString &title);
    bool openNote(const QString &id);
    QString currentNoteId() const { return m_noteId; }

    // For tests and screenshots.
    Client::Session *session() const { return m_session.get(); }
    SharedEditor *editor() const { return m_editor; }
    QListWidget *notesList() const { return m_notes; }
    QListView *peopleView() const { return m_people; }
    QLabel *typingLine() const { return m_typing; }
    QLabel *connectionLabel() const { return m_connection; }
    QLabel *unconfirmedLabel() const { return m_unconfirmed; }
    Client::PresenceModel *presence() const { return m_presenceModel.get(); }
    EditorBinding *binding() const { return m_binding.get(); }
    FindBar *findBar() const { return m_findBar; }

private:
    void buildUi();
    void buildMenus();
    void closeRoom();
    void refreshNotes();
    void scheduleRefresh();
    void refreshPeople();
    void updateStatus();
    void joinDialog();
    void hostDialog();
    /// The server's certificate is self-signed and new to us: the user compares and decides.
    void certificateUnknown(const QString &hostPort, const QString &fingerprint);
    /// The server's certificate is not the one trusted before: a loud warning.
    void certificateChanged(const QString &hostPort, const QString &known, const QString &now);
    void trustAndReconnect(const QString &hostPort, const QString &fingerprint);
    void renameCurrent();
    void deleteCurrent();
    void importNote();
    void exportNote();

    Storage::RoomStore &m_store;
    Client::Identity m_identity;
    std::unique_ptr<Server::RoomServer> m_hosted;
    QString m_hostedRoom; ///< as the server names it
    std::unique_ptr<Client::Session> m_session;
    std::unique_ptr<Client::Notes> m_notesModel;
    std::unique_ptr<Client::PresenceModel> m_presenceModel;
    std::unique_ptr<Client::LocalPresence> m_localPresence;
    std::unique_ptr<EditorBinding> m_binding;
    QString m_noteId;
    QString m_plainText; ///< plain mode: the bound root Text
    bool m_readOnly = false; ///< the room's link carries a read-only access token
    QList<QAction *> m_writeActions; ///< what a read-only guest cannot do
    bool m_refreshScheduled = false;
    uint64_t m_afterTransactionSub = 0;
    QStringList m_announcedPeople;
    QStringList m_shownNotes; ///< what the notes list shows (filter, current note, ids, titles)

    QListWidget *m_notes = nullptr;
    QLineEdit *m_filter = nullptr;
    SharedEditor *m_editor = nullptr;
    FindBar *m_findBar = nullptr;
    QLabel *m_typing = nullptr;
    QListView *m_people = nullptr;
    QLabel *m_connection = nullptr;
    QLabel *m_unconfirmed = nullptr;
    QLabel *m_rtt = nullptr;
    QLabel *m_address = nullptr;
    QToolButton *m_copyAddress = nullptr;
    QAction *m_undo = nullptr;
    QAction *m_redo = nullptr;
};

} // namespace Tandem::Ui
