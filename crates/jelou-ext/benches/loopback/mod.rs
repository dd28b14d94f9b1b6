//! The loopback server the per-call measurements call: the benchmark and the instruction count.

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
