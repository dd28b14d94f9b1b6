//! Faults, with exact hit counts: what is retried, what is never sent twice, and what the
//! answer that could not be used turns into. Waits run on a fast-forward clock, so a
//! `Retry-After: 2` costs no wall time and the test reads the wait the client chose.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use httpmock::{Mock, MockServer};
use jelou_client::types;
use jelou_conformance::exchanges::{self, BOT_ID, CACHE_USER, SESSION_ID, USER_ID};
use jelou_conformance::raw_server::{RawReply, RawServer};
use jelou_conformance::{
    FastForwardClock, ext_client, ext_client_with, first_calls, fixture, generated_history,
    generated_send, spec_operations,
};
use jelou_ext::transport::Transport;
use jelou_ext::{Attributes, BoxFuture, ChatInput, Error, HistoryQuery, Jelou, Message, NewUser};
use serde_json::{Value, json};

const HTML_502: &str =
    "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>";
/// An attempt timeout far below the mock's delay, so a slow answer is a timeout. Long enough
/// that the request reaches the mock first even on a busy machine: a timeout that fires before
/// the request arrives would count zero requests where the test expects one.
const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(1);
const SLOW_ANSWER: Duration = Duration::from_secs(10);

fn unknown_error() -> Value {
    fixture("history_list.500.json")
}

async fn history(jelou: &Jelou) -> Result<types::HistoryPage, Error> {
    jelou.history_page(BOT_ID, &HistoryQuery::default()).await
}

async fn send(jelou: &Jelou) -> Result<types::MessageSendResponse, Error> {
    jelou
        .send_message(BOT_ID, &Message::text("USER_ID", "hola"))
        .await
}

/// A mock answering the first `n` requests to `method path` with `status` and `body`.
fn first<'a>(
    server: &'a MockServer,
    n: usize,
    (method, path): (&str, &str),
    status: u16,
    headers: &[(&str, String)],
    body: &str,
) -> Mock<'a> {
    server.mock(|when, then| {
        when.method(method).path(path).is_true(first_calls(n));
        let mut then = then.status(status).body(body);
        for (name, value) in headers {
            then = then.header(*name, value.as_str());
        }
    })
}

const HISTORY: (&str, &str) = ("GET", "/v1/external/messages/history/BOT_ID");
const MESSAGES: (&str, &str) = ("POST", "/v1/bots/BOT_ID/messages");

fn history_ok(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.method("GET").path(HISTORY.1);
        then.status(200).json_body(fixture("history_list.200.json"));
    })
}

fn send_ok(server: &MockServer) -> Mock<'_> {
    server.mock(|when, then| {
        when.method("POST").path(MESSAGES.1);
        then.status(200).json_body(fixture("message_send.200.json"));
    })
}

// --- 429 ---------------------------------------------------------------------------------

