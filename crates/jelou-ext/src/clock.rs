//! The one source of time for the limiter and the retries.
//!
//! Everything that waits in this crate asks a [`Clock`], so a test can run the whole client on
//! tokio's paused clock (the default [`TokioClock`] follows it) or on a clock of its own, and
//! assert exact schedules.

use std::fmt;
use std::time::{Duration, SystemTime};

use tokio::time::Instant;

use crate::BoxFuture;

/// Monotonic time and sleeping.
pub trait Clock: Send + Sync + 'static {
    /// The current instant. Must never go backwards.
    fn now(&self) -> Instant;

    /// Completes at `deadline` (at once if it has passed).
    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()>;

    /// Completes after `duration`.
    fn sleep(&self, duration: Duration) -> BoxFuture<'static, ()> {
        self.sleep_until(later(self.now(), duration))
    }

    /// The calendar time, to read an HTTP date such as `Retry-After: <date>` against.
    /// Default the system's.
    fn wall_now(&self) -> SystemTime {
        SystemTime::now()
    }
}

/// tokio's monotonic clock: real time normally, virtual time under `tokio::time::pause`.
#[derive(Clone, Copy, Default)]
pub struct TokioClock;

impl Clock for TokioClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(tokio::time::sleep_until(deadline))
    }
}

impl fmt::Debug for TokioClock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokioClock")
    }
}

/// `instant + duration`, or the farthest instant the platform can hold when that would
/// overflow: a wait too long to represent is a wait that never ends, never a panic.
pub(crate) fn later(instant: Instant, duration: Duration) -> Instant {
    instant.checked_add(duration).unwrap_or_else(|| {
        // Halve until it fits: far enough to mean "never" for any caller.
        let mut step = duration;
        let mut farthest = instant;
        while !step.is_zero() {
            if let Some(next) = farthest.checked_add(step) {
                farthest = next;
            } else {
                step /= 2;
            }
        }
        farthest
    })
}
