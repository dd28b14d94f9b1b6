//! The one source of time for the limiter and the retries.
//!
//! Everything that waits in this crate asks a [`Clock`], so a test can run the whole client on
//! tokio's paused clock (the default [`TokioClock`] follows it) or on a clock of its own, and
//! assert exact schedules.

use std::fmt;
use std::time::Duration;

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
        self.sleep_until(self.now() + duration)
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
