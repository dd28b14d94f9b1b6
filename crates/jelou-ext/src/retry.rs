//! When a failed attempt may be sent again, and how long to wait first.
//!
//! The rule that keeps writes safe lives in one small function, [`retry_reason`]: an operation
//! that is not idempotent is retried only when the server certainly did not act on it.

use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

/// Whether sending a request twice has the same effect as sending it once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Idempotency {
    /// Reads: `GET` operations.
    Idempotent,
    /// Writes: sending a message, setting the cache, creating or updating a user, chatting.
    /// Sent twice, they act twice.
    NotIdempotent,
}

impl Idempotency {
    /// `GET` (and `HEAD`) are idempotent; every other method is treated as not idempotent.
    /// The API's `PUT` updates are included on purpose: the SDK never assumes a write is safe
    /// to repeat.
    pub fn of_method(method: &reqwest::Method) -> Self {
        if method == reqwest::Method::GET || method == reqwest::Method::HEAD {
            Self::Idempotent
        } else {
            Self::NotIdempotent
        }
    }
}

/// What one attempt came to, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// No connection was established (refused, DNS): nothing reached the server.
    NotConnected,
    /// The TLS handshake failed (an untrusted certificate, say): nothing reached the server,
    /// and trying again cannot help.
    TlsFailed,
    /// The attempt timed out after the connection was made: the server may have acted.
    TimedOut,
    /// The connection broke after the request was (or may have been) sent.
    ConnectionLost,
    /// The server answered with this status.
    Status(u16),
}

/// Why an attempt is retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetryReason {
    /// The connection was never established.
    NotConnected,
    /// The server answered 429 Too Many Requests.
    TooManyRequests,
    /// The attempt timed out (reads only).
    TimedOut,
    /// The connection broke mid-way (reads only).
    ConnectionLost,
    /// The server answered 408, 500, 502, 503 or 504 (reads only).
    ServerStatus(u16),
}

impl fmt::Display for RetryReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotConnected => f.write_str("connection not established"),
            Self::TooManyRequests => f.write_str("429 too many requests"),
            Self::TimedOut => f.write_str("timed out"),
            Self::ConnectionLost => f.write_str("connection lost"),
            Self::ServerStatus(status) => write!(f, "status {status}"),
        }
    }
}

/// Whether an attempt may be retried, and why.
///
/// | outcome | idempotent (GET) | not idempotent |
/// | --- | --- | --- |
/// | connection never established | retry | retry |
/// | TLS failure (certificate, handshake) | no: it cannot heal | no |
/// | 429 | retry | retry |
/// | timeout, connection lost | retry | **no**: the server may have acted |
/// | 408, 500, 502, 503, 504 | retry | **no**: the server may have acted |
/// | any other status | no | no |
///
/// A 429 is safe for writes because the API refuses the request before acting on it.
pub fn retry_reason(idempotency: Idempotency, outcome: AttemptOutcome) -> Option<RetryReason> {
    let idempotent = idempotency == Idempotency::Idempotent;
    match outcome {
        AttemptOutcome::NotConnected => Some(RetryReason::NotConnected),
        AttemptOutcome::TlsFailed => None,
        AttemptOutcome::Status(429) => Some(RetryReason::TooManyRequests),
        AttemptOutcome::TimedOut if idempotent => Some(RetryReason::TimedOut),
        AttemptOutcome::ConnectionLost if idempotent => Some(RetryReason::ConnectionLost),
        AttemptOutcome::Status(status @ (408 | 500 | 502 | 503 | 504)) if idempotent => {
            Some(RetryReason::ServerStatus(status))
        }
        _ => None,
    }
}

/// How backoff delays are randomised.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Jitter {
    /// "Full jitter": a uniformly random delay between zero and the exponential bound, so
    /// that many clients failing together do not retry together. The default.
    Full,
    /// The exponential bound itself, for exact schedules in tests.
    None,
}

