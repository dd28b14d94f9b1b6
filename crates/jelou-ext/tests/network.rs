//! Behaviour that needs real sockets (real time, short bounds): connections that are refused
//! and answers slower than the timeout.

use std::time::Duration;

use httpmock::MockServer;
use jelou_ext::retry::Jitter;
use jelou_ext::{Error, HistoryQuery, Jelou, Message, RetryPolicy};

fn quick_retries() -> RetryPolicy {
    RetryPolicy::default()
        .with_initial_backoff(Duration::from_millis(5))
        .with_jitter(Jitter::None)
}

/// A loopback port with nothing listening on it.
fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    port
}

#[tokio::test]
async fn a_refused_connection_is_retried_even_for_a_write() {
    let jelou = Jelou::builder()
        .credentials("id", "secret")
        .base_url(format!("http://127.0.0.1:{}", closed_port()))
        .retry_policy(quick_retries())
        .disable_rate_limit()
        .build()
        .expect("builds");
    let error = jelou
        .send_message("BOT_ID", &Message::text("u", "hola"))
        .await
        .expect_err("refused");
    assert_eq!(error.attempts(), 4);
    assert!(
        matches!(error, Error::Transport { ref source, .. } if source.is_connect()),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_slow_answer_times_out_and_only_reads_retry_it() {
    let server = MockServer::start_async().await;
    let slow_read = server.mock(|when, then| {
        when.method("GET");
        then.status(200)
            .delay(Duration::from_millis(400))
            .body("{}");
    });
    let slow_write = server.mock(|when, then| {
        when.method("POST");
        then.status(200)
            .delay(Duration::from_millis(400))
            .body("{}");
    });
    let jelou = Jelou::builder()
        .credentials("id", "secret")
        .base_url(server.base_url())
        .request_timeout(Duration::from_millis(100))
        .retry_policy(quick_retries().with_max_retries(1))
        .disable_rate_limit()
        .build()
        .expect("builds");

    let error = jelou
        .history_page("BOT_ID", &HistoryQuery::default())
        .await
        .expect_err("slow");
    assert!(
        matches!(error, Error::Timeout { attempts: 2, .. }),
        "{error:?}"
    );
    slow_read.assert_calls_async(2).await;

    let error = jelou
        .send_message("BOT_ID", &Message::text("u", "hola"))
        .await
        .expect_err("slow");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    slow_write.assert_calls_async(1).await;
}
