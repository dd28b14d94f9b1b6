//! The HTTP face of the sandbox: authentication and the rate limit in front of every route,
//! request bodies parsed with the generated types, and every refusal as a documented envelope.

use std::collections::BTreeMap;

use axum::Extension;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::time::Instant;

use jelou_client::OperationSpec;
use jelou_client::check::{CheckError, RequestBody, RequestParts, Route, check_request, route_on};
use jelou_webhooks::SIGNATURE_HEADER;

use crate::Sandbox;
use crate::envelope::Refusal;
use crate::state::PanelCaller;

/// The largest request body accepted.
const BODY_LIMIT: usize = 1024 * 1024;

type Answer = Result<axum::Json<Value>, Refusal>;

/// Where the panel's gateway is served (also under `/platform`, the other prefix the pages
/// give).
const PANEL_PREFIX: &str = "/jelouapi";
/// Where the panel's messages to users are served.
const PANEL_DELIVERY_PREFIX: &str = "/chatbot";

/// The path under the sandbox's address of each host of its own that operations are on, by
/// the spec's name for it.
pub(crate) const SERVER_PREFIXES: [(&str, &str); 2] = [
    ("panel", PANEL_PREFIX),
    ("panel_delivery", PANEL_DELIVERY_PREFIX),
];

pub(crate) fn router(sandbox: Sandbox) -> Router {
    let panel = panel_router(&sandbox);
    api_router(&sandbox)
        // The panel's hosts, each under a path of its own: the gateway under both prefixes
        // the pages give, and the host of the panel's messages to users.
        .nest(PANEL_PREFIX, panel.clone())
        .nest("/platform", panel)
        .nest(PANEL_DELIVERY_PREFIX, delivery_router(&sandbox))
        .with_state(sandbox)
}

/// The API's own host.
fn api_router(sandbox: &Sandbox) -> Router<Sandbox> {
    Router::new()
        .route("/v1/users/{user}/cache", get(cache_get).post(cache_set))
        .route("/v1/bots/{bot}/messages", post(message_send))
        .route("/v1/external/messages/history/{bot}", get(history_list))
        .route("/users", get(user_list).post(user_create))
        .route("/users/{id}", get(user_get).put(user_update))
        .route("/users/{id}/session", put(user_session_update))
        .route("/query", post(chat_query))
        .route("/v1/users/{user}/state", get(user_state_get))
        .route("/v1/users/state", post(user_state_set))
        .route(
            "/v1/bots/{bot}/templates",
            get(template_list).post(template_create),
        )
        .route("/v2/whatsapp/{bot}/hsm", post(hsm_send))
        .route(
            "/v1/bots/{bot}/campaigns/{campaign}/template-messages",
            post(campaign_template_send),
        )
        .route(
            "/v2/databases/{database}/rows",
            get(row_list).post(row_create),
        )
        .route(
            "/v2/databases/{database}/rows/{row}",
            get(row_get).put(row_update).delete(row_delete),
        )
        // An operation of the spec that no route above serves, on a new path or on the path
        // of one that is served: `spec_rules` has already found it.
        .fallback(documented_answer)
        .method_not_allowed_fallback(documented_answer)
        .layer(middleware::from_fn_with_state(None, spec_rules))
        // The sandbox's own: not an operation of the API, so not under the spec's rules.
        .route("/_sandbox/say", post(say))
        .layer(middleware::from_fn_with_state(sandbox.clone(), guard))
}

/// The external support panel's gateway (`x-jelou-server: panel`).
fn panel_router(sandbox: &Sandbox) -> Router<Sandbox> {
    Router::new()
        .route(
            "/v1/external-support/{project}",
            post(panel_integration_create)
                .get(panel_integration_get)
                .patch(panel_integration_update),
        )
        .route(
            "/v1/external-support/{project}/conversations/start",
            post(panel_conversation_start),
        )
        .route(
            "/v1/external-support/{project}/conversations/close",
            post(panel_conversation_close),
        )
        .route(
            "/v1/external-support/{project}/conversations/{conversation}",
            get(panel_conversation_get),
        )
        .fallback(documented_answer)
        .method_not_allowed_fallback(documented_answer)
        .layer(middleware::from_fn_with_state(Some("panel"), spec_rules))
        .layer(middleware::from_fn_with_state(sandbox.clone(), panel_guard))
}

