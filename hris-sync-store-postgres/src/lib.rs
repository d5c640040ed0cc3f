#![doc = include_str!("../README.md")]

mod error;
mod housekeeping;
mod reads;
mod report_store;
mod schema;
mod settings;
mod store;

pub use settings::{
    PostgresSettings, SettingsError, DATABASE_URL_ENV, DEFAULT_POOL_SIZE, DEFAULT_SCHEMA,
};
pub use store::PostgresReportStore;
