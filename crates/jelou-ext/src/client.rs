//! [`Jelou`], the client most users hold, and its builder.

use std::fmt;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use std::collections::BTreeMap;

use jelou_client::Hooks;
use jelou_webhooks::SigningSecret;

use crate::clock::{Clock, TokioClock};
use crate::error::Error;
use crate::hosts::Hosts;
use crate::limiter::{RateLimit, RateLimiter, SlidingWindowLimiter, Unlimited};
use crate::pipeline::Pipeline;
use crate::retry::{RetryBudget, RetryPolicy};
use crate::transport::{ReqwestTransport, Transport};

/// Environment variable holding the client id.
pub const ENV_CLIENT_ID: &str = "JELOU_CLIENT_ID";
/// Environment variable holding the client secret.
pub const ENV_CLIENT_SECRET: &str = "JELOU_CLIENT_SECRET";
/// Environment variable holding the base URL (optional; the real API by default).
pub const ENV_BASE_URL: &str = "JELOU_BASE_URL";
/// Environment variable holding the project's API key (optional; the external support
/// panel's operations take it, or else the client id and secret).
pub const ENV_API_KEY: &str = "JELOU_API_KEY";
/// Environment variable holding the panel integration's signing secret (optional; needed to
/// send the panel's messages to users).
pub const ENV_SIGNING_SECRET: &str = "JELOU_SIGNING_SECRET";
/// Environment variable holding the Redis URL of the shared rate limiter (optional; the
/// in-process limiter by default). Needs the `redis` feature.
pub const ENV_REDIS_URL: &str = "JELOU_REDIS_URL";
/// Environment variable holding the share of the limit a process keeps on its own while Redis
/// is unreachable (optional; without it calls fail while Redis is unreachable).
pub const ENV_REDIS_FALLBACK_SHARE: &str = "JELOU_REDIS_FALLBACK_SHARE";

/// The API's Basic credentials. `Debug` never shows the secret.
#[derive(Clone)]
pub(crate) struct Credentials {
    client_id: String,
    client_secret: String,
}

impl Credentials {
    /// The `clientId` and `clientSecret` of a Jelou account.
    pub(crate) fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        Self {
            client_id: client_id.into(),
            client_secret: client_secret.into(),
        }
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("client_id", &self.client_id)
            .field("client_secret", &"<redacted>")
            .finish()
    }
}

/// How requests are rate limited.
#[derive(Clone)]
enum Limiting {
    Window(RateLimit),
    Custom(Arc<dyn RateLimiter>),
    #[cfg(feature = "redis")]
    Redis(Box<crate::RedisLimiterBuilder>),
    Disabled,
}

/// Builds a [`Jelou`] client. Start with [`Jelou::builder`].
#[must_use]
pub struct JelouBuilder {
    base_url: String,
    credentials: Option<Credentials>,
    api_key: Option<String>,
    signing_secret: Option<SigningSecret>,
    servers: BTreeMap<String, String>,
    limiting: Limiting,
    retry_policy: RetryPolicy,
    request_timeout: Duration,
    connect_timeout: Duration,
    call_timeout: Option<Duration>,
    http_client: Option<reqwest::Client>,
    allow_insecure_http: bool,
    clock: Arc<dyn Clock>,
    transport: Arc<dyn Transport>,
    max_response_bytes: usize,
}

impl fmt::Debug for JelouBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JelouBuilder")
            .field("base_url", &self.base_url)
            .field("credentials", &self.credentials)
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("signing_secret", &self.signing_secret)
            .field("servers", &self.servers)
            .field("retry_policy", &self.retry_policy)
            .finish_non_exhaustive()
    }
}

impl Default for JelouBuilder {
    fn default() -> Self {
        Self {
            base_url: jelou_client::DEFAULT_BASE_URL.to_owned(),
            credentials: None,
            api_key: None,
            signing_secret: None,
            servers: BTreeMap::new(),
            limiting: Limiting::Window(RateLimit::JELOU),
            retry_policy: RetryPolicy::default(),
            request_timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            call_timeout: Some(Duration::from_secs(120)),
            http_client: None,
            allow_insecure_http: false,
            clock: Arc::new(TokioClock),
            transport: Arc::new(ReqwestTransport),
            max_response_bytes: 16 * 1024 * 1024,
        }
    }
}

