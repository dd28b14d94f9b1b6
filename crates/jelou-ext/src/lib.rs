#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod call;
mod client;
pub mod clock;
mod error;
mod generic;
mod hosts;
mod inputs;
pub mod limiter;
mod message;
mod operations;
mod panel;
mod pipeline;
#[cfg(feature = "redis")]
pub mod redis_limiter;
pub mod retry;
mod template;
pub mod transport;
mod transport_failure;
mod validate;

pub use client::{
    ENV_API_KEY, ENV_BASE_URL, ENV_CLIENT_ID, ENV_CLIENT_SECRET, ENV_REDIS_FALLBACK_SHARE,
    ENV_REDIS_URL, ENV_SIGNING_SECRET, Jelou, JelouBuilder, server_env_var,
};
pub use error::{ApiError, Error, Language, RAW_BODY_LIMIT};
pub use inputs::{
    Attributes, ChatInput, DEFAULT_HISTORY_LIMIT, HistoryQuery, ListOption, MAX_HISTORY_LIMIT,
    MAX_OPTION_DESCRIPTION_CHARS, MAX_OPTION_TITLE_CHARS, MAX_OPTIONS, NewUser, UserQuery,
};
pub use jelou_client::Secret;
/// The generated request and response types, as `jelou-client` defines them.
pub use jelou_client::types;
pub use jelou_client::{BoxFuture, JsonRequest};
/// Receiving what Jelou sends: `jelou-webhooks`, re-exported.
pub use jelou_webhooks as webhooks;
pub use jelou_webhooks::SigningSecret;
pub use limiter::{Permit, RateLimit, RateLimiter, SlidingWindowLimiter};
pub use message::{Contact, Message};
pub use panel::PanelReply;
#[cfg(feature = "redis")]
pub use redis_limiter::{IfRedisUnreachable, RedisLimiter, RedisLimiterBuilder, SharedStart};
/// The HTTP status of answers and errors (`reqwest`'s, which is `http`'s).
pub use reqwest::StatusCode;
pub use retry::{RetryPolicy, retry_reason};
pub use template::TemplateSend;
pub use validate::ValidationError;
