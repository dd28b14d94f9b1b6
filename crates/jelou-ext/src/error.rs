//! The one error type of this crate, and the decoded API error envelope.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use jelou_client::types;
use reqwest::StatusCode;

use crate::transport_failure::root_cause;
use crate::validate::ValidationError;

/// At most this many bytes of an error body are kept.
pub const RAW_BODY_LIMIT: usize = 64 * 1024;
/// At most this many characters of a body are quoted in messages.
const SNIPPET_CHARS: usize = 300;

/// Everything a call through [`Jelou`](crate::Jelou) can fail with.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input broke a documented limit; nothing was sent.
    #[error("invalid input, nothing was sent: {0}")]
    Validation(#[from] ValidationError),

    /// The client could not be built as configured.
    #[error("invalid client configuration: {0}")]
    Config(String),

    /// The wait for a rate-limit slot would have exceeded the call's remaining time budget;
    /// nothing was sent.
    #[error(
        "rate limited: the next request slot is {} ms away but the call has {} ms left",
        would_wait.as_millis(),
        budget.as_millis()
    )]
    RateLimited {
        /// How long the call would have waited for its slot.
        would_wait: Duration,
        /// The time the call had left.
        budget: Duration,
    },

    /// The rate limiter's backend (Redis, for the shared limiter) could not be reached and the
    /// limiter is set to fail rather than fall back; nothing was sent.
    #[error("the shared rate limiter is unavailable, nothing was sent: {reason}")]
    LimiterUnavailable {
        /// What could not be reached and why, without credentials.
        reason: String,
        /// The backend's own error.
        #[source]
        source: Option<Box<dyn std::error::Error + Send + Sync>>,
    },

    /// The API answered with an error, in any of its documented shapes (including the user
    /// cache's HTTP 200 with `status: "failed"`). [`ApiError::attempts`] says how many times
    /// the request was sent.
    #[error("{0}")]
    Api(Box<ApiError>),

    /// A success answer whose body did not decode into the documented type.
    #[error("the {status} answer did not decode: {source}; body: {snippet:?}{}", after_attempts(*attempts))]
    Decode {
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The beginning of the body.
        snippet: String,
        /// What did not fit.
        #[source]
        source: serde_json::Error,
        /// How many times the request was sent, the first included.
        attempts: u32,
    },

    /// The answer was larger than the client accepts.
    #[error("the {status} answer is larger than the {limit}-byte limit{}", after_attempts(*attempts))]
    ResponseTooLarge {
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The limit, in bytes.
        limit: usize,
        /// How many times the request was sent, the first included.
        attempts: u32,
    },

    /// An attempt or the whole call ran out of time.
    #[error("timed out after {} ms{}", after.as_millis(), after_attempts(*attempts))]
    Timeout {
        /// How long the call had run.
        after: Duration,
        /// How many times the request was sent, the first included (0 when the call's time
        /// ran out before anything was sent).
        attempts: u32,
    },

    /// The request could not be sent or its answer not read (connection refused, a host
    /// name that does not resolve, a connection reset, a body cut short). The message ends
    /// with the innermost cause; the whole chain is the error's `source()`.
    #[error("transport error: {}{}", root_cause(source), after_attempts(*attempts))]
    Transport {
        /// What failed, with its chain of causes.
        #[source]
        source: reqwest::Error,
        /// How many times the request was sent, the first included.
        attempts: u32,
    },

    /// The TLS connection could not be set up: the server's certificate is not trusted (self
    /// signed, expired, for another name) or the handshake failed. Nothing was sent, and the
    /// call is not retried: it cannot heal by itself.
    #[error("TLS failure, nothing was sent: {}", root_cause(.0))]
    Tls(#[source] reqwest::Error),

    /// The server answered with a status the API does not document (1xx or 3xx).
    #[error("unexpected {status} answer: {snippet:?}{}", after_attempts(*attempts))]
    UnexpectedStatus {
        /// The HTTP status of the answer.
        status: StatusCode,
        /// The beginning of the body.
        snippet: String,
        /// How many times the request was sent, the first included.
        attempts: u32,
    },
}

