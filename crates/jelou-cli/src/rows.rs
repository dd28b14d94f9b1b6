//! `jelou db …`: the account's Datum databases and their rows, and `db rows export`, every
//! row as JSON Lines, resumable from its file like `history --all`.

use std::path::Path;

use futures_util::StreamExt;
use jelou_ext::{Jelou, JsonRequest};
use serde_json::{Map, Value};

use crate::args::OutputFormat;
use crate::args::{DbCommand, RowsCommand};
use crate::export::{Export, Item, Page, export_pages};
use crate::failure::Failure;
use crate::output::print;

/// `NAME=VALUE` pairs as a row's fields; every value is text, as Datum's text, date and
/// keyword fields take it.
fn fields(pairs: &[String]) -> Result<Map<String, Value>, Failure> {
    pairs
        .iter()
        .map(|pair| {
            let (name, value) = pair.split_once('=').ok_or_else(|| {
                Failure::usage(format!("--field must be NAME=VALUE, got {pair:?}"))
            })?;
            Ok((name.to_owned(), Value::String(value.to_owned())))
        })
        .collect()
}

fn rows_of(database: &str) -> JsonRequest {
    JsonRequest::new().path("databaseId", database)
}

fn row(database: &str, row: &str) -> JsonRequest {
    rows_of(database).path("rowId", row)
}

pub(crate) async fn db(
    jelou: &Jelou,
    command: DbCommand,
    format: OutputFormat,
) -> Result<(), Failure> {
    let (operation, request) = match command {
        DbCommand::List => ("database_list", JsonRequest::new()),
        DbCommand::Rows(RowsCommand::List {
            database,
            limit,
            page,
        }) => {
            let mut request = rows_of(&database).query("page", page.to_string());
            if let Some(limit) = limit {
                request = request.query("limit", limit.to_string());
            }
            ("row_list", request)
        }
        DbCommand::Rows(RowsCommand::Create {
            database,
            fields: pairs,
        }) => (
            "row_create",
            rows_of(&database).body(serde_json::json!({ "fields": fields(&pairs)? })),
        ),
        DbCommand::Rows(RowsCommand::Get { database, row: id }) => ("row_get", row(&database, &id)),
        DbCommand::Rows(RowsCommand::Update {
            database,
            row: id,
            fields: pairs,
        }) => (
            "row_update",
            row(&database, &id).body(serde_json::json!({ "fields": fields(&pairs)? })),
        ),
        DbCommand::Rows(RowsCommand::Delete { database, row: id }) => {
            ("row_delete", row(&database, &id))
        }
        DbCommand::Rows(RowsCommand::Export {
            database,
            limit,
            page,
            out,
            ..
        }) => return export_rows(jelou, &database, limit, page.unwrap_or(1), out.as_deref()).await,
    };
    print(
        format,
        operation,
        &jelou.send_json(operation, request).await?,
    )
}

/// Writes every row from `first_page` on to `out` or stdout, one JSON object a line,
/// resumable like `history --all` (rows are told apart by `_id`). The pages give no order for
/// rows; a row created while an export runs may be left out.
async fn export_rows(
    jelou: &Jelou,
    database: &str,
    limit: u32,
    first_page: u32,
    out: Option<&Path>,
) -> Result<(), Failure> {
    let export = Export {
        out,
        key: "_id",
        command: "jelou db rows export",
        noun: "rows",
        limit,
        first_page,
    };
    export_pages(export, |page| {
        let request = rows_of(database)
            .query("limit", limit.max(1).to_string())
            .query("page", page.to_string());
        jelou.pages_json("row_list", request).map(|page| {
            let page = page.map_err(Failure::from)?;
            let number = |pointer: &str| page.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
            Ok(Page {
                items: page
                    .get("results")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .map(|row| Item {
                        id: row
                            .get("_id")
                            .and_then(Value::as_str)
                            .filter(|id| !id.is_empty())
                            .map(str::to_owned),
                        line: row.to_string(),
                    })
                    .collect(),
                number: number("/pagination/page"),
                total_pages: number("/pagination/totalPages"),
            })
        })
    })
    .await
}
