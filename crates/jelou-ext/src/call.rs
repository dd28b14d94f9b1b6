//! The life of one call, from [`Jelou`]'s side: everything that happens between a typed
//! method (or [`Jelou::send`]) and the `Result` it returns, in the order it happens.
//!
//! 1. [`Jelou::run`] opens the call: its [`CallState`] (start, deadline, and the record the
//!    pipeline fills in), its `jelou.call` span, and the deadline race around the generated
//!    builder's `send`.
//! 2. The generated code builds the request and hands it to the hooks (`pipeline.rs`), which
//!    find this call's state through a task-local: the request is checked against the spec
//!    and waits for a rate-limit slot (`before_send`), then its attempts run (`send`): each
//!    answer is read once, each failure classified once into an [`AttemptOutcome`], and the
//!    decision to retry is [`crate::retry::decide`]'s, a pure function.
//! 3. Back here, [`Jelou::map_error`] turns whatever ended the call into one [`Error`], from
//!    what the pipeline recorded: the status and the raw body, the outcome, the number of
//!    attempts, and a refusal of the pipeline's own, kept typed in the record.
//!
//! Why a task-local and a record rather than return values: the generated client's hooks are
//! the seam that every request passes through (those sent with [`Jelou::raw`] too), and its
//! hooks can hand back only a `reqwest` answer or a string error. The record carries the rest,
//! typed, back to this module.

use std::any::Any;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use jelou_client::{ResponseValue, types};
use reqwest::StatusCode;
use tokio::time::Instant;
use tracing::Instrument;

use crate::client::Jelou;
use crate::clock::later;
use crate::error::{ApiError, Error, snippet};
use crate::retry::AttemptOutcome;
use crate::transport_failure::classify;
use crate::validate::ValidationError;

tokio::task_local! {
    /// The call in progress on this task, set by [`crate::Jelou`] around each generated call.
    static CALL: Arc<CallState>;
}

/// What one call learned on its way, read back by the typed methods after the generated code
/// has decoded (or failed to decode) the answer.
#[derive(Debug)]
pub(crate) struct CallState {
    pub(crate) started: Instant,
    pub(crate) deadline: Option<Instant>,
    inner: Mutex<CallRecord>,
}

#[derive(Debug, Default)]
pub(crate) struct CallRecord {
    /// An error decided by the pipeline itself (a rate-limit refusal).
    pub(crate) error: Option<Error>,
    pub(crate) status: Option<StatusCode>,
    pub(crate) body: Bytes,
    pub(crate) retry_after: Option<Duration>,
    pub(crate) attempts: u32,
    pub(crate) too_large: Option<StatusCode>,
    /// The URL of the request, as sent: the page a list call asked for is read back from it.
    pub(crate) url: Option<reqwest::Url>,
    /// What the last attempt came to, classified once where it happened.
    pub(crate) outcome: Option<AttemptOutcome>,
}

impl CallState {
    pub(crate) fn new(started: Instant, deadline: Option<Instant>) -> Self {
        Self {
            started,
            deadline,
            inner: Mutex::new(CallRecord::default()),
        }
    }

    pub(crate) fn record<T>(&self, f: impl FnOnce(&mut CallRecord) -> T) -> T {
        f(&mut self
            .inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()))
    }

    pub(crate) fn budget(&self, now: Instant) -> Option<Duration> {
        self.deadline
            .map(|deadline| deadline.saturating_duration_since(now))
    }

    /// Runs `future` with this state visible to the pipeline.
    pub(crate) async fn scope<F: std::future::Future>(self: &Arc<Self>, future: F) -> F::Output {
        CALL.scope(Arc::clone(self), future).await
    }

    /// The call in progress on this task, if any: a request sent through the generated client
    /// without [`Jelou`] around it has none, and is still checked, limited and retried.
    pub(crate) fn current() -> Option<Arc<CallState>> {
        CALL.try_with(Arc::clone).ok()
    }
}

