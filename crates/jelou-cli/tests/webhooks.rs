//! End to end without Jelou: `jelou sandbox serve --webhook-url` delivers signed events to a
//! receiver built with `jelou-webhooks`' axum extractor, while `jelou` sends messages,
//! templates and simulated user replies. Every event arrives verified and decoded, exactly once
//! per id, in the order it happened, also after the receiver fails a delivery with a 500.

use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{FromRef, State};
use axum::http::StatusCode;
use axum::routing::post;
use jelou_sandbox::{DEMO_BOT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PHONE};
use jelou_webhooks::{Event, JelouEvent, SigningSecret, WebhookConfig};

const SECRET: &str = "whsec_sandbox_test";

/// Every delivery that reached the handler: its event id, its kind, and whether it was
/// accepted.
type Deliveries = Arc<Mutex<Vec<(String, String, bool)>>>;

/// The conversation each accepted panel event names, by event id.
type Conversations = Arc<Mutex<Vec<(String, String)>>>;

#[derive(Clone)]
struct Receiver {
    webhook: WebhookConfig,
    deliveries: Deliveries,
    conversations: Conversations,
}

impl FromRef<Receiver> for WebhookConfig {
    fn from_ref(receiver: &Receiver) -> Self {
        receiver.webhook.clone()
    }
}

fn id_and_kind(event: &Event) -> (String, String) {
    let (extra, kind) = match event {
        Event::Message(m) => (&m.event.extra, "message".to_owned()),
        Event::ConversationStart(e) => (&e.extra, "conversation.start".to_owned()),
        Event::ConversationClose(e) => (&e.extra, "conversation.close".to_owned()),
        Event::Delivery(d) => (&d.raw, format!("{:?}", d.kind)),
        other => panic!("an event the sandbox does not send: {other:?}"),
    };
    let id = extra["event_id"].as_str().expect("an event id").to_owned();
    (id, kind)
}

async fn handler(State(receiver): State<Receiver>, JelouEvent(event): JelouEvent) -> StatusCode {
    let (id, kind) = id_and_kind(&event);
    let conversation = match &event {
        Event::Message(m) => m.conversation.as_ref().and_then(|c| c.id.clone()),
        Event::ConversationStart(e) | Event::ConversationClose(e) => {
            e.extra["conversation"]["id"].as_str().map(str::to_owned)
        }
        _ => None,
    };
    if let Some(conversation) = conversation {
        receiver
            .conversations
            .lock()
            .expect("lock")
            .push((id.clone(), conversation));
    }
    let mut deliveries = receiver.deliveries.lock().expect("lock");
    // The very first delivery fails: the sandbox must try it again.
    let accept = !deliveries.is_empty();
    deliveries.push((id, kind, accept));
    if accept {
        StatusCode::OK
    } else {
        StatusCode::INTERNAL_SERVER_ERROR
    }
}

/// The receiver, served from a thread of its own; its port and what it saw.
fn start_receiver() -> (u16, Deliveries, Conversations) {
    let deliveries = Arc::new(Mutex::new(Vec::new()));
    let conversations = Arc::new(Mutex::new(Vec::new()));
    let receiver = Receiver {
        webhook: WebhookConfig::new(SigningSecret::new(SECRET).expect("not empty")),
        deliveries: Arc::clone(&deliveries),
        conversations: Arc::clone(&conversations),
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("non-blocking");
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).expect("a listener");
            let router = Router::new()
                .route("/jelou", post(handler))
                .with_state(receiver);
            axum::serve(listener, router).await.expect("serves");
        });
    });
    (port, deliveries, conversations)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("a port")
        .local_addr()
        .expect("addr")
        .port()
}

struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn jelou(base_url: &str, args: &[&str]) {
    jelou_answer(base_url, &[], args);
}

/// Runs `jelou` against the sandbox at `base_url` (its panel's hosts too) with `env` added,
/// and returns what it printed.
fn jelou_answer(base_url: &str, env: &[(&str, &str)], args: &[&str]) -> String {
    let output = Command::new(assert_cmd::cargo::cargo_bin("jelou"))
        .env("JELOU_BASE_URL", base_url)
        .env("JELOU_PANEL_BASE_URL", format!("{base_url}/jelouapi"))
        .env(
            "JELOU_PANEL_DELIVERY_BASE_URL",
            format!("{base_url}/chatbot"),
        )
        .env("JELOU_CLIENT_ID", DEMO_CLIENT_ID)
        .env("JELOU_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .envs(env.iter().copied())
        .args(["--output", "json"])
        .args(args)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).expect("UTF-8")
}

