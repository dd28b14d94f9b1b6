//! The sandbox the CLI tests and benchmarks talk to: its seeds, and serving it.

use jelou_sandbox::{DEMO_BOT, Seed};

/// The demo seed with `count` messages in the demo bot's history, oldest first.
pub(crate) fn many_messages(count: usize) -> Seed {
    let mut seed = Seed::demo();
    let history = (0..count)
        .map(|i| {
            serde_json::from_value(serde_json::json!({
                "messageId": format!("m-{i:05}"),
                "createdAt": format!("2025-02-01T00:{:02}:{:02}.000Z", i / 60, i % 60),
                "bubble": {"type": "TEXT", "text": format!("message {i}")},
            }))
            .expect("a history message")
        })
        .collect();
    seed.history.insert(DEMO_BOT.to_owned(), history);
    seed
}

/// Serves `router` on a loopback port from a thread of its own, for the rest of the process,
/// and returns its base URL.
pub(crate) fn serve_router(router: axum::Router) -> String {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("a runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("a port");
            let addr = listener.local_addr().expect("addr");
            sender
                .send(format!("http://{addr}"))
                .expect("the test waits");
            axum::serve(listener, router).await.expect("serves");
        });
    });
    receiver.recv().expect("the sandbox's address")
}
