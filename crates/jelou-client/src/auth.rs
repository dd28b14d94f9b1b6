//! The API's HTTP Basic credentials as a header value.

use base64::Engine as _;
use reqwest::header::{HeaderValue, InvalidHeaderValue};

/// Builds the `Authorization: Basic …` value for `clientId:clientSecret`, marked sensitive so
/// that reqwest and `Debug` output never show it.
///
/// Fails only when the id or secret holds bytes a header cannot carry (control characters).
///
/// ```
/// let value = jelou_client::basic_auth_header("id", "secret").unwrap();
/// assert!(value.is_sensitive());
/// assert_eq!(value.to_str().unwrap(), "Basic aWQ6c2VjcmV0");
/// ```
pub fn basic_auth_header(
    client_id: &str,
    client_secret: &str,
) -> Result<HeaderValue, InvalidHeaderValue> {
    let encoded =
        base64::engine::general_purpose::STANDARD.encode(format!("{client_id}:{client_secret}"));
    let mut value = HeaderValue::from_str(&format!("Basic {encoded}"))?;
    value.set_sensitive(true);
    Ok(value)
}
