//! The axum extractor: only verified deliveries reach the handler; everything else is refused
//! with its status and nothing is decoded from it.

use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::State;
use axum::http::{Request, StatusCode};
use axum::routing::post;
use axum::{Router, extract::FromRef};
use jelou_webhooks::{Event, JelouEvent, SigningSecret, WebhookConfig};
use tower::ServiceExt;

#[derive(Clone)]
struct App {
    webhook: WebhookConfig,
    seen: Arc<Mutex<Vec<Event>>>,
}

impl FromRef<App> for WebhookConfig {
    fn from_ref(app: &App) -> Self {
        app.webhook.clone()
    }
}

async fn handler(State(app): State<App>, JelouEvent(event): JelouEvent) -> &'static str {
    app.seen.lock().expect("lock").push(event);
    "ok"
}

fn app(limit: usize) -> (Router, Arc<Mutex<Vec<Event>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let state = App {
        webhook: WebhookConfig::new(SigningSecret::new("whsec_test").expect("not empty"))
            .body_limit(limit),
        seen: Arc::clone(&seen),
    };
    (
        Router::new()
            .route("/jelou", post(handler))
            .with_state(state),
        seen,
    )
}

async fn deliver(router: Router, body: Vec<u8>, signature: Option<&str>) -> StatusCode {
    let mut request = Request::post("/jelou").header("content-type", "application/json");
    if let Some(signature) = signature {
        request = request.header("X-Jelou-Signature", signature);
    }
    router
        .oneshot(request.body(Body::from(body)).expect("a request"))
        .await
        .expect("an answer")
        .status()
}

fn panel_message() -> Vec<u8> {
    std::fs::read(format!(
        "{}/tests/fixtures/panel_message.json",
        env!("CARGO_MANIFEST_DIR")
    ))
    .expect("fixture")
}

const SIGNATURE: &str = "sha256=dc147737f43493d30451d87169ec2ba3e2e362fd60aeb7b1852998c8af121d5e";

#[tokio::test]
async fn a_signed_delivery_reaches_the_handler_decoded() {
    let (router, seen) = app(1024 * 1024);
    assert_eq!(
        deliver(router, panel_message(), Some(SIGNATURE)).await,
        StatusCode::OK
    );
    let seen = seen.lock().expect("lock");
    assert!(matches!(seen.as_slice(), [Event::Message(_)]), "{seen:?}");
}

#[tokio::test]
async fn every_bad_delivery_is_refused_and_nothing_reaches_the_handler() {
    let mut tampered = panel_message();
    tampered[10] ^= 1;
    let other_secret = SigningSecret::new("whsec_other")
        .expect("not empty")
        .sign(&panel_message());
    // (case, body, signature, expected status, body limit)
    type Case = (&'static str, Vec<u8>, Option<String>, StatusCode, usize);
    let cases: Vec<Case> = vec![
        (
            "tampered body",
            tampered,
            Some(SIGNATURE.into()),
            StatusCode::UNAUTHORIZED,
            1 << 20,
        ),
        (
            "another secret",
            panel_message(),
            Some(other_secret),
            StatusCode::UNAUTHORIZED,
            1 << 20,
        ),
        (
            "no header",
            panel_message(),
            None,
            StatusCode::UNAUTHORIZED,
            1 << 20,
        ),
        (
            "malformed header",
            panel_message(),
            Some("sha1=abc".into()),
            StatusCode::UNAUTHORIZED,
            1 << 20,
        ),
        (
            "over the limit",
            panel_message(),
            Some(SIGNATURE.into()),
            StatusCode::PAYLOAD_TOO_LARGE,
            100,
        ),
        (
            "signed but not an object",
            b"[1]".to_vec(),
            Some(
                SigningSecret::new("whsec_test")
                    .expect("not empty")
                    .sign(b"[1]"),
            ),
            StatusCode::BAD_REQUEST,
            1 << 20,
        ),
    ];
    for (case, body, signature, status, limit) in cases {
        let (router, seen) = app(limit);
        assert_eq!(
            deliver(router, body, signature.as_deref()).await,
            status,
            "{case}"
        );
        assert!(
            seen.lock().expect("lock").is_empty(),
            "{case}: the handler ran"
        );
    }
}
