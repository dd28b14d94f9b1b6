//! One rate limit for many processes: the account's sliding window kept in Redis.
//!
//! The API's five requests per second belong to the account, so every process sending with the
//! same credentials must draw from one window. [`RedisLimiter`] keeps that window in Redis and
//! decides every start in one atomic script on the Redis server's clock (see `window.lua`).

mod script;

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use tokio::sync::OnceCell;
use tokio::time::Instant;

use self::script::{Decision, Keys, Window};
use crate::BoxFuture;
use crate::error::Error;
use crate::limiter::{Permit, RateLimit, RateLimiter, SlidingWindowLimiter};

/// The key prefix used unless [`RedisLimiterBuilder::key_prefix`] says otherwise.
pub const DEFAULT_KEY_PREFIX: &str = "jelou:rate-limit";

/// What the shared limiter does while Redis cannot be reached.
///
/// Whichever you choose, the limiter asks Redis again after
/// [`RedisLimiterBuilder::retry_redis_after`] and returns to the shared window as soon as Redis
/// answers; the connection is re-established automatically.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum IfRedisUnreachable {
    /// Every call fails at once with [`Error::LimiterUnavailable`] and nothing is sent. No
    /// request can then break the account's limit, but nothing gets through either. The
    /// default.
    Fail,
    /// Calls go on under an in-process limiter keeping `share` (above 0, at most 1) of the
    /// limit, and a warning is logged when the outage starts. With `k` processes, a share of
    /// at most `1/k` keeps them within the account's limit together.
    ///
    /// The share is rounded down to whole requests per period (`0.25` of five per second is
    /// one per second); below one request, the period is stretched instead (`0.1` of five
    /// per second is one per two seconds). When Redis answers again, the starts made without
    /// it are reported to the shared window, so that other processes count them too.
    FallBack {
        /// The fraction of the limit this process may use on its own.
        share: f64,
    },
}

/// Builds a [`RedisLimiter`]. Start with [`RedisLimiter::builder`].
#[derive(Clone, Debug)]
#[must_use]
pub struct RedisLimiterBuilder {
    url: String,
    client_id: Option<String>,
    limit: RateLimit,
    if_unreachable: IfRedisUnreachable,
    timeout: Duration,
    retry_redis_after: Duration,
    key_prefix: String,
}

impl RedisLimiterBuilder {
    /// The account whose limit is shared: its client id. Only a SHA-256 hash of it reaches
    /// Redis, never the id itself or the secret. [`crate::JelouBuilder::redis_rate_limiter`]
    /// fills it in from the client's credentials.
    pub fn account(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// The limit kept across all processes, its safety margin included. Default
    /// [`RateLimit::JELOU`], the API's five requests per second with
    /// [`RateLimit::DEFAULT_SAFETY_MARGIN`]. Processes on different machines reach the API
    /// with different network delays, which the margin absorbs. Every process sharing the
    /// account must use the same limit and margin.
    pub fn limit(mut self, limit: RateLimit) -> Self {
        self.limit = limit;
        self
    }

    /// What to do while Redis cannot be reached. Default [`IfRedisUnreachable::Fail`].
    pub fn if_unreachable(mut self, behaviour: IfRedisUnreachable) -> Self {
        self.if_unreachable = behaviour;
        self
    }

    /// The longest one exchange with Redis (connecting included) may take before Redis counts
    /// as unreachable. Default 500 ms.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// After Redis failed, how long the limiter goes without asking it before trying again.
    /// Default 1 s.
    pub fn retry_redis_after(mut self, interval: Duration) -> Self {
        self.retry_redis_after = interval;
        self
    }

    /// What the Redis keys start with. Default [`DEFAULT_KEY_PREFIX`]. Processes share a
    /// window when they use the same prefix and account.
    pub fn key_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.key_prefix = prefix.into();
        self
    }

    /// Whether an account was set.
    pub(crate) fn has_account(&self) -> bool {
        self.client_id.is_some()
    }

