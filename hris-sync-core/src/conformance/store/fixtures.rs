//! Fixtures of the store contract suite, public so that a store's own tests can build the
//! same reports.

use std::collections::BTreeMap;

use crate::{
    Actor, ChangeKind, ClaimToken, Direction, Employee, EmployeeCode, Field, FieldDifference,
    FieldValue, Gender, InvalidReason, KindCounts, Lease, MasterEntry, MasterKind, Outcome,
    Placement, ProgressBatch, RecordId, ReportEntry, ReportId, ReportStore, ReportSummary,
    RunStatus, StoreError, Warning,
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

/// A point in time `seconds` after a fixed origin.
pub fn at(seconds: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 4, 1, 0, 0, 0).unwrap() + chrono::Duration::seconds(seconds)
}

/// A fresh report header created at `created_at`.
pub fn summary_at(created_at: DateTime<Utc>) -> ReportSummary {
    ReportSummary {
        id: ReportId::new(),
        vendor: "KING OF TIME".into(),
        hr_system: "in-memory HR".into(),
        direction: Direction::Export,
        base_date: NaiveDate::from_ymd_opt(2025, 4, 1).unwrap(),
        actor: Actor::administrator("admin-1"),
        applied_by: None,
        created_at,
        updated_at: created_at,
        status: RunStatus::AwaitingSync,
        failure: None,
        counts: KindCounts::default(),
        lease: None,
        stop_requested: None,
        warnings: Vec::new(),
    }
}

/// `summary` as an applier claims it: Syncing, under a fresh lease with a new token.
pub fn syncing(summary: &ReportSummary) -> (ReportSummary, ClaimToken) {
    let token = ClaimToken::new();
    let claimed = ReportSummary {
        status: RunStatus::Syncing,
        lease: Some(Lease {
            token,
            holder: "test engine".into(),
            renewed_at: summary.updated_at,
            expires_at: summary.updated_at + chrono::Duration::minutes(1),
        }),
        ..summary.clone()
    };
    (claimed, token)
}

/// Selects `indices` of an AwaitingSync report and claims it; returns the claimed summary
/// and the claim.
pub async fn select(
    store: &dyn ReportStore,
    summary: &ReportSummary,
    indices: &[usize],
) -> (ReportSummary, ClaimToken) {
    let (claimed, token) = syncing(summary);
    store
        .save_selection(&claimed, &Placement::new(), indices)
        .await
        .unwrap();
    (claimed, token)
}

/// Records one outcome under a claim.
pub async fn record(
    store: &dyn ReportStore,
    id: ReportId,
    claim: ClaimToken,
    index: usize,
    outcome: Outcome,
) -> Result<(), StoreError> {
    let batch = ProgressBatch {
        intents: Vec::new(),
        outcomes: vec![(index, outcome)],
        withdrawn: Vec::new(),
    };
    store.record_progress(id, claim, &batch).await
}

/// A fresh report header.
pub fn summary() -> ReportSummary {
    summary_at(at(0))
}

/// `len` entries cycling through every kind, with differences, warnings and an invalid
/// reason where they belong, and no outcome.
pub fn entries(len: usize) -> Vec<ReportEntry> {
    (0..len)
        .map(|n| {
            let code = format!("E{n:06}");
            let kind = ChangeKind::ALL[n % ChangeKind::ALL.len()];
            let employee = Employee::new(code.as_str())
                .with_name("山田", format!("太郎{n}"))
                .with_kana("ヤマダ", "タロウ")
                .with_gender(Gender::Male)
                .with_hire_date(NaiveDate::from_ymd_opt(2020, 4, 1).unwrap())
                .with_email(format!("taro{n}@example.com"));
            ReportEntry {
                code: EmployeeCode::new(code.as_str()),
                kind,
                invalid_reason: (kind == ChangeKind::Invalid).then_some(
                    InvalidReason::MissingRequiredField {
                        field: Field::Gender,
                    },
                ),
                differences: if kind == ChangeKind::Changed {
                    vec![FieldDifference {
                        field: Field::Email,
                        target: Some(FieldValue::Text("old@example.com".into())),
                        source: Some(FieldValue::Text(format!("taro{n}@example.com"))),
                    }]
                } else {
                    Vec::new()
                },
                warnings: if n % 7 == 0 {
                    vec![Warning {
                        field: Field::LastName,
                        message: "machine-dependent character ①".into(),
                    }]
                } else {
                    Vec::new()
                },
                employee,
                target_id: matches!(kind, ChangeKind::Changed | ChangeKind::Unchanged)
                    .then(|| RecordId::new(format!("rec-{n}"))),
                outcome: None,
                intent: None,
            }
        })
        .collect()
}

/// A division list and an employment-type list.
pub fn masters() -> BTreeMap<MasterKind, Vec<MasterEntry>> {
    BTreeMap::from([
        (
            MasterKind::Division,
            vec![
                MasterEntry::new("1000", "本社"),
                MasterEntry::new("2000", "大阪支社"),
            ],
        ),
        (
            MasterKind::EmploymentType,
            vec![MasterEntry::new("1", "正社員")],
        ),
    ])
}

/// The outcome the tests record for entry `index`.
pub fn created(index: usize) -> Outcome {
    Outcome::Created {
        id: RecordId::new(format!("R{index}")),
    }
}

/// The outcome of every entry of a stored report, in order.
pub async fn outcomes(store: &dyn ReportStore, id: ReportId) -> Vec<Option<Outcome>> {
    store
        .load(id)
        .await
        .unwrap()
        .unwrap()
        .entries
        .into_iter()
        .map(|entry| entry.outcome)
        .collect()
}
