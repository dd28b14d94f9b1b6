//! The whole client on tokio's paused clock, against a scripted in-memory transport: retry
//! schedules, write safety, 429 pauses, deadlines, decoded errors.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jelou_ext::retry::Jitter;
use jelou_ext::transport::Transport;
use jelou_ext::{
    BoxFuture, Error, HistoryQuery, Jelou, ListOption, Message, RateLimit, RetryPolicy,
};
use tokio::time::Instant;

/// One scripted answer: status, headers and body.
#[derive(Clone)]
struct Reply {
    status: u16,
    headers: Vec<(&'static str, String)>,
    body: String,
}

fn reply(status: u16, body: &str) -> Reply {
    Reply {
        status,
        headers: vec![("content-type", "application/json".into())],
        body: body.to_owned(),
    }
}

#[derive(Default)]
struct Script {
    replies: Mutex<VecDeque<Reply>>,
    /// (virtual time since start, method, path, authorization header)
    seen: Mutex<Vec<(Duration, String, String, String)>>,
    start: Mutex<Option<Instant>>,
}

impl Script {
    fn new(replies: Vec<Reply>) -> Arc<Self> {
        Arc::new(Self {
            replies: Mutex::new(replies.into()),
            start: Mutex::new(Some(Instant::now())),
            ..Self::default()
        })
    }

    fn times_ms(&self) -> Vec<u128> {
        self.seen
            .lock()
            .expect("lock")
            .iter()
            .map(|(t, ..)| t.as_millis())
            .collect()
    }

    fn hits(&self) -> usize {
        self.seen.lock().expect("lock").len()
    }
}

struct Scripted(Arc<Script>);

impl Transport for Scripted {
    fn execute<'a>(
        &'a self,
        _client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let start = self
                .0
                .start
                .lock()
                .expect("lock")
                .unwrap_or_else(Instant::now);
            let auth = request
                .headers()
                .get("authorization")
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            self.0.seen.lock().expect("lock").push((
                Instant::now() - start,
                request.method().to_string(),
                request.url().path().to_owned(),
                auth,
            ));
            let next = self
                .0
                .replies
                .lock()
                .expect("lock")
                .pop_front()
                .unwrap_or_else(|| reply(500, "{}"));
            let mut response = http::Response::new(next.body);
            *response.status_mut() = http::StatusCode::from_u16(next.status).expect("status");
            for (name, value) in next.headers {
                response
                    .headers_mut()
                    .insert(name, value.parse().expect("header"));
            }
            Ok(reqwest::Response::from(response))
        })
    }
}

fn exact_retries() -> RetryPolicy {
    RetryPolicy::default().with_jitter(Jitter::None)
}

fn client(script: &Arc<Script>, policy: RetryPolicy) -> Jelou {
    Jelou::builder()
        .credentials("client-id", "s3cret")
        .transport(Arc::new(Scripted(Arc::clone(script))))
        .retry_policy(policy)
        .build()
        .expect("builds")
}

const PAGE: &str = r#"{"pagination":{"limit":10,"page":1,"total":0,"totalPages":1},"results":[]}"#;
const SENT: &str = r#"{"success":true,"messageId":"msg_1"}"#;
const UNKNOWN: &str = r#"{"message":["We are having trouble"],"statusMessage":"failed","status":0,"error":{"code":"E0000","key":"UNKNOWN_ERROR"}}"#;

async fn history(jelou: &Jelou) -> Result<jelou_ext::types::HistoryPage, Error> {
    jelou.history_page("BOT_ID", &HistoryQuery::default()).await
}

#[tokio::test(start_paused = true)]
async fn reads_retry_transient_statuses_on_an_exact_backoff_schedule() {
    let script = Script::new(vec![
        reply(503, UNKNOWN),
        reply(502, "<html>bad gateway</html>"),
        reply(200, PAGE),
    ]);
    let page = history(&client(&script, exact_retries()))
        .await
        .expect("third attempt succeeds");
    assert_eq!(page.pagination.total, 0);
    // 200 ms, then 400 ms of backoff (no jitter): attempts at 0, 200 and 600 ms.
    assert_eq!(script.times_ms(), [0, 200, 600]);
}

