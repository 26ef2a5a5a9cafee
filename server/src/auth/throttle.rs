//! Sign-in throttling: token buckets per client address and per user name, and a bounded queue for password hashing.
//!
//! Every attempt spends a token of its address's bucket; a failed one also
//! spends one of its user name's bucket, so a guesser spread over many
//! addresses still gets only a few tries a minute at any one account. The
//! buckets live in memory, bounded in number: a full table forgets its
//! least recently used entry first. Argon2 takes ~19 MiB and a core for a
//! moment, so hashes run a few at a time and a long queue is refused rather
//! than grown.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::AuthConfig;
use crate::error::{ApiError, ApiResult};

/// Keys each table remembers at most.
const MAX_KEYS: usize = 10_000;
/// How long a sign-in waits for a hashing slot before giving up.
const HASH_WAIT: Duration = Duration::from_secs(10);

#[derive(Clone)]
pub struct SignInThrottle {
    per_address: Arc<RateLimiter>,
    per_user: Arc<RateLimiter>,
    hashing: Arc<Semaphore>,
    waiting: Arc<AtomicUsize>,
    queue: usize,
    trust_forwarded_for: bool,
}

impl SignInThrottle {
    pub fn new(config: &AuthConfig) -> Self {
        Self {
            per_address: Arc::new(RateLimiter::new(config.sign_in_per_minute_per_address)),
            per_user: Arc::new(RateLimiter::new(
                config.sign_in_failures_per_minute_per_user,
            )),
            hashing: Arc::new(Semaphore::new(config.password_hash_concurrency.max(1))),
            waiting: Arc::new(AtomicUsize::new(0)),
            queue: config.password_hash_queue,
            trust_forwarded_for: config.trust_forwarded_for,
        }
    }

    /// The client's address as the key its attempts are counted under.
    pub fn client_key(&self, peer: Option<SocketAddr>, headers: &HeaderMap) -> String {
        let forwarded = self
            .trust_forwarded_for
            .then(|| headers.get("x-forwarded-for")?.to_str().ok())
            .flatten()
            .and_then(|v| v.rsplit(',').map(str::trim).find(|s| !s.is_empty()))
            .and_then(|v| v.parse::<IpAddr>().ok());
        match forwarded.or(peer.map(|p| p.ip())) {
            Some(ip) => address_key(ip),
            None => "unknown".into(),
        }
    }

    /// Spends one attempt of `client`, and refuses when the user name has had too
    /// many failures; both before any hashing happens.
    pub fn admit(&self, client: &str, username: &str) -> ApiResult<()> {
        if let Err(wait) = self.per_address.take(client) {
            return Err(too_many(
                "too many sign-in attempts from your address",
                wait,
            ));
        }
        if let Err(wait) = self.per_user.check(&user_key(username)) {
            return Err(too_many(
                &format!("too many failed sign-ins for user '{username}'"),
                wait,
            ));
        }
        Ok(())
    }

    /// Counts a failed sign-in against the user name.
    pub fn failed(&self, username: &str) {
        let _ = self.per_user.take(&user_key(username));
    }

    /// A slot to hash a password in; a 503 when too many are already waiting.
    pub async fn hashing_slot(&self) -> ApiResult<OwnedSemaphorePermit> {
        if let Ok(permit) = self.hashing.clone().try_acquire_owned() {
            return Ok(permit);
        }
        let busy = || ApiError::TooManyRequests {
            message: "the server is busy checking other sign-ins; try again in a moment".into(),
            retry_after_secs: 1,
        };
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= self.queue {
            self.waiting.fetch_sub(1, Ordering::SeqCst);
            return Err(busy());
        }
        let permit = tokio::time::timeout(HASH_WAIT, self.hashing.clone().acquire_owned()).await;
        self.waiting.fetch_sub(1, Ordering::SeqCst);
        match permit {
            Ok(Ok(permit)) => Ok(permit),
            _ => Err(busy()),
        }
    }
}

fn too_many(what: &str, wait: Duration) -> ApiError {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    ApiError::TooManyRequests {
        message: format!("{what}; try again in {} s", secs.max(1)),
        retry_after_secs: secs.max(1),
    }
}

/// IPv6 clients usually hold a whole /64, so that is what is counted.
fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

fn user_key(username: &str) -> String {
    username.trim().to_lowercase()
}

/// Token buckets of `per_minute` tokens refilled evenly over a minute, one per key.
pub struct RateLimiter {
    per_minute: u32,
    buckets: Mutex<HashMap<String, Bucket>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Spends a token of `key`; `Err` says how long until one is back.
    pub fn take(&self, key: &str) -> Result<(), Duration> {
        self.with_bucket(key, Instant::now(), true)
    }

