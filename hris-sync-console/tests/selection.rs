//! Selection and confirmation through the router: 10,000 rows paged, filtered and selected
//! on the server, Invalid rows unselectable, the creation values, the preview of exactly
//! what is sent, and a confirmation refused once the selection changed after its preview.

mod common;

use axum::http::StatusCode;
use axum::Router;
use common::*;
use hris_sync_core::{InMemorySystem, Outcome, RunStatus};

fn rows(body: &str) -> usize {
    body.matches("<tr data-code=").count()
}

#[tokio::test]
async fn selection_of_10000_rows_is_paged_filtered_and_selected_on_the_server() {
    let engine = engine(10_000, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let select = format!("/c/kot/reports/{id}/select");

    let first = get(&router, &select, Some("admin")).await;
    assert_eq!(rows(&first.body), 100, "one page of rows");
    assert!(first.body.contains("新規登録 (10000)"));
    assert!(first.body.contains("連携不可 (1)"));

    // Select all of the New ones, on the server.
    let all = post(
        &router,
        &select,
        Some("admin"),
        &token,
        &[("csrf", &token), ("kind", "new"), ("action", "all")],
    )
    .await;
    assert_eq!(all.status, StatusCode::SEE_OTHER);
    assert!(all.location().ends_with("select?kinds=new&page=1"));
    let page = get(
        &router,
        &format!("{select}?kinds=new&page=100"),
        Some("admin"),
    )
    .await;
    assert!(page.body.contains("data-selected=\"10000\""));
    assert_eq!(rows(&page.body), 100);
    assert!(page.body.contains("ページ 100 / 100"), "the last page");

    // Untick one row shown on a page; the others stay selected.
    let shown_index = "0";
    post(
        &router,
        &select,
        Some("admin"),
        &token,
        &[
            ("csrf", &token),
            ("kind", "new"),
            ("shown", shown_index),
            ("action", "page:2"),
        ],
    )
    .await;
    let page = get(&router, &select, Some("admin")).await;
    assert!(page.body.contains("data-selected=\"9999\""));

    // The Invalid row has no check box, and ticking its index anyway selects nothing.
    let invalid = get(&router, &format!("{select}?kinds=invalid"), Some("admin")).await;
    assert_eq!(rows(&invalid.body), 1);
    assert!(!invalid.body.contains("name=\"sel\""));
    post(
        &router,
        &select,
        Some("admin"),
        &token,
        &[
            ("csrf", &token),
            ("shown", "10000"),
            ("sel", "10000"),
            ("action", "filter"),
        ],
    )
    .await;
    let page = get(&router, &select, Some("admin")).await;
    assert!(page.body.contains("data-selected=\"9999\""));

    // Clear all of the filtered ones.
    post(
        &router,
        &select,
        Some("admin"),
        &token,
        &[("csrf", &token), ("kind", "new"), ("action", "none")],
    )
    .await;
    let page = get(&router, &select, Some("admin")).await;
    assert!(page.body.contains("data-selected=\"0\""));

    // 同期を開始 with nothing selected says so and goes nowhere.
    let next = post(
        &router,
        &select,
        Some("admin"),
        &token,
        &[("csrf", &token), ("action", "next")],
    )
    .await;
    assert!(next.location().contains("error=empty"));
    let page = get(&router, next.location(), Some("admin")).await;
    assert!(page.body.contains("1人以上選択してください"));
}

/// Selects rows 0 and 1, chooses the creation values, and returns the preview page.
async fn preview(router: &Router, token: &str, id: hris_sync_core::ReportId) -> Answer {
    let select = format!("/c/kot/reports/{id}/select");
    let next = post(
        router,
        &select,
        Some("admin"),
        token,
        &[
            ("csrf", token),
            ("shown", "0"),
            ("shown", "1"),
            ("sel", "0"),
            ("sel", "1"),
            ("action", "next"),
        ],
    )
    .await;
    assert!(
        next.location().ends_with("/placement"),
        "new employees need creation values"
    );
    let placement = get(router, next.location(), Some("admin")).await;
    assert!(placement.body.contains("<select id=\"division\""));
    assert!(placement.body.contains("<select id=\"employment_type\""));
    assert!(placement.body.contains("正社員 (1)"));
    let chosen = post(
        router,
        next.location(),
        Some("admin"),
        token,
        &[
            ("csrf", token),
            ("division", "1000"),
            ("employment_type", "1"),
        ],
    )
    .await;
    get(router, chosen.location(), Some("admin")).await
}

#[tokio::test]
async fn b2_the_preview_shows_what_is_sent_and_only_that_confirmation_applies() {
    let engine = engine(5, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let page = preview(&router, &token, id).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert_eq!(page.body.matches("data-write=\"create\"").count(), 2);
    assert!(page.body.contains("所属: 本社"));
    assert!(page.body.contains("雇用区分: 正社員"));
    let version = version_of(&page.body);

    // The selection changes after the preview (another tab): the old confirmation is refused.
    let select = format!("/c/kot/reports/{id}/select");
    post(
        &router,
        &select,
        Some("admin"),
        &token,
        &[
            ("csrf", &token),
            ("shown", "2"),
            ("sel", "2"),
            ("action", "filter"),
        ],
    )
    .await;
    let stale = post(
        &router,
        &format!("/c/kot/reports/{id}/apply"),
        Some("admin"),
        &token,
        &[("csrf", &token), ("version", &version)],
    )
    .await;
    assert_eq!(stale.status, StatusCode::CONFLICT);
    assert_eq!(
        engine.summary(id).await.unwrap().status,
        RunStatus::AwaitingSync
    );

    // Previewed again, confirmed: the three are created.
    let page = get(
        &router,
        &format!("/c/kot/reports/{id}/preview"),
        Some("admin"),
    )
    .await;
    assert_eq!(page.body.matches("data-write=\"create\"").count(), 3);
    let version = version_of(&page.body);
    let applied = post(
        &router,
        &format!("/c/kot/reports/{id}/apply"),
        Some("admin"),
        &token,
        &[("csrf", &token), ("version", &version)],
    )
    .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER);
    assert!(applied
        .location()
        .ends_with(&format!("/c/kot/reports/{id}")));
    let report = loop {
        let report = engine.report(id).await.unwrap();
        if report.summary.status != RunStatus::Syncing {
            break report;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(report.summary.status, RunStatus::Completed);
    let created = report
        .entries
        .iter()
        .filter(|e| matches!(e.outcome, Some(Outcome::Created { .. })))
        .count();
    assert_eq!(created, 3);
    let page = get(&router, &format!("/c/kot/reports/{id}"), Some("admin")).await;
    assert_eq!(page.body.matches("data-outcome=\"created\"").count(), 3);
    // A second confirmation is refused: the run is no longer awaiting a selection.
    let again = post(
        &router,
        &format!("/c/kot/reports/{id}/apply"),
        Some("admin"),
        &token,
        &[("csrf", &token), ("version", &version)],
    )
    .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(engine.report(id).await.unwrap().outcome_counts().created, 3);
}
