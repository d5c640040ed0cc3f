#![doc = include_str!("../README.md")]

pub use connector_kingoftime::{Brand, KotClient, KotClientBuilder, RateLimit};

#[cfg(feature = "emulator")]
pub use connector_kingoftime::emulator;

/// The name shown in errors, logs and sync reports.
pub const NAME: &str = "Touch On Time";

/// The Touch On Time brand: no default base URL (the host is not public), variables
/// `TOUCHONTIME_TOKEN` and `TOUCHONTIME_BASE_URL`, the KOT-family restricted hours.
pub fn brand() -> Brand {
    Brand::new(NAME, "TOUCHONTIME")
}

/// A builder for Touch On Time: set the token and the base URL the vendor gave you.
pub fn builder() -> KotClientBuilder {
    KotClientBuilder::new(brand())
}

/// A builder reading `TOUCHONTIME_TOKEN` and `TOUCHONTIME_BASE_URL` (both required).
pub fn from_env() -> KotClientBuilder {
    KotClientBuilder::from_env(brand())
}