/// How failed attempts are retried.
///
/// Start from [`RetryPolicy::default`] (or [`RetryPolicy::never`]) and change what you need
/// with the `with_` methods. Every value is valid: durations too long to represent mean "no
/// limit", never a panic.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct RetryPolicy {
    max_retries: u32,
    initial_backoff: Duration,
    max_backoff: Duration,
    max_elapsed: Duration,
    max_retry_after: Duration,
    jitter: Jitter,
    budget_tokens: u32,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            max_elapsed: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(60),
            jitter: Jitter::Full,
            budget_tokens: 10,
        }
    }
}

impl RetryPolicy {
    /// No retries at all: every call is one attempt.
    pub fn never() -> Self {
        Self::default().with_max_retries(0)
    }

    /// Retries after the first attempt (so `max_retries + 1` attempts at most). Default 3.
    pub fn with_max_retries(self, max_retries: u32) -> Self {
        Self {
            max_retries,
            ..self
        }
    }

    /// The bound of the first backoff; it doubles each retry. Default 200 ms.
    pub fn with_initial_backoff(self, initial_backoff: Duration) -> Self {
        Self {
            initial_backoff,
            ..self
        }
    }

    /// No backoff is longer than this. Default 5 s.
    pub fn with_max_backoff(self, max_backoff: Duration) -> Self {
        Self {
            max_backoff,
            ..self
        }
    }

    /// No retry starts after this much time since the call began. Default 30 s.
    pub fn with_max_elapsed(self, max_elapsed: Duration) -> Self {
        Self {
            max_elapsed,
            ..self
        }
    }

    /// The longest `Retry-After` honoured; a longer one ends the retries. It also caps how
    /// long a 429 pauses the rate limiter. Default 60 s.
    pub fn with_max_retry_after(self, max_retry_after: Duration) -> Self {
        Self {
            max_retry_after,
            ..self
        }
    }

    /// How delays are randomised. Default [`Jitter::Full`].
    pub fn with_jitter(self, jitter: Jitter) -> Self {
        Self { jitter, ..self }
    }

    /// Retry tokens shared by every call of a client: each retry spends one, each success
    /// earns back a tenth. Default 10 tokens.
    pub fn with_budget_tokens(self, budget_tokens: u32) -> Self {
        Self {
            budget_tokens,
            ..self
        }
    }

    /// Retries after the first attempt.
    pub fn max_retries(&self) -> u32 {
        self.max_retries
    }

    /// The bound of the first backoff.
    pub fn initial_backoff(&self) -> Duration {
        self.initial_backoff
    }

    /// The longest backoff.
    pub fn max_backoff(&self) -> Duration {
        self.max_backoff
    }

    /// The time since the call began after which no retry starts.
    pub fn max_elapsed(&self) -> Duration {
        self.max_elapsed
    }

    /// The longest `Retry-After` honoured.
    pub fn max_retry_after(&self) -> Duration {
        self.max_retry_after
    }

    /// How delays are randomised.
    pub fn jitter(&self) -> Jitter {
        self.jitter
    }

    /// Retry tokens shared by every call of a client.
    pub fn budget_tokens(&self) -> u32 {
        self.budget_tokens
    }

    /// The delay before retry number `retry` (1 for the first retry).
    pub fn backoff(&self, retry: u32) -> Duration {
        let bound = self.backoff_bound(retry);
        match self.jitter {
            Jitter::None => bound,
            Jitter::Full => bound.mul_f64(fastrand::f64()),
        }
    }

    /// The exponential bound of the delay before retry number `retry`, without jitter.
    fn backoff_bound(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(30);
        self.initial_backoff
            .saturating_mul(1 << doublings)
            .min(self.max_backoff)
    }
}

