//! The documented rate limit, five requests per second, kept by one `jelou-ext` client under
//! concurrent calls, measured where the requests leave the client and where they arrive at
//! the server. Real time: the batch takes about two seconds.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use httpmock::MockServer;
use jelou_conformance::exchanges::{self, USER_ID};
use jelou_conformance::ext_builder;
use jelou_ext::transport::Transport;
use jelou_ext::{BoxFuture, RateLimit};

const CALLS: usize = 12;
/// Between the limiter's grant and the transport the request is only built: microseconds,
/// a few milliseconds on a busy machine.
const DEPARTURE_LAG: Duration = Duration::from_millis(5);
/// Arrivals at the server can also be bunched by the loopback and the server's threads.
const ARRIVAL_JITTER: Duration = Duration::from_millis(50);
/// What the batch may take beyond what the limit requires.
const SLACK: Duration = Duration::from_millis(500);

/// Records when each request leaves the client, after the limiter let it go.
#[derive(Default)]
struct Departures(Mutex<Vec<Instant>>);

impl Transport for Departures {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        self.0.lock().expect("lock").push(Instant::now());
        Box::pin(client.execute(request))
    }
}

/// The most requests in any window of `period` that starts at one of them, with `tolerance`
/// taken off the window's length.
fn busiest_window(times: &[Instant], period: Duration, tolerance: Duration) -> usize {
    let mut sorted = times.to_vec();
    sorted.sort();
    let window = period.saturating_sub(tolerance);
    (0..sorted.len())
        .map(|i| {
            sorted[i..]
                .iter()
                .take_while(|t| t.duration_since(sorted[i]) < window)
                .count()
        })
        .max()
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_calls_never_exceed_five_in_any_second_and_take_no_longer_than_needed() {
    let server = MockServer::start_async().await;
    let arrivals: Arc<Mutex<Vec<Instant>>> = Arc::default();
    let recorded = Arc::clone(&arrivals);
    let mock = server.mock(|when, then| {
        when.method("GET")
            .path("/users/5b7ff847cc3c3fb33c9249a8")
            .is_true(move |_| {
                recorded.lock().expect("lock").push(Instant::now());
                true
            });
        then.status(200)
            .json_body(jelou_conformance::fixture("user_get.200.json"));
    });
    let departures = Arc::new(Departures::default());
    let jelou = ext_builder(&server.base_url())
        .rate_limit(RateLimit::JELOU)
        .transport(Arc::clone(&departures) as Arc<dyn Transport>)
        .build()
        .expect("builds");

    let started = Instant::now();
    let calls = (0..CALLS).map(|_| {
        let jelou = jelou.clone();
        tokio::spawn(async move { jelou.get_user(USER_ID).await })
    });
    for result in futures_util::future::join_all(calls).await {
        let user = result.expect("the task ran").expect("the call succeeded");
        exchanges::user_get::check(&user);
    }
    let took = started.elapsed();

    let departures = departures.0.lock().expect("lock").clone();
    let arrivals = arrivals.lock().expect("lock").clone();
    assert_eq!((departures.len(), arrivals.len()), (CALLS, CALLS));
    let second = Duration::from_secs(1);
    assert_eq!(busiest_window(&departures, second, DEPARTURE_LAG), 5);
    assert_eq!(busiest_window(&arrivals, second, ARRIVAL_JITTER), 5);
    // 12 calls at 5 per second: the last starts two seconds after the first, not sooner.
    let required = second * (CALLS.div_ceil(5) as u32 - 1);
    assert!(
        took >= required && took <= required + SLACK,
        "the batch took {took:?}; the limit requires {required:?}"
    );
    mock.assert_calls_async(CALLS).await;
}

#[test]
fn the_window_count_sees_a_sixth_request_inside_the_second() {
    // The measure above must be able to fail.
    let start = Instant::now();
    let at = |ms| start + Duration::from_millis(ms);
    let five = [at(0), at(100), at(200), at(300), at(400), at(1000)];
    assert_eq!(
        busiest_window(&five, Duration::from_secs(1), Duration::ZERO),
        5
    );
    let six = [at(0), at(100), at(200), at(300), at(400), at(999)];
    assert_eq!(
        busiest_window(&six, Duration::from_secs(1), Duration::ZERO),
        6
    );
}