/// How a message says that the request was retried: nothing for one attempt.
fn after_attempts(attempts: u32) -> String {
    if attempts > 1 {
        format!(" (after {attempts} attempts)")
    } else {
        String::new()
    }
}

impl Error {
    /// What caused this error, outermost first, down to the innermost cause (for a
    /// connection refused: the request, the connect step, then the operating system's
    /// "Connection refused"). An error wrapped in an I/O error is listed too, which
    /// walking `source()` alone would skip. Print them under the error to show why it
    /// happened.
    pub fn causes(&self) -> impl Iterator<Item = &(dyn std::error::Error + 'static)> {
        let source = std::error::Error::source(self);
        source
            .into_iter()
            .flat_map(crate::transport_failure::causes)
    }

    /// The decoded API error.
    pub fn api(&self) -> Option<&ApiError> {
        match self {
            Error::Api(api) => Some(api),
            _ => None,
        }
    }

    /// How many times the request was sent, the first included: more than 1 when the
    /// failure was retried, 0 when nothing was sent (a refused input, the rate limiter, a
    /// TLS failure). The same failure has the same variant however many attempts it took.
    pub fn attempts(&self) -> u32 {
        match self {
            Error::Api(api) => api.attempts(),
            Error::Decode { attempts, .. }
            | Error::ResponseTooLarge { attempts, .. }
            | Error::Timeout { attempts, .. }
            | Error::Transport { attempts, .. }
            | Error::UnexpectedStatus { attempts, .. } => *attempts,
            _ => 0,
        }
    }

    /// The HTTP status of the answer this error came from, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Api(api) => Some(api.status()),
            Error::Decode { status, .. }
            | Error::ResponseTooLarge { status, .. }
            | Error::UnexpectedStatus { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// A language of the API's localized messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Language {
    /// Spanish, `es`.
    Spanish,
    /// English, `en`.
    English,
    /// Portuguese, `pt`.
    Portuguese,
}

impl Language {
    fn pick(self, messages: &types::LocalizedMessages) -> Option<&str> {
        match self {
            Language::Spanish => messages.es.as_deref(),
            Language::English => messages.en.as_deref(),
            Language::Portuguese => messages.pt.as_deref(),
        }
    }

    /// The message in this language, else English, else Spanish, else any other.
    pub fn pick_or_fallback(self, messages: &types::LocalizedMessages) -> Option<&str> {
        self.pick(messages)
            .or(messages.en.as_deref())
            .or(messages.es.as_deref())
            .or(messages.pt.as_deref())
            .or_else(|| messages.extra.values().next().map(String::as_str))
    }
}

/// An error answer of the API, decoded from whichever documented shape it came in, with its
/// HTTP status and (up to [`RAW_BODY_LIMIT`] bytes of) its raw body.
#[derive(Clone, Debug)]
pub struct ApiError {
    status: StatusCode,
    body: Option<types::ApiError>,
    raw: Vec<u8>,
    raw_truncated: bool,
    retry_after: Option<Duration>,
    logic_failure: bool,
    attempts: u32,
}

impl ApiError {
    /// Decodes an error answer. Never fails and never panics: a body that is not a JSON object
    /// of a documented shape (an HTML 502 page, an empty body, truncated JSON) is kept raw.
    pub fn from_parts(status: StatusCode, raw: &[u8], retry_after: Option<Duration>) -> Self {
        Self::from_answer(status, None, raw, retry_after)
    }

