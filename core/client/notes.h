// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

// The notes of a room, as docs/ROOM-SCHEMA.md lays them out in the room's document:
//   root Map "notes": note id -> Map { title: string, createdAt: number (ms since the epoch),
//                                      createdBy: string, body: Text }
// Creating, renaming and deleting notes are CRDT edits. Ids are random, so two people creating
// notes at once get two notes, never one with doubled content; nothing is ever seeded.

#include "core/crdt/doc.h"
#include "core/crdt/map.h"
#include "core/crdt/text.h"

#include <QString>

#include <optional>
#include <vector>

namespace Tandem::Client {

class Notes
{
public:
    static constexpr const char *rootName = "notes";

    struct Note
    {
        QString id;
        QString title;
        double createdAt = 0;
        QString createdBy;
        Crdt::Text body; ///< invalid if a peer stored something else under "body"
    };

    explicit Notes(Crdt::Doc &doc);

    /// Every note, oldest first (ties by id, so every peer lists them in the same order).
    std::vector<Note> list() const;
    std::optional<Note> find(const QString &id) const;
    /// The oldest note with exactly this title.
    std::optional<Note> findByTitle(const QString &title) const;

    /// Creates a note in one transaction and returns its id.
    QString create(const QString &title, const QString &author, const QString &body = {},
                   Crdt::Origin origin = nullptr);
    bool rename(const QString &id, const QString &title, Crdt::Origin origin = nullptr);
    bool remove(const QString &id, Crdt::Origin origin = nullptr);

    Crdt::Map root() const { return m_root; }

private:
    std::optional<Note> read(const std::string &id) const;

    Crdt::Doc &m_doc;
    Crdt::Map m_root;
};

} // namespace Tandem::Client
