//! The guards against mass damage in the console: the run-level warnings on the report,
//! selection and preview pages, and a mass resignation that is applied only once its
//! warning is acknowledged on the preview page (and refused, with nothing written, without).

mod common;

use std::sync::Arc;

use axum::http::StatusCode;
use chrono::Days;
use common::*;
use hris_sync_core::{
    ChangeKind, Employee, Field, FieldValue, Gender, InMemorySystem, MasterKind, Placement,
    ReportId, RunStatus, SyncEngine,
};

/// Employees enrolled on both sides; the HR system resigns six of them next month (60 % of
/// the target's ten: over the guard's 10 %), and changes the email of a seventh.
fn resigning_engine() -> (SyncEngine, InMemorySystem) {
    let clock = noon();
    let next_month = clock
        .today_in_japan()
        .checked_add_days(Days::new(30))
        .unwrap();
    let hr = InMemorySystem::hr("HR").with_master(MasterKind::Office, "HQ", "本社");
    let attendance = InMemorySystem::attendance("KOT")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    for n in 1..=10 {
        let employee = Employee::new(format!("{n:05}"))
            .with_name("山田", format!("太郎{n}"))
            .with_gender(Gender::Male);
        attendance.insert(
            employee.clone(),
            Placement::new().with(MasterKind::Division, "1000"),
        );
        let ours = match n {
            1..=6 => employee.with_resignation_date(next_month),
            7 => employee.with_email("taro7@example.co.jp"),
            _ => employee,
        };
        hr.insert(ours, Placement::new().with(MasterKind::Office, "HQ"));
    }
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(attendance.clone()))
        .with_clock(clock)
        .build()
        .unwrap();
    (engine, attendance)
}

/// Ticks the given codes of the run's Changed employees (one page holds them all).
async fn select_changed(router: &axum::Router, id: ReportId, token: &str, codes: &[&str]) {
    let report_entries = get(
        router,
        &format!("/c/kot/reports/{id}/select?kinds=changed"),
        Some("admin"),
    )
    .await;
    assert_eq!(report_entries.status, StatusCode::OK);
    let mut fields = vec![("csrf", token), ("kind", "changed"), ("action", "filter")];
    // Row indices are the entries' order: codes 00001… are indices 0….
    let indices: Vec<String> = codes
        .iter()
        .map(|code| (code.parse::<usize>().unwrap() - 1).to_string())
        .collect();
    for index in &indices {
        fields.push(("shown", index));
        fields.push(("sel", index));
    }
    let answer = post(
        router,
        &format!("/c/kot/reports/{id}/select"),
        Some("admin"),
        token,
        &fields,
    )
    .await;
    assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
}

#[tokio::test]
async fn the_run_level_warning_is_a_sentence_on_the_report_selection_and_preview() {
    let (engine, _) = resigning_engine();
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    assert_eq!(engine.summary(id).await.unwrap().warnings.len(), 1);
    select_changed(&router, id, &token, &["00001"]).await;
    let sentence = "連携先の在籍従業員 10 名のうち 6 名（60%）に退職年月日を設定します";
    for page in ["", "/select", "/preview"] {
        let answer = get(
            &router,
            &format!("/c/kot/reports/{id}{page}"),
            Some("admin"),
        )
        .await;
        assert_eq!(answer.status, StatusCode::OK, "{page}: {}", answer.body);
        assert!(
            answer.body.contains("data-warning=\"mass_resignation\""),
            "{page}"
        );
        assert!(answer.body.contains(sentence), "{page}: {}", answer.body);
        // Above the list of employees (the report awaiting its selection has none).
        let warning = answer.body.find("id=\"run-warnings\"").unwrap();
        if let Some(list) = answer.body.find("<table") {
            assert!(warning < list, "{page}");
        }
    }
    let english = send(
        &router,
        request(
            "GET",
            &format!("/c/kot/reports/{id}/select"),
            Some("admin"),
            None,
        )
        .header("accept-language", "en-US,en;q=0.9")
        .body(axum::body::Body::empty())
        .unwrap(),
    )
    .await;
    assert!(english.body.contains(
        "this run sets a resignation date on 6 of the target's 10 enrolled employees (60%)"
    ));
    assert!(!english.body.contains(sentence));

    // A run without warnings shows no such section.
    let quiet = common::engine(3, InMemorySystem::attendance("KOT"), noon());
    let quiet_router = common::router(&quiet);
    let quiet_token = admin_token(&quiet_router).await;
    let quiet_id = fetched_export(&quiet_router, &quiet, &quiet_token).await;
    let page = get(
        &quiet_router,
        &format!("/c/kot/reports/{quiet_id}"),
        Some("admin"),
    )
    .await;
    assert!(!page.body.contains("run-warnings"));
}

