//! The screens' behaviour through the router: base date bounds, the maintenance notice, the
//! status endpoint, warnings, recovery of a stuck fetch, discard, the settings, languages
//! and mounting under a prefix. Selection and preview are in `selection.rs`.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use axum::Router;
use common::*;
use hris_sync_core::{DailyWindow, FixedClock, InMemorySystem, MaintenanceWindows, RunStatus};

#[tokio::test]
async fn r2_a_base_date_outside_the_range_is_refused_by_the_server() {
    let engine = engine(3, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let form = get(&router, "/c/kot/start/export", Some("admin")).await;
    assert!(form
        .body
        .contains("min=\"2022-06-02\" max=\"2026-06-02\" value=\"2025-06-02\""));
    for date in ["2022-06-01", "2026-06-03", "2025-02-30", "tomorrow", ""] {
        let answer = post(
            &router,
            "/c/kot/start/export",
            Some("admin"),
            &token,
            &[("csrf", &token), ("base_date", date)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY, "{date}");
        assert!(answer.body.contains("role=\"alert\""));
    }
    assert!(engine.recent().await.unwrap().is_empty());
    let bound = post(
        &router,
        "/c/kot/start/export",
        Some("admin"),
        &token,
        &[("csrf", &token), ("base_date", "2022-06-02")],
    )
    .await;
    assert_eq!(bound.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn r12_during_a_maintenance_window_the_dashboard_shows_its_end_instead_of_a_button() {
    let clock = Arc::new(FixedClock::at_japan_time(2025, 6, 2, 9, 0));
    let windows = MaintenanceWindows::new(vec![DailyWindow::hm((8, 30), (10, 0))]);
    let attendance =
        InMemorySystem::attendance("KOT").with_maintenance_windows(windows, clock.clone());
    let engine = engine(3, attendance, clock);
    let router = router(&engine);
    let page = get(&router, "/", Some("admin")).await;
    assert!(page.body.contains("メンテナンス時間中"));
    assert!(page.body.contains("10:00"));
    assert!(page.body.contains("08:30～10:00"));
    assert!(!page.body.contains("data-direction="));
    // Going there anyway is refused by the engine, shown on the form, and starts nothing.
    let token = admin_token(&router).await;
    let answer = post(
        &router,
        "/c/kot/start/export",
        Some("admin"),
        &token,
        &[("csrf", &token), ("base_date", "2025-06-02")],
    )
    .await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer.body.contains("メンテナンス時間中です"));
    assert!(engine.recent().await.unwrap().is_empty());
}

#[tokio::test]
async fn the_status_endpoint_is_small_and_names_the_status() {
    let engine = engine(3, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let status = get(
        &router,
        &format!("/c/kot/reports/{id}/status"),
        Some("admin"),
    )
    .await;
    assert_eq!(status.headers["content-type"], "application/json");
    let json: serde_json::Value = serde_json::from_str(&status.body).unwrap();
    assert_eq!(json["status"], "awaiting_sync");
    assert_eq!(json["label"], "同期待ち");
    assert!(json["progress"].is_null());
    assert_eq!(
        get(
            &router,
            &format!("/c/kot/reports/{id}/status"),
            Some("member")
        )
        .await
        .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        get(&router, "/c/kot/reports/not-an-id/status", Some("admin"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn r9_the_business_name_setting_is_saved_for_later_runs() {
    let engine = engine(1, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let page = get(&router, "/c/kot/settings", Some("admin")).await;
    assert!(page.body.contains("ビジネスネームを連携する"));
    assert!(!page.body.contains("checked"));
    let saved = post(
        &router,
        "/c/kot/settings",
        Some("admin"),
        &token,
        &[("csrf", &token), ("prefer_business_name", "on")],
    )
    .await;
    assert!(saved.body.contains("保存しました"));
    assert!(engine.prefer_business_name());
    post(
        &router,
        "/c/kot/settings",
        Some("admin"),
        &token,
        &[("csrf", &token)],
    )
    .await;
    assert!(!engine.prefer_business_name());
}

#[tokio::test]
async fn discard_puts_an_unapplied_run_aside() {
    let engine = engine(2, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let answer = post(
        &router,
        &format!("/c/kot/reports/{id}/discard"),
        Some("admin"),
        &token,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    assert_eq!(
        engine.summary(id).await.unwrap().status,
        RunStatus::Discarded
    );
    // The selection screen of a run no longer awaiting one leads back to its report.
    let select = get(
        &router,
        &format!("/c/kot/reports/{id}/select"),
        Some("admin"),
    )
    .await;
    assert_eq!(select.status, StatusCode::SEE_OTHER);
    // Resuming a discarded run is refused, with the reason.
    let refused = post(
        &router,
        &format!("/c/kot/reports/{id}/resume"),
        Some("admin"),
        &token,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT);
    assert!(refused.body.contains("破棄"));
}

#[tokio::test]
async fn english_by_accept_language_japanese_otherwise() {
    let engine = engine(1, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let japanese = get(&router, "/", Some("admin")).await;
    assert!(japanese.body.contains("<html lang=\"ja\">"));
    assert!(japanese.body.contains("連携ダッシュボード"));
    let english = send(
        &router,
        request("GET", "/", Some("admin"), None)
            .header("accept-language", "en-GB,en;q=0.9,ja;q=0.5")
            .body(axum::body::Body::empty())
            .unwrap(),
    )
    .await;
    assert!(english.body.contains("<html lang=\"en\">"));
    assert!(english.body.contains("Sync dashboard"));
}

#[tokio::test]
async fn mounted_under_a_prefix_every_link_and_redirect_follows_it() {
    let engine = engine(1, InMemorySystem::attendance("KOT"), noon());
    let app = Router::new().nest("/admin/sync", router(&engine));
    let page = get(&app, "/admin/sync", Some("admin")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page
        .body
        .contains("href=\"/admin/sync/c/kot/start/export\""));
    assert!(page.body.contains("href=\"/admin/sync/assets/console.css"));
    assert!(
        page.body.contains("<a href=\"/admin/sync\">"),
        "the dashboard link"
    );
    assert!(page.headers["set-cookie"]
        .to_str()
        .unwrap()
        .contains("Path=/admin/sync;"));
    let token = page.token();
    let started = post(
        &app,
        "/admin/sync/c/kot/start/export",
        Some("admin"),
        &token,
        &[("csrf", &token), ("base_date", "2025-06-02")],
    )
    .await;
    assert!(
        started.location().starts_with("/admin/sync/c/kot/reports/"),
        "{}",
        started.location()
    );
    assert_eq!(
        get(&app, "/elsewhere", Some("admin")).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn b1_the_report_counts_the_employees_with_warnings() {
    let engine = engine(2, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let page = get(&router, &format!("/c/kot/reports/{id}"), Some("admin")).await;
    assert!(
        !page.body.contains("id=\"warned\""),
        "no warning in plain names"
    );

    let hr = InMemorySystem::hr("HR");
    hr.insert(
        hris_sync_core::Employee::new("1")
            .with_name("㈱山田", "太郎")
            .with_gender(hris_sync_core::Gender::Male),
        hris_sync_core::Placement::new(),
    );
    let engine = hris_sync_core::SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(InMemorySystem::attendance("KOT")))
        .with_clock(noon())
        .build()
        .unwrap();
    let router = common::router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let page = get(&router, &format!("/c/kot/reports/{id}"), Some("admin")).await;
    assert!(
        page.body.contains("<p class=\"notice\" id=\"warned\">1 "),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn a_fetch_left_running_by_an_ended_process_can_be_declared_failed() {
    use hris_sync_core::{
        Actor, KindCounts, MemoryReportStore, ReportId, ReportStore, ReportSummary,
    };
    let clock = noon();
    let store = Arc::new(MemoryReportStore::new());
    let started = clock.now() - chrono::TimeDelta::minutes(30);
    let stuck = ReportSummary {
        id: ReportId::new(),
        vendor: "KOT".into(),
        hr_system: "HR".into(),
        direction: hris_sync_core::Direction::Export,
        base_date: clock.today_in_japan(),
        actor: Actor::administrator("admin"),
        applied_by: None,
        created_at: started,
        updated_at: started,
        status: RunStatus::Fetching,
        failure: None,
        counts: KindCounts::default(),
        lease: None,
        stop_requested: None,
        warnings: Vec::new(),
    };
    store.insert(&stuck).await.unwrap();
    let engine = hris_sync_core::SyncEngine::builder()
        .with_hr(Arc::new(InMemorySystem::hr("HR")))
        .with_attendance(Arc::new(InMemorySystem::attendance("KOT")))
        .with_store(store)
        .with_clock(clock)
        .build()
        .unwrap();
    let router = common::router(&engine);
    let token = admin_token(&router).await;
    let page = get(
        &router,
        &format!("/c/kot/reports/{}", stuck.id),
        Some("admin"),
    )
    .await;
    assert!(page.body.contains("失敗として扱う"), "{}", page.body);
    let answer = post(
        &router,
        &format!("/c/kot/reports/{}/abandon", stuck.id),
        Some("admin"),
        &token,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER);
    let summary = engine.summary(stuck.id).await.unwrap();
    assert_eq!(summary.status, RunStatus::Failed);
    assert!(summary
        .failure
        .unwrap()
        .contains("declared abandoned by admin"));
}
