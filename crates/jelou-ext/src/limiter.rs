//! Client-side rate limiting: at most N request starts in any sliding window of one period.
//!
//! The API allows five requests per second per account. [`SlidingWindowLimiter`] keeps that
//! promise for every clone and task of one client; [`RateLimiter`] is the small trait another
//! backend implements to replace it (with the `redis` feature, `RedisLimiter` shares one
//! window among every process of an account).

use std::collections::VecDeque;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

use crate::BoxFuture;
use crate::clock::{Clock, TokioClock, later};
use crate::error::Error;

/// How many request starts a period allows, and the safety margin kept on top of it.
///
/// Built only through its constructors, so it always holds at least one request and a period
/// longer than zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct RateLimit {
    requests: u32,
    period: Duration,
    safety_margin: Duration,
}

impl RateLimit {
    /// Added to the period by default: 15 ms.
    ///
    /// The server counts requests when they arrive, the limiter when they start. Between the
    /// two lie the client's scheduling, the network and the server's own scheduling, and they
    /// vary from request to request: a start exactly one period after the N-th before it can
    /// arrive less than a period after it. The margin absorbs that variation. It costs 1.5%
    /// of the throughput at five per second. Measured on a loaded two-core machine (see
    /// `BENCHMARKS.md`), the variation reached 10.6 ms; 15 ms keeps the sustained rate above
    /// 4.9 requests per second.
    pub const DEFAULT_SAFETY_MARGIN: Duration = Duration::from_millis(15);

    /// The Jelou API's documented limit: five requests per second, with the default margin.
    pub const JELOU: RateLimit = RateLimit {
        requests: 5,
        period: Duration::from_secs(1),
        safety_margin: Self::DEFAULT_SAFETY_MARGIN,
    };

    /// `requests` starts in any window of `period` (plus the default safety margin).
    /// Fails when either is zero.
    pub fn new(requests: u32, period: Duration) -> Result<Self, Error> {
        if requests == 0 {
            return Err(Error::Config(
                "rate limit: requests must be at least 1, got 0".into(),
            ));
        }
        if period.is_zero() {
            return Err(Error::Config(
                "rate limit: period must be longer than 0, got 0 s".into(),
            ));
        }
        Ok(Self {
            requests,
            period,
            safety_margin: Self::DEFAULT_SAFETY_MARGIN,
        })
    }

    /// `requests` starts per second (plus the default safety margin). Fails when `requests`
    /// is zero.
    pub fn per_second(requests: u32) -> Result<Self, Error> {
        Self::new(requests, Duration::from_secs(1))
    }

    /// The same limit with another safety margin (zero keeps the period exactly).
    #[must_use]
    pub fn with_safety_margin(self, margin: Duration) -> Self {
        Self {
            safety_margin: margin,
            ..self
        }
    }

    /// Request starts allowed in any window of the period.
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The period the limit is stated in, without the margin.
    pub fn period(&self) -> Duration {
        self.period
    }

    /// What is added to the period to absorb the variation between starts and arrivals.
    pub fn safety_margin(&self) -> Duration {
        self.safety_margin
    }

    /// The window the limiter keeps: the period plus the margin.
    pub fn window(&self) -> Duration {
        self.period.saturating_add(self.safety_margin)
    }
}

impl Default for RateLimit {
    fn default() -> Self {
        Self::JELOU
    }
}

/// A rate limiter shared by every request of a client.
///
/// Implementations must keep "at most N starts in any sliding window of the period" across
/// everything that shares them, serve waiters first come first served, and fail at once,
/// without taking a slot, when a caller's wait would exceed its budget.
pub trait RateLimiter: Send + Sync + 'static {
    /// Waits for the right to start one request and returns how long it waited.
    ///
    /// `budget` is the caller's remaining time; `None` means no limit. When the wait would be
    /// longer, fails at once with [`Error::RateLimited`], which holds the wait it would have
    /// needed. A limiter whose backend cannot be reached fails with
    /// [`Error::LimiterUnavailable`]. Either way the caller sends nothing.
    fn acquire(&self, budget: Option<Duration>) -> BoxFuture<'_, Result<Duration, Error>>;

    /// The server answered 429: no request of anyone sharing this limiter may start before
    /// `pause` has passed, including those already waiting.
    fn pause_for(&self, pause: Duration) -> BoxFuture<'_, ()>;
}

