//! Client-side rate limiting: at most N request starts in any sliding window of one period.
//!
//! The API allows five requests per second per account. [`SlidingWindowLimiter`] keeps that
//! promise for every clone and task of one client; [`RateLimiter`] is the small trait another
//! backend implements to replace it (with the `redis` feature, `RedisLimiter` shares one
//! window among every process of an account).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
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

/// The right to start one request, granted by [`RateLimiter::acquire`].
///
/// Hand it back to [`RateLimiter::answered`] when the request's answer arrives: the limiter
/// then counts the request at that moment rather than at its start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permit {
    waited: Duration,
    ticket: u64,
}

impl Permit {
    /// A permit for the start the limiter knows as `ticket`, granted after `waited`.
    pub fn new(waited: Duration, ticket: u64) -> Self {
        Self { waited, ticket }
    }

    /// How long the caller waited for it.
    pub fn waited(&self) -> Duration {
        self.waited
    }

    /// Which start it is, for the limiter that granted it.
    pub fn ticket(&self) -> u64 {
        self.ticket
    }
}

/// A rate limiter shared by every request of a client.
///
/// Implementations must keep "at most N starts in any sliding window of the period" across
/// everything that shares them, serve waiters first come first served, and fail at once,
/// without taking a slot, when a caller's wait would exceed its budget.
pub trait RateLimiter: Send + Sync + 'static {
    /// Waits for the right to start one request and returns it, with how long it waited.
    ///
    /// `budget` is the caller's remaining time; `None` means no limit. When the wait would be
    /// longer, fails at once with [`Error::RateLimited`], which holds the wait it would have
    /// needed. A limiter whose backend cannot be reached fails with
    /// [`Error::LimiterUnavailable`]. Either way the caller sends nothing.
    fn acquire(&self, budget: Option<Duration>) -> BoxFuture<'_, Result<Permit, Error>>;

    /// The server answered 429: no request of anyone sharing this limiter may start before
    /// `pause` has passed, including those already waiting.
    fn pause_for(&self, pause: Duration) -> BoxFuture<'_, ()>;

    /// The request started with `permit` got its answer, or failed: from now on the window
    /// counts it at this moment instead of at its start.
    ///
    /// The server counts a request when it arrives, which is somewhere between its start and
    /// its answer; a request slow to leave (a new connection on a busy machine) can arrive
    /// well after its start. Counting it at its answer keeps the next starts a whole window
    /// after its arrival, however late that was. A request still waiting for its answer
    /// counts at its start, and an answer that comes more than a window after its start may
    /// find the request already forgotten. Must return at once; the default does nothing.
    fn answered(&self, permit: Permit) {
        let _ = permit;
    }
}

/// No limit at all: every acquire succeeds at once.
#[derive(Clone, Copy, Debug, Default)]
pub struct Unlimited;

impl RateLimiter for Unlimited {
    fn acquire(&self, _budget: Option<Duration>) -> BoxFuture<'_, Result<Permit, Error>> {
        Box::pin(async { Ok(Permit::new(Duration::ZERO, 0)) })
    }

    fn pause_for(&self, _pause: Duration) -> BoxFuture<'_, ()> {
        Box::pin(async {})
    }
}

/// The in-process limiter: a sliding window over request times, past and reserved.
///
/// Each acquire reserves the earliest start that keeps every window within the limit and then
/// sleeps until it. Reservations are handed out under one lock in arrival order, so waiters are
/// served first come first served, and a caller knows its exact wait before it commits to it.
/// A request is counted at its start, and at its answer once [`RateLimiter::answered`] says it
/// came; a 429 pause moves every reservation not yet reached to after the pause. Whatever
/// moves a request later moves the reservations after it as far as the window then requires.
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
    /// Requests in ticket order: index `i` holds ticket `first + i`. Reserved ones are in
    /// time order; a started one may be counted later than those after it (its answer came
    /// after theirs started).
    entries: VecDeque<Entry>,
    first: u64,
    paused_until: Option<Instant>,
    /// The N latest times of `entries`, kept as reservations are added and counted again when
    /// one moves, so that a new caller's slot takes constant time however many wait. It may
    /// still hold a forgotten request: only one whose window has passed is forgotten, and
    /// such a time among the N latest leaves no rule binding after `now` (see `forget_before`).
    latest: Latest,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    /// When the window counts it: its reserved start, its actual start, then its answer.
    at: Instant,
    started: bool,
}

