//! Every request checked against its operation's schemas in the spec, before it is sent.
//!
//! The schemas come from `jelou_client::OPERATIONS`, generated from `openapi/jelou.yaml` with
//! every documented limit, so a limit written in the spec is enforced for every operation,
//! the ones added later included, without a line of code here. Path and query values arrive
//! as text and are read as the type their schema names before they are checked.

use std::sync::OnceLock;

use jelou_client::OPERATIONS;
use jelou_client::operation::{OperationSpec, ParameterLocation};
use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{Draft, Validator};
use serde_json::Value;

use crate::error::Error;
use crate::validate::{ValidationError, length_limit, quoted};

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

/// Checks `request` against the schemas of `operation`: path and query parameters, and the
/// JSON body. The first broken rule comes back as [`Error::Validation`], naming the field,
/// the limit and the value.
pub(crate) fn check_request(
    operation: &'static OperationSpec,
    request: &reqwest::Request,
) -> Result<(), Error> {
    let Some(index) = OPERATIONS.iter().position(|op| std::ptr::eq(op, operation)) else {
        return Ok(());
    };
    let compiled = compiled()[index].as_ref().map_err(|e| {
        Error::Config(format!(
            "the spec's schema for {} does not compile: {e}",
            operation.id
        ))
    })?;
    let path_values = path_values(operation.path, request.url().path());
    let query: Vec<(String, String)> = request.url().query_pairs().into_owned().collect();
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
                .headers()
                .get_all(parameter.name)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .collect(),
            _ => Vec::new(),
        };
        if texts.is_empty() {
            if parameter.required {
                return Err(
                    ValidationError::new(parameter.name, "present (required)", "missing").into(),
                );
            }
            continue;
        }
        let value = typed(parameter.name, &parameter.schema, &texts)?;
        first_error(parameter.name, &parameter.validator, &value)?;
    }
    if let Some((required, validator)) = &compiled.body {
        match request.body().and_then(reqwest::Body::as_bytes) {
            Some(bytes) => {
                let body: Value = serde_json::from_slice(bytes).map_err(|e| {
                    ValidationError::new("body", "a JSON document", format!("not JSON: {e}"))
                })?;
                first_error("", validator, &body)?;
            }
            // A streamed body cannot be read before it is sent; nothing else streams here.
            None if request.body().is_some() => {}
            None if *required => {
                return Err(ValidationError::new("body", "present (required)", "missing").into());
            }
            None => {}
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
fn typed(name: &str, schema: &Value, texts: &[&str]) -> Result<Value, ValidationError> {
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
    let one = |schema: &Value, text: &str| -> Result<Value, ValidationError> {
        let kinds = types(schema);
        if kinds.iter().any(|k| k == "integer") {
            if let Ok(n) = text.parse::<i64>() {
                return Ok(n.into());
            }
            if let Ok(n) = text.parse::<u64>() {
                return Ok(n.into());
            }
            return Err(ValidationError::new(name, "a whole number", quoted(text)));
        }
        if kinds.iter().any(|k| k == "number") {
            return text
                .parse::<f64>()
                .ok()
                .and_then(serde_json::Number::from_f64)
                .map(Value::Number)
                .ok_or_else(|| ValidationError::new(name, "a number", quoted(text)));
        }
        if kinds.iter().any(|k| k == "boolean") {
            return match text {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(ValidationError::new(name, "true or false", quoted(text))),
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

/// The first rule `value` breaks, as a [`ValidationError`] whose field starts with `root`.
fn first_error(root: &str, validator: &Validator, value: &Value) -> Result<(), ValidationError> {
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

fn number(limit: &Value) -> String {
    limit.to_string()
}

fn describe(root: &str, error: &jsonschema::ValidationError<'_>) -> ValidationError {
    let field = field_path(root, error.instance_path().as_str());
    let instance = error.instance().as_ref();
    match error.kind() {
        ValidationErrorKind::MaxLength { limit } => ValidationError::new(
            field,
            length_limit(
                0,
                usize::try_from(*limit).unwrap_or(usize::MAX),
                "characters",
            ),
            shown(instance),
        ),
        ValidationErrorKind::MinLength { limit } => ValidationError::new(
            field,
            length_limit(
                usize::try_from(*limit).unwrap_or(usize::MAX),
                usize::MAX,
                "characters",
            ),
            shown(instance),
        ),
        ValidationErrorKind::MaxItems { limit } => ValidationError::new(
            field,
            length_limit(0, usize::try_from(*limit).unwrap_or(usize::MAX), "items"),
            shown(instance),
        ),
        ValidationErrorKind::MinItems { limit } => ValidationError::new(
            field,
            length_limit(
                usize::try_from(*limit).unwrap_or(usize::MAX),
                usize::MAX,
                "items",
            ),
            shown(instance),
        ),
        ValidationErrorKind::Maximum { limit } => {
            ValidationError::new(field, format!("at most {}", number(limit)), shown(instance))
        }
        ValidationErrorKind::Minimum { limit } => ValidationError::new(
            field,
            format!("at least {}", number(limit)),
            shown(instance),
        ),
        ValidationErrorKind::ExclusiveMaximum { limit } => ValidationError::new(
            field,
            format!("less than {}", number(limit)),
            shown(instance),
        ),
        ValidationErrorKind::ExclusiveMinimum { limit } => ValidationError::new(
            field,
            format!("more than {}", number(limit)),
            shown(instance),
        ),
        ValidationErrorKind::Enum { options } => {
            let options: Vec<String> = options
                .as_array()
                .into_iter()
                .flatten()
                .map(Value::to_string)
                .collect();
            ValidationError::new(
                field,
                format!("one of {}", options.join(", ")),
                shown(instance),
            )
        }
        ValidationErrorKind::Pattern { pattern } => {
            ValidationError::new(field, format!("text matching {pattern}"), shown(instance))
        }
        ValidationErrorKind::Format { format } => {
            ValidationError::new(field, format!("a {format}"), shown(instance))
        }
        ValidationErrorKind::Required { property } => ValidationError::new(
            join(&field, property.as_str().unwrap_or_default()),
            "present (required)",
            "missing",
        ),
        ValidationErrorKind::AdditionalProperties { unexpected } => ValidationError::new(
            join(&field, unexpected.first().map_or("", String::as_str)),
            "a documented field",
            "an undocumented field",
        ),
        ValidationErrorKind::PropertyNames { error } => {
            let key = error.instance().as_ref();
            let rule = match error.kind() {
                ValidationErrorKind::Pattern { pattern } => format!("keys matching {pattern}"),
                _ => error.to_string(),
            };
            ValidationError::new(field, rule, format!("key {}", shown(key)))
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(ty) => ty.to_string(),
                TypeKind::Multiple(types) => types
                    .iter()
                    .map(|ty| ty.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            ValidationError::new(field, format!("of type {expected}"), shown(instance))
        }
        ValidationErrorKind::UniqueItems => {
            ValidationError::new(field, "items all different", "a repeated item")
        }
        ValidationErrorKind::OneOfNotValid { .. } | ValidationErrorKind::AnyOf { .. } => {
            ValidationError::new(field, "one of the documented shapes", shown(instance))
        }
        ValidationErrorKind::OneOfMultipleValid { .. } => ValidationError::new(
            field,
            "exactly one of the documented shapes",
            shown(instance),
        ),
        _ => ValidationError::new(field, error.to_string(), shown(instance)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(method: reqwest::Method, url: &str, body: Option<Value>) -> reqwest::Request {
        let mut request = reqwest::Request::new(method, url.parse().expect("url"));
        if let Some(body) = body {
            *request.body_mut() = Some(body.to_string().into());
        }
        request
    }

    fn op(id: &str) -> &'static OperationSpec {
        jelou_client::operation_spec(id).expect("in the spec")
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
        let ok = request(
            reqwest::Method::GET,
            &format!("{base}?limit=50&page=1"),
            None,
        );
        assert!(check_request(op("history_list"), &ok).is_ok());
        let over = request(
            reqwest::Method::GET,
            &format!("{base}?limit=51&page=1"),
            None,
        );
        let error = check_request(op("history_list"), &over).expect_err("over the maximum");
        assert_eq!(
            error.to_string(),
            "invalid input, nothing was sent: limit must be at most 50, got 51"
        );
        let text = request(
            reqwest::Method::GET,
            &format!("{base}?limit=ten&page=1"),
            None,
        );
        let error = check_request(op("history_list"), &text).expect_err("not a number");
        assert!(
            error.to_string().contains("limit must be a whole number"),
            "{error}"
        );
        let missing = request(reqwest::Method::GET, &format!("{base}?limit=5"), None);
        let error = check_request(op("history_list"), &missing).expect_err("page is required");
        assert!(
            error.to_string().contains("page must be present"),
            "{error}"
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
        let error = check_request(
            op("message_send"),
            &request(reqwest::Method::POST, url, Some(body)),
        )
        .expect_err("title too long");
        let Error::Validation(error) = error else {
            panic!("{error}")
        };
        assert_eq!(error.field(), "options[1].title");
        assert_eq!(error.limit(), "at most 24 characters");
        assert!(
            error.value().starts_with("25 characters: \"xxx"),
            "{}",
            error.value()
        );
    }

    #[test]
    fn keys_follow_the_documented_pattern_in_ascii() {
        let url = "http://127.0.0.1/users/5b7ff847cc3c3fb33c9249a8";
        for key in ["ñ", "a.b"] {
            let body = serde_json::json!({ "attributes": { key: "v" } });
            let error = check_request(
                op("user_update"),
                &request(reqwest::Method::PUT, url, Some(body)),
            )
            .expect_err("key outside the pattern");
            assert!(
                error.to_string().contains("keys matching"),
                "{key}: {error}"
            );
        }
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
