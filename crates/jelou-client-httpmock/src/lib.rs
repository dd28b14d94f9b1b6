#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[allow(
    missing_docs,
    unreachable_pub,
    unused_imports,
    clippy::all,
    clippy::unnecessary_to_owned,
    clippy::unwrap_used,
    rust_2018_idioms
)]
#[rustfmt::skip] // formatted by prettyplease in `cargo xtask generate`
mod generated_httpmock;

pub use generated_httpmock::*;
