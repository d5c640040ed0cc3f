//! The store contract suite (`hris_sync_core::conformance::store`) on the PostgreSQL store:
//! the same checks the in-memory and SQLite stores pass, against a real server
//! (`HRIS_SYNC_DATABASE_URL`), each in a schema of its own.

mod support;

hris_sync_core::report_store_contract!(support::fresh);