/// The N latest times seen so far, to find the N-th latest.
struct Latest {
    n: usize,
    times: BinaryHeap<Reverse<Instant>>,
}

impl Latest {
    fn new(n: usize) -> Self {
        Self {
            n,
            times: BinaryHeap::with_capacity(n + 1),
        }
    }

    fn push(&mut self, at: Instant) {
        self.times.push(Reverse(at));
        if self.times.len() > self.n {
            self.times.pop();
        }
    }

    /// Records that one of the times seen, `old`, became `new` (later).
    fn moved(&mut self, old: Instant, new: Instant) {
        let held = self.nth().is_none_or(|nth| old >= nth);
        if held {
            // Equal times are interchangeable: replacing any one of them is replacing `old`.
            let mut times = std::mem::take(&mut self.times).into_vec();
            if let Some(at) = times.iter().position(|Reverse(at)| *at == old) {
                times[at] = Reverse(new);
            }
            self.times = BinaryHeap::from(times);
        } else {
            self.push(new);
        }
    }

    fn clear(&mut self) {
        self.times.clear();
    }

    /// The N-th latest time, once N have been seen.
    fn nth(&self) -> Option<Instant> {
        (self.times.len() == self.n)
            .then(|| self.times.peek().map(|Reverse(at)| *at))
            .flatten()
    }
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
                entries: VecDeque::new(),
                first: 0,
                paused_until: None,
                latest: Latest::new(limit.requests as usize),
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
        let ticket = window.first + window.entries.len() as u64;
        window.entries.push_back(Entry {
            at: slot,
            // A free slot is taken now: the caller starts without waiting or locking again.
            started: slot <= now,
        });
        window.latest.push(slot);
        Ok((ticket, slot, now))
    }

    fn slot_of(&self, ticket: u64) -> Option<Instant> {
        let window = self.lock();
        window
            .index_of(ticket)
            .map(|index| window.entries[index].at)
    }
}

impl Window {
    /// Drops requests that can no longer affect a future start.
    fn forget_before(&mut self, now: Instant, limit: RateLimit) {
        let keep = limit.requests as usize;
        while self.entries.len() > keep
            && self
                .entries
                .front()
                .is_some_and(|entry| later(entry.at, limit.window()) <= now)
        {
            self.entries.pop_front();
            self.first += 1;
        }
    }

    /// The earliest instant a new start may take.
    fn earliest_start(&self, now: Instant, limit: RateLimit) -> Instant {
        let mut slot = now;
        if let Some(paused_until) = self.paused_until {
            slot = slot.max(paused_until);
        }
        if let Some(nth) = self.latest.nth() {
            // The N-th latest request must leave the window before a new one enters it.
            slot = slot.max(later(nth, limit.window()));
        }
        if let Some(newest) = self.entries.back() {
            slot = slot.max(newest.at);
        }
        slot
    }

    /// Records that `ticket` started at `now` (at or after its slot).
    fn started_at(&mut self, ticket: u64, now: Instant, limit: RateLimit) {
        let Some(index) = self.index_of(ticket) else {
            return;
        };
        let entry = &mut self.entries[index];
        entry.started = true;
        if entry.at < now {
            self.move_later(index, now, limit);
        }
    }

    /// Moves the request at `index` to `now`, and those after it as far as the window requires.
    fn move_later(&mut self, index: usize, now: Instant, limit: RateLimit) {
        let old = std::mem::replace(&mut self.entries[index].at, now);
        if index + 1 == self.entries.len() {
            // The newest request (the common case: a caller starting a little after its
            // slot): nothing after it moves, so only its own time changes among the latest.
            self.latest.moved(old, now);
        } else {
            self.keep_window_from(index + 1, None, limit);
            self.count_latest();
        }
    }