#[tokio::test(start_paused = true)]
async fn credentials_go_on_every_attempt() {
    let script = Script::new(vec![reply(503, UNKNOWN), reply(200, PAGE)]);
    history(&client(&script, exact_retries()))
        .await
        .expect("ok");
    let seen = script.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2);
    for (_, method, path, auth) in seen {
        assert_eq!(
            (method.as_str(), path.as_str()),
            ("GET", "/v1/external/messages/history/BOT_ID")
        );
        assert_eq!(auth, "Basic Y2xpZW50LWlkOnMzY3JldA==");
    }
}

#[tokio::test(start_paused = true)]
async fn retries_run_out_after_three_with_the_last_error_and_the_count() {
    let script = Script::new(vec![reply(503, UNKNOWN); 5]);
    let error = history(&client(&script, exact_retries()))
        .await
        .expect_err("always 503");
    assert_eq!(error.attempts(), 4);
    assert_eq!(error.api().map(|a| a.key()), Some(Some("UNKNOWN_ERROR")));
    assert_eq!(script.times_ms(), [0, 200, 600, 1400]);
}

#[tokio::test(start_paused = true)]
async fn a_message_is_never_sent_twice_after_a_server_error() {
    for status in [500, 502, 503, 504, 408] {
        let script = Script::new(vec![reply(status, UNKNOWN), reply(200, SENT)]);
        let error = client(&script, exact_retries())
            .send_message("BOT_ID", &Message::text("593987654321", "hola"))
            .await
            .expect_err("not retried");
        assert_eq!(error.status().map(|s| s.as_u16()), Some(status));
        assert_eq!(
            script.hits(),
            1,
            "status {status} must not resend a message"
        );
    }
}

