//! The seam of jelou-client: an `Interceptor` plugged into the generated client sees every
//! request with its operation id, can refuse one before anything is sent, and can send it
//! itself; with nothing plugged in, each call is one plain request.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};

use httpmock::MockServer;
use jelou_client::{BoxFuture, Handoff, Hooks, Interceptor, Operation};
use jelou_client_httpmock::MockServerExt;
use jelou_conformance::{fixture_as, generated_client};

#[derive(Default)]
struct Recorder {
    seen: Mutex<Vec<String>>,
    refuse: Option<&'static str>,
}

impl Interceptor for Recorder {
    fn before_send<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Handoff, String>> {
        Box::pin(async move {
            self.seen
                .lock()
                .expect("lock")
                .push(format!("pre {}", operation.operation_id));
            if self.refuse == Some(operation.operation_id) {
                return Err(format!("refused {}", operation.operation_id));
            }
            request
                .headers_mut()
                .insert("x-plugged-in", "yes".parse().expect("header"));
            Ok(Handoff::new(42))
        })
    }

    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
        handoff: Handoff,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            // What `before_send` handed over arrives, and its carrier never leaves.
            assert_eq!(handoff, Handoff::new(42));
            assert!(
                request
                    .headers()
                    .keys()
                    .all(|name| !name.as_str().contains("handoff"))
            );
            self.seen
                .lock()
                .expect("lock")
                .push(format!("send {}", operation.operation_id));
            client.execute(request).await
        })
    }
}

fn client_with(server: &MockServer, recorder: &Arc<Recorder>) -> jelou_client::Client {
    let bare = generated_client(&server.base_url());
    jelou_client::Client::new_with_client(
        &server.base_url(),
        jelou_client::ClientInfo::client(&bare).clone(),
        Hooks::with_shared(Arc::clone(recorder) as Arc<dyn Interceptor>),
    )
}

#[tokio::test]
async fn an_interceptor_sees_every_call_and_may_change_the_request() {
    let server = MockServer::start_async().await;
    let mock = server.mock(|when, then| {
        when.method("GET")
            .path("/users/u1")
            .header("x-plugged-in", "yes");
        then.status(200).json_body(serde_json::json!({"id": "u1"}));
    });
    let recorder = Arc::new(Recorder::default());

    let user = client_with(&server, &recorder)
        .user_get()
        .id("u1")
        .send()
        .await
        .expect("ok");

    assert_eq!(user.id, "u1");
    assert_eq!(
        *recorder.seen.lock().expect("lock"),
        ["pre user_get", "send user_get"]
    );
    mock.assert_calls_async(1).await;
}

#[tokio::test]
async fn a_refusal_sends_nothing_and_surfaces_as_a_custom_error() {
    let server = MockServer::start_async().await;
    let mock = server.message_send(|_, then| {
        then.ok(&fixture_as("message_send.200.json"));
    });
    let recorder = Arc::new(Recorder {
        refuse: Some("message_send"),
        ..Recorder::default()
    });

    let body: jelou_client::types::MessageSendRequest =
        fixture_as("message_send.request.text_with_options.json");
    let error = client_with(&server, &recorder)
        .message_send()
        .bot_id("BOT_ID")
        .body(body)
        .send()
        .await
        .expect_err("refused");

    assert!(matches!(&error, jelou_client::Error::Custom(why) if why == "refused message_send"));
    assert_eq!(*recorder.seen.lock().expect("lock"), ["pre message_send"]);
    mock.assert_calls_async(0).await;
}

#[tokio::test]
async fn with_nothing_plugged_in_each_call_is_one_request() {
    let server = MockServer::start_async().await;
    let mock = server.history_list(|_, then| {
        then.server_error(503, &fixture_as("history_list.500.json"));
    });
    let one = NonZeroU32::MIN;

    let error = generated_client(&server.base_url())
        .history_list()
        .bot_id("b")
        .limit(one)
        .page(one)
        .send()
        .await
        .expect_err("503");

    assert_eq!(error.status().map(|s| s.as_u16()), Some(503));
    // No retry, no rate limiting: the bare client is plain generated code.
    mock.assert_calls_async(1).await;
}
