//! Shared helpers of the conformance suite: the spec, the fixtures transcribed from the
//! documentation pages, and clients pointed at a mock server.
#![forbid(unsafe_code)]

pub mod clock;
pub mod exchanges;
pub mod raw_server;

use std::num::NonZeroU32;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use httpmock::HttpMockRequest;
use jelou_ext::Jelou;
use jelou_ext::retry::{Jitter, RetryPolicy};
use serde::de::DeserializeOwned;

pub use clock::FastForwardClock;

/// The client id every test authenticates with.
pub const CLIENT_ID: &str = "client-id";
/// The client secret every test authenticates with.
pub const CLIENT_SECRET: &str = "s3cret:with:colons";
/// `Basic base64("client-id:s3cret:with:colons")`, computed independently of the SDK.
pub const EXPECTED_AUTHORIZATION: &str = "Basic Y2xpZW50LWlkOnMzY3JldDp3aXRoOmNvbG9ucw==";

/// The project API key every test of the panel's operations authenticates with.
pub const API_KEY: &str = "project-key-1";
/// The panel integration's signing secret of the tests.
pub const SIGNING_SECRET: &str = "signing-secret-1";

/// The signing secret of the tests.
pub fn signing_secret() -> jelou_webhooks::SigningSecret {
    jelou_webhooks::SigningSecret::new(SIGNING_SECRET)
        .unwrap_or_else(|e| panic!("the test secret is not empty: {e}"))
}

/// Whether `request` carries the authentication `operation` asks for first, as the tests'
/// credentials give it: Basic, the project's key, or the signature of its exact body.
pub fn authenticated_as_documented(
    operation: &jelou_client::OperationSpec,
    request: &HttpMockRequest,
) -> bool {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned)
    };
    match operation.auth.first() {
        None => true,
        Some(jelou_client::AuthScheme::Basic) => {
            header("authorization").as_deref() == Some(EXPECTED_AUTHORIZATION)
        }
        Some(jelou_client::AuthScheme::ApiKey { header: name }) => {
            header(name).as_deref() == Some(API_KEY)
        }
        Some(jelou_client::AuthScheme::Signature { header: name }) => {
            header(name).is_some_and(|value| {
                signing_secret()
                    .verify(request.body().as_ref(), &value)
                    .is_ok()
            })
        }
        Some(_) => false,
    }
}

/// What the tests' bare generated client plugs in: the project's key and the body's
/// signature for the operations that take them, as the low-level client's README shows.
#[derive(Debug)]
struct SpecAuthentication;

impl jelou_client::Interceptor for SpecAuthentication {
    fn before_send<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: jelou_client::Operation,
    ) -> jelou_client::BoxFuture<'a, Result<jelou_client::Handoff, String>> {
        Box::pin(async move {
            let Some(spec) = jelou_client::operation_spec(operation.operation_id) else {
                return Ok(jelou_client::Handoff::NONE);
            };
            let value = match spec.auth.first() {
                Some(jelou_client::AuthScheme::ApiKey { header }) => {
                    Some((*header, API_KEY.to_owned()))
                }
                Some(jelou_client::AuthScheme::Signature { header }) => {
                    let body = request
                        .body()
                        .and_then(reqwest::Body::as_bytes)
                        .unwrap_or_default();
                    Some((*header, signing_secret().sign(body)))
                }
                _ => None,
            };
            if let Some((name, value)) = value {
                let name = reqwest::header::HeaderName::from_bytes(name.as_bytes())
                    .map_err(|e| e.to_string())?;
                let value =
                    reqwest::header::HeaderValue::from_str(&value).map_err(|e| e.to_string())?;
                request.headers_mut().insert(name, value);
            }
            Ok(jelou_client::Handoff::NONE)
        })
    }
}

/// The folder of fixture files.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A fixture file as JSON. Panics (failing the test) when it is missing or not JSON.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

/// A fixture file decoded into `T`. Panics (failing the test) when it does not decode.
pub fn fixture_as<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(fixture(name)).unwrap_or_else(|e| {
        panic!(
            "fixture {name} does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    })
}

/// The project's OpenAPI spec, as YAML (to read the `x-jelou-*` extensions).
pub fn spec_yaml() -> serde_yaml::Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/jelou.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("the spec is not YAML: {e}"))
}

/// The project's OpenAPI spec.
pub fn spec() -> openapiv3::OpenAPI {
    serde_yaml::from_value(spec_yaml())
        .unwrap_or_else(|e| panic!("the spec is not OpenAPI 3.0: {e}"))
}