/// Where the panel sends its messages to users (`x-jelou-server: panel_delivery`): signed,
/// not authenticated; the handler verifies the signature.
fn delivery_router(sandbox: &Sandbox) -> Router<Sandbox> {
    Router::new()
        .route("/v1/external-support/webhook", post(panel_message_send))
        .fallback(documented_answer)
        .method_not_allowed_fallback(documented_answer)
        .layer(middleware::from_fn_with_state(
            Some("panel_delivery"),
            spec_rules,
        ))
        .layer(middleware::from_fn_with_state(sandbox.clone(), rate_limit))
}

/// Whether the request carries the account's Basic credentials.
fn has_account_credentials(sandbox: &Sandbox, request: &Request) -> bool {
    let credentials = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Basic "))
        .and_then(|encoded| STANDARD.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    credentials
        .as_deref()
        .and_then(|pair| pair.split_once(':'))
        .is_some_and(|(id, secret)| sandbox.lock().authenticates(id, secret))
}

/// Basic authentication, then the account's five requests per second.
async fn guard(State(sandbox): State<Sandbox>, request: Request, next: Next) -> Response {
    if !has_account_credentials(&sandbox, &request) {
        return Refusal::Unauthenticated.into_response();
    }
    rate_limit(State(sandbox), request, next).await
}

/// Who called the panel: `None` for the account (Basic), or the project key it sent.
#[derive(Clone, Debug)]
struct PanelKey(Option<String>);

impl PanelKey {
    fn caller(&self) -> PanelCaller<'_> {
        self.0
            .as_deref()
            .map_or(PanelCaller::Account, PanelCaller::ApiKey)
    }
}

/// The panel's authentication: a project's `x-api-key`, or else the account's Basic
/// credentials (the pages show both); then the account's rate limit.
async fn panel_guard(State(sandbox): State<Sandbox>, mut request: Request, next: Next) -> Response {
    let key = request
        .headers()
        .get("x-api-key")
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned);
    let caller = match key {
        Some(key) if sandbox.lock().knows_api_key(&key) => PanelKey(Some(key)),
        Some(_) => return Refusal::Unauthenticated.into_response(),
        None if has_account_credentials(&sandbox, &request) => PanelKey(None),
        None => return Refusal::Unauthenticated.into_response(),
    };
    request.extensions_mut().insert(caller);
    rate_limit(State(sandbox), request, next).await
}

/// The account's five requests per second; the events a request produced go out after it.
async fn rate_limit(State(sandbox): State<Sandbox>, request: Request, next: Next) -> Response {
    if let Err(refusal) = sandbox.lock().admit(Instant::now()) {
        return refusal.into_response();
    }
    let response = next.run(request).await;
    // The request's events go out after its answer is decided, in the order they happened.
    sandbox.flush_events();
    response
}

