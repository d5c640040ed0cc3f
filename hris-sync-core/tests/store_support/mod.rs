//! The fixtures of the store contract suite (`hris_sync_core::conformance::store::fixtures`),
//! for the store tests of this crate.

pub(crate) use hris_sync_core::conformance::store::fixtures::*;
