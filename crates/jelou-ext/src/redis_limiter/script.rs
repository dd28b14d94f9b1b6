//! The account's window in Redis: its keys, and the one script that reads and changes them.
//!
//! Everything that decides a start runs inside `window.lua`, atomically, on the Redis server's
//! clock; this module only names the keys, passes the arguments and reads the reply.

use std::time::Duration;

use redis::aio::ConnectionLike;
use sha2::{Digest, Sha256};

use crate::limiter::RateLimit;

static WINDOW_SCRIPT: std::sync::LazyLock<redis::Script> =
    std::sync::LazyLock::new(|| redis::Script::new(include_str!("window.lua")));

/// The three keys of one account's window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Keys {
    /// What the keys start with: `<prefix>:{<account hash>}`.
    pub(crate) base: String,
    starts: String,
    queue: String,
    meta: String,
}

impl Keys {
    /// The keys of the account `client_id` under `prefix`. Only a hash of the client id reaches
    /// Redis; the braces keep the three keys in one Redis Cluster slot, as a script needs.
    pub(crate) fn for_account(prefix: &str, client_id: &str) -> Self {
        let digest = Sha256::digest(client_id.as_bytes());
        let hash: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
        let base = format!("{prefix}:{{{hash}}}");
        Self {
            starts: format!("{base}:starts"),
            queue: format!("{base}:queue"),
            meta: format!("{base}:meta"),
            base,
        }
    }
}

/// What the script decided for one caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Decision {
    /// The caller starts now; the window counted it at `at`, as `ticket`.
    Started { at: ServerTime, ticket: u64 },
    /// The caller's slot is `wait` away; it sleeps, then asks again with its ticket.
    Queued { ticket: u64, wait: Duration },
    /// The wait would exceed the caller's budget; nothing was taken.
    Refused { wait: Duration },
}

/// A time on the Redis server's clock, in microseconds since the Unix epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct ServerTime(pub(crate) u64);

/// One call of the script: the decision and the server's clock when it was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Reply {
    pub(crate) decision: Decision,
    pub(crate) now: ServerTime,
}

/// The window's parameters as every process sharing the keys must pass them.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Window {
    limit: RateLimit,
}

impl Window {
    /// A window of `limit.requests()` starts per `limit.window()` (the period and its margin).
    pub(crate) fn new(limit: RateLimit) -> Self {
        Self { limit }
    }

    /// Asks for a start now. `offline_ages` are how long ago this process started requests
    /// without Redis, so that the shared window counts them too.
    pub(crate) async fn acquire<C: ConnectionLike>(
        &self,
        connection: &mut C,
        keys: &Keys,
        budget: Option<Duration>,
        offline_ages: &[Duration],
    ) -> redis::RedisResult<Reply> {
        let mut invocation = self.invocation(keys, "acquire");
        invocation.arg(micros_or_none(budget));
        for age in offline_ages {
            invocation.arg(micros(*age));
        }
        decode(invocation.invoke_async(connection).await?)
    }

    /// Comes back for the slot of `ticket` after sleeping.
    pub(crate) async fn start<C: ConnectionLike>(
        &self,
        connection: &mut C,
        keys: &Keys,
        ticket: u64,
        budget: Option<Duration>,
    ) -> redis::RedisResult<Reply> {
        let mut invocation = self.invocation(keys, "start");
        invocation.arg(ticket).arg(micros_or_none(budget));
        decode(invocation.invoke_async(connection).await?)
    }

    /// Holds back every start of the account, waiting ones included, for `pause`.
    pub(crate) async fn pause<C: ConnectionLike>(
        &self,
        connection: &mut C,
        keys: &Keys,
        pause: Duration,
    ) -> redis::RedisResult<ServerTime> {
        let mut invocation = self.invocation(keys, "pause");
        invocation.arg(micros(pause));
        Ok(decode(invocation.invoke_async(connection).await?)?.now)
    }

    /// Counts the start of `ticket` from now on: its request got its answer.
    pub(crate) async fn answered<C: ConnectionLike>(
        &self,
        connection: &mut C,
        keys: &Keys,
        ticket: u64,
    ) -> redis::RedisResult<ServerTime> {
        let mut invocation = self.invocation(keys, "answered");
        invocation.arg(ticket);
        Ok(decode(invocation.invoke_async(connection).await?)?.now)
    }

    fn invocation(&self, keys: &Keys, op: &str) -> redis::ScriptInvocation<'static> {
        let mut invocation = WINDOW_SCRIPT.prepare_invoke();
        invocation
            .key(&keys.starts)
            .key(&keys.queue)
            .key(&keys.meta)
            .arg(op)
            .arg(self.limit.requests())
            .arg(micros(self.limit.window()));
        invocation
    }
}

fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

fn micros_or_none(budget: Option<Duration>) -> i64 {
    budget.map_or(-1, |budget| {
        i64::try_from(budget.as_micros()).unwrap_or(i64::MAX)
    })
}

/// Reads `{ outcome, wait µs, ticket, now µs }`.
fn decode(reply: (i64, i64, i64, i64)) -> redis::RedisResult<Reply> {
    let (outcome, wait, ticket, now) = reply;
    let as_u64 = |value: i64, what: &'static str| {
        u64::try_from(value).map_err(|_| {
            redis::RedisError::from((
                redis::ErrorKind::Parse,
                "the rate-limit script answered a negative number",
                what.to_owned(),
            ))
        })
    };
    let now = ServerTime(as_u64(now, "now")?);
    let wait = Duration::from_micros(as_u64(wait, "wait")?);
    let decision = match outcome {
        0 => Decision::Started {
            at: now,
            ticket: as_u64(ticket, "ticket")?,
        },
        1 => Decision::Queued {
            ticket: as_u64(ticket, "ticket")?,
            wait,
        },
        2 => Decision::Refused { wait },
        other => {
            return Err(redis::RedisError::from((
                redis::ErrorKind::Parse,
                "the rate-limit script answered an unknown outcome",
                other.to_string(),
            )));
        }
    };
    Ok(Reply { decision, now })
}
