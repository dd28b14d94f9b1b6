#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod clock;
mod envelope;
mod routes;
mod seed;
mod state;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use seed::{
    DEMO_BOT, DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_PHONE, DEMO_USER_ID, Seed, SeedCredentials,
    SeedUser,
};

use state::State;

/// A simulated Jelou API: its state and its HTTP routes. Cloning shares the state.
#[derive(Clone, Debug)]
pub struct Sandbox {
    state: Arc<Mutex<State>>,
}

impl Sandbox {
    /// A sandbox starting from `seed`.
    pub fn new(seed: Seed) -> Self {
        Self {
            state: Arc::new(Mutex::new(State::new(seed))),
        }
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
        format!("http://{}", self.addr)
    }
}

impl Drop for RunningSandbox {
    fn drop(&mut self) {
        self.task.abort();
    }
}
