//! `JelouEvent`: an axum extractor that reads the raw body within a size limit, verifies its
//! signature and decodes it, so that a handler only ever sees verified events.

use axum::extract::{FromRef, FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::{Event, ReceiveError, SIGNATURE_HEADER, SignatureError, SigningSecret, receive};

/// The largest body read unless [`WebhookConfig::body_limit`] says otherwise: 1 MiB, far above
/// the documented events.
pub const DEFAULT_BODY_LIMIT: usize = 1024 * 1024;

/// What [`JelouEvent`] needs from the router's state: the signing secret and the largest body
/// to read. Put it in the state (or make it `FromRef` of yours).
#[derive(Clone, Debug)]
pub struct WebhookConfig {
    secret: SigningSecret,
    body_limit: usize,
}

impl WebhookConfig {
    /// Deliveries signed with `secret`, of at most [`DEFAULT_BODY_LIMIT`] bytes.
    pub fn new(secret: SigningSecret) -> Self {
        Self {
            secret,
            body_limit: DEFAULT_BODY_LIMIT,
        }
    }

    /// The largest body read; a larger one is answered 413 and never decoded.
    #[must_use]
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }
}

/// A delivery from Jelou whose signature matched: the handler's argument.
///
/// Refused before the handler runs: no or a malformed `X-Jelou-Signature`, or one that does
/// not match, answers 401; a body over the limit 413; a verified body that is not a JSON
/// object 400. Nothing is decoded from a refused delivery.
#[derive(Clone, Debug, PartialEq)]
pub struct JelouEvent(pub Event);

/// Why [`JelouEvent`] refused a request: its status and a short reason.
#[derive(Debug)]
pub struct Rejection {
    status: StatusCode,
    reason: String,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        (self.status, self.reason).into_response()
    }
}

impl From<ReceiveError> for Rejection {
    fn from(error: ReceiveError) -> Self {
        let status = match &error {
            ReceiveError::Signature(_) => StatusCode::UNAUTHORIZED,
            ReceiveError::Decode(_) => StatusCode::BAD_REQUEST,
        };
        Self {
            status,
            reason: error.to_string(),
        }
    }
}

impl<S> FromRequest<S> for JelouEvent
where
    WebhookConfig: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let config = WebhookConfig::from_ref(state);
        let header = match request.headers().get(SIGNATURE_HEADER) {
            None => None,
            Some(value) => Some(
                value
                    .to_str()
                    .map_err(|_| {
                        ReceiveError::from(SignatureError::Malformed(
                            "it is not visible ASCII".into(),
                        ))
                    })?
                    .to_owned(),
            ),
        };
        if header.is_none() {
            return Err(ReceiveError::from(SignatureError::Missing).into());
        }
        let body = axum::body::to_bytes(request.into_body(), config.body_limit)
            .await
            .map_err(|_| Rejection {
                status: StatusCode::PAYLOAD_TOO_LARGE,
                reason: format!(
                    "the body is larger than {} bytes, the limit for a delivery",
                    config.body_limit
                ),
            })?;
        Ok(Self(receive(&config.secret, &body, header.as_deref())?))
    }
}