    /// Counts the N latest times again, after several requests moved.
    fn count_latest(&mut self) {
        self.latest.clear();
        for entry in &self.entries {
            self.latest.push(entry.at);
        }
    }

    /// Records that the request of `ticket` got its answer at `now`.
    fn answered_at(&mut self, ticket: u64, now: Instant, limit: RateLimit) {
        let Some(index) = self.index_of(ticket) else {
            return;
        };
        let entry = &self.entries[index];
        if entry.started && entry.at < now {
            self.move_later(index, now, limit);
        }
    }

    /// Moves every reservation still in the future to after `until`, keeping the window rule.
    fn pause_until(&mut self, now: Instant, until: Instant, limit: RateLimit) {
        self.paused_until = Some(self.paused_until.map_or(until, |p| p.max(until)));
        // Reservations are in time order and follow every request already past.
        let first_future = self
            .entries
            .iter()
            .position(|entry| !entry.started && entry.at > now)
            .unwrap_or(self.entries.len());
        self.keep_window_from(first_future, Some(until), limit);
        self.count_latest();
    }

    /// Where `ticket` is in `entries`, while it is still remembered.
    fn index_of(&self, ticket: u64) -> Option<usize> {
        let index = usize::try_from(ticket.checked_sub(self.first)?).ok()?;
        (index < self.entries.len()).then_some(index)
    }

    /// Moves the reservations from index `from` on to no earlier than `not_before`, after the
    /// reservation before them, and as far as the window rule requires. Requests already
    /// started stay where they are.
    fn keep_window_from(&mut self, from: usize, not_before: Option<Instant>, limit: RateLimit) {
        let mut latest = Latest::new(limit.requests as usize);
        for entry in self.entries.range(..from) {
            latest.push(entry.at);
        }
        let mut previous = from
            .checked_sub(1)
            .and_then(|i| self.entries.get(i))
            .map(|entry| entry.at);
        for entry in self.entries.range_mut(from..) {
            if !entry.started {
                let mut slot = entry.at;
                if let Some(not_before) = not_before {
                    slot = slot.max(not_before);
                }
                if let Some(previous) = previous {
                    slot = slot.max(previous);
                }
                if let Some(nth) = latest.nth() {
                    slot = slot.max(later(nth, limit.window()));
                }
                entry.at = slot;
            }
            previous = Some(entry.at);
            latest.push(entry.at);
        }
    }
}