impl JelouBuilder {
    /// The API's base URL. Default `https://api.jelou.ai`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = base_url.into();
        self
    }

    /// The account's credentials: HTTP Basic, which every operation but the external support
    /// panel's requires. Needed unless the client only calls the panel.
    pub fn credentials(
        mut self,
        client_id: impl Into<String>,
        client_secret: impl Into<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(client_id, client_secret));
        self
    }

    /// The project's API key, sent as `x-api-key` by the external support panel's operations.
    /// Without it they authenticate with [`Self::credentials`] instead (the panel's pages
    /// disagree on which one it takes; its prose asks for the key). Never shown by `Debug`.
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The panel integration's signing secret (from its creation's answer): it signs the
    /// messages sent to users through the panel (`X-Jelou-Signature`). Never shown by `Debug`.
    pub fn signing_secret(mut self, secret: SigningSecret) -> Self {
        self.signing_secret = Some(secret);
        self
    }

    /// The base URL of a host of its own that some operations are on, by the name the spec
    /// gives it: `panel` (the external support panel, default
    /// `https://gateway.jelou.ai/jelouapi`; the documentation's `.md` copies write
    /// `https://gateway.jelou.ai/platform`) and `panel_delivery` (its messages to users,
    /// default `https://chatbot.jelou.ai`). Every other operation uses [`Self::base_url`].
    pub fn server_base_url(
        mut self,
        server: impl Into<String>,
        base_url: impl Into<String>,
    ) -> Self {
        self.servers.insert(server.into(), base_url.into());
        self
    }

    /// The rate limit kept by the in-process limiter. Default 5 requests per second.
    pub fn rate_limit(mut self, limit: RateLimit) -> Self {
        self.limiting = Limiting::Window(limit);
        self
    }

    /// Replaces the in-process limiter, for example with one shared by several processes.
    pub fn rate_limiter(mut self, limiter: Arc<dyn RateLimiter>) -> Self {
        self.limiting = Limiting::Custom(limiter);
        self
    }

    /// Shares the rate limit with every process of the account through Redis, in place of the
    /// in-process limiter. The account is this client's unless `redis` names one. Its times
    /// come from the Redis server, so [`Self::clock`] does not apply to it.
    #[cfg(feature = "redis")]
    pub fn redis_rate_limiter(mut self, redis: crate::RedisLimiterBuilder) -> Self {
        self.limiting = Limiting::Redis(Box::new(redis));
        self
    }

    /// Turns client-side rate limiting off (the server's 429s are still honoured by retries).
    pub fn disable_rate_limit(mut self) -> Self {
        self.limiting = Limiting::Disabled;
        self
    }

    /// How failed attempts are retried. Default [`RetryPolicy::default`].
    pub fn retry_policy(mut self, policy: RetryPolicy) -> Self {
        self.retry_policy = policy;
        self
    }

    /// The longest one attempt may take, answer included. Default 30 s. Ignored with
    /// [`Self::http_client`], whose own timeouts apply.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// The longest connecting may take. Default 10 s. Ignored with [`Self::http_client`].
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// The longest a whole call may take: rate-limit waits, attempts and backoff together.
    /// Default 120 s; `None` for no limit.
    pub fn call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// A `reqwest::Client` of your own (proxies, TLS, pools). Credentials are still added to
    /// every request.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Allows a plain `http://` base URL on a host other than loopback. Off by default: the
    /// credentials would travel unencrypted.
    pub fn allow_insecure_http(mut self, allow: bool) -> Self {
        self.allow_insecure_http = allow;
        self
    }

    /// The clock of the limiter and the retries. Default tokio's (which follows a paused
    /// clock in tests).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// What sends each attempt. Default the `reqwest::Client`.
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = transport;
        self
    }

    /// The largest answer accepted, in bytes. Default 16 MiB.
    pub fn max_response_bytes(mut self, limit: usize) -> Self {
        self.max_response_bytes = limit;
        self
    }

    /// The base URL of each host of its own that the spec names, from the environment:
    /// `JELOU_PANEL_BASE_URL`, `JELOU_PANEL_DELIVERY_BASE_URL` ([`server_env_var`]); a host
    /// whose variable is unset or empty keeps its base URL.
    pub fn server_base_urls_from_env(self) -> Self {
        self.server_base_urls_from(|name| std::env::var(name).ok())
    }

    /// [`Self::server_base_urls_from_env`], reading the variables through `read`.
    fn server_base_urls_from(mut self, read: impl Fn(&str) -> Option<String>) -> Self {
        for server in server_names() {
            if let Some(base_url) = read(&server_env_var(server)).filter(|url| !url.is_empty()) {
                self = self.server_base_url(server, base_url);
            }
        }
        self
    }

    /// Builds the client, checking the configuration.
    pub fn build(self) -> Result<Jelou, Error> {
        if self.credentials.is_none() && self.api_key.is_none() && self.signing_secret.is_none() {
            return Err(Error::Config(
                "credentials are required (client id and secret, or for the external support panel only, its API key or signing secret)".into(),
            ));
        }
        let base_url = self.base_url.trim_end_matches('/').to_owned();
        check_base_url(&base_url, self.allow_insecure_http)?;
        let servers = server_base_urls(self.servers, self.allow_insecure_http)?;
        let basic = self
            .credentials
            .as_ref()
            .map(|credentials| {
                jelou_client::basic_auth_header(&credentials.client_id, &credentials.client_secret)
            })
            .transpose()
            .map_err(|_| {
                Error::Config(
                    "the client id or secret holds characters a header cannot carry".into(),
                )
            })?;
        let api_key = self
            .api_key
            .map(|key| {
                let mut value = reqwest::header::HeaderValue::from_str(&key)?;
                value.set_sensitive(true);
                Ok(value)
            })
            .transpose()
            .map_err(|_: reqwest::header::InvalidHeaderValue| {
                Error::Config("the API key holds characters a header cannot carry".into())
            })?;
        let client_id = self.credentials.map(|credentials| credentials.client_id);
        let http = match self.http_client {
            Some(client) => client,
            None => reqwest::Client::builder()
                .timeout(self.request_timeout)
                .connect_timeout(self.connect_timeout)
                .build()
                .map_err(|e| Error::Config(format!("the HTTP client could not be built: {e}")))?,
        };
        let limiter: Arc<dyn RateLimiter> = match self.limiting {
            Limiting::Window(limit) => Arc::new(SlidingWindowLimiter::with_clock(
                limit,
                Arc::clone(&self.clock),
            )),
            Limiting::Custom(limiter) => limiter,
            #[cfg(feature = "redis")]
            Limiting::Redis(redis) => {
                let redis = match &client_id {
                    _ if redis.has_account() => *redis,
                    Some(client_id) => redis.account(client_id.as_str()),
                    None => {
                        return Err(Error::Config(
                            "the shared rate limiter needs an account: give credentials, or name one with RedisLimiterBuilder::account".into(),
                        ));
                    }
                };
                Arc::new(redis.build()?)
            }
            Limiting::Disabled => Arc::new(Unlimited),
        };
        let signing_secret = Arc::new(std::sync::RwLock::new(self.signing_secret));
        let pipeline = Pipeline {
            credentials: crate::hosts::Credentials {
                basic,
                api_key,
                signing_secret: Arc::clone(&signing_secret),
            },
            hosts: Hosts {
                base_url: base_url.clone(),
                servers,
            },
            limiter,
            budget: RetryBudget::new(self.retry_policy.budget_tokens()),
            policy: self.retry_policy,
            clock: Arc::clone(&self.clock),
            transport: self.transport,
            max_response_bytes: self.max_response_bytes,
        };
        let client = jelou_client::Client::new_with_client(&base_url, http, Hooks::with(pipeline));
        Ok(Jelou {
            inner: Arc::new(Shared {
                client,
                client_id,
                signing_secret,
                clock: self.clock,
                max_response_bytes: self.max_response_bytes,
            }),
            call_timeout: self.call_timeout,
        })
    }
}

