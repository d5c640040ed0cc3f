//! Sync reports (連携レポート, SPEC R13): the record of one run, which is also its plan
//! (B2) and the unit of durability: the classified list and every outcome live in it, so
//! resume and audit need nothing else.

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::actor::Actor;
use crate::guards::RunWarning;
use crate::model::{
    Employee, EmployeeCode, Field, FieldValue, MasterEntry, MasterKind, Placement, RecordId,
};
use crate::system::Side;

/// A report's id. Ids sort in creation order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReportId(Uuid);

impl ReportId {
    /// A fresh, time-ordered id.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// The id as a UUID.
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for ReportId {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ReportId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl std::str::FromStr for ReportId {
    type Err = uuid::Error;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Uuid::parse_str(text).map(Self)
    }
}

/// Which way a run syncs (SPEC R1). The algorithm is one; the direction only decides which
/// side is the source and which the target.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// HR → attendance.
    Export,
    /// Attendance → HR.
    Import,
}

impl Direction {
    /// The side read as the source.
    pub fn source(self) -> Side {
        match self {
            Direction::Export => Side::Hr,
            Direction::Import => Side::Attendance,
        }
    }

    /// The side written as the target.
    pub fn target(self) -> Side {
        match self {
            Direction::Export => Side::Attendance,
            Direction::Import => Side::Hr,
        }
    }
}

impl fmt::Display for Direction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Direction::Export => "export",
            Direction::Import => "import",
        })
    }
}

/// Where a run stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// 取得中: the lists are being read.
    Fetching,
    /// 同期待ち: classified; waiting for a selection. The report is the preview.
    AwaitingSync,
    /// 同期中: writes are being sent.
    Syncing,
    /// Apply stopped before every selected employee had an outcome (maintenance window, lost
    /// connection, the process ended); resuming continues with the Pending ones.
    Interrupted,
    /// 完了: every selected employee was created, updated or skipped.
    Completed,
    /// Done, but some employees failed.
    CompletedWithErrors,
    /// The run failed as a whole (see the report's failure).
    Failed,
    /// Never applied, and put aside by an administrator (a dry run, a refused selection):
    /// kept for audit, left out of "recent" unless asked for.
    Discarded,
}

impl RunStatus {
    /// Whether the run can change no more.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RunStatus::Completed
                | RunStatus::CompletedWithErrors
                | RunStatus::Failed
                | RunStatus::Discarded
        )
    }

    /// The status's stable name.
    pub fn name(self) -> &'static str {
        match self {
            RunStatus::Fetching => "fetching",
            RunStatus::AwaitingSync => "awaiting_sync",
            RunStatus::Syncing => "syncing",
            RunStatus::Interrupted => "interrupted",
            RunStatus::Completed => "completed",
            RunStatus::CompletedWithErrors => "completed_with_errors",
            RunStatus::Failed => "failed",
            RunStatus::Discarded => "discarded",
        }
    }

    /// Parses [`RunStatus::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        [
            RunStatus::Fetching,
            RunStatus::AwaitingSync,
            RunStatus::Syncing,
            RunStatus::Interrupted,
            RunStatus::Completed,
            RunStatus::CompletedWithErrors,
            RunStatus::Failed,
            RunStatus::Discarded,
        ]
        .into_iter()
        .find(|status| status.name() == name)
    }
}

impl fmt::Display for RunStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// How a source employee compares with the target (変更差分, SPEC R5).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeKind {
    /// 新規登録: no target record has this code.
    New,
    /// 差分あり: at least one synced field differs.
    Changed,
    /// 差分なし: nothing differs.
    Unchanged,
    /// Cannot be synced; see the entry's reason. Never selectable.
    Invalid,
}

impl ChangeKind {
    /// Every kind.
    pub const ALL: [ChangeKind; 4] = [
        ChangeKind::New,
        ChangeKind::Changed,
        ChangeKind::Unchanged,
        ChangeKind::Invalid,
    ];
}

impl fmt::Display for ChangeKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ChangeKind::New => "new",
            ChangeKind::Changed => "changed",
            ChangeKind::Unchanged => "unchanged",
            ChangeKind::Invalid => "invalid",
        })
    }
}

