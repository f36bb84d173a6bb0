// SPDX-License-Identifier: GPL-3.0-or-later
#pragma once

#include <algorithm>
#include <cstdint>

namespace Tandem::Server {

/// A token bucket: up to @p burst at once, refilled at @p perSecond. A rate of 0 is no limit.
/// Time is passed in (milliseconds on a monotonic clock) so that it costs nothing to keep one
/// per connection and tests need no sleeps.
class RateLimiter
{
public:
    RateLimiter() = default;
    RateLimiter(double perSecond, double burst)
        : m_perMs(perSecond / 1000.0), m_burst(burst), m_tokens(burst)
    { }

    /// Takes @p amount; false when the bucket holds less (the caller is over its rate).
    bool take(double amount, int64_t nowMs)
    {
        if (m_perMs <= 0) {
            return true;
        }
        if (m_lastMs >= 0) {
            m_tokens = std::min(m_burst, m_tokens + double(nowMs - m_lastMs) * m_perMs);
        }
        m_lastMs = nowMs;
        if (m_tokens < amount) {
            return false;
        }
        m_tokens -= amount;
        return true;
    }

private:
    double m_perMs = 0;
    double m_burst = 0;
    double m_tokens = 0;
    int64_t m_lastMs = -1;
};

} // namespace Tandem::Server