/// A builder configured by the variables `read` gives (the environment's, outside tests).
fn builder_from_vars(read: impl Fn(&str) -> Option<String>) -> Result<JelouBuilder, Error> {
    let read = |name: &str| read(name).filter(|value| !value.is_empty());
    let mut builder = Jelou::builder();
    let api_key = read(ENV_API_KEY);
    let signing_secret = read(ENV_SIGNING_SECRET);
    match (read(ENV_CLIENT_ID), read(ENV_CLIENT_SECRET)) {
        (Some(client_id), Some(client_secret)) => {
            builder = builder.credentials(client_id, client_secret);
        }
        // The panel's operations alone need no account credentials.
        (None, None) if api_key.is_some() || signing_secret.is_some() => {}
        (None, _) => return Err(Error::Config(format!("{ENV_CLIENT_ID} is not set"))),
        (Some(_), None) => return Err(Error::Config(format!("{ENV_CLIENT_SECRET} is not set"))),
    }
    if let Some(api_key) = api_key {
        builder = builder.api_key(api_key);
    }
    if let Some(secret) = signing_secret {
        let secret = SigningSecret::new(secret)
            .map_err(|e| Error::Config(format!("{ENV_SIGNING_SECRET}: {e}")))?;
        builder = builder.signing_secret(secret);
    }
    if let Some(base_url) = read(ENV_BASE_URL) {
        builder = builder.base_url(base_url);
    }
    builder = builder.server_base_urls_from(read);
    let redis_url = read(ENV_REDIS_URL);
    let fallback_share = read(ENV_REDIS_FALLBACK_SHARE);
    if redis_url.is_none() && fallback_share.is_some() {
        return Err(Error::Config(format!(
            "{ENV_REDIS_FALLBACK_SHARE} is set but {ENV_REDIS_URL} is not"
        )));
    }
    let Some(redis_url) = redis_url else {
        return Ok(builder);
    };
    #[cfg(feature = "redis")]
    {
        let mut redis = crate::RedisLimiter::builder(redis_url);
        if let Some(share) = fallback_share {
            let share = share.trim().parse::<f64>().map_err(|_| {
                Error::Config(format!(
                    "{ENV_REDIS_FALLBACK_SHARE} must be a number above 0 and at most 1, got {share:?}"
                ))
            })?;
            redis = redis.if_unreachable(crate::IfRedisUnreachable::FallBack { share });
        }
        Ok(builder.redis_rate_limiter(redis))
    }
    #[cfg(not(feature = "redis"))]
    {
        let _ = (redis_url, fallback_share);
        Err(Error::Config(format!(
            "{ENV_REDIS_URL} is set but jelou-ext was built without its `redis` feature"
        )))
    }
}

