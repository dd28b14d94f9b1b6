//! A fleet of `jelou` processes sharing one rate limit through Redis, sending to one sandbox
//! that records when each request arrives. Used by the `shared_limit` test and the
//! `shared_limit` benchmark, which include `seeds.rs` beside it.

use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use jelou_sandbox::{DEMO_BOT, Sandbox, Seed};

use super::seeds::many_messages;

/// Each request the sandbox received: when it arrived and the status it got.
pub(crate) type Arrivals = Arc<Mutex<Vec<(Instant, u16)>>>;

/// The Redis server of the tests, from `REDIS_URL`. Without it the test says that it was
/// skipped and passes, unless `JELOU_REQUIRE_REDIS` is set (`.ci/run` sets both), in which
/// case a missing Redis fails the test.
pub(crate) fn redis_url(test: &str) -> Option<String> {
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var_os("JELOU_REQUIRE_REDIS").is_some() => {
            panic!("{test}: REDIS_URL is not set but JELOU_REQUIRE_REDIS is")
        }
        _ => {
            // Straight to the standard error, past the test harness's capture of `eprintln!`,
            // so that `cargo test` shows it.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED {test}: set REDIS_URL (redis://127.0.0.1:6379) to run it"
            );
            None
        }
    }
}

/// An account of its own (so that no other run shares its window), with `messages` messages
/// in the demo bot's history.
pub(crate) fn seed_with_history(messages: usize) -> Seed {
    let mut seed = many_messages(messages);
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    seed.credentials.client_id = format!("fleet-{nanos}-{}", std::process::id());
    seed
}

/// Serves `seed` from a thread of its own, recording every arrival before the sandbox (and its
/// own five-per-second check) sees the request. Returns the base URL and the record.
pub(crate) fn serve_recording(seed: Seed) -> (String, Arrivals) {
    let arrivals: Arrivals = Arc::default();
    let record = Arc::clone(&arrivals);
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let router = Sandbox::new(seed).router().layer(axum::middleware::from_fn(
                move |request: axum::extract::Request, next: axum::middleware::Next| {
                    let record = Arc::clone(&record);
                    async move {
                        let arrived = Instant::now();
                        let response = next.run(request).await;
                        record
                            .lock()
                            .expect("lock")
                            .push((arrived, response.status().as_u16()));
                        response
                    }
                },
            ));
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            let addr = listener.local_addr().expect("addr");
            sender
                .send(format!("http://{addr}"))
                .expect("the test waits");
            axum::serve(listener, router).await.expect("serves");
        });
    });
    let base_url = receiver.recv().expect("the sandbox's address");
    (base_url, arrivals)
}

/// Runs `processes` `jelou history --all` exports at once, each through the Redis limiter at
/// `redis_url`, and waits for all of them.
pub(crate) fn run_fleet(
    processes: usize,
    redis_url: &str,
    base_url: &str,
    seed: &Seed,
    page_size: u32,
) -> Vec<Output> {
    let children: Vec<_> = (0..processes)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_jelou"))
                .env("JELOU_REDIS_URL", redis_url)
                .env("JELOU_BASE_URL", base_url)
                .env("JELOU_CLIENT_ID", &seed.credentials.client_id)
                .env("JELOU_CLIENT_SECRET", &seed.credentials.client_secret)
                .args(["--output", "json", "history", "--bot", DEMO_BOT, "--all"])
                .args(["--limit", &page_size.to_string()])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("jelou starts")
        })
        .collect();
    children
        .into_iter()
        .map(|child| child.wait_with_output().expect("jelou ends"))
        .collect()
}

/// The most arrivals in any window `[t, t + window)`.
pub(crate) fn most_in_any_window(arrivals: &[Instant], window: Duration) -> usize {
    arrivals
        .iter()
        .map(|&t| {
            arrivals
                .iter()
                .filter(|&&a| a >= t && a < t + window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

/// The rate the limit sustains, in requests per second: `n` over the mean time between an
/// arrival and the `n`-th after it. With a sliding window of `n` per period, that time is
/// the period (plus whatever the limiter adds), whether or not the last window is full.
pub(crate) fn sustained_rate(arrivals: &[Instant], n: usize) -> f64 {
    let mut sorted = arrivals.to_vec();
    sorted.sort();
    let gaps: Vec<f64> = sorted
        .windows(n + 1)
        .map(|group| group[n].duration_since(group[0]).as_secs_f64())
        .collect();
    if gaps.is_empty() {
        return 0.0;
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    n as f64 / mean
}
