//! A per-client rate limit for citizens' reports: a token bucket per client
//! address, in memory.
//!
//! Each client may send `burst` reports at once and then one more every
//! `period / burst`. The limit is per process: behind a load balancer every
//! instance counts its own share, which is what the limit is for (to keep a
//! script from flooding a defect reporter), not an exact quota.

use std::{
    collections::HashMap,
    net::IpAddr,
    sync::Mutex,
    time::{Duration, Instant},
};

/// The limit: `burst` reports, refilled over `period`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    pub burst: u32,
    pub period: Duration,
}

impl Limit {
    /// `n` reports an hour (0: no limit).
    pub fn per_hour(n: u32) -> Option<Self> {
        (n > 0).then(|| Self {
            burst: n,
            period: Duration::from_secs(3600),
        })
    }
}

/// Past this many clients, buckets that are full again are forgotten.
const PRUNE_FROM: usize = 10_000;

#[derive(Debug)]
pub struct RateLimiter {
    limit: Option<Limit>,
    buckets: Mutex<HashMap<IpAddr, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// `None`: every request passes.
    pub fn new(limit: Option<Limit>) -> Self {
        Self {
            limit,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    pub fn limit(&self) -> Option<Limit> {
        self.limit
    }

    /// Takes one report from `client`'s bucket at `now`; when it is empty,
    /// how long until the next one is allowed.
    pub fn check(&self, client: IpAddr, now: Instant) -> Result<(), Duration> {
        let Some(limit) = self.limit else {
            return Ok(());
        };
        let burst = f64::from(limit.burst);
        let per_second = burst / limit.period.as_secs_f64();
        let refilled = |b: &Bucket| {
            (b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_second).min(burst)
        };
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if buckets.len() >= PRUNE_FROM {
            buckets.retain(|_, b| refilled(b) < burst);
        }
        let bucket = buckets.entry(client).or_insert(Bucket {
            tokens: burst,
            at: now,
        });
        let tokens = refilled(bucket);
        if tokens >= 1.0 {
            *bucket = Bucket {
                tokens: tokens - 1.0,
                at: now,
            };
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - tokens) / per_second))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_its_burst_then_one_per_interval() {
        let limiter = RateLimiter::new(Some(Limit {
            burst: 3,
            period: Duration::from_secs(60),
        }));
        let a: IpAddr = [192, 0, 2, 1].into();
        let b: IpAddr = [192, 0, 2, 2].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.check(a, t0), Ok(()));
        }
        let wait = limiter
            .check(a, t0)
            .expect_err("the fourth at once is refused");
        assert_eq!(wait.as_secs(), 20, "one report every 20 s: {wait:?}");
        // Another client is not affected.
        assert_eq!(limiter.check(b, t0), Ok(()));
        // After 20 s one more is allowed, and only one.
        let t1 = t0 + Duration::from_secs(20);
        assert_eq!(limiter.check(a, t1), Ok(()));
        assert!(limiter.check(a, t1).is_err());
    }

    #[test]
    fn without_a_limit_everything_passes() {
        let limiter = RateLimiter::new(Limit::per_hour(0));
        let a: IpAddr = [192, 0, 2, 1].into();
        let now = Instant::now();
        assert!((0..1000).all(|_| limiter.check(a, now).is_ok()));
    }
}
