//! Every operation of the spec, from the spec alone: its documented request is sent and
//! matched (method, path, query, headers, exact body) through both clients, its documented
//! answers (the success and each error) are decoded, and a write is never sent twice after an
//! ambiguous failure. An operation added to the spec is covered here without a line of code.

use httpmock::{Method, MockServer};
use jelou_client::OperationSpec;
use jelou_client::operation::ParameterLocation;
use jelou_conformance::{ext_client_with, generated_client};
use jelou_ext::{JsonRequest, RetryPolicy};
use serde_json::Value;

/// A value that keeps `schema`'s rules, for a parameter the spec gives no example for.
fn value_for(schema: &str) -> String {
    let schema: Value = serde_json::from_str(schema).unwrap_or(Value::Null);
    if let Some(first) = schema
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|v| v.first())
    {
        return first
            .as_str()
            .map_or_else(|| first.to_string(), str::to_owned);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer" | "number") => schema
            .get("minimum")
            .map_or_else(|| "1".to_owned(), Value::to_string),
        Some("boolean") => "true".to_owned(),
        _ => {
            let length = schema.get("minLength").and_then(Value::as_u64).unwrap_or(1);
            "a".repeat(usize::try_from(length.max(1)).unwrap_or(1))
        }
    }
}

/// The documented request of `operation`: its examples, or values that keep its rules.
/// Optional parameters are sent when the spec gives them an example.
fn documented_request(operation: &OperationSpec) -> (JsonRequest, Vec<(String, String)>) {
    let mut request = JsonRequest::new();
    let mut path_values = Vec::new();
    for parameter in operation.parameters {
        let value = match (parameter.example, parameter.required) {
            (Some(example), _) => example.to_owned(),
            (None, true) => value_for(parameter.schema),
            (None, false) => continue,
        };
        request = match parameter.location {
            ParameterLocation::Path => {
                path_values.push((parameter.name.to_owned(), value.clone()));
                request.path(parameter.name, value)
            }
            _ => request.query(parameter.name, value),
        };
    }
    if let Some(body) = &operation.body {
        let example = body
            .example
            .unwrap_or_else(|| panic!("{}: the spec gives no request example", operation.id));
        request = request.body(serde_json::from_str(example).expect("the example is JSON"));
    }
    (request, path_values)
}

/// The path `request` goes to.
fn filled_path(operation: &OperationSpec, path_values: &[(String, String)]) -> String {
    let mut path = operation.path.to_owned();
    for (name, value) in path_values {
        path = path.replace(&format!("{{{name}}}"), value);
    }
    path
}

/// The documented success: its status and example.
fn documented_success(operation: &OperationSpec) -> (u16, Value) {
    operation
        .responses
        .iter()
        .find_map(|response| {
            let status: u16 = response.status.parse().ok()?;
            let example = serde_json::from_str(response.example?).ok()?;
            (200..300).contains(&status).then_some((status, example))
        })
        .unwrap_or_else(|| panic!("{}: the spec gives no success example", operation.id))
}

/// A mock that answers `status` and `body` only to exactly the documented request.
fn documented_mock<'a>(
    server: &'a MockServer,
    operation: &OperationSpec,
    request: &JsonRequest,
    path_values: &[(String, String)],
    status: u16,
    body: &str,
) -> httpmock::Mock<'a> {
    server.mock(|when, then| {
        let mut when = when
            .method(Method::from(operation.method))
            .path(filled_path(operation, path_values))
            .header("accept", "application/json");
        let spec: &'static OperationSpec = jelou_client::operation_spec(operation.id)
            .unwrap_or_else(|| panic!("{} is in the table", operation.id));
        when = when.is_true(move |request: &httpmock::HttpMockRequest| {
            jelou_conformance::authenticated_as_documented(spec, request)
        });
        for (name, value) in &request.query {
            when = when.query_param(name, value);
        }
        // Exactly the documented query: every other parameter of the operation is absent.
        for parameter in operation.parameters {
            if parameter.location == ParameterLocation::Query
                && !request.query.iter().any(|(name, _)| name == parameter.name)
            {
                when = when.query_param_missing(parameter.name);
            }
        }
        match &request.body {
            Some(body) => {
                when.header("content-type", "application/json")
                    .json_body(body.clone());
            }
            None => {
                when.is_true(|request: &httpmock::HttpMockRequest| request.body().is_empty());
            }
        }
        then.status(status)
            .header("content-type", "application/json")
            .body(body);
    })
}