/// No limit at all: every acquire succeeds at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

impl RateLimiter for Unlimited {
    fn acquire(&self, _budget: Option<Duration>) -> BoxFuture<'_, Result<Duration, Error>> {
        Box::pin(async { Ok(Duration::ZERO) })
    }

    fn pause_for(&self, _pause: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// The in-process limiter: a sliding window over reserved start times.
///
/// Each acquire reserves the earliest start that keeps every window within the limit and then
/// sleeps until it. Reservations are handed out under one lock in arrival order, so waiters are
/// served first come first served, and a caller knows its exact wait before it commits to it.
/// A 429 pause moves every reservation not yet reached to after the pause.
///
/// A caller that gives up while waiting leaves its slot unused, which can only make the limiter
/// stricter, never looser.
#[derive(Clone)]
pub struct SlidingWindowLimiter {
    limit: RateLimit,
    clock: Arc<dyn Clock>,
    state: Arc<Mutex<Window>>,
}

struct Window {
    /// Start times, past and reserved, never decreasing. Index `i` holds ticket `first + i`.
    starts: VecDeque<Instant>,
    first: u64,
    paused_until: Option<Instant>,
}

impl SlidingWindowLimiter {
    /// A limiter for `limit` on tokio's clock.
    pub fn new(limit: RateLimit) -> Self {
        Self::with_clock(limit, Arc::new(TokioClock))
    }

    /// A limiter for `limit` on the given clock.
    pub fn with_clock(limit: RateLimit, clock: Arc<dyn Clock>) -> Self {
        Self {
            limit,
            clock,
            state: Arc::new(Mutex::new(Window {
                starts: VecDeque::new(),
                first: 0,
                paused_until: None,
            })),
        }
    }

    /// The limit this limiter keeps.
    pub fn limit(&self) -> RateLimit {
        self.limit
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Window> {
        // A panic elsewhere while holding the lock cannot leave the window inconsistent
        // (every update is a single push or a loop of assignments), so keep going.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Reserves a start, or says how long the wait would be.
    fn reserve(&self, budget: Option<Duration>) -> Result<(u64, Instant, Instant), Error> {
        let now = self.clock.now();
        let mut window = self.lock();
        window.forget_before(now, self.limit);
        let slot = window.earliest_start(now, self.limit);
        let wait = slot.saturating_duration_since(now);
        if let Some(budget) = budget
            && wait > budget
        {
            return Err(Error::RateLimited {
                would_wait: wait,
                budget,
            });
        }
        let ticket = window.first + window.starts.len() as u64;
        window.starts.push_back(slot);
        Ok((ticket, slot, now))
    }

    fn slot_of(&self, ticket: u64) -> Option<Instant> {
        let window = self.lock();
        window.index_of(ticket).map(|index| window.starts[index])
    }
}

impl Window {
    /// Drops start times that can no longer affect a future start.
    fn forget_before(&mut self, now: Instant, limit: RateLimit) {
        let keep = limit.requests as usize;
        while self.starts.len() > keep
            && self
                .starts
                .front()
                .is_some_and(|&start| later(start, limit.window()) <= now)
        {
            self.starts.pop_front();
            self.first += 1;
        }
    }

    /// The earliest instant a new start may take.
    fn earliest_start(&self, now: Instant, limit: RateLimit) -> Instant {
        let mut slot = now;
        if let Some(paused_until) = self.paused_until {
            slot = slot.max(paused_until);
        }
        let n = limit.requests as usize;
        if self.starts.len() >= n {
            // The N-th newest start must leave the window before a new one enters it.
            slot = slot.max(later(self.starts[self.starts.len() - n], limit.window()));
        }
        if let Some(&newest) = self.starts.back() {
            slot = slot.max(newest);
        }
        slot
    }

    /// Records that `ticket` started at `now` (at or after its slot), moving the reservations
    /// after it as far as the window rule then requires.
    fn started_at(&mut self, ticket: u64, now: Instant, limit: RateLimit) {
        let Some(index) = self.index_of(ticket) else {
            return;
        };
        if self.starts[index] >= now {
            return;
        }
        self.starts[index] = now;
        self.keep_window_from(index + 1, now, limit);
    }

    /// Moves every reservation still in the future to after `until`, keeping the window rule.
    fn pause_until(&mut self, now: Instant, until: Instant, limit: RateLimit) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        // Start times never decrease, so the future ones follow the past ones.
        let first_future = self.starts.partition_point(|&start| start <= now);
        self.keep_window_from(first_future, until, limit);
    }

    /// Where `ticket` is in `starts`, while it is still remembered.
    fn index_of(&self, ticket: u64) -> Option<usize> {
        let index = usize::try_from(ticket.checked_sub(self.first)?).ok()?;
        (index < self.starts.len()).then_some(index)
    }

    /// Moves the reservations from index `from` on to no earlier than `not_before`, and as far
    /// as the window rule requires.
    ///
    /// Their order needs no rule of its own: the starts were in order, each is moved to the
    /// latest of itself, `not_before` and the N-th before it plus the window, and each of
    /// those is in order too.
    fn keep_window_from(&mut self, from: usize, not_before: Instant, limit: RateLimit) {
        let n = limit.requests as usize;
        for i in from..self.starts.len() {
            let mut slot = self.starts[i].max(not_before);
            if i >= n {
                slot = slot.max(later(self.starts[i - n], limit.window()));
            }
            self.starts[i] = slot;
        }
    }
}

impl RateLimiter for SlidingWindowLimiter {
    fn acquire(&self, budget: Option<Duration>) -> BoxFuture<'_, Result<Duration, Error>> {
        Box::pin(async move {
            let (ticket, mut slot, asked_at) = self.reserve(budget)?;
            loop {
                let now = self.clock.now();
                if slot <= now {
                    // A sleeper wakes a little after its slot (timer granularity, a busy
                    // thread): the window counts the actual start, so that the late start
                    // cannot squeeze the next ones closer together.
                    self.lock().started_at(ticket, now, self.limit);
                    return Ok(now.saturating_duration_since(asked_at));
                }
                self.clock.sleep_until(slot).await;
                // A pause may have moved this reservation while we slept; a forgotten ticket
                // was in the past, so it has started.
                match self.slot_of(ticket) {
                    Some(moved) => slot = moved,
                    None => return Ok(self.clock.now().saturating_duration_since(asked_at)),
                }
            }
        })
    }

    fn pause_for(&self, pause: Duration) -> BoxFuture<'_, ()> {
        let now = self.clock.now();
        self.lock().pause_until(now, later(now, pause), self.limit);
        Box::pin(async {})
    }
}