/// Why an employee cannot be synced (SPEC R5, S3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum InvalidReason {
    /// The employee code is empty.
    EmptyCode,
    /// The code appears more than once in the source.
    DuplicateInSource {
        /// How many source records carry it.
        count: usize,
    },
    /// The code appears more than once in the target, so the match is ambiguous.
    DuplicateInTarget {
        /// How many target records carry it.
        count: usize,
    },
    /// A field the target requires is missing.
    MissingRequiredField {
        /// The field.
        field: Field,
    },
    /// A value the target would certainly refuse (a malformed email, an over-long name …).
    InvalidValue {
        /// The field.
        field: Field,
        /// Why it would be refused.
        message: String,
    },
}

impl fmt::Display for InvalidReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidReason::EmptyCode => f.write_str("the employee code is empty"),
            InvalidReason::DuplicateInSource { count } => {
                write!(f, "the code appears {count} times in the source")
            }
            InvalidReason::DuplicateInTarget { count } => {
                write!(f, "the code appears {count} times in the target")
            }
            InvalidReason::MissingRequiredField { field } => {
                write!(f, "{field} is required by the target and missing")
            }
            InvalidReason::InvalidValue { field, message } => write!(f, "{field}: {message}"),
        }
    }
}

/// A value the target may refuse; shown to the administrator, does not block the sync (B1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Warning {
    /// The field.
    pub field: Field,
    /// What may be refused, and why.
    pub message: String,
}

/// One field that differs: the target's value now, and the source's value it would get.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDifference {
    /// The field.
    pub field: Field,
    /// The target's current value.
    pub target: Option<FieldValue>,
    /// The source's value.
    pub source: Option<FieldValue>,
}

/// What apply did for one selected employee (SPEC R10).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum Outcome {
    /// Selected, not done yet; resume continues it.
    Pending,
    /// Created in the target.
    Created {
        /// The new record's id.
        id: RecordId,
    },
    /// Updated in the target (only the fields listed).
    Updated {
        /// The fields sent.
        fields: Vec<Field>,
    },
    /// Nothing sent.
    Skipped {
        /// Why.
        reason: String,
    },
    /// The target refused or the request failed for good.
    Failed {
        /// What went wrong (no personal data beyond the code).
        reason: String,
    },
}

impl Outcome {
    /// Whether the outcome is final (anything but Pending).
    pub fn is_final(&self) -> bool {
        !matches!(self, Outcome::Pending)
    }

    /// The outcome's stable name.
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Pending => "pending",
            Outcome::Created { .. } => "created",
            Outcome::Updated { .. } => "updated",
            Outcome::Skipped { .. } => "skipped",
            Outcome::Failed { .. } => "failed",
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Skipped { reason } | Outcome::Failed { reason } => {
                write!(f, "{} ({reason})", self.name())
            }
            _ => f.write_str(self.name()),
        }
    }
}

/// A write this run is about to send for one entry, recorded durably *before* it goes out
/// (SPEC S5), so that after a crash resume can tell "this run sent it" from "someone else
/// did": a New employee found in the target with a `Create` intent was created by this run.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "intent", rename_all = "snake_case")]
pub enum WriteIntent {
    /// A create of the entry's employee.
    Create,
    /// An update of these fields of the matched record.
    Update {
        /// The fields sent.
        fields: Vec<Field>,
    },
}

/// One listed source employee: its classification, differences, warnings, and — once
/// selected — its outcome.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportEntry {
    /// The employee code as the source holds it.
    pub code: EmployeeCode,
    /// The classification.
    pub kind: ChangeKind,
    /// Why the entry is Invalid.
    pub invalid_reason: Option<InvalidReason>,
    /// The differing fields (Changed only).
    pub differences: Vec<FieldDifference>,
    /// Values the target may refuse.
    pub warnings: Vec<Warning>,
    /// The employee as it would be sent (business name applied on export where configured).
    pub employee: Employee,
    /// The matched target record (Changed and Unchanged).
    pub target_id: Option<RecordId>,
    /// The outcome; `None` when not selected.
    pub outcome: Option<Outcome>,
    /// The last write this run recorded before sending it (see [`WriteIntent`]); `None` when
    /// none was sent.
    #[serde(default)]
    pub intent: Option<WriteIntent>,
}

impl ReportEntry {
    /// Whether the administrator may select this entry.
    pub fn is_selectable(&self) -> bool {
        self.kind != ChangeKind::Invalid
    }
}

/// Counts per change kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KindCounts {
    /// New.
    pub new: usize,
    /// Changed.
    pub changed: usize,
    /// Unchanged.
    pub unchanged: usize,
    /// Invalid.
    pub invalid: usize,
}

