#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

// The generated module is private: its items are re-exported below, and it is exempt from the
// workspace's documentation lints because progenitor writes its own docs from the spec.
#[allow(
    missing_docs,
    unreachable_pub,
    unused_imports,
    dead_code,
// The generator puts a status range (`4XX`) before the documented codes inside it
// (`401`); every error status of an operation decodes the same type, so those arms are
// redundant, not wrong.
    unreachable_patterns,
    clippy::all,
    clippy::pedantic,
    clippy::unwrap_used,
    rust_2018_idioms
)]
#[rustfmt::skip] // formatted by prettyplease in `cargo xtask generate`
mod generated;
#[allow(missing_docs, clippy::all)]
#[rustfmt::skip] // formatted by prettyplease in `cargo xtask generate`
mod generated_operations;

mod auth;
#[cfg(feature = "check")]
pub mod check;
mod dynamic;
mod hooks;
pub mod operation;
mod secret;

pub use auth::basic_auth_header;
pub use dynamic::JsonRequest;
pub use generated::*;
pub use generated_operations::OPERATIONS;
pub use hooks::{BoxFuture, Handoff, Hooks, Interceptor, Operation};
pub use operation::{AuthScheme, Call, OperationSpec, PagedCall, ServerSpec, operation_spec};
pub use secret::Secret;

/// The base URL of the Jelou API, from the spec's `servers`.
pub const DEFAULT_BASE_URL: &str = "https://api.jelou.ai";
