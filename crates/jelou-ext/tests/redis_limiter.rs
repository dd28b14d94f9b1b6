//! The shared limiter against a real Redis (`REDIS_URL`): the window across limiters that do
//! not share memory, as separate processes would, its edges, and the client that uses it.
//!
//! Times are checked on the Redis server's clock (`SharedStart::counted_at`), which is the
//! clock the window is kept by, with generous bounds for anything measured locally.

#[path = "support/redis.rs"]
mod support;

use std::time::{Duration, SystemTime};

use jelou_ext::{
    Error, HistoryQuery, Jelou, Message, RateLimit, RedisLimiter, RedisLimiterBuilder, RetryPolicy,
};
use support::{free_port, redis_for, redis_url};
use tokio::time::Instant;

/// A limiter of `requests` per `period` on `prefix`, with no safety margin, so that the
/// window's own arithmetic is what the tests see.
fn limiter(url: &str, prefix: &str, requests: u32, period: Duration) -> RedisLimiter {
    builder(url, prefix, requests, period)
        .build()
        .expect("a valid limiter")
}

fn builder(url: &str, prefix: &str, requests: u32, period: Duration) -> RedisLimiterBuilder {
    RedisLimiter::builder(url)
        .account("test-account")
        .key_prefix(prefix)
        .limit(
            RateLimit::new(requests, period)
                .expect("positive")
                .with_safety_margin(Duration::ZERO),
        )
}

fn counted_at(start: &jelou_ext::SharedStart) -> SystemTime {
    start.counted_at.expect("counted by Redis")
}

/// The most starts in any window `[t, t + window)`.
fn most_in_any_window(starts: &[SystemTime], window: Duration) -> usize {
    starts
        .iter()
        .map(|&t| starts.iter().filter(|&&s| s >= t && s < t + window).count())
        .max()
        .unwrap_or(0)
}

/// The documented answer to `GET /v1/external/messages/history/bot-1`: an empty page.
async fn empty_history_page(server: &httpmock::MockServer) -> httpmock::Mock<'_> {
    server
        .mock_async(|when, then| {
            when.method("GET")
                .path("/v1/external/messages/history/bot-1");
            then.status(200)
                .header("content-type", "application/json")
                .body(
                    r#"{"pagination":{"limit":10,"page":1,"total":0,"totalPages":1},"results":[]}"#,
                );
        })
        .await
}

/// Asserts that `later` came one `period` after `earlier` (on the Redis clock), not before and
/// at most `slack` after.
fn assert_one_period_apart(
    earlier: SystemTime,
    later: SystemTime,
    period: Duration,
    slack: Duration,
) {
    let apart = later.duration_since(earlier).unwrap_or_default();
    assert!(
        apart >= period && apart < period + slack,
        "{apart:?} apart, expected {period:?} to {:?}",
        period + slack
    );
}

