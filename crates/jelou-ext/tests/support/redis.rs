//! What the Redis tests share: the server they use, keys of their own, a free port.

use std::time::SystemTime;

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
            skipped(&format!(
                "SKIPPED {test}: set REDIS_URL (redis://127.0.0.1:6379) to run it"
            ));
            None
        }
    }
}

/// The Redis URL and a key prefix of this test's own, or `None` when the test is skipped (see
/// [`redis_url`]).
pub(crate) fn redis_for(test: &str) -> Option<(String, String)> {
    Some((redis_url(test)?, unique_prefix(test)))
}

/// A key prefix no other test or run uses.
fn unique_prefix(test: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    format!("jelou-test:{test}:{nanos}:{}", std::process::id())
}

/// Says that a test was skipped, where `cargo test` shows it: straight to the standard error,
/// past the test harness's capture of `eprintln!`.
pub(crate) fn skipped(message: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "{message}");
}

/// A loopback port nobody listens on (once the probe is dropped).
pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
        .port()
}
