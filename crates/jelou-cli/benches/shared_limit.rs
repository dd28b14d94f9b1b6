//! Aggregate precision of the shared limiter: four `jelou` processes export the same history
//! through one Redis (`REDIS_URL`) to a sandbox that records when each request arrives. Prints
//! the most arrivals in any sliding second, the sustained rate and the 429s; exits non-zero
//! if a target is missed.
//!
//! `REDIS_URL=redis://127.0.0.1:6379/0 cargo bench -p jelou-cli --bench shared_limit`

#[path = "../tests/support/fleet.rs"]
mod fleet;
#[path = "../tests/support/sandbox.rs"]
mod sandbox;

use std::process::ExitCode;
use std::time::Instant;

use fleet::{figures, redis_url, run_fleet, seed_with_history, serve_recording};

const PROCESSES: usize = 4;
/// 125 messages in pages of 5: 25 requests per process, 100 in all, about 20 s.
const MESSAGES: usize = 125;
const PAGE_SIZE: u32 = 5;

fn main() -> ExitCode {
    let Some(redis_url) = redis_url("shared_limit benchmark") else {
        return ExitCode::FAILURE;
    };
    let seed = seed_with_history(MESSAGES);
    let (base_url, arrivals) = serve_recording(seed.clone());
    let began = Instant::now();
    let outputs = run_fleet(PROCESSES, &redis_url, &base_url, &seed, PAGE_SIZE);
    let elapsed = began.elapsed();
    let failed = outputs.iter().filter(|o| !o.status.success()).count();

    let figures = figures(&arrivals.lock().expect("lock"));
    let (most, rate, refused) = (
        figures.most_in_a_second,
        figures.sustained_rate,
        figures.refused,
    );

    println!(
        "{PROCESSES} jelou processes, {} requests in {:.1} s through one Redis window",
        figures.requests,
        elapsed.as_secs_f64()
    );
    println!("  most arrivals in any sliding 1 s window: {most} (target at most 5)");
    println!(
        "  shortest time from an arrival to the fifth after it: {:.1} ms",
        figures.shortest_to_fifth.as_secs_f64() * 1e3
    );
    println!("  sustained rate: {rate:.3} requests/s (target at least 4.9)");
    println!("  429 answers: {refused} (target 0); failed processes: {failed} (target 0)");
    if most > 5 || rate < 4.9 || refused > 0 || failed > 0 {
        println!("  MISSED");
        return ExitCode::FAILURE;
    }
    println!("  all targets met");
    ExitCode::SUCCESS
}
