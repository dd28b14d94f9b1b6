//! A command for every operation of the spec, built from `jelou_client::OPERATIONS` when the
//! program starts: flags for the operation's parameters and for its body's top-level fields,
//! and `--body JSON` for the whole body.
//!
//! Every operation is under `jelou api <operation>`. An operation that no hand-written
//! command serves is also under its tag, as `jelou <tag> <verb>`. Hand-written commands
//! (friendlier spellings, several calls in one) take precedence over generated ones of the
//! same name.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::{Arg, ArgAction, ArgMatches, Command};
use jelou_client::operation::{OperationSpec, ParameterLocation};
use jelou_ext::{Jelou, JsonRequest};
use serde_json::{Map, Value};

use crate::args::OutputFormat;
use crate::failure::Failure;
use crate::output::print;

/// The group of commands that holds every operation.
pub(crate) const API: &str = "api";

/// The operations the hand-written commands serve; the others get a command under their tag.
const HAND_WRITTEN: [&str; 22] = [
    "user_state_get",
    "user_state_set",
    "cache_get",
    "cache_set",
    "message_send",
    "history_list",
    "user_create",
    "user_list",
    "user_get",
    "user_update",
    "user_session_update",
    "chat_query",
    "template_list",
    "template_create",
    "hsm_send",
    "campaign_list",
    "database_list",
    "row_list",
    "row_create",
    "row_get",
    "row_update",
    "row_delete",
];

/// `user_session_update` → `user-session-update`; `sort[field]` → `sort-field`;
/// `botId` → `bot-id`.
pub(crate) fn kebab(name: &str) -> String {
    let mut out = String::new();
    for c in name.chars() {
        if c.is_ascii_uppercase() {
            if !out.is_empty() && !out.ends_with('-') {
                out.push('-');
            }
            out.push(c.to_ascii_lowercase());
        } else if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_end_matches('-').to_owned()
}

/// The verb of an operation under its tag: the operationId without its leading noun
/// (`user_session_update` → `session-update`).
fn verb(operation: &OperationSpec) -> String {
    let id = operation.id;
    kebab(id.split_once('_').map_or(id, |(_, rest)| rest))
}

/// The first line of a description, for a flag's help.
fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or_default().trim().to_owned()
}

/// A body field that gets a flag of its own: its name, JSON type, and whether the spec
/// requires it.
struct BodyField {
    name: String,
    kind: String,
    description: String,
    /// The one value the field may have (an `enum` of one), filled in when not given.
    constant: Option<Value>,
}

fn body_schema(operation: &OperationSpec) -> Option<Value> {
    serde_json::from_str(operation.body.as_ref()?.schema).ok()
}

/// The body's fields: its own properties and, for a body of several shapes (a message of any
/// kind), every shape's, each once.
fn body_fields(operation: &OperationSpec) -> Vec<BodyField> {
    let Some(schema) = body_schema(operation) else {
        return Vec::new();
    };
    let shapes = ["oneOf", "anyOf"]
        .iter()
        .filter_map(|key| schema.get(*key).and_then(Value::as_array))
        .flatten();
    let mut fields: Vec<BodyField> = Vec::new();
    for shape in std::iter::once(&schema).chain(shapes) {
        for (name, property) in shape
            .get("properties")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            if fields.iter().any(|field| &field.name == name) {
                continue;
            }
            fields.push(BodyField {
                name: name.clone(),
                kind: match property.get("type") {
                    Some(Value::String(kind)) => kind.clone(),
                    Some(Value::Array(kinds)) => kinds
                        .iter()
                        .filter_map(Value::as_str)
                        .find(|kind| *kind != "null")
                        .unwrap_or("string")
                        .to_owned(),
                    _ => "json".to_owned(),
                },
                description: property
                    .get("description")
                    .and_then(Value::as_str)
                    .map(first_line)
                    .unwrap_or_default(),
                // Only the body's own fields: one shape's constant (a message's `type`) is
                // not the others'.
                constant: match property
                    .get("enum")
                    .and_then(Value::as_array)
                    .map(Vec::as_slice)
                {
                    Some([only]) if std::ptr::eq(shape, &schema) => Some(only.clone()),
                    _ => None,
                },
            });
        }
    }
    fields
}

