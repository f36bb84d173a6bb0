// SPDX-License-Identifier: GPL-3.0-or-later
#include "ui/mainwindow.h"

#include "core/client/knownhosts.h"
#include "core/client/notes.h"
#include "core/client/session.h"
#include "core/server/accesstoken.h"
#include "core/server/roomserver.h"
#include "core/server/tls.h"
#include "core/storage/sqliteroomstore.h"
#include "ui/editorbinding.h"
#include "ui/findbar.h"
#include "ui/peoplelist.h"
#include "ui/sharededitor.h"

#include <QAccessible>
#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QHostInfo>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QListView>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QNetworkInterface>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSaveFile>
#include <QSettings>
#include <QSpinBox>
#include <QSplitter>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTextBlock>
#include <QTimer>
#include <QToolButton>
#include <QUrlQuery>
#include <QVBoxLayout>

#include "resources/icons.h"

namespace Tandem::Ui {

using Client::Provider;

MainWindow::MainWindow(Storage::RoomStore &localStore, QWidget *parent)
    : QMainWindow(parent), m_store(localStore)
{
    setWindowTitle(tr("Tandem"));
    setWindowIcon(Resources::icon(u"tandem"));
    QSettings settings;
    m_identity = Client::Identity::load(settings);
    buildUi();
    buildMenus();
    updateStatus();
    resize(1100, 700);
}

MainWindow::~MainWindow()
{
    closeRoom();
}

void MainWindow::buildUi()
{
    auto *splitter = new QSplitter(this);

    auto *left = new QWidget(splitter);
    auto *leftLayout = new QVBoxLayout(left);
    leftLayout->setContentsMargins(6, 6, 0, 0);
    m_filter = new QLineEdit(left);
    m_filter->setPlaceholderText(tr("Filter notes"));
    m_filter->setAccessibleName(tr("Filter notes"));
    m_filter->setClearButtonEnabled(true);
    m_notes = new QListWidget(left);
    m_notes->setAccessibleName(tr("Notes"));
    leftLayout->addWidget(m_filter);
    leftLayout->addWidget(m_notes);
    connect(m_filter, &QLineEdit::textChanged, this, &MainWindow::refreshNotes);
    connect(m_notes, &QListWidget::currentItemChanged, this, [this](QListWidgetItem *item) {
        if (item && item->data(Qt::UserRole).toString() != m_noteId) {
            openNote(item->data(Qt::UserRole).toString());
        }
    });

    auto *middle = new QWidget(splitter);
    auto *middleLayout = new QVBoxLayout(middle);
    middleLayout->setContentsMargins(0, 6, 0, 0);
    middleLayout->setSpacing(2);
    m_editor = new SharedEditor(middle);
    m_editor->setPlaceholderText(tr("Join a room and pick or create a note to start writing."));
    m_editor->setReadOnly(true);
    connect(m_editor, &SharedEditor::undoRequested, this, [this] {
        if (m_binding) {
            m_binding->undo();
        }
    });
    connect(m_editor, &SharedEditor::redoRequested, this, [this] {
        if (m_binding) {
            m_binding->redo();
        }
    });
    m_typing = new QLabel(middle);
    m_typing->setAccessibleName(tr("Who is typing"));
    m_typing->setMinimumHeight(m_typing->fontMetrics().height() + 4);
    middleLayout->addWidget(m_editor);
    m_findBar = new FindBar(m_editor, middle);
    middleLayout->addWidget(m_findBar);
    middleLayout->addWidget(m_typing);

    m_people = new QListView(splitter);
    m_people->setAccessibleName(tr("People in this room"));
    m_people->setItemDelegate(new PeopleDelegate(m_people));
    m_people->setSelectionMode(QAbstractItemView::NoSelection);

    splitter->addWidget(left);
    splitter->addWidget(middle);
    splitter->addWidget(m_people);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({220, 660, 220});
    setCentralWidget(splitter);

    m_connection = new QLabel(this);
    m_connection->setAccessibleName(tr("Connection"));
    m_unconfirmed = new QLabel(this);
    m_unconfirmed->setAccessibleName(tr("Changes not yet on the server"));
    m_rtt = new QLabel(this);
    m_rtt->setAccessibleName(tr("Round-trip time"));
    m_address = new QLabel(this);
    m_address->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_address->setAccessibleName(tr("Room address"));
    m_copyAddress = new QToolButton(this);
    m_copyAddress->setText(tr("Copy"));
    m_copyAddress->setIcon(Resources::icon(u"copy"));
    m_copyAddress->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_copyAddress->setToolTip(tr("Copy the room's address to share it"));
    m_copyAddress->setAccessibleName(tr("Copy room address"));
    connect(m_copyAddress, &QToolButton::clicked, this,
            [this] { QApplication::clipboard()->setText(m_address->text()); });
    statusBar()->addWidget(m_connection, 1);
    statusBar()->addWidget(m_unconfirmed);
    statusBar()->addWidget(m_rtt);
    statusBar()->addPermanentWidget(m_address);
    statusBar()->addPermanentWidget(m_copyAddress);
}

void MainWindow::buildMenus()
{
    QMenu *room = menuBar()->addMenu(tr("&Room"));
    room->addAction(Resources::icon(u"room-join"), tr("&Join a Room…"), QKeySequence::Open, this,
                    &MainWindow::joinDialog);
    room->addAction(Resources::icon(u"room-host"), tr("&Host a Room…"), this,
                    &MainWindow::hostDialog);
    room->addSeparator();
    room->addAction(tr("&Quit"), QKeySequence::Quit, qApp, &QApplication::quit);

    QMenu *note = menuBar()->addMenu(tr("&Note"));
    note->addAction(
            Resources::icon(u"note-new"), tr("&New Note…"), QKeySequence::New, this, [this] {
                if (!m_session) {
                    return;
                }
                bool ok = false;
                const QString title = QInputDialog::getText(this, tr("New Note"), tr("Title:"),
                                                            QLineEdit::Normal, QString(), &ok);
                if (ok && !title.trimmed().isEmpty()) {
                    createNote(title.trimmed());
                }
            });
    m_writeActions << note->actions().constLast();
    m_writeActions << note->addAction(Resources::icon(u"note-rename"), tr("&Rename…"), this,
                                      &MainWindow::renameCurrent);
    m_writeActions << note->addAction(Resources::icon(u"note-delete"), tr("&Delete"), this,
                                      &MainWindow::deleteCurrent);
    note->addSeparator();
    m_writeActions << note->addAction(Resources::icon(u"import"), tr("&Import…"), this,
                                      &MainWindow::importNote);
    note->addAction(Resources::icon(u"export"), tr("&Export…"), this, &MainWindow::exportNote);

    QMenu *edit = menuBar()->addMenu(tr("&Edit"));
    m_undo = edit->addAction(Resources::icon(u"undo"), tr("&Undo"), QKeySequence::Undo, this,
                             [this] {
                                 if (m_binding) {
                                     m_binding->undo();
                                 }
                             });
    m_redo = edit->addAction(Resources::icon(u"redo"), tr("&Redo"), QKeySequence::Redo, this,
                             [this] {
                                 if (m_binding) {
                                     m_binding->redo();
                                 }
                             });
    m_undo->setEnabled(false);
    m_redo->setEnabled(false);
    edit->addSeparator();
    m_writeActions << edit->addAction(Resources::icon(u"find-replace"), tr("&Find and Replace…"),
                                      QKeySequence::Replace, this, [this] {
                                          if (m_binding && !m_readOnly) {
                                              m_findBar->open(true);
                                          }
                                      });
    edit->addAction(tr("F&ind…"), QKeySequence::Find, this, [this] {
        if (m_binding) {
            m_findBar->open(false);
        }
    });
    edit->addAction(tr("Filter &Notes"), QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F), this,
                    [this] { m_filter->setFocus(); });

