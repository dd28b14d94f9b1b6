//! Printing answers: JSON for programs, tables for people.
//!
//! On a terminal, a list (a page of history, a page of users, a created user) prints as a
//! table with one row per item and the columns that matter for that kind of item; any other
//! list of a spec operation (its paged `items`, or an answer that is a list) gets the items'
//! own top-level fields as columns; everything else prints as `field  value` rows.

use std::io::Write;

use serde::Serialize;
use serde_json::Value;

use crate::args::OutputFormat;
use crate::failure::Failure;

/// Prints `answer`, the answer of the operation `operation_id`, on stdout in `format`.
pub(crate) fn print(
    format: OutputFormat,
    operation_id: &str,
    answer: &impl Serialize,
) -> Result<(), Failure> {
    let value = serde_json::to_value(answer).map_err(|e| Failure::internal(e.to_string()))?;
    let text = match format {
        OutputFormat::Json => {
            serde_json::to_string_pretty(&value).map_err(|e| Failure::internal(e.to_string()))?
        }
        OutputFormat::Table => view(operation_id, &value),
    };
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{text}").map_err(|e| Failure::internal(format!("cannot write: {e}")))
}

/// One column of a list: its title and where its value is in an item (a JSON pointer).
type Column = (&'static str, &'static str);

/// The layout of a kind of list: where the items are in the answer, the columns, and a line
/// under the table.
struct Layout {
    items: &'static str,
    columns: &'static [Column],
    footer: fn(&Value) -> Option<String>,
}

/// The layouts of the lists people read most.
fn layout(operation_id: &str) -> Option<Layout> {
    Some(match operation_id {
        "history_list" => Layout {
            items: "/results",
            columns: &[
                ("time", "/createdAt"),
                ("direction", "/by"),
                ("user", "/recipient/id"),
                ("status", "/status"),
                ("text", "/bubble/text"),
            ],
            footer: |page| {
                let at = |pointer| page.pointer(pointer).and_then(Value::as_i64);
                Some(format!(
                    "page {} of {}, {} messages in all",
                    at("/pagination/page")?,
                    at("/pagination/totalPages")?,
                    at("/pagination/total")?
                ))
            },
        },
        "user_list" => Layout {
            items: "/data",
            columns: &[
                ("id", "/id"),
                ("userId", "/userId"),
                ("name", "/attributes/default_name"),
                ("email", "/attributes/default_email"),
                ("last seen", "/lastSeen"),
            ],
            footer: |page| {
                let shown = page.pointer("/data").and_then(Value::as_array)?.len();
                Some(format!("{shown} users on this page"))
            },
        },
        "user_create" => Layout {
            items: "",
            columns: &[
                ("id", "/id"),
                ("status", "/status/type"),
                ("time", "/timestamp"),
            ],
            footer: |_| None,
        },
        _ => return None,
    })
}

/// How an answer prints on a terminal.
pub(crate) fn view(operation_id: &str, value: &Value) -> String {
    if let Some(layout) = layout(operation_id)
        && let Some(Value::Array(items)) = value.pointer(layout.items)
    {
        let mut text = list(
            items,
            layout
                .columns
                .iter()
                .map(|(t, p)| (t.to_string(), p.to_string())),
        );
        if let Some(footer) = (layout.footer)(value) {
            text.push('\n');
            text.push_str(&footer);
        }
        return text;
    }
    let paged = jelou_client::operation_spec(operation_id)
        .and_then(|operation| operation.pagination)
        .and_then(|pagination| match pagination {
            jelou_client::operation::Pagination::Page { items, .. }
            | jelou_client::operation::Pagination::Cursor { items, .. } => Some(items),
            _ => None,
        });
    let items = match paged {
        Some(pointer) => value.pointer(pointer),
        None => Some(value),
    };
    if let Some(Value::Array(items)) = items
        && !items.is_empty()
        && items.iter().all(Value::is_object)
    {
        return list(items, own_columns(items));
    }
    table(value)
}

/// The top-level fields the items hold, in the order first seen, as columns.
fn own_columns(items: &[Value]) -> impl Iterator<Item = (String, String)> {
    let mut names: Vec<String> = Vec::new();
    for item in items {
        for key in item.as_object().into_iter().flat_map(|map| map.keys()) {
            if !names.contains(key) {
                names.push(key.clone());
            }
        }
    }
    names.into_iter().map(|name| {
        let pointer = format!("/{}", name.replace('~', "~0").replace('/', "~1"));
        (name, pointer)
    })
}

/// A table: a header, then one row per item, each cell on one line and at most 60 characters.
fn list(items: &[Value], columns: impl Iterator<Item = (String, String)>) -> String {
    const CELL: usize = 60;
    let columns: Vec<(String, String)> = columns.collect();
    let cell = |item: &Value, pointer: &str| -> String {
        let text = match item.pointer(pointer) {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(text)) => text.clone(),
            Some(other) => other.to_string(),
        };
        let line: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        if line.chars().count() > CELL {
            format!("{}…", line.chars().take(CELL - 1).collect::<String>())
        } else {
            line
        }
    };
    let mut rows: Vec<Vec<String>> = vec![columns.iter().map(|(title, _)| title.clone()).collect()];
    for item in items {
        rows.push(
            columns
                .iter()
                .map(|(_, pointer)| cell(item, pointer))
                .collect(),
        );
    }
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| {
            rows.iter()
                .map(|row| row[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    rows.iter()
        .map(|row| {
            let line: Vec<String> = row
                .iter()
                .zip(&widths)
                .map(|(text, width)| format!("{text:<width$}"))
                .collect();
            line.join("  ").trim_end().to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
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
    fn a_history_page_is_a_table_of_its_messages() {
        let page = serde_json::json!({
            "pagination": {"limit": 10, "page": 1, "total": 2, "offset": 0, "totalPages": 1},
            "results": [
                {"createdAt": "2025-01-15T10:30:00.000Z", "by": "bot", "recipient": {"id": "593"},
                 "status": "DELIVERED_USER", "bubble": {"type": "TEXT", "text": "Hola\nmundo"},
                 "messageId": "m1"},
                {"createdAt": "2025-01-15T10:31:00.000Z", "by": "user", "messageId": "m2"}
            ]
        });
        assert_eq!(
            view("history_list", &page),
            "time                      direction  user  status          text\n\
             2025-01-15T10:30:00.000Z  bot        593   DELIVERED_USER  Hola mundo\n\
             2025-01-15T10:31:00.000Z  user\n\
             page 1 of 1, 2 messages in all"
        );
    }

    #[test]
    fn other_lists_take_their_items_fields_as_columns() {
        let answer = serde_json::json!([{"a": 1, "b": "x"}, {"b": "y", "c": null}]);
        assert_eq!(view("no_such_operation", &answer), "a  b  c\n1  x\n   y");
        let long = serde_json::json!([{"t": "x".repeat(70)}]);
        let shown = view("no_such_operation", &long);
        assert!(shown.ends_with(&format!("{}…", "x".repeat(59))), "{shown}");
        let object = serde_json::json!({"success": true});
        assert_eq!(view("message_send", &object), "success  true");
    }

    #[test]
    fn nested_answers_become_aligned_rows() {
        let value = serde_json::json!({"success": true, "messageId": "msg_1", "list": [{"a": "x"}], "empty": []});
        assert_eq!(
            table(&value),
            "empty      []\nlist[0].a  x\nmessageId  msg_1\nsuccess    true"
        );
    }
}