/// The flag id of a parameter, and of a body field (`body.` before it, so the two never
/// clash).
fn parameter_id(name: &str) -> String {
    format!("param.{name}")
}

fn field_id(name: &str) -> String {
    format!("body.{name}")
}

/// The command of one operation, named `name`. A flag whose name `reserved` holds (the
/// global options) gets the prefix `param-` (a parameter) or `body-` (a body field).
fn operation_command(
    operation: &'static OperationSpec,
    name: String,
    reserved: &[String],
) -> Command {
    let mut command = Command::new(name)
        .about(operation.summary)
        .long_about(format!(
            "{}\n\n{} {} (operation {})",
            operation.summary, operation.method, operation.path, operation.id
        ));
    let mut taken: Vec<String> = reserved.to_vec();
    taken.push("body".into());
    if !operation.secrets.is_empty() {
        taken.push(SECRET_FILE.into());
        command = command.arg(
            Arg::new(SECRET_FILE)
                .long(SECRET_FILE)
                .value_name("FILE")
                .value_parser(clap::value_parser!(PathBuf))
                .required(true)
                .help(format!(
                    "A new file (readable by you alone) to keep the answer's {} in: the API shows it only once, and it is never printed",
                    secret_names(operation)
                )),
        );
    }
    for parameter in operation.parameters {
        let mut long = kebab(parameter.name);
        if taken.contains(&long) {
            long = format!("param-{long}");
        }
        taken.push(long.clone());
        command = command.arg(
            Arg::new(parameter_id(parameter.name))
                .long(long)
                .value_name(parameter.name)
                .required(parameter.required)
                .action(ArgAction::Append)
                .help(first_line(parameter.description)),
        );
    }
    if operation.body.is_some() {
        for field in body_fields(operation) {
            let mut long = kebab(&field.name);
            if taken.contains(&long) {
                long = format!("body-{long}");
            }
            taken.push(long.clone());
            let help = match &field.constant {
                Some(constant) => format!("{} (default {constant})", field.description),
                None => field.description.clone(),
            };
            let value_name = match field.kind.as_str() {
                "object" | "array" | "json" => "JSON",
                "integer" | "number" => "NUMBER",
                "boolean" => "true|false",
                _ => "TEXT",
            };
            command = command.arg(
                Arg::new(field_id(&field.name))
                    .long(long)
                    .value_name(value_name)
                    .help(help),
            );
        }
        command = command.arg(
            Arg::new("body")
                .long("body")
                .value_name("JSON")
                .help("The whole request body as JSON; the field flags are merged into it"),
        );
    }
    command
}

/// Adds the spec's commands to `root`: `api <operation>` for every operation, and
/// `<tag> <verb>` for those no hand-written command serves.
pub(crate) fn add_to(mut root: Command) -> Command {
    let mut reserved: Vec<String> = root
        .get_arguments()
        .filter_map(|arg| arg.get_long().map(str::to_owned))
        .collect();
    reserved.extend(["help".to_owned(), "version".to_owned()]);
    let mut api = Command::new(API)
        .about("Call any operation of the API, with flags for its parameters and body")
        .subcommand_required(true);
    for operation in jelou_client::OPERATIONS {
        api = api.subcommand(operation_command(operation, kebab(operation.id), &reserved));
        if HAND_WRITTEN.contains(&operation.id) {
            continue;
        }
        let Some(tag) = operation.tags.first() else {
            continue;
        };
        let verb = verb(operation);
        let group = match root.find_subcommand(tag) {
            // A hand-written command of that name without subcommands serves the tag itself.
            Some(existing) if !existing.has_subcommands() => continue,
            Some(existing) if existing.find_subcommand(&verb).is_some() => continue,
            Some(existing) => existing.clone(),
            None => Command::new(*tag)
                .about(format!("Operations tagged {tag} in the API"))
                .subcommand_required(true),
        };
        root = replace_subcommand(
            root,
            group.subcommand(operation_command(operation, verb, &reserved)),
        );
    }
    root.subcommand(api)
}