    // Complete keyboard use: each pane is one shortcut away (Tab types a tab in the editor;
    // Ctrl+Tab leaves it, as in every Qt text field).
    QMenu *view = menuBar()->addMenu(tr("&View"));
    view->addAction(tr("Go to &Notes"), QKeySequence(Qt::CTRL | Qt::Key_1), this,
                    [this] { m_notes->setFocus(); });
    view->addAction(tr("Go to the &Editor"), QKeySequence(Qt::CTRL | Qt::Key_2), this,
                    [this] { m_editor->setFocus(); });
    view->addAction(tr("Go to &People"), QKeySequence(Qt::CTRL | Qt::Key_3), this,
                    [this] { m_people->setFocus(); });
}

void MainWindow::setIdentity(const Client::Identity &identity)
{
    m_identity = identity;
    if (m_localPresence) {
        m_localPresence->setIdentity(identity);
    }
}

void MainWindow::closeRoom()
{
    m_binding.reset();
    m_noteId.clear();
    m_localPresence.reset();
    m_presenceModel.reset();
    m_people->setModel(nullptr);
    if (m_session) {
        m_session->doc().unsubscribe(m_afterTransactionSub);
    }
    m_notesModel.reset();
    m_session.reset();
    m_notes->clear();
    m_shownNotes.clear();
    m_editor->setRemoteCursors(nullptr, {});
    m_editor->setPlainText(QString());
    m_editor->setReadOnly(true);
}

