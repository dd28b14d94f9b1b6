//! Shared helpers of the conformance suite: the spec, the fixtures transcribed from the
//! documentation pages, and clients pointed at a mock server.
#![forbid(unsafe_code)]

use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;

/// The client id every test authenticates with.
pub const CLIENT_ID: &str = "client-id";
/// The client secret every test authenticates with.
pub const CLIENT_SECRET: &str = "s3cret:with:colons";
/// `Basic base64("client-id:s3cret:with:colons")`, computed independently of the SDK.
pub const EXPECTED_AUTHORIZATION: &str = "Basic Y2xpZW50LWlkOnMzY3JldDp3aXRoOmNvbG9ucw==";

/// The folder of fixture files.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// A fixture file as JSON. Panics (failing the test) when it is missing or not JSON.
pub fn fixture(name: &str) -> serde_json::Value {
    let path = fixtures_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("fixture {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("fixture {name} is not JSON: {e}"))
}

/// A fixture file decoded into `T`. Panics (failing the test) when it does not decode.
pub fn fixture_as<T: DeserializeOwned>(name: &str) -> T {
    serde_json::from_value(fixture(name)).unwrap_or_else(|e| {
        panic!(
            "fixture {name} does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    })
}

/// The project's OpenAPI spec.
pub fn spec() -> openapiv3::OpenAPI {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../openapi/jelou.yaml");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("the spec does not parse: {e}"))
}

/// Every `(operationId, method, path)` in the spec, in spec order.
pub fn spec_operations() -> Vec<(String, String, String)> {
    spec()
        .paths
        .iter()
        .filter_map(|(path, item)| Some((path.clone(), item.as_item()?.clone())))
        .flat_map(|(path, item)| {
            item.iter()
                .map(|(method, op)| {
                    (
                        op.operation_id.clone().unwrap_or_default(),
                        method.to_owned(),
                        path.clone(),
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

/// A bare generated client (nothing plugged in) that authenticates like the README shows.
pub fn generated_client(base_url: &str) -> jelou_client::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        reqwest::header::AUTHORIZATION,
        jelou_client::basic_auth_header(CLIENT_ID, CLIENT_SECRET)
            .unwrap_or_else(|e| panic!("test credentials are valid header bytes: {e}")),
    );
    let http = reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .unwrap_or_else(|e| panic!("reqwest client builds: {e}"));
    jelou_client::Client::new_with_client(base_url, http, jelou_client::Hooks::none())
}
