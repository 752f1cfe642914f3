//! `outputs.rate` / `outputs.max_burst`: a token bucket in front of every sink (Falco ≤ 0.37).
//! The same bucket paces `syscall_event_drops` actions, there on event time.

use std::time::Instant;

const NANOS_PER_SEC: f64 = 1e9;

/// Refills `rate` tokens per second up to `max_burst`; each alert takes one.
///
/// Time is nanoseconds on any clock that only moves forward: [`TokenBucket::take`] uses the
/// wall clock, [`TokenBucket::take_at_ns`] whatever the caller passes (event timestamps).
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    max_burst: f64,
    tokens: f64,
    last_ns: u64,
    epoch: Instant,
}

impl TokenBucket {
    /// A full bucket, as Falco starts.
    pub fn new(rate: f64, max_burst: f64) -> TokenBucket {
        TokenBucket {
            rate,
            max_burst,
            tokens: max_burst,
            last_ns: 0,
            epoch: Instant::now(),
        }
    }

    /// Takes a token if one is available now (wall clock).
    pub fn take(&mut self) -> bool {
        let now = u64::try_from(self.epoch.elapsed().as_nanos()).unwrap_or(u64::MAX);
        self.take_at_ns(now)
    }

    /// Takes a token if one is available at `now_ns`. A clock that goes back refills nothing.
    pub fn take_at_ns(&mut self, now_ns: u64) -> bool {
        let elapsed = now_ns.saturating_sub(self.last_ns) as f64 / NANOS_PER_SEC;
        self.last_ns = now_ns;
        self.tokens = (self.tokens + elapsed * self.rate).min(self.max_burst);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEC: u64 = 1_000_000_000;

    #[test]
    fn burst_then_rate_limited_then_refilled() {
        let mut bucket = TokenBucket::new(2.0, 3.0);
        let start = 10 * SEC;
        let taken = (0..5).filter(|_| bucket.take_at_ns(start)).count();
        assert_eq!(taken, 3);
        // One second later: two tokens came back.
        let taken = (0..5).filter(|_| bucket.take_at_ns(start + SEC)).count();
        assert_eq!(taken, 2);
    }

    #[test]
    fn a_clock_going_back_refills_nothing() {
        let mut bucket = TokenBucket::new(1.0, 1.0);
        assert!(bucket.take_at_ns(100 * SEC));
        assert!(!bucket.take_at_ns(50 * SEC));
        assert!(!bucket.take_at_ns(50 * SEC + SEC / 2));
        assert!(bucket.take_at_ns(51 * SEC));
    }
}