/// `jelou sandbox serve` delivering to the receiver on `receiver_port`; its base URL.
fn start_sandbox(receiver_port: u16) -> (Killed, String) {
    let sandbox_port = free_port();
    let sandbox = Killed(
        Command::new(assert_cmd::cargo::cargo_bin("jelou"))
            .args([
                "sandbox",
                "serve",
                "--addr",
                &format!("127.0.0.1:{sandbox_port}"),
            ])
            .args([
                "--webhook-url",
                &format!("http://127.0.0.1:{receiver_port}/jelou"),
            ])
            .args(["--webhook-secret", SECRET])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("the sandbox starts"),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", sandbox_port)).is_err() {
        assert!(Instant::now() < deadline, "the sandbox never listened");
        std::thread::sleep(Duration::from_millis(50));
    }
    (sandbox, format!("http://127.0.0.1:{sandbox_port}"))
}

/// Waits until `count` deliveries were accepted, then a little longer for any straggler,
/// and returns them all.
fn accepted_deliveries(deliveries: &Deliveries, count: usize) -> Vec<(String, String, bool)> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let accepted = deliveries
            .lock()
            .expect("lock")
            .iter()
            .filter(|d| d.2)
            .count();
        if accepted >= count {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {accepted} of {count} events arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    deliveries.lock().expect("lock").clone()
}

#[test]
fn the_sandbox_delivers_every_event_once_verified_in_order_after_a_failed_delivery() {
    let (receiver_port, deliveries, _) = start_receiver();
    let (_sandbox, base_url) = start_sandbox(receiver_port);

    jelou(
        &base_url,
        &[
            "messages", "send", "--bot", DEMO_BOT, "--user", DEMO_PHONE, "--text", "hola",
        ],
    );
    jelou(
        &base_url,
        &[
            "sandbox",
            "say",
            "--user",
            DEMO_PHONE,
            "quiero ver mi pedido",
        ],
    );
    jelou(
        &base_url,
        &[
            "messages",
            "send",
            "--bot",
            DEMO_BOT,
            "--user",
            DEMO_PHONE,
            "--image",
            "https://example.com/pedido.png",
            "--caption",
            "Tu pedido",
        ],
    );
    jelou(
        &base_url,
        &["sandbox", "say", "--user", DEMO_PHONE, "gracias"],
    );
    jelou(
        &base_url,
        &[
            "templates",
            "send",
            "--bot",
            DEMO_BOT,
            "--name",
            "recordatorio_cita",
            "--to",
            "593999999999",
            "--to",
            "593988888888",
            "--param",
            "Ana",
        ],
    );

    // 2 messages and 2 template sends, 2 delivery events each; 2 user messages.
    const EVENTS: usize = 10;
    let deliveries = accepted_deliveries(&deliveries, EVENTS);
    let (refused, accepted): (Vec<_>, Vec<_>) = deliveries.iter().partition(|d| !d.2);
    assert_eq!(refused.len(), 1, "{deliveries:?}");
    // The refused delivery came again, and was the first accepted.
    assert_eq!(accepted[0].0, refused[0].0, "{deliveries:?}");
    let ids: Vec<&str> = accepted.iter().map(|d| d.0.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), EVENTS, "each event exactly once: {ids:?}");
    assert_eq!(ids, unique, "in the order they happened: {ids:?}");
    let kinds: Vec<&str> = accepted.iter().map(|d| d.1.as_str()).collect();
    assert_eq!(
        kinds,
        [
            "DeliveredChannel",
            "DeliveredUser",
            "message",
            "DeliveredChannel",
            "DeliveredUser",
            "message",
            "DeliveredChannel",
            "DeliveredUser",
            "DeliveredChannel",
            "DeliveredUser",
        ]
    );
}

