#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

#[allow(
    missing_docs,
    unreachable_pub,
    unused_imports,
    clippy::all,
    clippy::unnecessary_to_owned,
    rust_2018_idioms
)]
mod generated_httpmock;

pub use generated_httpmock::*;
