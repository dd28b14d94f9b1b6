//! Every JSON example in the spec (each one transcribed from a documentation page) decodes
//! into the generated type of its operation or schema, and each matches its fixture file.

use jelou_client::types;
use jelou_conformance::{fixture, fixtures_dir, spec};
use openapiv3::{MediaType, OpenAPI, ReferenceOr, StatusCode};
use serde_json::Value;

fn decode<T: serde::de::DeserializeOwned>(value: &Value) -> Result<(), String> {
    serde_json::from_value::<T>(value.clone())
        .map(|_| ())
        .map_err(|e| format!("as {}: {e}", std::any::type_name::<T>()))
}

/// The operation's entry in the generated table.
fn operation(operation_id: &str) -> Result<&'static jelou_client::OperationSpec, String> {
    jelou_client::operation_spec(operation_id)
        .ok_or_else(|| format!("{operation_id} is not in the generated table"))
}

/// A request example decodes into the generated type and keeps every limit the client checks.
fn decode_request(operation_id: &str, value: &Value) -> Result<(), String> {
    let spec = operation(operation_id)?;
    let body = spec
        .body
        .as_ref()
        .ok_or_else(|| format!("{operation_id} takes no body"))?;
    (body.decode)(value.to_string().as_bytes()).map_err(|e| e.to_string())?;
    jelou_client::check::check_body(spec, value).map_err(|e| e.to_string())
}

fn decode_success(operation_id: &str, value: &Value) -> Result<(), String> {
    (operation(operation_id)?.decode)(200, value.to_string().as_bytes()).map_err(|e| e.to_string())
}

fn decode_schema(name: &str, value: &Value) -> Result<(), String> {
    match name {
        "UserCache" => decode::<types::UserCache>(value),
        "CacheSetRequest" => decode::<types::CacheSetRequest>(value),
        "CacheSetResponse" => decode::<types::CacheSetResponse>(value),
        "MessageSendRequest" => decode::<types::MessageSendRequest>(value),
        "TextMessage" => decode::<types::TextMessage>(value),
        "MessageUserId" => decode::<types::MessageUserId>(value),
        "MessageBotId" => decode::<types::MessageBotId>(value),
        "MediaUrl" => decode::<types::MediaUrl>(value),
        "MessageButtonText" => decode::<types::MessageButtonText>(value),
        "MessageOption" => decode::<types::MessageOption>(value),
        "MessageSendResponse" => decode::<types::MessageSendResponse>(value),
        "HistoryPagination" => decode::<types::HistoryPagination>(value),
        "HistoryMessage" => decode::<types::HistoryMessage>(value),
        "ResultStatus" => decode::<types::ResultStatus>(value),
        "PanelWebhookUrl" => decode::<types::PanelWebhookUrl>(value),
        "PanelAuthType" => decode::<types::PanelAuthType>(value),
        other => Err(format!("no type known for schema {other}")),
    }
}

/// One example found in the spec: where it is, and the fixture that must hold the same JSON.
struct Example {
    place: String,
    fixture: Option<String>,
    value: Value,
    decoded: Result<(), String>,
}

fn media_examples(media: &MediaType) -> Vec<(Option<String>, Value)> {
    let mut found = Vec::new();
    if let Some(example) = &media.example {
        found.push((None, example.clone()));
    }
    for (name, example) in &media.examples {
        if let ReferenceOr::Item(example) = example
            && let Some(value) = &example.value
        {
            found.push((Some(name.clone()), value.clone()));
        }
    }
    found
}