impl fmt::Debug for SlidingWindowLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SlidingWindowLimiter")
            .field("limit", &self.limit)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` per second exactly, without a safety margin, for exact schedules.
    fn limiter(n: u32) -> SlidingWindowLimiter {
        SlidingWindowLimiter::new(
            RateLimit::per_second(n)
                .expect("positive")
                .with_safety_margin(Duration::ZERO),
        )
    }

    /// At most `n` of `starts` in any window `[t, t + period)`.
    fn max_in_window(starts: &[Instant], period: Duration) -> usize {
        starts
            .iter()
            .map(|&t| starts.iter().filter(|&&s| s >= t && s < t + period).count())
            .max()
            .unwrap_or(0)
    }

    #[tokio::test(start_paused = true)]
    async fn the_first_n_start_at_once_and_the_next_one_period_later() {
        let limiter = limiter(5);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..11 {
            limiter.acquire(None).await.expect("no budget");
            starts.push(Instant::now() - t0);
        }
        let ms: Vec<u128> = starts.iter().map(Duration::as_millis).collect();
        assert_eq!(ms, [0, 0, 0, 0, 0, 1000, 1000, 1000, 1000, 1000, 2000]);
    }

    #[tokio::test(start_paused = true)]
    async fn a_waiter_that_wakes_late_pushes_the_next_reservations_back() {
        use std::future::{Future, poll_fn};
        use std::task::Poll;

        let limiter = limiter(1);
        let t0 = Instant::now();
        limiter
            .acquire(None)
            .await
            .expect("the first starts at once");
        let mut second = Box::pin(limiter.acquire(None));
        let mut third = Box::pin(limiter.acquire(None));
        // Both reserve (at 1 s and 2 s) and sleep.
        for waiter in [&mut second, &mut third] {
            let polled = poll_fn(|cx| Poll::Ready(waiter.as_mut().poll(cx).is_pending())).await;
            assert!(polled, "waiting for its slot");
        }
        // The second is only polled again at 1.5 s: it starts late, and the window counts
        // its actual start.
        tokio::time::advance(Duration::from_millis(1500)).await;
        second.await.expect("no budget");
        third.await.expect("no budget");
        assert_eq!(Instant::now() - t0, Duration::from_millis(2500));
    }

    #[tokio::test(start_paused = true)]
    async fn concurrent_waiters_are_served_in_arrival_order_within_the_limit() {
        let limiter = limiter(5);
        let order = Arc::new(Mutex::new(Vec::new()));
        let mut tasks = Vec::new();
        for i in 0..23 {
            let limiter = limiter.clone();
            let order = Arc::clone(&order);
            tasks.push(tokio::spawn(async move {
                limiter.acquire(None).await.expect("no budget");
                order.lock().expect("lock").push((i, Instant::now()));
            }));
            // Arrival order is spawn order.
            tokio::task::yield_now().await;
        }
        for task in tasks {
            task.await.expect("task");
        }
        let order = order.lock().expect("lock").clone();
        let ids: Vec<i32> = order.iter().map(|(i, _)| *i).collect();
        assert_eq!(ids, (0..23).collect::<Vec<_>>());
        let starts: Vec<Instant> = order.iter().map(|(_, t)| *t).collect();
        assert_eq!(max_in_window(&starts, Duration::from_secs(1)), 5);
        assert_eq!(starts[22] - starts[0], Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_beyond_the_budget_fails_at_once_without_taking_a_slot() {
        let limiter = limiter(2);
        limiter.acquire(None).await.expect("free");
        limiter.acquire(None).await.expect("free");
        let before = Instant::now();
        let refused = limiter.acquire(Some(Duration::from_millis(999))).await;
        assert!(
            matches!(
                refused,
                Err(Error::RateLimited { would_wait, budget })
                    if would_wait == Duration::from_secs(1) && budget == Duration::from_millis(999)
            ),
            "{refused:?}"
        );
        assert_eq!(Instant::now(), before, "a refusal does not wait");
        // The refused caller took no slot: the next one still starts at 1 s.
        assert_eq!(
            limiter
                .acquire(Some(Duration::from_secs(1)))
                .await
                .expect("within the budget"),
            Duration::from_secs(1)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_holds_back_new_and_already_waiting_callers() {
        let limiter = limiter(5);
        let t0 = Instant::now();
        for _ in 0..5 {
            limiter.acquire(None).await.expect("free");
        }
        // Five more are waiting for the 1 s mark when a 429 asks for 3 s.
        let waiting: Vec<_> = (0..5)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire(None).await.expect("no budget");
                    Instant::now()
                })
            })
            .collect();
        tokio::task::yield_now().await;
        limiter.pause_for(Duration::from_secs(3)).await;
        let late = limiter
            .acquire(None)
            .await
            .map(|_| Instant::now() - t0)
            .expect("no budget");
        for task in waiting {
            assert_eq!(task.await.expect("task") - t0, Duration::from_secs(3));
        }
        // The sixth caller after the pause gets the next window.
        assert_eq!(late, Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_steady_stream_never_exceeds_the_limit_in_any_window() {
        let limiter = limiter(5);
        let mut starts = Vec::new();
        for i in 0..200u64 {
            limiter.acquire(None).await.expect("no budget");
            starts.push(Instant::now());
            // Irregular gaps between requests.
            tokio::time::sleep(Duration::from_millis((i * 37) % 290)).await;
        }
        assert!(max_in_window(&starts, Duration::from_secs(1)) <= 5);
    }

    #[test]
    fn zero_limits_are_refused_with_the_field_and_the_value() {
        let no_requests = RateLimit::new(0, Duration::from_secs(1)).expect_err("zero requests");
        assert_eq!(
            no_requests.to_string(),
            "invalid client configuration: rate limit: requests must be at least 1, got 0"
        );
        let no_period = RateLimit::new(5, Duration::ZERO).expect_err("zero period");
        assert_eq!(
            no_period.to_string(),
            "invalid client configuration: rate limit: period must be longer than 0, got 0 s"
        );
        assert_eq!(RateLimit::default(), RateLimit::JELOU);
        assert_eq!(
            RateLimit::per_second(5).expect("positive"),
            RateLimit::JELOU,
            "the API's limit carries the default margin"
        );
    }

    #[test]
    fn a_limit_tells_what_it_holds() {
        let limit = RateLimit::new(3, Duration::from_millis(700))
            .expect("positive")
            .with_safety_margin(Duration::from_millis(40));
        assert_eq!(limit.requests(), 3);
        assert_eq!(limit.period(), Duration::from_millis(700));
        assert_eq!(limit.safety_margin(), Duration::from_millis(40));
        assert_eq!(limit.window(), Duration::from_millis(740));
        assert_eq!(SlidingWindowLimiter::new(limit).limit(), limit);
        assert_eq!(
            RateLimit::JELOU.safety_margin(),
            RateLimit::DEFAULT_SAFETY_MARGIN
        );
        assert_eq!(
            format!("{:?}", SlidingWindowLimiter::new(limit)),
            "SlidingWindowLimiter { limit: RateLimit { requests: 3, period: 700ms, safety_margin: 40ms }, .. }"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_pause_with_every_reservation_still_ahead_keeps_them_in_order_after_it() {
        let limiter = limiter(2);
        let t0 = Instant::now();
        limiter.acquire(None).await.expect("free");
        limiter.acquire(None).await.expect("free");
        tokio::time::advance(Duration::from_millis(1)).await;
        // Four waiters reserve 1 s and 2 s; none has started when a 429 asks for 5 s.
        let waiting: Vec<_> = (0..4)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move {
                    limiter.acquire(None).await.expect("no budget");
                    Instant::now() - t0
                })
            })
            .collect();
        tokio::task::yield_now().await;
        limiter.pause_for(Duration::from_secs(5)).await;
        let mut starts = Vec::new();
        for task in waiting {
            starts.push(task.await.expect("task").as_millis());
        }
        assert_eq!(starts, [5001, 5001, 6001, 6001]);
    }

    #[tokio::test(start_paused = true)]
    async fn the_default_margin_keeps_each_start_a_period_and_15_ms_after_the_nth_before_it() {
        let limiter = SlidingWindowLimiter::new(RateLimit::JELOU);
        let t0 = Instant::now();
        let mut starts = Vec::new();
        for _ in 0..11 {
            limiter.acquire(None).await.expect("no budget");
            starts.push((Instant::now() - t0).as_millis());
        }
        assert_eq!(starts, [0, 0, 0, 0, 0, 1015, 1015, 1015, 1015, 1015, 2030]);
    }

    #[tokio::test(start_paused = true)]
    async fn limits_and_pauses_too_long_to_represent_wait_forever_without_panicking() {
        let limiter =
            SlidingWindowLimiter::new(RateLimit::new(1, Duration::MAX).expect("positive"));
        limiter.acquire(None).await.expect("the first is free");
        let refused = limiter.acquire(Some(Duration::from_secs(3600))).await;
        assert!(
            matches!(refused, Err(Error::RateLimited { .. })),
            "{refused:?}"
        );
        limiter.pause_for(Duration::MAX).await;
        let unlimited = limiter.acquire(Some(Duration::from_secs(1))).await;
        assert!(
            matches!(unlimited, Err(Error::RateLimited { .. })),
            "{unlimited:?}"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_long_run_keeps_the_window_bounded() {
        let limiter = limiter(5);
        for _ in 0..1000 {
            limiter.acquire(None).await.expect("no budget");
            let remembered = limiter.lock().starts.len();
            assert!(remembered <= 6, "{remembered} starts remembered");
        }
        // After a quiet period, only the last N starts are kept.
        tokio::time::advance(Duration::from_secs(5)).await;
        limiter.acquire(None).await.expect("no budget");
        assert_eq!(limiter.lock().starts.len(), 6);
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        /// Runs `arrivals` (gaps in ms before each caller asks) through a limiter of `n` per
        /// `period_ms` with `margin_ms`, on a paused clock. Returns each caller's grant time
        /// in grant order, the window kept, and how many starts the limiter still remembers
        /// once a window has passed quietly and one more caller has started.
        fn run(
            n: u32,
            period_ms: u64,
            margin_ms: u64,
            gaps: &[u64],
        ) -> (Vec<(usize, Instant)>, Duration, usize) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let limit = RateLimit::new(n, Duration::from_millis(period_ms))
                    .expect("positive")
                    .with_safety_margin(Duration::from_millis(margin_ms));
                let limiter = SlidingWindowLimiter::new(limit);
                let granted = Arc::new(Mutex::new(Vec::new()));
                let mut tasks = Vec::new();
                for (i, &gap) in gaps.iter().enumerate() {
                    tokio::time::sleep(Duration::from_millis(gap)).await;
                    let (limiter, granted) = (limiter.clone(), Arc::clone(&granted));
                    tasks.push(tokio::spawn(async move {
                        limiter.acquire(None).await.expect("no budget");
                        granted.lock().expect("lock").push((i, Instant::now()));
                    }));
                    // Arrival order is spawn order.
                    tokio::task::yield_now().await;
                }
                for task in tasks {
                    task.await.expect("task");
                }
                tokio::time::sleep(limit.window()).await;
                limiter.acquire(None).await.expect("no budget");
                let remembered = limiter.lock().starts.len();
                let granted = granted.lock().expect("lock").clone();
                (granted, limit.window(), remembered)
            })
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(128))]
            #[test]
            fn any_arrival_pattern_keeps_the_window_the_order_and_bounded_memory(
                n in 1u32..7,
                period_ms in 1u64..2000,
                margin_ms in 0u64..30,
                gaps in proptest::collection::vec(
                    prop_oneof![Just(0u64), 0u64..50, 0u64..3000],
                    1..60,
                ),
            ) {
                let (granted, window, remembered) = run(n, period_ms, margin_ms, &gaps);
                prop_assert_eq!(granted.len(), gaps.len());
                let order: Vec<usize> = granted.iter().map(|&(i, _)| i).collect();
                prop_assert_eq!(order, (0..gaps.len()).collect::<Vec<_>>(), "first come, first served");
                let starts: Vec<Instant> = granted.iter().map(|&(_, at)| at).collect();
                prop_assert!(max_in_window(&starts, window) <= n as usize);
                // However many callers came, a quiet window leaves only what can still
                // matter: the last N starts and the newest one.
                prop_assert!(remembered <= n as usize + 1, "{} remembered", remembered);
            }
        }
    }
}
