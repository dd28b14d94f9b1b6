//! Redis stopped in the middle of a run, then started again: each configured behaviour does what
//! its documentation says, a warning is logged once per outage, nothing panics, and the limiter
//! reconnects by itself. Its own test binary, because it captures `tracing` output (see
//! `tracing.rs`), and it runs a Redis server of its own, since stopping the shared one would
//! break the other tests.

#[path = "support/captured.rs"]
mod captured;
#[path = "support/redis.rs"]
mod support;

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use captured::Captured;
use jelou_ext::{Error, IfRedisUnreachable, RateLimit, RedisLimiter};
use support::{free_port, redis_for, skipped};
use tokio::time::Instant;

/// A `redis-server` process of this test's own, on `port`, keeping nothing on disk.
struct OwnRedis {
    port: u16,
    process: Child,
}

impl OwnRedis {
    /// Starts it, or returns `None` (and says so) when `redis-server` is not installed.
    async fn start(port: u16) -> Option<Self> {
        let spawned = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let process = match spawned {
            Ok(process) => process,
            Err(error) if std::env::var_os("JELOU_REQUIRE_REDIS").is_some() => {
                panic!("redis-server could not be started: {error}")
            }
            Err(error) => {
                skipped(&format!(
                    "SKIPPED: redis-server could not be started ({error})"
                ));
                return None;
            }
        };
        let redis = Self { port, process };
        redis.wait_until_it_answers().await;
        Some(redis)
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}/0", self.port)
    }

    async fn wait_until_it_answers(&self) {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let client = redis::Client::open(self.url()).expect("url");
            if let Ok(mut connection) = client.get_multiplexed_async_connection().await {
                let pong: redis::RedisResult<String> =
                    redis::cmd("PING").query_async(&mut connection).await;
                if pong.is_ok() {
                    return;
                }
            }
            assert!(Instant::now() < deadline, "redis-server did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Kills the server at once, as a crash or a lost machine would.
    fn stop(mut self) -> u16 {
        self.process.kill().expect("kill redis-server");
        self.process.wait().expect("reap redis-server");
        self.port
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

#[tokio::test]
async fn redis_stopped_mid_run_fails_or_falls_back_as_configured_then_reconnects() {
    let test = "redis_stopped_mid_run_fails_or_falls_back_as_configured_then_reconnects";
    // This test runs a Redis of its own; `REDIS_URL` only says that Redis tests are wanted.
    let Some((_, prefix)) = redis_for(test) else {
        return;
    };
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let Some(redis) = OwnRedis::start(free_port()).await else {
        return;
    };
    let period = Duration::from_millis(500);
    let limiter = |behaviour| {
        RedisLimiter::builder(redis.url())
            .account("an-account")
            .key_prefix(prefix.as_str())
            .limit(RateLimit::new(5, period).expect("positive"))
            .timeout(Duration::from_millis(200))
            .retry_redis_after(Duration::from_millis(300))
            .if_unreachable(behaviour)
            .build()
            .expect("limiter")
    };
    let failing = limiter(IfRedisUnreachable::Fail);
    // 0.4 of five per period: two per period on its own.
    let falling_back = limiter(IfRedisUnreachable::FallBack { share: 0.4 });
    for limiter in [&failing, &falling_back] {
        let start = limiter.acquire_start(None).await.expect("Redis is up");
        assert!(start.counted_at.is_some(), "counted in Redis");
    }

    let port = redis.stop();

    // Fail: a clear error at once, again and again, never a wait or a panic.
    for _ in 0..3 {
        let asked = Instant::now();
        let error = failing
            .acquire_start(None)
            .await
            .expect_err("Redis is down");
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "{:?}",
            asked.elapsed()
        );
        let Error::LimiterUnavailable { reason, .. } = &error else {
            panic!("expected LimiterUnavailable, got {error:?}");
        };
        assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
    }

    // Fall back: the process goes on at its share, two per period.
    let began = Instant::now();
    let mut offline = Vec::new();
    for _ in 0..3 {
        let start = falling_back.acquire_start(None).await.expect("falls back");
        assert_eq!(start.counted_at, None, "granted without Redis");
        offline.push(began.elapsed());
    }
    assert!(offline[1] < Duration::from_millis(450), "{offline:?}");
    assert!(offline[2] >= Duration::from_millis(490), "{offline:?}");

    let logs = captured.text();
    let warnings = logs.matches("WARN").count();
    assert_eq!(warnings, 2, "one warning per limiter and outage:\n{logs}");
    assert!(logs.contains("calls fail until it answers"), "{logs}");
    assert!(
        logs.contains("calls go on under this process's share"),
        "{logs}"
    );

    // Redis comes back on the same address: both limiters find it again by themselves.
    let redis = OwnRedis::start(port).await.expect("restarted");
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut recovered = false;
    while Instant::now() < deadline && !recovered {
        let start = falling_back.acquire_start(None).await.expect("falls back");
        recovered = start.counted_at.is_some();
    }
    assert!(
        recovered,
        "the fallback limiter reconnected:\n{}",
        captured.text()
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    let shared = loop {
        match failing.acquire_start(None).await {
            Ok(start) => break start,
            Err(Error::LimiterUnavailable { .. }) if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            Err(error) => panic!("the failing limiter did not reconnect: {error}"),
        }
    };
    assert!(shared.counted_at.is_some());
    assert!(captured.text().contains("Redis answers again"));

    // The starts the fallback made just before Redis returned were reported to the window.
    let mut connection = redis::Client::open(redis.url())
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers");
    let members: Vec<String> = redis::cmd("ZRANGE")
        .arg(format!("{}:starts", falling_back.key_base()))
        .arg(0)
        .arg(-1)
        .query_async(&mut connection)
        .await
        .expect("ZRANGE");
    assert!(
        members.iter().any(|member| member.starts_with("offline:")),
        "{members:?}"
    );
}
