//! Which host and which credentials each operation gets: what its spec entry says
//! (`servers` with `x-jelou-server`, `security`), applied to the request before it is checked
//! and sent.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::{Arc, RwLock};

use jelou_client::{AuthScheme, OperationSpec, ServerSpec};
use jelou_webhooks::SigningSecret;
use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};

use crate::error::Error;

/// The credentials a client holds; each operation takes the first of its schemes it has.
#[derive(Clone, Default)]
pub(crate) struct Credentials {
    /// `Authorization: Basic …` for `clientId:clientSecret`.
    pub(crate) basic: Option<HeaderValue>,
    /// The project's API key, sent as is (marked sensitive).
    pub(crate) api_key: Option<HeaderValue>,
    /// The panel integration's signing secret; shared, since it may be set after the
    /// integration is created ([`crate::Jelou::set_signing_secret`]).
    pub(crate) signing_secret: Arc<RwLock<Option<SigningSecret>>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown = |present: bool| if present { "<redacted>" } else { "<none>" };
        f.debug_struct("Credentials")
            .field("basic", &shown(self.basic.is_some()))
            .field("api_key", &shown(self.api_key.is_some()))
            .field("signing_secret", &shown(self.secret().is_some()))
            .finish()
    }
}

/// The header an operation's chosen scheme puts on its request.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct AuthHeader {
    pub(crate) name: HeaderName,
    pub(crate) value: HeaderValue,
}

impl Credentials {
    /// The signing secret now set, if any.
    pub(crate) fn secret(&self) -> Option<SigningSecret> {
        // A writer never panics while holding the lock, so a poisoned one still holds a
        // whole value.
        self.signing_secret
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// The header of the first of `schemes` this client has credentials for, `None` when the
    /// operation takes no authentication, or an error naming what it needs.
    ///
    /// `body` is the request's body when it is in memory: a signature is computed over it.
    pub(crate) fn header_for(
        &self,
        operation: &OperationSpec,
        body: Option<&[u8]>,
    ) -> Result<Option<AuthHeader>, Error> {
        if operation.auth.is_empty() {
            return Ok(None);
        }
        for scheme in operation.auth {
            match scheme {
                AuthScheme::Basic => {
                    if let Some(value) = &self.basic {
                        return Ok(Some(AuthHeader {
                            name: AUTHORIZATION,
                            value: value.clone(),
                        }));
                    }
                }
                AuthScheme::ApiKey { header } => {
                    if let Some(value) = &self.api_key {
                        return Ok(Some(AuthHeader {
                            name: header_name(header)?,
                            value: value.clone(),
                        }));
                    }
                }
                AuthScheme::Signature { header } => {
                    if let Some(secret) = self.secret() {
                        let body = body.ok_or_else(|| {
                            Error::Config(format!(
                                "{} is signed over its body, which must be sent from memory, not streamed",
                                operation.id
                            ))
                        })?;
                        let mut value = HeaderValue::from_str(&secret.sign(body))
                            .map_err(|e| Error::Config(format!("signature header: {e}")))?;
                        value.set_sensitive(true);
                        return Ok(Some(AuthHeader {
                            name: header_name(header)?,
                            value,
                        }));
                    }
                }
                _ => {}
            }
        }
        let wanted: Vec<&str> = operation.auth.iter().map(|s| needs(*s)).collect();
        Err(Error::Config(format!(
            "{} needs {}; this client has none of them",
            operation.id,
            wanted.join(", or ")
        )))
    }
}

/// What a user configures for `scheme`, in words.
fn needs(scheme: AuthScheme) -> &'static str {
    match scheme {
        AuthScheme::Basic => "the account's client id and secret (JelouBuilder::credentials)",
        AuthScheme::ApiKey { .. } => "the project's API key (JelouBuilder::api_key)",
        AuthScheme::Signature { .. } => {
            "the panel integration's signing secret (JelouBuilder::signing_secret)"
        }
        _ => "a kind of authentication this SDK does not know",
    }
}

fn header_name(name: &str) -> Result<HeaderName, Error> {
    HeaderName::from_bytes(name.as_bytes()).map_err(|_| {
        Error::Config(format!(
            "the spec's header name {name:?} is not a header name"
        ))
    })
}

/// The base URL of the API and of every host of its own an operation may be on.
#[derive(Clone, Debug)]
pub(crate) struct Hosts {
    /// The API's base URL, the one the generated client builds every URL on.
    pub(crate) base_url: String,
    /// Base URLs configured by server name, in place of the spec's.
    pub(crate) servers: BTreeMap<String, String>,
}

impl Hosts {
    /// The base URL of `server`: the configured one, or the spec's first.
    pub(crate) fn base_of<'a>(&'a self, server: &'a ServerSpec) -> &'a str {
        self.servers
            .get(server.name)
            .map_or(server.url, String::as_str)
    }