#[tokio::test(start_paused = true)]
async fn a_429_is_retried_even_for_writes_after_its_retry_after() {
    let mut limited = reply(429, r#"{"message":"Too many requests"}"#);
    limited.headers.push(("retry-after", "2".into()));
    let script = Script::new(vec![limited, reply(200, SENT)]);
    let sent = client(&script, exact_retries())
        .send_message(
            "BOT_ID",
            &Message::text("593987654321", "hola").option(ListOption::new("Sí")),
        )
        .await
        .expect("sent once, after the pause");
    assert_eq!(sent.message_id, "msg_1");
    assert_eq!(script.times_ms(), [0, 2000]);
}

#[tokio::test(start_paused = true)]
async fn a_429_pauses_every_caller_of_the_client() {
    let mut limited = reply(429, "{}");
    limited.headers.push(("retry-after", "3".into()));
    // The first call gets the 429; a second call starting 100 ms later must wait too.
    let script = Script::new(vec![limited, reply(200, PAGE), reply(200, PAGE)]);
    let jelou = client(&script, exact_retries());
    let first = tokio::spawn({
        let jelou = jelou.clone();
        async move { jelou.history_page("BOT_ID", &HistoryQuery::default()).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    history(&jelou).await.expect("second call");
    first.await.expect("task").expect("first call");
    let times = script.times_ms();
    assert_eq!(times[0], 0);
    assert!(times[1..].iter().all(|&t| t >= 3000), "{times:?}");
}

#[tokio::test(start_paused = true)]
async fn a_retry_after_beyond_the_cap_ends_the_retries() {
    let mut limited = reply(429, r#"{"message":"slow down"}"#);
    limited.headers.push(("retry-after", "3600".into()));
    let script = Script::new(vec![limited, reply(200, PAGE)]);
    let error = history(&client(&script, exact_retries()))
        .await
        .expect_err("not worth waiting");
    let api = error.api().expect("api error");
    assert_eq!(api.status().as_u16(), 429);
    assert_eq!(api.retry_after(), Some(Duration::from_secs(3600)));
    assert_eq!(script.hits(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_empty_retry_budget_stops_hammering_a_failing_server() {
    let script = Script::new(vec![reply(503, "{}"); 40]);
    let policy = exact_retries().with_budget_tokens(2);
    let jelou = client(&script, policy);
    for _ in 0..3 {
        let _ = history(&jelou).await;
    }
    // Two retries in the budget: 3 first attempts + 2 retries.
    assert_eq!(script.hits(), 5);
}

#[tokio::test(start_paused = true)]
async fn a_slot_beyond_the_call_budget_fails_at_once_with_the_wait() {
    let script = Script::new(vec![reply(200, PAGE); 10]);
    let jelou = Jelou::builder()
        .credentials("id", "secret")
        .transport(Arc::new(Scripted(Arc::clone(&script))))
        .rate_limit(
            RateLimit::per_second(2)
                .expect("positive")
                .with_safety_margin(Duration::ZERO),
        )
        .call_timeout(Some(Duration::from_millis(500)))
        .build()
        .expect("builds");
    history(&jelou).await.expect("first slot");
    history(&jelou).await.expect("second slot");
    let before = Instant::now();
    let error = history(&jelou).await.expect_err("third slot is 1 s away");
    assert_eq!(Instant::now(), before, "refused without waiting");
    let Error::RateLimited { would_wait, budget } = error else {
        panic!("{error:?}")
    };
    assert_eq!(
        (would_wait, budget),
        (Duration::from_secs(1), Duration::from_millis(500))
    );
    assert_eq!(script.hits(), 2, "nothing sent for the refused call");
}

#[tokio::test(start_paused = true)]
async fn the_limiter_spaces_concurrent_calls_of_clones() {
    let script = Script::new(vec![reply(200, PAGE); 12]);
    let jelou = client(&script, exact_retries());
    let calls: Vec<_> = (0..12)
        .map(|_| {
            let jelou = jelou.clone();
            tokio::spawn(
                async move { jelou.history_page("BOT_ID", &HistoryQuery::default()).await },
            )
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("ok");
    }
    // Five per second, each window stretched by the default 15 ms safety margin.
    assert_eq!(
        script.times_ms(),
        [0, 0, 0, 0, 0, 1015, 1015, 1015, 1015, 1015, 2030, 2030]
    );
}

#[tokio::test(start_paused = true)]
async fn the_cache_logic_error_is_an_error() {
    let failed = r#"{"message":["Could not get the cache"],"status":"failed"}"#;
    let script = Script::new(vec![reply(200, failed)]);
    let error = client(&script, exact_retries())
        .get_cache("593987654321", None)
        .await
        .expect_err("logic error");
    let api = error.api().expect("api error");
    assert!(api.is_logic_failure());
    assert_eq!(api.status().as_u16(), 200);
    assert_eq!(api.messages(), ["Could not get the cache"]);
    assert_eq!(
        error.to_string(),
        "HTTP 200 with status \"failed\": Could not get the cache"
    );
}

#[tokio::test(start_paused = true)]
async fn bodies_that_are_not_json_keep_their_status() {
    let script = Script::new(vec![reply(404, "<html>Not Found</html>")]);
    let error = history(&client(&script, exact_retries()))
        .await
        .expect_err("404");
    let api = error.api().expect("api error");
    assert_eq!(api.status().as_u16(), 404);
    assert!(api.body().is_none());
    assert_eq!(api.raw_body(), b"<html>Not Found</html>");
    let script = Script::new(vec![reply(200, r#"{"pagination": {"limit""#)]);
    let error = history(&client(&script, exact_retries()))
        .await
        .expect_err("truncated");
    assert!(
        matches!(&error, Error::Decode { status, .. } if status.as_u16() == 200),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn answers_larger_than_the_limit_are_refused() {
    let script = Script::new(vec![reply(
        200,
        &format!("{{\"pad\":\"{}\"}}", "x".repeat(5000)),
    )]);
    let jelou = Jelou::builder()
        .credentials("id", "secret")
        .transport(Arc::new(Scripted(Arc::clone(&script))))
        .max_response_bytes(1024)
        .build()
        .expect("builds");
    let error = history(&jelou).await.expect_err("too large");
    assert!(
        matches!(error, Error::ResponseTooLarge { limit: 1024, .. }),
        "{error:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn invalid_input_sends_nothing() {
    let script = Script::new(vec![reply(200, SENT)]);
    let jelou = client(&script, exact_retries());
    let eleven = (0..11).fold(Message::text("u", "t"), |m, i| {
        m.option(ListOption::new(format!("{i}")))
    });
    let error = jelou
        .send_message("BOT_ID", &eleven)
        .await
        .expect_err("11 options");
    assert_eq!(
        error.to_string(),
        "invalid input, nothing was sent: options must be 1 to 10 items, got 11 items"
    );
    let error = jelou
        .send_message("", &Message::text("u", "t"))
        .await
        .expect_err("no bot");
    assert!(
        matches!(error, Error::Validation(ref v) if v.field() == "botId"),
        "{error:?}"
    );
    assert_eq!(script.hits(), 0);
}

fn history_page(page: u32, total_pages: u32, ids: &[&str]) -> Reply {
    let results: Vec<serde_json::Value> = ids
        .iter()
        .map(|id| serde_json::json!({"messageId": id}))
        .collect();
    reply(
        200,
        &serde_json::json!({
            "pagination": {"limit": 2, "page": page, "total": 5, "totalPages": total_pages},
            "results": results
        })
        .to_string(),
    )
}

#[tokio::test(start_paused = true)]
async fn the_history_stream_follows_every_page_once() {
    use futures_util::TryStreamExt;
    let script = Script::new(vec![
        history_page(1, 3, &["m1", "m2"]),
        history_page(2, 3, &["m3", "m4"]),
        history_page(3, 3, &["m5"]),
    ]);
    let query = HistoryQuery {
        limit: Some(2),
        ..HistoryQuery::default()
    };
    let ids: Vec<String> = client(&script, exact_retries())
        .history("BOT_ID", query)
        .map_ok(|m| m.message_id)
        .try_collect()
        .await
        .expect("all pages");
    assert_eq!(ids, ["m1", "m2", "m3", "m4", "m5"]);
    assert_eq!(script.hits(), 3);
}

#[tokio::test(start_paused = true)]
async fn the_user_stream_follows_the_after_cursor() {
    use futures_util::TryStreamExt;
    let users = |ids: &[&str]| {
        let data: Vec<serde_json::Value> =
            ids.iter().map(|id| serde_json::json!({"id": id})).collect();
        reply(
            200,
            &serde_json::json!({"data": data, "count": ids.len()}).to_string(),
        )
    };
    let a = "5b7ff847cc3c3fb33c9249a1";
    let b = "5b7ff847cc3c3fb33c9249a2";
    let c = "5b7ff847cc3c3fb33c9249a3";
    let script = Script::new(vec![users(&[a, b]), users(&[c])]);
    let query = jelou_ext::UserQuery {
        limit: Some(2),
        ..jelou_ext::UserQuery::default()
    };
    let jelou = client(&script, exact_retries());
    let ids: Vec<String> = jelou
        .users(query)
        .map_ok(|u| u.id)
        .try_collect()
        .await
        .expect("all users");
    assert_eq!(ids, [a, b, c]);
    // The second page asked for the users after the last one of the first.
    let seen = script.seen.lock().expect("lock").clone();
    assert_eq!(seen.len(), 2);
}

/// Answers after `latency`, as a server far away would, and keeps the header names it saw.
struct Slow {
    script: Arc<Script>,
    latency: Duration,
    header_names: Mutex<Vec<String>>,
}

impl Transport for Slow {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            self.header_names
                .lock()
                .expect("lock")
                .extend(request.headers().keys().map(|name| name.to_string()));
            let response = Scripted(Arc::clone(&self.script))
                .execute(client, request)
                .await;
            tokio::time::sleep(self.latency).await;
            response
        })
    }
}

#[tokio::test(start_paused = true)]
async fn the_limiter_counts_each_request_at_its_answer() {
    let script = Script::new(vec![reply(200, PAGE); 7]);
    let slow = Arc::new(Slow {
        script: Arc::clone(&script),
        latency: Duration::from_millis(300),
        header_names: Mutex::default(),
    });
    let jelou = Jelou::builder()
        .credentials("client-id", "s3cret")
        .transport(Arc::clone(&slow) as Arc<dyn Transport>)
        .retry_policy(exact_retries())
        .build()
        .expect("builds");
    let calls: Vec<_> = (0..7)
        .map(|_| {
            let jelou = jelou.clone();
            tokio::spawn(
                async move { jelou.history_page("BOT_ID", &HistoryQuery::default()).await },
            )
        })
        .collect();
    for call in calls {
        call.await.expect("task").expect("ok");
    }
    // The first five leave at once and are answered at 300 ms: the server may have counted
    // them as late as that, so the next start is a window after their answers, not their
    // starts.
    assert_eq!(script.times_ms(), [0, 0, 0, 0, 0, 1315, 1315]);
    // What carries a permit from one hook to the next never leaves the client.
    let names = slow.header_names.lock().expect("lock").clone();
    assert!(
        names.iter().any(|name| name == "authorization"),
        "{names:?}"
    );
    assert!(
        names.iter().all(|name| !name.starts_with("x-jelou")),
        "{names:?}"
    );
}