    /// An error answer whose body the generated code may have decoded already (`decoded`);
    /// otherwise the raw body is decoded here, as [`Self::from_parts`] does.
    pub(crate) fn from_answer(
        status: StatusCode,
        decoded: Option<types::ApiError>,
        raw: &[u8],
        retry_after: Option<Duration>,
    ) -> Self {
        let body = decoded.or_else(|| serde_json::from_slice::<types::ApiError>(raw).ok());
        let raw_truncated = raw.len() > RAW_BODY_LIMIT;
        Self {
            status,
            body,
            raw: raw[..raw.len().min(RAW_BODY_LIMIT)].to_vec(),
            raw_truncated,
            retry_after,
            logic_failure: false,
            attempts: 1,
        }
    }

    /// The same error, answered after `attempts` requests.
    pub(crate) fn after(mut self, attempts: u32) -> Self {
        self.attempts = attempts;
        self
    }

    /// How many times the request was sent, the first included (more than 1 when the
    /// error ended the retries).
    pub fn attempts(&self) -> u32 {
        self.attempts
    }

    /// The user cache's logic error: HTTP 200 with `status: "failed"`.
    pub(crate) fn logic_failure(status: StatusCode, raw: &[u8]) -> Self {
        Self {
            logic_failure: true,
            ..Self::from_parts(status, raw, None)
        }
    }

    /// The HTTP status (200 for the cache's logic error).
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// Whether this is a logic error carried by an HTTP 200 (`status: "failed"`).
    pub fn is_logic_failure(&self) -> bool {
        self.logic_failure
    }

    /// The decoded body, when it was JSON of a documented shape.
    pub fn body(&self) -> Option<&types::ApiError> {
        self.body.as_ref()
    }

    /// The raw body, up to [`RAW_BODY_LIMIT`] bytes.
    pub fn raw_body(&self) -> &[u8] {
        &self.raw
    }

    /// Whether the raw body was longer than [`RAW_BODY_LIMIT`] and was cut.
    pub fn raw_body_truncated(&self) -> bool {
        self.raw_truncated
    }

    /// The server's `Retry-After`, when it sent one.
    pub fn retry_after(&self) -> Option<Duration> {
        self.retry_after
    }

    /// The error code: page 001's (`bot_not_found`) or the envelope's (`E1019`).
    pub fn code(&self) -> Option<&str> {
        let body = self.body.as_ref()?;
        body.code
            .as_deref()
            .or_else(|| body.error.as_ref()?.code.as_deref())
    }

    /// The envelope's error key, such as `BOT_NOT_FOUND`.
    pub fn key(&self) -> Option<&str> {
        self.body.as_ref()?.error.as_ref()?.key.as_deref()
    }

    /// What the error means: page 001's description or the envelope's.
    pub fn description(&self) -> Option<&str> {
        let body = self.body.as_ref()?;
        body.description
            .as_deref()
            .or_else(|| body.error.as_ref()?.description.as_deref())
    }

    /// The `message` field as a list (a bare 401 has one message, the envelope a list).
    pub fn messages(&self) -> Vec<&str> {
        match self.body.as_ref().and_then(|b| b.message.as_ref()) {
            Some(types::ApiErrorMessage::String(one)) => vec![one.as_str()],
            Some(types::ApiErrorMessage::Array(many)) => many.iter().map(String::as_str).collect(),
            None => Vec::new(),
        }
    }

    /// The message meant for end users, in `language` (falling back to English, then Spanish).
    pub fn client_message(&self, language: Language) -> Option<&str> {
        let messages = self
            .body
            .as_ref()?
            .error
            .as_ref()?
            .client_messages
            .as_ref()?;
        language.pick_or_fallback(messages)
    }

    /// The message meant for developers, in `language` (falling back to English, then Spanish).
    pub fn developer_message(&self, language: Language) -> Option<&str> {
        let messages = self
            .body
            .as_ref()?
            .error
            .as_ref()?
            .developer_messages
            .as_ref()?;
        language.pick_or_fallback(messages)
    }