impl KindCounts {
    /// Counts the kinds of `entries`.
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a ReportEntry>) -> Self {
        let mut counts = Self::default();
        for entry in entries {
            match entry.kind {
                ChangeKind::New => counts.new += 1,
                ChangeKind::Changed => counts.changed += 1,
                ChangeKind::Unchanged => counts.unchanged += 1,
                ChangeKind::Invalid => counts.invalid += 1,
            }
        }
        counts
    }

    /// The count of one kind.
    pub fn get(&self, kind: ChangeKind) -> usize {
        match kind {
            ChangeKind::New => self.new,
            ChangeKind::Changed => self.changed,
            ChangeKind::Unchanged => self.unchanged,
            ChangeKind::Invalid => self.invalid,
        }
    }

    /// All entries.
    pub fn total(&self) -> usize {
        self.new + self.changed + self.unchanged + self.invalid
    }
}

/// Counts per outcome among the selected entries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutcomeCounts {
    /// Not done yet.
    pub pending: usize,
    /// Created.
    pub created: usize,
    /// Updated.
    pub updated: usize,
    /// Skipped.
    pub skipped: usize,
    /// Failed.
    pub failed: usize,
}

impl OutcomeCounts {
    /// Counts the outcomes of `entries` (unselected entries are not counted).
    pub fn of<'a>(entries: impl IntoIterator<Item = &'a ReportEntry>) -> Self {
        let mut counts = Self::default();
        for outcome in entries
            .into_iter()
            .filter_map(|entry| entry.outcome.as_ref())
        {
            match outcome {
                Outcome::Pending => counts.pending += 1,
                Outcome::Created { .. } => counts.created += 1,
                Outcome::Updated { .. } => counts.updated += 1,
                Outcome::Skipped { .. } => counts.skipped += 1,
                Outcome::Failed { .. } => counts.failed += 1,
            }
        }
        counts
    }

    /// Selected entries.
    pub fn selected(&self) -> usize {
        self.pending + self.created + self.updated + self.skipped + self.failed
    }
}

/// Identifies one claim on a run: the token an applying engine holds while it works on a
/// report. Every write the applier makes to the report is conditional on still holding it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ClaimToken(Uuid);

impl ClaimToken {
    /// A fresh token.
    pub fn new() -> Self {
        Self(Uuid::now_v7())
    }

    /// The token as a UUID (how a store outside this crate keeps it in a column).
    pub fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl Default for ClaimToken {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Display for ClaimToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The lease an applying engine holds on a Syncing run (SPEC S5). It renews the lease while
/// it runs; a run whose lease has expired can be declared abandoned and taken over, and the
/// old holder's writes are then refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lease {
    /// The claim.
    pub token: ClaimToken,
    /// Who holds it: the engine's instance name (process and host), for the administrator.
    pub holder: String,
    /// When the holder last renewed it.
    pub renewed_at: DateTime<Utc>,
    /// Until when it holds without another renewal.
    pub expires_at: DateTime<Utc>,
}

impl Lease {
    /// Whether the lease still holds at `now`.
    pub fn is_fresh_at(&self, now: DateTime<Utc>) -> bool {
        now < self.expires_at
    }
}

/// A report's header: everything but the entries. What listings return.
///
/// Stores keep it as one JSON document; the fields added later (the lease, the stop request,
/// the run warnings) have a serde default, so summaries stored before them still load.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportSummary {
    /// The id.
    pub id: ReportId,
    /// The attendance system's name (the vendor).
    pub vendor: String,
    /// The HR system's name.
    pub hr_system: String,
    /// Which way.
    pub direction: Direction,
    /// The base date.
    pub base_date: NaiveDate,
    /// Who started it.
    pub actor: Actor,
    /// Who applied (or last resumed) it.
    pub applied_by: Option<Actor>,
    /// When it started.
    pub created_at: DateTime<Utc>,
    /// When it last changed.
    pub updated_at: DateTime<Utc>,
    /// Where it stands.
    pub status: RunStatus,
    /// Why it failed or was interrupted.
    pub failure: Option<String>,
    /// Counts per change kind (zero while fetching).
    pub counts: KindCounts,
    /// The applying engine's lease while the run is Syncing.
    #[serde(default)]
    pub lease: Option<Lease>,
    /// Who asked a Syncing run to stop, when somebody did: the applier stops sending at its
    /// next lease renewal (see `SyncEngine::stop`).
    #[serde(default)]
    pub stop_requested: Option<String>,
    /// What the guards against mass damage found when the run was fetched
    /// ([`guards`](crate::guards)); empty for runs stored before there were guards.
    #[serde(default)]
    pub warnings: Vec<RunWarning>,
}

