//! Makes N calls of the history page through one client, on a loopback server, for an
//! instruction count under callgrind: unlike a timing, the count is the same whatever else the
//! machine is doing, so two versions of the code compare exactly. See BENCHMARKS.md.
//!
//! ```sh
//! CARGO_PROFILE_RELEASE_DEBUG=line-tables-only cargo build --release -p jelou-ext --example per_call_instructions
//! valgrind --tool=callgrind target/release/examples/per_call_instructions jelou-ext 600
//! ```
//!
//! The client is `raw` (reqwest and serde_json), `generated` (the bare generated client) or
//! `jelou-ext`; the difference between the counts of N = 600 and N = 100, over 500, is the
//! cost of one call without the program's start.

use jelou_ext::{HistoryQuery, Jelou, RetryPolicy};
use std::num::NonZeroU32;
#[path = "../benches/loopback/mod.rs"]
mod loopback;
use loopback::serve;

fn main() {
    let usage = "usage: per_call_instructions raw|generated|jelou-ext CALLS";
    let which = std::env::args().nth(1).expect(usage);
    let calls: usize = std::env::args()
        .nth(2)
        .and_then(|calls| calls.parse().ok())
        .expect(usage);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("rt");
    let base = runtime.block_on(serve());
    let url = format!("{base}/v1/external/messages/history/BOT_ID?limit=10&page=1");
    let raw = reqwest::Client::new();
    let generated =
        jelou_client::Client::new_with_client(&base, raw.clone(), jelou_client::Hooks::none());
    let ext = Jelou::builder()
        .credentials("id", "secret")
        .base_url(&base)
        .http_client(raw.clone())
        .disable_rate_limit()
        .retry_policy(RetryPolicy::never())
        .build()
        .expect("builds");
    let ten = NonZeroU32::new(10).expect("ten");
    runtime.block_on(async {
        for _ in 0..calls {
            match which.as_str() {
                "raw" => {
                    let body = raw
                        .get(&url)
                        .send()
                        .await
                        .expect("send")
                        .bytes()
                        .await
                        .expect("b");
                    serde_json::from_slice::<jelou_ext::types::HistoryPage>(&body).expect("d");
                }
                "generated" => {
                    generated
                        .history_list()
                        .bot_id("BOT_ID")
                        .limit(ten)
                        .page(NonZeroU32::MIN)
                        .send()
                        .await
                        .expect("ok");
                }
                "jelou-ext" => {
                    ext.history_page("BOT_ID", &HistoryQuery::default())
                        .await
                        .expect("ok");
                }
                other => panic!("{usage}: not {other}"),
            }
        }
    });
}
