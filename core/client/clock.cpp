// SPDX-License-Identifier: GPL-3.0-or-later
#include "core/client/clock.h"

#include <QElapsedTimer>
#include <QTimerEvent>

#include <unordered_map>

namespace Tandem::Client {

namespace {

class SystemClock : public QObject, public Clock
{
public:
    SystemClock() { m_elapsed.start(); }

    int64_t nowMs() const override { return m_elapsed.elapsed(); }

    TimerId schedule(int64_t delayMs, std::function<void()> fn) override
    {
        const int id = startTimer(std::chrono::milliseconds(std::max<int64_t>(delayMs, 0)),
                                  Qt::PreciseTimer);
        m_timers.emplace(id, std::move(fn));
        return TimerId(id);
    }

    void cancel(TimerId id) override
    {
        if (m_timers.erase(int(id))) {
            killTimer(int(id));
        }
    }

protected:
    void timerEvent(QTimerEvent *event) override
    {
        killTimer(event->timerId());
        auto it = m_timers.find(event->timerId());
        if (it == m_timers.end()) {
            return;
        }
        auto fn = std::move(it->second);
        m_timers.erase(it);
        fn();
    }

private:
    QElapsedTimer m_elapsed;
    std::unordered_map<int, std::function<void()>> m_timers;
};

} // namespace

Clock &Clock::system()
{
    // Never destroyed: it may outlive the application object, and timers die with the process.
    thread_local SystemClock *clock = new SystemClock;
    return *clock;
}

Clock::TimerId ManualClock::schedule(int64_t delayMs, std::function<void()> fn)
{
    const TimerId id = m_next++;
    m_timers.emplace(std::make_pair(m_now + std::max<int64_t>(delayMs, 0), id), std::move(fn));
    return id;
}

void ManualClock::cancel(TimerId id)
{
    for (auto it = m_timers.begin(); it != m_timers.end(); ++it) {
        if (it->first.second == id) {
            m_timers.erase(it);
            return;
        }
    }
}

void ManualClock::advance(int64_t ms)
{
    const int64_t until = m_now + ms;
    while (!m_timers.empty() && m_timers.begin()->first.first <= until) {
        auto it = m_timers.begin();
        m_now = it->first.first;
        auto fn = std::move(it->second);
        m_timers.erase(it);
        fn(); // may schedule more, which this loop also fires if they come due
    }
    m_now = until;
}

bool ManualClock::advanceToNext()
{
    if (m_timers.empty()) {
        return false;
    }
    advance(m_timers.begin()->first.first - m_now);
    return true;
}

} // namespace Tandem::Client
