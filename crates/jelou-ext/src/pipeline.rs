//! What `jelou-ext` plugs into every request of the generated client: credentials, the rate
//! limiter, retries, body capture and tracing.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use jelou_client::check::{CheckError, RequestBody, RequestParts, check_request};
use jelou_client::{BoxFuture, Handoff, Interceptor, Operation};
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, HeaderMap, HeaderValue, RETRY_AFTER};
use reqwest::{ResponseBuilderExt, StatusCode};

use crate::call::CallState;
use crate::clock::Clock;
use crate::error::Error;
use crate::hosts::{Credentials, Hosts};
use crate::limiter::{Permit, RateLimiter};
use crate::retry::{
    AttemptEnd, AttemptOutcome, Decision, Idempotency, RetryBudget, RetryPolicy, decide,
    parse_retry_after, pause_after_429,
};
use crate::transport::Transport;
use crate::transport_failure::classify;
use crate::validate::ValidationError;

/// The interceptor `jelou-ext` plugs into the generated client.
pub(crate) struct Pipeline {
    pub(crate) credentials: Credentials,
    pub(crate) hosts: Hosts,
    pub(crate) limiter: Arc<dyn RateLimiter>,
    pub(crate) policy: RetryPolicy,
    pub(crate) budget: RetryBudget,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) transport: Arc<dyn Transport>,
    pub(crate) max_response_bytes: usize,
}

/// One attempt's answer, read in full (up to the size limit).
struct Answer {
    url: reqwest::Url,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    too_large: bool,
}

impl Pipeline {
    async fn attempt(
        &self,
        client: &reqwest::Client,
        request: reqwest::Request,
        permit: Option<Permit>,
    ) -> Result<Answer, (reqwest::Error, AttemptOutcome)> {
        // Also told when the call is dropped mid-attempt.
        let answered = Answered {
            limiter: &*self.limiter,
            permit,
        };
        let response = self.transport.execute(client, request).await;
        drop(answered);
        let response = response.map_err(|error| {
            let outcome = classify(&error);
            (error, outcome)
        })?;
        let url = response.url().clone();
        let status = response.status();
        let headers = response.headers().clone();
        let (body, too_large) = self.read_body(response).await.map_err(|error| {
            let outcome = classify(&error);
            (error, outcome)
        })?;
        Ok(Answer {
            url,
            status,
            headers,
            body,
            too_large,
        })
    }