async fn redis_connection(url: &str) -> redis::aio::MultiplexedConnection {
    redis::Client::open(url)
        .expect("url")
        .get_multiplexed_async_connection()
        .await
        .expect("Redis answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_from_four_limiters_keeps_five_per_window_and_serves_everyone() {
    let Some((url, prefix)) =
        redis_for("a_burst_from_four_limiters_keeps_five_per_window_and_serves_everyone")
    else {
        return;
    };
    let period = Duration::from_millis(300);
    // Four limiters with their own connections, like four processes; six callers each, all
    // at once.
    let limiters: Vec<RedisLimiter> = (0..4).map(|_| limiter(&url, &prefix, 5, period)).collect();
    let began = Instant::now();
    let mut callers = Vec::new();
    for limiter in &limiters {
        for _ in 0..6 {
            let limiter = limiter.clone();
            callers.push(tokio::spawn(async move {
                limiter.acquire_start(None).await.expect("no budget")
            }));
        }
    }
    let mut starts = Vec::new();
    for caller in callers {
        starts.push(counted_at(&caller.await.expect("caller")));
    }
    starts.sort();
    assert_eq!(starts.len(), 24);
    assert_eq!(most_in_any_window(&starts, period), 5, "{starts:?}");
    // Exactly: every start is at least one period after the fifth start before it.
    for pair in starts.windows(6) {
        let gap = pair[5].duration_since(pair[0]).expect("ordered");
        assert!(
            gap >= period,
            "{gap:?} between a start and the fifth after it"
        );
    }
    // 24 starts need four full periods after the first five; nobody starves past that.
    let span = starts[23].duration_since(starts[0]).expect("ordered");
    assert!(span >= period * 4, "{span:?}");
    assert!(
        began.elapsed() < period * 4 + Duration::from_secs(2),
        "{:?}",
        began.elapsed()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_start_after_a_full_window_comes_one_period_after_the_first() {
    let Some((url, prefix)) =
        redis_for("the_start_after_a_full_window_comes_one_period_after_the_first")
    else {
        return;
    };
    let period = Duration::from_millis(500);
    let first = limiter(&url, &prefix, 5, period);
    let second = limiter(&url, &prefix, 5, period);
    let mut starts = Vec::new();
    for i in 0..5 {
        let limiter = if i % 2 == 0 { &first } else { &second };
        let start = limiter.acquire_start(None).await.expect("free");
        // At once: well under the 500 ms a full window would make it wait, on a busy machine too.
        assert!(start.waited < Duration::from_millis(300), "{start:?}");
        starts.push(counted_at(&start));
    }
    // The window is full: a caller with no time to wait is refused with the wait it needs,
    // which is at most one period.
    let refused = second.acquire_start(Some(Duration::ZERO)).await;
    let Err(Error::RateLimited { would_wait, budget }) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert_eq!(budget, Duration::ZERO);
    assert!(
        would_wait > Duration::ZERO && would_wait <= period,
        "{would_wait:?}"
    );
    // The sixth start happens at the first one's period boundary, not before it and not
    // long after.
    let sixth = counted_at(&first.acquire_start(None).await.expect("no budget"));
    assert_one_period_apart(starts[0], sixth, period, Duration::from_millis(250));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_are_served_in_the_order_they_arrived_across_limiters() {
    let Some((url, prefix)) =
        redis_for("callers_are_served_in_the_order_they_arrived_across_limiters")
    else {
        return;
    };
    let period = Duration::from_millis(400);
    let limiters = [
        limiter(&url, &prefix, 2, period),
        limiter(&url, &prefix, 2, period),
    ];
    let mut callers = Vec::new();
    for i in 0..8 {
        let limiter = limiters[i % 2].clone();
        callers.push(tokio::spawn(async move {
            counted_at(&limiter.acquire_start(None).await.expect("no budget"))
        }));
        // Far apart enough that the arrival order is the spawn order, and that the slots they
        // are promised (as far apart) are taken in that order although each caller wakes
        // for its slot with the machine's timer jitter (a few ms; tens on a busy machine).
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut starts = Vec::new();
    for caller in callers {
        starts.push(caller.await.expect("caller"));
    }
    let mut sorted = starts.clone();
    sorted.sort();
    assert_eq!(starts, sorted, "served out of arrival order");
    assert_eq!(most_in_any_window(&starts, period), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wait_beyond_the_budget_fails_at_once_and_takes_no_slot() {
    let Some((url, prefix)) = redis_for("a_wait_beyond_the_budget_fails_at_once_and_takes_no_slot")
    else {
        return;
    };
    let period = Duration::from_secs(1);
    let first = limiter(&url, &prefix, 1, period);
    let other = limiter(&url, &prefix, 1, period);
    let opening = counted_at(&first.acquire_start(None).await.expect("free"));

    let asked = Instant::now();
    let refused = other.acquire_start(Some(Duration::from_millis(200))).await;
    let Err(Error::RateLimited { would_wait, budget }) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert!(
        asked.elapsed() < Duration::from_millis(400),
        "a refusal does not wait for the 1 s slot"
    );
    assert_eq!(budget, Duration::from_millis(200));
    assert!(would_wait > Duration::from_millis(800), "{would_wait:?}");

    // The refused caller took nothing: the next one gets the slot one period after the first
    // start, not two.
    let next = other
        .acquire_start(Some(Duration::from_secs(2)))
        .await
        .expect("within the budget");
    assert_one_period_apart(
        opening,
        counted_at(&next),
        period,
        Duration::from_millis(150),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pause_from_one_limiter_holds_back_the_others_waiting_callers_included() {
    let Some((url, prefix)) =
        redis_for("a_pause_from_one_limiter_holds_back_the_others_waiting_callers_included")
    else {
        return;
    };
    let period = Duration::from_millis(300);
    let pausing = limiter(&url, &prefix, 5, period);
    let waiting = limiter(&url, &prefix, 5, period);
    let newcomer = limiter(&url, &prefix, 5, period);
    for _ in 0..5 {
        waiting.acquire_start(None).await.expect("free");
    }
    // A sixth caller is asleep until the window frees up when another process sees a 429.
    let asleep = tokio::spawn({
        let waiting = waiting.clone();
        async move { waiting.acquire_start(None).await.expect("no budget") }
    });
    tokio::time::sleep(Duration::from_millis(50)).await;
    let paused_at = Instant::now();
    pausing.pause(Duration::from_millis(800)).await;
    let late = newcomer.acquire_start(None).await.expect("no budget");
    let asleep = asleep.await.expect("caller");
    // Neither starts before the pause ends, though the window alone would have let the
    // sleeping one go 250 ms after the pause began.
    let pause_end = paused_at + Duration::from_millis(800);
    assert!(Instant::now() >= pause_end);
    let gap = counted_at(&late)
        .duration_since(counted_at(&asleep))
        .unwrap_or_default();
    assert!(
        gap < Duration::from_millis(100),
        "both start when the pause ends"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_keys_expire_and_the_next_caller_starts_at_once() {
    let Some((url, prefix)) = redis_for("idle_keys_expire_and_the_next_caller_starts_at_once")
    else {
        return;
    };
    let period = Duration::from_millis(200);
    let limiter = limiter(&url, &prefix, 2, period);
    for _ in 0..2 {
        limiter.acquire_start(None).await.expect("free");
    }
    let mut redis = redis_connection(&url).await;
    let starts_key = format!("{}:starts", limiter.key_base());
    let ttl_ms: i64 = redis::cmd("PTTL")
        .arg(&starts_key)
        .query_async(&mut redis)
        .await
        .expect("PTTL");
    // One period past the last start, plus one second.
    assert!(ttl_ms > 0 && ttl_ms <= 1200 + 50, "{ttl_ms} ms");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let keys: Vec<String> = redis::cmd("KEYS")
            .arg(format!("{}*", limiter.key_base().replace('{', "\\{")))
            .query_async(&mut redis)
            .await
            .expect("KEYS");
        if keys.is_empty() {
            break;
        }
        assert!(Instant::now() < deadline, "keys still there: {keys:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let start = limiter.acquire_start(None).await.expect("free");
    assert!(start.waited < Duration::from_millis(300), "{start:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_whose_keys_vanished_queues_again_and_starts() {
    let Some((url, prefix)) = redis_for("a_waiter_whose_keys_vanished_queues_again_and_starts")
    else {
        return;
    };
    let period = Duration::from_millis(600);
    let limiter = limiter(&url, &prefix, 1, period);
    let opening = limiter.acquire_start(None).await.expect("free");
    let waiter = tokio::spawn({
        let limiter = limiter.clone();
        async move { limiter.acquire_start(None).await }
    });
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Everything the window knew is gone (an operator cleared it, or Redis lost it).
    let mut redis = redis_connection(&url).await;
    let base = limiter.key_base().to_owned();
    let _: () = redis::cmd("DEL")
        .arg(format!("{base}:starts"))
        .arg(format!("{base}:queue"))
        .arg(format!("{base}:meta"))
        .query_async(&mut redis)
        .await
        .expect("DEL");
    // The waiter wakes at its slot, finds no place, queues again as a newcomer and, the
    // window being empty, starts.
    let started = waiter.await.expect("caller").expect("no budget");
    assert_one_period_apart(
        counted_at(&opening),
        counted_at(&started),
        period,
        Duration::from_millis(200),
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_newcomer_never_overtakes_callers_already_waiting_even_when_the_window_empties() {
    let Some((url, prefix)) = redis_for(
        "a_newcomer_never_overtakes_callers_already_waiting_even_when_the_window_empties",
    ) else {
        return;
    };
    let period = Duration::from_millis(400);
    let limiter = limiter(&url, &prefix, 3, period);
    for _ in 0..3 {
        limiter.acquire_start(None).await.expect("free");
    }
    let waiting: Vec<_> = (0..2)
        .map(|_| {
            let limiter = limiter.clone();
            tokio::spawn(async move { limiter.acquire_start(None).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(50)).await;
    // The recorded starts vanish (an operator cleared them): the window has room at once, but
    // the two waiting callers were promised their slots first and sleep until then.
    let mut redis = redis_connection(&url).await;
    let _: () = redis::cmd("DEL")
        .arg(format!("{}:starts", limiter.key_base()))
        .query_async(&mut redis)
        .await
        .expect("DEL");
    let newcomer = limiter.acquire_start(None).await.expect("no budget");
    let mut first_waiter = None;
    for waiter in waiting {
        let start = counted_at(&waiter.await.expect("caller").expect("no budget"));
        first_waiter = Some(first_waiter.map_or(start, |first: SystemTime| first.min(start)));
    }
    let first_waiter = first_waiter.expect("two waiters");
    assert!(
        newcomer.waited >= Duration::from_millis(250),
        "the newcomer went first: {newcomer:?}"
    );
    // Overtaking would mean the emptied window, some 350 ms before the waiters' slots. The
    // three were promised slots of the same reopening, a few milliseconds apart; which of them
    // wakes first to take its slot is a race of the machine's timers, not an overtaking.
    let jitter = period / 2;
    assert!(
        counted_at(&newcomer) + jitter >= first_waiter,
        "the newcomer started {:?} before the first waiter",
        first_waiter
            .duration_since(counted_at(&newcomer))
            .unwrap_or_default()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_key_holds_a_hash_of_the_client_id_and_never_the_id_or_secret() {
    let Some((url, prefix)) =
        redis_for("the_key_holds_a_hash_of_the_client_id_and_never_the_id_or_secret")
    else {
        return;
    };
    let server = httpmock::MockServer::start_async().await;
    let page = empty_history_page(&server).await;
    let jelou = Jelou::builder()
        .base_url(server.base_url())
        .credentials("client-id-in-clear", "secret-in-clear")
        .redis_rate_limiter(RedisLimiter::builder(url.as_str()).key_prefix(prefix.as_str()))
        .build()
        .expect("client");
    jelou
        .history_page("bot-1", &HistoryQuery::default())
        .await
        .expect("page");
    page.assert_calls_async(1).await;
    let mut redis = redis_connection(&url).await;
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("{prefix}:*"))
        .query_async(&mut redis)
        .await
        .expect("KEYS");
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(
            !key.contains("client-id-in-clear") && !key.contains("secret-in-clear"),
            "{key}"
        );
        // The first 16 bytes of the client id's SHA-256 in hex, in a cluster hash tag.
        let tagged = key
            .strip_prefix(&format!("{prefix}:{{"))
            .and_then(|rest| rest.split_once('}'))
            .map(|(hash, _)| hash);
        assert!(
            tagged.is_some_and(|hash| hash.len() == 32
                && hash.chars().all(|c| c.is_ascii_hexdigit())),
            "{key}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_429_seen_by_one_client_holds_back_another_process() {
    let Some((url, prefix)) = redis_for("a_429_seen_by_one_client_holds_back_another_process")
    else {
        return;
    };
    let server = httpmock::MockServer::start_async().await;
    let busy = server
        .mock_async(|when, then| {
            when.method("POST").path("/v1/bots/bot-1/messages");
            then.status(429)
                .header("retry-after", "1")
                .header("content-type", "application/json")
                .body(r#"{"message":"Too Many Requests"}"#);
        })
        .await;
    let page = empty_history_page(&server).await;
    // Two clients with their own limiters and connections, as in two processes.
    let client = || {
        Jelou::builder()
            .base_url(server.base_url())
            .credentials("shared-account", "secret")
            .retry_policy(RetryPolicy::default().with_max_retries(0))
            .redis_rate_limiter(RedisLimiter::builder(url.as_str()).key_prefix(prefix.as_str()))
            .build()
            .expect("client")
    };
    let (sender, reader) = (client(), client());
    let refused = sender
        .send_message("bot-1", &Message::text("593987654321", "hola"))
        .await
        .expect_err("429");
    assert_eq!(refused.status().map(|s| s.as_u16()), Some(429));
    let asked = Instant::now();
    reader
        .history_page("bot-1", &HistoryQuery::default())
        .await
        .expect("page");
    let held_back = asked.elapsed();
    assert!(
        held_back >= Duration::from_millis(900) && held_back < Duration::from_secs(3),
        "{held_back:?}"
    );
    busy.assert_calls_async(1).await;
    page.assert_calls_async(1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_redis_a_failing_limiter_sends_nothing_and_says_why() {
    let test = "without_redis_a_failing_limiter_sends_nothing_and_says_why";
    if redis_url(test).is_none() {
        return;
    }
    let server = httpmock::MockServer::start_async().await;
    let page = server
        .mock_async(|when, then| {
            when.any_request();
            then.status(200);
        })
        .await;
    let port = free_port();
    let jelou = Jelou::builder()
        .base_url(server.base_url())
        .credentials("an-account", "secret")
        .redis_rate_limiter(RedisLimiter::builder(format!(
            "redis://:hunter2@127.0.0.1:{port}/0"
        )))
        .build()
        .expect("built without touching Redis");
    let asked = Instant::now();
    let error = jelou
        .history_page("bot-1", &HistoryQuery::default())
        .await
        .expect_err("Redis is down");
    assert!(
        asked.elapsed() < Duration::from_secs(2),
        "{:?}",
        asked.elapsed()
    );
    let Error::LimiterUnavailable { reason, .. } = &error else {
        panic!("expected LimiterUnavailable, got {error:?}");
    };
    assert!(reason.contains(&format!("127.0.0.1:{port}")), "{reason}");
    assert!(reason.contains("unreachable"), "{reason}");
    assert!(!error.to_string().contains("hunter2"), "{error}");
    assert!(error.to_string().contains("nothing was sent"), "{error}");
    page.assert_calls_async(0).await;
    // The next call fails at once too, without a new connection attempt in between.
    let again = Instant::now();
    let error = jelou
        .history_page("bot-1", &HistoryQuery::default())
        .await
        .expect_err("still down");
    assert!(
        matches!(error, Error::LimiterUnavailable { .. }),
        "{error:?}"
    );
    // Well under the 500 ms a new connection attempt may take, on a busy machine too.
    assert!(again.elapsed() < Duration::from_millis(300));
    page.assert_calls_async(0).await;
}

#[test]
fn a_limiter_is_built_without_a_runtime_and_bad_settings_are_refused() {
    // No tokio runtime here: building must not need one (nor a reachable Redis).
    RedisLimiter::builder("redis://127.0.0.1:1/0")
        .account("a")
        .build()
        .expect("built lazily");
    let no_account = RedisLimiter::builder("redis://127.0.0.1/0").build();
    assert!(matches!(no_account, Err(Error::Config(m)) if m.contains("client id")));
    let bad_url = RedisLimiter::builder("http://not-redis")
        .account("a")
        .build();
    assert!(matches!(bad_url, Err(Error::Config(m)) if m.contains("Redis URL")));
    for share in [0.0, -0.5, 1.5, f64::NAN] {
        let bad_share = RedisLimiter::builder("redis://127.0.0.1/0")
            .account("a")
            .if_unreachable(jelou_ext::IfRedisUnreachable::FallBack { share })
            .build();
        assert!(
            matches!(&bad_share, Err(Error::Config(m)) if m.contains("share") && m.contains(&share.to_string())),
            "{share}: {bad_share:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_counts_at_its_answer_across_limiters_once_it_is_reported() {
    use jelou_ext::{Permit, RateLimiter};

    let Some((url, prefix)) =
        redis_for("a_request_counts_at_its_answer_across_limiters_once_it_is_reported")
    else {
        return;
    };
    let period = Duration::from_millis(300);
    let first = limiter(&url, &prefix, 1, period);
    let other = limiter(&url, &prefix, 1, period);
    let start = first.acquire_start(None).await.expect("free");
    let started = counted_at(&start);
    // The answer comes 200 ms after the start; the report reaches Redis from a task of its own.
    tokio::time::sleep(Duration::from_millis(200)).await;
    first.answered(Permit::new(start.waited, start.ticket));
    let starts_key = format!("{}:starts", first.key_base());
    let mut connection = redis_connection(&url).await;
    let reported = async {
        loop {
            let score: Option<u64> = redis::cmd("ZSCORE")
                .arg(&starts_key)
                .arg(start.ticket)
                .query_async(&mut connection)
                .await
                .expect("Redis answers");
            match score {
                Some(micros)
                    if SystemTime::UNIX_EPOCH + Duration::from_micros(micros) > started =>
                {
                    break SystemTime::UNIX_EPOCH + Duration::from_micros(micros);
                }
                _ => tokio::time::sleep(Duration::from_millis(5)).await,
            }
        }
    };
    let answered = tokio::time::timeout(Duration::from_secs(5), reported)
        .await
        .expect("the answer is reported");
    assert!(
        answered.duration_since(started).unwrap_or_default() >= Duration::from_millis(200),
        "counted at its answer"
    );
    // Another process's next start waits a whole period after the answer, not after the start.
    let next = counted_at(&other.acquire_start(None).await.expect("no budget"));
    assert_one_period_apart(answered, next, period, Duration::from_millis(250));
}
