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

/// Behaviour plugged into every request a [`Client`] sends: authentication, rate limiting,
/// retries, tracing.
///
/// Both methods have defaults that do nothing special, so an implementation overrides only
/// what it needs.
pub trait Interceptor: Send + Sync + 'static {
    /// Runs once per call, before anything is sent. It may change the request, or refuse to
    /// send it by returning a reason, which the call returns as
    /// `progenitor_client::Error::Custom`.
    fn before_send<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, Result<(), String>> {
        let _ = (request, operation);
        Box::pin(async { Ok(()) })
    }

    /// Sends the request and returns the response the generated code will decode. The default
    /// sends it once through `client`. An implementation may send it more than once
    /// (`reqwest::Request::try_clone`), or hand back a response it rebuilt.
    fn send<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: Operation,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        let _ = operation;
        Box::pin(client.execute(request))
    }
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
            Some(interceptor) => interceptor
                .before_send(request, operation(info))
                .await
                .map_err(Error::Custom),
            None => Ok(()),
        }
    }

    async fn exec(
        &self,
        request: reqwest::Request,
        info: &OperationInfo,
    ) -> reqwest::Result<reqwest::Response> {
        match self.inner().interceptor() {
            Some(interceptor) => {
                interceptor
                    .send(self.client(), request, operation(info))
                    .await
            }
            None => self.client().execute(request).await,
        }
    }
}