    /// Checks the settings and builds the limiter. Nothing is sent to Redis until the first
    /// acquire, so this works outside an async runtime and while Redis is down.
    pub fn build(self) -> Result<RedisLimiter, Error> {
        let client_id = self.client_id.ok_or_else(|| {
            Error::Config("the shared rate limiter needs the account's client id".into())
        })?;
        let client = redis::Client::open(self.url.as_str()).map_err(|e| {
            Error::Config(format!(
                "the Redis URL is not usable: {e} (expected redis://host:port/db)"
            ))
        })?;
        let info = client.get_connection_info();
        let shown = format!(
            "Redis at {} (db {})",
            info.addr(),
            info.redis_settings().db()
        );
        let local = match self.if_unreachable {
            IfRedisUnreachable::Fail => None,
            IfRedisUnreachable::FallBack { share } => {
                Some(SlidingWindowLimiter::new(local_share(self.limit, share)?))
            }
        };
        Ok(RedisLimiter {
            inner: Arc::new(Inner {
                client,
                connection: OnceCell::new(),
                keys: Keys::for_account(&self.key_prefix, &client_id),
                window: Window::new(self.limit),
                limit: self.limit,
                local,
                timeout: self.timeout,
                retry_redis_after: self.retry_redis_after,
                shown,
                health: Mutex::new(Health::default()),
            }),
        })
    }
}

/// The in-process limit that keeps `share` of `limit`.
fn local_share(limit: RateLimit, share: f64) -> Result<RateLimit, Error> {
    if !(share > 0.0 && share <= 1.0) {
        return Err(Error::Config(format!(
            "IfRedisUnreachable::FallBack share must be above 0 and at most 1, got {share}"
        )));
    }
    let requests = f64::from(limit.requests()) * share;
    let local = if requests >= 1.0 {
        // At most `limit.requests()`, so the cast cannot overflow.
        RateLimit::new(requests.floor() as u32, limit.period())?
    } else {
        RateLimit::new(1, limit.period().div_f64(requests))?
    };
    Ok(local.with_safety_margin(limit.safety_margin()))
}

/// A start granted by the shared limiter.
///
/// Hidden: it exists so that the limiter's own tests and benchmark can check starts on the
/// Redis server's clock; users go through [`RateLimiter::acquire`].
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedStart {
    /// How long the caller waited for it.
    pub waited: Duration,
    /// When the shared window counted the start, on the Redis server's clock; `None` when it
    /// was granted by the in-process fallback while Redis was unreachable.
    pub counted_at: Option<SystemTime>,
    /// The start's ticket, as [`Permit::ticket`] gives it.
    pub ticket: u64,
}

/// Marks the tickets of the in-process fallback, whose own tickets count from zero and never
/// reach it; the script's tickets count from the server's clock in µs, far below it.
const FALLBACK_TICKET: u64 = 1 << 63;

/// A rate limiter shared by every process of an account, through Redis.
///
/// It keeps the same promise as [`SlidingWindowLimiter`] across processes and machines: at
/// most `requests` starts in any sliding window of the period (plus the limit's
/// [safety margin](RateLimit::safety_margin)), callers served first come first
/// served, and a caller whose wait would exceed its budget refused at once without taking a
/// slot. Each acquire is one script call while a slot is free; a caller that must wait
/// sleeps for exactly the time the script gives, then asks once more. Times come from the
/// Redis server's clock, so the processes' clocks need not agree. A 429 seen by any process
/// pauses all of them.
///
/// The keys are `<prefix>:{<hash of the client id>}:{starts,queue,meta}` and expire one period
/// after their last use.
///
/// Clones share the connection.
#[derive(Clone)]
pub struct RedisLimiter {
    inner: Arc<Inner>,
}

struct Inner {
    client: redis::Client,
    connection: OnceCell<ConnectionManager>,
    keys: Keys,
    window: Window,
    /// The limit kept in Redis, its margin included.
    limit: RateLimit,
    local: Option<SlidingWindowLimiter>,
    timeout: Duration,
    retry_redis_after: Duration,
    /// Where Redis is, for messages (never with a password).
    shown: String,
    health: Mutex<Health>,
}

