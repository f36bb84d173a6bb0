// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include "core/crdt/content.h"
#include "core/crdt/deleteset.h"
#include "core/crdt/id.h"
#include "core/crdt/statevector.h"
#include "core/encoding/decoder.h"

#include <optional>
#include <span>
#include <string>
#include <vector>

namespace Tandem::Crdt {

/// A struct as it appears on the wire (update format v1), before integration.
struct StructRef
{
    enum class Parent : uint8_t { None, Root, Id };

    ContentRef ref = ContentRef::GC; ///< GC, Skip, or the item's content kind
    Id id;
    uint64_t length = 0;
    OptId origin;
    OptId rightOrigin;
    Parent parentKind = Parent::None;
    std::string parentRoot; ///< when parentKind == Root
    Id parentId; ///< when parentKind == Id
    std::optional<std::string> parentSub;
    Content content;

    bool isItem() const { return ref != ContentRef::GC && ref != ContentRef::Skip; }
    /// Writes this struct from @p offset on, as Item.write / GC.write / Skip.write do.
    void write(Encoding::Encoder &e, uint64_t offset) const;
    /// The part from @p diff on (Yjs' sliceStruct); this keeps [0, diff).
    StructRef slice(uint64_t diff);
};

/// One decoded v1 update: the struct blocks in wire order and the delete set.
struct DecodedUpdate
{
    std::vector<std::pair<ClientId, std::vector<StructRef>>> clients;
    DeleteSet deleteSet;
};

/// Decodes and validates a whole v1 update. Never trusts declared counts or lengths.
std::optional<DecodedUpdate> decodeUpdate(std::span<const uint8_t> update,
                                          Encoding::DecodeError *error = nullptr);
/// Validates without keeping the result.
Encoding::DecodeError validateUpdate(std::span<const uint8_t> update);

/// Document-less operations on v1 updates (Yjs' mergeUpdates, diffUpdate,
/// encodeStateVectorFromUpdate). Empty optional on malformed input.
std::optional<std::vector<uint8_t>>
mergeUpdates(const std::vector<std::span<const uint8_t>> &updates,
             Encoding::DecodeError *error = nullptr);
std::optional<std::vector<uint8_t>> diffUpdate(std::span<const uint8_t> update,
                                               std::span<const uint8_t> stateVector,
                                               Encoding::DecodeError *error = nullptr);
std::optional<std::vector<uint8_t>> stateVectorFromUpdate(std::span<const uint8_t> update,
                                                          Encoding::DecodeError *error = nullptr);

/// Writes struct blocks lazily, one block per run of a client (Yjs' LazyStructWriter).
class LazyStructWriter
{
public:
    void write(const StructRef &s, uint64_t offset);
    /// Writes the struct section (count + blocks) into @p out.
    void finish(Encoding::Encoder &out);

private:
    void flush();

    struct Block
    {
        size_t written;
        std::vector<uint8_t> bytes;
    };
    std::vector<Block> m_blocks;
    Encoding::Encoder m_current;
    size_t m_written = 0;
    ClientId m_client = 0;
};

} // namespace Tandem::Crdt