bool MainWindow::openRoom(const QUrl &url, QString *error, const QString &plainText)
{
    closeRoom();
    m_plainText = plainText;
    // A read-only token says so in the clear (the server decides; this only spares the guest
    // edits the server would refuse).
    const auto grant = Server::Access::peekToken(
            QUrlQuery(url).queryItemValue(QStringLiteral("token"), QUrl::FullyDecoded).toLatin1());
    m_readOnly = grant && grant->permission == Server::Access::Permission::Read;
    for (QAction *action : std::as_const(m_writeActions)) {
        action->setEnabled(!m_readOnly);
    }
    auto session = std::make_unique<Client::Session>(url, m_store);
    m_localPresence = std::make_unique<Client::LocalPresence>(session->awareness());
    m_localPresence->setIdentity(m_identity);
    if (!session->open(error)) {
        m_localPresence.reset();
        return false;
    }
    m_session = std::move(session);
    m_notesModel = std::make_unique<Client::Notes>(m_session->doc());
    m_presenceModel = std::make_unique<Client::PresenceModel>(m_session->awareness());
    m_people->setModel(m_presenceModel.get());
    connect(m_presenceModel.get(), &QAbstractItemModel::modelReset, this,
            &MainWindow::refreshPeople);
    Provider *provider = m_session->provider();
    connect(provider, &Provider::statusChanged, this, &MainWindow::updateStatus);
    connect(provider, &Provider::unconfirmedChangesChanged, this, &MainWindow::updateStatus);
    connect(&m_session->transport(), &Client::Transport::roundTripMeasured, this,
            &MainWindow::updateStatus);
    connect(&m_session->transport(), &Client::Transport::retryScheduled, this,
            &MainWindow::updateStatus);
    connect(&m_session->transport(), &Client::Transport::certificateUnknown, this,
            &MainWindow::certificateUnknown);
    connect(&m_session->transport(), &Client::Transport::certificateChanged, this,
            &MainWindow::certificateChanged);
    m_afterTransactionSub = m_session->doc().onAfterTransaction(
            [this](Crdt::Transaction &) { scheduleRefresh(); });
    m_address->setText(url.toString());
    setWindowTitle(tr("%1 – Tandem").arg(url.path().mid(1)));
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("recent/rooms")).toStringList();
    recent.removeAll(url.toString());
    recent.prepend(url.toString());
    settings.setValue(QStringLiteral("recent/rooms"), recent.mid(0, 10));
    refreshNotes();
    refreshPeople();
    updateStatus();
    return true;
}

