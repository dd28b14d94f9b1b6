//! Rate-limit precision on tokio's paused clock: 1,000 tasks make 10,000 requests through one
//! client against an in-memory transport. Prints the largest count in any sliding 1-second
//! window, the achieved rate, and whether first come first served held; exits non-zero if a
//! target is missed.
//!
//! `cargo bench -p jelou-ext --bench precision`

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jelou_ext::transport::Transport;
use jelou_ext::{BoxFuture, HistoryQuery, Jelou, RateLimit, RateLimiter, SlidingWindowLimiter};
use tokio::time::Instant;

const TASKS: usize = 1_000;
const PER_TASK: usize = 10;
const PAGE: &str = r#"{"pagination":{"limit":10,"page":1,"total":0,"totalPages":1},"results":[]}"#;

struct Recording(Mutex<Vec<Instant>>);

impl Transport for Recording {
    fn execute<'a>(
        &'a self,
        _: &'a reqwest::Client,
        _: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.0.lock().expect("lock").push(Instant::now());
        Box::pin(async { Ok(reqwest::Response::from(http::Response::new(PAGE))) })
    }
}

fn max_in_any_window(sorted: &[Instant], window: Duration) -> usize {
    let mut best = 0;
    let mut start = 0;
    for end in 0..sorted.len() {
        while sorted[end] - sorted[start] >= window {
            start += 1;
        }
        best = best.max(end - start + 1);
    }
    best
}

async fn through_the_client() -> (usize, f64) {
    let recording = Arc::new(Recording(Mutex::new(Vec::new())));
    let jelou = Jelou::builder()
        .credentials("id", "secret")
        .transport(recording.clone())
        .call_timeout(None)
        .build()
        .expect("builds");
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let jelou = jelou.clone();
            tokio::spawn(async move {
                for _ in 0..PER_TASK {
                    jelou
                        .history_page("BOT_ID", &HistoryQuery::default())
                        .await
                        .expect("ok");
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let mut starts = recording.0.lock().expect("lock").clone();
    starts.sort();
    assert_eq!(starts.len(), TASKS * PER_TASK);
    let span = (*starts.last().expect("some") - starts[0]).as_secs_f64();
    // N requests spread over `span` seconds: the rate counts the last window as a full period.
    let rate = starts.len() as f64 / (span + 1.0);
    (max_in_any_window(&starts, Duration::from_secs(1)), rate)
}

async fn first_come_first_served() -> bool {
    let limiter = SlidingWindowLimiter::new(RateLimit::JELOU);
    let arrivals = Arc::new(AtomicU64::new(0));
    let grants = Arc::new(Mutex::new(Vec::new()));
    let tasks: Vec<_> = (0..TASKS)
        .map(|_| {
            let (limiter, arrivals, grants) = (limiter.clone(), arrivals.clone(), grants.clone());
            tokio::spawn(async move {
                for _ in 0..PER_TASK {
                    // The reservation is taken in the same poll as this count: arrival order.
                    let ticket = arrivals.fetch_add(1, Ordering::SeqCst);
                    limiter.acquire(None).await.expect("no budget");
                    grants.lock().expect("lock").push((Instant::now(), ticket));
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("task");
    }
    let mut grants = grants.lock().expect("lock").clone();
    grants.sort_by_key(|(_, ticket)| *ticket);
    grants.windows(2).all(|pair| pair[0].0 <= pair[1].0)
}

fn main() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    let (max_window, rate) = runtime.block_on(through_the_client());
    let fifo = runtime.block_on(first_come_first_served());
    println!(
        "precision: {} tasks, {} requests through one client (paused clock)",
        TASKS,
        TASKS * PER_TASK
    );
    println!("  most requests in any sliding 1 s window: {max_window} (target: at most 5)");
    println!(
        "  achieved rate: {rate:.4} requests/s (target: at least 4.9; the 15 ms safety margin allows 4.926)"
    );
    println!(
        "  first come, first served: {}",
        if fifo { "kept" } else { "BROKEN" }
    );
    if max_window > 5 || rate < 4.9 || !fifo {
        eprintln!("precision targets missed");
        std::process::exit(1);
    }
}
