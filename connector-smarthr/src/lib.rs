#![doc = include_str!("../README.md")]

mod client;
mod config;
mod empty;
mod error;
mod paging;
mod protocol;
mod wire;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use client::SmartHrClient;
pub use config::{SmartHrClientBuilder, BASE_URL_ENV, DEFAULT_PER_PAGE, TOKEN_ENV};
pub use empty::EmptyFields;
pub use hris_sync_http::RateLimit;