#[tokio::test]
async fn a_429_with_retry_after_in_seconds_is_waited_out_then_retried_even_for_a_write() {
    let server = MockServer::start_async().await;
    let limited = first(
        &server,
        1,
        MESSAGES,
        429,
        &[("retry-after", "2".into())],
        r#"{"message":"Too Many Requests"}"#,
    );
    let ok = send_ok(&server);
    let (jelou, clock) = ext_client(&server.base_url());

    let sent = send(&jelou).await.expect("the retry succeeds");

    assert_eq!(sent.message_id, "msg_123456789");
    assert!(
        clock.real_waits().contains(&Duration::from_secs(2)),
        "waits: {:?}",
        clock.real_waits()
    );
    limited.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_429_with_retry_after_as_an_http_date_is_waited_out_then_retried() {
    let server = MockServer::start_async().await;
    // Read against the client's clock, which starts at a known second: exact, however slow
    // the machine.
    let at = httpdate::fmt_http_date(FastForwardClock::wall_start() + Duration::from_secs(3));
    let limited = first(
        &server,
        1,
        HISTORY,
        429,
        &[("retry-after", at)],
        r#"{"message":"Too Many Requests"}"#,
    );
    let ok = history_ok(&server);
    let (jelou, clock) = ext_client(&server.base_url());

    history(&jelou).await.expect("the retry succeeds");

    assert_eq!(clock.real_waits(), [Duration::from_secs(3)]);
    limited.assert_calls_async(1).await;
    ok.assert_calls_async(1).await;
}

// --- transient statuses ------------------------------------------------------------------

#[tokio::test]
async fn a_read_is_retried_after_500_502_503_504_and_then_succeeds() {
    for status in [500, 502, 503, 504] {
        let server = MockServer::start_async().await;
        let failing = first(
            &server,
            1,
            HISTORY,
            status,
            &[],
            &unknown_error().to_string(),
        );
        let ok = history_ok(&server);
        let (jelou, clock) = ext_client(&server.base_url());

        let page = history(&jelou)
            .await
            .unwrap_or_else(|e| panic!("{status}: {e}"));

        exchanges::history_list::check(&page);
        // The policy's first backoff, without jitter.
        assert_eq!(clock.real_waits(), [Duration::from_millis(200)], "{status}");
        failing.assert_calls_async(1).await;
        ok.assert_calls_async(1).await;
    }
}

#[tokio::test]
async fn the_generated_client_alone_never_retries() {
    let server = MockServer::start_async().await;
    let failing = first(&server, 1, HISTORY, 503, &[], &unknown_error().to_string());
    let ok = history_ok(&server);
    let error = generated_history(&server.base_url())
        .await
        .expect_err("the 503 is the answer");
    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    failing.assert_calls_async(1).await;
    ok.assert_calls_async(0).await;
}

// --- bodies that cannot be used ------------------------------------------------------------

#[tokio::test]
async fn an_html_502_page_is_kept_raw_by_both_clients() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.path_includes("/");
        then.status(502)
            .header("content-type", "text/html")
            .body(HTML_502);
    });

    let error = generated_send(&server.base_url()).await.expect_err("a 502");
    match error {
        jelou_client::Error::InvalidResponsePayload(bytes, _) => {
            assert_eq!(bytes.as_ref(), HTML_502.as_bytes());
        }
        other => panic!("expected the raw page, got {other:?}"),
    }

    let (jelou, _) = ext_client(&server.base_url());
    // A write: one request, the page kept.
    let error = send(&jelou).await.expect_err("a 502");
    let api = error.api().expect("an API error");
    assert_eq!(api.status().as_u16(), 502);
    assert!(api.body().is_none(), "HTML is not a documented shape");
    assert_eq!(api.raw_body(), HTML_502.as_bytes());
    // A read: the first attempt and three retries.
    let error = history(&jelou).await.expect_err("still a 502");
    assert!(
        matches!(&error, Error::Api(api) if api.attempts() == 4),
        "{error:?}"
    );
    assert_eq!(error.api().map(|a| a.raw_body()), Some(HTML_502.as_bytes()));
    mock.assert_calls_async(1 + 1 + 4).await;
}

#[tokio::test]
async fn an_empty_200_is_a_decode_error_and_is_not_retried() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET").path(HISTORY.1);
        then.status(200).header("content-type", "application/json");
    });
    let error = generated_history(&server.base_url())
        .await
        .expect_err("nothing to decode");
    assert!(
        matches!(error, jelou_client::Error::InvalidResponsePayload(ref b, _) if b.is_empty()),
        "{error:?}"
    );

    let (jelou, _) = ext_client(&server.base_url());
    let error = history(&jelou).await.expect_err("nothing to decode");
    assert!(
        matches!(&error, Error::Decode { status, snippet, .. } if status.as_u16() == 200 && snippet.is_empty()),
        "{error:?}"
    );
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn an_empty_503_is_kept_as_an_api_error_after_the_retries() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET").path(HISTORY.1);
        then.status(503);
    });
    let (jelou, _) = ext_client(&server.base_url());
    let error = history(&jelou).await.expect_err("a 503");
    let api = error.api().expect("an API error");
    assert_eq!(api.status().as_u16(), 503);
    assert!(api.raw_body().is_empty() && api.body().is_none());
    mock.assert_calls_async(4).await;
}

