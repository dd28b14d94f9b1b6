//! Any operation of [`OPERATIONS`](crate::OPERATIONS) sent with its parameters and body as
//! JSON: for tools that know operations only from the table (a command line, a test suite).
//! The request goes through the same hooks as the generated builders' requests.

use std::collections::BTreeMap;

use progenitor_client::{
    ClientHooks, ClientInfo, Error, OperationInfo, ResponseValue, encode_path,
};
use reqwest::header::{ACCEPT, HeaderValue};
use serde_json::Value;

use crate::generated::Client;
use crate::operation::{OperationSpec, ParameterLocation};

/// The parameters and body of one request, by their names on the wire.
#[derive(Clone, Debug, Default, PartialEq)]
#[non_exhaustive]
pub struct JsonRequest {
    /// The path parameters (`botId` → `my-bot`).
    pub path: BTreeMap<String, String>,
    /// The query parameters, in order; a name may repeat.
    pub query: Vec<(String, String)>,
    /// The JSON body.
    pub body: Option<Value>,
}

impl JsonRequest {
    /// An empty request.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the path parameter `name`.
    #[must_use]
    pub fn path(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.path.insert(name.into(), value.into());
        self
    }

    /// Adds the query parameter `name`.
    #[must_use]
    pub fn query(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.query.push((name.into(), value.into()));
        self
    }

    /// Sets the JSON body.
    #[must_use]
    pub fn body(mut self, body: Value) -> Self {
        self.body = Some(body);
        self
    }

    /// The request the spec documents for `operation`: every parameter with an example
    /// (path and query), and the example body. A parameter without an example is left out.
    pub fn documented(operation: &OperationSpec) -> Self {
        let mut request = Self::new();
        for parameter in operation.parameters {
            let Some(example) = parameter.example else {
                continue;
            };
            match parameter.location {
                ParameterLocation::Path => {
                    request
                        .path
                        .insert(parameter.name.to_owned(), example.to_owned());
                }
                ParameterLocation::Query => {
                    request
                        .query
                        .push((parameter.name.to_owned(), example.to_owned()));
                }
                _ => {}
            }
        }
        request.body = operation
            .body
            .as_ref()
            .and_then(|body| body.example)
            .and_then(|example| serde_json::from_str(example).ok());
        request
    }
}

/// `template` with each `{name}` replaced by the encoded value of `name`.
fn fill_path(template: &str, values: &BTreeMap<String, String>) -> Result<String, String> {
    let mut path = String::new();
    for (i, segment) in template.split('/').enumerate() {
        if i > 0 {
            path.push('/');
        }
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => {
                let value = values
                    .get(name)
                    .ok_or_else(|| format!("the path parameter {name} is missing"))?;
                path.push_str(&encode_path(value));
            }
            None => path.push_str(segment),
        }
    }
    Ok(path)
}

impl Client {
    /// Sends `request` as the operation `operation` and decodes any JSON answer.
    ///
    /// A success (2XX) is the answer's JSON (`null` for an empty body); an error status
    /// (4XX, 5XX) is [`Error::ErrorResponse`] with the error's JSON.
    pub async fn send_json(
        &self,
        operation: &'static OperationSpec,
        request: JsonRequest,
    ) -> Result<ResponseValue<Value>, Error<Value>> {
        let path = fill_path(operation.path, &request.path).map_err(Error::InvalidRequest)?;
        let method = reqwest::Method::from_bytes(operation.method.as_bytes())
            .map_err(|e| Error::InvalidRequest(e.to_string()))?;
        let mut builder = self
            .client()
            .request(method, format!("{}{path}", self.baseurl()))
            .header(ACCEPT, HeaderValue::from_static("application/json"))
            .header("api-version", HeaderValue::from_static(Self::api_version()));
        if !request.query.is_empty() {
            builder = builder.query(&request.query);
        }
        if let Some(body) = &request.body {
            builder = builder.json(body);
        }
        let mut built = builder.build()?;
        let info = OperationInfo {
            operation_id: operation.id,
        };
        self.pre(&mut built, &info).await?;
        let result = self.exec(built, &info).await;
        self.post(&result, &info).await?;
        let response = result?;
        let status = response.status();
        let headers = response.headers().clone();
        if !(status.is_success() || status.is_client_error() || status.is_server_error()) {
            return Err(Error::UnexpectedResponse(response));
        }
        let bytes = response.bytes().await.map_err(Error::ResponseBodyError)?;
        let value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .map_err(|e| Error::InvalidResponsePayload(bytes.clone(), e))?
        };
        let value = ResponseValue::new(value, status, headers);
        if status.is_success() {
            Ok(value)
        } else {
            Err(Error::ErrorResponse(value))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_parameters_are_encoded_into_the_template() {
        let values = BTreeMap::from([("botId".to_owned(), "a b/c".to_owned())]);
        assert_eq!(
            fill_path("/v1/bots/{botId}/messages", &values).expect("filled"),
            "/v1/bots/a%20b%2Fc/messages"
        );
        let error = fill_path("/users/{id}", &values).expect_err("missing");
        assert_eq!(error, "the path parameter id is missing");
    }
}