    /// Whether `key` has a token, without spending it.
    pub fn check(&self, key: &str) -> Result<(), Duration> {
        self.with_bucket(key, Instant::now(), false)
    }

    fn with_bucket(&self, key: &str, now: Instant, spend: bool) -> Result<(), Duration> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let capacity = f64::from(self.per_minute);
        let per_sec = capacity / 60.0;
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if !buckets.contains_key(key) {
            if !spend {
                return Ok(());
            }
            if buckets.len() >= MAX_KEYS {
                evict(&mut buckets, now, capacity, per_sec);
            }
            buckets.insert(
                key.to_owned(),
                Bucket {
                    tokens: capacity,
                    at: now,
                },
            );
        }
        let bucket = buckets.get_mut(key).expect("inserted above");
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * per_sec).min(capacity);
        bucket.at = now;
        if bucket.tokens < 1.0 {
            return Err(Duration::from_secs_f64((1.0 - bucket.tokens) / per_sec));
        }
        if spend {
            bucket.tokens -= 1.0;
        }
        Ok(())
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.buckets.lock().unwrap().len()
    }
}

/// Makes room: buckets that have refilled carry no information and go first;
/// if none has, the least recently used one goes.
fn evict(buckets: &mut HashMap<String, Bucket>, now: Instant, capacity: f64, per_sec: f64) {
    buckets.retain(|_, b| {
        b.tokens + now.saturating_duration_since(b.at).as_secs_f64() * per_sec < capacity
    });
    if buckets.len() >= MAX_KEYS
        && let Some(oldest) = buckets
            .iter()
            .min_by_key(|(_, b)| b.at)
            .map(|(k, _)| k.clone())
    {
        buckets.remove(&oldest);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_empties_then_refills_over_the_minute() {
        let limiter = RateLimiter::new(3);
        let start = Instant::now();
        for _ in 0..3 {
            assert!(limiter.with_bucket("a", start, true).is_ok());
        }
        let wait = limiter.with_bucket("a", start, true).unwrap_err();
        assert!(
            wait > Duration::from_secs(19) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
        assert!(
            limiter.with_bucket("b", start, true).is_ok(),
            "keys are apart"
        );
        let later = start + Duration::from_secs(21);
        assert!(limiter.with_bucket("a", later, true).is_ok());
        assert!(limiter.with_bucket("a", later, true).is_err());
    }

    #[test]
    fn the_table_stays_bounded() {
        let limiter = RateLimiter::new(5);
        let now = Instant::now();
        for i in 0..(MAX_KEYS + 500) {
            let _ = limiter.with_bucket(&format!("k{i}"), now, true);
        }
        assert!(limiter.len() <= MAX_KEYS, "{}", limiter.len());
        // Checking an unknown key adds nothing.
        assert!(limiter.check("never-seen").is_ok());
        assert!(limiter.len() <= MAX_KEYS);
    }

    #[test]
    fn forwarded_for_counts_only_when_trusted_and_ipv6_counts_per_64() {
        let mut config = crate::config::Config::default().auth;
        let peer: SocketAddr = "127.0.0.1:5000".parse().unwrap();
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "203.0.113.9, 198.51.100.7".parse().unwrap(),
        );
        let throttle = SignInThrottle::new(&config);
        assert_eq!(throttle.client_key(Some(peer), &headers), "127.0.0.1");
        config.trust_forwarded_for = true;
        let throttle = SignInThrottle::new(&config);
        assert_eq!(throttle.client_key(Some(peer), &headers), "198.51.100.7");
        let v6: SocketAddr = "[2001:db8:1:2:3:4:5:6]:1".parse().unwrap();
        assert_eq!(
            throttle.client_key(Some(v6), &HeaderMap::new()),
            "2001:db8:1:2::/64"
        );
    }

    #[tokio::test]
    async fn hashing_slots_are_bounded_and_a_long_queue_is_refused() {
        let mut config = crate::config::Config::default().auth;
        config.password_hash_concurrency = 1;
        config.password_hash_queue = 1;
        let throttle = SignInThrottle::new(&config);
        let held = throttle.hashing_slot().await.unwrap();
        let waiter = {
            let throttle = throttle.clone();
            tokio::spawn(async move { throttle.hashing_slot().await.map(|_| ()) })
        };
        tokio::time::sleep(Duration::from_millis(50)).await;
        let refused = throttle.hashing_slot().await.unwrap_err();
        assert_eq!(refused.status(), axum::http::StatusCode::TOO_MANY_REQUESTS);
        drop(held);
        assert!(
            waiter.await.unwrap().is_ok(),
            "the queued one gets the slot"
        );
    }
}