#[tokio::test]
async fn a_mass_resignation_is_refused_on_the_preview_until_acknowledged() {
    let (engine, attendance) = resigning_engine();
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let resigning = ["00001", "00002", "00003", "00004", "00005", "00006"];
    select_changed(&router, id, &token, &resigning).await;
    let before = attendance.records();

    let preview = get(
        &router,
        &format!("/c/kot/reports/{id}/preview"),
        Some("admin"),
    )
    .await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview
        .body
        .contains("id=\"selected-resignations\" data-count=\"6\""));
    assert!(preview
        .body
        .contains("<label for=\"acknowledge\"><input type=\"checkbox\" id=\"acknowledge\" name=\"acknowledge_mass_resignation\""));
    assert!(preview.body.contains("この警告を確認しました"));
    let version = version_of(&preview.body);

    // Confirmed without the acknowledgement: the preview again, saying why; nothing written.
    let refused = post(
        &router,
        &format!("/c/kot/reports/{id}/apply"),
        Some("admin"),
        &token,
        &[("csrf", &token), ("version", &version)],
    )
    .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.body);
    assert!(refused.body.contains("data-refusal=\"mass_resignation\""));
    assert!(refused
        .body
        .contains("同期を実行しませんでした（何も送信していません）"));
    assert!(refused
        .body
        .contains("name=\"acknowledge_mass_resignation\""));
    assert_eq!(attendance.records(), before, "nothing was written");
    let report = engine.report(id).await.unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    assert!(report.entries.iter().all(|entry| entry.outcome.is_none()));

    // Acknowledged: applied, the six resignation dates are in the target.
    let applied = post(
        &router,
        &format!("/c/kot/reports/{id}/apply"),
        Some("admin"),
        &token,
        &[
            ("csrf", &token),
            ("version", &version),
            ("acknowledge_mass_resignation", "yes"),
        ],
    )
    .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let report = loop {
        let report = engine.report(id).await.unwrap();
        if report.summary.status != RunStatus::Syncing {
            break report;
        }
        tokio::task::yield_now().await;
    };
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(report.outcome_counts().updated, 6);
    let resigned = attendance
        .records()
        .iter()
        .filter(|record| {
            matches!(
                record.employee.get(Field::ResignationDate),
                Some(FieldValue::Date(_))
            )
        })
        .count();
    assert_eq!(resigned, 6);
}

#[tokio::test]
async fn a_selection_without_resignations_needs_no_acknowledgement() {
    let (engine, attendance) = resigning_engine();
    let router = router(&engine);
    let token = admin_token(&router).await;
    let id = fetched_export(&router, &engine, &token).await;
    let report = engine.report(id).await.unwrap();
    assert_eq!(report.summary.counts.get(ChangeKind::Changed), 7);
    select_changed(&router, id, &token, &["00007"]).await;
    let preview = get(
        &router,
        &format!("/c/kot/reports/{id}/preview"),
        Some("admin"),
    )
    .await;
    // The run's warning is still shown, but this selection sets no resignation date.
    assert!(preview.body.contains("data-warning=\"mass_resignation\""));
    assert!(!preview.body.contains("acknowledge_mass_resignation"));
    let applied = post(
        &router,
        &format!("/c/kot/reports/{id}/apply"),
        Some("admin"),
        &token,
        &[("csrf", &token), ("version", &version_of(&preview.body))],
    )
    .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    loop {
        if engine.summary(id).await.unwrap().status != RunStatus::Syncing {
            break;
        }
        tokio::task::yield_now().await;
    }
    let emails: Vec<_> = attendance
        .records()
        .iter()
        .filter_map(|record| record.employee.email.clone())
        .collect();
    assert_eq!(emails, ["taro7@example.co.jp"]);
}
