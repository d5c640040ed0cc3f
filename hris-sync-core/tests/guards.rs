//! The guards against mass damage, through the engine's public API: mass clearing, everything
//! new, mass resignation. Each test also runs the same data with the guard off, so it shows
//! that the guard (and not something else) made the difference.

use std::sync::Arc;

use chrono::NaiveDate;
use hris_sync_core::guards::{LookAlike, MassResignationGuard, Share};
use hris_sync_core::{
    Actor, ApplyRequest, ChangeKind, Direction, Employee, Field, FixedClock, Gender, Guards,
    InMemorySystem, MasterKind, Outcome, Placement, RunStatus, RunWarning, Selection, SyncEngine,
    SyncError, SyncOptions, SyncReport,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn admin() -> Actor {
    Actor::administrator("admin-1")
}

fn person(code: &str) -> Employee {
    Employee::new(code)
        .with_name("山田", "太郎")
        .with_kana("ヤマダ", "タロウ")
        .with_gender(Gender::Male)
        .with_birth_date(d(1990, 5, 1))
        .with_hire_date(d(2020, 4, 1))
        .with_email(format!("e{code}@example.jp"))
}

fn placement() -> Placement {
    Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

struct World {
    hr: InMemorySystem,
    attendance: InMemorySystem,
    engine: SyncEngine,
}

/// Two empty systems and an engine with these guards, on 2025-06-02 in Japan.
fn world(guards: Guards) -> World {
    let hr = InMemorySystem::hr("HR (memory)");
    let attendance = InMemorySystem::attendance("Attendance (memory)")
        .with_master(MasterKind::Division, "1000", "本社")
        .with_master(MasterKind::EmploymentType, "1", "正社員");
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr.clone()))
        .with_attendance(Arc::new(attendance.clone()))
        .with_clock(Arc::new(FixedClock::at_japan_time(2025, 6, 2, 10, 30)))
        .with_options(SyncOptions::default().with_guards(guards))
        .build()
        .unwrap();
    World {
        hr,
        attendance,
        engine,
    }
}

async fn export(w: &World) -> SyncReport {
    let report = w
        .engine
        .fetch(Direction::Export, d(2025, 6, 1), &admin())
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    report
}

fn email_of(system: &InMemorySystem, code: &str) -> Option<String> {
    system
        .records()
        .into_iter()
        .find(|record| record.employee.code.as_str() == code)
        .and_then(|record| record.employee.email)
}

/// Twelve employees on both sides; the HR side returns no email for any of them (a token
/// without the right to read it), and employee 1 has a new surname.
fn seed_unreadable_emails(w: &World) {
    for n in 1..=12 {
        let code = n.to_string();
        w.attendance.insert(person(&code), placement());
        let mut theirs = Employee {
            email: None,
            ..person(&code)
        };
        if n == 1 {
            theirs.last_name = Some("佐藤".into());
        }
        w.hr.insert(theirs, Placement::new());
    }
}

