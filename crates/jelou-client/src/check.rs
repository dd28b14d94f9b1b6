//! Every request checked against its operation's schemas in the spec: the one set of rules
//! the SDK applies before sending and the sandbox applies on receipt.
//!
//! The schemas are `OPERATIONS`', generated from `openapi/jelou.yaml` with every documented
//! limit, so a limit written in the spec is enforced for every operation, the ones added
//! later included, without a line of code here. Path and query values arrive as text and are
//! read as the type their schema names before they are checked. Lengths are counted in
//! characters, not bytes.

use std::fmt;
use std::sync::OnceLock;

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, Validator};
use reqwest::header::HeaderMap;
use serde_json::{Map, Value};

use crate::OPERATIONS;
use crate::operation::{OperationSpec, ParameterLocation};

/// A rule of the spec that a request breaks: the field, the limit and the value.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct BrokenRule {
    /// The field, as a path into the request: a parameter's name (`limit`), or a path into
    /// the body (`options[2].title`, `body` for the whole body).
    pub field: String,
    /// The rule (`at most 24 characters`).
    pub limit: String,
    /// The value that broke it, described (`25 characters: "…"`).
    pub value: String,
}

impl BrokenRule {
    /// A broken rule.
    pub fn new(
        field: impl Into<String>,
        limit: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            limit: limit.into(),
            value: value.into(),
        }
    }
}

impl fmt::Display for BrokenRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} must be {}, got {}",
            self.field, self.limit, self.value
        )
    }
}

impl std::error::Error for BrokenRule {}

/// Why a request could not be checked or was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CheckError {
    /// The request breaks a rule of the spec.
    Broken(BrokenRule),
    /// The spec's schema for the operation does not compile (a defect of the spec).
    Schema {
        /// The operation.
        operation: &'static str,
        /// What is wrong with its schema.
        message: String,
    },
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Broken(rule) => rule.fmt(f),
            Self::Schema { operation, message } => {
                write!(
                    f,
                    "the spec's schema for {operation} does not compile: {message}"
                )
            }
        }
    }
}

impl std::error::Error for CheckError {}

impl From<BrokenRule> for CheckError {
    fn from(rule: BrokenRule) -> Self {
        Self::Broken(rule)
    }
}

/// The body of a request, as far as it can be read before it is sent.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum RequestBody<'a> {
    /// No body.
    Absent,
    /// The body's bytes.
    Bytes(&'a [u8]),
    /// A streamed body, which cannot be read without being consumed: it is not checked.
    Streamed,
}

/// What a request is made of, for [`check_request`].
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub struct RequestParts<'a> {
    /// The URL's path; the operation's template is matched against its end, so that a base
    /// URL with a path of its own works.
    pub path: &'a str,
    /// The URL's query string, without `?`.
    pub query: Option<&'a str>,
    /// The headers.
    pub headers: &'a HeaderMap,
    /// The body.
    pub body: RequestBody<'a>,
}

impl<'a> RequestParts<'a> {
    /// The parts of a request.
    pub fn new(
        path: &'a str,
        query: Option<&'a str>,
        headers: &'a HeaderMap,
        body: RequestBody<'a>,
    ) -> Self {
        Self {
            path,
            query,
            headers,
            body,
        }
    }
}

