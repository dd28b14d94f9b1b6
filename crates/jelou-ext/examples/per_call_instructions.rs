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

#[path = "../benches/loopback/mod.rs"]
mod loopback;
use loopback::{ThreeClients, serve};

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
    let clients = ThreeClients::new(&base);
    runtime.block_on(async {
        for _ in 0..calls {
            match which.as_str() {
                "raw" => drop(clients.raw().await),
                "generated" => drop(clients.generated().await),
                "jelou-ext" => drop(clients.jelou_ext().await),
                other => panic!("{usage}: not {other}"),
            }
        }
    });
}
