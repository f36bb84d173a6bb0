// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <QObject>

#include <cstdint>
#include <functional>
#include <map>

namespace Tandem::Client {

/// Time and one-shot timers for the client's state machines, injectable so that tests can
/// run minutes of backoff, watchdogs and typing timeouts in no time (ManualClock).
class Clock
{
public:
    using TimerId = uint64_t;

    virtual ~Clock() = default;
    /// Milliseconds on a monotonic clock.
    virtual int64_t nowMs() const = 0;
    /// Calls @p fn once after @p delayMs (from the event loop). Returns an id for cancel().
    virtual TimerId schedule(int64_t delayMs, std::function<void()> fn) = 0;
    /// Cancels a timer that has not fired; unknown ids are ignored. 0 is never an id.
    virtual void cancel(TimerId id) = 0;

    /// The real clock (QElapsedTimer and precise Qt timers) of the calling thread.
    static Clock &system();
};

/// A Clock that moves only when told to: advance() fires the due timers in order.
class ManualClock : public Clock
{
public:
    int64_t nowMs() const override { return m_now; }
    TimerId schedule(int64_t delayMs, std::function<void()> fn) override;
    void cancel(TimerId id) override;
    /// Moves time forward by @p ms, firing every timer that comes due, in order.
    void advance(int64_t ms);
    /// Moves time to the next timer and fires it (and those due at the same time). False if
    /// none is scheduled.
    bool advanceToNext();
    size_t pendingTimers() const { return m_timers.size(); }

private:
    int64_t m_now = 0;
    TimerId m_next = 1;
    std::multimap<std::pair<int64_t, TimerId>, std::function<void()>> m_timers;
};

} // namespace Tandem::Client
