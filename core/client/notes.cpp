// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/client/notes.h"

#include <QDateTime>
#include <QRandomGenerator>

#include <algorithm>

namespace Tandem::Client {

using Encoding::Any;

Notes::Notes(Crdt::Doc &doc) : m_doc(doc), m_root(doc.getMap(rootName)) { }

std::optional<Notes::Note> Notes::read(const std::string &id) const
{
    const auto value = m_root.get(id);
    if (!value || !value->isType()) {
        return std::nullopt; // not a note (some other peer's data): left alone
    }
    const Crdt::Map fields(value->type);
    Note note;
    note.id = QString::fromStdString(id);
    auto string = [&](const char *key) {
        const auto v = fields.get(key);
        return v && !v->isType() && v->any.type() == Any::Type::String
                ? QString::fromStdString(v->any.toString())
                : QString();
    };
    note.title = string("title");
    note.createdBy = string("createdBy");
    if (const auto v = fields.get("createdAt");
        v && !v->isType() && v->any.type() == Any::Type::Number) {
        note.createdAt = v->any.toNumber();
    }
    if (const auto v = fields.get("body"); v && v->isType()) {
        note.body = Crdt::Text(v->type);
    }
    return note;
}

std::vector<Notes::Note> Notes::list() const
{
    std::vector<Note> notes;
    for (const std::string &key : m_root.keys()) {
        if (auto note = read(key)) {
            notes.push_back(std::move(*note));
        }
    }
    std::sort(notes.begin(), notes.end(), [](const Note &a, const Note &b) {
        return a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id < b.id;
    });
    return notes;
}

std::optional<Notes::Note> Notes::find(const QString &id) const
{
    return read(id.toStdString());
}

std::optional<Notes::Note> Notes::findByTitle(const QString &title) const
{
    for (Note &note : list()) {
        if (note.title == title) {
            return std::move(note);
        }
    }
    return std::nullopt;
}

QString Notes::create(const QString &title, const QString &author, const QString &body,
                      Crdt::Origin origin)
{
    // 128 random bits: concurrent creations never collide.
    const QString id
            = QStringLiteral("%1%2")
                      .arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0'))
                      .arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0'));
    m_doc.transact(
            [&](Crdt::Transaction &tr) {
                Crdt::Map fields(m_root.setType(tr, id.toStdString(), Crdt::NewType::Map));
                fields.set(tr, "title", Any(title.toStdString()));
                fields.set(tr, "createdAt", Any(double(QDateTime::currentMSecsSinceEpoch())));
                fields.set(tr, "createdBy", Any(author.toStdString()));
                Crdt::Text text(fields.setType(tr, "body", Crdt::NewType::Text));
                if (!body.isEmpty()) {
                    text.insert(tr, 0, body.toStdU16String());
                }
            },
            origin);
    return id;
}

bool Notes::rename(const QString &id, const QString &title, Crdt::Origin origin)
{
    const auto value = m_root.get(id.toStdString());
    if (!value || !value->isType()) {
        return false;
    }
    m_doc.transact(
            [&](Crdt::Transaction &tr) {
                Crdt::Map(value->type).set(tr, "title", Any(title.toStdString()));
            },
            origin);
    return true;
}

bool Notes::remove(const QString &id, Crdt::Origin origin)
{
    if (!m_root.has(id.toStdString())) {
        return false;
    }
    m_doc.transact([&](Crdt::Transaction &tr) { m_root.remove(tr, id.toStdString()); }, origin);
    return true;
}

} // namespace Tandem::Client
