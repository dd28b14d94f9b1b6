//! The loopback server and the three clients the per-call measurements compare: the timing
//! benchmark and the instruction count.

use std::num::NonZeroU32;

use jelou_ext::types::HistoryPage;
use jelou_ext::{HistoryQuery, Jelou, RetryPolicy};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// The documented history page every request is answered with.
const PAGE: &str = r#"{"pagination":{"limit":10,"page":1,"total":1,"offset":0,"totalPages":1},"_metadata":{},"results":[{"recipient":{"id":"1234567890","names":"John Doe"},"sender":{"id":"bot-1","name":"Bot","type":"Whatsapp"},"by":"bot","messageId":"msg-1","status":"DELIVERED_USER","bubble":{"type":"TEXT","text":"Hello, welcome to Jelou"},"createdAt":"2025-01-15T10:30:00.000Z"}]}"#;

/// A minimal keep-alive HTTP/1.1 server answering every request with `PAGE`.
pub(crate) async fn serve() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let address = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{PAGE}",
                    PAGE.len()
                );
                let mut buffer = vec![0u8; 8192];
                let mut filled = 0;
                loop {
                    let Ok(read) = socket.read(&mut buffer[filled..]).await else {
                        return;
                    };
                    if read == 0 {
                        return;
                    }
                    filled += read;
                    // GET requests only: a request ends at the blank line.
                    while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n")
                    {
                        if socket.write_all(response.as_bytes()).await.is_err() {
                            return;
                        }
                        buffer.copy_within(end + 4..filled, 0);
                        filled -= end + 4;
                    }
                }
            });
        }
    });
    format!("http://{address}")
}

/// The same history page read three ways. The three share one reqwest configuration, so only
/// the layers above it differ; `jelou-ext` has its limiter off and never retries.
pub(crate) struct ThreeClients {
    url: String,
    raw: reqwest::Client,
    generated: jelou_client::Client,
    ext: Jelou,
}

impl ThreeClients {
    /// The three clients of the server at `base`.
    pub(crate) fn new(base: &str) -> Self {
        let raw = reqwest::Client::new();
        let generated =
            jelou_client::Client::new_with_client(base, raw.clone(), jelou_client::Hooks::none());
        let ext = Jelou::builder()
            .credentials("id", "secret")
            .base_url(base)
            .http_client(raw.clone())
            .disable_rate_limit()
            .retry_policy(RetryPolicy::never())
            .build()
            .expect("builds");
        Self {
            url: format!("{base}/v1/external/messages/history/BOT_ID?limit=10&page=1"),
            raw,
            generated,
            ext,
        }
    }

    /// reqwest and serde_json alone.
    pub(crate) async fn raw(&self) -> HistoryPage {
        let body = self
            .raw
            .get(&self.url)
            .send()
            .await
            .expect("send")
            .bytes()
            .await
            .expect("body");
        serde_json::from_slice(&body).expect("decodes")
    }

    /// The bare generated client.
    pub(crate) async fn generated(&self) -> HistoryPage {
        self.generated
            .history_list()
            .bot_id("BOT_ID")
            .limit(NonZeroU32::new(10).expect("ten"))
            .page(NonZeroU32::MIN)
            .send()
            .await
            .expect("ok")
            .into_inner()
    }

    /// `jelou-ext`.
    pub(crate) async fn jelou_ext(&self) -> HistoryPage {
        self.ext
            .history_page("BOT_ID", &HistoryQuery::default())
            .await
            .expect("ok")
    }
}