#[tokio::test]
async fn truncated_json_is_a_decode_error_that_keeps_the_bytes() {
    let truncated = r#"{"success": true, "messageId": "msg_"#;
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("POST").path(MESSAGES.1);
        then.status(200)
            .header("content-type", "application/json")
            .body(truncated);
    });
    let error = generated_send(&server.base_url())
        .await
        .expect_err("truncated");
    assert!(
        matches!(error, jelou_client::Error::InvalidResponsePayload(ref b, _) if b.as_ref() == truncated.as_bytes()),
        "{error:?}"
    );

    let (jelou, _) = ext_client(&server.base_url());
    let error = send(&jelou).await.expect_err("truncated");
    let Error::Decode {
        status, snippet, ..
    } = &error
    else {
        panic!("expected a decode error, got {error:?}");
    };
    assert_eq!((status.as_u16(), snippet.as_str()), (200, truncated));
    mock.assert_calls_async(2).await;
}

#[tokio::test]
async fn a_body_far_larger_than_the_limit_is_refused_without_retrying() {
    let huge_id = "x".repeat(4 * 1024 * 1024);
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET").path(HISTORY.1);
        then.status(200).json_body(
            json!({"pagination": {"limit": 10, "page": 1, "total": 1, "totalPages": 1},
                "results": [{"messageId": huge_id}]}),
        );
    });
    let (jelou, _) = ext_client_with(&server.base_url(), |b| b.max_response_bytes(64 * 1024));
    let error = history(&jelou).await.expect_err("too large");
    assert!(
        matches!(&error, Error::ResponseTooLarge { status, limit: 65536, .. } if status.as_u16() == 200),
        "{error:?}"
    );

    // The generated client has no limit of its own: it reads the 4 MiB answer.
    let page = generated_history(&server.base_url())
        .await
        .expect("decodes");
    assert_eq!(page.results[0].message_id.len(), huge_id.len());
    mock.assert_calls_async(2).await;
}

// --- connections -----------------------------------------------------------------------------

#[tokio::test]
async fn a_read_whose_answer_is_cut_short_is_retried() {
    let server = RawServer::start(vec![
        RawReply::CutShort,
        RawReply::Json(200, fixture("history_list.200.json").to_string()),
    ])
    .await;
    let (jelou, _) = ext_client(server.base_url());
    let page = history(&jelou).await.expect("the retry succeeds");
    exchanges::history_list::check(&page);
    assert_eq!(server.received(), 2);
}

#[tokio::test]
async fn a_write_whose_answer_is_cut_short_is_not_sent_again() {
    let server = RawServer::start(vec![
        RawReply::CutShort,
        RawReply::Json(200, fixture("message_send.200.json").to_string()),
    ])
    .await;
    let (jelou, _) = ext_client(server.base_url());
    let error = send(&jelou).await.expect_err("the answer was lost");
    assert!(matches!(error, Error::Transport { .. }), "{error:?}");
    assert_eq!(server.received(), 1);

    // The bare client reports the cut as a body error; it has nothing to retry with.
    let server = RawServer::start(vec![RawReply::CutShort]).await;
    let error = generated_history(server.base_url())
        .await
        .expect_err("the answer was lost");
    assert!(
        matches!(
            error,
            jelou_client::Error::ResponseBodyError(_) | jelou_client::Error::CommunicationError(_)
        ),
        "{error:?}"
    );
    assert_eq!(server.received(), 1);
}

#[tokio::test]
async fn a_read_slower_than_the_timeout_times_out_on_every_attempt() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET").path(HISTORY.1);
        then.status(200)
            .delay(SLOW_ANSWER)
            .json_body(fixture("history_list.200.json"));
    });
    let (jelou, _) = ext_client_with(&server.base_url(), |b| b.request_timeout(ATTEMPT_TIMEOUT));
    let error = history(&jelou).await.expect_err("too slow");
    assert!(
        matches!(error, Error::Timeout { attempts: 4, .. }),
        "expected the retries to run out, got {error:?}"
    );
    mock.assert_calls_async(4).await;
}

