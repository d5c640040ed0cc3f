//! The console's security model, through its router: administrators only, CSRF on every
//! state-changing POST, a strict Content-Security-Policy, credentials never on a page.

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use common::*;
use connector_kingoftime::emulator::KotEmulator;
use hris_sync_console::Console;
use hris_sync_core::{Actor, InMemorySystem, SyncEngine};

#[tokio::test]
async fn r14_non_administrators_get_403_and_nothing_starts() {
    let engine = engine(3, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    for user in [Some("member"), None] {
        for path in [
            "/",
            "/c/kot/start/export",
            "/c/kot/settings",
            "/c/kot/reports",
        ] {
            let answer = get(&router, path, user).await;
            assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path} for {user:?}");
            assert!(answer.body.contains("権限がありません"));
            assert!(!answer.body.contains("<form"));
        }
        // Even with a valid token, a member's POST starts nothing.
        let token = get(&router, "/", user).await.token();
        let today = engine.clock().today_in_japan().to_string();
        let answer = post(
            &router,
            "/c/kot/start/export",
            user,
            &token,
            &[("csrf", &token), ("base_date", &today)],
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN);
    }
    assert!(engine.recent().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_refused_csrf_token_changes_nothing() {
    let engine = engine(3, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let today = engine.clock().today_in_japan().to_string();
    let other = "0".repeat(64);
    for fields in [
        vec![("base_date", today.as_str())],
        vec![("csrf", other.as_str()), ("base_date", today.as_str())],
        vec![("csrf", &token[..63]), ("base_date", today.as_str())],
    ] {
        let answer = post(
            &router,
            "/c/kot/start/export",
            Some("admin"),
            &token,
            &fields,
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{fields:?}");
        assert!(answer.body.contains("何も変更していません"));
    }
    // The right token from another site (as browsers label it) is refused too.
    let cross = send(
        &router,
        request("POST", "/c/kot/start/export", Some("admin"), Some(&token))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("sec-fetch-site", "cross-site")
            .body(format!("csrf={token}&base_date={today}").into())
            .unwrap(),
    )
    .await;
    assert_eq!(cross.status, StatusCode::FORBIDDEN);
    // A POST with no cookie at all gets a fresh token that its form cannot know.
    let no_cookie = send(
        &router,
        request("POST", "/c/kot/start/export", Some("admin"), None)
            .header("content-type", "application/x-www-form-urlencoded")
            .body(format!("csrf={token}&base_date={today}").into())
            .unwrap(),
    )
    .await;
    assert_eq!(no_cookie.status, StatusCode::FORBIDDEN);
    assert!(
        engine.recent().await.unwrap().is_empty(),
        "a refused form started a run"
    );

    // Every other state-changing route refuses a wrong token the same way.
    let id = fetched_export(&router, &engine, &token).await;
    for action in [
        "select",
        "placement",
        "apply",
        "stop",
        "resume",
        "abandon",
        "discard",
    ] {
        let path = format!("/c/kot/reports/{id}/{action}");
        let answer = post(
            &router,
            &path,
            Some("admin"),
            &token,
            &[("csrf", &other), ("action", "all")],
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{action}");
    }
    for path in ["/c/kot/settings", "/c/kot/settings/test"] {
        let answer = post(
            &router,
            path,
            Some("admin"),
            &token,
            &[("csrf", &other), ("prefer_business_name", "on")],
        )
        .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{path}");
    }
    let summary = engine.summary(id).await.unwrap();
    assert_eq!(summary.status, hris_sync_core::RunStatus::AwaitingSync);
    assert!(!engine.prefer_business_name());
    // Nothing was selected either: the selection page counts none.
    let page = get(
        &router,
        &format!("/c/kot/reports/{id}/select"),
        Some("admin"),
    )
    .await;
    assert!(page.body.contains("data-selected=\"0\""));
}

#[tokio::test]
async fn pages_carry_a_strict_policy_and_no_inline_script_or_style() {
    let engine = engine(3, InMemorySystem::attendance("KOT"), noon());
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    for path in [
        "/".to_owned(),
        "/c/kot/start/export".to_owned(),
        format!("/c/kot/reports/{id}"),
        format!("/c/kot/reports/{id}/select"),
        "/c/kot/settings".to_owned(),
        "/nowhere".to_owned(),
    ] {
        let answer = get(&router, &path, Some("admin")).await;
        let policy = answer.headers["content-security-policy"].to_str().unwrap();
        assert!(policy.contains("default-src 'none'"), "{path}");
        assert!(policy.contains("script-src 'self'"), "{path}");
        assert!(!policy.contains("unsafe"), "{path}");
        assert_eq!(answer.headers["x-frame-options"], "DENY");
        let body = &answer.body;
        assert_eq!(
            body.matches("<script").count(),
            body.matches("<script src=").count(),
            "{path}: inline script"
        );
        assert!(!body.contains(" style="), "{path}: inline style");
        assert!(!body.contains(" onclick="), "{path}: inline handler");
        assert!(
            !body.contains("http://") && !body.contains("https://"),
            "{path}: another origin"
        );
    }
    let css = get(&router, "/assets/console.css", None).await;
    assert_eq!(css.status, StatusCode::OK);
    assert!(css.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    assert_eq!(
        get(&router, "/assets/other.js", None).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_cookie_is_http_only_same_site_and_secure_unless_told() {
    let engine = engine(1, InMemorySystem::attendance("KOT"), noon());
    let cookie = |answer: &Answer| answer.headers["set-cookie"].to_str().unwrap().to_owned();
    let secure = get(&router(&engine), "/", Some("admin")).await;
    assert!(cookie(&secure).contains("HttpOnly; SameSite=Strict; Secure"));
    let plain = Console::new(|_: &axum::http::request::Parts| Some(Actor::administrator("a")))
        .with_secure_cookies(false)
        .with_connection("kot", engine.clone())
        .unwrap()
        .router();
    assert!(!cookie(&get(&plain, "/", None).await).contains("Secure"));
}

#[tokio::test]
async fn r15_credentials_never_reach_a_page() {
    let emulator = KotEmulator::builder().start().await;
    let secret = "s3cr3t-token-never-shown";
    let client = emulator
        .client_builder()
        .with_token(secret)
        .build()
        .unwrap();
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(InMemorySystem::hr("HR")))
        .with_attendance(Arc::new(client))
        .with_clock(noon())
        .build()
        .unwrap();
    let router = router(&engine);
    let token = admin_token(&router).await;
    let settings = get(&router, "/c/kot/settings", Some("admin")).await;
    assert!(!settings.body.contains(secret));
    // The wrong token makes the test fail; the failure names no credential.
    let tested = post(
        &router,
        "/c/kot/settings/test",
        Some("admin"),
        &token,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(tested.status, StatusCode::OK);
    assert!(
        tested.body.contains("data-test=\"failed\""),
        "{}",
        tested.body
    );
    assert!(!tested.body.contains(secret));
    // And a good one passes.
    let good = emulator.client_builder().build().unwrap();
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(InMemorySystem::hr("HR")))
        .with_attendance(Arc::new(good))
        .with_clock(noon())
        .build()
        .unwrap();
    let router = common::router(&engine);
    let token = admin_token(&router).await;
    let tested = post(
        &router,
        "/c/kot/settings/test",
        Some("admin"),
        &token,
        &[("csrf", &token)],
    )
    .await;
    assert_eq!(
        tested.body.matches("data-test=\"ok\"").count(),
        2,
        "{}",
        tested.body
    );
}
