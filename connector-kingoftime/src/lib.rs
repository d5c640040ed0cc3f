#![doc = include_str!("../README.md")]

mod brand;
mod client;
mod config;
mod error;
mod http;
mod wire;

#[cfg(feature = "emulator")]
pub mod emulator;

pub use brand::Brand;
pub use client::KotClient;
pub use config::KotClientBuilder;
pub use hris_sync_http::RateLimit;

/// KING OF TIME, the brand with the public API host: shortcuts to its builder.
///
/// ```
/// use connector_kingoftime::KingOfTime;
/// let client = KingOfTime::builder().with_token("token").build().unwrap();
/// # drop(client);
/// ```
#[derive(Clone, Copy, Debug)]
pub struct KingOfTime;

impl KingOfTime {
    /// The KING OF TIME brand (see [`Brand::king_of_time`]).
    pub fn brand() -> Brand {
        Brand::king_of_time()
    }

    /// A builder with the public base URL and no token.
    pub fn builder() -> KotClientBuilder {
        KotClientBuilder::new(Self::brand())
    }

    /// A builder reading `KOT_TOKEN` and `KOT_BASE_URL` (the latter optional).
    pub fn from_env() -> KotClientBuilder {
        KotClientBuilder::from_env(Self::brand())
    }
}
