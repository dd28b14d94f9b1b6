//! Per-call overhead on a loopback server, with the limiter off: raw reqwest, the bare
//! generated client, and `jelou-ext`. Also the cost of the limiter's acquire.
//!
//! `cargo bench -p jelou-ext --bench overhead`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use criterion::{Criterion, criterion_main};
use futures_util::FutureExt;
use jelou_ext::clock::Clock;
use jelou_ext::{BoxFuture, RateLimit, RateLimiter, SlidingWindowLimiter};
use tokio::time::Instant;

mod loopback;
use loopback::{ThreeClients, serve};

fn per_call_overhead(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let base = runtime.block_on(serve());
    let clients = ThreeClients::new(&base);

    let mut group = c.benchmark_group("per_call_history_page");
    group.measurement_time(Duration::from_secs(8));
    group.bench_function("raw_reqwest", |b| {
        b.to_async(&runtime).iter(|| clients.raw());
    });
    group.bench_function("generated_client", |b| {
        b.to_async(&runtime).iter(|| clients.generated());
    });
    group.bench_function("jelou_ext", |b| {
        b.to_async(&runtime).iter(|| clients.jelou_ext());
    });
    group.finish();
}

/// A clock that jumps one second per reading, so the limiter never has to wait.
struct Leaping {
    origin: Instant,
    seconds: AtomicU64,
}

impl Clock for Leaping {
    fn now(&self) -> Instant {
        self.origin + Duration::from_secs(self.seconds.fetch_add(1, Ordering::Relaxed))
    }

    fn sleep_until(&self, _deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(async {})
    }
}

/// A clock that never moves, so reservations pile up.
struct Frozen(Instant);

impl Clock for Frozen {
    fn now(&self) -> Instant {
        self.0
    }

    fn sleep_until(&self, _deadline: Instant) -> BoxFuture<'static, ()> {
        Box::pin(std::future::pending())
    }
}

fn limiter_acquire(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let mut group = c.benchmark_group("limiter");

    let clock = Arc::new(Leaping {
        origin: Instant::now(),
        seconds: AtomicU64::new(0),
    });
    let free = SlidingWindowLimiter::with_clock(RateLimit::JELOU, clock);
    group.bench_function("uncontended_acquire", |b| {
        b.iter(|| runtime.block_on(free.acquire(None)).expect("free"));
    });
    // The same acquire as a task already running awaits it: its future is ready at its first
    // poll, so this leaves out what `block_on` costs to enter the runtime.
    group.bench_function("uncontended_acquire_polled_once", |b| {
        b.iter(|| {
            free.acquire(None)
                .now_or_never()
                .expect("ready at once")
                .expect("free")
        });
    });

    // 1,000 callers already waiting: a new caller with no time to spare learns its wait at once.
    let frozen =
        SlidingWindowLimiter::with_clock(RateLimit::JELOU, Arc::new(Frozen(Instant::now())));
    let queued: Vec<_> = (0..1000)
        .map(|_| {
            let limiter = frozen.clone();
            runtime.spawn(async move { limiter.acquire(None).await })
        })
        .collect();
    runtime.block_on(async {
        for _ in 0..10 {
            tokio::task::yield_now().await;
        }
    });
    group.bench_function("acquire_refused_with_1000_queued", |b| {
        b.iter(|| {
            runtime
                .block_on(frozen.acquire(Some(Duration::ZERO)))
                .expect_err("queued")
        });
    });
    group.bench_function("pause_with_1000_queued", |b| {
        b.iter(|| runtime.block_on(frozen.pause_for(Duration::from_secs(1))));
    });
    group.finish();
    for task in queued {
        task.abort();
    }
}

// criterion's macro writes an undocumented function.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::per_call_overhead, super::limiter_acquire);
}
use group::benches;
criterion_main!(benches);