bool MainWindow::hostRoom(quint16 port, const QString &room, QString *error, bool encrypt)
{
    Server::ServerOptions options;
    options.host = QHostAddress::Any; // teammates join over the network
    options.port = port;
    const QString dataDir = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    const QString dir = dataDir + QStringLiteral("/hosted");
    QDir().mkpath(dir);
    if (encrypt) {
        // One self-signed certificate for good: teammates who trusted it once are not asked
        // again the next time this computer hosts.
        options.certFile = dataDir + QStringLiteral("/tls/cert.pem");
        options.keyFile = dataDir + QStringLiteral("/tls/key.pem");
        QString loadError;
        if (!Server::TlsContext::load(options.certFile, options.keyFile, &loadError)) {
            QStringList names {QStringLiteral("localhost"), QHostInfo::localHostName()};
            for (const QHostAddress &a : QNetworkInterface::allAddresses()) {
                names << a.toString();
            }
            names.removeAll(QString());
            names.removeDuplicates();
            if (!Server::generateSelfSignedCertificate(options.certFile, options.keyFile, names,
                                                       3650, error)) {
                return false;
            }
        }
    }
    // Only people given a link get in: the links carry access tokens (hostDialog() makes them).
    options.requireToken = true;
    auto server = std::make_unique<Server::RoomServer>(
            options,
            std::make_unique<Storage::SqliteRoomStore>(dir + QStringLiteral("/rooms.sqlite")));
    if (!server->listen(error)) {
        return false;
    }
    const quint16 actualPort = quint16(server->url().port());
    m_hosted = std::move(server);
    m_hostedRoom = Server::RoomServer::roomNameFromTyped(room);
    if (encrypt) {
        // This window joins its own server: it knows the certificate is its own.
        Client::KnownHosts::remember(QStringLiteral("127.0.0.1:%1").arg(actualPort),
                                     m_hosted->certificateFingerprint());
    }
    // This window's own link: read and write, for as long as it hosts.
    const QUrl own = hostedInvite(QStringLiteral("127.0.0.1"), false, 0, error);
    return !own.isEmpty() && openRoom(own, error);
}

QUrl MainWindow::hostedInvite(const QString &host, bool readOnly, qint64 validSecs, QString *error)
{
    if (!m_hosted) {
        return {};
    }
    const QByteArray token = m_hosted->issueToken(m_hostedRoom, readOnly, validSecs,
                                                  host == QStringLiteral("127.0.0.1")
                                                          ? QStringLiteral("the host's own window")
                                                          : QStringLiteral("invited from the app"),
                                                  error);
    if (token.isEmpty()) {
        return {};
    }
    QUrl url = m_hosted->inviteUrl(m_hostedRoom, token);
    url.setHost(host);
    return url;
}

QString MainWindow::hostedFingerprint() const
{
    return m_hosted ? m_hosted->certificateFingerprint() : QString();
}

namespace {

/// A fingerprint for people to compare: monospace, in groups (HTML).
QString fingerprintHtml(const QString &fingerprint)
{
    return QStringLiteral("<pre style=\"font-family: monospace\">%1</pre>")
            .arg(Client::KnownHosts::grouped(fingerprint).toHtmlEscaped());
}

} // namespace