/// The names of the hosts of their own that operations of the spec are on, in spec order.
pub(crate) fn server_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for name in jelou_client::OPERATIONS
        .iter()
        .filter_map(|op| op.server.map(|s| s.name))
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The environment variable holding the base URL of the host named `server`:
/// `JELOU_PANEL_BASE_URL` for `panel`.
pub fn server_env_var(server: &str) -> String {
    format!(
        "JELOU_{}_BASE_URL",
        server.to_ascii_uppercase().replace('-', "_")
    )
}

/// The configured base URLs, each checked, by the spec's server names.
fn server_base_urls(
    servers: BTreeMap<String, String>,
    allow_insecure_http: bool,
) -> Result<BTreeMap<String, String>, Error> {
    let known = server_names();
    let mut checked = BTreeMap::new();
    for (name, base_url) in servers {
        if !known.contains(&name.as_str()) {
            return Err(Error::Config(format!(
                "no operation is on a host named {name:?}; the spec names {}",
                known.join(", ")
            )));
        }
        let base_url = base_url.trim_end_matches('/').to_owned();
        check_base_url(&base_url, allow_insecure_http)?;
        checked.insert(name, base_url);
    }
    Ok(checked)
}

fn check_base_url(base_url: &str, allow_insecure_http: bool) -> Result<(), Error> {
    let url = reqwest::Url::parse(base_url)
        .map_err(|e| Error::Config(format!("base URL {base_url:?} is not a URL: {e}")))?;
    match url.scheme() {
        "https" => Ok(()),
        "http" if allow_insecure_http => Ok(()),
        "http" => {
            let loopback = match url.host() {
                Some(url::Host::Domain(domain)) => domain.eq_ignore_ascii_case("localhost"),
                Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
                Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
                None => false,
            };
            if loopback {
                Ok(())
            } else {
                Err(Error::Config(format!(
                    "base URL {base_url:?} is plain http to a host other than loopback; credentials would travel unencrypted (use https, or allow_insecure_http(true) to opt in)"
                )))
            }
        }
        other => Err(Error::Config(format!(
            "base URL {base_url:?} has scheme {other:?}; use https"
        ))),
    }
}

/// What every clone of a [`Jelou`] shares: the generated client (with its connection pool and
/// the pipeline holding the limiter and retry budget).
pub(crate) struct Shared {
    client: jelou_client::Client,
    client_id: Option<String>,
    signing_secret: Arc<std::sync::RwLock<Option<SigningSecret>>>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) max_response_bytes: usize,
}