fn replace_subcommand(root: Command, group: Command) -> Command {
    let name = group.get_name().to_owned();
    if root.find_subcommand(&name).is_some() {
        root.mut_subcommand(name, |_| group)
    } else {
        root.subcommand(group)
    }
}

/// The operation a parsed command line names, when it is one of the spec's commands, with
/// the matches of its own arguments.
pub(crate) fn matched(matches: &ArgMatches) -> Option<(&'static OperationSpec, &ArgMatches)> {
    let (group, inner) = matches.subcommand()?;
    let (name, args) = inner.subcommand()?;
    let operation = jelou_client::OPERATIONS.iter().find(|op| {
        if group == API {
            kebab(op.id) == name
        } else {
            !HAND_WRITTEN.contains(&op.id) && op.tags.first() == Some(&group) && verb(op) == name
        }
    })?;
    Some((operation, args))
}

/// Reads one flag value as the JSON type of its body field.
fn field_value(field: &BodyField, text: &str) -> Result<Value, Failure> {
    let flag = format!("--{}", kebab(&field.name));
    let bad = |expected: &str| Failure::usage(format!("{flag} must be {expected}, got {text:?}"));
    match field.kind.as_str() {
        "integer" => text
            .parse::<i64>()
            .map(Value::from)
            .map_err(|_| bad("a whole number")),
        "number" => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number)
            .ok_or_else(|| bad("a number")),
        "boolean" => match text {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(bad("true or false")),
        },
        "string" => Ok(Value::String(text.to_owned())),
        _ => serde_json::from_str(text).map_err(|e| bad(&format!("JSON ({e})"))),
    }
}

/// The request the flags describe.
pub(crate) fn request(
    operation: &'static OperationSpec,
    args: &ArgMatches,
) -> Result<JsonRequest, Failure> {
    let mut request = JsonRequest::new();
    for parameter in operation.parameters {
        let values: Vec<&String> = args
            .get_many::<String>(&parameter_id(parameter.name))
            .into_iter()
            .flatten()
            .collect();
        for value in values {
            request = match parameter.location {
                ParameterLocation::Path => request.path(parameter.name, value.as_str()),
                _ => request.query(parameter.name, value.as_str()),
            };
        }
    }
    if operation.body.is_some() {
        let mut body = match args.get_one::<String>("body") {
            Some(text) => match serde_json::from_str::<Value>(text) {
                Ok(Value::Object(map)) => map,
                Ok(other) => {
                    return Err(Failure::usage(format!(
                        "--body must be a JSON object, got {other}"
                    )));
                }
                Err(e) => return Err(Failure::usage(format!("--body is not JSON: {e}"))),
            },
            None => Map::new(),
        };
        for field in body_fields(operation) {
            if let Some(text) = args.get_one::<String>(&field_id(&field.name)) {
                body.insert(field.name.clone(), field_value(&field, text)?);
            } else if let Some(constant) = &field.constant {
                // A field with one possible value needs no flag.
                body.entry(field.name.clone())
                    .or_insert_with(|| constant.clone());
            }
        }
        request = request.body(Value::Object(body));
    }
    Ok(request)
}

/// The flag of the file an answer's secrets are kept in.
const SECRET_FILE: &str = "secret-file";

