//! A fresh store per test, each in a schema of its own (so tests run in parallel on one
//! database), dropped afterwards. The server comes from `HRIS_SYNC_DATABASE_URL`; without
//! it the tests that need it say so and pass (CI always sets it).

#![allow(dead_code)] // each test file uses its own subset

use hris_sync_core::conformance::store::StoreUnderTest;
use hris_sync_store_postgres::{PostgresReportStore, PostgresSettings, DATABASE_URL_ENV};

/// The server's settings, or `None` after printing why the test is skipped.
pub(crate) fn settings(test: &str) -> Option<PostgresSettings> {
    match PostgresSettings::from_env().expect("HRIS_SYNC_DATABASE_URL is not a valid URL") {
        Some(settings) => Some(settings),
        None => {
            // Written to the process's standard error itself, not through eprintln!, which
            // the test harness captures and hides for a passing test.
            use std::io::Write;
            let _ = writeln!(
                std::io::stderr(),
                "skipped {test}: it needs a PostgreSQL server; set {DATABASE_URL_ENV} \
                 (postgres://user:password@host:port/database) to run it (.ci/run does)"
            );
            None
        }
    }
}

/// A schema name no other test uses.
pub(crate) fn unique_schema() -> String {
    format!("hris_test_{}", uuid::Uuid::now_v7().simple())
}

/// Runs SQL on the server outside any store (set-up and clean-up of test schemas).
pub(crate) async fn execute(sql: &str) {
    let url = std::env::var(DATABASE_URL_ENV).unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(connection);
    client.batch_execute(sql).await.unwrap();
    drop(client);
    let _ = task.await;
}

/// Opens a store in a fresh schema; returns it with the schema's name.
pub(crate) async fn store_in_fresh_schema(test: &str) -> Option<(PostgresReportStore, String)> {
    let settings = settings(test)?;
    let schema = unique_schema();
    let store = PostgresReportStore::open(settings.with_schema(schema.clone()).unwrap())
        .await
        .unwrap();
    Some((store, schema))
}

/// A fresh store for one check of the contract suite, its schema dropped afterwards.
pub(crate) async fn fresh() -> Option<StoreUnderTest> {
    let (store, schema) = store_in_fresh_schema("the PostgreSQL store contract").await?;
    Some(
        StoreUnderTest::new(std::sync::Arc::new(store))
            .with_teardown(async move { execute(&format!("DROP SCHEMA {schema} CASCADE")).await }),
    )
}
