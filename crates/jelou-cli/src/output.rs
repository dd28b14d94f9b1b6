//! Printing answers: JSON for programs, aligned rows for people.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::args::OutputFormat;
use crate::failure::Failure;

/// Prints `answer` on stdout in `format`.
pub(crate) fn print(format: OutputFormat, answer: &impl Serialize) -> Result<(), Failure> {
    let value = serde_json::to_value(answer).map_err(|e| Failure::internal(e.to_string()))?;
    let text = match format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&value).map_err(|e| Failure::internal(e.to_string()))?
        }
        OutputFormat::Table => table(&value),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").map_err(|e| Failure::internal(format!("cannot write: {e}")))
}

/// `field  value` rows, one per leaf, with the paths of nested fields (`results[0].bubble.text`).
pub(crate) fn table(value: &Value) -> String {
    let mut rows = Vec::new();
    flatten(String::new(), value, &mut rows);
    let width = rows
        .iter()
        .map(|(k, _)| k.chars().count())
        .max()
        .unwrap_or(0);
    rows.iter()
        .map(|(key, value)| format!("{key:<width$}  {value}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn flatten(prefix: String, value: &Value, rows: &mut Vec<(String, String)>) {
    let join = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::Object(map) if !map.is_empty() => {
            for (key, inner) in map {
                flatten(join(key), inner, rows);
            }
        }
        Value::Array(items) if !items.is_empty() => {
            for (i, inner) in items.iter().enumerate() {
                flatten(format!("{prefix}[{i}]"), inner, rows);
            }
        }
        Value::String(text) => rows.push((prefix, text.clone())),
        other => rows.push((prefix, other.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_answers_become_aligned_rows() {
        let value = serde_json::json!({"success": true, "messageId": "msg_1", "list": [{"a": "x"}], "empty": []});
        assert_eq!(
            table(&value),
            "empty      []\nlist[0].a  x\nmessageId  msg_1\nsuccess    true"
        );
    }
}
