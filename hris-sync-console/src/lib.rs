#![doc = include_str!("../README.md")]
// Handlers return early with the page to answer (`Result<_, Response>`): the size is axum's
// response type, held for one request, and boxing it would only add an allocation.
#![allow(clippy::result_large_err)]
//!
//! | module | job |
//! |---|---|
//! | [`auth`] | how a request becomes an [`Actor`](hris_sync_core::Actor): the embedding contract |
//! | `console` | the [`Console`] builder and its router |
//! | `web` | per-request context, CSRF, security headers, forms, errors |
//! | `i18n` | Japanese and English labels |
//! | `drafts` | selections being made, live progress, cached plans |
//! | `pages` | one module per screen |
//! | `assets` | the embedded stylesheet and script |

mod assets;
pub mod auth;
mod console;
mod drafts;
mod i18n;
mod pages;
mod web;

pub use auth::Authenticate;
pub use console::{Console, ConsoleError};
