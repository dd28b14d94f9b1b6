//! How fast `jelou history --all` exports a 1,000-message history from the sandbox under the
//! limit of five requests per second: with the default page (the largest the API documents,
//! 50 messages) and, for comparison, with the documented default page of 10.
//!
//! `cargo bench -p jelou-cli --bench export_rate`

#[path = "../tests/support/fleet.rs"]
mod fleet;
#[path = "../tests/support/sandbox.rs"]
mod sandbox;

use std::process::ExitCode;
use std::time::Instant;

use fleet::{figures, run_export, seed_with_history, serve_recording};

const MESSAGES: usize = 1_000;

fn main() -> ExitCode {
    let mut failed = false;
    for (label, page_size) in [("default page (50)", None), ("--limit 10", Some(10))] {
        let seed = seed_with_history(MESSAGES);
        let (base_url, arrivals) = serve_recording(seed.clone());
        let began = Instant::now();
        let output = run_export(&base_url, &seed, page_size);
        let elapsed = began.elapsed().as_secs_f64();
        let exported = output.stdout.iter().filter(|&&byte| byte == b'\n').count();
        let figures = figures(&arrivals.lock().expect("lock"));
        println!(
            "{label}: {exported} messages in {elapsed:.2} s = {:.0} messages/s ({} requests, 429s {})",
            exported as f64 / elapsed,
            figures.requests,
            figures.refused
        );
        failed |= !output.status.success() || exported != MESSAGES || figures.refused > 0;
    }
    if failed {
        println!("MISSED: an export failed, was incomplete or was refused");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
