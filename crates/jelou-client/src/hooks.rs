//! The seam through which another crate plugs behaviour into every request.
//!
//! progenitor lets a client customise requests through `progenitor_client::ClientHooks`, but
//! the orphan rule only allows that trait to be implemented here, beside the generated
//! `Client`. So this crate implements it once, forwarding to whatever [`Interceptor`] the
//! client was built with, and knows nothing about what that interceptor does.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use progenitor_client::{ClientHooks, ClientInfo, Error, OperationInfo};
use reqwest::header::{HeaderName, HeaderValue};

use crate::generated::Client;

/// A boxed, sendable future, the return type of [`Interceptor`]'s methods.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The operation a request belongs to, as named in the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Operation {
    /// The spec's `operationId`, such as `message_send`.
    pub operation_id: &'static str,
}

/// What [`Interceptor::before_send`] hands to [`Interceptor::send`] for the same call: a
/// number of the interceptor's own meaning (`jelou-ext` passes the rate-limit ticket its first
/// attempt was granted), or nothing.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Handoff(Option<u64>);

impl Handoff {
    /// Nothing to hand over.
    pub const NONE: Self = Self(None);

    /// Hands `value` over.
    pub fn new(value: u64) -> Self {
        Self(Some(value))
    }

    /// The value handed over, if any.
    pub fn value(self) -> Option<u64> {
        self.0
    }
}

/// Behaviour plugged into every request a [`Client`] sends: authentication, rate limiting,
/// retries, tracing.
///
/// Both methods have defaults that do nothing special, so an implementation overrides only
/// what it needs.
pub trait Interceptor: Send + Sync + 'static {
    /// Runs once per call, before anything is sent. It may change the request, or refuse to
    /// send it by returning a reason, which the call returns as
    /// `progenitor_client::Error::Custom`. What it returns on success reaches [`Self::send`].
    fn before_send<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, Result<Handoff, String>> {
        let _ = (request, operation);
        Box::pin(async { Ok(Handoff::NONE) })
    }

    /// Sends the request and returns the response the generated code will decode, with what
    /// [`Self::before_send`] handed over for it. The default sends it once through `client`.
    /// An implementation may send it more than once (`reqwest::Request::try_clone`), or hand
    /// back a response it rebuilt.
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
        handoff: Handoff,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = (operation, handoff);
        Box::pin(client.execute(request))
    }
}

/// Carries a [`Handoff`] on the request between the two hooks progenitor calls separately
/// (a `reqwest::Request` has no other place a hook may write): set after `before_send`,
/// removed before `send`, so it never leaves the process.
const HANDOFF_HEADER: HeaderName = HeaderName::from_static("x-jelou-client-handoff");

/// Moves `handoff` onto `request`.
fn put_handoff(request: &mut reqwest::Request, handoff: Handoff) {
    let headers = request.headers_mut();
    match handoff.value() {
        Some(value) => {
            headers.insert(HANDOFF_HEADER, HeaderValue::from(value));
        }
        None => {
            headers.remove(HANDOFF_HEADER);
        }
    }
}

/// Takes the handoff off `request`.
fn take_handoff(request: &mut reqwest::Request) -> Handoff {
    request
        .headers_mut()
        .remove(HANDOFF_HEADER)
        .and_then(|value| value.to_str().ok()?.parse().ok())
        .map_or(Handoff::NONE, Handoff::new)
}

/// What a [`Client`] was built with: an [`Interceptor`], or nothing.
///
/// With nothing plugged in ([`Hooks::none`]) the client behaves exactly like plain generated
/// code. Cloning shares the interceptor.
#[derive(Clone, Default)]
pub struct Hooks {
    interceptor: Option<Arc<dyn Interceptor>>,
}

impl Hooks {
    /// No interceptor: every request is sent once, as built.
    pub fn none() -> Self {
        Self::default()
    }

    /// Plugs `interceptor` into every request.
    pub fn with(interceptor: impl Interceptor) -> Self {
        Self {
            interceptor: Some(Arc::new(interceptor)),
        }
    }

    /// Plugs an interceptor that is already shared.
    pub fn with_shared(interceptor: Arc<dyn Interceptor>) -> Self {
        Self {
            interceptor: Some(interceptor),
        }
    }

    /// The interceptor plugged in, if any.
    pub fn interceptor(&self) -> Option<&Arc<dyn Interceptor>> {
        self.interceptor.as_ref()
    }
}

impl fmt::Debug for Hooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Hooks")
            .field(
                "interceptor",
                &self.interceptor.as_ref().map(|_| "<plugged in>"),
            )
            .finish()
    }
}

fn operation(info: &OperationInfo) -> Operation {
    Operation {
        operation_id: info.operation_id,
    }
}

impl ClientHooks<Hooks> for Client {
    async fn pre<E>(
        &self,
        request: &mut reqwest::Request,
        info: &OperationInfo,
    ) -> Result<(), Error<E>> {
        match self.inner().interceptor() {
            Some(interceptor) => {
                let handoff = interceptor
                    .before_send(request, operation(info))
                    .await
                    .map_err(Error::Custom)?;
                put_handoff(request, handoff);
                Ok(())
            }
            None => Ok(()),
        }
    }

    async fn exec(
        &self,
        mut request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match self.inner().interceptor() {
            Some(interceptor) => {
                let handoff = take_handoff(&mut request);
                interceptor
                    .send(self.client(), request, operation(info), handoff)
                    .await
            }
            None => self.client().execute(request).await,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_handoff_rides_on_the_request_and_is_taken_off_it() {
        let url = reqwest::Url::parse("https://api.jelou.ai/v1").expect("url");
        let mut request = reqwest::Request::new(reqwest::Method::GET, url);
        put_handoff(&mut request, Handoff::new(u64::MAX));
        assert_eq!(take_handoff(&mut request), Handoff::new(u64::MAX));
        assert!(request.headers().get(HANDOFF_HEADER).is_none());
        put_handoff(&mut request, Handoff::new(7));
        put_handoff(&mut request, Handoff::NONE);
        assert_eq!(take_handoff(&mut request), Handoff::NONE);
        // One the caller set itself is never taken for the interceptor's.
        request
            .headers_mut()
            .insert(HANDOFF_HEADER, "not a number".parse().expect("value"));
        assert_eq!(take_handoff(&mut request), Handoff::NONE);
    }
}
