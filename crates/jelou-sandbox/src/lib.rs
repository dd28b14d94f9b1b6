#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod clock;
mod envelope;
mod routes;
mod seed;
mod state;
mod webhook;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use seed::{
    DEMO_API_KEY, DEMO_BOT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PHONE, DEMO_PROJECT,
    DEMO_USER_ID, Seed, SeedCredentials, SeedProject, SeedUser,
};

use state::State;
use webhook::Outbox;
pub use webhook::WebhookTarget;

/// A simulated Jelou API: its state and its HTTP routes. Cloning shares the state.
#[derive(Clone, Debug)]
pub struct Sandbox {
    state: Arc<Mutex<State>>,
    outbox: Outbox,
}

impl Sandbox {
    /// A sandbox starting from `seed`.
    pub fn new(seed: Seed) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new(seed))),
            outbox: Outbox::default(),
        }
    }

    /// Delivers the sandbox's events to your own service at `target`, signed as Jelou signs
    /// them: after each message it accepts, the template delivery events `delivered_channel`
    /// and `delivered_user`; when told that a user wrote (`POST /_sandbox/say`, or
    /// `jelou sandbox say`), the external panel's `message` event. Each event carries a stable
    /// `event_id`; a delivery that fails or times out is retried, in order.
    ///
    /// The external support panel's events (`conversation.start`, `conversation.close`,
    /// and `message` during a panel conversation) go to the same `target`, which stands in
    /// for the integration's public HTTPS URL; its integrations are created with the
    /// target's secret as their signing secret.
    #[must_use]
    pub fn with_webhook(mut self, target: WebhookTarget) -> Self {
        let secret = String::from_utf8_lossy(target.secret().expose()).into_owned();
        self.lock().set_webhook_secret(secret);
        self.outbox = Outbox::to(target);
        self
    }

    /// Sends the events the last request produced.
    pub(crate) fn flush_events(&self) {
        let events = self.lock().take_events();
        self.outbox.send(events);
    }

    /// The sandbox's routes, to serve yourself or to call in-process.
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// Listens on `addr` (port 0 for any free port) and serves in the background until the
    /// returned handle is dropped.
    pub async fn start(self, addr: SocketAddr) -> std::io::Result<RunningSandbox> {
        let listener = TcpListener::bind(addr).await?;
        let local_addr = listener.local_addr()?;
        let router = self.router();
        let task = tokio::spawn(async move {
            // Serving only ends when the task is aborted; an accept error is retried by axum.
            let _ = axum::serve(listener, router).await;
        });
        Ok(RunningSandbox {
            addr: local_addr,
            task,
        })
    }

    /// Listens on `addr` and serves until the process ends.
    pub async fn serve(self, addr: SocketAddr) -> std::io::Result<()> {
        let listener = TcpListener::bind(addr).await?;
        axum::serve(listener, self.router()).await
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        // Every update of the state is complete before it can panic, so a poisoned lock still
        // holds consistent data.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A sandbox serving in the background. Dropping it stops the server.
#[derive(Debug)]
pub struct RunningSandbox {
    addr: SocketAddr,
    task: JoinHandle<()>,
}

impl RunningSandbox {
    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`, to hand to a client as its base URL.
    pub fn base_url(&self) -> String {
        base_url(self.addr)
    }

    /// The base URL of each host of its own that operations are on (the external support
    /// panel's), by the spec's name for it: `("panel", "http://<addr>/jelouapi")` and
    /// `("panel_delivery", "http://<addr>/chatbot")`.
    pub fn server_base_urls(&self) -> Vec<(&'static str, String)> {
        server_base_urls(self.addr)
    }
}

/// `http://<addr>`.
pub fn base_url(addr: SocketAddr) -> String {
    format!("http://{addr}")
}

/// The base URL of each host of its own of a sandbox listening on `addr`, by the spec's name
/// for it (see [`RunningSandbox::server_base_urls`]).
pub fn server_base_urls(addr: SocketAddr) -> Vec<(&'static str, String)> {
    routes::SERVER_PREFIXES
        .iter()
        .map(|(name, prefix)| (*name, format!("http://{addr}{prefix}")))
        .collect()
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
