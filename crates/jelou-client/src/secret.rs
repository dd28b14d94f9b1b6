//! A secret the API hands back once, such as the panel integration's signing secret.

use std::fmt;

/// A secret from an answer of the API (the spec's `SigningSecret`).
///
/// `Debug` and `Display` never show it; [`Secret::expose`] does, for storing it. Serializing
/// writes the secret itself, since storing it is the one thing to do with it.
///
/// ```
/// let secret: jelou_client::Secret = serde_json::from_str("\"s3cr3t\"").unwrap();
/// assert_eq!(format!("{secret:?}"), "Secret(<redacted>)");
/// assert_eq!(secret.expose(), "s3cr3t");
/// ```
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret itself.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(secret: String) -> Self {
        Self(secret)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}
