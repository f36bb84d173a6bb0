// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/client/presence.h"

#include "core/crdt/text.h"
#include "core/encoding/json.h"

#include <QCoreApplication>
#include <QRandomGenerator>
#include <QSettings>

namespace Tandem::Client {

using Encoding::Any;

// --- Identity ------------------------------------------------------------------------------

const QStringList &Identity::palette()
{
    static const QStringList colors = {
            QStringLiteral("#30bced"), QStringLiteral("#6eeb83"), QStringLiteral("#ffbc42"),
            QStringLiteral("#ecd444"), QStringLiteral("#ee6352"), QStringLiteral("#9ac2c9"),
            QStringLiteral("#8acb88"), QStringLiteral("#1be7ff"),
    };
    return colors;
}

QString Identity::colorLight() const
{
    return color.size() == 7 ? color + QStringLiteral("33") : color;
}

Identity Identity::load(QSettings &settings)
{
    Identity id;
    id.name = settings.value(QStringLiteral("identity/name")).toString();
    id.color = settings.value(QStringLiteral("identity/color")).toString();
    bool changed = false;
    if (id.name.trimmed().isEmpty()) {
        id.name = qEnvironmentVariable("USER", qEnvironmentVariable("USERNAME"));
        if (id.name.isEmpty()) {
            id.name = QCoreApplication::translate("Tandem::Client::Identity", "Guest");
        }
        changed = true;
    }
    if (!palette().contains(id.color)) {
        id.color = palette().at(int(QRandomGenerator::global()->bounded(palette().size())));
        changed = true;
    }
    if (changed) {
        id.save(settings);
    }
    return id;
}

void Identity::save(QSettings &settings) const
{
    settings.setValue(QStringLiteral("identity/name"), name);
    settings.setValue(QStringLiteral("identity/color"), color);
}

// --- Relative positions in awareness -----------------------------------------------------

Any relativePositionToAny(const Crdt::RelativePosition &pos)
{
    // toJson() writes the exact form bindings expect; parsing keeps key order and nulls.
    return *Encoding::parseJson(pos.toJson());
}

std::optional<Crdt::RelativePosition> relativePositionFromAny(const Any &any)
{
    if (any.type() != Any::Type::Object) {
        return std::nullopt;
    }
    auto id = [](const Any *v, Crdt::OptId &out) {
        if (!v || v->isNull() || v->isUndefined()) {
            return true;
        }
        const Any *client = v->find("client");
        const Any *clock = v->find("clock");
        if (!client || !clock || client->type() != Any::Type::Number
            || clock->type() != Any::Type::Number || client->toNumber() < 0 || clock->toNumber() < 0
            || clock->toNumber() > 9007199254740991.0 || client->toNumber() > 4294967295.0) {
            return false;
        }
        out = Crdt::Id {Crdt::ClientId(client->toNumber()), Crdt::Clock(clock->toNumber())};
        return true;
    };
    Crdt::RelativePosition pos;
    if (!id(any.find("type"), pos.type) || !id(any.find("item"), pos.item)) {
        return std::nullopt;
    }
    if (const Any *tname = any.find("tname"); tname && tname->type() == Any::Type::String) {
        pos.tname = tname->toString();
    }
    if (const Any *assoc = any.find("assoc"); assoc && assoc->type() == Any::Type::Number) {
        pos.assoc = assoc->toNumber() < 0 ? -1 : 0;
    }
    return pos;
}

// --- LocalPresence -------------------------------------------------------------------------

LocalPresence::LocalPresence(Protocol::Awareness &awareness, Clock &clock, QObject *parent)
    : QObject(parent), m_awareness(awareness), m_clock(clock)
{
    m_lastInput = m_clock.nowMs();
    scheduleActivityCheck();
}

LocalPresence::~LocalPresence()
{
    m_clock.cancel(m_typingTimer);
    m_clock.cancel(m_activityTimer);
}

void LocalPresence::setIdentity(const Identity &identity)
{
    m_identity = identity;
    publish();
}

void LocalPresence::setCursor(const Crdt::Text &text, uint64_t anchor, uint64_t head)
{
    m_cursor = Any::object({
            {"anchor",
             relativePositionToAny(Crdt::relativePositionFromIndex(text.branch(), anchor))},
            {"head", relativePositionToAny(Crdt::relativePositionFromIndex(text.branch(), head))},
    });
    publish();
}

void LocalPresence::clearCursor()
{
    if (m_cursor) {
        m_cursor.reset();
        publish();
    }
}

void LocalPresence::noteTyping()
{
    m_lastInput = m_clock.nowMs();
    m_clock.cancel(m_typingTimer);
    m_typingTimer = m_clock.schedule(typingClearMs, [this] {
        m_typingTimer = 0;
        m_typing = false;
        publish();
    });
    if (!m_typing || m_activity != Activity::Active) {
        m_typing = true;
        m_activity = Activity::Active;
        publish();
    }
}

void LocalPresence::noteActivity()
{
    m_lastInput = m_clock.nowMs();
    if (m_activity != Activity::Active) {
        m_activity = Activity::Active;
        publish();
    }
}

void LocalPresence::scheduleActivityCheck()
{
    m_activityTimer = m_clock.schedule(5000, [this] {
        const int64_t quiet = m_clock.nowMs() - m_lastInput;
        const Activity now = quiet >= awayAfterMs ? Activity::Away
                : quiet >= idleAfterMs            ? Activity::Idle
                                                  : Activity::Active;
        if (now != m_activity) {
            m_activity = now;
            publish();
        }
        scheduleActivityCheck();
    });
}

void LocalPresence::publish()
{
    static const char *const statusNames[] = {"active", "idle", "away"};
    Any::Object state {
            {"user",
             Any::object({{"name", Any(m_identity.name.toStdString())},
                          {"color", Any(m_identity.color.toStdString())},
                          {"colorLight", Any(m_identity.colorLight().toStdString())}})},
            {"typing", Any(m_typing)},
            {"status", Any(statusNames[int(m_activity)])},
    };
    state.push_back({"cursor", m_cursor ? *m_cursor : Any(nullptr)});
    m_awareness.setLocalState(Any::object(std::move(state)));
}

// --- PresenceModel -------------------------------------------------------------------------

PresenceModel::PresenceModel(Protocol::Awareness &awareness, QObject *parent)
    : QAbstractListModel(parent), m_awareness(awareness)
{
    m_awareness.onChange = [this](const Protocol::Awareness::Changes &,
                                  Protocol::Awareness::Origin) { refresh(); };
    refresh();
}

PresenceModel::~PresenceModel()
{
    m_awareness.onChange = nullptr;
}

void PresenceModel::refresh()
{
    QList<Person> people;
    for (Protocol::ClientId id : m_awareness.clients()) {
        const Any *state = m_awareness.state(id);
        const Any *user = state ? state->find("user") : nullptr;
        if (!user || user->type() != Any::Type::Object) {
            continue; // a peer without a user (a bare provider) is not a person
        }
        Person p;
        p.clientId = id;
        p.local = id == m_awareness.clientId();
        auto str = [](const Any *v) {
            return v && v->type() == Any::Type::String ? QString::fromStdString(v->toString())
                                                       : QString();
        };
        p.name = str(user->find("name"));
        p.color = str(user->find("color"));
        const QString status = str(state->find("status"));
        p.activity = status == QLatin1String("away") ? Activity::Away
                : status == QLatin1String("idle")    ? Activity::Idle
                                                     : Activity::Active;
        const Any *typing = state->find("typing");
        p.typing = typing && typing->type() == Any::Type::Bool && typing->toBool();
        if (const Any *cursor = state->find("cursor");
            cursor && cursor->type() == Any::Type::Object) {
            if (const Any *a = cursor->find("anchor")) {
                p.anchor = relativePositionFromAny(*a);
            }
            if (const Any *h = cursor->find("head")) {
                p.head = relativePositionFromAny(*h);
            }
        }
        people.push_back(std::move(p));
    }
    std::stable_sort(people.begin(), people.end(), [](const Person &a, const Person &b) {
        if (a.local != b.local) {
            return a.local;
        }
        return a.name.localeAwareCompare(b.name) < 0;
    });
    beginResetModel();
    m_people = std::move(people);
    endResetModel();
}

int PresenceModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_people.size());
}

QVariant PresenceModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_people.size()) {
        return {};
    }
    const Person &p = m_people.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return p.name;
    case Qt::AccessibleTextRole: {
        const QString status = p.typing        ? tr("typing")
                : p.activity == Activity::Idle ? tr("idle")
                : p.activity == Activity::Away ? tr("away")
                                               : tr("active");
        return p.local ? tr("%1 (you), %2").arg(p.name, status) : tr("%1, %2").arg(p.name, status);
    }
    case ColorRole:
        return p.color;
    case ActivityRole:
        return int(p.activity);
    case TypingRole:
        return p.typing;
    case LocalRole:
        return p.local;
    case ClientIdRole:
        return QVariant::fromValue(quint64(p.clientId));
    }
    return {};
}

QHash<int, QByteArray> PresenceModel::roleNames() const
{
    return {{NameRole, "name"},     {ColorRole, "color"}, {ActivityRole, "activity"},
            {TypingRole, "typing"}, {LocalRole, "local"}, {ClientIdRole, "clientId"}};
}

} // namespace Tandem::Client