    /// Moves a request the generated client built on the API's base URL onto `server`.
    pub(crate) fn move_to(
        &self,
        request: &mut reqwest::Request,
        server: &ServerSpec,
    ) -> Result<(), Error> {
        let moved = rehost(request.url().as_str(), &self.base_url, self.base_of(server))
            .ok_or_else(|| {
                Error::Config(format!(
                    "{} was not built on the client's base URL {}",
                    request.url(),
                    self.base_url
                ))
            })?;
        *request.url_mut() = reqwest::Url::parse(&moved).map_err(|e| {
            Error::Config(format!(
                "{moved:?} (on the {} host) is not a URL: {e}",
                server.name
            ))
        })?;
        Ok(())
    }
}

/// `url` with its leading `from` replaced by `to`; `None` when `url` does not start with
/// `from` followed by a path, a query or nothing.
pub(crate) fn rehost(url: &str, from: &str, to: &str) -> Option<String> {
    let rest = url.strip_prefix(from.trim_end_matches('/'))?;
    if !(rest.is_empty() || rest.starts_with('/') || rest.starts_with('?')) {
        return None;
    }
    Some(format!("{}{rest}", to.trim_end_matches('/')))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_moves_to_another_host_with_its_path_and_query() {
        let cases = [
            (
                "https://api.jelou.ai/v1/external-support/P",
                "https://api.jelou.ai",
                "https://gateway.jelou.ai/jelouapi",
                Some("https://gateway.jelou.ai/jelouapi/v1/external-support/P"),
            ),
            (
                "http://127.0.0.1:9/v1/x?a=1",
                "http://127.0.0.1:9/",
                "http://127.0.0.1:9/platform/",
                Some("http://127.0.0.1:9/platform/v1/x?a=1"),
            ),
            (
                "http://127.0.0.1:9",
                "http://127.0.0.1:9",
                "https://h",
                Some("https://h"),
            ),
            // A host that merely starts like the base URL is not on it.
            (
                "http://127.0.0.1:90/v1",
                "http://127.0.0.1:9",
                "https://h",
                None,
            ),
            (
                "https://other.example/v1",
                "https://api.jelou.ai",
                "https://h",
                None,
            ),
        ];
        for (url, from, to, expected) in cases {
            assert_eq!(
                rehost(url, from, to).as_deref(),
                expected,
                "{url} from {from}"
            );
        }
    }

    fn operation(id: &str) -> &'static OperationSpec {
        jelou_client::operation_spec(id).expect("in the spec")
    }

    fn credentials(basic: bool, api_key: bool, secret: bool) -> Credentials {
        let mut key = HeaderValue::from_static("key-1");
        key.set_sensitive(true);
        Credentials {
            basic: basic.then(|| jelou_client::basic_auth_header("id", "secret").expect("header")),
            api_key: api_key.then_some(key),
            signing_secret: Arc::new(RwLock::new(
                secret.then(|| SigningSecret::new("k").expect("secret")),
            )),
        }
    }

    #[test]
    fn each_operation_takes_the_first_of_its_schemes_the_client_has() {
        let panel = operation("panel_integration_get");
        let main = operation("message_send");
        let signed = operation("panel_message_send");

        let both = credentials(true, true, false);
        let header = both.header_for(panel, None).expect("ok").expect("header");
        assert_eq!(header.name.as_str(), "x-api-key");
        assert_eq!(header.value, "key-1");
        let header = both.header_for(main, None).expect("ok").expect("header");
        assert_eq!(header.name, AUTHORIZATION);

        // Without the API key, the panel's operations fall back to Basic, their second scheme.
        let basic_only = credentials(true, false, false);
        let header = basic_only
            .header_for(panel, None)
            .expect("ok")
            .expect("header");
        assert_eq!(header.name, AUTHORIZATION);

        let key_only = credentials(false, true, false);
        let error = key_only.header_for(main, None).expect_err("needs Basic");
        assert!(
            error
                .to_string()
                .contains("message_send needs the account's client id and secret"),
            "{error}"
        );
        let error = both
            .header_for(signed, Some(b"{}"))
            .expect_err("needs the secret");
        assert!(error.to_string().contains("signing secret"), "{error}");
    }

    #[test]
    fn a_signed_operation_carries_the_hmac_of_its_exact_body() {
        let signed = operation("panel_message_send");
        let with_secret = credentials(false, false, true);
        let header = with_secret
            .header_for(signed, Some(b"{\"a\":1}"))
            .expect("ok")
            .expect("header");
        assert_eq!(header.name.as_str(), "x-jelou-signature");
        assert!(header.value.is_sensitive());
        // printf '{"a":1}' | openssl dgst -sha256 -hmac k
        assert_eq!(
            header.value,
            "sha256=c3a92ff9e274cdcce27a58c15a78ec6dcbbdbd0038a87e7a11baef2028fd8bff"
        );
        let error = with_secret.header_for(signed, None).expect_err("streamed");
        assert!(
            error.to_string().contains("must be sent from memory"),
            "{error}"
        );
    }

    #[test]
    fn credentials_are_never_shown() {
        let shown = format!("{:?}", credentials(true, true, true));
        assert!(
            !shown.contains("key-1") && !shown.contains("Basic"),
            "{shown}"
        );
    }
}
