//! The console in a real browser: Debian's chromium driven through chromedriver (WebDriver),
//! against the demo console of `cargo run --example console` served on loopback.
//!
//! The test starts chromedriver itself on a free loopback port. Without chromedriver it
//! says why and passes, unless `CI=true`, where it fails (`.ci/run` installs chromium and
//! chromium-driver). With `HRIS_SYNC_SCREENSHOTS=1` it saves a screenshot of each screen
//! into `docs/images/`.
//!
//! Flows: export (base date → 同期待ち → filter to 新規登録 → two rows → 所属 and 雇用区分 →
//! preview → sync → both Created); import; stop then 再開 (resume) to completion; a page
//! closed mid-sync leaves a run that completes; a non-administrator is refused; a refused
//! CSRF token changes nothing; a run resigning many employees shows its run-level warning,
//! and its sync is refused until the warning is acknowledged.

mod browser;

use std::path::PathBuf;
use std::time::Duration;

use browser::{browser, serve, start_driver, Session, PATIENCE};
use fantoccini::Locator;
use hris_sync_core::{
    Actor, EmployeeSystem, EmployeeUpdate, Field, ReportQuery, RunStatus, SyncEngine,
};
use hris_sync_examples::console::{Demo, DemoOptions, DEMO_ADMIN};
use hris_sync_examples::vendor::Vendor;