/// Where a method and path lead among the operations of the spec.
#[derive(Debug)]
#[non_exhaustive]
pub enum Route {
    /// The operation at that method and path.
    Operation(&'static OperationSpec),
    /// The path exists but not with that method; these methods are allowed.
    WrongMethod(Vec<&'static str>),
    /// No operation has that path.
    NoSuchPath,
}

/// Whether `path` fits the template's segments exactly.
fn fits(template: &str, path: &str) -> bool {
    let template: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    template.len() == segments.len()
        && template.iter().zip(&segments).all(|(part, segment)| {
            (part.starts_with('{') && part.ends_with('}')) || part == segment
        })
}

/// The operation that `method` and `path` (without a base path) name.
pub fn route(method: &str, path: &str) -> Route {
    let matching: Vec<&'static OperationSpec> =
        OPERATIONS.iter().filter(|op| fits(op.path, path)).collect();
    if matching.is_empty() {
        return Route::NoSuchPath;
    }
    // A literal segment beats a parameter: the most literal template wins.
    let literal = |op: &OperationSpec| op.path.split('/').filter(|s| !s.starts_with('{')).count();
    let best = matching.iter().map(|op| literal(op)).max().unwrap_or(0);
    let matching: Vec<_> = matching
        .into_iter()
        .filter(|op| literal(op) == best)
        .collect();
    match matching
        .iter()
        .find(|op| op.method.eq_ignore_ascii_case(method))
    {
        Some(op) => Route::Operation(op),
        None => Route::WrongMethod(matching.iter().map(|op| op.method).collect()),
    }
}

/// How a refused text is shown: quoted, and cut after 60 characters.
pub fn quoted(value: &str) -> String {
    const SHOWN: usize = 60;
    if value.chars().count() <= SHOWN {
        format!("{value:?}")
    } else {
        let head: String = value.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}

/// A length rule in words: `at most 24 characters`, `10 to 64 characters`, `exactly 24 …`.
pub fn length_limit(min: usize, max: usize, unit: &str) -> String {
    match (min, max) {
        (min, max) if min == max => format!("exactly {max} {unit}"),
        (0, max) => format!("at most {max} {unit}"),
        (min, usize::MAX) => format!("at least {min} {unit}"),
        (min, max) => format!("{min} to {max} {unit}"),
    }
}

/// One operation's schemas, compiled once.
struct Compiled {
    parameters: Vec<CompiledParameter>,
    body: Option<(bool, Validator)>,
}

struct CompiledParameter {
    name: &'static str,
    location: ParameterLocation,
    required: bool,
    schema: Value,
    validator: Validator,
}

fn compile(schema: &str) -> Result<(Value, Validator), String> {
    let schema: Value = serde_json::from_str(schema).map_err(|e| e.to_string())?;
    let validator = jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())?;
    Ok((schema, validator))
}

fn compile_operation(operation: &OperationSpec) -> Result<Compiled, String> {
    let mut parameters = Vec::new();
    for parameter in operation.parameters {
        let (schema, validator) =
            compile(parameter.schema).map_err(|e| format!("parameter {}: {e}", parameter.name))?;
        parameters.push(CompiledParameter {
            name: parameter.name,
            location: parameter.location,
            required: parameter.required,
            schema,
            validator,
        });
    }
    let body = match &operation.body {
        Some(body) => Some((
            body.required,
            compile(body.schema).map_err(|e| format!("body: {e}"))?.1,
        )),
        None => None,
    };
    Ok(Compiled { parameters, body })
}

/// Every operation's compiled schemas, in the order of `OPERATIONS`.
fn compiled() -> &'static [Result<Compiled, String>] {
    static COMPILED: OnceLock<Vec<Result<Compiled, String>>> = OnceLock::new();
    COMPILED.get_or_init(|| OPERATIONS.iter().map(compile_operation).collect())
}

/// Checks a request against the schemas of `operation`: its path, query and header
/// parameters, and its JSON body. The first broken rule comes back, naming the field, the
/// limit and the value.
pub fn check_request(
    operation: &'static OperationSpec,
    request: RequestParts<'_>,
) -> Result<(), CheckError> {
    let Some(index) = OPERATIONS.iter().position(|op| std::ptr::eq(op, operation)) else {
        return Ok(());
    };
    let compiled = compiled()[index]
        .as_ref()
        .map_err(|message| CheckError::Schema {
            operation: operation.id,
            message: message.clone(),
        })?;
    let path_values = path_values(operation.path, request.path);
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(request.query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    for parameter in &compiled.parameters {
        let texts: Vec<&str> = match parameter.location {
            ParameterLocation::Path => path_values
                .iter()
                .filter(|(name, _)| *name == parameter.name)
                .map(|(_, value)| value.as_str())
                .collect(),
            ParameterLocation::Query => query
                .iter()
                .filter(|(name, _)| name == parameter.name)
                .map(|(_, value)| value.as_str())
                .collect(),
            ParameterLocation::Header => request
                .headers
                .get_all(parameter.name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect(),
        };
        if texts.is_empty() {
            if parameter.required {
                return Err(
                    BrokenRule::new(parameter.name, "present (required)", "missing").into(),
                );
            }
            continue;
        }
        let value = typed(parameter.name, &parameter.schema, &texts)?;
        first_error(parameter.name, &parameter.validator, &value)?;
    }
    if let Some((required, validator)) = &compiled.body {
        match request.body {
            RequestBody::Bytes(bytes) if !bytes.is_empty() => {
                let body: Value = serde_json::from_slice(bytes).map_err(|e| {
                    BrokenRule::new("body", "a JSON document", format!("not JSON: {e}"))
                })?;
                first_error("", validator, &body)?;
            }
            RequestBody::Streamed => {}
            _ if *required => {
                return Err(BrokenRule::new("body", "present (required)", "missing").into());
            }
            _ => {}
        }
    }
    Ok(())
}

/// The values of the template's `{name}` segments in `path`, percent-decoded. The template
/// is matched against the end of the path, so that a base URL with a path of its own works.
fn path_values(template: &'static str, path: &str) -> Vec<(&'static str, String)> {
    let template: Vec<&str> = template.split('/').filter(|s| !s.is_empty()).collect();
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let Some(offset) = segments.len().checked_sub(template.len()) else {
        return Vec::new();
    };
    template
        .iter()
        .zip(&segments[offset..])
        .filter_map(|(part, segment)| {
            let name = part.strip_prefix('{')?.strip_suffix('}')?;
            let decoded = percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned();
            Some((name, decoded))
        })
        .collect()
}

/// The text of a path or query value read as the JSON type its schema names.
fn typed(name: &str, schema: &Value, texts: &[&str]) -> Result<Value, BrokenRule> {
    let types = |schema: &Value| -> Vec<String> {
        match schema.get("type") {
            Some(Value::String(ty)) => vec![ty.clone()],
            Some(Value::Array(types)) => types
                .iter()
                .filter_map(|t| t.as_str().map(str::to_owned))
                .collect(),
            _ => Vec::new(),
        }
    };
    let one = |schema: &Value, text: &str| -> Result<Value, BrokenRule> {
        let kinds = types(schema);
        if kinds.iter().any(|k| k == "integer") {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(n.into());
            }
            if let Ok(n) = text.parse::<u64>() {
                return Ok(n.into());
            }
            return Err(BrokenRule::new(name, "a whole number", quoted(text)));
        }
        if kinds.iter().any(|k| k == "number") {
            return text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| BrokenRule::new(name, "a number", quoted(text)));
        }
        if kinds.iter().any(|k| k == "boolean") {
            return match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(BrokenRule::new(name, "true or false", quoted(text))),
            };
        }
        Ok(Value::String(text.to_owned()))
    };
    if types(schema).iter().any(|k| k == "array") {
        let items = schema.get("items").cloned().unwrap_or(Value::Null);
        return texts
            .iter()
            .map(|text| one(&items, text))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    one(schema, texts[0])
}

/// The first rule `value` breaks, as a [`BrokenRule`] whose field starts with `root`.
fn first_error(root: &str, validator: &Validator, value: &Value) -> Result<(), BrokenRule> {
    match validator.iter_errors(value).next() {
        None => Ok(()),
        Some(error) => Err(describe(root, &error)),
    }
}

/// `root` followed by the JSON pointer as a field path: `/options/2/title` → `options[2].title`.
fn field_path(root: &str, pointer: &str) -> String {
    let mut path = root.to_owned();
    for segment in pointer.split('/').skip(1) {
        let segment = segment.replace("~1", "/").replace("~0", "~");
        if segment.parse::<usize>().is_ok() {
            path.push_str(&format!("[{segment}]"));
        } else {
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&segment);
        }
    }
    if path.is_empty() {
        "body".to_owned()
    } else {
        path
    }
}