#[tokio::test]
async fn every_operation_sends_its_documented_request_and_decodes_its_documented_answer() {
    for operation in jelou_client::OPERATIONS {
        let server = MockServer::start_async().await;
        let (request, path_values) = documented_request(operation);
        let (status, example) = documented_success(operation);
        let mock = documented_mock(
            &server,
            operation,
            &request,
            &path_values,
            status,
            &example.to_string(),
        );

        let bare = generated_client(&server.base_url())
            .send_json(operation, request.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: the bare client: {e}", operation.id));
        assert_eq!(bare.into_inner(), example, "{}", operation.id);
        (operation.decode)(status, example.to_string().as_bytes())
            .unwrap_or_else(|e| panic!("{}: the example does not decode: {e}", operation.id));

        let (jelou, _clock) = ext_client_with(&server.base_url(), |b| b);
        let answer = jelou
            .send_json(operation.id, request)
            .await
            .unwrap_or_else(|e| panic!("{}: jelou-ext: {e}", operation.id));
        assert_eq!(answer, example, "{}", operation.id);
        assert_eq!(mock.calls_async().await, 2, "{}", operation.id);
    }
}

#[tokio::test]
async fn every_documented_error_of_every_operation_is_decoded_with_its_status_and_body() {
    for operation in jelou_client::OPERATIONS {
        for response in operation.responses {
            let status: u16 = match response.status {
                "4XX" => 400,
                "5XX" => 500,
                other => other.parse().expect("a status"),
            };
            if status < 400 {
                continue;
            }
            let Some(example) = response.example else {
                continue;
            };
            (operation.decode)(status, example.as_bytes()).unwrap_or_else(|e| {
                panic!(
                    "{} {}: the example does not decode: {e}",
                    operation.id, response.status
                )
            });
            let server = MockServer::start_async().await;
            let (request, path_values) = documented_request(operation);
            let mock = documented_mock(&server, operation, &request, &path_values, status, example);
            let (jelou, _clock) =
                ext_client_with(&server.base_url(), |b| b.retry_policy(RetryPolicy::never()));
            let error = jelou
                .send_json(operation.id, request)
                .await
                .expect_err("an error answer");
            let at = format!("{} {}", operation.id, response.status);
            let api = error
                .api()
                .unwrap_or_else(|| panic!("{at}: not an API error: {error}"));
            assert_eq!(api.status().as_u16(), status, "{at}");
            assert_eq!(api.raw_body(), example.as_bytes(), "{at}");
            assert!(api.body().is_some(), "{at}: the envelope is decoded");
            assert_eq!(mock.calls_async().await, 1, "{at}");
        }
    }
}

#[tokio::test]
async fn a_write_is_never_sent_twice_after_an_ambiguous_failure_and_a_read_is_retried() {
    for operation in jelou_client::OPERATIONS {
        let server = MockServer::start_async().await;
        let (request, path_values) = documented_request(operation);
        let unavailable = r#"{"code":"unavailable","description":"try later"}"#;
        let mock = documented_mock(&server, operation, &request, &path_values, 503, unavailable);
        let (jelou, _clock) = ext_client_with(&server.base_url(), |b| {
            b.retry_policy(jelou_conformance::exact_retries().with_max_retries(2))
        });
        let error = jelou
            .send_json(operation.id, request)
            .await
            .expect_err("503 every time");
        assert_eq!(
            error.status().map(|s| s.as_u16()),
            Some(503),
            "{}",
            operation.id
        );
        let expected = if operation.idempotent { 3 } else { 1 };
        assert_eq!(
            mock.calls_async().await,
            expected,
            "{} (idempotent: {})",
            operation.id,
            operation.idempotent
        );
    }
}

/// `example` with the items at `items` replaced by `list`, and each `(pointer, value)` set.
fn page_of(example: &Value, items: &str, list: Vec<Value>, set: &[(&str, Value)]) -> Value {
    let mut page = example.clone();
    if let Some(slot) = page.pointer_mut(items) {
        *slot = Value::Array(list);
    }
    for (pointer, value) in set {
        if let Some(slot) = page.pointer_mut(pointer) {
            *slot = value.clone();
        }
    }
    page
}

#[tokio::test]
async fn every_paged_list_is_followed_to_its_last_page() {
    use futures_util::TryStreamExt;
    use jelou_client::operation::Pagination;
    for operation in jelou_client::OPERATIONS {
        let Some(pagination) = operation.pagination else {
            continue;
        };
        let server = MockServer::start_async().await;
        let (request, path_values) = documented_request(operation);
        let (status, example) = documented_success(operation);
        let (items, parameter) = match pagination {
            Pagination::Page {
                items, parameter, ..
            }
            | Pagination::Cursor {
                items, parameter, ..
            } => (items, parameter),
            _ => continue,
        };
        let item = example
            .pointer(items)
            .and_then(Value::as_array)
            .and_then(|list| list.first())
            .cloned()
            .unwrap_or_else(|| panic!("{}: the example page has no item", operation.id));
        // Two pages, each answered only to the request for it.
        let (first_request, first, second_request, second) = match pagination {
            Pagination::Page { total_pages, .. } => {
                let first_request = at(&request, parameter, "1");
                let second_request = at(&request, parameter, "2");
                let page = page_of(
                    &example,
                    items,
                    vec![item.clone()],
                    &[(total_pages, 2.into())],
                );
                (first_request, page.clone(), second_request, page)
            }
            Pagination::Cursor {
                cursor_field,
                size_parameter,
                ..
            } => {
                let cursor_schema = operation.parameter(parameter).map_or("{}", |p| p.schema);
                let cursor = value_for(cursor_schema);
                let mut last = item.clone();
                last[cursor_field] = Value::String(cursor.clone());
                let first_request = at(&request, size_parameter, "1");
                let second_request = at(&first_request, parameter, &cursor);
                (
                    first_request,
                    page_of(&example, items, vec![last], &[]),
                    second_request,
                    page_of(&example, items, Vec::new(), &[]),
                )
            }
            _ => continue,
        };
        let first_mock = documented_mock(
            &server,
            operation,
            &first_request,
            &path_values,
            status,
            &first.to_string(),
        );
        let second_mock = documented_mock(
            &server,
            operation,
            &second_request,
            &path_values,
            status,
            &second.to_string(),
        );
        let (jelou, _clock) = ext_client_with(&server.base_url(), |b| b);
        let pages: Vec<Value> = jelou
            .pages_json(operation.id, first_request)
            .try_collect()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", operation.id));
        assert_eq!(pages, [first, second], "{}", operation.id);
        assert_eq!(first_mock.calls_async().await, 1, "{}", operation.id);
        assert_eq!(second_mock.calls_async().await, 1, "{}", operation.id);
    }
}

/// `request` with the query parameter `name` set to `value` alone.
fn at(request: &JsonRequest, name: &str, value: &str) -> JsonRequest {
    let mut request = request.clone();
    request.query.retain(|(key, _)| key != name);
    request.query.push((name.to_owned(), value.to_owned()));
    request
}

/// Every request example the spec gives `operation_id`'s body (its `example`, or each of its
/// named `examples`), by name.
fn request_examples(operation_id: &str) -> Vec<(String, Value)> {
    let spec = jelou_conformance::spec();
    let mut found = Vec::new();
    for (_, item) in spec.paths.iter() {
        let Some(item) = item.as_item() else { continue };
        for (_, operation) in item.iter() {
            if operation.operation_id.as_deref() != Some(operation_id) {
                continue;
            }
            let Some(openapiv3::ReferenceOr::Item(body)) = &operation.request_body else {
                continue;
            };
            for media in body.content.values() {
                if let Some(example) = &media.example {
                    found.push(("example".to_owned(), example.clone()));
                }
                for (name, example) in &media.examples {
                    if let openapiv3::ReferenceOr::Item(example) = example
                        && let Some(value) = &example.value
                    {
                        found.push((name.clone(), value.clone()));
                    }
                }
            }
        }
    }
    found
}

#[tokio::test]
async fn every_request_example_of_every_operation_is_sent_exactly_by_both_clients() {
    let mut sent = 0;
    for operation in jelou_client::OPERATIONS {
        if operation.body.is_none() {
            continue;
        }
        for (name, body) in request_examples(operation.id) {
            let server = MockServer::start_async().await;
            let (request, path_values) = documented_request(operation);
            let request = request.body(body);
            let (status, example) = documented_success(operation);
            let mock = documented_mock(
                &server,
                operation,
                &request,
                &path_values,
                status,
                &example.to_string(),
            );
            generated_client(&server.base_url())
                .send_json(operation, request.clone())
                .await
                .unwrap_or_else(|e| panic!("{} ({name}): the bare client: {e}", operation.id));
            let (jelou, _clock) = ext_client_with(&server.base_url(), |b| b);
            jelou
                .send_json(operation.id, request)
                .await
                .unwrap_or_else(|e| panic!("{} ({name}): jelou-ext: {e}", operation.id));
            assert_eq!(mock.calls_async().await, 2, "{} ({name})", operation.id);
            sent += 1;
        }
    }
    // 17 message kinds and shapes, and one example for each other operation with a body.
    let with_body = jelou_client::OPERATIONS
        .iter()
        .filter(|operation| operation.body.is_some())
        .count();
    assert_eq!(request_examples("message_send").len(), 17);
    assert_eq!(sent, with_body - 1 + 17);
}