/// The spec's rules for every request, after authentication and the rate limit and before
/// any handler: the path and method must be an operation's (404, or 405 with `Allow`), and
/// the parameters and body must keep every limit of its schemas (422 naming the field). The
/// same rules the SDK applies before sending, stated once in the spec. The operation found
/// travels on with the request, for [`documented_answer`].
async fn spec_rules(
    State(server): State<Option<&'static str>>,
    request: Request,
    next: Next,
) -> Response {
    let (mut parts, body) = request.into_parts();
    let operation = match route_on(server, parts.method.as_str(), parts.uri.path()) {
        Route::Operation(operation) => operation,
        Route::WrongMethod(allowed) => return Refusal::WrongMethod(allowed).into_response(),
        _ => return Refusal::NoSuchPath.into_response(),
    };
    let Ok(bytes) = axum::body::to_bytes(body, BODY_LIMIT).await else {
        return Refusal::TooLarge.into_response();
    };
    let body = if bytes.is_empty() {
        RequestBody::Absent
    } else {
        RequestBody::Bytes(&bytes)
    };
    let parts_to_check =
        RequestParts::new(parts.uri.path(), parts.uri.query(), &parts.headers, body);
    match check_request(operation, parts_to_check) {
        Ok(()) => {
            parts.extensions.insert(operation);
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(CheckError::Broken(rule)) => Refusal::broken(&rule).into_response(),
        Err(other) => (
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            other.to_string(),
        )
            .into_response(),
    }
}

/// An operation of the spec that keeps no state in the sandbox answers its documented
/// example (the first success the spec shows an example for), or an empty object when the
/// pages show none.
async fn documented_answer(request: Request) -> Response {
    let Some(operation) = request
        .extensions()
        .get::<&'static OperationSpec>()
        .copied()
    else {
        return Refusal::NoSuchPath.into_response();
    };
    let documented = operation.responses.iter().find_map(|response| {
        let status: u16 = response.status.parse().ok()?;
        let example: Value = serde_json::from_str(response.example?).ok()?;
        (200..300).contains(&status).then_some((status, example))
    });
    match documented {
        Some((status, example)) => (
            axum::http::StatusCode::from_u16(status).unwrap_or(axum::http::StatusCode::OK),
            axum::Json(example),
        )
            .into_response(),
        // The pages show no answer: any JSON object is what the spec promises.
        None => axum::Json(serde_json::json!({})).into_response(),
    }
}

/// The request's query parameters by name (the last of repeated ones).
fn query_map(RawQuery(query): RawQuery) -> BTreeMap<String, String> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .into_owned()
        .collect()
}

fn segment(path: Result<Path<String>, PathRejection>) -> Result<String, Refusal> {
    path.map(|Path(segment)| segment)
        .map_err(|_| Refusal::NoSuchPath)
}

/// Reads and parses a JSON body with the generated type; a mismatch names the field.
async fn body<T: DeserializeOwned>(body: Body) -> Result<T, Refusal> {
    let bytes = axum::body::to_bytes(body, BODY_LIMIT)
        .await
        .map_err(|_| Refusal::TooLarge)?;
    let mut deserializer = serde_json::Deserializer::from_slice(&bytes);
    let parsed: Result<T, _> = serde_path_to_error::deserialize(&mut deserializer);
    let (field, detail) = match parsed {
        Ok(value) => match deserializer.end() {
            Ok(()) => return Ok(value),
            Err(trailing) => ("body".to_owned(), trailing.to_string()),
        },
        Err(error) => {
            let path = error.path().to_string();
            let field = if path == "." { "body".to_owned() } else { path };
            (field, error.into_inner().to_string())
        }
    };
    Err(Refusal::invalid(
        &field,
        format!("el campo {field} no es válido: {detail}"),
        format!("the {field} field is not valid: {detail}"),
        format!("o campo {field} não é válido: {detail}"),
    ))
}