async fn run_count(engine: &SyncEngine) -> usize {
    engine
        .list(&ReportQuery::latest(1000).with_discarded(true))
        .await
        .unwrap()
        .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_console_in_a_real_browser() {
    let Some(driver) = start_driver().await else {
        return;
    };
    let demo = Demo::start(&DemoOptions::default()).await.unwrap();
    let console = serve(
        demo.console(Actor::administrator(DEMO_ADMIN))
            .unwrap()
            .router(),
    )
    .await;
    let member_console = serve(
        demo.console(Actor::member("member@example.co.jp"))
            .unwrap()
            .router(),
    )
    .await;
    let profile = tempfile::tempdir().unwrap();
    let shots = std::env::var("HRIS_SYNC_SCREENSHOTS")
        .is_ok_and(|v| v == "1")
        .then(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs/images"));
    if let Some(dir) = &shots {
        std::fs::create_dir_all(dir).unwrap();
    }
    let session = Session {
        client: browser(&driver, profile.path()).await,
        console,
        shots,
    };

    export_two_new_employees(&session, &demo).await;
    import_every_new_employee(&session, &demo).await;
    stop_then_resume(&session, &demo).await;
    close_the_page_mid_sync(&session, &demo).await;
    refused_csrf_token_changes_nothing(&session, &demo).await;
    non_administrator_is_refused(&session, &demo, &member_console).await;
    mass_resignation_is_acknowledged(&session, &demo).await;

    session.goto("/").await;
    session
        .find("section[data-connection=kingoftime] tr[data-report]")
        .await;
    session.shot("1-dashboard").await;
    session.client.close().await.unwrap();
}

async fn export_two_new_employees(session: &Session, demo: &Demo) {
    let emulator = demo.emulator(Vendor::KingOfTime);
    session.goto("/").await;
    session.shot("0-dashboard-empty").await;
    session.fetch(Vendor::KingOfTime, "export", true).await;
    // Counts per kind, and Invalid rows without a check box.
    let invalid = session.all("tr[data-kind=invalid]").await;
    assert!(!invalid.is_empty(), "the data set has invalid employees");
    for row in &invalid {
        assert!(row
            .find_all(Locator::Css("input[name=sel]"))
            .await
            .unwrap()
            .is_empty());
    }
    session.filter(&["new"]).await;
    let rows = session.all("tr[data-kind]").await;
    assert_eq!(rows.len(), 10, "the data set has ten new hires");
    for row in &rows {
        assert_eq!(row.attr("data-kind").await.unwrap().as_deref(), Some("new"));
    }
    let mut picked = Vec::new();
    for row in &rows[..2] {
        row.find(Locator::Css("input[name=sel]"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        picked.push(row.attr("data-code").await.unwrap().unwrap());
    }
    session.shot("4-selection").await;
    session.click("#to-sync").await;
    session
        .creation_values(&["division", "employment_type"], true)
        .await;
    // The preview shows exactly the two creates, and nothing is sent yet.
    assert_eq!(session.codes("tr[data-write=create]").await, picked);
    assert!(session.all("tr[data-write=update]").await.is_empty());
    for code in &picked {
        assert!(
            emulator.employees_with_code(code).is_empty(),
            "{code} sent by the preview"
        );
    }
    session.shot("6-preview").await;
    session.click("#confirm-sync").await;
    session.wait_status(RunStatus::Completed).await;
    session.shot("7-report-completed").await;
    assert_eq!(session.codes("tr[data-outcome=created]").await, picked);
    assert_eq!(session.all("tr[data-outcome]").await.len(), 2);
    for code in &picked {
        assert_eq!(
            emulator.employees_with_code(code).len(),
            1,
            "{code} created once"
        );
    }
}

async fn import_every_new_employee(session: &Session, demo: &Demo) {
    session.fetch(Vendor::KingOfTime, "import", false).await;
    session.filter(&["new"]).await;
    let listed = session.codes("tr[data-kind=new]").await;
    assert!(!listed.is_empty());
    session.click("button[value=all]").await;
    session
        .find(&format!(
            "#selected-count[data-selected=\"{}\"]",
            listed.len()
        ))
        .await;
    session.click("#to-sync").await;
    session.creation_values(&["office"], false).await;
    assert_eq!(session.codes("tr[data-write=create]").await, listed);
    session.click("#confirm-sync").await;
    session.wait_status(RunStatus::Completed).await;
    assert_eq!(session.codes("tr[data-outcome=created]").await, listed);
    let records = demo
        .hr
        .list_employees(&hris_sync_core::ListOptions::all_records())
        .await
        .unwrap();
    for code in &listed {
        let found = records
            .iter()
            .filter(|r| r.employee.code.as_str() == code)
            .count();
        assert_eq!(found, 1, "{code} imported once");
    }
}

/// Selects every New and Changed employee of a fresh export and confirms the sync.
async fn sync_new_and_changed(session: &Session, vendor: Vendor) {
    session.fetch(vendor, "export", false).await;
    session.filter(&["new", "changed"]).await;
    session.click("button[value=all]").await;
    session.find("#selected-count[data-selected=\"19\"]").await;
    session.click("#to-sync").await;
    session
        .creation_values(&["division", "employment_type"], false)
        .await;
    session.click("#confirm-sync").await;
}

fn assert_one_record_per_code(demo: &Demo, vendor: Vendor) {
    let employees = demo.emulator(vendor).employees();
    let mut codes: Vec<_> = employees.iter().map(|e| e.code.clone()).collect();
    let all = codes.len();
    codes.sort();
    codes.dedup();
    assert_eq!(codes.len(), all, "a code was created twice in {vendor}");
}

async fn stop_then_resume(session: &Session, demo: &Demo) {
    let vendor = Vendor::TouchOnTime;
    let engine = demo.engine(vendor);
    // Slow writes, so the stop lands mid-sync.
    demo.emulator(vendor)
        .set_latency(Duration::from_millis(2000));
    sync_new_and_changed(session, vendor).await;
    session.wait_status(RunStatus::Syncing).await;
    session.find("#progress").await;
    session.shot("8-report-syncing").await;
    session.click("form[action$='/stop'] button").await;
    session.wait_status(RunStatus::Interrupted).await;
    let id = latest(engine).await;
    let stopped = engine.report(id).await.unwrap().outcome_counts();
    assert!(
        stopped.pending > 0,
        "the stop left the rest pending: {stopped:?}"
    );
    assert_eq!(stopped.selected(), 19);

    demo.emulator(vendor).set_latency(Duration::ZERO);
    session.click("form[action$='/resume'] button").await;
    session.wait_status(RunStatus::Completed).await;
    let done = engine.report(id).await.unwrap().outcome_counts();
    assert_eq!((done.created, done.updated, done.pending), (10, 9, 0));
    assert_one_record_per_code(demo, vendor);
}

async fn latest(engine: &SyncEngine) -> hris_sync_core::ReportId {
    engine.recent().await.unwrap()[0].id
}

async fn close_the_page_mid_sync(session: &Session, demo: &Demo) {
    let vendor = Vendor::Kinkakuji;
    let engine = demo.engine(vendor);
    demo.emulator(vendor)
        .set_latency(Duration::from_millis(1000));
    sync_new_and_changed(session, vendor).await;
    // Close the page at once: open another window, close this one.
    let other = session.client.new_window(true).await.unwrap();
    session.client.close_window().await.unwrap();
    session.client.switch_to_window(other.handle).await.unwrap();
    let id = latest(engine).await;
    let at_close = engine.report(id).await.unwrap();
    assert_eq!(
        at_close.summary.status,
        RunStatus::Syncing,
        "closed mid-sync"
    );
    assert!(at_close.outcome_counts().pending > 0, "closed mid-sync");
    let started = std::time::Instant::now();
    let status = loop {
        let status = engine.summary(id).await.unwrap().status;
        if status != RunStatus::Syncing {
            break status;
        }
        assert!(started.elapsed() < PATIENCE, "the run never ended");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(
        status,
        RunStatus::Completed,
        "the engine finished the run alone"
    );
    let counts = engine.report(id).await.unwrap().outcome_counts();
    assert_eq!((counts.created, counts.updated, counts.pending), (10, 9, 0));
    assert_one_record_per_code(demo, vendor);
}

async fn refused_csrf_token_changes_nothing(session: &Session, demo: &Demo) {
    let engine = demo.engine(Vendor::KingOfTime);
    let before = run_count(engine).await;
    session.goto("/c/kingoftime/start/export").await;
    session.find("input#base_date").await;
    session
        .client
        .execute(
            "document.querySelector('input[name=csrf]').value = 'f'.repeat(64);",
            vec![],
        )
        .await
        .unwrap();
    session.click("main form button[type=submit]").await;
    session.find("main p").await;
    assert!(session.body_text().await.contains("何も変更していません"));
    assert_eq!(
        run_count(engine).await,
        before,
        "a forged form started a run"
    );
}

async fn non_administrator_is_refused(session: &Session, demo: &Demo, member_console: &str) {
    let engine = demo.engine(Vendor::KingOfTime);
    let before = run_count(engine).await;
    for path in ["/", "/c/kingoftime/start/export", "/c/kingoftime/settings"] {
        session
            .client
            .goto(&format!("{member_console}{path}"))
            .await
            .unwrap();
        let text = session.body_text().await;
        assert!(text.contains("権限がありません"), "{path}: {text}");
        assert!(session.all("form").await.is_empty());
    }
    assert_eq!(run_count(engine).await, before);
}

/// Ten HR employees get a resignation date next month (20 % of the target's enrolled ones,
/// over the guard's 10 %): the selection shows the run's warning, a confirmation without
/// the acknowledgement is refused on the preview with nothing sent, and with it the sync
/// completes.
async fn mass_resignation_is_acknowledged(session: &Session, demo: &Demo) {
    let vendor = Vendor::Kinkakuji;
    let engine = demo.engine(vendor);
    let next_month = engine
        .clock()
        .today_in_japan()
        .checked_add_days(chrono::Days::new(30))
        .unwrap();
    let codes: Vec<String> = (1001..=1010).map(|n| n.to_string()).collect();
    for record in demo.hr.records() {
        if codes.contains(&record.employee.code.as_str().to_owned()) {
            let resigning = record.employee.clone().with_resignation_date(next_month);
            let update = EmployeeUpdate::from_fields(&resigning, [Field::ResignationDate]);
            demo.hr.update_employee(&record.id, &update).await.unwrap();
        }
    }
    session.fetch(vendor, "export", false).await;
    let warning = session
        .find("#run-warnings li[data-warning=mass_resignation]")
        .await;
    assert!(warning.text().await.unwrap().contains("大量の退職"));
    session.shot("9-run-warning").await;
    session.filter(&["changed"]).await;
    session.click("button[name=action][value=all]").await;
    session.click("#to-sync").await;
    session.find("#acknowledge").await;
    let id = latest(engine).await;
    session.click("#confirm-sync").await;
    let refusal = session.find("#refusal").await;
    assert!(refusal
        .text()
        .await
        .unwrap()
        .contains("何も送信していません"));
    assert_eq!(
        engine.summary(id).await.unwrap().status,
        RunStatus::AwaitingSync
    );
    session.click("#acknowledge").await;
    session.click("#confirm-sync").await;
    session.wait_status(RunStatus::Completed).await;
    let counts = engine.report(id).await.unwrap().outcome_counts();
    assert_eq!((counts.updated, counts.pending), (10, 0));
}