fn all_examples(spec: &OpenAPI) -> Vec<Example> {
    let mut examples = Vec::new();
    for (path, item) in spec.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (_, operation) in item.iter() {
            let id = operation.operation_id.clone().unwrap_or_default();
            if let Some(ReferenceOr::Item(body)) = &operation.request_body {
                for media in body.content.values() {
                    for (name, value) in media_examples(media) {
                        let fixture = match &name {
                            Some(name) => format!("{id}.request.{name}.json"),
                            None => format!("{id}.request.json"),
                        };
                        examples.push(Example {
                            place: format!("{id} ({path}) request"),
                            fixture: Some(fixture),
                            decoded: decode_request(&id, &value),
                            value,
                        });
                    }
                }
            }
            for (status, response) in &operation.responses.responses {
                let ReferenceOr::Item(response) = response else {
                    continue;
                };
                let status = match status {
                    StatusCode::Code(code) => code.to_string(),
                    StatusCode::Range(range) => format!("{range}XX"),
                };
                for media in response.content.values() {
                    for (name, value) in media_examples(media) {
                        let fixture = match &name {
                            Some(name) => format!("{id}.{status}.{name}.json"),
                            None => format!("{id}.{status}.json"),
                        };
                        let decoded = if status.starts_with('2') {
                            decode_success(&id, &value)
                        } else {
                            decode::<types::ApiError>(&value)
                        };
                        examples.push(Example {
                            place: format!("{id} ({path}) response {status}"),
                            fixture: Some(fixture),
                            value,
                            decoded,
                        });
                    }
                }
            }
        }
    }
    let components = spec.components.as_ref().expect("the spec has components");
    for (name, response) in &components.responses {
        let ReferenceOr::Item(response) = response else {
            continue;
        };
        for media in response.content.values() {
            for (_, value) in media_examples(media) {
                examples.push(Example {
                    place: format!("response component {name}"),
                    fixture: Some(format!("api_error.{name}.json")),
                    decoded: decode::<types::ApiError>(&value),
                    value,
                });
            }
        }
    }
    for (name, schema) in &components.schemas {
        let ReferenceOr::Item(schema) = schema else {
            continue;
        };
        if let Some(value) = &schema.schema_data.example {
            examples.push(Example {
                place: format!("schema {name}"),
                fixture: None,
                decoded: decode_schema(name, value),
                value: value.clone(),
            });
        }
    }
    examples
}

#[test]
fn every_example_in_the_spec_decodes_into_its_generated_type() {
    let examples = all_examples(&spec());
    // 84 operation and response examples (17 of them the message kinds), page 001's 6 error
    // examples, 14 schema examples.
    assert_eq!(
        examples.len(),
        104,
        "the number of examples changed: update this suite"
    );
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|e| {
            e.decoded
                .as_ref()
                .err()
                .map(|why| format!("{}: {why}", e.place))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "examples that do not decode:\n{}",
        failures.join("\n")
    );
}

#[test]
fn every_fixture_is_an_example_of_the_spec_and_the_other_way_round() {
    let examples = all_examples(&spec());
    let mut named: Vec<&str> = Vec::new();
    for example in &examples {
        if let Some(name) = &example.fixture {
            assert_eq!(
                fixture(name),
                example.value,
                "{} differs from fixture {name}",
                example.place
            );
            named.push(name);
        }
    }
    let mut on_disk: Vec<String> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures folder")
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .filter(|name| name.ends_with(".json"))
        .collect();
    on_disk.sort();
    named.sort_unstable();
    named.dedup();
    assert_eq!(
        on_disk, named,
        "fixture files and spec examples must match one to one"
    );
}

#[test]
fn a_schema_example_that_breaks_its_schema_is_caught() {
    // The checks above must be able to fail: a 25-character option title is refused.
    let too_long = serde_json::json!({"title": "Opción número veinticinco"});
    assert_eq!(
        too_long["title"].as_str().map(|t| t.chars().count()),
        Some(25)
    );
    assert!(decode_schema("MessageOption", &too_long).is_err());
    let accented = serde_json::json!({"title": "Opción número veinticuat"});
    assert_eq!(
        accented["title"].as_str().map(|t| t.chars().count()),
        Some(24)
    );
    assert!(decode_schema("MessageOption", &accented).is_ok());
}
