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

#[derive(Clone)]
struct Receiver {
    webhook: WebhookConfig,
    deliveries: Deliveries,
}

impl FromRef<Receiver> for WebhookConfig {
    fn from_ref(receiver: &Receiver) -> Self {
        receiver.webhook.clone()
    }
}

fn id_and_kind(event: &Event) -> (String, String) {
    let (extra, kind) = match event {
        Event::Message(m) => (&m.event.extra, "message".to_owned()),
        Event::Delivery(d) => (&d.raw, format!("{:?}", d.kind)),
        other => panic!("an event the sandbox does not send: {other:?}"),
    };
    let id = extra["event_id"].as_str().expect("an event id").to_owned();
    (id, kind)
}

async fn handler(State(receiver): State<Receiver>, JelouEvent(event): JelouEvent) -> StatusCode {
    let (id, kind) = id_and_kind(&event);
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
fn start_receiver() -> (u16, Deliveries) {
    let deliveries = Arc::new(Mutex::new(Vec::new()));
    let receiver = Receiver {
        webhook: WebhookConfig::new(SigningSecret::new(SECRET).expect("not empty")),
        deliveries: Arc::clone(&deliveries),
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
    (port, deliveries)
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
    let output = Command::new(assert_cmd::cargo::cargo_bin("jelou"))
        .env("JELOU_BASE_URL", base_url)
        .env("JELOU_CLIENT_ID", DEMO_CLIENT_ID)
        .env("JELOU_CLIENT_SECRET", DEMO_CLIENT_SECRET)
        .args(["--output", "json"])
        .args(args)
        .output()
        .expect("runs");
    assert!(
        output.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn the_sandbox_delivers_every_event_once_verified_in_order_after_a_failed_delivery() {
    let (receiver_port, deliveries) = start_receiver();
    let sandbox_port = free_port();
    let _sandbox = Killed(
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
    let base_url = format!("http://127.0.0.1:{sandbox_port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", sandbox_port)).is_err() {
        assert!(Instant::now() < deadline, "the sandbox never listened");
        std::thread::sleep(Duration::from_millis(50));
    }

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
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let accepted = deliveries
            .lock()
            .expect("lock")
            .iter()
            .filter(|d| d.2)
            .count();
        if accepted >= EVENTS {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "only {accepted} of {EVENTS} events arrived"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    // Anything late would show up now.
    std::thread::sleep(Duration::from_millis(500));
    let deliveries = deliveries.lock().expect("lock").clone();
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
