//! Datum: the spec's documented databases, and rows created, read, updated, deleted and paged,
//! each insert holding the fields its database's `schema.required` lists.

use std::collections::BTreeMap;

use jelou_client::types;
use serde_json::{Map, Value, json};

use super::{State, documented, now, positive_or};
use crate::envelope::Refusal;

/// Rows per page when `limit` is not given: the pages give no default; their example shows 10.
const DEFAULT_ROWS_PER_PAGE: u64 = 10;

impl State {
    /// The databases the sandbox starts with: the spec's documented list.
    pub(super) fn documented_databases() -> Vec<Value> {
        documented("database_list")
            .and_then(|list| list.get("data").and_then(Value::as_array).cloned())
            .unwrap_or_default()
    }

    fn database(&self, database_id: &str) -> Result<&Value, Refusal> {
        self.databases
            .iter()
            .find(|db| db.get("id").is_some_and(|id| id_text(id) == database_id))
            .ok_or(Refusal::NotFound("database"))
    }

    /// The database's JSON Schema for its rows.
    fn schema_of(&self, database_id: &str) -> Result<Value, Refusal> {
        Ok(self
            .database(database_id)?
            .get("schema")
            .cloned()
            .unwrap_or_default())
    }

    fn rows_of(&mut self, database_id: &str) -> Result<&mut Vec<Value>, Refusal> {
        self.database(database_id)?;
        Ok(self.rows.entry(database_id.to_owned()).or_default())
    }

    /// `row_list`: one page of the database's rows, newest first.
    pub(crate) fn row_list(
        &mut self,
        database_id: &str,
        query: &BTreeMap<String, String>,
    ) -> Result<Value, Refusal> {
        let limit = positive_or(query, "limit", DEFAULT_ROWS_PER_PAGE)?;
        let page = positive_or(query, "page", 1)?;
        let rows = self.rows_of(database_id)?;
        let total = rows.len() as u64;
        let offset = (page - 1).saturating_mul(limit);
        let results: Vec<Value> = rows
            .iter()
            .rev()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .cloned()
            .collect();
        let total_pages = total.div_ceil(limit).max(1);
        let links: Vec<Value> = (1..=total_pages.min(100))
            .map(|number| {
                json!({
                    "number": number,
                    "url": format!("/v2/databases/{database_id}/rows?limit={limit}&page={number}"),
                })
            })
            .collect();
        Ok(json!({
            "pagination": {
                "limit": limit, "page": page, "total": total, "offset": offset,
                "totalPages": total_pages,
            },
            "_metadata": {},
            "results": results,
            "links": links,
        }))
    }

    /// `row_create`: a new row, once its fields keep the database's schema.
    pub(crate) fn row_create(
        &mut self,
        database_id: &str,
        request: types::RowFields,
    ) -> Result<Value, Refusal> {
        let schema = self.schema_of(database_id)?;
        keeps_schema(&schema, &request.fields, true)?;
        let created = now();
        let mut row = request.fields;
        row.insert("createdAt".into(), json!(created));
        row.insert("updatedAt".into(), json!(created));
        row.insert("_id".into(), json!(self.next_row_id()));
        let row = Value::Object(row);
        self.rows_of(database_id)?.push(row.clone());
        Ok(envelope("¡Fila insertada exitosamente!", row))
    }

    /// `row_get`: one row.
    pub(crate) fn row_get(&mut self, database_id: &str, row_id: &str) -> Result<Value, Refusal> {
        let row = self.row_mut(database_id, row_id)?.clone();
        Ok(envelope("¡Registro mostrado exitosamente!", row))
    }

    /// `row_update`: the given fields replace the row's, the others stay.
    pub(crate) fn row_update(
        &mut self,
        database_id: &str,
        row_id: &str,
        request: types::RowFields,
    ) -> Result<Value, Refusal> {
        let schema = self.schema_of(database_id)?;
        keeps_schema(&schema, &request.fields, false)?;
        let row = self.row_mut(database_id, row_id)?;
        if let Value::Object(stored) = row {
            stored.extend(request.fields);
            stored.insert("updatedAt".into(), json!(now()));
        }
        let summary = json!({
            "_id": row["_id"], "createdAt": row["createdAt"], "updatedAt": row["updatedAt"],
        });
        Ok(envelope("Row updated.", summary))
    }

    /// `row_delete`: the row is gone.
    pub(crate) fn row_delete(&mut self, database_id: &str, row_id: &str) -> Result<Value, Refusal> {
        let rows = self.rows_of(database_id)?;
        let before = rows.len();
        rows.retain(|row| row.get("_id").and_then(Value::as_str) != Some(row_id));
        if rows.len() == before {
            return Err(Refusal::NotFound("row"));
        }
        Ok(json!({"message": ["Row deleted."], "statusMessage": "success", "status": 1}))
    }

    fn row_mut(&mut self, database_id: &str, row_id: &str) -> Result<&mut Value, Refusal> {
        self.rows_of(database_id)?
            .iter_mut()
            .find(|row| row.get("_id").and_then(Value::as_str) == Some(row_id))
            .ok_or(Refusal::NotFound("row"))
    }

    /// A new row id, shaped like the pages' (a UUID), unique in this sandbox.
    fn next_row_id(&mut self) -> String {
        self.next_row += 1;
        format!("00000000-0000-4000-8000-{:012x}", self.next_row)
    }
}

/// A database id as text, whether the pages show it as a number or a string.
fn id_text(id: &Value) -> String {
    id.as_str().map_or_else(|| id.to_string(), str::to_owned)
}

/// Datum's envelope around `data`.
fn envelope(message: &str, data: Value) -> Value {
    json!({"message": [message], "statusMessage": "success", "status": 1, "data": data})
}

/// Whether `fields` keep the database's schema: on insert, every field of `required` is
/// there; always, a schema closed by `additionalProperties: false` takes only its own fields.
fn keeps_schema(
    schema: &Value,
    fields: &Map<String, Value>,
    inserting: bool,
) -> Result<(), Refusal> {
    if inserting {
        for required in schema
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !fields.contains_key(required) {
                return Err(Refusal::field_rule(
                    &format!("fields.{required}"),
                    "es obligatorio en esta base de datos",
                    "is required by this database",
                    "é obrigatório neste banco de dados",
                ));
            }
        }
    }
    if schema.get("additionalProperties") == Some(&Value::Bool(false)) {
        let known = schema.get("properties").and_then(Value::as_object);
        if let Some(unknown) = fields
            .keys()
            .find(|name| known.is_none_or(|known| !known.contains_key(*name)))
        {
            return Err(Refusal::field_rule(
                &format!("fields.{unknown}"),
                "no existe en esta base de datos",
                "is not a field of this database",
                "não existe neste banco de dados",
            ));
        }
    }
    Ok(())
}