/// Every `(operationId, method, path)` in the spec, in spec order.
pub fn spec_operations() -> Vec<(String, String, String)> {
    spec()
        .paths
        .iter()
        .filter_map(|(path, item)| Some((path.clone(), item.as_item()?.clone())))
        .flat_map(|(path, item)| {
            item.iter()
                .map(|(method, op)| {
                    (
                        op.operation_id.clone().unwrap_or_default(),
                        method.to_owned(),
                        path.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A generated client with nothing of jelou-ext plugged in, that authenticates like the
/// README shows: Basic on every request, and per operation the project's key or the body's
/// signature when the spec asks for them.
pub fn generated_client(base_url: &str) -> jelou_client::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        jelou_client::basic_auth_header(CLIENT_ID, CLIENT_SECRET)
            .unwrap_or_else(|e| panic!("test credentials are valid header bytes: {e}")),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap_or_else(|e| panic!("reqwest client builds: {e}"));
    jelou_client::Client::new_with_client(
        base_url,
        http,
        jelou_client::Hooks::with(SpecAuthentication),
    )
}

/// `n` as the positive number the generated builders take.
pub fn non_zero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n).unwrap_or_else(|| panic!("test values are positive, not {n}"))
}

/// The `jelou-ext` retry policy of the suite: the defaults without jitter, so that waits are
/// exact.
pub fn exact_retries() -> RetryPolicy {
    RetryPolicy::default().with_jitter(Jitter::None)
}

/// A `jelou-ext` builder for a mock server, authenticating like [`generated_client`]. Waits
/// pass in real time; the default rate limit and retries apply.
pub fn ext_builder(base_url: &str) -> jelou_ext::JelouBuilder {
    let mut builder = Jelou::builder()
        .credentials(CLIENT_ID, CLIENT_SECRET)
        .api_key(API_KEY)
        .signing_secret(signing_secret());
    // The panel's hosts are the mock server too: its paths tell the operations apart.
    for server in jelou_client::OPERATIONS.iter().filter_map(|op| op.server) {
        builder = builder.server_base_url(server.name, base_url);
    }
    builder
        .base_url(base_url)
        .retry_policy(exact_retries())
        // A safety net for a hung test, far above any answer the suite expects.
        .request_timeout(Duration::from_secs(10))
}

/// A `jelou-ext` client for a mock server whose waits (rate limit, backoff, `Retry-After`)
/// cost no wall time; the clock says how long the client chose to wait.
pub fn ext_client(base_url: &str) -> (Jelou, Arc<FastForwardClock>) {
    ext_client_with(base_url, |builder| builder)
}

/// [`ext_client`], with `configure` applied to the builder last.
pub fn ext_client_with(
    base_url: &str,
    configure: impl FnOnce(jelou_ext::JelouBuilder) -> jelou_ext::JelouBuilder,
) -> (Jelou, Arc<FastForwardClock>) {
    let clock = Arc::new(FastForwardClock::default());
    let builder = ext_builder(base_url)
        .clock(Arc::clone(&clock) as Arc<dyn jelou_ext::clock::Clock>)
        .call_timeout(None);
    let jelou = configure(builder)
        .build()
        .unwrap_or_else(|e| panic!("the test client builds: {e}"));
    (jelou, clock)
}

/// An httpmock matcher true for the first `n` requests it is asked about, so that a mock
/// registered before another answers only the first `n` requests ("fail twice, then succeed").
/// It must be the first mock registered: httpmock asks the mocks in the order they were made.
pub fn first_calls(n: usize) -> impl Fn(&HttpMockRequest) -> bool + Send + Sync + 'static {
    let asked = AtomicUsize::new(0);
    move |_| asked.fetch_add(1, Ordering::SeqCst) < n
}

/// What a bare generated call returns.
pub type GeneratedResult<T> =
    Result<jelou_client::ResponseValue<T>, jelou_client::Error<jelou_client::types::ApiError>>;

/// Page 1 of `BOT_ID`'s history, ten per page, through the bare generated client.
pub async fn generated_history(
    base_url: &str,
) -> GeneratedResult<jelou_client::types::HistoryPage> {
    generated_client(base_url)
        .history_list()
        .bot_id(exchanges::BOT_ID)
        .limit(non_zero(10))
        .page(non_zero(1))
        .send()
        .await
}

/// A plain text message from `BOT_ID` through the bare generated client.
pub async fn generated_send(
    base_url: &str,
) -> GeneratedResult<jelou_client::types::MessageSendResponse> {
    use jelou_client::types::{MessageSendRequest, TextMessage, TextMessageType};
    let text = TextMessage::builder()
        .type_(TextMessageType::Text)
        .user_id("USER_ID".to_owned())
        .text("hola");
    let body =
        MessageSendRequest::from(TextMessage::try_from(text).expect("a complete text message"));
    generated_client(base_url)
        .message_send()
        .bot_id(exchanges::BOT_ID)
        .body(body)
        .send()
        .await
}