    /// Reads the body, stopping (and dropping the connection) past the size limit.
    async fn read_body(&self, mut response: reqwest::Response) -> reqwest::Result<(Bytes, bool)> {
        // A declared length within the limit is read in one piece, without copying chunks.
        if response
            .content_length()
            .is_some_and(|length| length <= self.max_response_bytes as u64)
        {
            return Ok((response.bytes().await?, false));
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await? {
            if body.len() + chunk.len() > self.max_response_bytes {
                return Ok((Bytes::from(body), true));
            }
            body.extend_from_slice(&chunk);
        }
        Ok((Bytes::from(body), false))
    }

    /// Waits for a rate-limit slot for `attempt`, within what is left of the call's budget.
    async fn acquire_slot(
        &self,
        call: Option<&CallState>,
        operation: Operation,
        attempt: u32,
    ) -> Result<Permit, Error> {
        let budget = call.and_then(|c| c.budget(self.clock.now()));
        let permit = self.limiter.acquire(budget).await?;
        tracing::debug!(
            operation = operation.operation_id,
            attempt,
            limiter_wait_ms = permit.waited().as_millis() as u64,
            "rate limiter granted a slot"
        );
        Ok(permit)
    }

    /// Puts the request on its operation's host, with the credentials its spec asks for.
    fn address(
        &self,
        spec: &'static jelou_client::OperationSpec,
        request: &mut reqwest::Request,
    ) -> Result<(), Error> {
        if let Some(server) = &spec.server {
            self.hosts.move_to(request, server)?;
        }
        let body = request.body().and_then(reqwest::Body::as_bytes);
        if let Some(header) = self.credentials.header_for(spec, body)? {
            request.headers_mut().insert(header.name, header.value);
        }
        Ok(())
    }

    /// What ends an attempt, as [`decide`] needs it.
    fn attempt_end(
        &self,
        idempotency: Idempotency,
        outcome: AttemptOutcome,
        attempt: u32,
        retry_after: Option<Duration>,
        call: Option<&CallState>,
    ) -> AttemptEnd {
        let now = self.clock.now();
        AttemptEnd {
            idempotency,
            outcome,
            attempt,
            backoff: self.policy.backoff(attempt),
            retry_after,
            elapsed: call.map_or(Duration::ZERO, |c| now.saturating_duration_since(c.started)),
            left: call.and_then(|c| c.budget(now)),
        }
    }
}

impl Interceptor for Pipeline {
    fn before_send<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Handoff, String>> {
        Box::pin(async move {
            // Page 001: "This header must be specified in every request", bodies or not.
            request
                .headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            let call = CallState::current();
            // Its host and credentials, then the spec's limits: a request that breaks one
            // takes no rate-limit slot.
            let checked = match jelou_client::operation_spec(operation.operation_id) {
                Some(spec) => self
                    .address(spec, request)
                    .and_then(|()| check_against_spec(spec, request)),
                None => {
                    if let Some(basic) = &self.credentials.basic {
                        request.headers_mut().insert(AUTHORIZATION, basic.clone());
                    }
                    Ok(())
                }
            };
            if let Some(call) = &call {
                call.record(|r| r.url = Some(request.url().clone()));
            }
            let acquired = match checked {
                Ok(()) => self.acquire_slot(call.as_deref(), operation, 1).await,
                Err(error) => Err(error),
            };
            match acquired {
                // The first attempt's permit goes to `send`, which reports its answer.
                Ok(permit) => Ok(Handoff::new(permit.ticket())),
                Err(error) => {
                    let message = error.to_string();
                    if let Some(call) = call {
                        call.record(|r| r.error = Some(error));
                    }
                    Err(message)
                }
            }
        })
    }

    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
        handoff: Handoff,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(async move {
            let call = CallState::current();
            let spec = jelou_client::operation_spec(operation.operation_id);
            let idempotency = match spec {
                Some(spec) if spec.idempotent => Idempotency::Idempotent,
                Some(_) => Idempotency::NotIdempotent,
                None => Idempotency::of_method(request.method()),
            };
            let mut pending = request;
            // A request that never went through `before_send` has no permit; its attempt is
            // then counted at its start only.
            let mut permit = handoff
                .value()
                .map(|ticket| Permit::new(Duration::ZERO, ticket));
            let mut attempt: u32 = 1;
            loop {
                // A body that cannot be cloned (a stream) is sent once, whatever happens; the
                // last attempt the policy allows needs no spare.
                let spare = (attempt <= self.policy.max_retries())
                    .then(|| pending.try_clone())
                    .flatten();
                let result = self.attempt(client, pending, permit).await;
                let outcome = match &result {
                    Ok(answer) => AttemptOutcome::Status(answer.status.as_u16()),
                    Err((_, outcome)) => *outcome,
                };
                let retry_after = result.as_ref().ok().and_then(|answer| {
                    let value = answer.headers.get(RETRY_AFTER)?.to_str().ok()?;
                    parse_retry_after(value, self.clock.wall_now())
                });
                if outcome == AttemptOutcome::Status(429) {
                    // Everyone sharing the limiter waits, not only this call.
                    self.limiter
                        .pause_for(pause_after_429(&self.policy, retry_after))
                        .await;
                }
                let end =
                    self.attempt_end(idempotency, outcome, attempt, retry_after, call.as_deref());
                // A body that cannot be cloned is never sent again; a retry also spends a
                // token of the budget every call shares.
                let (reason, delay) = match decide(&self.policy, end) {
                    Decision::Retry { reason, after } => {
                        let allowed = spare.is_some() && self.budget.try_spend();
                        (Some(reason), allowed.then_some(after))
                    }
                    Decision::Stop => (None, None),
                };
                tracing::info!(
                    operation = operation.operation_id,
                    attempt,
                    status = result.as_ref().ok().map(|a| a.status.as_u16()),
                    outcome = ?outcome,
                    retry_reason = reason.map(|r| r.to_string()),
                    retry_in_ms = delay.map(|d| d.as_millis() as u64),
                    "attempt finished"
                );
                if let (Some(delay), Some(spare)) = (delay, spare) {
                    self.clock.sleep(delay).await;
                    // No slot within the call's budget, or no limiter to ask: the last failure
                    // stands.
                    match self
                        .acquire_slot(call.as_deref(), operation, attempt + 1)
                        .await
                    {
                        Ok(granted) => {
                            attempt += 1;
                            pending = spare;
                            permit = Some(granted);
                            continue;
                        }
                        Err(error) => tracing::warn!(
                            operation = operation.operation_id,
                            attempt = attempt + 1,
                            %error,
                            "no retry: the rate limiter refused a slot"
                        ),
                    }
                }
                if let Some(call) = &call {
                    call.record(|r| {
                        r.attempts = attempt;
                        r.outcome = Some(outcome);
                        r.retry_after = retry_after;
                        if let Ok(answer) = &result {
                            r.status = Some(answer.status);
                            // What an error may show never holds a secret of the answer.
                            r.body = match spec {
                                Some(spec) if answer.status.is_success() => {
                                    without_secrets(spec, &answer.body)
                                }
                                _ => answer.body.clone(),
                            };
                            r.too_large = answer.too_large.then_some(answer.status);
                        }
                    });
                }
                return match result {
                    Ok(answer) => {
                        if answer.status.is_success() {
                            self.budget.record_success();
                        }
                        Ok(rebuild(answer))
                    }
                    Err((error, _)) => Err(error),
                };
            }
        })
    }
}