void MainWindow::certificateUnknown(const QString &hostPort, const QString &fingerprint)
{
    auto *box = new QMessageBox(this);
    box->setObjectName(QStringLiteral("certificateUnknownDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setIcon(QMessageBox::Question);
    box->setWindowTitle(tr("Unknown certificate"));
    box->setTextFormat(Qt::RichText);
    box->setText(tr("<p>The server <b>%1</b> uses a certificate that is not signed by an "
                    "authority this computer trusts (a self-signed certificate, as Tandem "
                    "makes).</p><p>Compare its SHA-256 fingerprint with the one the host sees "
                    "(ask them over another channel):</p>%2")
                         .arg(hostPort.toHtmlEscaped(), fingerprintHtml(fingerprint)));
    QPushButton *trust = box->addButton(tr("Trust and connect"), QMessageBox::AcceptRole);
    trust->setObjectName(QStringLiteral("trust"));
    QPushButton *cancel = box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(cancel);
    box->setEscapeButton(cancel);
    connect(box, &QMessageBox::finished, this, [this, box, trust, hostPort, fingerprint] {
        if (box->clickedButton() == trust) {
            trustAndReconnect(hostPort, fingerprint);
        }
    });
    box->open();
}

void MainWindow::certificateChanged(const QString &hostPort, const QString &known,
                                    const QString &now)
{
    auto *box = new QMessageBox(this);
    box->setObjectName(QStringLiteral("certificateChangedDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setIcon(QMessageBox::Warning);
    box->setWindowTitle(tr("The server's certificate changed"));
    box->setTextFormat(Qt::RichText);
    box->setText(
            tr("<p><b>The certificate of %1 is not the one you trusted before.</b></p>"
               "<p>Someone may be intercepting the connection, or the host made a new "
               "certificate. Tandem did not connect. Ask the host which fingerprint their "
               "server has now.</p><p>Trusted before:</p>%2<p>Now:</p>%3")
                    .arg(hostPort.toHtmlEscaped(), fingerprintHtml(known), fingerprintHtml(now)));
    QPushButton *trust = box->addButton(tr("Trust the new certificate"), QMessageBox::AcceptRole);
    trust->setObjectName(QStringLiteral("trust"));
    trust->setAutoDefault(false);
    QPushButton *cancel = box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(cancel);
    box->setEscapeButton(cancel);
    connect(box, &QMessageBox::finished, this, [this, box, trust, hostPort, now] {
        if (box->clickedButton() == trust) {
            trustAndReconnect(hostPort, now);
        }
    });
    box->open();
}

void MainWindow::trustAndReconnect(const QString &hostPort, const QString &fingerprint)
{
    Client::KnownHosts::remember(hostPort, fingerprint);
    if (m_session && Client::KnownHosts::hostPort(m_session->url()) == hostPort) {
        m_session->transport().open(m_session->url());
    }
}

void MainWindow::scheduleRefresh()
{
    if (m_refreshScheduled) {
        return;
    }
    m_refreshScheduled = true;
    QTimer::singleShot(0, this, [this] {
        m_refreshScheduled = false;
        refreshNotes();
        refreshPeople(); // cursors move with the text
    });
}

void MainWindow::refreshNotes()
{
    if (!m_notesModel) {
        return;
    }
    if (!m_plainText.isEmpty()) {
        if (!m_binding) {
            openNote(QString());
        }
        return;
    }
    const QString filter = m_filter->text().trimmed();
    const auto notes = m_notesModel->list();
    // Every keystroke in the room lands here: rebuild the list only when what it shows changed,
    // so that someone moving through it with the keyboard is not thrown back.
    QStringList shown {filter, m_noteId};
    for (const auto &note : notes) {
        shown << note.id << note.title;
    }
    if (shown == m_shownNotes) {
        return;
    }
    m_shownNotes = shown;
    QSignalBlocker block(m_notes);
    m_notes->clear();
    bool currentExists = false;
    for (const auto &note : notes) {
        currentExists = currentExists || note.id == m_noteId;
        if (!filter.isEmpty() && !note.title.contains(filter, Qt::CaseInsensitive)) {
            continue;
        }
        auto *item = new QListWidgetItem(note.title.isEmpty() ? tr("(untitled)") : note.title,
                                         m_notes);
        item->setData(Qt::UserRole, note.id);
        item->setToolTip(tr("Created by %1").arg(note.createdBy));
        if (note.id == m_noteId) {
            m_notes->setCurrentItem(item);
        }
    }
    if (!m_noteId.isEmpty() && !currentExists) {
        // Someone deleted the note that was open here.
        m_binding.reset();
        m_noteId.clear();
        m_editor->setPlainText(QString());
        m_editor->setReadOnly(true);
        m_editor->setPlaceholderText(tr("This note was deleted."));
    }
    if (m_noteId.isEmpty() && !notes.empty() && !m_binding) {
        openNote(notes.front().id);
    }
}

bool MainWindow::openNote(const QString &id)
{
    if (!m_notesModel) {
        return false;
    }
    Crdt::Text body;
    if (!m_plainText.isEmpty()) {
        body = m_session->doc().getText(m_plainText.toStdString());
    } else {
        const auto note = m_notesModel->find(id);
        if (!note || !note->body.isValid()) {
            return false;
        }
        body = note->body;
    }
    m_binding.reset();
    m_noteId = id;
    m_editor->setReadOnly(m_readOnly);
    m_binding = std::make_unique<EditorBinding>(m_session->doc(), body, m_editor);
    connect(m_binding.get(), &EditorBinding::localEdit, this,
            [this] { m_localPresence->noteTyping(); });
    connect(m_binding.get(), &EditorBinding::undoAvailable, m_undo, &QAction::setEnabled);
    connect(m_binding.get(), &EditorBinding::redoAvailable, m_redo, &QAction::setEnabled);
    connect(m_editor, &QPlainTextEdit::cursorPositionChanged, m_binding.get(), [this] {
        if (!m_binding) {
            return;
        }
        const QTextCursor c = m_editor->textCursor();
        m_localPresence->setCursor(m_binding->text(), uint64_t(c.anchor()), uint64_t(c.position()));
        m_localPresence->noteActivity();
    });
    const QTextCursor c = m_editor->textCursor();
    m_localPresence->setCursor(body, uint64_t(c.anchor()), uint64_t(c.position()));
    if (m_plainText.isEmpty()) {
        refreshNotes();
    }
    refreshPeople();
    return true;
}

QString MainWindow::createNote(const QString &title)
{
    if (!m_notesModel) {
        return {};
    }
    const QString id = m_notesModel->create(title, m_identity.name);
    openNote(id);
    m_editor->setFocus();
    return id;
}

void MainWindow::refreshPeople()
{
    if (!m_presenceModel) {
        m_typing->clear();
        return;
    }
    QStringList typing, present;
    for (const auto &person : m_presenceModel->people()) {
        if (!person.local) {
            present << person.name;
            if (person.typing) {
                typing << person.name;
            }
        }
    }
    m_typing->setText(typingSentence(typing));
    m_editor->setRemoteCursors(&m_session->doc(), m_presenceModel->people());
    // Joins and leaves are announced to screen readers (as a description change of the people
    // list, which they read politely; Qt 6.4 has no announcement event), keystrokes are not.
    QStringList news;
    for (const QString &name : present) {
        if (!m_announcedPeople.contains(name)) {
            news << tr("%1 joined").arg(name);
        }
    }
    for (const QString &name : std::as_const(m_announcedPeople)) {
        if (!present.contains(name)) {
            news << tr("%1 left").arg(name);
        }
    }
    if (!news.isEmpty()) {
        m_people->setAccessibleDescription(news.join(QStringLiteral(", ")));
        QAccessibleEvent e(m_people, QAccessible::DescriptionChanged);
        QAccessible::updateAccessibility(&e);
    }
    m_announcedPeople = present;
}

void MainWindow::updateStatus()
{
    if (!m_session) {
        m_connection->setText(tr("Not in a room: Room ▸ Join a Room… or Host a Room…"));
        m_unconfirmed->clear();
        m_rtt->clear();
        m_address->clear();
        m_copyAddress->setEnabled(false);
        return;
    }
    m_copyAddress->setEnabled(true);
    const Provider *provider = m_session->provider();
    const Client::Transport &transport = m_session->transport();
    QString state;
    switch (provider->status()) {
    case Provider::Status::Disconnected:
        state = tr("Disconnected: working offline");
        break;
    case Provider::Status::Connecting:
        if (const auto at = transport.nextAttemptAt()) {
            const qint64 inS
                    = std::max<qint64>(1, (*at - Client::Clock::system().nowMs() + 999) / 1000);
            state = tr("Offline: working offline, retrying in %n s", nullptr, int(inS));
        } else {
            state = tr("Connecting…");
        }
        break;
    case Provider::Status::Syncing:
        state = tr("Syncing…");
        break;
    case Provider::Status::Synced:
        state = m_readOnly ? tr("Connected, read-only: you can read along but not change notes")
                           : tr("Connected");
        break;
    case Provider::Status::Offline:
        state = transport.certificateRefused()
                ? tr("Not connected: %1. Your changes are kept on this computer.")
                          .arg(transport.reason())
                : tr("Refused by the server: %1. Your changes are kept on this computer.")
                          .arg(transport.reason());
        break;
    }
    m_connection->setText(state);
    m_connection->setToolTip(transport.reason()); // the technical reason, for the curious
    const int unconfirmed = provider->unconfirmedChanges();
    m_unconfirmed->setText(unconfirmed == 0
                                   ? tr("All changes saved on the server")
                                   : tr("Changes not yet on the server: %n", nullptr, unconfirmed));
    if (const auto rtt = transport.roundTripMs();
        rtt && provider->status() == Provider::Status::Synced) {
        m_rtt->setText(tr("%1 ms").arg(*rtt));
    } else {
        m_rtt->clear();
    }
}

void MainWindow::joinDialog()
{
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Join a Room"));
    auto *form = new QFormLayout(&dialog);
    QSettings settings;
    // The address, with the rooms joined before one keystroke away.
    auto *address = new QComboBox(&dialog);
    address->setEditable(true);
    address->setInsertPolicy(QComboBox::NoInsert);
    address->setMinimumContentsLength(36);
    const QStringList recent = settings.value(QStringLiteral("recent/rooms")).toStringList();
    address->addItems(recent);
    address->setCurrentText(recent.value(0, QStringLiteral("ws://127.0.0.1:1234/notes")));
    address->setAccessibleName(tr("Room address"));
    auto *name = new QLineEdit(m_identity.name, &dialog);
    name->setAccessibleName(tr("Your name"));
    auto *color = new QListWidget(&dialog);
    color->setAccessibleName(tr("Your colour"));
    color->setFlow(QListView::LeftToRight);
    color->setMaximumHeight(40);
    for (const QString &c : Client::Identity::palette()) {
        auto *item = new QListWidgetItem(color);
        item->setData(Qt::DecorationRole, QColor(c));
        item->setData(Qt::UserRole, c);
        item->setData(Qt::AccessibleTextRole, c);
        if (c == m_identity.color) {
            color->setCurrentItem(item);
        }
    }
    form->addRow(tr("&Room address:"), address);
    form->addRow(tr("Your &name:"), name);
    form->addRow(tr("Your &colour:"), color);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    Client::Identity identity = m_identity;
    if (!name->text().trimmed().isEmpty()) {
        identity.name = name->text().trimmed();
    }
    if (color->currentItem()) {
        identity.color = color->currentItem()->data(Qt::UserRole).toString();
    }
    identity.save(settings);
    setIdentity(identity);
    QString error;
    if (!openRoom(QUrl::fromUserInput(address->currentText().trimmed()), &error)) {
        QMessageBox::warning(this, tr("Cannot open the room"), error);
    }
}

void MainWindow::hostDialog()
{
    QDialog dialog(this);
    dialog.setObjectName(QStringLiteral("hostDialog"));
    dialog.setWindowTitle(tr("Host a Room"));
    auto *form = new QFormLayout(&dialog);
    auto *port = new QSpinBox(&dialog);
    port->setObjectName(QStringLiteral("port"));
    port->setRange(1, 65535);
    port->setValue(1234);
    port->setAccessibleName(tr("Port for teammates to connect to"));
    auto *room = new QLineEdit(QStringLiteral("notes"), &dialog);
    room->setObjectName(QStringLiteral("room"));
    room->setAccessibleName(tr("Room name"));
    auto *encrypt = new QCheckBox(tr("&Encrypt (wss://)"), &dialog);
    encrypt->setObjectName(QStringLiteral("encrypt"));
    encrypt->setChecked(Server::TlsContext::available()); // a build without OpenSSL cannot
    encrypt->setEnabled(Server::TlsContext::available());
    encrypt->setToolTip(tr("Teammates connect over TLS. The certificate is self-signed: the "
                           "first time, they compare its fingerprint with the one shown here."));
    form->addRow(tr("&Port for teammates to connect to:"), port);
    form->addRow(tr("&Room name:"), room);
    form->addRow(QString(), encrypt);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    form->addRow(buttons);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    if (dialog.exec() != QDialog::Accepted || room->text().trimmed().isEmpty()) {
        return;
    }
    const QString name = room->text().trimmed();
    const bool tls = encrypt->isChecked();
    QString error;
    if (!hostRoom(quint16(port->value()), name, &error, tls)) {
        QMessageBox::warning(this, tr("Cannot host the room"), error);
        return;
    }
    // Links with access tokens, valid for 30 days: one to edit, one to read along, for each
    // address this computer has on the network.
    QStringList hosts;
    for (const QHostAddress &a : QNetworkInterface::allAddresses()) {
        if (!a.isLoopback() && a.protocol() == QAbstractSocket::IPv4Protocol) {
            hosts << a.toString();
        }
    }
    if (hosts.isEmpty()) {
        hosts << QStringLiteral("127.0.0.1");
    }
    constexpr qint64 month = 30 * 24 * 3600;
    QStringList edit, read;
    for (const QString &host : std::as_const(hosts)) {
        edit << hostedInvite(host, false, month, &error).toString(QUrl::FullyEncoded);
        read << hostedInvite(host, true, month, &error).toString(QUrl::FullyEncoded);
    }
    // The links are long (they carry the token): wrapped, selectable, one click to copy.
    QDialog shown(this);
    shown.setObjectName(QStringLiteral("hostedDialog"));
    shown.setWindowTitle(tr("Room hosted"));
    auto *layout = new QVBoxLayout(&shown);
    layout->addWidget(new QLabel(tr("Only people with a link can join. The links are valid for "
                                    "30 days."),
                                 &shown));
    const auto addLinks = [&](const QString &title, const QString &objectName,
                              const QStringList &links) {
        auto *label = new QLabel(title, &shown);
        auto *box = new QPlainTextEdit(links.join(QLatin1Char('\n')), &shown);
        box->setObjectName(objectName);
        box->setReadOnly(true);
        box->setWordWrapMode(QTextOption::WrapAnywhere);
        box->setMaximumHeight(box->fontMetrics().lineSpacing() * 5);
        box->setAccessibleName(title);
        label->setBuddy(box);
        auto *copy = new QPushButton(tr("Copy"), &shown);
        copy->setAccessibleName(tr("Copy: %1").arg(title));
        connect(copy, &QPushButton::clicked, &shown,
                [links] { QGuiApplication::clipboard()->setText(links.join(QLatin1Char('\n'))); });
        auto *row = new QHBoxLayout;
        row->addWidget(box, 1);
        row->addWidget(copy, 0, Qt::AlignTop);
        layout->addWidget(label);
        layout->addLayout(row);
    };
    addLinks(tr("For teammates who may &edit:"), QStringLiteral("editLinks"), edit);
    addLinks(tr("For guests who may only &read:"), QStringLiteral("readLinks"), read);
    if (tls) {
        auto *fp = new QLabel(tr("<p>The certificate's SHA-256 fingerprint, for them to compare "
                                 "when Tandem asks:</p>%1")
                                      .arg(fingerprintHtml(hostedFingerprint())),
                              &shown);
        fp->setTextInteractionFlags(Qt::TextSelectableByMouse);
        layout->addWidget(fp);
    }
    auto *ok = new QDialogButtonBox(QDialogButtonBox::Ok, &shown);
    connect(ok, &QDialogButtonBox::accepted, &shown, &QDialog::accept);
    layout->addWidget(ok);
    shown.resize(640, shown.sizeHint().height());
    shown.exec();
}

void MainWindow::renameCurrent()
{
    if (!m_notesModel || m_noteId.isEmpty()) {
        return;
    }
    const auto note = m_notesModel->find(m_noteId);
    bool ok = false;
    const QString title
            = QInputDialog::getText(this, tr("Rename Note"), tr("Title:"), QLineEdit::Normal,
                                    note ? note->title : QString(), &ok);
    if (ok && !title.trimmed().isEmpty()) {
        m_notesModel->rename(m_noteId, title.trimmed());
    }
}

void MainWindow::deleteCurrent()
{
    if (!m_notesModel || m_noteId.isEmpty()) {
        return;
    }
    const auto note = m_notesModel->find(m_noteId);
    if (QMessageBox::question(
                this, tr("Delete Note"),
                tr("Delete “%1” for everyone in this room?").arg(note ? note->title : QString()))
        == QMessageBox::Yes) {
        m_notesModel->remove(m_noteId);
    }
}

void MainWindow::importNote()
{
    if (!m_notesModel) {
        return;
    }
    const QString path
            = QFileDialog::getOpenFileName(this, tr("Import a Note"), QString(),
                                           tr("Text and Markdown (*.txt *.md);;All files (*)"));
    if (path.isEmpty()) {
        return;
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        QMessageBox::warning(this, tr("Cannot import"), file.errorString());
        return;
    }
    const QString id = m_notesModel->create(QFileInfo(path).completeBaseName(), m_identity.name,
                                            QString::fromUtf8(file.readAll()));
    openNote(id);
}

void MainWindow::exportNote()
{
    if (!m_binding) {
        return;
    }
    const auto note = m_notesModel->find(m_noteId);
    const QString path = QFileDialog::getSaveFileName(
            this, tr("Export the Note"), (note ? note->title : QString()) + QStringLiteral(".md"));
    if (path.isEmpty()) {
        return;
    }
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly)
        || file.write(QString::fromStdU16String(m_binding->text().toString()).toUtf8()) < 0
        || !file.commit()) {
        QMessageBox::warning(this, tr("Cannot export"), file.errorString());
    }
}

} // namespace Tandem::Ui