#[derive(Default)]
struct Health {
    /// Since when Redis has been unreachable, and when to ask it again.
    outage: Option<Outage>,
    /// Starts granted without Redis, kept for one period to report once it answers again.
    offline_starts: VecDeque<Instant>,
}

struct Outage {
    retry_at: Instant,
    error: String,
}

/// Why the shared window could not decide.
enum SharedFailure {
    /// The caller's wait is beyond its budget (or another refusal): final.
    Refused(Error),
    /// Redis did not answer: the configured behaviour applies.
    Unreachable {
        message: String,
        source: Option<redis::RedisError>,
    },
}

impl From<redis::RedisError> for SharedFailure {
    fn from(error: redis::RedisError) -> Self {
        SharedFailure::Unreachable {
            message: error.to_string(),
            source: Some(error),
        }
    }
}

impl RedisLimiter {
    /// Starts building a limiter on the Redis server at `redis_url` (`redis://host:port/db`,
    /// with `redis://user:password@…` when the server needs a password).
    pub fn builder(redis_url: impl Into<String>) -> RedisLimiterBuilder {
        RedisLimiterBuilder {
            url: redis_url.into(),
            client_id: None,
            limit: RateLimit::JELOU,
            if_unreachable: IfRedisUnreachable::Fail,
            timeout: Duration::from_millis(500),
            retry_redis_after: Duration::from_secs(1),
            key_prefix: DEFAULT_KEY_PREFIX.to_owned(),
        }
    }

    /// The limit kept across processes, its safety margin included.
    pub fn limit(&self) -> RateLimit {
        self.inner.limit
    }

    /// What the account's keys start with, to inspect them or to clear them by hand.
    pub fn key_base(&self) -> &str {
        &self.inner.keys.base
    }

    /// Waits for the right to start one request, as [`RateLimiter::acquire`] does, and says
    /// when the shared window counted it.
    #[doc(hidden)]
    pub async fn acquire_start(&self, budget: Option<Duration>) -> Result<SharedStart, Error> {
        let asked = Instant::now();
        if let Some(reason) = self.inner.outage_in_force(asked) {
            return self.inner.without_redis(budget, asked, reason, None).await;
        }
        match self.inner.acquire_shared(budget, asked).await {
            Ok(start) => {
                self.inner.redis_answered();
                Ok(start)
            }
            Err(SharedFailure::Refused(error)) => {
                self.inner.redis_answered();
                Err(error)
            }
            Err(SharedFailure::Unreachable { message, source }) => {
                let reason = self.inner.redis_failed(message);
                let remaining = budget.map(|b| b.saturating_sub(asked.elapsed()));
                self.inner
                    .without_redis(remaining, asked, reason, source)
                    .await
            }
        }
    }

    /// Holds back every process of the account for `pause`, as [`RateLimiter::pause_for`]
    /// does. While Redis is unreachable only this process's fallback is paused.
    pub async fn pause(&self, pause: Duration) {
        if let Some(local) = &self.inner.local {
            local.pause_for(pause).await;
        }
        if self.inner.outage_in_force(Instant::now()).is_some() {
            return;
        }
        let paused = async {
            let mut connection = self.inner.connection().await?;
            self.inner
                .ask(
                    self.inner
                        .window
                        .pause(&mut connection, &self.inner.keys, pause),
                )
                .await
        };
        match paused.await {
            Ok(_) => self.inner.redis_answered(),
            Err(SharedFailure::Unreachable { message, .. }) => {
                self.inner.redis_failed(message);
            }
            // A pause is never refused.
            Err(SharedFailure::Refused(_)) => {}
        }
    }
}

impl Inner {
    async fn connection(&self) -> Result<ConnectionManager, SharedFailure> {
        let manager = self
            .connection
            .get_or_try_init(|| async {
                // One attempt per call: the limiter decides when to try Redis again, so a
                // caller never waits through a reconnect loop.
                let config = ConnectionManagerConfig::new()
                    .set_connection_timeout(Some(self.timeout))
                    .set_response_timeout(Some(self.timeout))
                    .set_number_of_retries(0);
                ConnectionManager::new_lazy_with_config(self.client.clone(), config)
            })
            .await?;
        Ok(manager.clone())
    }

