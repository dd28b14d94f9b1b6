//! Every request checked against its operation's schemas in the spec: the one set of rules
//! the SDK applies before sending and the sandbox applies on receipt.
//!
//! The schemas are `OPERATIONS`', generated from `openapi/jelou.yaml` with every documented
//! limit, so a limit written in the spec is enforced for every operation, the ones added
//! later included, without a line of code here. Path and query values arrive as text and are
//! read as the type their schema names before they are checked. Lengths are counted in
//! characters, not bytes.

use std::borrow::Cow;
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

/// The operation of the API's own host that `method` and `path` (without a base path) name.
pub fn route(method: &str, path: &str) -> Route {
    route_on(None, method, path)
}

/// The operation that `method` and `path` (without its host's base path) name among those on
/// the host named `server` (`x-jelou-server`), or on the API's own host with `None`.
pub fn route_on(server: Option<&str>, method: &str, path: &str) -> Route {
    let matching: Vec<&'static OperationSpec> = OPERATIONS
        .iter()
        .filter(|op| op.server.map(|s| s.name) == server && fits(op.path, path))
        .collect();
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
#[derive(Default)]
struct Compiled {
    parameters: Vec<CompiledParameter>,
    /// Whether the body is required, and its rules.
    body: Option<(bool, Rules)>,
}

struct CompiledParameter {
    name: &'static str,
    location: ParameterLocation,
    required: bool,
    rules: Rules,
}

/// A schema and its validator: the schema is read again to word a broken rule.
struct Rules {
    schema: Value,
    validator: Validator,
}

fn compile(schema: &str) -> Result<Rules, String> {
    let schema: Value = serde_json::from_str(schema).map_err(|e| e.to_string())?;
    let validator = jsonschema::options()
        .with_draft(Draft::Draft7)
        .should_validate_formats(true)
        .build(&schema)
        .map_err(|e| e.to_string())?;
    Ok(Rules { schema, validator })
}

fn compile_operation(operation: &OperationSpec) -> Result<Compiled, String> {
    let mut parameters = Vec::new();
    for parameter in operation.parameters {
        let rules =
            compile(parameter.schema).map_err(|e| format!("parameter {}: {e}", parameter.name))?;
        parameters.push(CompiledParameter {
            name: parameter.name,
            location: parameter.location,
            required: parameter.required,
            rules,
        });
    }
    let body = match &operation.body {
        Some(body) => Some((
            body.required,
            compile(body.schema).map_err(|e| format!("body: {e}"))?,
        )),
        None => None,
    };
    Ok(Compiled { parameters, body })
}

/// The compiled schemas of the operation at `index` in `OPERATIONS`, compiled on its first
/// use: a program that calls two operations compiles two, not every one of the spec, so its
/// first request starts sooner and takes less CPU from the programs beside it.
fn compiled(index: usize) -> &'static Result<Compiled, String> {
    static COMPILED: OnceLock<Vec<OnceLock<Result<Compiled, String>>>> = OnceLock::new();
    let slots = COMPILED.get_or_init(|| OPERATIONS.iter().map(|_| OnceLock::new()).collect());
    slots[index].get_or_init(|| compile_operation(&OPERATIONS[index]))
}

