//! Tracing: every attempt is visible, credentials never are. Its own test binary, because
//! `tracing` caches whether a call site is wanted across threads, and a test running beside it
//! without a subscriber would turn the call sites off.

use std::sync::{Arc, Mutex};

#[path = "support/captured.rs"]
mod captured;

use captured::Captured;
use jelou_ext::retry::Jitter;
use jelou_ext::transport::Transport;
use jelou_ext::{BoxFuture, HistoryQuery, Jelou, RetryPolicy};

/// Answers 503 once, then the documented page.
struct FailOnce(Mutex<u32>);

impl Transport for FailOnce {
    fn execute<'a>(
        &'a self,
        _: &'a reqwest::Client,
        _: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let mut calls = self.0.lock().expect("lock");
        *calls += 1;
        let (status, body) = if *calls == 1 {
            (503, "{}")
        } else {
            (
                200,
                r#"{"pagination":{"limit":10,"page":1,"total":0,"totalPages":1},"results":[]}"#,
            )
        };
        let mut response = http::Response::new(body);
        *response.status_mut() = http::StatusCode::from_u16(status).expect("status");
        Box::pin(async move { Ok(reqwest::Response::from(response)) })
    }
}

#[tokio::test(start_paused = true)]
async fn every_attempt_is_traced_and_credentials_never_are() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::DEBUG)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let jelou = Jelou::builder()
        .credentials("client-id", "s3cret")
        .transport(Arc::new(FailOnce(Mutex::new(0))))
        .retry_policy(RetryPolicy::default().with_jitter(Jitter::None))
        .build()
        .expect("builds");
    jelou
        .history_page("BOT_ID", &HistoryQuery::default())
        .await
        .expect("second attempt succeeds");

    let log = captured.text();
    let attempts: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("attempt finished"))
        .collect();
    assert_eq!(attempts.len(), 2, "{log}");
    assert!(
        attempts[0].contains("jelou.call{operation=\"history_list\"}"),
        "{log}"
    );
    assert!(
        attempts[0].contains("attempt=1") && attempts[0].contains("status=503"),
        "{log}"
    );
    assert!(attempts[0].contains("retry_reason=\"status 503\""), "{log}");
    assert!(
        attempts[1].contains("attempt=2") && attempts[1].contains("status=200"),
        "{log}"
    );
    assert!(log.contains("limiter_wait_ms="), "{log}");
    assert!(
        !log.contains("s3cret") && !log.contains("Y2xpZW50LWlkOnMzY3JldA=="),
        "{log}"
    );
}