fn join(path: &str, name: &str) -> String {
    if path == "body" {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// A JSON value as the error shows it: text quoted and cut, anything else compact and cut.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => format!("{} characters: {}", text.chars().count(), quoted(text)),
        Value::Array(items) => format!("{} items", items.len()),
        other => {
            let text = other.to_string();
            if text.chars().count() > 60 {
                format!("{}…", text.chars().take(60).collect::<String>())
            } else {
                text
            }
        }
    }
}

/// A count limit of the schema as a length (a limit past `usize` is no limit).
fn count(limit: u64) -> usize {
    usize::try_from(limit).unwrap_or(usize::MAX)
}

fn describe(root: &str, error: &jsonschema::ValidationError<'_>) -> BrokenRule {
    let field = field_path(root, error.instance_path().as_str());
    let instance = error.instance().as_ref();
    let keys = || format!("{} keys", instance.as_object().map_or(0, Map::len));
    // Most rules name the limit and show the value as it is; the others name another field
    // (a missing or undocumented one) or describe the value otherwise.
    let limit = match error.kind() {
        ValidationErrorKind::MaxLength { limit } => length_limit(0, count(*limit), "characters"),
        ValidationErrorKind::MinLength { limit } => {
            length_limit(count(*limit), usize::MAX, "characters")
        }
        ValidationErrorKind::MaxItems { limit } => length_limit(0, count(*limit), "items"),
        ValidationErrorKind::MinItems { limit } => length_limit(count(*limit), usize::MAX, "items"),
        ValidationErrorKind::Maximum { limit } => format!("at most {limit}"),
        ValidationErrorKind::Minimum { limit } => format!("at least {limit}"),
        ValidationErrorKind::ExclusiveMaximum { limit } => format!("less than {limit}"),
        ValidationErrorKind::ExclusiveMinimum { limit } => format!("more than {limit}"),
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .map(Value::to_string)
                .collect();
            format!("one of {}", options.join(", "))
        }
        ValidationErrorKind::Pattern { pattern } => format!("text matching {pattern}"),
        ValidationErrorKind::Format { format } => format!("a {format}"),
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(ty) => ty.to_string(),
                TypeKind::Multiple(types) => types
                    .iter()
                    .map(|ty| ty.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("of type {expected}")
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            "one of the documented shapes".to_owned()
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => {
            "exactly one of the documented shapes".to_owned()
        }
        ValidationErrorKind::Required { property } => {
            return BrokenRule::new(
                join(&field, property.as_str().unwrap_or_default()),
                "present (required)",
                "missing",
            );
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => {
            return BrokenRule::new(
                join(&field, unexpected.first().map_or("", String::as_str)),
                "a documented field",
                "an undocumented field",
            );
        }
        ValidationErrorKind::PropertyNames { error } => {
            let key = error.instance().as_ref();
            let rule = match error.kind() {
                ValidationErrorKind::Pattern { pattern } => format!("keys matching {pattern}"),
                _ => error.to_string(),
            };
            return BrokenRule::new(field, rule, format!("key {}", shown(key)));
        }
        ValidationErrorKind::MaxProperties { limit } => {
            return BrokenRule::new(field, format!("at most {limit} keys"), keys());
        }
        ValidationErrorKind::MinProperties { limit } => {
            return BrokenRule::new(field, format!("at least {limit} keys"), keys());
        }
        ValidationErrorKind::UniqueItems => {
            return BrokenRule::new(field, "items all different", "a repeated item");
        }
        _ => error.to_string(),
    };
    BrokenRule::new(field, limit, shown(instance))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks `url` (and `body`) as a request of `operation`.
    fn check(operation: &str, url: &str, body: Option<Value>) -> Result<(), CheckError> {
        let url: url::Url = url.parse().expect("url");
        let headers = HeaderMap::new();
        let bytes = body.map(|b| b.to_string());
        let body = match &bytes {
            Some(text) => RequestBody::Bytes(text.as_bytes()),
            None => RequestBody::Absent,
        };
        let op = crate::operation_spec(operation).expect("in the spec");
        check_request(
            op,
            RequestParts::new(url.path(), url.query(), &headers, body),
        )
    }

    #[test]
    fn every_schema_of_the_spec_compiles() {
        for (operation, compiled) in OPERATIONS.iter().zip(compiled()) {
            assert!(
                compiled.is_ok(),
                "{}: {:?}",
                operation.id,
                compiled.as_ref().err()
            );
        }
    }

    #[test]
    fn a_query_limit_of_the_spec_is_enforced() {
        let base = "http://127.0.0.1/v1/external/messages/history/BOT";
        assert!(check("history_list", &format!("{base}?limit=50&page=1"), None).is_ok());
        let error = check("history_list", &format!("{base}?limit=51&page=1"), None)
            .expect_err("over the maximum");
        assert_eq!(error.to_string(), "limit must be at most 50, got 51");
        let error = check("history_list", &format!("{base}?limit=ten&page=1"), None)
            .expect_err("not a number");
        assert_eq!(
            error.to_string(),
            "limit must be a whole number, got \"ten\""
        );
        let error =
            check("history_list", &format!("{base}?limit=5"), None).expect_err("page is required");
        assert_eq!(
            error.to_string(),
            "page must be present (required), got missing"
        );
    }

    #[test]
    fn a_body_limit_names_the_field_path_the_limit_and_the_value() {
        let url = "http://127.0.0.1/v1/bots/BOT/messages";
        let title = "x".repeat(25);
        let body = serde_json::json!({
            "type": "text", "userId": "u", "text": "hola",
            "options": [{"title": "a"}, {"title": title}]
        });
        let error = check("message_send", url, Some(body)).expect_err("title too long");
        let CheckError::Broken(error) = error else {
            panic!("{error}")
        };
        assert_eq!(error.field, "options[1].title");
        assert_eq!(error.limit, "at most 24 characters");
        assert!(
            error.value.starts_with("25 characters: \"xxx"),
            "{}",
            error.value
        );
    }

    #[test]
    fn keys_follow_the_documented_pattern_in_ascii() {
        let url = "http://127.0.0.1/users/5b7ff847cc3c3fb33c9249a8";
        for key in ["ñ", "a.b"] {
            let body = serde_json::json!({ "attributes": { key: "v" } });
            let error = check("user_update", url, Some(body)).expect_err("key outside the pattern");
            assert!(
                error.to_string().contains("keys matching"),
                "{key}: {error}"
            );
        }
    }

    #[test]
    fn a_method_and_path_lead_to_an_operation_or_say_why_not() {
        assert!(matches!(route("GET", "/users/abc"), Route::Operation(op) if op.id == "user_get"));
        assert!(matches!(route("POST", "/users"), Route::Operation(op) if op.id == "user_create"));
        assert!(matches!(
            route("PUT", "/users/abc/session"),
            Route::Operation(op) if op.id == "user_session_update"
        ));
        match route("DELETE", "/users/abc") {
            Route::WrongMethod(allowed) => assert_eq!(allowed, ["GET", "PUT"]),
            other => panic!("{other:?}"),
        }
        assert!(matches!(route("GET", "/nowhere"), Route::NoSuchPath));
    }

    #[test]
    fn pointers_become_field_paths() {
        assert_eq!(field_path("", "/options/2/title"), "options[2].title");
        assert_eq!(field_path("", ""), "body");
        assert_eq!(field_path("limit", ""), "limit");
        assert_eq!(field_path("", "/a~1b"), "a/b");
    }

    #[test]
    fn path_values_are_read_from_the_end_of_the_path_and_decoded() {
        assert_eq!(
            path_values(
                "/v1/bots/{botId}/messages",
                "/prefix/v1/bots/a%20b/messages"
            ),
            vec![("botId", "a b".to_owned())]
        );
        assert!(path_values("/v1/bots/{botId}/messages", "/").is_empty());
    }
}