    /// Runs one script call within the timeout.
    async fn ask<T>(
        &self,
        call: impl Future<Output = redis::RedisResult<T>>,
    ) -> Result<T, SharedFailure> {
        match tokio::time::timeout(self.timeout, call).await {
            Ok(result) => Ok(result?),
            Err(_) => Err(SharedFailure::Unreachable {
                message: format!("no answer within {} ms", self.timeout.as_millis()),
                source: None,
            }),
        }
    }

    async fn acquire_shared(
        &self,
        budget: Option<Duration>,
        asked: Instant,
    ) -> Result<SharedStart, SharedFailure> {
        let mut connection = self.connection().await?;
        let offline = self.offline_ages(asked);
        let mut reply = self
            .ask(
                self.window
                    .acquire(&mut connection, &self.keys, budget, &offline),
            )
            .await?;
        if !offline.is_empty() {
            // Reported; a start another task made since `asked` is reported next time.
            self.lock().offline_starts.retain(|&start| start > asked);
        }
        let mut first_answer = true;
        loop {
            match reply.decision {
                Decision::Started { at, ticket } => {
                    return Ok(SharedStart {
                        waited: asked.elapsed(),
                        counted_at: Some(SystemTime::UNIX_EPOCH + Duration::from_micros(at.0)),
                        ticket,
                    });
                }
                Decision::Refused { wait } => {
                    // Refused at once, the wait is the script's; after sleeping, it counts too.
                    let waited = if first_answer {
                        Duration::ZERO
                    } else {
                        asked.elapsed()
                    };
                    return Err(SharedFailure::Refused(Error::RateLimited {
                        would_wait: waited + wait,
                        budget: budget.unwrap_or(Duration::ZERO),
                    }));
                }
                Decision::Queued { ticket, wait } => {
                    tokio::time::sleep(wait).await;
                    first_answer = false;
                    let remaining = budget.map(|b| b.saturating_sub(asked.elapsed()));
                    reply = self
                        .ask(
                            self.window
                                .start(&mut connection, &self.keys, ticket, remaining),
                        )
                        .await?;
                }
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Health> {
        // Every update of the health is a single assignment or push, so a poisoned lock still
        // holds consistent data.
        self.health
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// While an outage is in force (Redis failed and its retry time has not come), why.
    fn outage_in_force(&self, now: Instant) -> Option<String> {
        let health = self.lock();
        let outage = health.outage.as_ref()?;
        (now < outage.retry_at).then(|| outage.error.clone())
    }

    /// Records that Redis answered, ending an outage.
    fn redis_answered(&self) {
        if self.lock().outage.take().is_some() {
            tracing::info!(
                redis = %self.shown,
                "Redis answers again: the shared rate limit is back in use"
            );
        }
    }

    /// Records that Redis failed, and returns the reason to give callers.
    fn redis_failed(&self, error: String) -> String {
        let retry_at = Instant::now() + self.retry_redis_after;
        let mut health = self.lock();
        let fallback = if self.local.is_some() {
            "calls go on under this process's share of the limit"
        } else {
            "calls fail until it answers"
        };
        if health.outage.is_none() {
            tracing::warn!(
                redis = %self.shown,
                %error,
                retry_in_ms = self.retry_redis_after.as_millis() as u64,
                "Redis is unreachable: {fallback}"
            );
        } else {
            tracing::debug!(redis = %self.shown, %error, "Redis is still unreachable");
        }
        let reason = format!(
            "{} is unreachable ({error}); it is tried again every {} ms",
            self.shown,
            self.retry_redis_after.as_millis()
        );
        health.outage = Some(Outage {
            retry_at,
            error: reason.clone(),
        });
        reason
    }

    /// The configured behaviour while Redis is unreachable.
    async fn without_redis(
        &self,
        budget: Option<Duration>,
        asked: Instant,
        reason: String,
        source: Option<redis::RedisError>,
    ) -> Result<SharedStart, Error> {
        let Some(local) = &self.local else {
            return Err(Error::LimiterUnavailable {
                reason,
                source: source.map(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>),
            });
        };
        let permit = local.acquire(budget).await?;
        let now = Instant::now();
        let mut health = self.lock();
        health.offline_starts.push_back(now);
        let period = self.limit.window();
        while health
            .offline_starts
            .front()
            .is_some_and(|&start| now.duration_since(start) >= period)
        {
            health.offline_starts.pop_front();
        }
        Ok(SharedStart {
            waited: now.duration_since(asked),
            counted_at: None,
            ticket: permit.ticket() | FALLBACK_TICKET,
        })
    }

    /// How long ago the starts made without Redis happened, the last period's only.
    fn offline_ages(&self, now: Instant) -> Vec<Duration> {
        let period = self.limit.window();
        self.lock()
            .offline_starts
            .iter()
            .map(|&start| now.saturating_duration_since(start))
            .filter(|&age| age < period)
            .collect()
    }
}

impl RateLimiter for RedisLimiter {
    fn acquire(&self, budget: Option<Duration>) -> BoxFuture<'_, Result<Permit, Error>> {
        Box::pin(async move {
            let start = self.acquire_start(budget).await?;
            Ok(Permit::new(start.waited, start.ticket))
        })
    }

    fn pause_for(&self, pause: Duration) -> BoxFuture<'_, ()> {
        Box::pin(self.pause(pause))
    }

    /// Reports the answer to Redis from a task of its own, so that the call returns without
    /// waiting for it; the window counts the request when Redis runs the report, a little
    /// after the answer, which only makes it stricter. Without a tokio runtime, or while
    /// Redis is unreachable, the request keeps counting at its start.
    fn answered(&self, permit: Permit) {
        let ticket = permit.ticket();
        if ticket & FALLBACK_TICKET != 0 {
            if let Some(local) = &self.inner.local {
                local.answered(Permit::new(permit.waited(), ticket & !FALLBACK_TICKET));
            }
            return;
        }
        let Ok(runtime) = tokio::runtime::Handle::try_current() else {
            return;
        };
        if self.inner.outage_in_force(Instant::now()).is_some() {
            return;
        }
        let inner = Arc::clone(&self.inner);
        runtime.spawn(async move {
            let reported = async {
                let mut connection = inner.connection().await?;
                inner
                    .ask(inner.window.answered(&mut connection, &inner.keys, ticket))
                    .await
            };
            if let Err(SharedFailure::Unreachable { message, .. }) = reported.await {
                tracing::debug!(redis = %inner.shown, error = %message, "an answer was not reported to Redis");
            }
        });
    }
}

impl fmt::Debug for RedisLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisLimiter")
            .field("redis", &self.inner.shown)
            .field("key_base", &self.inner.keys.base)
            .field("limit", &self.inner.limit)
            .field(
                "fallback",
                &self.inner.local.as_ref().map(SlidingWindowLimiter::limit),
            )
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fallback_share_keeps_whole_requests_or_stretches_the_period() {
        let share = |share| local_share(RateLimit::JELOU, share).expect("valid share");
        assert_eq!(share(1.0), RateLimit::JELOU);
        assert_eq!(share(0.5), RateLimit::per_second(2).expect("positive"));
        assert_eq!(share(0.25), RateLimit::per_second(1).expect("positive"));
        assert_eq!(
            share(0.1),
            RateLimit::new(1, Duration::from_secs(2)).expect("positive")
        );
        for refused in [0.0, -1.0, 1.01, f64::NAN, f64::INFINITY] {
            let error = local_share(RateLimit::JELOU, refused).expect_err("refused");
            assert!(error.to_string().contains("share"), "{error}");
        }
    }

    #[test]
    fn only_a_hash_of_the_client_id_names_the_keys() {
        let keys = Keys::for_account("jelou:rate-limit", "my-client");
        // SHA-256("my-client"), first 16 bytes.
        assert_eq!(
            keys.base,
            "jelou:rate-limit:{ea045181518417daa8fd675ffc4702ce}"
        );
        assert_ne!(keys, Keys::for_account("jelou:rate-limit", "my-client2"));
    }
}
