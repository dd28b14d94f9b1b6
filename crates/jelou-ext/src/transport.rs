//! The last step of every attempt: handing the request to the network.

use jelou_client::BoxFuture;

/// Sends one request and returns its response. The default, [`ReqwestTransport`], uses the
/// client's `reqwest::Client`; a test or benchmark can answer from memory instead.
pub trait Transport: Send + Sync + 'static {
    /// Sends `request` (through `client`, or not) and returns the response.
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>>;
}

/// Sends every request through the `reqwest::Client`.
#[derive(Clone, Copy, Debug, Default)]
pub struct ReqwestTransport;

impl Transport for ReqwestTransport {
    fn execute<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(client.execute(request))
    }
}
