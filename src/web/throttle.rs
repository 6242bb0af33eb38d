//! The web layer's limits on callers, in memory and bounded: a token bucket per client address
//! (failed logins, new drafts, failed join codes) and a growing delay per login name. Each
//! remembers at most a fixed number of keys and forgets the least recently seen first, so what
//! callers send cannot grow it; a forgotten key only starts afresh.
//!
//! An attempt is counted when it starts and given back if it succeeds, so that many requests
//! sent at once cannot all pass before the first failure is counted.

use super::auth::Viewer;
use super::error::{ApiError, AppError};
use crate::config::Limits;
use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use lru::LruCache;
use std::hash::Hash;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const HOUR: Duration = Duration::from_secs(3600);

fn cache<K: Hash + Eq, V>(keys: usize) -> Mutex<LruCache<K, V>> {
    Mutex::new(LruCache::new(
        NonZeroUsize::new(keys.max(1)).expect("at least one"),
    ))
}

#[derive(Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

/// `per_hour` events per key and hour, all of which may come at once (a token bucket).
pub struct Rate<K: Hash + Eq> {
    buckets: Mutex<LruCache<K, Bucket>>,
    capacity: f64,
    /// Time for one token to come back.
    every: Duration,
}

impl<K: Hash + Eq + Clone> Rate<K> {
    pub fn per_hour(per_hour: u32, keys: usize) -> Rate<K> {
        let n = per_hour.max(1);
        Rate {
            buckets: cache(keys),
            capacity: f64::from(n),
            every: HOUR / n,
        }
    }

    fn refilled(&self, b: Option<&Bucket>, now: Instant) -> Bucket {
        match b {
            None => Bucket {
                tokens: self.capacity,
                at: now,
            },
            Some(b) => Bucket {
                tokens: (b.tokens
                    + now.saturating_duration_since(b.at).as_secs_f64() / self.every.as_secs_f64())
                .min(self.capacity),
                at: now,
            },
        }
    }

    fn wait_for(&self, b: &Bucket) -> Duration {
        self.every.mul_f64((1.0 - b.tokens).max(0.0))
    }

    /// Counts one event for `key` if it may act now, in one step (no two callers pass on the
    /// last token); otherwise how long until it may.
    pub fn take_at(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let mut b = self.refilled(map.get(key), now);
        if b.tokens < 1.0 {
            return Err(self.wait_for(&b));
        }
        b.tokens -= 1.0;
        map.put(key.clone(), b);
        Ok(())
    }

    /// Gives back what `take` counted, for an attempt that turned out not to count (a right
    /// password, a join code that exists).
    pub fn refund(&self, key: &K) {
        let mut map = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(b) = map.get_mut(key) {
            b.tokens = (b.tokens + 1.0).min(self.capacity);
        }
    }

    pub fn take(&self, key: &K) -> Result<(), Duration> {
        self.take_at(key, Instant::now())
    }

    pub fn len(&self) -> usize {
        self.buckets.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[derive(Clone, Copy)]
struct Failures {
    count: u32,
    last: Instant,
}

/// After `free` failures on a key, each further attempt waits `first`, doubling with every
/// failure up to `max`. Never a lock-out: the wait ends and a right answer clears the key.
pub struct Backoff {
    failures: Mutex<LruCache<String, Failures>>,
    free: u32,
    first: Duration,
    max: Duration,
    /// A key whose last failure is this old starts afresh.
    forget: Duration,
}

impl Backoff {
    pub fn new(free: u32, first: Duration, max: Duration, keys: usize) -> Backoff {
        Backoff {
            failures: cache(keys),
            free,
            first,
            max,
            forget: (max * 2).max(HOUR),
        }
    }

    /// The wait after `count` failures.
    pub fn delay(&self, count: u32) -> Duration {
        if count < self.free.max(1) {
            return Duration::ZERO;
        }
        let doublings = (count - self.free.max(1)).min(30);
        self.first.saturating_mul(1 << doublings).min(self.max)
    }

    /// Starts an attempt on `key`: counted as a failure until `clear` says it succeeded; or,
    /// while the key must wait, how long.
    pub fn attempt_at(&self, key: &str, now: Instant) -> Result<(), Duration> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let count = match map.get(key) {
            Some(f) if now.saturating_duration_since(f.last) < self.forget => {
                let since = now.saturating_duration_since(f.last);
                if let Some(wait) = self.delay(f.count).checked_sub(since)
                    && !wait.is_zero()
                {
                    return Err(wait);
                }
                f.count
            }
            _ => 0,
        };
        map.put(
            key.to_string(),
            Failures {
                count: count.saturating_add(1),
                last: now,
            },
        );
        Ok(())
    }

    pub fn attempt(&self, key: &str) -> Result<(), Duration> {
        self.attempt_at(key, Instant::now())
    }

    pub fn clear(&self, key: &str) {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .pop(key);
    }
}

/// Every limiter of the web layer, shared by all requests of one router.
pub struct Limiters {
    /// Failed logins per login name: slows guessing one person's password.
    pub login_names: Backoff,
    /// Failed logins per client address.
    pub login_addresses: Rate<IpAddr>,
    /// New drafts and training attempts per client address.
    pub drafts: Rate<IpAddr>,
    /// Failed join-code lookups per client address.
    pub join_codes: Rate<IpAddr>,
}

/// The limiters, installed by `router()` as a request extension and taken by handlers as an
/// extractor (cheap to clone).
#[derive(Clone)]
pub struct Guards(Arc<Limiters>);

impl std::ops::Deref for Guards {
    type Target = Limiters;

