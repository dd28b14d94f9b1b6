//! Everything that can go wrong with a delivery.

/// Why a delivery was refused or could not be read.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SignatureError {
    /// The signing secret is empty: anything would verify against it.
    #[error("the signing secret is empty")]
    EmptySecret,
    /// The request carries no `X-Jelou-Signature` header.
    #[error("the X-Jelou-Signature header is missing")]
    Missing,
    /// The header is not `sha256=` and 64 hex digits.
    #[error("the X-Jelou-Signature header is malformed: {0}")]
    Malformed(String),
    /// The signature does not match the body and secret: a tampered body, another secret.
    #[error("the X-Jelou-Signature does not match the body")]
    Mismatch,
}

/// A verified body that is not an event.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeError {
    /// The body is not a JSON object.
    #[error("the event is not a JSON object: {0}")]
    NotAnObject(#[source] serde_json::Error),
    /// The body is a JSON value other than an object.
    #[error("the event is JSON but not an object")]
    NotAnObjectValue,
}
