#![doc = include_str!("../README.md")]

mod config;
#[cfg(feature = "emulator")]
pub mod loopback;
mod transport;

pub use config::{build_http_client, parse_base_url, ApiToken, RateLimit};
pub use transport::{
    transport_error, Answer, Call, Protocol, Reply, ResponseTooLarge, Transport, TransportConfig,
    DEFAULT_MAX_RESPONSE_BYTES,
};