    fn deref(&self) -> &Limiters {
        &self.0
    }
}

impl Guards {
    pub fn new(l: &Limits) -> Guards {
        Guards(Arc::new(Limiters {
            login_names: Backoff::new(
                l.login_free_failures,
                l.login_delay,
                l.login_max_delay,
                l.limiter_keys,
            ),
            login_addresses: Rate::per_hour(l.login_failures_per_hour, l.limiter_keys),
            drafts: Rate::per_hour(l.drafts_per_hour, l.limiter_keys),
            join_codes: Rate::per_hour(l.join_failures_per_hour, l.limiter_keys),
        }))
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Guards {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Guards, ApiError> {
        parts
            .extensions
            .get::<Guards>()
            .cloned()
            .ok_or_else(|| ApiError(AppError::Internal("the limiters are not installed".into())))
    }
}

impl Viewer {
    /// The key this caller is limited by (its address, or its IPv6 /64).
    pub fn limit_key(&self) -> IpAddr {
        super::address::limit_key(self.ip)
    }
}

/// A wait as people say it: seconds up to two minutes, then minutes.
pub fn wait_text(d: Duration) -> String {
    let s = d.as_secs_f64().ceil().max(1.0) as u64;
    if s <= 120 {
        format!("{s} 秒")
    } else {
        format!("{} 分钟", s.div_ceil(60))
    }
}

impl Guards {
    /// Whether this caller may start one more draft (or training attempt) now: counts it if so.
    pub fn admit_draft(&self, viewer: &Viewer) -> Result<(), AppError> {
        self.drafts
            .take(&viewer.limit_key())
            .map_err(|wait| too_many("draft_rate_limited", "新建草稿过于频繁", wait))
    }
}

/// 429 with a stable code and a Chinese message saying how long to wait.
pub fn too_many(code: &'static str, what: &str, wait: Duration) -> AppError {
    AppError::Refused {
        status: StatusCode::TOO_MANY_REQUESTS,
        code,
        message: format!("{what}，请 {}后再试", wait_text(wait)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: fn(u64) -> Duration = Duration::from_secs;

    #[test]
    fn a_rate_allows_its_burst_then_one_per_interval() {
        let r: Rate<u8> = Rate::per_hour(60, 100);
        let t0 = Instant::now();
        for _ in 0..60 {
            assert!(r.take_at(&1, t0).is_ok());
        }
        let wait = r.take_at(&1, t0).unwrap_err();
        assert!(wait <= S(60), "{wait:?}");
        assert!(r.take_at(&2, t0).is_ok(), "other clients are not affected");
        assert!(r.take_at(&1, t0 + S(61)).is_ok());
        assert!(r.take_at(&1, t0 + S(62)).is_err());
    }

    #[test]
    fn a_refund_gives_back_what_a_success_took() {
        let r: Rate<u8> = Rate::per_hour(3, 100);
        let t0 = Instant::now();
        for _ in 0..10 {
            r.take_at(&1, t0).unwrap();
            r.refund(&1);
        }
        for _ in 0..3 {
            r.take_at(&1, t0).unwrap();
        }
        assert!(r.take_at(&1, t0).is_err());
        assert!(r.take_at(&1, t0 + HOUR).is_ok(), "refilled within the hour");
        r.refund(&9);
        assert_eq!(r.len(), 1, "a refund adds no key");
    }

    #[test]
    fn a_rate_remembers_a_bounded_number_of_clients() {
        let r: Rate<u32> = Rate::per_hour(1, 1000);
        let t0 = Instant::now();
        for k in 0..100_000 {
            r.take_at(&k, t0).unwrap();
        }
        assert_eq!(r.len(), 1000);
        assert!(r.take_at(&99_999, t0).is_err(), "the most recent are kept");
    }

    #[test]
    fn backoff_slows_after_the_free_failures_and_never_locks() {
        let b = Backoff::new(3, S(2), S(300), 100);
        let t0 = Instant::now();
        // Three attempts at once all pass; the fourth waits, even if sent at the same time.
        for _ in 0..3 {
            assert_eq!(b.attempt_at("zhang", t0), Ok(()));
        }
        assert_eq!(b.attempt_at("zhang", t0), Err(S(2)));
        assert_eq!(b.attempt_at("zhang", t0 + S(1)), Err(S(1)));
        assert_eq!(b.attempt_at("zhang", t0 + S(2)), Ok(()));
        assert_eq!(b.attempt_at("zhang", t0 + S(2)), Err(S(4)), "doubled");
        assert_eq!(b.attempt_at("li", t0), Ok(()), "per name");
        assert_eq!(b.delay(45), S(300), "capped");
        // Each wait ends: one attempt every 5 minutes at worst.
        let mut t = t0 + S(6);
        for _ in 0..20 {
            assert_eq!(b.attempt_at("zhang", t), Ok(()));
            t += S(300);
        }
        assert!(b.attempt_at("zhang", t - S(1)).is_err());
        b.clear("zhang");
        assert_eq!(
            b.attempt_at("zhang", t),
            Ok(()),
            "a success clears the name"
        );
        for _ in 0..3 {
            b.attempt_at("wang", t0).unwrap();
        }
        assert_eq!(b.attempt_at("wang", t0 + 2 * HOUR), Ok(()), "forgotten");
    }

    #[test]
    fn waits_read_naturally() {
        assert_eq!(wait_text(Duration::from_millis(1)), "1 秒");
        assert_eq!(wait_text(S(90)), "90 秒");
        assert_eq!(wait_text(S(300)), "5 分钟");
    }
}
