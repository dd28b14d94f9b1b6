//! Seeds the CLI tests and benchmarks share.

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
