//! What the spec says about each operation beyond its Rust types, generated from
//! `openapi/jelou.yaml` into [`OPERATIONS`](crate::OPERATIONS), and the [`Call`] trait every
//! generated request builder implements.
//!
//! Another crate reads these to apply, to every operation alike, what an HTTP method cannot
//! say: whether a write is safe to repeat (`x-jelou-idempotent`), how a list is paged
//! (`x-jelou-pagination`), when a 200 answer is an error (`x-jelou-logic-error`), and the
//! JSON Schema of each parameter and body, with every documented limit.

use progenitor_client::{Error, ResponseValue};

use crate::BoxFuture;

/// One operation of the spec.
#[derive(Debug)]
#[non_exhaustive]
pub struct OperationSpec {
    /// The spec's `operationId`, such as `message_send`.
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, such as `/v1/bots/{botId}/messages`.
    pub path: &'static str,
    /// The spec's one-line summary.
    pub summary: &'static str,
    /// The spec's tags; the first one groups the operation (`jelou cache get`).
    pub tags: &'static [&'static str],
    /// The host of its own the operation is on (its path item's `servers`), or `None` for the
    /// API's base URL.
    pub server: Option<ServerSpec>,
    /// The ways the operation authenticates, in the spec's order of preference (its
    /// `security`); empty when it takes none.
    pub auth: &'static [AuthScheme],
    /// Sending the request twice has the effect of sending it once: `x-jelou-idempotent`, or
    /// else `GET` and `HEAD` only.
    pub idempotent: bool,
    /// How the answer is paged, when it is a list (`x-jelou-pagination`).
    pub pagination: Option<Pagination>,
    /// When a successful status still carries the API's error (`x-jelou-logic-error`).
    pub logic_error: Option<LogicError>,
    /// The path, query and header parameters, in spec order.
    pub parameters: &'static [ParameterSpec],
    /// The JSON request body, when the operation takes one.
    pub body: Option<BodySpec>,
    /// The documented answers: status (`200`, `4XX`, `404`) and example, by status.
    pub responses: &'static [ResponseSpec],
    /// JSON pointers to the fields of the successful answer that are secrets (`format:
    /// password`), such as `/signingSecret`: never to be printed or logged.
    pub secrets: &'static [&'static str],
    /// Decodes an answer of status `status` into the operation's generated type (its
    /// success type for 2XX, its error type otherwise), to say whether it fits.
    pub decode: fn(status: u16, body: &[u8]) -> Result<(), serde_json::Error>,
}

impl OperationSpec {
    /// The parameter named `name`.
    pub fn parameter(&self, name: &str) -> Option<&'static ParameterSpec> {
        self.parameters.iter().find(|p| p.name == name)
    }

    /// Replaces each secret of a successful answer ([`Self::secrets`]) with `"<redacted>"`,
    /// returning the secrets taken, by pointer, for whoever must store them.
    ///
    /// ```
    /// let create = jelou_client::operation_spec("panel_integration_create").unwrap();
    /// let mut answer = serde_json::json!({"id": "I", "signingSecret": "abc"});
    /// let taken = create.take_secrets(&mut answer);
    /// assert_eq!(taken, vec![("/signingSecret", "abc".to_owned())]);
    /// assert_eq!(answer["signingSecret"], "<redacted>");
    /// ```
    pub fn take_secrets(&self, answer: &mut serde_json::Value) -> Vec<(&'static str, String)> {
        let mut taken = Vec::new();
        for pointer in self.secrets {
            if let Some(field) = answer.pointer_mut(pointer)
                && let Some(secret) = field.as_str()
            {
                taken.push((*pointer, secret.to_owned()));
                *field = serde_json::Value::String(REDACTED.to_owned());
            }
        }
        taken
    }
}

/// What a secret is shown as.
pub const REDACTED: &str = "<redacted>";

/// A host of its own that some operations are on: the `servers` of their path item.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServerSpec {
    /// The name its base URL is configured by (`x-jelou-server`), such as `panel`.
    pub name: &'static str,
    /// The base URL used by default: the first server the spec lists.
    pub url: &'static str,
    /// The other base URLs the spec lists for the same operations, such as a prefix another
    /// copy of the documentation gives.
    pub alternatives: &'static [&'static str],
}

/// One way an operation authenticates: a security scheme of the spec.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AuthScheme {
    /// HTTP Basic with the account's `clientId:clientSecret`.
    Basic,
    /// A key sent as is in the header `header`.
    ApiKey {
        /// The header's name, such as `x-api-key`.
        header: &'static str,
    },
    /// `sha256=` and the hex HMAC-SHA256 of the exact body, keyed with a signing secret, in
    /// the header `header` (`x-jelou-signature: hmac-sha256`).
    Signature {
        /// The header's name, such as `X-Jelou-Signature`.
        header: &'static str,
    },
}

/// Where a parameter travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParameterLocation {
    /// In the path, as `{name}`.
    Path,
    /// In the query string.
    Query,
    /// In a header.
    Header,
}

