//! A console over in-memory systems, and requests sent to its router without a network.

#![allow(dead_code, unreachable_pub)]

use std::sync::Arc;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use hris_sync_console::Console;
use hris_sync_core::{
    Actor, Clock, Employee, FixedClock, Gender, InMemorySystem, MasterKind, Placement, ReportId,
    SyncEngine,
};
use tower::ServiceExt;

/// The test's actor header: "admin", "member", or absent (nobody signed in). Only this test
/// trusts a header; an application uses its own session.
pub const USER: &str = "x-test-user";

/// Noon in Japan, outside the KOT-family maintenance windows.
pub fn noon() -> Arc<dyn Clock> {
    Arc::new(FixedClock::at_japan_time(2025, 6, 2, 12, 0))
}

/// An engine between an HR system holding `employees` (codes 1…n, all new to the target,
/// plus one without a gender: Invalid on export) and an empty attendance system.
pub fn engine(employees: usize, attendance: InMemorySystem, clock: Arc<dyn Clock>) -> SyncEngine {
    let hr = InMemorySystem::hr("HR").with_master(MasterKind::Office, "HQ", "本社");
    for n in 1..=employees {
        hr.insert(
            Employee::new(format!("{n:05}"))
                .with_name("山田", format!("太郎{n}"))
                .with_gender(Gender::Male),
            Placement::new().with(MasterKind::Office, "HQ"),
        );
    }
    hr.insert(
        Employee::new("99999").with_name("性別", "なし"),
        Placement::new().with(MasterKind::Office, "HQ"),
    );
    let attendance = attendance
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(attendance))
        .with_clock(clock)
        .build()
        .unwrap()
}

/// The console of `engine` as connection "kot", actors from [`USER`].
pub fn router(engine: &SyncEngine) -> Router {
    Console::new(|parts: &axum::http::request::Parts| {
        match parts.headers.get(USER)?.to_str().ok()? {
            "admin" => Some(Actor::administrator("admin")),
            "member" => Some(Actor::member("member")),
            _ => None,
        }
    })
    .with_connection("kot", engine.clone())
    .unwrap()
    .router()
}

/// An answer, read whole.
#[derive(Debug)]
pub struct Answer {
    pub status: StatusCode,
    pub headers: axum::http::HeaderMap,
    pub body: String,
}

impl Answer {
    /// Where a 303 points.
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }

    /// The CSRF token the console set in its cookie.
    pub fn token(&self) -> String {
        let cookie = self
            .headers
            .get(header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .expect("a fresh token cookie");
        let pair = cookie.split(';').next().unwrap();
        pair.split_once('=').unwrap().1.to_owned()
    }
}

/// A request builder with the actor and, when given, the token cookie.
pub fn request(
    method: &str,
    path: &str,
    user: Option<&str>,
    token: Option<&str>,
) -> axum::http::request::Builder {
    let mut builder = Request::builder().method(method).uri(path);
    if let Some(user) = user {
        builder = builder.header(USER, user);
    }
    if let Some(token) = token {
        builder = builder.header(header::COOKIE, format!("hris_sync_console_csrf={token}"));
    }
    builder
}

pub async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

pub async fn get(router: &Router, path: &str, user: Option<&str>) -> Answer {
    send(
        router,
        request("GET", path, user, None)
            .body(Body::empty())
            .unwrap(),
    )
    .await
}

/// A form POST with the cookie `token` and the form's `fields`.
pub async fn post(
    router: &Router,
    path: &str,
    user: Option<&str>,
    token: &str,
    fields: &[(&str, &str)],
) -> Answer {
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish();
    send(
        router,
        request("POST", path, user, Some(token))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap(),
    )
    .await
}

/// An administrator's token (from a first page view).
pub async fn admin_token(router: &Router) -> String {
    get(router, "/", Some("admin")).await.token()
}

/// Starts an export through the console and waits until it is classified.
pub async fn fetched_export(router: &Router, engine: &SyncEngine, token: &str) -> ReportId {
    let today = engine.clock().today_in_japan().to_string();
    let answer = post(
        router,
        "/c/kot/start/export",
        Some("admin"),
        token,
        &[("csrf", token), ("base_date", &today)],
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
    let id: ReportId = answer
        .location()
        .rsplit('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    engine.wait_until_fetched(id).await.unwrap();
    id
}

/// The selection version a preview page's confirmation form carries.
pub fn version_of(preview: &str) -> String {
    preview
        .split("name=\"version\" value=\"")
        .nth(1)
        .expect("a confirmation form")
        .split('"')
        .next()
        .unwrap()
        .to_owned()
}
