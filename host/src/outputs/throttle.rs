//! `outputs.rate` / `outputs.max_burst`: a token bucket in front of every sink (Falco ≤ 0.37).

use std::time::Instant;

/// Refills `rate` tokens per second up to `max_burst`; each alert takes one.
#[derive(Debug, Clone)]
pub struct TokenBucket {
    rate: f64,
    max_burst: f64,
    tokens: f64,
    last: Instant,
}

impl TokenBucket {
    /// A full bucket, as Falco starts.
    pub fn new(rate: f64, max_burst: f64) -> TokenBucket {
        TokenBucket {
            rate,
            max_burst,
            tokens: max_burst,
            last: Instant::now(),
        }
    }

    /// Takes a token if one is available.
    pub fn take(&mut self) -> bool {
        self.take_at(Instant::now())
    }

    pub(crate) fn take_at(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.last).as_secs_f64();
        self.last = now;
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
    use std::time::Duration;

    #[test]
    fn burst_then_rate_limited_then_refilled() {
        let start = Instant::now();
        let mut bucket = TokenBucket {
            rate: 2.0,
            max_burst: 3.0,
            tokens: 3.0,
            last: start,
        };
        let taken = (0..5).filter(|_| bucket.take_at(start)).count();
        assert_eq!(taken, 3);
        // One second later: two tokens came back.
        let later = start + Duration::from_secs(1);
        let taken = (0..5).filter(|_| bucket.take_at(later)).count();
        assert_eq!(taken, 2);
    }
}