// --- writes: never twice, except when the server certainly did not act ---------------------

type Call = for<'a> fn(&'a Jelou) -> BoxFuture<'a, Result<(), Error>>;

/// Every operation that writes, with a valid call and where it goes.
struct Write {
    operation_id: &'static str,
    method: &'static str,
    path: &'static str,
    call: Call,
}

fn attributes() -> Attributes {
    Attributes::new().with("default_name", "Joe")
}

const WRITES: [Write; 6] = [
    Write {
        operation_id: "cache_set",
        method: "POST",
        path: "/v1/users/593987654321/cache",
        call: |jelou| {
            Box::pin(async move {
                let params = [("groupId".to_owned(), json!("grp-1"))]
                    .into_iter()
                    .collect();
                jelou
                    .set_cache(CACHE_USER, "bot-12345", params)
                    .await
                    .map(drop)
            })
        },
    },
    Write {
        operation_id: "message_send",
        method: "POST",
        path: "/v1/bots/BOT_ID/messages",
        call: |jelou| Box::pin(async move { send(jelou).await.map(drop) }),
    },
    Write {
        operation_id: "user_create",
        method: "POST",
        path: "/users",
        call: |jelou| {
            Box::pin(async move {
                let user = NewUser::with_user_id("user-1", attributes());
                jelou.create_user(&user).await.map(drop)
            })
        },
    },
    Write {
        operation_id: "user_update",
        method: "PUT",
        path: "/users/5b7ff847cc3c3fb33c9249a8",
        call: |jelou| {
            Box::pin(async move { jelou.update_user(USER_ID, &attributes()).await.map(drop) })
        },
    },
    Write {
        operation_id: "user_session_update",
        method: "PUT",
        path: "/users/5b7ff847cc3c3fb33c9249a8/session",
        call: |jelou| {
            Box::pin(async move {
                jelou
                    .update_session(USER_ID, SESSION_ID, &attributes())
                    .await
                    .map(drop)
            })
        },
    },
    Write {
        operation_id: "chat_query",
        method: "POST",
        path: "/query",
        call: |jelou| {
            Box::pin(async move {
                jelou
                    .chat(&ChatInput::new(SESSION_ID).query("hola"))
                    .await
                    .map(drop)
            })
        },
    },
];

impl Write {
    /// The documented success answer of this operation.
    fn success(&self) -> Value {
        fixture(&format!("{}.200.json", self.operation_id))
    }

    fn ok_mock<'a>(&self, server: &'a MockServer) -> Mock<'a> {
        server.mock(|when, then| {
            when.method(self.method).path(self.path);
            then.status(200).json_body(self.success());
        })
    }
}

/// The writes here are the typed methods' (every write of the spec, the ones added later
/// included, is held to "never twice" from the spec alone in `spec_conformance.rs`); each
/// must be a write of the spec, with its method.
#[test]
fn the_writes_here_are_writes_of_the_spec() {
    let mut in_spec: Vec<(String, String, String)> = spec_operations()
        .into_iter()
        .filter(|(_, method, _)| method != "get")
        .collect();
    in_spec.sort();
    let mut here: Vec<(String, String)> = WRITES
        .iter()
        .map(|w| (w.operation_id.to_owned(), w.method.to_lowercase()))
        .collect();
    here.sort();
    let in_spec: Vec<(String, String)> = in_spec.into_iter().map(|(id, m, _)| (id, m)).collect();
    let strangers: Vec<&(String, String)> = here
        .iter()
        .filter(|write| !in_spec.contains(write))
        .collect();
    assert!(
        strangers.is_empty(),
        "not writes of the spec: {strangers:?}"
    );
    assert!(!here.is_empty());
}