impl Jelou {
    /// Runs one generated call with the pipeline's per-call state, its deadline and a span,
    /// and turns whatever happened into this crate's result.
    pub(crate) async fn run<T, E: 'static, F>(
        &self,
        operation: &'static str,
        call: F,
    ) -> Result<(T, Arc<CallState>), Error>
    where
        F: std::future::Future<Output = Result<ResponseValue<T>, jelou_client::Error<E>>>,
    {
        let clock = &self.inner.clock;
        let started = clock.now();
        let deadline = self.call_timeout.map(|timeout| later(started, timeout));
        let state = Arc::new(CallState::new(started, deadline));
        let span = tracing::info_span!(
            "jelou.call",
            operation,
            attempts = tracing::field::Empty,
            status = tracing::field::Empty
        );
        let outcome = async {
            match deadline {
                None => Some(state.scope(call).await),
                Some(deadline) => tokio::select! {
                    result = state.scope(call) => Some(result),
                    () = clock.sleep_until(deadline) => None,
                },
            }
        }
        .instrument(span.clone())
        .await;
        let (attempts, status) = state.record(|r| (r.attempts, r.status));
        span.record("attempts", attempts);
        if let Some(status) = status {
            span.record("status", status.as_u16());
        }
        match outcome {
            None => Err(Error::Timeout {
                after: clock.now().saturating_duration_since(started),
                attempts,
            }),
            Some(Ok(value)) => match state.record(|r| r.too_large) {
                Some(status) => Err(Error::ResponseTooLarge {
                    status,
                    limit: self.inner.max_response_bytes,
                    attempts,
                }),
                None => Ok((value.into_inner(), state)),
            },
            Some(Err(error)) => Err(self.map_error(error, &state)),
        }
    }

    fn map_error<E: 'static>(&self, error: jelou_client::Error<E>, state: &CallState) -> Error {
        let elapsed = || {
            self.inner
                .clock
                .now()
                .saturating_duration_since(state.started)
        };
        let (pipeline_error, status, body, retry_after, attempts, too_large, outcome) = state
            .record(|r| {
                (
                    r.error.take(),
                    r.status,
                    r.body.clone(),
                    r.retry_after,
                    r.attempts,
                    r.too_large,
                    r.outcome,
                )
            });
        if let Some(status) = too_large {
            return Error::ResponseTooLarge {
                status,
                limit: self.inner.max_response_bytes,
                attempts,
            };
        }
        match error {
            jelou_client::Error::Custom(message) => {
                pipeline_error.unwrap_or(Error::Config(message))
            }
            jelou_client::Error::InvalidRequest(message) => Error::Validation(
                ValidationError::new("request", "valid for the spec", message),
            ),
            jelou_client::Error::CommunicationError(e)
            | jelou_client::Error::ResponseBodyError(e)
            | jelou_client::Error::InvalidUpgrade(e) => {
                match outcome.unwrap_or_else(|| classify(&e)) {
                    AttemptOutcome::TimedOut => Error::Timeout {
                        after: elapsed(),
                        attempts,
                    },
                    AttemptOutcome::TlsFailed => Error::Tls(e),
                    _ => Error::Transport {
                        source: e,
                        attempts,
                    },
                }
            }
            jelou_client::Error::ErrorResponse(response) => {
                let status = response.status();
                // The generated code has decoded the body into the operation's error type;
                // it is kept as it is, beside the raw body.
                let decoded = (Box::new(response.into_inner()) as Box<dyn Any>)
                    .downcast::<types::ApiError>()
                    .ok()
                    .map(|decoded| *decoded);
                Error::Api(Box::new(
                    ApiError::from_answer(status, decoded, &body, retry_after).after(attempts),
                ))
            }
            jelou_client::Error::InvalidResponsePayload(bytes, source) => match status {
                Some(status) if status.is_client_error() || status.is_server_error() => Error::Api(
                    Box::new(ApiError::from_parts(status, &bytes, retry_after).after(attempts)),
                ),
                status => Error::Decode {
                    status: status.unwrap_or(reqwest::StatusCode::OK),
                    snippet: snippet(&bytes),
                    source,
                    attempts,
                },
            },
            jelou_client::Error::UnexpectedResponse(response) => Error::UnexpectedStatus {
                status: response.status(),
                snippet: snippet(&body),
                attempts,
            },
        }
    }
}
