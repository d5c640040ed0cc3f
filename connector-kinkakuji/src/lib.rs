#![doc = include_str!("../README.md")]

pub use connector_kingoftime::{Brand, KotClient, KotClientBuilder, RateLimit};

#[cfg(feature = "emulator")]
pub use connector_kingoftime::emulator;

/// 勤革時 as shown in errors, logs and sync reports.
pub const NAME: &str = "勤革時";

/// Reads `KINKAKUJI_TOKEN` and `KINKAKUJI_BASE_URL`; both must be set before `build()`.
pub fn from_env() -> KotClientBuilder {
    KotClientBuilder::from_env(brand())
}

/// Starts a 勤革時 configuration: token and base URL still to set.
pub fn builder() -> KotClientBuilder {
    KotClientBuilder::new(brand())
}

/// The 勤革時 brand of the KOT-family protocol. The vendor publishes no API host, so the
/// base URL has no default; the restricted hours are 08:30–10:00 and 17:30–18:30 Japan time
/// unless configured otherwise (`KotClientBuilder::with_maintenance_windows`).
pub fn brand() -> Brand {
    Brand::new(NAME, "KINKAKUJI")
}
