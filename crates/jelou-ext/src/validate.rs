//! Client-side checks of the documented request limits, run before any byte is sent.
//!
//! Lengths are counted in characters, not bytes: "Opción" is six characters long.

use std::collections::BTreeMap;

use jelou_client::check::{BrokenRule, length_limit, quoted};

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

/// Attribute and parameter keys: `^[\w-]{1,128}$` with `\w` as in JavaScript (ASCII).
pub const KEY_PATTERN: &str = r"^[\w-]{1,128}$";
/// Attribute and parameter values: 1 to 1024 characters.
pub const MAX_VALUE_CHARS: usize = 1024;

/// `value` has between `min` and `max` characters.
pub(crate) fn chars(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    let count = value.chars().count();
    if (min..=max).contains(&count) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            length_limit(min, max, "characters"),
            format!("{count} characters: {}", quoted(value)),
        ))
    }
}

/// A list has between `min` and `max` items.
pub(crate) fn items(
    field: &str,
    count: usize,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    if (min..=max).contains(&count) {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            length_limit(min, max, "items"),
            format!("{count} items"),
        ))
    }
}

/// A whole number between `min` and `max`.
pub(crate) fn whole(field: &str, value: u64, min: u64, max: u64) -> Result<(), ValidationError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else if max == u64::MAX {
        Err(ValidationError::new(
            field,
            format!("at least {min}"),
            value.to_string(),
        ))
    } else {
        Err(ValidationError::new(
            field,
            format!("{min} to {max}"),
            value.to_string(),
        ))
    }
}

/// A number between `min` and `max`, neither NaN nor infinite.
pub(crate) fn number(field: &str, value: f64, min: f64, max: f64) -> Result<(), ValidationError> {
    if value >= min && value <= max {
        Ok(())
    } else {
        Err(ValidationError::new(
            field,
            format!("{min} to {max}"),
            value.to_string(),
        ))
    }
}

/// A key of attributes or parameters matches [`KEY_PATTERN`].
pub(crate) fn key(field: &str, key: &str) -> Result<(), ValidationError> {
    let shape_ok = key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if shape_ok && (1..=128).contains(&key.len()) {
        Ok(())
    } else {
        Err(ValidationError::new(
            format!("{field} key"),
            format!("1 to 128 ASCII letters, digits, '_' or '-' ({KEY_PATTERN})"),
            quoted(key),
        ))
    }
}

/// A map of attributes or parameters: `min` to `max` entries, keys matching [`KEY_PATTERN`],
/// values of 1 to 1024 characters, and any tighter per-key limits in `value_limits`.
pub(crate) fn string_map(
    field: &str,
    map: &BTreeMap<String, String>,
    min: usize,
    max: usize,
    value_limits: &[(&str, usize)],
) -> Result<(), ValidationError> {
    items(field, map.len(), min, max)?;
    for (name, value) in map {
        key(field, name)?;
        let limit = value_limits
            .iter()
            .find(|(special, _)| special == name)
            .map_or(MAX_VALUE_CHARS, |(_, limit)| *limit);
        chars(&format!("{field}.{name}"), value, 1, limit)?;
    }
    Ok(())
}

/// A path identifier is not empty (an empty one would address another resource).
pub(crate) fn path_id(field: &str, value: &str) -> Result<(), ValidationError> {
    if value.is_empty() {
        Err(ValidationError::new(
            field,
            "a non-empty identifier",
            "\"\"",
        ))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_field_limit_and_value() {
        let error = chars("options[2].title", "Opción número veinticinco", 1, 24).expect_err("25");
        assert_eq!(error.field(), "options[2].title");
        assert_eq!(error.limit(), "1 to 24 characters");
        assert_eq!(
            error.value(),
            "25 characters: \"Opción número veinticinco\""
        );
        assert_eq!(
            error.to_string(),
            "options[2].title must be 1 to 24 characters, got 25 characters: \"Opción número veinticinco\""
        );
    }

    #[test]
    fn characters_not_bytes() {
        assert!(chars("t", &"ñ".repeat(24), 0, 24).is_ok());
        assert!(chars("t", &"ñ".repeat(25), 0, 24).is_err());
    }

    #[test]
    fn keys_follow_the_ascii_pattern() {
        assert!(key("attributes", "group-selected_2").is_ok());
        assert!(key("attributes", &"k".repeat(128)).is_ok());
        assert!(key("attributes", &"k".repeat(129)).is_err());
        assert!(key("attributes", "").is_err());
        assert!(key("attributes", "has space").is_err());
        let accented = key("attributes", "año").expect_err("not ASCII");
        assert_eq!(accented.field(), "attributes key");
        assert_eq!(accented.value(), "\"año\"");
    }

    #[test]
    fn maps_check_count_keys_values_and_special_limits() {
        let map = |pairs: &[(&str, &str)]| -> BTreeMap<String, String> {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        assert!(string_map("attributes", &map(&[]), 1, 99, &[]).is_err());
        let too_many: BTreeMap<String, String> = (0..100)
            .map(|i| (format!("k{i}"), "v".to_owned()))
            .collect();
        assert_eq!(
            string_map("attributes", &too_many, 1, 99, &[])
                .expect_err("100")
                .to_string(),
            "attributes must be 1 to 99 items, got 100 items"
        );
        assert!(string_map("attributes", &map(&[("k", "")]), 1, 99, &[]).is_err());
        let long_name = "n".repeat(257);
        let error = string_map(
            "attributes",
            &map(&[("default_name", &long_name)]),
            1,
            99,
            &[("default_name", 256)],
        )
        .expect_err("257");
        assert_eq!(error.field(), "attributes.default_name");
        assert_eq!(error.limit(), "1 to 256 characters");
        assert!(
            string_map(
                "attributes",
                &map(&[("default_name", &"n".repeat(256))]),
                1,
                99,
                &[("default_name", 256)]
            )
            .is_ok()
        );
    }

    #[test]
    fn numbers_and_whole_numbers() {
        assert!(number("confidence", 0.1, 0.1, 1.0).is_ok());
        assert!(number("confidence", 1.0, 0.1, 1.0).is_ok());
        assert_eq!(
            number("confidence", 0.09, 0.1, 1.0)
                .expect_err("low")
                .to_string(),
            "confidence must be 0.1 to 1, got 0.09"
        );
        assert!(number("confidence", f64::NAN, 0.1, 1.0).is_err());
        assert_eq!(
            whole("page", 0, 1, u64::MAX).expect_err("zero").to_string(),
            "page must be at least 1, got 0"
        );
        assert_eq!(
            whole("limit", 41, 1, 40).expect_err("41").to_string(),
            "limit must be 1 to 40, got 41"
        );
    }
}