/// One parameter of an operation.
#[derive(Debug)]
#[non_exhaustive]
pub struct ParameterSpec {
    /// Its name on the wire (`botId`, `sort[field]`).
    pub name: &'static str,
    /// Where it travels.
    pub location: ParameterLocation,
    /// Whether every request must carry it.
    pub required: bool,
    /// The spec's description.
    pub description: &'static str,
    /// Its schema, as a JSON Schema (draft 7) document with every reference resolved.
    pub schema: &'static str,
    /// The documented example value.
    pub example: Option<&'static str>,
}

/// The JSON body of an operation.
#[derive(Debug)]
#[non_exhaustive]
pub struct BodySpec {
    /// Whether every request must carry it.
    pub required: bool,
    /// Its schema, as a JSON Schema (draft 7) document with every reference resolved.
    pub schema: &'static str,
    /// The documented example request body, as JSON.
    pub example: Option<&'static str>,
    /// Decodes a body into the operation's generated request type, to say whether it fits.
    pub decode: fn(body: &[u8]) -> Result<(), serde_json::Error>,
}

/// One documented answer.
#[derive(Debug)]
#[non_exhaustive]
pub struct ResponseSpec {
    /// The status or status range as the spec writes it: `200`, `404`, `4XX`.
    pub status: &'static str,
    /// The documented example body, as JSON.
    pub example: Option<&'static str>,
}

/// How a list operation is paged (`x-jelou-pagination`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Pagination {
    /// Numbered pages: the query parameter `parameter` is the page number, starting at 1.
    Page {
        /// The page number's query parameter.
        parameter: &'static str,
        /// A JSON pointer to the answer's items.
        items: &'static str,
        /// A JSON pointer to the answer's count of pages.
        total_pages: &'static str,
    },
    /// A cursor: the query parameter `parameter` takes a field of the last item seen.
    Cursor {
        /// The cursor's query parameter.
        parameter: &'static str,
        /// A JSON pointer to the answer's items.
        items: &'static str,
        /// The field of an item that is the cursor.
        cursor_field: &'static str,
        /// The query parameter holding the page size; a shorter page is the last.
        size_parameter: &'static str,
        /// The page size when the request does not give one.
        default_size: u64,
    },
}

/// When a successful answer is the API's logic error (`x-jelou-logic-error`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct LogicError {
    /// The top-level field that says the call failed (`status`).
    pub field: &'static str,
    /// The value it has then (`failed`).
    pub value: &'static str,
    /// The answer is the error only in the error's whole shape: exactly `field` and a
    /// `message` list of strings. Used where the answer is otherwise free-form data that may
    /// hold a field of the same name.
    pub exact_shape: bool,
}

/// Where the next page starts.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum PageToken {
    /// A page number.
    Page(u32),
    /// A cursor value.
    Cursor(String),
}

/// What [`Call::send`] returns: the generated builder's answer, boxed.
pub type CallFuture<'a, T, E> = BoxFuture<'a, Result<ResponseValue<T>, Error<E>>>;

/// A request built with the generated builders, ready to send: implemented for every builder,
/// so that another crate can send any operation the same way.
pub trait Call<'a>: Sized + Send + 'a {
    /// What a successful answer decodes to.
    type Output: serde::Serialize + Send + 'a;
    /// What an error answer decodes to.
    type Failure: Send + 'static;
    /// What the spec says about the operation.
    fn operation() -> &'static OperationSpec;
    /// Sends the request, as the builder's own `send` does.
    fn send(self) -> CallFuture<'a, Self::Output, Self::Failure>;
}

/// A [`Call`] of a paged list: the same request can be pointed at another page.
pub trait PagedCall<'a>: Call<'a> + Clone {
    /// The same request for the page `token` names; `None` when the token does not fit the
    /// operation's paging (a page number past what its parameter holds).
    fn at(self, token: &PageToken) -> Option<Self>;
}

/// Decodes an answer of status `status` into `Output` (a 2XX) or `Failure` (anything else):
/// what each operation's [`OperationSpec::decode`] does with its own types.
pub fn decode_answer<Output, Failure>(status: u16, body: &[u8]) -> Result<(), serde_json::Error>
where
    Output: serde::de::DeserializeOwned,
    Failure: serde::de::DeserializeOwned,
{
    if (200..300).contains(&status) {
        serde_json::from_slice::<Output>(body).map(drop)
    } else {
        serde_json::from_slice::<Failure>(body).map(drop)
    }
}

/// Decodes a request body into `Body`, the operation's generated request type.
pub fn decode_body<Body: serde::de::DeserializeOwned>(
    body: &[u8],
) -> Result<(), serde_json::Error> {
    serde_json::from_slice::<Body>(body).map(drop)
}

/// The operation named `id`, from [`OPERATIONS`](crate::OPERATIONS).
pub fn operation_spec(id: &str) -> Option<&'static OperationSpec> {
    crate::OPERATIONS.iter().find(|op| op.id == id)
}