impl RateLimiter for SlidingWindowLimiter {
    fn acquire(&self, budget: Option<Duration>) -> BoxFuture<'_, Result<Permit, Error>> {
        Box::pin(async move {
            let (ticket, mut slot, asked_at) = self.reserve(budget)?;
            if slot <= asked_at {
                return Ok(Permit::new(Duration::ZERO, ticket));
            }
            loop {
                let now = self.clock.now();
                if slot <= now {
                    // A sleeper wakes a little after its slot (timer granularity, a busy
                    // thread): the window counts the actual start, so that the late start
                    // cannot squeeze the next ones closer together.
                    self.lock().started_at(ticket, now, self.limit);
                    return Ok(Permit::new(now.saturating_duration_since(asked_at), ticket));
                }
                self.clock.sleep_until(slot).await;
                // A pause or a late answer may have moved this reservation while we slept; a
                // forgotten ticket was in the past, so it has started.
                match self.slot_of(ticket) {
                    Some(moved) => slot = moved,
                    None => {
                        let waited = self.clock.now().saturating_duration_since(asked_at);
                        return Ok(Permit::new(waited, ticket));
                    }
                }
            }
        })
    }

    fn pause_for(&self, pause: Duration) -> BoxFuture<'_, ()> {
        let now = self.clock.now();
        self.lock().pause_until(now, later(now, pause), self.limit);
        Box::pin(async {})
    }

    fn answered(&self, permit: Permit) {
        let now = self.clock.now();
        self.lock().answered_at(permit.ticket, now, self.limit);
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
                .expect("within the budget")
                .waited(),
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
            let remembered = limiter.lock().entries.len();
            assert!(remembered <= 6, "{remembered} starts remembered");
        }
        // After a quiet period, only the last N starts are kept.
        tokio::time::advance(Duration::from_secs(5)).await;
        limiter.acquire(None).await.expect("no budget");
        assert_eq!(limiter.lock().entries.len(), 6);
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_counts_at_its_answer_once_it_has_one() {
        let limiter = limiter(1);
        let t0 = Instant::now();
        let first = limiter.acquire(None).await.expect("free");
        // Slow to leave and slow to answer: the server may have counted it as late as 300 ms.
        tokio::time::advance(Duration::from_millis(300)).await;
        limiter.answered(first);
        limiter.acquire(None).await.expect("no budget");
        assert_eq!(Instant::now() - t0, Duration::from_millis(1300));
    }

    #[tokio::test(start_paused = true)]
    async fn a_late_answer_moves_a_caller_already_waiting() {
        let limiter = limiter(1);
        let t0 = Instant::now();
        let first = limiter.acquire(None).await.expect("free");
        let waiting = tokio::spawn({
            let limiter = limiter.clone();
            async move {
                limiter.acquire(None).await.expect("no budget");
                Instant::now()
            }
        });
        // It reserved 1 s and sleeps.
        tokio::task::yield_now().await;
        tokio::time::advance(Duration::from_millis(200)).await;
        limiter.answered(first);
        assert_eq!(
            waiting.await.expect("task") - t0,
            Duration::from_millis(1200)
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_answer_holds_back_only_what_the_window_rule_requires() {
        let limiter = limiter(2);
        let t0 = Instant::now();
        let slow = limiter.acquire(None).await.expect("free");
        let fast = limiter.acquire(None).await.expect("free");
        tokio::time::advance(Duration::from_millis(10)).await;
        limiter.answered(fast);
        tokio::time::advance(Duration::from_millis(890)).await;
        limiter.answered(slow);
        // Counted at 10 ms and 900 ms: the next starts at 1.01 s, the one after at 1.9 s.
        let mut starts = Vec::new();
        for _ in 0..2 {
            limiter.acquire(None).await.expect("no budget");
            starts.push((Instant::now() - t0).as_millis());
        }
        assert_eq!(starts, [1010, 1900]);
    }

    #[tokio::test(start_paused = true)]
    async fn an_answer_never_moves_a_request_earlier_and_a_forgotten_one_changes_nothing() {
        let limiter = limiter(1);
        let t0 = Instant::now();
        let first = limiter.acquire(None).await.expect("free");
        tokio::time::advance(Duration::from_millis(400)).await;
        limiter.answered(first);
        // Told again with an earlier clock reading it keeps the later count; an unknown
        // ticket is ignored.
        limiter.answered(first);
        limiter.answered(Permit::new(Duration::ZERO, 99));
        limiter.acquire(None).await.expect("no budget");
        assert_eq!(Instant::now() - t0, Duration::from_millis(1400));
        // A permit of a request long forgotten changes nothing either.
        tokio::time::advance(Duration::from_secs(10)).await;
        let start = Instant::now();
        limiter.acquire(None).await.expect("free");
        tokio::time::advance(Duration::from_millis(500)).await;
        limiter.answered(first);
        limiter.acquire(None).await.expect("no budget");
        assert_eq!(Instant::now() - start, Duration::from_secs(1));
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
                let remembered = limiter.lock().entries.len();
                let granted = granted.lock().expect("lock").clone();
                (granted, limit.window(), remembered)
            })
        }

        /// Like [`run`], each caller reporting its answer `latency` ms after its start.
        /// Returns each caller's start and answer in grant order, and the window kept.
        fn run_answered(
            n: u32,
            period_ms: u64,
            callers: &[(u64, u64)],
        ) -> (Vec<(usize, Instant, Instant)>, Duration) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_time()
                .start_paused(true)
                .build()
                .expect("a runtime");
            runtime.block_on(async {
                let limit = RateLimit::new(n, Duration::from_millis(period_ms))
                    .expect("positive")
                    .with_safety_margin(Duration::ZERO);
                let limiter = SlidingWindowLimiter::new(limit);
                let granted = Arc::new(Mutex::new(Vec::new()));
                let mut tasks = Vec::new();
                for (i, &(gap, latency)) in callers.iter().enumerate() {
                    tokio::time::sleep(Duration::from_millis(gap)).await;
                    let (limiter, granted) = (limiter.clone(), Arc::clone(&granted));
                    tasks.push(tokio::spawn(async move {
                        let permit = limiter.acquire(None).await.expect("no budget");
                        let start = Instant::now();
                        let place = {
                            let mut granted = granted.lock().expect("lock");
                            granted.push((i, start, start));
                            granted.len() - 1
                        };
                        tokio::time::sleep(Duration::from_millis(latency)).await;
                        limiter.answered(permit);
                        granted.lock().expect("lock")[place].2 = Instant::now();
                    }));
                    tokio::task::yield_now().await;
                }
                for task in tasks {
                    task.await.expect("task");
                }
                let granted = granted.lock().expect("lock").clone();
                (granted, limit.window())
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

            #[test]
            fn each_start_leaves_fewer_than_n_others_counted_in_the_window_before_it(
                n in 1u32..6,
                period_ms in 1u64..1500,
                callers in proptest::collection::vec(
                    // Answers come within the period: one later than a whole window after its
                    // start may find its request forgotten.
                    (prop_oneof![Just(0u64), 0u64..50, 0u64..2000], prop_oneof![0u64..40, 0u64..1000]),
                    1..50,
                ),
            ) {
                let callers: Vec<(u64, u64)> = callers
                    .iter()
                    .map(|&(gap, permille)| (gap, period_ms * permille.min(999) / 1000))
                    .collect();
                let (granted, window) = run_answered(n, period_ms, &callers);
                prop_assert_eq!(granted.len(), callers.len());
                // First come, first served: no caller starts before one that came earlier
                // (callers due at the same instant may be woken in any order).
                let mut by_arrival = granted.clone();
                by_arrival.sort_by_key(|&(i, _, _)| i);
                for pair in by_arrival.windows(2) {
                    prop_assert!(pair[0].1 <= pair[1].1, "caller {} started before caller {}", pair[1].0, pair[0].0);
                }
                // When `j` started, every other request started before it counted at its
                // answer if that had come, else at its start: fewer than N of them may lie
                // within the window before `j`.
                for (j, &(_, start, _)) in granted.iter().enumerate() {
                    let counted = granted
                        .iter()
                        .enumerate()
                        .filter(|&(k, &(_, other_start, answer))| {
                            let at = if answer < start { answer } else { other_start };
                            k != j && other_start <= start && at + window > start
                        })
                        .count();
                    prop_assert!(counted < n as usize, "start {} has {} others in its window", j, counted);
                }
            }

            #[test]
            fn the_latest_times_follow_pushes_and_moves_like_a_sorted_list_would(
                n in 1usize..6,
                steps in proptest::collection::vec((any::<bool>(), 0u64..20, 0usize..100, 0u64..20), 1..80),
            ) {
                let t0 = Instant::now();
                let mut latest = Latest::new(n);
                // Every time seen, as the model: its N-th latest is what `Latest` must give.
                let mut seen: Vec<Instant> = Vec::new();
                for (push, at, which, by) in steps {
                    if push || seen.is_empty() {
                        let at = t0 + Duration::from_millis(at);
                        latest.push(at);
                        seen.push(at);
                    } else {
                        let which = which % seen.len();
                        let old = seen[which];
                        let new = old + Duration::from_millis(by);
                        latest.moved(old, new);
                        seen[which] = new;
                    }
                    let mut sorted = seen.clone();
                    sorted.sort_unstable_by(|a, b| b.cmp(a));
                    prop_assert_eq!(latest.nth(), sorted.get(n - 1).copied());
                }
            }
        }
    }
}
