// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/id.h"
#include "core/encoding/decoder.h"

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace Tandem::Crdt {

class Branch;
class Doc;

/// A position anchored to an item, so it survives concurrent edits (Yjs' RelativePosition).
/// `assoc` ≥ 0 sticks to the unit on the right of the position, < 0 to the one on the left.
struct RelativePosition
{
    OptId type; ///< item holding a nested type, or none for a root
    std::optional<std::string> tname; ///< root type name, or none for a nested type
    OptId item; ///< anchored unit, or none (start/end of the type)
    int64_t assoc = 0;

    bool operator==(const RelativePosition &) const = default;

    /// The `JSON.stringify` form editor bindings put into awareness, with all four keys
    /// (`"type":null`, `"item":null` included: y-codemirror.next needs them).
    std::string toJson() const;
    /// Binary form (Yjs' encodeRelativePosition); drops `tname` when `item` is set.
    std::vector<uint8_t> encode() const;
    static std::optional<RelativePosition> decode(std::span<const uint8_t> bytes,
                                                  Encoding::DecodeError *error = nullptr);
};

/// Yjs' createRelativePositionFromTypeIndex. @p index is in UTF-16 units for text.
RelativePosition relativePositionFromIndex(const Branch *type, uint64_t index, int64_t assoc = 0);

struct AbsolutePosition
{
    Branch *type = nullptr;
    uint64_t index = 0;
    int64_t assoc = 0;
};

/// Yjs' createAbsolutePositionFromRelativePosition; nothing if the anchor is unknown or
/// collected. Follows items moved by undo/redo unless @p followRedone is false.
std::optional<AbsolutePosition> absolutePosition(const RelativePosition &pos, Doc &doc,
                                                 bool followRedone = true);

} // namespace Tandem::Crdt
