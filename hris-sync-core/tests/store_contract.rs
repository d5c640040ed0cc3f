//! The [`ReportStore`](hris_sync_core::ReportStore) contract suite
//! (`hris_sync_core::conformance::store`), run against every store in this crate: the
//! in-memory reference, SQLite in memory and SQLite in a file. The PostgreSQL store runs
//! the same suite in its own crate.

use std::sync::Arc;

use hris_sync_core::conformance::store::StoreUnderTest;

mod memory {
    use super::*;

    async fn fresh() -> Option<StoreUnderTest> {
        Some(StoreUnderTest::new(Arc::new(
            hris_sync_core::store::MemoryReportStore::new(),
        )))
    }

    hris_sync_core::report_store_contract!(fresh);
}

#[cfg(feature = "sqlite")]
mod sqlite_in_memory {
    use super::*;

    async fn fresh() -> Option<StoreUnderTest> {
        let store = hris_sync_core::store::SqliteReportStore::open_in_memory().unwrap();
        Some(StoreUnderTest::new(Arc::new(store)))
    }

    hris_sync_core::report_store_contract!(fresh);
}

#[cfg(feature = "sqlite")]
mod sqlite_file {
    use super::*;

    async fn fresh() -> Option<StoreUnderTest> {
        let dir = tempfile::tempdir().unwrap();
        let store =
            hris_sync_core::store::SqliteReportStore::open(dir.path().join("reports.db")).unwrap();
        Some(StoreUnderTest::new(Arc::new(store)).keeping(dir))
    }

    hris_sync_core::report_store_contract!(fresh);
}
