// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/branch.h"

namespace Tandem::Crdt {

Branch::Position Branch::findMarker(uint64_t index)
{
    Marker *best = nullptr;
    uint64_t bestDistance = 0;
    for (auto &m : markers) {
        if (!m.item) {
            continue;
        }
        const uint64_t distance = m.index > index ? m.index - index : index - m.index;
        if (!best || distance < bestDistance) {
            best = &m;
            bestDistance = distance;
        }
    }
    // Walking from the start is cheaper than from a far marker.
    if (!best || bestDistance > index) {
        return {};
    }
    best->used = ++markerTick;
    Item *item = best->item;
    uint64_t at = best->index;
    // Walk left to the item holding `index` when the marker lies beyond it.
    while (at > index && item->left) {
        item = item->left;
        if (item->visible()) {
            at -= item->length;
        }
    }
    return {item, at};
}

void Branch::rememberMarker(Item *item, uint64_t index)
{
    Marker *slot = nullptr;
    for (auto &m : markers) {
        if (m.item == item) {
            slot = &m;
            break;
        }
        if (!slot || !m.item || (slot->item && m.used < slot->used)) {
            slot = &m;
        }
    }
    *slot = {item, index, ++markerTick};
}

void Branch::shiftMarkers(uint64_t index, int64_t delta)
{
    for (auto &m : markers) {
        if (!m.item) {
            continue;
        }
        if (delta > 0) {
            // An insert lands before the marked item only if that item holds unit `index`;
            // a marker on a tombstone at that index is ambiguous, so drop it.
            if (!m.item->visible() && m.index == index) {
                // Move the marker to the previous visible item (as Yjs does) instead of losing it.
                Item *p = m.item->left;
                while (p && !p->visible()) {
                    p = p->left;
                }
                if (!p) {
                    m = {};
                    continue;
                }
                m.item = p;
                m.index -= p->length;
            }
            if (index <= m.index) {
                m.index += static_cast<uint64_t>(delta);
            }
        } else if (index < m.index) {
            const uint64_t removed = static_cast<uint64_t>(-delta);
            m.index = m.index - index > removed ? m.index - removed : index;
        }
    }
}

void Branch::redirectMarker(const Item *gone, Item *into)
{
    for (auto &m : markers) {
        if (m.item == gone) {
            m.item = into;
            if (into->visible()) {
                m.index -= into->length;
            }
        }
    }
}

} // namespace Tandem::Crdt