/// How long to wait before retry number `retry`, or `None` when the retries end here.
///
/// `backoff` is the policy's (jittered) backoff for this retry, `retry_after` what the server
/// asked for, `elapsed` the time since the call began and `left` what remains of the call's
/// deadline (`None`: no deadline). The wait is the longer of the backoff and `Retry-After`;
/// the retries end when the count is spent, when the server asks for more than the policy
/// honours, or when the wait would end past `max_elapsed` or at or past the deadline.
pub(crate) fn retry_delay(
    policy: &RetryPolicy,
    retry: u32,
    backoff: Duration,
    retry_after: Option<Duration>,
    elapsed: Duration,
    left: Option<Duration>,
) -> Option<Duration> {
    if retry > policy.max_retries {
        return None;
    }
    if retry_after.is_some_and(|wait| wait > policy.max_retry_after) {
        return None;
    }
    let delay = backoff.max(retry_after.unwrap_or(Duration::ZERO));
    if elapsed.saturating_add(delay) > policy.max_elapsed {
        return None;
    }
    if left.is_some_and(|left| delay >= left) {
        return None;
    }
    Some(delay)
}

/// What is known when an attempt ends, for [`decide`].
#[derive(Clone, Copy, Debug)]
pub(crate) struct AttemptEnd {
    /// Whether the operation may be sent twice (from the spec).
    pub(crate) idempotency: Idempotency,
    /// What the attempt came to.
    pub(crate) outcome: AttemptOutcome,
    /// Which attempt it was, from 1.
    pub(crate) attempt: u32,
    /// The policy's (jittered) backoff before the next attempt.
    pub(crate) backoff: Duration,
    /// What the server asked for in `Retry-After`.
    pub(crate) retry_after: Option<Duration>,
    /// Time since the call began.
    pub(crate) elapsed: Duration,
    /// What remains of the call's deadline (`None`: no deadline).
    pub(crate) left: Option<Duration>,
}

/// What to do after an attempt.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// Send the request again after waiting `after`.
    Retry {
        /// Why the attempt is retried.
        reason: RetryReason,
        /// How long to wait first.
        after: Duration,
    },
    /// The attempt's outcome is the call's.
    Stop,
}

/// Whether and when to retry: [`retry_reason`] says whether the outcome may be retried at
/// all for this operation, [`retry_delay`] whether the policy and the deadline still allow
/// it and after how long. Pure: the retry budget, shared by every call, is spent by the
/// caller only for a `Retry`.
pub(crate) fn decide(policy: &RetryPolicy, end: AttemptEnd) -> Decision {
    let Some(reason) = retry_reason(end.idempotency, end.outcome) else {
        return Decision::Stop;
    };
    match retry_delay(
        policy,
        end.attempt,
        end.backoff,
        end.retry_after,
        end.elapsed,
        end.left,
    ) {
        Some(after) => Decision::Retry { reason, after },
        None => Decision::Stop,
    }
}

/// How long a 429 holds back everyone sharing the rate limiter: the server's `Retry-After`,
/// one second when it gave none, and never more than the policy honours.
pub(crate) fn pause_after_429(policy: &RetryPolicy, retry_after: Option<Duration>) -> Duration {
    retry_after
        .unwrap_or(Duration::from_secs(1))
        .min(policy.max_retry_after)
}

/// A token bucket that stops a client from hammering a failing server with retries.
///
/// Each retry spends one token and each successful call earns back a tenth of one, up to the
/// capacity. When the bucket is empty, failures are returned without retrying.
#[derive(Clone, Debug)]
pub(crate) struct RetryBudget {
    state: Arc<Mutex<BudgetState>>,
}

#[derive(Debug)]
struct BudgetState {
    tenths: u32,
    capacity_tenths: u32,
}

impl RetryBudget {
    /// A full bucket of `tokens` retries.
    pub(crate) fn new(tokens: u32) -> Self {
        let capacity_tenths = tokens.saturating_mul(10);
        Self {
            state: Arc::new(Mutex::new(BudgetState {
                tenths: capacity_tenths,
                capacity_tenths,
            })),
        }
    }