/// The Jelou API client: rate limited, retried safely, with typed errors.
///
/// Cloning is cheap and shares the rate limiter, the retry budget and the connection pool,
/// so one client serves a whole program.
#[derive(Clone)]
pub struct Jelou {
    pub(crate) inner: Arc<Shared>,
    pub(crate) call_timeout: Option<Duration>,
}

impl fmt::Debug for Jelou {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Jelou")
            .field(
                "base_url",
                &jelou_client::ClientInfo::baseurl(&self.inner.client),
            )
            .field("client_id", &self.inner.client_id)
            .field("call_timeout", &self.call_timeout)
            .finish_non_exhaustive()
    }
}

impl Jelou {
    /// Starts building a client.
    pub fn builder() -> JelouBuilder {
        JelouBuilder::default()
    }

    /// A client configured from `JELOU_CLIENT_ID` and `JELOU_CLIENT_SECRET` (which only a
    /// client of the external support panel alone may leave out) and, optionally,
    /// `JELOU_API_KEY`, `JELOU_SIGNING_SECRET`, `JELOU_BASE_URL`, the base URL of each host of
    /// its own (`JELOU_PANEL_BASE_URL`, `JELOU_PANEL_DELIVERY_BASE_URL`), `JELOU_REDIS_URL`
    /// and `JELOU_REDIS_FALLBACK_SHARE`; everything else at its default.
    pub fn from_env() -> Result<Self, Error> {
        Self::builder_from_env()?.build()
    }

    /// A builder with the environment's settings applied, to adjust further.
    pub fn builder_from_env() -> Result<JelouBuilder, Error> {
        builder_from_vars(|name| std::env::var(name).ok())
    }

    /// A clone of this client whose calls may take at most `timeout` in all (`None`: no limit).
    /// It shares the limiter and the connection pool.
    #[must_use]
    pub fn with_call_timeout(&self, timeout: Option<Duration>) -> Self {
        Self {
            inner: Arc::clone(&self.inner),
            call_timeout: timeout,
        }
    }

    /// The generated client, with this client's credentials, limiter and retries plugged in,
    /// for anything the typed methods do not cover. Its errors are the generated ones.
    pub fn raw(&self) -> &jelou_client::Client {
        &self.inner.client
    }

    /// Sets the panel integration's signing secret, for this client and every clone of it:
    /// the secret of an integration created after the client was built
    /// (`panel_integration_create` shows it once).
    pub fn set_signing_secret(&self, secret: SigningSecret) {
        *self
            .inner
            .signing_secret
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(secret);
    }

