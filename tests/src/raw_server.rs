//! A tiny HTTP server for the one fault httpmock cannot produce: a connection closed in the
//! middle of the answer. It reads each request whole before answering, so a request it counts
//! is one the server received.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// How the server answers one request.
#[derive(Clone, Debug)]
pub enum RawReply {
    /// A 200 that promises a JSON body of 1000 bytes, sends 20 and closes the connection.
    CutShort,
    /// A complete answer with this status and JSON body.
    Json(u16, String),
}

impl RawReply {
    fn bytes(&self) -> Vec<u8> {
        match self {
            Self::CutShort => b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\nconnection: close\r\n\r\n{\"success\": true, \"m".to_vec(),
            Self::Json(status, body) => format!(
                "HTTP/1.1 {status} Scripted\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        }
    }
}

/// A server answering the `n`th request with the `n`th reply of its script (the last one
/// again once the script runs out), one connection per request.
#[derive(Debug)]
pub struct RawServer {
    base_url: String,
    received: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl RawServer {
    /// Starts listening on a free loopback port.
    pub async fn start(script: Vec<RawReply>) -> Self {
        assert!(!script.is_empty(), "a script needs at least one reply");
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port is free");
        let base_url = format!("http://{}", listener.local_addr().expect("bound address"));
        let received = Arc::new(AtomicUsize::new(0));
        let counter = Arc::clone(&received);
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let script = script.clone();
                let counter = Arc::clone(&counter);
                tokio::spawn(async move {
                    let _ = answer_one(stream, &script, &counter).await;
                });
            }
        });
        Self {
            base_url,
            received,
            task,
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Requests received in full so far.
    pub fn received(&self) -> usize {
        self.received.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn answer_one(
    mut stream: TcpStream,
    script: &[RawReply],
    received: &AtomicUsize,
) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 4096];
    let head_end = loop {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buffer[..read]);
        if let Some(end) = find(&request, b"\r\n\r\n") {
            break end + 4;
        }
    };
    let head = String::from_utf8_lossy(&request[..head_end]).to_ascii_lowercase();
    let body_length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    while request.len() < head_end + body_length {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            return Ok(());
        }
        request.extend_from_slice(&buffer[..read]);
    }
    let index = received.fetch_add(1, Ordering::SeqCst);
    let reply = &script[index.min(script.len() - 1)];
    stream.write_all(&reply.bytes()).await?;
    stream.shutdown().await
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