#[tokio::test]
async fn no_write_is_sent_twice_after_a_5xx() {
    for write in &WRITES {
        for status in [500, 502, 503, 504] {
            let server = MockServer::start_async().await;
            let failing = first(
                &server,
                1,
                (write.method, write.path),
                status,
                &[],
                &unknown_error().to_string(),
            );
            let ok = write.ok_mock(&server);
            let (jelou, _) = ext_client(&server.base_url());
            let error = (write.call)(&jelou).await.expect_err("the failure stands");
            assert_eq!(
                error.status().map(|s| s.as_u16()),
                Some(status),
                "{} {status}: {error:?}",
                write.operation_id
            );
            failing.assert_calls_async(1).await;
            ok.assert_calls_async(0).await;
        }
    }
}

#[tokio::test]
async fn no_write_is_sent_twice_after_a_timeout() {
    let checks = WRITES.iter().map(|write| async move {
        let server = MockServer::start_async().await;
        let mock = server.mock(|when, then| {
            when.method(write.method).path(write.path);
            then.status(200)
                .delay(SLOW_ANSWER)
                .json_body(write.success());
        });
        let (jelou, _) =
            ext_client_with(&server.base_url(), |b| b.request_timeout(ATTEMPT_TIMEOUT));
        let error = (write.call)(&jelou).await.expect_err("too slow");
        assert!(
            matches!(error, Error::Timeout { .. }),
            "{}: {error:?}",
            write.operation_id
        );
        mock.assert_calls_async(1).await;
    });
    futures_util::future::join_all(checks).await;
}

#[tokio::test]
async fn no_write_is_sent_twice_after_its_answer_is_cut_short() {
    for write in &WRITES {
        let server = RawServer::start(vec![
            RawReply::CutShort,
            RawReply::Json(200, write.success().to_string()),
        ])
        .await;
        let (jelou, _) = ext_client(server.base_url());
        let error = (write.call)(&jelou).await.expect_err("the answer was lost");
        assert!(
            matches!(error, Error::Transport { .. }),
            "{}: {error:?}",
            write.operation_id
        );
        assert_eq!(server.received(), 1, "{}", write.operation_id);
    }
}

#[tokio::test]
async fn every_write_is_retried_after_a_429() {
    for write in &WRITES {
        let server = MockServer::start_async().await;
        let limited = first(
            &server,
            1,
            (write.method, write.path),
            429,
            &[("retry-after", "1".into())],
            "",
        );
        let ok = write.ok_mock(&server);
        let (jelou, clock) = ext_client(&server.base_url());
        (write.call)(&jelou)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", write.operation_id));
        assert!(clock.real_waits().contains(&Duration::from_secs(1)));
        limited.assert_calls_async(1).await;
        ok.assert_calls_async(1).await;
    }
}

/// Sends the first attempt to a port nobody listens on, then lets attempts through.
struct RefusedFirst {
    closed_port: u16,
    refused: AtomicBool,
    attempts: AtomicUsize,
}

impl Transport for RefusedFirst {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        mut request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.attempts.fetch_add(1, Ordering::SeqCst);
        if !self.refused.swap(true, Ordering::SeqCst) {
            let _ = request.url_mut().set_port(Some(self.closed_port));
        }
        Box::pin(client.execute(request))
    }
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("address").port()
}

#[tokio::test]
async fn every_write_is_retried_after_a_refused_connection() {
    for write in &WRITES {
        let server = MockServer::start_async().await;
        let ok = write.ok_mock(&server);
        let transport = Arc::new(RefusedFirst {
            closed_port: closed_port(),
            refused: AtomicBool::new(false),
            attempts: AtomicUsize::new(0),
        });
        let (jelou, _) = ext_client_with(&server.base_url(), |b| {
            b.transport(Arc::clone(&transport) as Arc<dyn Transport>)
        });
        (write.call)(&jelou)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", write.operation_id));
        assert_eq!(transport.attempts.load(Ordering::SeqCst), 2);
        ok.assert_calls_async(1).await;
    }
}