    fn with_state<T>(&self, f: impl FnOnce(&mut BudgetState) -> T) -> T {
        f(&mut self
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    /// Takes a token for one retry; `false` when the bucket is empty.
    pub(crate) fn try_spend(&self) -> bool {
        self.with_state(|s| {
            if s.tenths >= 10 {
                s.tenths -= 10;
                true
            } else {
                false
            }
        })
    }

    /// Records a successful call: a tenth of a token back.
    pub(crate) fn record_success(&self) {
        self.with_state(|s| s.tenths = (s.tenths + 1).min(s.capacity_tenths));
    }

    /// Whole retries left.
    #[cfg(test)]
    fn tokens(&self) -> u32 {
        self.with_state(|s| s.tenths / 10)
    }
}

/// Reads a `Retry-After` header: delta-seconds (`120`) or an HTTP date, as a wait from `now`.
/// A date in the past is a wait of zero; anything unreadable is `None`.
pub(crate) fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ended(outcome: AttemptOutcome, idempotency: Idempotency, attempt: u32) -> AttemptEnd {
        AttemptEnd {
            idempotency,
            outcome,
            attempt,
            backoff: Duration::from_millis(200),
            retry_after: None,
            elapsed: Duration::ZERO,
            left: None,
        }
    }

    #[test]
    fn one_decision_from_the_outcome_the_operation_and_the_policy() {
        let policy = RetryPolicy::default();
        let read = Idempotency::Idempotent;
        let write = Idempotency::NotIdempotent;
        let retry = |reason| Decision::Retry {
            reason,
            after: Duration::from_millis(200),
        };
        let unavailable = AttemptOutcome::Status(503);
        assert_eq!(
            decide(&policy, ended(unavailable, read, 1)),
            retry(RetryReason::ServerStatus(503))
        );
        assert_eq!(
            decide(&policy, ended(unavailable, write, 1)),
            Decision::Stop
        );
        assert_eq!(
            decide(&policy, ended(AttemptOutcome::NotConnected, write, 1)),
            retry(RetryReason::NotConnected)
        );
        assert_eq!(
            decide(&policy, ended(AttemptOutcome::Status(200), read, 1)),
            Decision::Stop
        );
        let last = policy.max_retries() + 1;
        assert_eq!(
            decide(&policy, ended(unavailable, read, last)),
            Decision::Stop
        );
        let past_deadline = AttemptEnd {
            left: Some(Duration::from_millis(100)),
            ..ended(unavailable, read, 1)
        };
        assert_eq!(decide(&policy, past_deadline), Decision::Stop);
        let asked = AttemptEnd {
            retry_after: Some(Duration::from_secs(2)),
            ..ended(AttemptOutcome::Status(429), write, 1)
        };
        assert_eq!(
            decide(&policy, asked),
            Decision::Retry {
                reason: RetryReason::TooManyRequests,
                after: Duration::from_secs(2)
            }
        );
    }

    use AttemptOutcome::*;
    use Idempotency::*;

    #[test]
    fn reads_retry_on_connect_errors_timeouts_and_transient_statuses() {
        assert_eq!(
            retry_reason(Idempotent, NotConnected),
            Some(RetryReason::NotConnected)
        );
        assert_eq!(
            retry_reason(Idempotent, TimedOut),
            Some(RetryReason::TimedOut)
        );
        assert_eq!(
            retry_reason(Idempotent, ConnectionLost),
            Some(RetryReason::ConnectionLost)
        );
        assert_eq!(
            retry_reason(Idempotent, Status(429)),
            Some(RetryReason::TooManyRequests)
        );
        for status in [408, 500, 502, 503, 504] {
            assert_eq!(
                retry_reason(Idempotent, Status(status)),
                Some(RetryReason::ServerStatus(status))
            );
        }
    }

    #[test]
    fn reads_do_not_retry_other_statuses() {
        for status in [200, 201, 301, 400, 401, 403, 404, 409, 422, 501, 505] {
            assert_eq!(retry_reason(Idempotent, Status(status)), None, "{status}");
        }
    }

    #[test]
    fn writes_retry_only_when_the_server_certainly_did_not_act() {
        assert_eq!(
            retry_reason(NotIdempotent, NotConnected),
            Some(RetryReason::NotConnected)
        );
        assert_eq!(
            retry_reason(NotIdempotent, Status(429)),
            Some(RetryReason::TooManyRequests)
        );
        assert_eq!(retry_reason(NotIdempotent, TimedOut), None);
        assert_eq!(retry_reason(NotIdempotent, ConnectionLost), None);
        for status in [408, 500, 502, 503, 504, 400, 404, 422] {
            assert_eq!(
                retry_reason(NotIdempotent, Status(status)),
                None,
                "{status}"
            );
        }
    }

    #[test]
    fn methods_map_to_idempotency() {
        assert_eq!(Idempotency::of_method(&reqwest::Method::GET), Idempotent);
        for method in [
            reqwest::Method::POST,
            reqwest::Method::PUT,
            reqwest::Method::PATCH,
        ] {
            assert_eq!(Idempotency::of_method(&method), NotIdempotent);
        }
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let policy = RetryPolicy::default().with_jitter(Jitter::None);
        let delays: Vec<u128> = (1..=7).map(|r| policy.backoff(r).as_millis()).collect();
        assert_eq!(delays, [200, 400, 800, 1600, 3200, 5000, 5000]);
        assert_eq!(policy.backoff(u32::MAX), Duration::from_secs(5));
    }

    #[test]
    fn full_jitter_stays_between_zero_and_the_bound() {
        let policy = RetryPolicy::default();
        for retry in 1..=6 {
            let bound = policy.clone().with_jitter(Jitter::None).backoff(retry);
            for _ in 0..200 {
                assert!(policy.backoff(retry) <= bound);
            }
        }
    }

    #[test]
    fn a_policy_holds_what_it_was_given() {
        let policy = RetryPolicy::default()
            .with_max_retries(7)
            .with_initial_backoff(Duration::from_millis(11))
            .with_max_backoff(Duration::from_millis(13))
            .with_max_elapsed(Duration::from_millis(17))
            .with_max_retry_after(Duration::from_millis(19))
            .with_jitter(Jitter::None)
            .with_budget_tokens(23);
        assert_eq!(policy.max_retries(), 7);
        assert_eq!(policy.initial_backoff(), Duration::from_millis(11));
        assert_eq!(policy.max_backoff(), Duration::from_millis(13));
        assert_eq!(policy.max_elapsed(), Duration::from_millis(17));
        assert_eq!(policy.max_retry_after(), Duration::from_millis(19));
        assert_eq!(policy.jitter(), Jitter::None);
        assert_eq!(policy.budget_tokens(), 23);
        assert_eq!(RetryPolicy::never().max_retries(), 0);
        assert_eq!(
            RetryPolicy::never().with_max_retries(3),
            RetryPolicy::default()
        );
    }

    #[test]
    fn the_retry_delay_ends_the_retries_at_each_limit_and_not_before() {
        let policy = RetryPolicy::default()
            .with_max_retries(2)
            .with_max_elapsed(Duration::from_secs(10))
            .with_max_retry_after(Duration::from_secs(4));
        let s = Duration::from_secs;
        // The backoff alone, then the longer Retry-After.
        assert_eq!(retry_delay(&policy, 1, s(1), None, s(0), None), Some(s(1)));
        assert_eq!(
            retry_delay(&policy, 1, s(1), Some(s(3)), s(0), None),
            Some(s(3))
        );
        // The count: the second retry is the last.
        assert_eq!(retry_delay(&policy, 2, s(1), None, s(0), None), Some(s(1)));
        assert_eq!(retry_delay(&policy, 3, s(1), None, s(0), None), None);
        // Retry-After: exactly the most honoured is waited, one past it ends the retries.
        assert_eq!(
            retry_delay(&policy, 1, s(1), Some(s(4)), s(0), None),
            Some(s(4))
        );
        assert_eq!(
            retry_delay(
                &policy,
                1,
                s(1),
                Some(s(4) + Duration::from_nanos(1)),
                s(0),
                None
            ),
            None
        );
        // Elapsed time: a retry may start exactly at max_elapsed, not after it.
        assert_eq!(retry_delay(&policy, 1, s(1), None, s(9), None), Some(s(1)));
        assert_eq!(
            retry_delay(&policy, 1, s(1), None, s(9) + Duration::from_nanos(1), None),
            None
        );
        // The call's deadline: the wait must end before it.
        assert_eq!(
            retry_delay(&policy, 1, s(1), None, s(0), Some(s(2))),
            Some(s(1))
        );
        assert_eq!(retry_delay(&policy, 1, s(1), None, s(0), Some(s(1))), None);
    }

    #[test]
    fn a_429_pauses_for_its_retry_after_or_a_second_within_the_cap() {
        let policy = RetryPolicy::default().with_max_retry_after(Duration::from_secs(5));
        let s = Duration::from_secs;
        assert_eq!(pause_after_429(&policy, None), s(1));
        assert_eq!(pause_after_429(&policy, Some(s(3))), s(3));
        assert_eq!(pause_after_429(&policy, Some(s(500))), s(5));
    }

    #[test]
    fn the_budget_empties_and_refills_by_tenths() {
        let budget = RetryBudget::new(2);
        assert!(budget.try_spend());
        assert!(budget.try_spend());
        assert!(!budget.try_spend());
        for _ in 0..9 {
            budget.record_success();
        }
        assert!(!budget.try_spend(), "nine tenths are not a token");
        budget.record_success();
        assert!(budget.try_spend());
        for _ in 0..100 {
            budget.record_success();
        }
        assert_eq!(budget.tokens(), 2, "capped at capacity");
    }

    #[test]
    fn retry_after_reads_seconds_and_http_dates() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT").expect("date");
        assert_eq!(
            parse_retry_after("120", now),
            Some(Duration::from_secs(120))
        );
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:40 GMT", now),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-5", now), None);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn retry_after_values() -> impl Strategy<Value = String> {
            prop_oneof![
                any::<String>(),
                any::<u64>().prop_map(|seconds| seconds.to_string()),
                "[0-9]{1,40}",
                "-[0-9]{1,20}",
                any::<u32>().prop_map(|offset| {
                    let epoch = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(offset) * 4);
                    httpdate::fmt_http_date(epoch)
                }),
                "(Mon|Sun|Fri), [0-9]{2} (Jan|Feb|Nov) [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} GMT",
            ]
        }

        fn policies() -> impl Strategy<Value = RetryPolicy> {
            (
                0u32..10,
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
                any::<u64>(),
            )
                .prop_map(|(retries, initial, max_backoff, elapsed, retry_after)| {
                    RetryPolicy::default()
                        .with_max_retries(retries)
                        .with_initial_backoff(Duration::from_nanos(initial))
                        .with_max_backoff(Duration::from_nanos(max_backoff))
                        .with_max_elapsed(Duration::from_nanos(elapsed))
                        .with_max_retry_after(Duration::from_nanos(retry_after))
                })
        }

        proptest! {
            #[test]
            fn retry_after_never_panics_and_no_wait_exceeds_the_caps(
                value in retry_after_values(),
                now_offset in any::<u32>(),
                policy in policies(),
                retry in 0u32..12,
                elapsed in any::<u64>(),
                left in proptest::option::of(any::<u64>()),
            ) {
                let now = SystemTime::UNIX_EPOCH + Duration::from_secs(u64::from(now_offset) * 4);
                let parsed = parse_retry_after(&value, now);
                let pause = pause_after_429(&policy, parsed);
                prop_assert!(pause <= policy.max_retry_after());
                let backoff = policy.backoff(retry);
                prop_assert!(backoff <= policy.max_backoff());
                let delay = retry_delay(
                    &policy,
                    retry,
                    backoff,
                    parsed,
                    Duration::from_nanos(elapsed),
                    left.map(Duration::from_nanos),
                );
                if let Some(delay) = delay {
                    prop_assert!(delay <= policy.max_backoff().max(policy.max_retry_after()));
                    prop_assert!(delay <= policy.max_elapsed());
                    prop_assert!(retry <= policy.max_retries());
                    if let Some(left) = left {
                        prop_assert!(delay < Duration::from_nanos(left));
                    }
                }
            }
        }
    }
}