    /// The account's client id, when the client has the account's credentials.
    pub fn client_id(&self) -> Option<&str> {
        self.inner.client_id.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        move |name| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        }
    }

    const ACCOUNT: [(&str, &str); 2] = [(ENV_CLIENT_ID, "id"), (ENV_CLIENT_SECRET, "secret")];

    #[test]
    fn the_environment_chooses_the_shared_limiter_and_its_fallback() {
        let without = builder_from_vars(vars(&ACCOUNT)).expect("builder");
        assert!(matches!(
            without.limiting,
            Limiting::Window(RateLimit::JELOU)
        ));

        let lone_share = [ACCOUNT[0], ACCOUNT[1], (ENV_REDIS_FALLBACK_SHARE, "0.5")];
        let error = builder_from_vars(vars(&lone_share)).expect_err("share without URL");
        assert!(error.to_string().contains(ENV_REDIS_URL), "{error}");

        let with_url = [
            ACCOUNT[0],
            ACCOUNT[1],
            (ENV_REDIS_URL, "redis://127.0.0.1/0"),
        ];
        let share = [
            ACCOUNT[0],
            ACCOUNT[1],
            (ENV_REDIS_URL, "redis://127.0.0.1/0"),
            (ENV_REDIS_FALLBACK_SHARE, "half"),
        ];
        #[cfg(feature = "redis")]
        {
            let shared = builder_from_vars(vars(&with_url)).expect("builder");
            assert!(matches!(shared.limiting, Limiting::Redis(_)));
            let client = shared.build().expect("client");
            assert_eq!(client.client_id(), Some("id"));
            let error = builder_from_vars(vars(&share)).expect_err("not a number");
            assert!(error.to_string().contains("\"half\""), "{error}");
        }
        #[cfg(not(feature = "redis"))]
        {
            let error = builder_from_vars(vars(&with_url)).expect_err("no redis feature");
            assert!(error.to_string().contains("`redis` feature"), "{error}");
            let _ = share;
        }
    }

    #[test]
    fn plain_http_is_refused_off_loopback_unless_allowed() {
        for ok in [
            "https://api.jelou.ai",
            "http://127.0.0.1:8787",
            "http://localhost:1",
            "http://[::1]:80",
            "http://127.9.9.9",
        ] {
            assert!(check_base_url(ok, false).is_ok(), "{ok}");
        }
        let refused = check_base_url("http://api.jelou.ai", false).expect_err("insecure");
        assert!(
            refused
                .to_string()
                .contains("plain http to a host other than loopback"),
            "{refused}"
        );
        assert!(check_base_url("http://api.jelou.ai", true).is_ok());
        assert!(check_base_url("ftp://api.jelou.ai", true).is_err());
        assert!(check_base_url("not a url", false).is_err());
    }

    #[test]
    fn credentials_never_show_the_secret() {
        let credentials = Credentials::new("my-id", "super-secret");
        let builder = Jelou::builder().credentials("my-id", "super-secret");
        for shown in [format!("{credentials:?}"), format!("{builder:?}")] {
            assert!(!shown.contains("super-secret"), "{shown}");
            assert!(shown.contains("my-id"));
        }
    }

    #[tokio::test]
    async fn a_built_client_hides_the_secret_and_shares_state_across_clones() {
        let jelou = Jelou::builder()
            .credentials("my-id", "super-secret")
            .build()
            .expect("builds");
        let clone = jelou.clone();
        assert!(Arc::ptr_eq(&jelou.inner, &clone.inner));
        let shown = format!("{jelou:?} {:?}", jelou.raw());
        assert!(!shown.contains("super-secret"), "{shown}");
        // base64("my-id:super-secret") must not leak either.
        assert!(!shown.contains("bXktaWQ6c3VwZXItc2VjcmV0"), "{shown}");
    }

    #[test]
    fn the_panel_alone_needs_only_its_key_and_each_host_has_its_variable() {
        let panel_only = [
            (ENV_API_KEY, "key-1"),
            ("JELOU_PANEL_BASE_URL", "http://127.0.0.1:9/platform/"),
            (
                "JELOU_PANEL_DELIVERY_BASE_URL",
                "http://127.0.0.1:9/chatbot",
            ),
        ];
        let builder = builder_from_vars(vars(&panel_only)).expect("builder");
        assert_eq!(
            builder.servers.get("panel").map(String::as_str),
            Some("http://127.0.0.1:9/platform/")
        );
        assert!(builder.servers.contains_key("panel_delivery"));
        let shown = format!("{builder:?}");
        assert!(!shown.contains("key-1"), "{shown}");
        let client = builder.build().expect("builds");
        assert_eq!(client.client_id(), None);

        let error = builder_from_vars(vars(&[(ENV_CLIENT_SECRET, "s")])).expect_err("no id");
        assert!(error.to_string().contains(ENV_CLIENT_ID), "{error}");
        let error = builder_from_vars(vars(&[(ENV_SIGNING_SECRET, "")])).expect_err("empty");
        assert!(error.to_string().contains(ENV_CLIENT_ID), "{error}");
        assert_eq!(
            server_env_var("panel_delivery"),
            "JELOU_PANEL_DELIVERY_BASE_URL"
        );
    }

    #[test]
    fn a_host_the_spec_does_not_name_or_plain_http_off_loopback_is_refused() {
        let error = Jelou::builder()
            .credentials("id", "secret")
            .server_base_url("gateway", "https://gateway.jelou.ai")
            .build()
            .expect_err("unknown host");
        assert!(
            error.to_string().contains("\"gateway\"") && error.to_string().contains("panel"),
            "{error}"
        );
        let error = Jelou::builder()
            .api_key("k")
            .server_base_url("panel", "http://gateway.jelou.ai/jelouapi")
            .build()
            .expect_err("insecure");
        assert!(error.to_string().contains("plain http"), "{error}");
    }

    #[test]
    fn credentials_are_required() {
        let error = Jelou::builder().build().expect_err("no credentials");
        assert_eq!(
            error.to_string(),
            "invalid client configuration: credentials are required (client id and secret, or for the external support panel only, its API key or signing secret)"
        );
    }
}
