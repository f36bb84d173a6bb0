// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/crdt/branch.h"

namespace Tandem::Crdt {

Branch::Position Branch::findMarker(uint64_t index)
{
    Marker *best = nullptr;
    for (auto &m : markers) {
        if (m.item && m.index <= index && (!best || m.index > best->index)) {
            best = &m;
        }
    }
    if (!best) {
        return {};
    }
    best->used = ++markerTick;
    return {best->item, best->index};
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
                m = {};
                continue;
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

void Branch::forgetMarker(const Item *item)
{
    for (auto &m : markers) {
        if (m.item == item) {
            m = {};
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
