// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// Who is in the room and what they are doing, through the awareness fields that Yjs editor
// bindings understand (y-codemirror.next, y-prosemirror, y-quill):
//   user:   {name, color, colorLight}
//   cursor: {anchor, head}  relative positions in their full JSON form
// plus Tandem's own:
//   typing: true while keys are being pressed (cleared 1 s after the last one)
//   status: "active" | "idle" (no input for 1 min) | "away" (5 min)

#include "core/client/clock.h"
#include "core/crdt/relativeposition.h"
#include "core/encoding/any.h"
#include "core/protocol/awareness.h"

#include <QAbstractListModel>
#include <QString>

#include <optional>

class QSettings;

namespace Tandem::Crdt {
class Doc;
class Text;
} // namespace Tandem::Crdt

namespace Tandem::Client {

/// The local user as others see them. Kept in QSettings ("identity/name", "identity/color").
struct Identity
{
    QString name;
    QString color; ///< "#rrggbb" (core has no QtGui, so no QColor)

    /// The colour at a third of its strength, "#rrggbb33" as y-codemirror.next's demos use for
    /// selections.
    QString colorLight() const;
    /// The stored identity, or a new one (the login name, a palette colour) that is stored.
    static Identity load(QSettings &settings);
    void save(QSettings &settings) const;
    /// Eight colours that stay readable on light and dark backgrounds.
    static const QStringList &palette();
};

enum class Activity { Active, Idle, Away };

/// Writes the local user's presence into the awareness: identity, cursor, typing, status.
class LocalPresence : public QObject
{
    Q_OBJECT
public:
    static constexpr int64_t typingClearMs = 1000;
    static constexpr int64_t idleAfterMs = 60 * 1000;
    static constexpr int64_t awayAfterMs = 5 * 60 * 1000;

    LocalPresence(Protocol::Awareness &awareness, Clock &clock = Clock::system(),
                  QObject *parent = nullptr);
    ~LocalPresence() override;

    void setIdentity(const Identity &identity);
    /// The caret (@p head) and selection start (@p anchor) in @p text, in UTF-16 units.
    void setCursor(const Crdt::Text &text, uint64_t anchor, uint64_t head);
    void clearCursor();
    /// The user typed: typing now, active; typing ends typingClearMs after the last call.
    void noteTyping();
    /// Any other input (mouse, caret moves): active, not typing.
    void noteActivity();

    bool typing() const { return m_typing; }
    Activity activity() const { return m_activity; }

private:
    void publish();
    void scheduleActivityCheck();

    Protocol::Awareness &m_awareness;
    Clock &m_clock;
    Identity m_identity;
    std::optional<Encoding::Any> m_cursor;
    bool m_typing = false;
    Activity m_activity = Activity::Active;
    int64_t m_lastInput = 0;
    Clock::TimerId m_typingTimer = 0;
    Clock::TimerId m_activityTimer = 0;
};

/// The people in a room, for a list view: one row per awareness state with a user, the local
/// user first. Follows the awareness' changes (it takes over its onChange hook): states that
/// time out (30 s) or are removed when the connection drops leave the list at once.
class PresenceModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role {
        NameRole = Qt::UserRole + 1,
        ColorRole,
        ActivityRole, ///< Activity as int
        TypingRole,
        LocalRole, ///< the local user
        ClientIdRole,
    };

    explicit PresenceModel(Protocol::Awareness &awareness, QObject *parent = nullptr);
    ~PresenceModel() override;

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QHash<int, QByteArray> roleNames() const override;

    struct Person
    {
        Protocol::ClientId clientId = 0;
        QString name;
        QString color;
        Activity activity = Activity::Active;
        bool typing = false;
        bool local = false;
        /// The cursor as sent (relative positions), if any.
        std::optional<Crdt::RelativePosition> anchor, head;
    };
    const QList<Person> &people() const { return m_people; }

private:
    void refresh();

    Protocol::Awareness &m_awareness;
    QList<Person> m_people;
};

/// A relative position as the JSON object editor bindings put into awareness, and back.
Encoding::Any relativePositionToAny(const Crdt::RelativePosition &pos);
std::optional<Crdt::RelativePosition> relativePositionFromAny(const Encoding::Any &any);

} // namespace Tandem::Client
