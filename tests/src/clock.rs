//! A clock for `jelou-ext` whose waits end at once: the retries' backoff and `Retry-After`
//! waits cost no wall time against a real mock server, and the test reads back exactly how
//! long the client chose to wait.

use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use jelou_ext::BoxFuture;
use jelou_ext::clock::Clock;
use tokio::time::Instant;

/// Time that jumps forward by each wait instead of passing. Every wait is recorded.
///
/// Its calendar time starts at [`FastForwardClock::wall_start`] and moves with its waits only,
/// so an HTTP date in an answer is read against a time the test knows to the second.
///
/// Pair it with `call_timeout(None)`: a call deadline is a wait too, and would end at once.
#[derive(Debug)]
pub struct FastForwardClock {
    start: Instant,
    state: Mutex<Skipped>,
}

#[derive(Debug, Default)]
struct Skipped {
    elapsed: Duration,
    waits: Vec<Duration>,
}

impl Default for FastForwardClock {
    fn default() -> Self {
        Self {
            start: Instant::now(),
            state: Mutex::new(Skipped::default()),
        }
    }
}

impl FastForwardClock {
    /// The calendar time when the clock starts: 2023-11-14T22:13:20Z, a whole second.
    pub fn wall_start() -> SystemTime {
        UNIX_EPOCH + Duration::from_secs(1_700_000_000)
    }

    /// Every wait asked for so far (zero-length ones included), in order.
    pub fn waits(&self) -> Vec<Duration> {
        self.lock().waits.clone()
    }

    /// The waits longer than zero, in order.
    pub fn real_waits(&self) -> Vec<Duration> {
        self.waits().into_iter().filter(|w| !w.is_zero()).collect()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Skipped> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

impl Clock for FastForwardClock {
    fn now(&self) -> Instant {
        self.start + self.lock().elapsed
    }

    fn wall_now(&self) -> SystemTime {
        Self::wall_start() + self.lock().elapsed
    }

    fn sleep_until(&self, deadline: Instant) -> BoxFuture<'static, ()> {
        let mut state = self.lock();
        let target = deadline.saturating_duration_since(self.start);
        let wait = target.saturating_sub(state.elapsed);
        state.waits.push(wait);
        state.elapsed = state.elapsed.max(target);
        Box::pin(std::future::ready(()))
    }
}
