//! Inputs checked against the spec's rules before a request is built from them.
//!
//! The rules are the spec's, applied by `jelou_client::check`: lengths are counted in
//! characters, not bytes ("Opción" is six characters long).

use jelou_client::OperationSpec;
use jelou_client::check::{BrokenRule, CheckError, check_body, check_parameters, quoted};
use serde::Serialize;

/// A request broke a documented limit. Names the field, the limit and the value.
///
/// The same rule, broken, that the spec's checks report (`jelou_client::check::BrokenRule`),
/// whether a typed method or the spec's schemas found it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(transparent)]
pub struct ValidationError(BrokenRule);

impl ValidationError {
    pub(crate) fn new(
        field: impl Into<String>,
        limit: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        Self(BrokenRule::new(field, limit, value))
    }

    /// The field, as a path into the request (`options[2].title`).
    pub fn field(&self) -> &str {
        &self.0.field
    }

    /// The documented limit (`at most 24 characters`).
    pub fn limit(&self) -> &str {
        &self.0.limit
    }

    /// The value that broke it, described (`25 characters: "…"`).
    pub fn value(&self) -> &str {
        &self.0.value
    }
}

impl From<BrokenRule> for ValidationError {
    fn from(rule: BrokenRule) -> Self {
        Self(rule)
    }
}

/// Checks `input`, serialized as the body of the operation `operation_id`, against the
/// spec's rules for that body: the same rules every request is checked against before it is
/// sent, here for an input before a request is built from it.
pub(crate) fn body(operation_id: &str, input: &impl Serialize) -> Result<(), ValidationError> {
    let operation = spec(operation_id)?;
    let body = serde_json::to_value(input)
        .map_err(|e| ValidationError::new("body", "serializable as JSON", e.to_string()))?;
    check_body(operation, &body).map_err(refusal)
}

/// Checks parameter values (as text, by name) against the spec's rules for the operation
/// `operation_id`; parameters not given are not checked.
pub(crate) fn parameters(
    operation_id: &str,
    values: &[(&str, &str)],
) -> Result<(), ValidationError> {
    check_parameters(spec(operation_id)?, values).map_err(refusal)
}

fn spec(operation_id: &str) -> Result<&'static OperationSpec, ValidationError> {
    jelou_client::operation_spec(operation_id).ok_or_else(|| {
        ValidationError::new(
            "operation",
            "an operationId of the spec",
            quoted(operation_id),
        )
    })
}

fn refusal(error: CheckError) -> ValidationError {
    match error {
        CheckError::Broken(rule) => ValidationError(rule),
        // A schema of the spec that does not compile: reported, never a panic.
        other => ValidationError::new("body", "checkable against the spec", other.to_string()),
    }
}