/// The secrets of an operation's answer, in words: `signingSecret`.
fn secret_names(operation: &OperationSpec) -> String {
    operation
        .secrets
        .iter()
        .map(|pointer| pointer.rsplit('/').next().unwrap_or(pointer))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Creates `path` for secrets: it must not exist yet, and only its owner may read it.
fn create_secret_file(path: &Path) -> Result<std::fs::File, Failure> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path).map_err(|e| {
        Failure::usage(format!(
            "--{SECRET_FILE} {}: cannot create it as a new file: {e}",
            path.display()
        ))
    })
}

/// Writes `secrets` (taken from an answer) to `file`: the secret alone when there is one, a
/// JSON object by field otherwise.
fn keep_secrets(
    mut file: std::fs::File,
    path: &Path,
    secrets: &[(&str, String)],
) -> Result<(), Failure> {
    let text = match secrets {
        [(_, secret)] => format!("{secret}\n"),
        many => {
            let object: Map<String, Value> = many
                .iter()
                .map(|(pointer, secret)| ((*pointer).to_owned(), Value::String(secret.clone())))
                .collect();
            format!("{}\n", Value::Object(object))
        }
    };
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(|e| Failure::internal(format!("cannot write {}: {e}", path.display())))
}

/// Runs the spec's command for `operation` and prints its answer, its secrets kept in the
/// `--secret-file` and redacted from what is printed.
pub(crate) async fn run(
    jelou: &Jelou,
    operation: &'static OperationSpec,
    args: &ArgMatches,
    format: OutputFormat,
) -> Result<(), Failure> {
    let request = request(operation, args)?;
    // The file exists before the call: a secret the API shows once has somewhere to go.
    let secret_file = match args.try_get_one::<PathBuf>(SECRET_FILE).ok().flatten() {
        Some(path) => Some((create_secret_file(path)?, path.clone())),
        None => None,
    };
    let mut answer = jelou.send_json(operation.id, request).await;
    let secrets = match &mut answer {
        Ok(value) => operation.take_secrets(value),
        Err(_) => Vec::new(),
    };
    if let Some((file, path)) = secret_file {
        if secrets.is_empty() {
            // Nothing to keep: the file is not left behind empty.
            drop(file);
            let _ = std::fs::remove_file(&path);
        } else {
            keep_secrets(file, &path, &secrets)?;
            eprintln!(
                "{} kept in {} (it is not shown again)",
                secret_names(operation),
                path.display()
            );
        }
    }
    print(format, operation.id, &answer?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_flags() {
        assert_eq!(kebab("botId"), "bot-id");
        assert_eq!(kebab("sort[field]"), "sort-field");
        assert_eq!(kebab("user_session_update"), "user-session-update");
    }

    #[test]
    fn every_operation_has_an_api_command_with_its_parameters() {
        use clap::CommandFactory;
        let mut root = add_to(crate::args::Cli::command());
        root.build();
        let api = root.find_subcommand(API).expect("api");
        for operation in jelou_client::OPERATIONS {
            let command = api
                .find_subcommand(kebab(operation.id))
                .unwrap_or_else(|| panic!("{} has no command", operation.id));
            // Building checks every command: no flag clashes with another or a global one.
            command.clone().build();
            for parameter in operation.parameters {
                assert!(
                    command
                        .get_arguments()
                        .any(|arg| arg.get_id() == parameter_id(parameter.name).as_str()),
                    "{}: {}",
                    operation.id,
                    parameter.name
                );
            }
        }
        let history = api.find_subcommand("history-list").expect("history-list");
        let client = history
            .get_arguments()
            .find(|arg| arg.get_id() == "param.clientId")
            .expect("clientId");
        assert_eq!(
            client.get_long(),
            Some("param-client-id"),
            "the global --client-id keeps its name"
        );
    }

    #[test]
    fn flags_and_a_json_body_make_the_request() {
        use clap::CommandFactory;
        let root = add_to(crate::args::Cli::command());
        let matches = root
            .try_get_matches_from([
                "jelou",
                "api",
                "message-send",
                "--bot-id",
                "my-bot",
                "--body",
                r#"{"type":"text","options":[{"title":"Uno"}]}"#,
                "--user-id",
                "593987654321",
                "--text",
                "hola",
            ])
            .expect("parses");
        let (operation, args) = matched(&matches).expect("an operation");
        assert_eq!(operation.id, "message_send");
        let request = request(operation, args).expect("a request");
        assert_eq!(
            request.path.get("botId").map(String::as_str),
            Some("my-bot")
        );
        assert_eq!(
            request.body,
            Some(serde_json::json!({
                "type": "text", "userId": "593987654321", "text": "hola",
                "options": [{"title": "Uno"}]
            }))
        );
    }

    #[test]
    fn a_field_with_one_possible_value_needs_no_flag_and_a_secret_needs_a_file() {
        use clap::CommandFactory;
        let root = add_to(crate::args::Cli::command());
        let body_of = |args: &[&str]| {
            let matches = root.clone().try_get_matches_from(args).expect("parses");
            let (operation, args) = matched(&matches).expect("an operation");
            request(operation, args)
                .expect("a request")
                .body
                .expect("a body")
        };
        let value = r#"{"id":"m1","type":"text","content":{"body":"hola"}}"#;
        let body = body_of(&[
            "jelou",
            "panel",
            "message-send",
            "--project-id",
            "P",
            "--room-id",
            "R",
            "--bot-id",
            "B",
            "--user-id",
            "U",
            "--value",
            value,
        ]);
        assert_eq!(
            (&body["field"], &body["object"], &body["event_type"]),
            (
                &serde_json::json!("messages"),
                &serde_json::json!("message_event"),
                &serde_json::json!("incoming_message")
            )
        );
        // A message's `type` is one shape's constant, not the body's: never filled in.
        let body = body_of(&[
            "jelou",
            "api",
            "message-send",
            "--bot-id",
            "b",
            "--text",
            "x",
        ]);
        assert!(body.get("type").is_none(), "{body}");

        let error = root
            .try_get_matches_from([
                "jelou",
                "panel",
                "integration-create",
                "--project-id",
                "P",
                "--webhook-url",
                "https://example.com/h",
            ])
            .expect_err("the secret needs a file");
        assert!(error.to_string().contains("--secret-file"), "{error}");
    }

    #[test]
    fn a_body_flag_of_the_wrong_type_is_a_usage_error() {
        let field = BodyField {
            name: "confidence".into(),
            kind: "number".into(),
            description: String::new(),
            constant: None,
        };
        let failure = field_value(&field, "high").expect_err("not a number");
        assert_eq!(
            failure.to_string(),
            "--confidence must be a number, got \"high\""
        );
    }

    #[test]
    fn a_generated_command_never_shadows_a_hand_written_one() {
        use clap::CommandFactory;
        let hand_written = crate::args::Cli::command();
        for operation in jelou_client::OPERATIONS {
            if HAND_WRITTEN.contains(&operation.id) {
                continue;
            }
            let Some(tag) = operation.tags.first() else {
                continue;
            };
            let taken = hand_written
                .find_subcommand(tag)
                .is_some_and(|group| group.find_subcommand(verb(operation)).is_some());
            assert!(
                !taken,
                "{}: `jelou {tag} {}` is hand-written; list the operation in HAND_WRITTEN",
                operation.id,
                verb(operation)
            );
            let twins: Vec<&str> = jelou_client::OPERATIONS
                .iter()
                .filter(|other| {
                    !HAND_WRITTEN.contains(&other.id)
                        && other.tags.first() == Some(tag)
                        && verb(other) == verb(operation)
                })
                .map(|other| other.id)
                .collect();
            assert_eq!(
                twins,
                [operation.id],
                "one command, `jelou {tag} {}`",
                verb(operation)
            );
        }
    }
}