#[test]
fn the_panel_connects_hands_a_conversation_over_hears_the_user_replies_signed_and_closes() {
    use jelou_sandbox::{DEMO_API_KEY, DEMO_PROJECT};
    let (receiver_port, deliveries, conversations) = start_receiver();
    let (_sandbox, base_url) = start_sandbox(receiver_port);
    let folder = std::env::temp_dir().join(format!("jelou-panel-{}", std::process::id()));
    std::fs::create_dir_all(&folder).expect("a folder");
    let secret_file = folder.join("signing-secret");
    let _ = std::fs::remove_file(&secret_file);
    // The panel with the project's key alone: no account credentials.
    let key = [
        ("JELOU_API_KEY", DEMO_API_KEY),
        ("JELOU_CLIENT_ID", ""),
        ("JELOU_CLIENT_SECRET", ""),
    ];

    let created = jelou_answer(
        &base_url,
        &key,
        &[
            "panel",
            "integration-create",
            "--project-id",
            DEMO_PROJECT,
            "--webhook-url",
            "https://example.com/jelou",
            "--secret-file",
            secret_file.to_str().expect("UTF-8"),
        ],
    );
    // The secret is kept in the file, never printed; the sandbox signs with its webhook's.
    assert!(
        !created.contains(SECRET) && created.contains("<redacted>"),
        "{created}"
    );
    let secret = std::fs::read_to_string(&secret_file).expect("the secret file");
    assert_eq!(secret.trim_end(), SECRET);

    let started: serde_json::Value = serde_json::from_str(&jelou_answer(
        &base_url,
        &key,
        &[
            "panel",
            "conversation-start",
            "--project-id",
            DEMO_PROJECT,
            "--bot-id",
            DEMO_BOT,
            "--user-id",
            DEMO_PHONE,
            "--initial-message",
            "Te atiende un agente",
        ],
    ))
    .expect("JSON");
    let conversation = started["data"]["_id"].as_str().expect("an id").to_owned();
    let room = started["data"]["roomId"]
        .as_str()
        .expect("a room")
        .to_owned();
    jelou(
        &base_url,
        &["sandbox", "say", "--user", DEMO_PHONE, "necesito ayuda"],
    );
    let value = r#"{"id":"agent-1","type":"text","content":{"body":"Hola, soy Ana"}}"#;
    let signed = [
        key[0],
        key[1],
        key[2],
        ("JELOU_SIGNING_SECRET", secret.trim_end()),
    ];
    jelou_answer(
        &base_url,
        &signed,
        &[
            "panel",
            "message-send",
            "--project-id",
            DEMO_PROJECT,
            "--room-id",
            &room,
            "--bot-id",
            DEMO_BOT,
            "--user-id",
            DEMO_PHONE,
            "--value",
            value,
        ],
    );
    jelou_answer(
        &base_url,
        &key,
        &[
            "panel",
            "conversation-close",
            "--project-id",
            DEMO_PROJECT,
            "--bot-id",
            DEMO_BOT,
            "--user-id",
            DEMO_PHONE,
            "--redirect-payload",
            r#"{"type":"text","text":"Gracias"}"#,
        ],
    );

    let deliveries = accepted_deliveries(&deliveries, 3);
    let (refused, accepted): (Vec<_>, Vec<_>) = deliveries.iter().partition(|d| !d.2);
    assert_eq!(refused.len(), 1, "{deliveries:?}");
    assert_eq!(
        accepted[0].0, refused[0].0,
        "the refused one came again first"
    );
    let kinds: Vec<&str> = accepted.iter().map(|d| d.1.as_str()).collect();
    assert_eq!(
        kinds,
        ["conversation.start", "message", "conversation.close"],
        "{deliveries:?}"
    );
    let ids: Vec<&str> = accepted.iter().map(|d| d.0.as_str()).collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(ids, unique, "each once, in order: {ids:?}");
    // Each of the three names the conversation handed over.
    let named = conversations.lock().expect("lock").clone();
    for id in ids {
        assert!(
            named
                .iter()
                .any(|(event, c)| event == id && *c == conversation),
            "{id}: {named:?}"
        );
    }

    let read: serde_json::Value = serde_json::from_str(&jelou_answer(
        &base_url,
        &key,
        &[
            "panel",
            "conversation-get",
            "--project-id",
            DEMO_PROJECT,
            "--conversation-id",
            &conversation,
        ],
    ))
    .expect("JSON");
    assert_eq!(read["data"]["state"], "closed");
    let _ = std::fs::remove_dir_all(&folder);
}
