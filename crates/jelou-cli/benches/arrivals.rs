//! The in-process limiter where the server counts: one `jelou history --all` export of 200
//! one-message pages (200 requests) to a sandbox that records when each request arrives and
//! answers 429 to the sixth arrival within any sliding second, while every core is kept busy.
//! Ten runs; prints each run's figures and exits non-zero if a target is missed: 0 arrivals
//! over the limit, 0 answers 429, a sustained rate of at least 4.9 requests per second.
//!
//! `cargo bench -p jelou-cli --bench arrivals` (about seven minutes)

#[path = "../tests/support/fleet.rs"]
mod fleet;
#[path = "../tests/support/sandbox.rs"]
mod sandbox;

use std::process::ExitCode;
use std::time::Instant;

use fleet::{BusyCores, figures, run_export, seed_with_history, serve_recording};

const RUNS: usize = 10;
const REQUESTS: usize = 200;

fn main() -> ExitCode {
    let runs: usize = std::env::var("ARRIVALS_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(RUNS);
    let busy = BusyCores::start();
    let mut missed = 0;
    let (mut worst_most, mut refused_total, mut lowest_rate, mut shortest) =
        (0, 0, f64::MAX, std::time::Duration::MAX);
    println!("{runs} runs of {REQUESTS} requests, every core kept busy by a spinning thread");
    for run in 1..=runs {
        let seed = seed_with_history(REQUESTS);
        let (base_url, arrivals) = serve_recording(seed.clone());
        let began = Instant::now();
        let output = run_export(&base_url, &seed, Some(1));
        let elapsed = began.elapsed();
        let figures = figures(&arrivals.lock().expect("lock"));
        let ok = output.status.success()
            && figures.requests == REQUESTS
            && figures.most_in_a_second <= 5
            && figures.refused == 0
            && figures.sustained_rate >= 4.9;
        println!(
            "  run {run:2}: {} requests in {:.1} s, most in a second {}, shortest to the fifth {:.1} ms, {:.3} requests/s, 429s {}{}",
            figures.requests,
            elapsed.as_secs_f64(),
            figures.most_in_a_second,
            figures.shortest_to_fifth.as_secs_f64() * 1e3,
            figures.sustained_rate,
            figures.refused,
            if ok { "" } else { "  MISSED" }
        );
        if !output.status.success() {
            println!("{}", String::from_utf8_lossy(&output.stderr));
        }
        missed += usize::from(!ok);
        worst_most = worst_most.max(figures.most_in_a_second);
        refused_total += figures.refused;
        lowest_rate = lowest_rate.min(figures.sustained_rate);
        shortest = shortest.min(figures.shortest_to_fifth);
    }
    drop(busy);
    println!(
        "all runs: most in a second {worst_most} (target at most 5), shortest to the fifth {:.1} ms, lowest rate {lowest_rate:.3} requests/s (target at least 4.9), 429s {refused_total} (target 0)",
        shortest.as_secs_f64() * 1e3
    );
    if missed > 0 {
        println!("MISSED in {missed} run(s)");
        return ExitCode::FAILURE;
    }
    println!("all targets met");
    ExitCode::SUCCESS
}