/// A whole report: header, what the run fetched for validation, and every entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncReport {
    /// The header.
    pub summary: ReportSummary,
    /// The target's master lists, as fetched with the plan, for choosing creation values.
    pub masters: BTreeMap<MasterKind, Vec<MasterEntry>>,
    /// The creation values given at apply.
    pub placement: Option<Placement>,
    /// Every listed source employee, in the source's order.
    pub entries: Vec<ReportEntry>,
}

impl SyncReport {
    /// The entries of the given kinds (an empty set means all), in order.
    ///
    /// ```
    /// # fn show(report: &hris_sync_core::SyncReport) {
    /// use hris_sync_core::ChangeKind;
    /// for entry in report.entries_of(&[ChangeKind::New, ChangeKind::Changed]) {
    ///     println!("{} {}", entry.code, entry.kind);
    /// }
    /// # }
    /// ```
    pub fn entries_of<'a>(
        &'a self,
        kinds: &'a [ChangeKind],
    ) -> impl Iterator<Item = &'a ReportEntry> + 'a {
        self.entries
            .iter()
            .filter(move |entry| kinds.is_empty() || kinds.contains(&entry.kind))
    }

    /// The entry for a code (as the source holds it).
    pub fn entry(&self, code: &EmployeeCode) -> Option<&ReportEntry> {
        self.entries.iter().find(|entry| &entry.code == code)
    }

    /// Counts per outcome among the selected entries.
    pub fn outcome_counts(&self) -> OutcomeCounts {
        OutcomeCounts::of(&self.entries)
    }
}

impl fmt::Display for SyncReport {
    /// A plain-text rendering for terminals and logs: header, counts, then one line per
    /// entry with its differences, warnings and outcome.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = &self.summary;
        writeln!(
            f,
            "Sync report {} — {} {} (HR: {}), base date {}",
            s.id, s.vendor, s.direction, s.hr_system, s.base_date
        )?;
        writeln!(
            f,
            "  status {}; started {} by {}",
            s.status,
            s.created_at.format("%Y-%m-%d %H:%M:%S UTC"),
            s.actor.id
        )?;
        if let Some(applied_by) = &s.applied_by {
            writeln!(
                f,
                "  applied by {}; last change {}",
                applied_by.id,
                s.updated_at.format("%Y-%m-%d %H:%M:%S UTC")
            )?;
        }
        if let Some(failure) = &s.failure {
            writeln!(f, "  reason: {failure}")?;
        }
        writeln!(
            f,
            "  new {}, changed {}, unchanged {}, invalid {}",
            s.counts.new, s.counts.changed, s.counts.unchanged, s.counts.invalid
        )?;
        for warning in &s.warnings {
            writeln!(f, "  run warning: {warning}")?;
        }
        let outcomes = self.outcome_counts();
        if outcomes.selected() > 0 {
            writeln!(
                f,
                "  selected {}: created {}, updated {}, skipped {}, failed {}, pending {}",
                outcomes.selected(),
                outcomes.created,
                outcomes.updated,
                outcomes.skipped,
                outcomes.failed,
                outcomes.pending
            )?;
        }
        for entry in &self.entries {
            write!(
                f,
                "  {:<12} {:<9}",
                entry.code.as_str(),
                entry.kind.to_string()
            )?;
            if let Some(outcome) = &entry.outcome {
                write!(f, " → {outcome}")?;
            }
            if let Some(reason) = &entry.invalid_reason {
                write!(f, " ({reason})")?;
            }
            writeln!(f)?;
            for difference in &entry.differences {
                let show = |value: &Option<FieldValue>| {
                    value
                        .as_ref()
                        .map_or("(empty)".to_owned(), ToString::to_string)
                };
                writeln!(
                    f,
                    "      {}: {} → {}",
                    difference.field,
                    show(&difference.target),
                    show(&difference.source)
                )?;
            }
            for warning in &entry.warnings {
                writeln!(f, "      warning: {}: {}", warning.field, warning.message)?;
            }
        }
        Ok(())
    }
}
