//! `jelou webhooks listen`: a local receiver that verifies each delivery and prints it, the
//! quickest way to see what Jelou sends.

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use jelou_webhooks::{Event, ReceiveError, SIGNATURE_HEADER, SigningSecret, receive};
use serde_json::Value;

use crate::args::WebhooksCommand;
use crate::failure::Failure;

#[derive(Clone)]
struct Listener {
    secret: SigningSecret,
    readable: bool,
}

pub(crate) async fn webhooks(command: WebhooksCommand) -> Result<(), Failure> {
    let WebhooksCommand::Listen {
        port,
        host,
        secret,
        max_body,
    } = command;
    let secret =
        SigningSecret::new(secret).map_err(|e| Failure::usage(format!("--secret: {e}")))?;
    let listener = Listener {
        secret,
        readable: std::io::stdout().is_terminal(),
    };
    let router = Router::new()
        .fallback(post(deliver))
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(listener);
    let addr = SocketAddr::new(host, port);
    let socket = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| Failure::usage(format!("cannot listen on {addr}: {e}")))?;
    eprintln!("listening for Jelou deliveries on http://{addr} (any path, POST)");
    tokio::select! {
        served = axum::serve(socket, router) => served
            .map_err(|e| Failure::internal(format!("the listener stopped: {e}"))),
        _ = tokio::signal::ctrl_c() => Ok(()),
    }
}

async fn deliver(
    State(listener): State<Listener>,
    headers: HeaderMap,
    body: Bytes,
) -> (StatusCode, &'static str) {
    let signature = headers
        .get(SIGNATURE_HEADER)
        .map(|v| v.to_str().unwrap_or("\u{fffd}"));
    match receive(&listener.secret, &body, signature) {
        Ok(event) => {
            let line = if listener.readable {
                readable(&event)
            } else {
                // The verified body, on one line.
                serde_json::from_slice::<Value>(&body)
                    .map_or_else(|_| String::new(), |v| v.to_string())
            };
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
            (StatusCode::OK, "ok")
        }
        Err(error) => {
            eprintln!("refused a delivery: {error}");
            match error {
                ReceiveError::Decode(_) => (StatusCode::BAD_REQUEST, "not a JSON object"),
                _ => (StatusCode::UNAUTHORIZED, "bad signature"),
            }
        }
    }
}

/// One line for a person.
fn readable(event: &Event) -> String {
    match event {
        Event::Message(message) => {
            let who = message
                .contact
                .as_ref()
                .and_then(|c| c.name.clone().or_else(|| c.id.clone()))
                .unwrap_or_default();
            let value = message.value.as_ref();
            let kind = value.and_then(|v| v.kind.clone()).unwrap_or_default();
            let content = value
                .and_then(|v| v.content.as_ref())
                .and_then(|c| c.get("body").or_else(|| c.get("url")))
                .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
                .unwrap_or_default();
            format!("message  {who} ({kind}): {content}")
        }
        Event::ConversationStart(e) => format!(
            "conversation.start  room {}",
            e.room_id.as_deref().unwrap_or("?")
        ),
        Event::ConversationClose(e) => format!(
            "conversation.close  room {}",
            e.room_id.as_deref().unwrap_or("?")
        ),
        Event::Delivery(d) => format!("{:?}  {}", d.kind, Value::Object(d.raw.clone())),
        Event::Unknown(raw) => format!("unknown  {}", Value::Object(raw.clone())),
        other => format!("{other:?}"),
    }
}

/// `jelou sandbox say`: posts to the sandbox's own `/_sandbox/say` at the base URL.
pub(crate) async fn say(
    globals: &crate::args::Globals,
    user: &str,
    bot: Option<&str>,
    text: &str,
) -> Result<(), Failure> {
    let base_url = globals.base_url.as_deref().ok_or_else(|| {
        Failure::usage("sandbox say needs the sandbox's --base-url (or JELOU_BASE_URL)")
    })?;
    let client_id = globals
        .client_id
        .as_deref()
        .unwrap_or(jelou_sandbox::DEMO_CLIENT_ID);
    let secret = globals
        .client_secret
        .as_deref()
        .unwrap_or(jelou_sandbox::DEMO_CLIENT_SECRET);
    let mut body = serde_json::json!({"userId": user, "text": text});
    if let Some(bot) = bot {
        body["botId"] = Value::from(bot);
    }
    let url = format!("{}/_sandbox/say", base_url.trim_end_matches('/'));
    let answer = reqwest::Client::new()
        .post(&url)
        .basic_auth(client_id, Some(secret))
        .json(&body)
        .send()
        .await
        .map_err(|e| Failure::internal(format!("cannot reach the sandbox at {url}: {e}")))?;
    let status = answer.status();
    let text = answer.text().await.unwrap_or_default();
    if !status.is_success() {
        return Err(Failure::usage(format!(
            "the sandbox answered {status}: {text}"
        )));
    }
    println!("{text}");
    Ok(())
}
