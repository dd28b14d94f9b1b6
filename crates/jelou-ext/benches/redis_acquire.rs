//! Acquire latency of the shared limiter against a Redis server (`REDIS_URL`): how long one
//! acquire takes when a slot is free, which is one call of the window script. Prints p50, p90,
//! p99 and the maximum over 20,000 acquires, beside a plain `PING` round trip on the same
//! server for scale; exits non-zero if p50 is above 0.2 ms.
//!
//! `REDIS_URL=redis://127.0.0.1:6379/0 cargo bench -p jelou-ext --features redis --bench redis_acquire`

use std::process::ExitCode;
use std::time::{Duration, Instant};

use jelou_ext::{RateLimit, RedisLimiter};

const WARM_UP: usize = 1_000;
const ACQUIRES: usize = 20_000;
const TARGET_P50: Duration = Duration::from_micros(200);

fn main() -> ExitCode {
    let Some(url) = std::env::var("REDIS_URL")
        .ok()
        .filter(|url| !url.is_empty())
    else {
        eprintln!("set REDIS_URL (redis://127.0.0.1:6379/0) to run this benchmark");
        return ExitCode::FAILURE;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    runtime.block_on(async move {
        // The account's five starts per window, with a window of one microsecond: every
        // acquire finds its slot free, and the script does all of its work on a realistic
        // window (five starts, forgetting the older ones).
        let limiter = RedisLimiter::builder(url.as_str())
            .account(format!("bench-{}", std::process::id()))
            .limit(
                RateLimit::new(5, Duration::from_micros(1))
                    .expect("positive")
                    .with_safety_margin(Duration::ZERO),
            )
            .build()
            .expect("limiter");
        for _ in 0..WARM_UP {
            limiter.acquire_start(None).await.expect("Redis answers");
        }
        let mut latencies = Vec::with_capacity(ACQUIRES);
        for _ in 0..ACQUIRES {
            let asked = Instant::now();
            let start = limiter.acquire_start(None).await.expect("Redis answers");
            latencies.push(asked.elapsed());
            assert!(start.counted_at.is_some(), "counted by Redis");
        }
        let acquire = Quantiles::of(latencies);
        let mut connection = redis::Client::open(url.as_str())
            .expect("url")
            .get_multiplexed_async_connection()
            .await
            .expect("Redis answers");
        let mut pings = Vec::with_capacity(ACQUIRES);
        for _ in 0..ACQUIRES {
            let asked = Instant::now();
            let _: String = redis::cmd("PING")
                .query_async(&mut connection)
                .await
                .expect("PONG");
            pings.push(asked.elapsed());
        }
        let ping = Quantiles::of(pings);
        println!("{ACQUIRES} uncontended acquires (one script call each), and as many PINGs");
        println!("        acquire      PING");
        for (name, a, p) in [
            ("p50", acquire.p50, ping.p50),
            ("p90", acquire.p90, ping.p90),
            ("p99", acquire.p99, ping.p99),
            ("max", acquire.max, ping.max),
        ] {
            println!("  {name:<4} {:>7.1} µs {:>7.1} µs", micros(a), micros(p));
        }
        let p50 = acquire.p50;
        if p50 > TARGET_P50 {
            println!("  MISSED: p50 above {} µs", TARGET_P50.as_micros());
            return ExitCode::FAILURE;
        }
        println!("  target p50 at most {} µs: met", TARGET_P50.as_micros());
        ExitCode::SUCCESS
    })
}

struct Quantiles {
    p50: Duration,
    p90: Duration,
    p99: Duration,
    max: Duration,
}

impl Quantiles {
    fn of(mut samples: Vec<Duration>) -> Self {
        samples.sort();
        let at = |quantile: f64| samples[((samples.len() - 1) as f64 * quantile) as usize];
        Self {
            p50: at(0.50),
            p90: at(0.90),
            p99: at(0.99),
            max: samples[samples.len() - 1],
        }
    }
}

fn micros(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1e6
}