/// Tells the limiter that an attempt has its answer, or has failed, or was dropped: whichever
/// comes first, when it is dropped.
struct Answered<'a> {
    limiter: &'a dyn RateLimiter,
    permit: Option<Permit>,
}

impl Drop for Answered<'_> {
    fn drop(&mut self) {
        if let Some(permit) = self.permit {
            self.limiter.answered(permit);
        }
    }
}

/// Checks `request` against the schemas `spec` gives its operation.
fn check_against_spec(
    spec: &'static jelou_client::OperationSpec,
    request: &reqwest::Request,
) -> Result<(), Error> {
    let body = match request.body() {
        None => RequestBody::Absent,
        Some(body) => body
            .as_bytes()
            .map_or(RequestBody::Streamed, RequestBody::Bytes),
    };
    let url = request.url();
    let parts = RequestParts::new(url.path(), url.query(), request.headers(), body);
    check_request(spec, parts).map_err(|error| match error {
        CheckError::Broken(rule) => Error::Validation(ValidationError::from(rule)),
        other => Error::Config(other.to_string()),
    })
}

/// `body` with the operation's secrets redacted. A body that is not JSON has no field to
/// find them in and is kept whole, unless the operation has secrets: then it is dropped.
fn without_secrets(spec: &jelou_client::OperationSpec, body: &Bytes) -> Bytes {
    if spec.secrets.is_empty() {
        return body.clone();
    }
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(mut value) => {
            spec.take_secrets(&mut value);
            Bytes::from(value.to_string())
        }
        Err(_) => Bytes::new(),
    }
}

/// Hands the buffered answer back to the generated code as a response.
fn rebuild(answer: Answer) -> reqwest::Response {
    // The response keeps the URL it came from: reqwest takes it from an extension only its
    // builder can set (without it, it parses a placeholder URL for every response).
    let mut carrier = http::Response::builder()
        .url(answer.url)
        .body(())
        .unwrap_or_default();
    let mut response = http::Response::new(answer.body);
    *response.status_mut() = answer.status;
    *response.headers_mut() = answer.headers;
    *response.extensions_mut() = std::mem::take(carrier.extensions_mut());
    reqwest::Response::from(response)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_answer_handed_back_keeps_its_url_status_headers_and_body() {
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, HeaderValue::from_static("3"));
        let url = reqwest::Url::parse("http://127.0.0.1:9/v1/users?limit=5").expect("a URL");
        let response = rebuild(Answer {
            url: url.clone(),
            status: StatusCode::TOO_MANY_REQUESTS,
            headers,
            body: Bytes::from_static(b"{}"),
            too_large: false,
        });
        assert_eq!(response.url(), &url);
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[RETRY_AFTER], "3");
        assert_eq!(response.bytes().await.expect("the body"), "{}");
    }

    #[test]
    fn an_answer_keeps_no_secret_for_the_errors_to_show() {
        let create = jelou_client::operation_spec("panel_integration_create").expect("spec");
        let kept = without_secrets(
            create,
            &Bytes::from_static(br#"{"id":"I","signingSecret":"s3cr3t"}"#),
        );
        let text = String::from_utf8_lossy(&kept);
        assert!(
            !text.contains("s3cr3t") && text.contains("\"id\":\"I\""),
            "{text}"
        );
        assert!(without_secrets(create, &Bytes::from_static(b"s3cr3t, not JSON")).is_empty());
        let get = jelou_client::operation_spec("panel_integration_get").expect("spec");
        let body = Bytes::from_static(b"not JSON");
        assert_eq!(without_secrets(get, &body), body);
    }
}
