// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cassert>
#include <cstddef>
#include <vector>

namespace Tandem::Crdt {

struct Item;

/// One client's structs in clock order: a vector with a gap. Splits and merges insert and erase
/// in the middle, close to where the previous edit did; with a plain vector each one moved the
/// whole tail (a fifth of the replay time of automerge-paper). Here the gap travels with the
/// edits, so each moves only the structs between the old and the new position, while index
/// access stays O(1). New structs are appended past the gap without moving it.
class StructVector
{
public:
    size_t size() const { return m_size; }
    bool empty() const { return m_size == 0; }
    Item *operator[](size_t i) const { return m_buf[i < m_gap ? i : i + m_gapLen]; }
    Item *front() const { return (*this)[0]; }
    Item *back() const { return (*this)[m_size - 1]; }

    void push_back(Item *item)
    {
        if (m_gap == m_size && m_gapLen > 0) { // the gap sits at the end: fill it
            m_buf[m_gap++] = item;
            --m_gapLen;
        } else {
            if (m_buf.size() == m_buf.capacity()) { // grow by a quarter, not double: memory
                m_buf.reserve(m_buf.size() + m_buf.size() / 4 + 16);
            }
            m_buf.push_back(item);
        }
        ++m_size;
    }

    void insert(size_t index, Item *item)
    {
        if (index == m_size) {
            push_back(item);
            return;
        }
        moveGap(index);
        if (m_gapLen == 0) {
            const size_t grow = std::max<size_t>(16, m_size / 16);
            if (m_buf.size() + grow > m_buf.capacity()) {
                m_buf.reserve(m_buf.size() + grow + m_buf.size() / 4);
            }
            m_buf.insert(m_buf.begin() + ptrdiff_t(m_gap), grow, nullptr);
            m_gapLen = grow;
        }
        m_buf[m_gap++] = item;
        --m_gapLen;
        ++m_size;
    }

    /// Removes [first, last).
    void erase(size_t first, size_t last)
    {
        assert(first <= last && last <= m_size);
        if (last == m_size && first >= m_gap) {
            // A suffix behind the gap (typing merges the newest structs): drop it in place.
            m_buf.resize(m_buf.size() - (last - first));
            m_size -= last - first;
            return;
        }
        moveGap(first);
        m_gapLen += last - first;
        m_size -= last - first;
        if (m_gapLen > 64 && m_gapLen > m_size) { // mostly hole: give the memory back
            moveGap(m_size);
            m_buf.resize(m_size);
            m_buf.shrink_to_fit();
            m_gapLen = 0;
        }
    }

    /// Where the last lookup ended (StructStore::findIndex starts there); only a guess.
    size_t hint() const { return m_hint; }
    void setHint(size_t index) const { m_hint = index; }

    /// Memory held, in bytes (for figures).
    size_t capacityBytes() const { return m_buf.capacity() * sizeof(Item *); }

private:
    void moveGap(size_t index)
    {
        if (index < m_gap) {
            std::move_backward(m_buf.begin() + ptrdiff_t(index), m_buf.begin() + ptrdiff_t(m_gap),
                               m_buf.begin() + ptrdiff_t(m_gap + m_gapLen));
        } else if (index > m_gap) {
            std::move(m_buf.begin() + ptrdiff_t(m_gap + m_gapLen),
                      m_buf.begin() + ptrdiff_t(index + m_gapLen),
                      m_buf.begin() + ptrdiff_t(m_gap));
        }
        m_gap = index;
    }

    std::vector<Item *> m_buf; ///< [0, m_gap) structs, m_gapLen unused slots, the rest structs
    size_t m_gap = 0;
    size_t m_gapLen = 0;
    size_t m_size = 0;
    mutable size_t m_hint = 0;
};

} // namespace Tandem::Crdt
