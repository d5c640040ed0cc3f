//! What only the PostgreSQL store shows: its migrations, refusals that change nothing,
//! the indexes its hot paths use, and credentials that never show (against a real
//! server, `HRIS_SYNC_DATABASE_URL`; skipped with a printed reason without one).

mod support;

use hris_sync_core::conformance::store::fixtures::{entries, masters, summary};
use hris_sync_core::store::ReportStore;
use hris_sync_core::StoreError;
use hris_sync_store_postgres::{PostgresReportStore, PostgresSettings};
use support::{execute, settings, unique_schema};

async fn query_strings(sql: &str) -> Vec<String> {
    let url = std::env::var(hris_sync_store_postgres::DATABASE_URL_ENV).unwrap();
    let (client, connection) = tokio_postgres::connect(&url, tokio_postgres::NoTls)
        .await
        .unwrap();
    let task = tokio::spawn(connection);
    let mut rows = Vec::new();
    for message in client.simple_query(sql).await.unwrap() {
        if let tokio_postgres::SimpleQueryMessage::Row(row) = message {
            rows.push(row.get(0).unwrap_or_default().to_owned());
        }
    }
    drop(client);
    let _ = task.await;
    rows
}

/// Opening twice migrates once; the version table says what was applied.
#[tokio::test]
async fn a_new_schema_is_created_and_migrated_once() {
    let Some(settings) = settings("a_new_schema_is_created_and_migrated_once") else {
        return;
    };
    let schema = unique_schema();
    let settings = settings.with_schema(schema.clone()).unwrap();
    let store = PostgresReportStore::open(settings.clone()).await.unwrap();
    let summary = summary();
    store.insert(&summary).await.unwrap();
    drop(store);
    let again = PostgresReportStore::open(settings).await.unwrap();
    assert_eq!(again.summary(summary.id).await.unwrap(), Some(summary));
    let versions = query_strings(&format!(
        "SELECT version || ' ' || description FROM {schema}.hris_sync_schema ORDER BY version"
    ))
    .await;
    assert_eq!(versions, ["1 reports and their entries"]);
    execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
}

/// A schema that holds somebody else's tables is refused, and nothing in it changes.
#[tokio::test]
async fn a_foreign_schema_is_refused_unchanged() {
    let Some(settings) = settings("a_foreign_schema_is_refused_unchanged") else {
        return;
    };
    let schema = unique_schema();
    execute(&format!(
        "CREATE SCHEMA {schema}; CREATE TABLE {schema}.payroll (id int); \
         INSERT INTO {schema}.payroll VALUES (7);"
    ))
    .await;
    let error = PostgresReportStore::open(settings.with_schema(schema.clone()).unwrap())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { message, .. }
            if message.contains("payroll") && message.contains("nothing in it was changed")),
        "{error:?}"
    );
    let tables = query_strings(&format!(
        "SELECT tablename FROM pg_tables WHERE schemaname = '{schema}'"
    ))
    .await;
    assert_eq!(tables, ["payroll"]);
    execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
}

/// A schema written by a newer version is refused with a clear message, unchanged.
#[tokio::test]
async fn a_newer_schema_version_is_refused() {
    let Some(settings) = settings("a_newer_schema_version_is_refused") else {
        return;
    };
    let schema = unique_schema();
    let settings = settings.with_schema(schema.clone()).unwrap();
    drop(PostgresReportStore::open(settings.clone()).await.unwrap());
    execute(&format!(
        "INSERT INTO {schema}.hris_sync_schema (version, description) VALUES (99, 'future')"
    ))
    .await;
    let error = PostgresReportStore::open(settings).await.unwrap_err();
    assert!(
        matches!(&error, StoreError::Corrupt { message, .. }
            if message.contains("version 99") && message.contains("newer")),
        "{error:?}"
    );
    execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
}

/// R13: listing walks the newest-first index without sorting, and recording an outcome
/// finds its row through the primary key.
#[tokio::test]
async fn the_hot_paths_use_indexes() {
    let Some((store, schema)) = support::store_in_fresh_schema("the_hot_paths_use_indexes").await
    else {
        return;
    };
    let summary = summary();
    store.insert(&summary).await.unwrap();
    store
        .save_plan(&summary, &masters(), &entries(50))
        .await
        .unwrap();
    // Tiny tables: forbid the sequential scan so the plan shows whether an index serves.
    let plan =
        |sql: &str| format!("SET search_path = {schema}; SET enable_seqscan = off; EXPLAIN {sql}");
    let list = query_strings(&plan(
        "SELECT id, summary FROM reports WHERE false OR status <> 'discarded' \
         ORDER BY created_secs DESC, created_nanos DESC, id DESC LIMIT 10 OFFSET 10",
    ))
    .await
    .join("\n");
    assert!(list.contains("reports_newest_first"), "{list}");
    assert!(!list.contains("Sort"), "{list}");
    let update = query_strings(&plan(&format!(
        "UPDATE entries AS e SET outcome = v.value \
         FROM unnest(ARRAY[7]::int4[], ARRAY['{{}}']::jsonb[]) AS v (idx, value) \
         WHERE e.report_id = '{}' AND e.idx = v.idx",
        summary.id
    )))
    .await
    .join("\n");
    assert!(update.contains("entries_pkey"), "{update}");
    drop(store);
    execute(&format!("DROP SCHEMA {schema} CASCADE")).await;
}

/// R15: a refused connection names the server, never the password.
#[tokio::test]
async fn connection_errors_never_show_the_password() {
    const SECRET: &str = "n0t-4-l0g-line";
    let Some(settings) = settings("connection_errors_never_show_the_password") else {
        return;
    };
    // A database that does not exist on the real server, and a port nothing listens on.
    let url = std::env::var(hris_sync_store_postgres::DATABASE_URL_ENV).unwrap();
    let config: tokio_postgres::Config = url.parse().unwrap();
    let host = match &config.get_hosts()[0] {
        tokio_postgres::config::Host::Tcp(host) => host.clone(),
        #[cfg(unix)]
        tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
    };
    let port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres");
    drop(settings);
    for url in [
        format!("postgres://{user}:{SECRET}@{host}:{port}/no_such_database_hris"),
        format!("postgres://{user}:{SECRET}@127.0.0.1:1/hr?connect_timeout=5"),
    ] {
        let settings = PostgresSettings::from_url(&url).unwrap();
        let error = PostgresReportStore::open(settings).await.unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(matches!(error, StoreError::Backend { .. }), "{shown}");
        assert!(!shown.contains(SECRET), "{shown}");
        assert!(shown.contains(":***@"), "the server is named: {shown}");
    }
}