async fn cache_get(
    State(sandbox): State<Sandbox>,
    user: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Answer {
    let user = segment(user)?;
    let query = query_map(query);
    let bot = query.get("botId").map(String::as_str);
    sandbox.lock().cache_get(&user, bot).map(axum::Json)
}

async fn cache_set(
    State(sandbox): State<Sandbox>,
    user: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    let user = segment(user)?;
    let request = body(request).await?;
    sandbox.lock().cache_set(&user, request).map(axum::Json)
}

async fn message_send(
    State(sandbox): State<Sandbox>,
    bot: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    let bot = segment(bot)?;
    // An unknown bot is a 404 whatever the body; the body is only read for a known one.
    sandbox.lock().bot_exists(&bot)?;
    let request = body(request).await?;
    sandbox.lock().message_send(&bot, request).map(axum::Json)
}

async fn history_list(
    State(sandbox): State<Sandbox>,
    bot: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Answer {
    let bot = segment(bot)?;
    sandbox
        .lock()
        .history_list(&bot, &query_map(query))
        .map(axum::Json)
}

async fn user_create(State(sandbox): State<Sandbox>, request: Body) -> Answer {
    let request = body(request).await?;
    sandbox.lock().user_create(request).map(axum::Json)
}

async fn user_list(State(sandbox): State<Sandbox>, query: RawQuery) -> Answer {
    sandbox.lock().user_list(&query_map(query)).map(axum::Json)
}

async fn user_get(
    State(sandbox): State<Sandbox>,
    id: Result<Path<String>, PathRejection>,
) -> Answer {
    let id = segment(id)?;
    sandbox.lock().user_get(&id).map(axum::Json)
}

async fn user_update(
    State(sandbox): State<Sandbox>,
    id: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    let id = segment(id)?;
    let request = body(request).await?;
    sandbox.lock().user_update(&id, request).map(axum::Json)
}

async fn user_session_update(
    State(sandbox): State<Sandbox>,
    id: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    let id = segment(id)?;
    let request = body(request).await?;
    sandbox
        .lock()
        .user_session_update(&id, request)
        .map(axum::Json)
}

async fn chat_query(State(sandbox): State<Sandbox>, request: Body) -> Answer {
    let request = body(request).await?;
    sandbox
        .lock()
        .chat_query(request, Instant::now())
        .map(axum::Json)
}

async fn user_state_get(
    State(sandbox): State<Sandbox>,
    user: Result<Path<String>, PathRejection>,
) -> Answer {
    let user = segment(user)?;
    sandbox
        .lock()
        .user_state_get(&user, Instant::now())
        .map(axum::Json)
}

async fn user_state_set(State(sandbox): State<Sandbox>, request: Body) -> Answer {
    let request = body(request).await?;
    sandbox
        .lock()
        .user_state_set(request, Instant::now())
        .map(axum::Json)
}

async fn template_list(
    State(sandbox): State<Sandbox>,
    bot: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Answer {
    let bot = segment(bot)?;
    let query = query_map(query);
    sandbox.lock().template_list(&bot, &query).map(axum::Json)
}

async fn template_create(
    State(sandbox): State<Sandbox>,
    bot: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    let bot = segment(bot)?;
    let request = body(request).await?;
    sandbox
        .lock()
        .template_create(&bot, request)
        .map(axum::Json)
}

async fn hsm_send(
    State(sandbox): State<Sandbox>,
    bot: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    let bot = segment(bot)?;
    let request = body(request).await?;
    sandbox.lock().hsm_send(&bot, request).map(axum::Json)
}

async fn campaign_template_send(
    State(sandbox): State<Sandbox>,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Body,
) -> Answer {
    let (bot, _campaign) = two_segments(path)?;
    let request = body(request).await?;
    sandbox
        .lock()
        .campaign_template_send(&bot, request)
        .map(axum::Json)
}

async fn row_list(
    State(sandbox): State<Sandbox>,
    database: Result<Path<String>, PathRejection>,
    query: RawQuery,
) -> Answer {
    let database = segment(database)?;
    let query = query_map(query);
    sandbox.lock().row_list(&database, &query).map(axum::Json)
}

async fn row_create(
    State(sandbox): State<Sandbox>,
    database: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    let database = segment(database)?;
    let request = body(request).await?;
    sandbox
        .lock()
        .row_create(&database, request)
        .map(axum::Json)
}

/// The two segments a path names (a database and a row, a bot and a campaign, a project and
/// a conversation).
fn two_segments(
    path: Result<Path<(String, String)>, PathRejection>,
) -> Result<(String, String), Refusal> {
    path.map(|Path(ids)| ids).map_err(|_| Refusal::NoSuchPath)
}

async fn row_get(
    State(sandbox): State<Sandbox>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Answer {
    let (database, row) = two_segments(path)?;
    sandbox.lock().row_get(&database, &row).map(axum::Json)
}

async fn row_update(
    State(sandbox): State<Sandbox>,
    path: Result<Path<(String, String)>, PathRejection>,
    request: Body,
) -> Answer {
    let (database, row) = two_segments(path)?;
    let request = body(request).await?;
    sandbox
        .lock()
        .row_update(&database, &row, request)
        .map(axum::Json)
}

async fn row_delete(
    State(sandbox): State<Sandbox>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Answer {
    let (database, row) = two_segments(path)?;
    sandbox.lock().row_delete(&database, &row).map(axum::Json)
}

/// `POST /_sandbox/say` `{"userId", "text", "botId"?}`: a user wrote to the bot (the demo bot
/// unless `botId` says otherwise). The sandbox's own route, for testing webhooks.
async fn say(State(sandbox): State<Sandbox>, request: Body) -> Answer {
    let request: Value = body(request).await?;
    let text = |field: &str| {
        request
            .get(field)
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let (Some(user), Some(said)) = (text("userId"), text("text")) else {
        return Err(Refusal::field_rule(
            "userId",
            "y text son obligatorios",
            "and text are required",
            "e text são obrigatórios",
        ));
    };
    let bot = text("botId").unwrap_or_else(|| crate::DEMO_BOT.to_owned());
    sandbox.lock().say(&bot, &user, &said).map(axum::Json)
}

/// A panel operation on a project with a JSON body: the caller, the project and the body
/// handed to `operation` under the state's lock.
async fn panel_write(
    sandbox: &Sandbox,
    key: &PanelKey,
    project: Result<Path<String>, PathRejection>,
    request: Body,
    operation: fn(
        &mut crate::state::State,
        PanelCaller<'_>,
        &str,
        &Value,
    ) -> Result<Value, Refusal>,
) -> Answer {
    let project = segment(project)?;
    let request: Value = body(request).await?;
    operation(&mut sandbox.lock(), key.caller(), &project, &request).map(axum::Json)
}

async fn panel_integration_create(
    State(sandbox): State<Sandbox>,
    Extension(key): Extension<PanelKey>,
    project: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    panel_write(
        &sandbox,
        &key,
        project,
        request,
        crate::state::State::panel_integration_create,
    )
    .await
}

async fn panel_integration_get(
    State(sandbox): State<Sandbox>,
    Extension(key): Extension<PanelKey>,
    project: Result<Path<String>, PathRejection>,
) -> Answer {
    let project = segment(project)?;
    sandbox
        .lock()
        .panel_integration_get(key.caller(), &project)
        .map(axum::Json)
}

async fn panel_integration_update(
    State(sandbox): State<Sandbox>,
    Extension(key): Extension<PanelKey>,
    project: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    panel_write(
        &sandbox,
        &key,
        project,
        request,
        crate::state::State::panel_integration_update,
    )
    .await
}

async fn panel_conversation_start(
    State(sandbox): State<Sandbox>,
    Extension(key): Extension<PanelKey>,
    project: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    panel_write(
        &sandbox,
        &key,
        project,
        request,
        crate::state::State::panel_conversation_start,
    )
    .await
}

async fn panel_conversation_close(
    State(sandbox): State<Sandbox>,
    Extension(key): Extension<PanelKey>,
    project: Result<Path<String>, PathRejection>,
    request: Body,
) -> Answer {
    panel_write(
        &sandbox,
        &key,
        project,
        request,
        crate::state::State::panel_conversation_close,
    )
    .await
}

async fn panel_conversation_get(
    State(sandbox): State<Sandbox>,
    Extension(key): Extension<PanelKey>,
    path: Result<Path<(String, String)>, PathRejection>,
) -> Answer {
    let (project, conversation) = two_segments(path)?;
    sandbox
        .lock()
        .panel_conversation_get(key.caller(), &project, &conversation)
        .map(axum::Json)
}

/// `panel_message_send`: verified with the signing secret of the integration of the body's
/// `project_id`, over the body's exact bytes; 401 when it does not match (or the project has
/// no integration).
async fn panel_message_send(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    request: Body,
) -> Answer {
    let bytes = axum::body::to_bytes(request, BODY_LIMIT)
        .await
        .map_err(|_| Refusal::TooLarge)?;
    let request: Value = serde_json::from_slice(&bytes).map_err(|_| Refusal::Unauthenticated)?;
    let project = request["project_id"].as_str().unwrap_or_default();
    let signature = headers
        .get(SIGNATURE_HEADER)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let secret = sandbox.lock().panel_signing_secret(project);
    let verified = secret.is_some_and(|secret| secret.verify(&bytes, signature).is_ok());
    if !verified {
        return Err(Refusal::Unauthenticated);
    }
    sandbox.lock().panel_message_send(&request).map(axum::Json)
}
