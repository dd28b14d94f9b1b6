//! `X-Jelou-Signature`: `sha256=` and the hex HMAC-SHA256 of the raw body, keyed with the
//! integration's signing secret.

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;

use crate::error::SignatureError;

/// The header Jelou signs its deliveries with, and expects on what is sent to it.
pub const SIGNATURE_HEADER: &str = "X-Jelou-Signature";

/// The only form of signature the documentation gives: `sha256=<hex>`.
const PREFIX: &str = "sha256=";

/// A signing secret, as the API shows it once when an integration is created.
///
/// It never shows in `Debug` output, and an empty secret is refused: with an empty key,
/// anyone could sign.
#[derive(Clone)]
pub struct SigningSecret(Vec<u8>);

impl SigningSecret {
    /// The secret, refused when empty.
    pub fn new(secret: impl Into<Vec<u8>>) -> Result<Self, SignatureError> {
        let secret = secret.into();
        if secret.is_empty() {
            return Err(SignatureError::EmptySecret);
        }
        Ok(Self(secret))
    }

    /// The secret itself, for storing it: the one place it shows.
    pub fn expose(&self) -> &[u8] {
        &self.0
    }

    fn mac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length; `new_from_slice` cannot fail for it.
        <Hmac<Sha256> as KeyInit>::new_from_slice(&self.0)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"))
    }

    /// The header value that signs `body`: `sha256=` and 64 lowercase hex digits. Sign the
    /// exact bytes that are sent.
    pub fn sign(&self, body: &[u8]) -> String {
        let mut mac = self.mac();
        mac.update(body);
        format!("{PREFIX}{}", hex::encode(mac.finalize().into_bytes()))
    }

    /// Whether `header` signs exactly `body`, the bytes as they were received (never JSON
    /// decoded and encoded again: any change of spacing or key order breaks the signature).
    /// The comparison takes the same time wherever the digests differ.
    pub fn verify(&self, body: &[u8], header: &str) -> Result<(), SignatureError> {
        let digest = parse(header)?;
        let mut mac = self.mac();
        mac.update(body);
        mac.verify_slice(&digest)
            .map_err(|_| SignatureError::Mismatch)
    }
}

impl std::fmt::Debug for SigningSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SigningSecret(<redacted>)")
    }
}

/// Checks `header` against `body` with `secret`: [`SigningSecret::verify`] for callers that
/// hold the secret as bytes.
pub fn verify(secret: &[u8], body: &[u8], header: &str) -> Result<(), SignatureError> {
    SigningSecret::new(secret)?.verify(body, header)
}

/// The 32-byte digest a header carries.
fn parse(header: &str) -> Result<[u8; 32], SignatureError> {
    let header = header.trim();
    let hex_digest = header
        .strip_prefix(PREFIX)
        .ok_or_else(|| SignatureError::Malformed(format!("it must start with {PREFIX:?}")))?;
    if hex_digest.len() != 64 {
        return Err(SignatureError::Malformed(format!(
            "{PREFIX} must be followed by 64 hex digits, got {}",
            hex_digest.len()
        )));
    }
    let mut digest = [0u8; 32];
    hex::decode_to_slice(hex_digest, &mut digest)
        .map_err(|e| SignatureError::Malformed(format!("the digest is not hex: {e}")))?;
    Ok(digest)
}
