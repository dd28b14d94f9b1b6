//! A fleet of `jelou` processes sharing one rate limit through Redis, sending to one sandbox
//! that records when each request arrives. Used by the `shared_limit` test and the
//! `shared_limit` benchmark, which include `sandbox.rs` beside it; and one process alone, for
//! the `arrivals` and `export_rate` benchmarks.

// Each test and benchmark that includes this file uses part of it.
#![allow(dead_code)]

use std::process::{Command, Output, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use jelou_sandbox::{DEMO_BOT, Sandbox, Seed};

use super::sandbox::{many_messages, serve_router};

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
    (serve_router(router), arrivals)
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

/// Runs one `jelou history --all` export (in pages of `page_size`, or the default) through
/// the in-process limiter, and waits for it.
pub(crate) fn run_export(base_url: &str, seed: &Seed, page_size: Option<u32>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_jelou"));
    command
        .env("JELOU_BASE_URL", base_url)
        .env("JELOU_CLIENT_ID", &seed.credentials.client_id)
        .env("JELOU_CLIENT_SECRET", &seed.credentials.client_secret)
        .env_remove("JELOU_REDIS_URL")
        .args(["--output", "json", "history", "--bot", DEMO_BOT, "--all"]);
    if let Some(page_size) = page_size {
        command.args(["--limit", &page_size.to_string()]);
    }
    command.output().expect("jelou runs")
}

/// Keeps every core busy with a spinning thread each until dropped, as `yes > /dev/null`
/// would: the limiter must keep its promise on a loaded machine.
pub(crate) struct BusyCores {
    stop: Arc<std::sync::atomic::AtomicBool>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl BusyCores {
    pub(crate) fn start() -> Self {
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        let threads = (0..cores)
            .map(|_| {
                let stop = Arc::clone(&stop);
                std::thread::spawn(move || {
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        std::hint::spin_loop();
                    }
                })
            })
            .collect();
        Self { stop, threads }
    }
}

impl Drop for BusyCores {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// What a fleet's arrivals show, computed once for the test and the benchmark.
#[derive(Debug)]
pub(crate) struct Figures {
    /// Requests that arrived.
    pub(crate) requests: usize,
    /// The most arrivals in any sliding window `[t, t + 1 s)`.
    pub(crate) most_in_a_second: usize,
    /// The shortest time from an arrival to the fifth after it (1 s is exactly at the limit).
    pub(crate) shortest_to_fifth: Duration,
    /// The rate the limit sustains, in requests per second: 5 over the mean time from an
    /// arrival to the fifth after it. With a sliding window of 5 per second, that time is the
    /// second (plus whatever the limiter adds), whether or not the last window is full.
    pub(crate) sustained_rate: f64,
    /// Answers with status 429.
    pub(crate) refused: usize,
}

/// The figures of `arrivals`, for the account's limit of five per second.
pub(crate) fn figures(arrivals: &[(Instant, u16)]) -> Figures {
    const N: usize = 5;
    let mut times: Vec<Instant> = arrivals.iter().map(|&(at, _)| at).collect();
    times.sort();
    let most_in_a_second = (0..times.len())
        .map(|i| {
            times[i..]
                .iter()
                .take_while(|&&t| t - times[i] < Duration::from_secs(1))
                .count()
        })
        .max()
        .unwrap_or(0);
    let to_fifth: Vec<Duration> = times
        .windows(N + 1)
        .map(|group| group[N] - group[0])
        .collect();
    let mean = to_fifth.iter().sum::<Duration>().as_secs_f64() / to_fifth.len().max(1) as f64;
    Figures {
        requests: times.len(),
        most_in_a_second,
        shortest_to_fifth: to_fifth.iter().min().copied().unwrap_or_default(),
        sustained_rate: if mean > 0.0 { N as f64 / mean } else { 0.0 },
        refused: arrivals
            .iter()
            .filter(|&&(_, status)| status == 429)
            .count(),
    }
}