/// The compiled schemas of `operation` (none to check for an operation not in the table).
fn compiled_for(operation: &'static OperationSpec) -> Result<&'static Compiled, CheckError> {
    static NOTHING: OnceLock<Compiled> = OnceLock::new();
    let Some(index) = OPERATIONS.iter().position(|op| std::ptr::eq(op, operation)) else {
        return Ok(NOTHING.get_or_init(Compiled::default));
    };
    compiled(index)
        .as_ref()
        .map_err(|message| CheckError::Schema {
            operation: operation.id,
            message: message.clone(),
        })
}

/// Checks a request against the schemas of `operation`: its path, query and header
/// parameters, and its JSON body. The first broken rule comes back, naming the field, the
/// limit and the value.
pub fn check_request(
    operation: &'static OperationSpec,
    request: RequestParts<'_>,
) -> Result<(), CheckError> {
    let compiled = compiled_for(operation)?;
    let path_values = path_values(operation.path, request.path);
    // Borrowed from the request unless a value has escapes to decode.
    let query: Vec<(Cow<'_, str>, Cow<'_, str>)> =
        url::form_urlencoded::parse(request.query.unwrap_or_default().as_bytes()).collect();
    for parameter in &compiled.parameters {
        let texts: Vec<&str> = match parameter.location {
            ParameterLocation::Path => path_values
                .iter()
                .filter(|(name, _)| *name == parameter.name)
                .map(|(_, value)| value.as_ref())
                .collect(),
            ParameterLocation::Query => query
                .iter()
                .filter(|(name, _)| name == parameter.name)
                .map(|(_, value)| value.as_ref())
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
        if parameter.location == ParameterLocation::Path && texts.iter().any(|t| t.is_empty()) {
            // An empty segment would address another resource, whatever the schema allows.
            return Err(BrokenRule::new(parameter.name, "a non-empty identifier", "\"\"").into());
        }
        let value = typed(parameter.name, &parameter.rules.schema, &texts)?;
        first_error(parameter.name, &parameter.rules, &value)?;
    }
    if let Some((required, rules)) = &compiled.body {
        match request.body {
            RequestBody::Bytes(bytes) if !bytes.is_empty() => {
                let body: Value = serde_json::from_slice(bytes).map_err(|e| {
                    BrokenRule::new("body", "a JSON document", format!("not JSON: {e}"))
                })?;
                first_error("", rules, &body)?;
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
///
/// An empty segment stays a segment, so that an empty identifier (`/v1/bots//messages`) is
/// read as the empty value it is, not as the next segment.
fn path_values<'p>(template: &'static str, path: &'p str) -> Vec<(&'static str, Cow<'p, str>)> {
    let template = template.strip_prefix('/').unwrap_or(template);
    let path = path.strip_prefix('/').unwrap_or(path);
    if path.split('/').count() < template.split('/').count() {
        return Vec::new();
    }
    // From the end, so that the template lines up with the path's last segments.
    template
        .rsplit('/')
        .zip(path.rsplit('/'))
        .filter_map(|(part, segment)| {
            let name = part.strip_prefix('{')?.strip_suffix('}')?;
            Some((
                name,
                percent_encoding::percent_decode_str(segment).decode_utf8_lossy(),
            ))
        })
        .collect()
}

/// Whether `schema` names `kind` as its type, alone or among others.
fn has_type(schema: &Value, kind: &str) -> bool {
    match schema.get("type") {
        Some(Value::String(ty)) => ty == kind,
        Some(Value::Array(types)) => types.iter().any(|ty| ty.as_str() == Some(kind)),
        _ => false,
    }
}

/// The text of a path or query value read as the JSON type its schema names.
fn typed(name: &str, schema: &Value, texts: &[&str]) -> Result<Value, BrokenRule> {
    let one = |schema: &Value, text: &str| -> Result<Value, BrokenRule> {
        if has_type(schema, "integer") {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(n.into());
            }
            if let Ok(n) = text.parse::<u64>() {
                return Ok(n.into());
            }
            return Err(BrokenRule::new(name, "a whole number", quoted(text)));
        }
        if has_type(schema, "number") {
            return text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| BrokenRule::new(name, "a number", quoted(text)));
        }
        if has_type(schema, "boolean") {
            return match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(BrokenRule::new(name, "true or false", quoted(text))),
            };
        }
        Ok(Value::String(text.to_owned()))
    };
    if has_type(schema, "array") {
        let items = schema.get("items").unwrap_or(&Value::Null);
        return texts
            .iter()
            .map(|text| one(items, text))
            .collect::<Result<Vec<_>, _>>()
            .map(Value::Array);
    }
    one(schema, texts[0])
}

/// The first rule `value` breaks, as a [`BrokenRule`] whose field starts with `root`.
fn first_error(root: &str, rules: &Rules, value: &Value) -> Result<(), BrokenRule> {
    // Most requests break nothing: the plain yes-or-no check allocates no error.
    if rules.validator.is_valid(value) {
        return Ok(());
    }
    match rules.validator.iter_errors(value).next() {
        None => Ok(()),
        Some(error) => Err(describe(root, &rules.schema, &error)),
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

/// The bounds of the schema that holds the broken keyword, as a range in words: `1 to 24
/// characters` rather than the one bound that was crossed.
fn range(holder: &Value, low: &str, high: &str, unit: Option<&str>) -> String {
    let bound = |key: &str| holder.get(key).and_then(Value::as_f64);
    match unit {
        Some(unit) => {
            let count = |key: &str| holder.get(key).and_then(Value::as_u64).map(count);
            length_limit(
                count(low).unwrap_or(0),
                count(high).unwrap_or(usize::MAX),
                unit,
            )
        }
        None => match (bound(low), bound(high)) {
            (Some(low), Some(high)) => format!("{} to {}", number(low), number(high)),
            (Some(low), None) => format!("at least {}", number(low)),
            (None, Some(high)) => format!("at most {}", number(high)),
            (None, None) => "within the documented range".to_owned(),
        },
    }
}

/// A schema number as written: `1`, not `1.0`.
fn number(value: f64) -> String {
    // Whole numbers below 2^53 are exact in an f64 and print without a fraction.
    if value.fract() == 0.0 && value.abs() < 9.0e15 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

/// A key pattern of the form `^[…]{m,n}$` in words (`1 to 128 ASCII letters, digits, '_'
/// or '-'`), or the pattern itself.
fn key_rule(pattern: &str) -> String {
    let worded = (|| {
        let inner = pattern.strip_prefix("^[")?.strip_suffix('$')?;
        let (class, counts) = inner.split_once("]{")?;
        let (min, max) = counts.strip_suffix('}')?.split_once(',')?;
        let (min, max) = (min.parse::<usize>().ok()?, max.parse::<usize>().ok()?);
        let mut kinds = Vec::new();
        let mut rest = class;
        while !rest.is_empty() {
            let (kind, tail) = if let Some(tail) = rest.strip_prefix("\\w") {
                ("ASCII letters, digits, '_'".to_owned(), tail)
            } else if let Some(tail) = rest.strip_prefix("\\d") {
                ("digits".to_owned(), tail)
            } else {
                let c = rest.chars().next()?;
                if c.is_ascii_alphanumeric() || c == '\\' || c == '[' {
                    return None;
                }
                (format!("'{c}'"), &rest[c.len_utf8()..])
            };
            kinds.push(kind);
            rest = tail;
        }
        let (last, first) = kinds.split_last()?;
        let kinds = if first.is_empty() {
            last.clone()
        } else {
            format!("{} or {last}", first.join(", "))
        };
        Some(length_limit(min, max, &kinds))
    })();
    worded.unwrap_or_else(|| format!("text matching {pattern}"))
}

fn describe(root: &str, schema: &Value, error: &jsonschema::ValidationError<'_>) -> BrokenRule {
    let field = field_path(root, error.instance_path().as_str());
    let instance = error.instance().as_ref();
    // The schema object holding the broken keyword, for the other bound of a range.
    let holder = {
        let location = error.schema_path().as_str();
        let parent = location.rsplit_once('/').map_or("", |(parent, _)| parent);
        schema.pointer(parent).unwrap_or(&Value::Null)
    };
    let keys = || format!("{} items", instance.as_object().map_or(0, Map::len));
    // Most rules name the limit and show the value as it is; the others name another field
    // (a missing or undocumented one) or describe the value otherwise.
    let limit = match error.kind() {
        ValidationErrorKind::MaxLength { .. } | ValidationErrorKind::MinLength { .. } => {
            range(holder, "minLength", "maxLength", Some("characters"))
        }
        ValidationErrorKind::MaxItems { .. } | ValidationErrorKind::MinItems { .. } => {
            range(holder, "minItems", "maxItems", Some("items"))
        }
        ValidationErrorKind::Maximum { .. } | ValidationErrorKind::Minimum { .. } => {
            range(holder, "minimum", "maximum", None)
        }
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
        ValidationErrorKind::AnyOf { context } => {
            if let Some(rule) = fields_required_together(&field, context) {
                return rule;
            }
            if let Some(inner) = the_one_fitting_shape(error, context) {
                return describe(root, schema, inner);
            }
            "one of the documented shapes".to_owned()
        }
        ValidationErrorKind::OneOfNotValid { context } => {
            if let Some(inner) = the_one_fitting_shape(error, context) {
                return describe(root, schema, inner);
            }
            if let Some(rule) = unknown_kind(root, error, context) {
                return rule;
            }
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
                ValidationErrorKind::Pattern { pattern } => key_rule(pattern),
                _ => error.to_string(),
            };
            let key = key.as_str().map_or_else(|| key.to_string(), quoted);
            return BrokenRule::new(field, format!("keyed by {rule}"), format!("key {key}"));
        }
        ValidationErrorKind::MaxProperties { .. } | ValidationErrorKind::MinProperties { .. } => {
            let limit = range(holder, "minProperties", "maxProperties", Some("items"));
            return BrokenRule::new(field, limit, keys());
        }
        ValidationErrorKind::UniqueItems => {
            return BrokenRule::new(field, "items all different", "a repeated item");
        }
        _ => error.to_string(),
    };
    BrokenRule::new(field, limit, shown(instance))
}

/// When a value fits none of several shapes but has the type of only one of them (a list
/// where the shapes are "one id or a list of ids"), the first rule that shape's value breaks:
/// `segments[0]` is too short, rather than `segments` fits no shape.
fn the_one_fitting_shape<'e>(
    error: &jsonschema::ValidationError<'_>,
    alternatives: &'e [Vec<jsonschema::ValidationError<'static>>],
) -> Option<&'e jsonschema::ValidationError<'static>> {
    let at = error.instance_path().as_str();
    let of_another_type = |inner: &jsonschema::ValidationError<'_>| {
        matches!(inner.kind(), ValidationErrorKind::Type { .. })
            && inner.instance_path().as_str() == at
    };
    let mut fitting = alternatives.iter().filter(|errors| {
        !errors
            .iter()
            .any(|inner| of_another_type(inner) || names_another_kind(at, inner))
    });
    match (fitting.next(), fitting.next()) {
        (Some(errors), None) => errors.first(),
        _ => None,
    }
}

/// Whether `inner` says that the object at `at` is another kind of value: a field of its own
/// (such as a message's `type`) holds a value other than the one its shape fixes.
fn names_another_kind(at: &str, inner: &jsonschema::ValidationError<'_>) -> bool {
    matches!(
        inner.kind(),
        ValidationErrorKind::Enum { .. } | ValidationErrorKind::Constant { .. }
    ) && inner
        .instance_path()
        .as_str()
        .strip_prefix(at)
        .and_then(|rest| rest.strip_prefix('/'))
        .is_some_and(|child| !child.is_empty() && !child.contains('/'))
}

/// When every shape fixes the same field (a message's `type`) and the value's fits none, that
/// field's rule, with every documented value: `type` must be one of "text", "image", ….
fn unknown_kind(
    root: &str,
    error: &jsonschema::ValidationError<'_>,
    alternatives: &[Vec<jsonschema::ValidationError<'static>>],
) -> Option<BrokenRule> {
    let at = error.instance_path().as_str();
    let mut field = None;
    let mut options = Vec::new();
    for errors in alternatives {
        let tag = errors.iter().find(|inner| names_another_kind(at, inner))?;
        let path = tag.instance_path().as_str().to_owned();
        if field.get_or_insert_with(|| path.clone()) != &path {
            return None;
        }
        match tag.kind() {
            ValidationErrorKind::Enum { options: values } => {
                options.extend(
                    values
                        .as_array()
                        .into_iter()
                        .flatten()
                        .map(Value::to_string),
                );
            }
            ValidationErrorKind::Constant { expected_value } => {
                options.push(expected_value.to_string());
            }
            _ => return None,
        }
    }
    let pointer = field?;
    let value = error
        .instance()
        .as_ref()
        .pointer(pointer.strip_prefix(at).unwrap_or_default())?;
    Some(BrokenRule::new(
        field_path(root, &pointer),
        format!("one of {}", options.join(", ")),
        shown(value),
    ))
}

/// The rule of an `anyOf` whose alternatives each only require a field ("one of `query`,
/// `trigger` or `goto`"), named after the fields; `None` for a choice between shapes.
fn fields_required_together(
    field: &str,
    alternatives: &[Vec<jsonschema::ValidationError<'static>>],
) -> Option<BrokenRule> {
    let mut names = Vec::new();
    for errors in alternatives {
        let [error] = errors.as_slice() else {
            return None;
        };
        let ValidationErrorKind::Required { property } = error.kind() else {
            return None;
        };
        let at = field_path(
            if field == "body" { "" } else { field },
            error.instance_path().as_str(),
        );
        names.push(join(&at, property.as_str()?));
    }
    let (first, others) = names.split_first()?;
    let (limit, value) = match others {
        [] => return None,
        [other] => (
            format!("given unless {other} is"),
            format!("neither {first} nor {other}"),
        ),
        _ => (
            format!("given, or {} instead", others.join(" or ")),
            format!("none of {}", names.join(", ")),
        ),
    };
    Some(BrokenRule::new(first.clone(), limit, value))
}

/// Checks a request body, as JSON, against `operation`'s body schema: for inputs checked
/// before a request is built. An operation without a body schema accepts any.
pub fn check_body(operation: &'static OperationSpec, body: &Value) -> Result<(), CheckError> {
    let compiled = compiled_for(operation)?;
    match &compiled.body {
        Some((_, rules)) => Ok(first_error("", rules, body)?),
        None => Ok(()),
    }
}

/// Checks parameter values, as text by name, against `operation`'s parameter schemas: for
/// inputs checked before a request is built. Parameters not given are not checked.
pub fn check_parameters(
    operation: &'static OperationSpec,
    values: &[(&str, &str)],
) -> Result<(), CheckError> {
    let compiled = compiled_for(operation)?;
    for parameter in &compiled.parameters {
        let texts: Vec<&str> = values
            .iter()
            .filter(|(name, _)| *name == parameter.name)
            .map(|(_, text)| *text)
            .collect();
        if texts.is_empty() {
            continue;
        }
        let value = typed(parameter.name, &parameter.rules.schema, &texts)?;
        first_error(parameter.name, &parameter.rules, &value)?;
    }
    Ok(())
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
        for (index, operation) in OPERATIONS.iter().enumerate() {
            let compiled = compiled(index);
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
        assert_eq!(error.to_string(), "limit must be 1 to 50, got 51");
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
        assert_eq!(error.limit, "1 to 24 characters");
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
            assert_eq!(
                error.to_string(),
                format!(
                    "attributes must be keyed by 1 to 128 ASCII letters, digits, '_' or '-', got key {key:?}"
                ),
            );
        }
    }

    #[test]
    fn fields_that_go_together_are_named_together() {
        let error = check(
            "chat_query",
            "http://127.0.0.1/query",
            Some(serde_json::json!({ "sessionId": "c6d4bc58-4947" })),
        )
        .expect_err("no query, trigger or goto");
        assert_eq!(
            error.to_string(),
            "query must be given, or trigger or goto instead, got none of query, trigger, goto"
        );
        let body = serde_json::json!({ "attributes": { "default_name": "Joe" } });
        let error =
            check("user_create", "http://127.0.0.1/users", Some(body)).expect_err("no userId");
        assert_eq!(
            error.to_string(),
            "userId must be given unless attributes.default_email is, got neither userId nor attributes.default_email"
        );
        let body = serde_json::json!({ "attributes": { "default_email": "joe@doe.com" } });
        assert!(check("user_create", "http://127.0.0.1/users", Some(body)).is_ok());
    }

    #[test]
    fn an_empty_path_identifier_is_refused() {
        let error = check("message_send", "http://127.0.0.1/v1/bots//messages", None)
            .expect_err("empty botId");
        assert_eq!(
            error.to_string(),
            "botId must be a non-empty identifier, got \"\""
        );
    }

    #[test]
    fn inputs_are_checked_before_a_request_exists() {
        let op = crate::operation_spec("history_list").expect("in the spec");
        assert!(check_parameters(op, &[("limit", "50"), ("page", "1")]).is_ok());
        let error = check_parameters(op, &[("page", "0")]).expect_err("page 0");
        assert_eq!(error.to_string(), "page must be 1 to 4294967295, got 0");
        let op = crate::operation_spec("message_send").expect("in the spec");
        let body = serde_json::json!({ "type": "text", "userId": "u", "text": "" });
        assert!(
            check_body(op, &body).is_ok(),
            "the spec sets no minimum length"
        );
        let error = check_body(op, &serde_json::json!({ "type": "text" })).expect_err("no userId");
        assert_eq!(
            error.to_string(),
            "userId must be present (required), got missing"
        );
    }

    #[test]
    fn ranges_and_key_patterns_read_as_words() {
        assert_eq!(
            key_rule(r"^[\w-]{1,128}$"),
            "1 to 128 ASCII letters, digits, '_' or '-'"
        );
        assert_eq!(key_rule(r"^[\d]{2,2}$"), "exactly 2 digits");
        assert_eq!(key_rule("^(a|b)$"), "text matching ^(a|b)$");
        assert_eq!(key_rule("^[a-z]{1,3}$"), "text matching ^[a-z]{1,3}$");
        let holder = serde_json::json!({ "minimum": 0.1, "maximum": 1.0 });
        assert_eq!(range(&holder, "minimum", "maximum", None), "0.1 to 1");
        let holder = serde_json::json!({ "maxLength": 72 });
        assert_eq!(
            range(&holder, "minLength", "maxLength", Some("characters")),
            "at most 72 characters"
        );
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
            vec![("botId", Cow::from("a b"))]
        );
        assert!(path_values("/v1/bots/{botId}/messages", "/").is_empty());
        // Last segment first; an empty segment is an empty value, not the next segment.
        assert_eq!(
            path_values("/v1/rows/{table}/{rowId}", "/v1/rows/t1/"),
            vec![("rowId", Cow::from("")), ("table", Cow::from("t1"))]
        );
    }
}
