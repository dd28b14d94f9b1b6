#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[cfg(feature = "axum")]
mod axum_extractor;
mod error;
mod event;
mod signature;

#[cfg(feature = "axum")]
pub use axum_extractor::{DEFAULT_BODY_LIMIT, JelouEvent, Rejection, WebhookConfig};
pub use error::{DecodeError, SignatureError};
pub use event::{
    Delivery, DeliveryKind, Event, Named, PanelContent, PanelEvent, PanelMessage, WidgetEvent,
};
pub use signature::{SIGNATURE_HEADER, SigningSecret, verify};

/// Verifies a delivery and decodes it: the plain function for any framework. `header` is the
/// `X-Jelou-Signature` value, `None` when the request had none. Nothing is decoded from a
/// body whose signature does not match.
pub fn receive(
    secret: &SigningSecret,
    body: &[u8],
    header: Option<&str>,
) -> Result<Event, ReceiveError> {
    let header = header.ok_or(SignatureError::Missing)?;
    secret.verify(body, header)?;
    Ok(Event::decode(body)?)
}

/// Why [`receive`] refused a delivery.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReceiveError {
    /// The signature is missing, malformed or does not match: answer 401.
    #[error(transparent)]
    Signature(#[from] SignatureError),
    /// The signature matches but the body is not a JSON object: answer 400.
    #[error(transparent)]
    Decode(#[from] DecodeError),
}