#[tokio::test]
async fn mass_clearing_holds_the_clears_back_and_sends_the_rest() {
    let w = world(Guards::default());
    seed_unreadable_emails(&w);
    let report = export(&w).await;
    assert_eq!(
        report.summary.warnings,
        [RunWarning::MassClearing {
            field: Field::Email,
            empty_in_source: 12,
            listed: 12,
            held_by_target: 12,
        }]
    );
    // Employee 1 is Changed on its surname only; the others are Unchanged, each saying why
    // its email stays.
    assert_eq!(report.summary.counts.changed, 1);
    assert_eq!(report.summary.counts.unchanged, 11);
    let fields: Vec<Field> = report.entries[0]
        .differences
        .iter()
        .map(|difference| difference.field)
        .collect();
    assert_eq!(fields, [Field::LastName]);
    assert!(report.entries[5].warnings[0]
        .message
        .contains("mass-clearing guard"));
    assert!(report.to_string().contains("run warning: mass clearing"));

    let applied = w
        .engine
        .apply(
            report.summary.id,
            ApplyRequest::new(Selection::new_and_changed()),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(applied.summary.status, RunStatus::Completed);
    // The apply compares against a fresh read: the clear stays held back there too.
    assert_eq!(
        applied.entries[0].outcome,
        Some(Outcome::Updated {
            fields: vec![Field::LastName]
        })
    );
    for n in 1..=12 {
        let code = n.to_string();
        assert_eq!(email_of(&w.attendance, &code), person(&code).email);
    }
    // The warning stays on the stored report after the apply.
    assert_eq!(applied.summary.warnings.len(), 1);
}

#[tokio::test]
async fn mass_clearing_off_sends_every_clear() {
    let w = world(Guards::default().with_mass_clearing(None));
    seed_unreadable_emails(&w);
    let report = export(&w).await;
    assert!(report.summary.warnings.is_empty());
    assert_eq!(report.summary.counts.changed, 12);
    w.engine
        .apply(
            report.summary.id,
            ApplyRequest::new(Selection::new_and_changed()),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(email_of(&w.attendance, "5"), None);
}

/// The target numbers its twelve employees 1..12, the HR system 0001..0012.
fn seed_renumbered(w: &World) {
    for n in 1..=12 {
        w.attendance.insert(person(&n.to_string()), placement());
        w.hr.insert(person(&format!("{n:04}")), Placement::new());
    }
}

#[tokio::test]
async fn everything_new_warns_with_a_look_alike_pair() {
    let w = world(Guards::default());
    seed_renumbered(&w);
    let report = export(&w).await;
    assert_eq!(report.summary.counts.new, 12);
    assert_eq!(
        report.summary.warnings,
        [RunWarning::EverythingNew {
            new: 12,
            listed: 12,
            target_size: 12,
            look_alikes: 12,
            example: Some(LookAlike {
                source: "0001".into(),
                target: "1".into(),
            }),
        }]
    );
    let text = report.summary.warnings[0].to_string();
    assert!(text.contains("source \"0001\" and target \"1\""), "{text}");

    let unguarded = world(Guards::default().with_everything_new(None));
    seed_renumbered(&unguarded);
    assert!(export(&unguarded).await.summary.warnings.is_empty());
}

/// Twenty enrolled employees on both sides (and two who left long ago); the HR side gives
/// the first `resigning` of them a resignation date at the end of the month.
fn seed_resignations(w: &World, resigning: usize) {
    for n in 1..=20 {
        let code = n.to_string();
        w.attendance.insert(person(&code), placement());
        let mut ours = person(&code);
        if n <= resigning {
            ours.resignation_date = Some(d(2025, 6, 30));
        }
        w.hr.insert(ours, Placement::new());
    }
    for code in ["91", "92"] {
        w.attendance.insert(
            person(code).with_resignation_date(d(2024, 3, 31)),
            placement(),
        );
    }
}

fn resigned(system: &InMemorySystem) -> usize {
    system
        .records()
        .iter()
        .filter(|record| record.employee.resignation_date == Some(d(2025, 6, 30)))
        .count()
}

#[tokio::test]
async fn mass_resignation_is_refused_until_acknowledged() {
    let w = world(Guards::default());
    seed_resignations(&w, 6);
    let report = export(&w).await;
    assert_eq!(
        report.summary.warnings,
        [RunWarning::MassResignation {
            count: 6,
            enrolled: 20,
            share: Share::percent(30),
        }]
    );
    let id = report.summary.id;

    let refused = w
        .engine
        .apply(
            id,
            ApplyRequest::new(Selection::new_and_changed()),
            &admin(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            refused,
            SyncError::MassResignationNotAcknowledged {
                count: 6,
                enrolled: 20,
                ..
            }
        ),
        "{refused}"
    );
    assert!(!refused.is_retryable());
    assert!(refused.to_string().contains("acknowledging"), "{refused}");
    // Nothing recorded, nothing written; the preview refuses the same way.
    assert_eq!(
        w.engine.report(id).await.unwrap().summary.status,
        RunStatus::AwaitingSync
    );
    assert_eq!(resigned(&w.attendance), 0);
    assert!(w
        .engine
        .preview(id, &ApplyRequest::new(Selection::new_and_changed()))
        .await
        .is_err());

    // A part of the selection below the threshold needs no acknowledgement...
    let small = ApplyRequest::new(Selection::codes(["1", "2"]));
    assert_eq!(w.engine.preview(id, &small).await.unwrap().len(), 2);

    // ... and the whole one goes through once acknowledged.
    let applied = w
        .engine
        .apply(
            id,
            ApplyRequest::new(Selection::new_and_changed()).acknowledging_mass_resignation(),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(applied.summary.status, RunStatus::Completed);
    assert_eq!(resigned(&w.attendance), 6);
}

#[tokio::test]
async fn mass_resignation_thresholds_are_configurable() {
    // Off: no warning, no refusal.
    let w = world(Guards::default().with_mass_resignation(None));
    seed_resignations(&w, 6);
    let report = export(&w).await;
    assert!(report.summary.warnings.is_empty());
    w.engine
        .apply(
            report.summary.id,
            ApplyRequest::new(Selection::new_and_changed()),
            &admin(),
        )
        .await
        .unwrap();
    assert_eq!(resigned(&w.attendance), 6);

    // Stricter: two of twenty (10 %) is over a 5 % threshold with a minimum of two.
    let w = world(
        Guards::default()
            .with_mass_resignation(Some(MassResignationGuard::new(Share::percent(5), 2))),
    );
    seed_resignations(&w, 2);
    let report = export(&w).await;
    assert_eq!(report.summary.warnings.len(), 1);
    let kinds: Vec<ChangeKind> = report.entries.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == ChangeKind::Changed).count(),
        2
    );
    assert!(matches!(
        w.engine
            .apply(
                report.summary.id,
                ApplyRequest::new(Selection::new_and_changed()),
                &admin(),
            )
            .await,
        Err(SyncError::MassResignationNotAcknowledged { count: 2, .. })
    ));
}