    /// For validation errors: each invalid field with its messages in every language.
    pub fn validation_errors(&self) -> Option<&BTreeMap<String, Vec<types::LocalizedMessages>>> {
        self.body
            .as_ref()
            .map(|b| &b.validation_error)
            .filter(|v| !v.is_empty())
    }

    /// The messages about one invalid field, in `language`.
    pub fn field_messages(&self, field: &str, language: Language) -> Vec<&str> {
        self.validation_errors()
            .and_then(|fields| fields.get(field))
            .map(|list| {
                list.iter()
                    .filter_map(|m| language.pick_or_fallback(m))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The most useful one-line explanation available.
    pub fn summary(&self) -> String {
        if let Some(message) = self.client_message(Language::English) {
            return message.to_owned();
        }
        if let Some(message) = self.messages().first() {
            return (*message).to_owned();
        }
        if let Some(description) = self.description() {
            return description.to_owned();
        }
        if self.raw.is_empty() {
            return "empty body".to_owned();
        }
        format!("body is not a documented error: {:?}", snippet(&self.raw))
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.logic_failure {
            write!(f, "HTTP {} with status \"failed\"", self.status.as_u16())?;
        } else {
            write!(f, "HTTP {}", self.status.as_u16())?;
        }
        match (self.key(), self.code()) {
            (Some(key), Some(code)) => write!(f, " {key} ({code})")?,
            (None, Some(code)) => write!(f, " {code}")?,
            (Some(key), None) => write!(f, " {key}")?,
            (None, None) => {}
        }
        write!(f, ": {}{}", self.summary(), after_attempts(self.attempts))
    }
}

/// The beginning of a body, as text, for messages.
pub(crate) fn snippet(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(&raw[..raw.len().min(SNIPPET_CHARS * 4)]);
    let mut cut: String = text.chars().take(SNIPPET_CHARS).collect();
    if cut.len() < text.len() || raw.len() > SNIPPET_CHARS * 4 {
        cut.push('…');
    }
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    fn api(status: u16, body: &str) -> ApiError {
        ApiError::from_parts(
            StatusCode::from_u16(status).expect("status"),
            body.as_bytes(),
            None,
        )
    }

    #[test]
    fn the_page_001_shape_decodes() {
        let error = api(
            403,
            r#"{"code":"forbidden_bot","description":"Bot is not allowed to be used by your company"}"#,
        );
        assert_eq!(error.code(), Some("forbidden_bot"));
        assert_eq!(error.key(), None);
        assert_eq!(
            error.to_string(),
            "HTTP 403 forbidden_bot: Bot is not allowed to be used by your company"
        );
    }

    #[test]
    fn the_bare_401_decodes() {
        let error = api(401, r#"{"message": "Authentication failed"}"#);
        assert_eq!(error.messages(), ["Authentication failed"]);
        assert_eq!(error.to_string(), "HTTP 401: Authentication failed");
    }

    #[test]
    fn the_envelope_decodes_with_languages_and_fields() {
        let error = api(
            422,
            r#"{"message":["Los valores ingresados no son correctos."],"statusMessage":"failed","status":0,
               "error":{"code":"E0422","key":"VALIDATOR_ERROR","description":"d",
                 "developerMessages":{"es":"des","en":"den"},"clientMessages":{"es":"ces","en":"cen"}},
               "validationError":{"startAt":[{"es":"fes","en":"fen","pt":"fpt"}]}}"#,
        );
        assert_eq!(
            (error.code(), error.key()),
            (Some("E0422"), Some("VALIDATOR_ERROR"))
        );
        assert_eq!(error.client_message(Language::Spanish), Some("ces"));
        // No Portuguese here: English is the fallback.
        assert_eq!(error.client_message(Language::Portuguese), Some("cen"));
        assert_eq!(error.developer_message(Language::English), Some("den"));
        assert_eq!(
            error.field_messages("startAt", Language::Portuguese),
            ["fpt"]
        );
        assert_eq!(error.to_string(), "HTTP 422 VALIDATOR_ERROR (E0422): cen");
    }

    #[test]
    fn bodies_that_are_not_json_keep_status_and_snippet() {
        let html = api(502, "<html><body>Bad Gateway</body></html>");
        assert!(html.body().is_none());
        assert_eq!(html.raw_body(), b"<html><body>Bad Gateway</body></html>");
        assert_eq!(
            html.to_string(),
            "HTTP 502: body is not a documented error: \"<html><body>Bad Gateway</body></html>\""
        );
        assert_eq!(api(503, "").to_string(), "HTTP 503: empty body");
        assert!(api(500, r#"{"message": ["cut"#).body().is_none());
    }

    #[test]
    fn any_bytes_decode_without_panicking_and_raw_is_capped() {
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for length in [0usize, 1, 7, 64, 1000, RAW_BODY_LIMIT + 10] {
            let bytes: Vec<u8> = (0..length)
                .map(|_| {
                    seed ^= seed << 13;
                    seed ^= seed >> 7;
                    seed ^= seed << 17;
                    seed as u8
                })
                .collect();
            let error = ApiError::from_parts(StatusCode::BAD_GATEWAY, &bytes, None);
            let _ = error.to_string();
            assert!(error.raw_body().len() <= RAW_BODY_LIMIT);
            assert_eq!(error.raw_body_truncated(), length > RAW_BODY_LIMIT);
        }
    }

    #[test]
    fn the_raw_body_is_kept_whole_up_to_64_kib() {
        let whole = ApiError::from_parts(StatusCode::BAD_GATEWAY, &[b'x'; 65_536], None);
        assert_eq!(
            (whole.raw_body().len(), whole.raw_body_truncated()),
            (65_536, false)
        );
        let cut = ApiError::from_parts(StatusCode::BAD_GATEWAY, &[b'x'; 65_537], None);
        assert_eq!(
            (cut.raw_body().len(), cut.raw_body_truncated()),
            (65_536, true)
        );
        assert!(!whole.is_logic_failure());
        assert!(ApiError::logic_failure(StatusCode::OK, b"{}").is_logic_failure());
        assert!(api(401, r#"{"message":"m"}"#).body().is_some());
    }

    #[test]
    fn a_retried_failure_keeps_its_shape_and_counts_its_attempts() {
        let once = Error::Api(Box::new(api(503, r#"{"message":"busy"}"#)));
        let retried = Error::Api(Box::new(api(503, r#"{"message":"busy"}"#).after(4)));
        for error in [&once, &retried] {
            assert_eq!(
                error.api().map(ApiError::status),
                Some(StatusCode::SERVICE_UNAVAILABLE)
            );
            assert_eq!(error.status(), Some(StatusCode::SERVICE_UNAVAILABLE));
        }
        assert_eq!((once.attempts(), retried.attempts()), (1, 4));
        assert_eq!(once.to_string(), "HTTP 503: busy");
        assert_eq!(retried.to_string(), "HTTP 503: busy (after 4 attempts)");
        let unexpected = Error::UnexpectedStatus {
            status: StatusCode::FOUND,
            snippet: String::new(),
            attempts: 1,
        };
        assert_eq!(unexpected.status(), Some(StatusCode::FOUND));
        assert!(unexpected.api().is_none());
        assert_eq!(unexpected.to_string(), "unexpected 302 Found answer: \"\"");
        let too_large = Error::ResponseTooLarge {
            status: StatusCode::OK,
            limit: 1,
            attempts: 2,
        };
        assert_eq!(too_large.status(), Some(StatusCode::OK));
        assert_eq!(
            too_large.to_string(),
            "the 200 OK answer is larger than the 1-byte limit (after 2 attempts)"
        );
        assert_eq!(Error::Config("x".into()).attempts(), 0, "nothing was sent");
    }

    #[test]
    fn causes_run_from_the_error_below_down_to_the_innermost() {
        let refused = std::io::Error::new(std::io::ErrorKind::ConnectionRefused, "refused here");
        let unavailable = Error::LimiterUnavailable {
            reason: "Redis at 127.0.0.1:1 (db 0) is unreachable".into(),
            source: Some(Box::new(refused)),
        };
        let causes: Vec<String> = unavailable.causes().map(ToString::to_string).collect();
        assert_eq!(causes, ["refused here", "refused here"]);
        assert_eq!(Error::Config("x".into()).causes().count(), 0);
    }

    #[test]
    fn snippets_end_with_an_ellipsis_exactly_when_something_was_cut() {
        let ascii = |n| "a".repeat(n);
        assert_eq!(
            snippet(ascii(SNIPPET_CHARS).as_bytes()),
            ascii(SNIPPET_CHARS)
        );
        assert_eq!(
            snippet(ascii(SNIPPET_CHARS + 1).as_bytes()),
            ascii(SNIPPET_CHARS) + "…"
        );
        // Four bytes a character: 300 fill exactly the bytes read, 301 go past them.
        let wide = |n| "😀".repeat(n);
        assert_eq!(snippet(wide(SNIPPET_CHARS).as_bytes()), wide(SNIPPET_CHARS));
        assert_eq!(
            snippet(wide(SNIPPET_CHARS + 1).as_bytes()),
            wide(SNIPPET_CHARS) + "…"
        );
    }

    #[test]
    fn snippets_cut_on_character_boundaries() {
        let long = "ñ".repeat(1000);
        let cut = snippet(long.as_bytes());
        assert_eq!(cut.chars().count(), SNIPPET_CHARS + 1);
        assert!(cut.ends_with('…'));
        assert_eq!(snippet(b"short"), "short");
    }

    mod properties {
        use super::*;
        use proptest::prelude::*;

        fn bodies() -> impl Strategy<Value = Vec<u8>> {
            prop_oneof![
                // Any bytes at all, up to past the raw limit.
                proptest::collection::vec(any::<u8>(), 0..(RAW_BODY_LIMIT + 64)),
                // JSON-looking text, the documented shapes' keys among others.
                "[ {}\\[\\]\":,a-z0-9\\\\ñ€\\n]{0,200}".prop_map(String::into_bytes),
                // Documented keys with values of any JSON type.
                (
                    prop_oneof![
                        Just("code"),
                        Just("message"),
                        Just("error"),
                        Just("validationError"),
                        Just("status")
                    ],
                    "(null|true|1|-1|1e999|\"x\"|\\[\\]|\\{\\}|\\[\"a\",1\\]|\\{\"code\":1\\})",
                )
                    .prop_map(|(key, value)| format!("{{\"{key}\":{value}}}").into_bytes()),
            ]
        }

        proptest! {
            #[test]
            fn any_body_decodes_without_panicking_and_keeps_status_and_raw_bytes(
                status in 100u16..1000,
                body in bodies(),
                retry_after in proptest::option::of(any::<u64>()),
            ) {
                let status = StatusCode::from_u16(status).expect("100 to 999");
                let retry_after = retry_after.map(Duration::from_secs);
                let error = ApiError::from_parts(status, &body, retry_after);
                prop_assert_eq!(error.status(), status);
                prop_assert_eq!(error.raw_body(), &body[..body.len().min(RAW_BODY_LIMIT)]);
                prop_assert_eq!(error.raw_body_truncated(), body.len() > RAW_BODY_LIMIT);
                prop_assert_eq!(error.retry_after(), retry_after);
                let shown = error.to_string();
                let prefix = format!("HTTP {}", status.as_u16());
                prop_assert!(shown.starts_with(&prefix));
                let _ = (error.code(), error.key(), error.messages(), error.summary());
                let _ = (error.client_message(Language::Portuguese), error.validation_errors());
            }
        }
    }
}
