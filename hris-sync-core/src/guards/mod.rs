//! Guards against mass damage: the run-level checks that catch a whole list going wrong,
//! where every single employee looks plausible on its own.
//!
//! Each guard is on by default, has its thresholds in [`Guards`] (part of
//! [`SyncOptions`](crate::SyncOptions)), and reports what it found as a [`RunWarning`] on
//! the report's summary ([`ReportSummary::warnings`](crate::ReportSummary::warnings)):
//!
//! | guard | fires when | what the run does |
//! |---|---|---|
//! | [mass clearing](MassClearingGuard) | a field is empty for nearly every listed source employee while the target holds it for many of them | does not send those clears (the employees stay Changed or Unchanged on their other fields) |
//! | [everything new](EverythingNewGuard) | most listed employees are New while the target already holds many records | warns, with an example pair of codes that look alike once leading zeros and blanks are stripped |
//! | [mass resignation](MassResignationGuard) | the run would set a resignation date on more than a share of the target's enrolled employees | warns; apply refuses such a selection unless the request acknowledges it ([`ApplyRequest::acknowledging_mass_resignation`](crate::ApplyRequest::acknowledging_mass_resignation)) |
//!
//! ```
//! use hris_sync_core::guards::{Guards, MassResignationGuard, Share};
//! use hris_sync_core::SyncOptions;
//!
//! // Every guard on, with a stricter resignation threshold.
//! let options = SyncOptions::default().with_guards(
//!     Guards::default()
//!         .with_mass_resignation(Some(MassResignationGuard::new(Share::percent(5), 3))),
//! );
//! assert!(options.guards.mass_clearing.is_some());
//! // A run that really means to clear a field everywhere opts out explicitly.
//! let clearing = Guards::default().with_mass_clearing(None);
//! assert!(clearing.mass_clearing.is_none());
//! ```

mod clearing;
mod codes;
mod resignation;
mod share;

use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::compare::ComparisonPolicy;
use crate::model::{Employee, EmployeeCode, EmployeeRecord, Field};
use crate::report::ReportEntry;

pub(crate) use clearing::blocked_clears;
pub(crate) use resignation::check_selection;
pub use share::Share;

/// The mass-clearing guard's thresholds (see the [module](self) docs).
///
/// A field empty in the source for (nearly) every listed employee while the target holds
/// it for many of them almost always means the source cannot read the field (an API token
/// without the right to it returns null), not that every value was deleted. Those clears
/// are then not sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MassClearingGuard {
    /// The share of listed source employees with the field empty from which the field
    /// counts as empty "for nearly everyone" (default 95 %).
    pub min_empty_share: Share,
    /// How many matched target records must hold a value that would be cleared (default 5).
    /// Fewer clears than this are sent as usual, however empty the field is.
    pub min_held_by_target: usize,
}

impl MassClearingGuard {
    /// A guard with these thresholds (see the fields).
    pub fn new(min_empty_share: Share, min_held_by_target: usize) -> Self {
        Self {
            min_empty_share,
            min_held_by_target,
        }
    }
}

impl Default for MassClearingGuard {
    fn default() -> Self {
        Self {
            min_empty_share: Share::percent(95),
            min_held_by_target: 5,
        }
    }
}

/// The everything-new guard's thresholds (see the [module](self) docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct EverythingNewGuard {
    /// The share of listed employees that are New from which the run warns (default 80 %).
    pub min_new_share: Share,
    /// How many records the target must already hold (default 10): a first sync into an
    /// empty or small target is expected to be all new.
    pub min_target_size: usize,
}

impl EverythingNewGuard {
    /// A guard with these thresholds (see the fields).
    pub fn new(min_new_share: Share, min_target_size: usize) -> Self {
        Self {
            min_new_share,
            min_target_size,
        }
    }
}

impl Default for EverythingNewGuard {
    fn default() -> Self {
        Self {
            min_new_share: Share::percent(80),
            min_target_size: 10,
        }
    }
}

/// The mass-resignation guard's thresholds (see the [module](self) docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MassResignationGuard {
    /// The run warns, and apply needs an acknowledgement, when it sets a resignation date on
    /// more than this share of the target's enrolled employees (default 10 %).
    pub max_share: Share,
    /// ... and on at least this many employees (default 5), so that one resignation in a
    /// team of four is not "mass".
    pub min_count: usize,
}

impl MassResignationGuard {
    /// A guard with these thresholds (see the fields).
    pub fn new(max_share: Share, min_count: usize) -> Self {
        Self {
            max_share,
            min_count,
        }
    }
}

impl Default for MassResignationGuard {
    fn default() -> Self {
        Self {
            max_share: Share::percent(10),
            min_count: 5,
        }
    }
}

/// Which guards run, and their thresholds. Each is on by default, with the thresholds of its
/// `Default`; `None` switches one off, [`Guards::off`] all of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Guards {
    /// Mass clearing: `None` sends every clear, however many.
    pub mass_clearing: Option<MassClearingGuard>,
    /// Everything new: `None` never warns.
    pub everything_new: Option<EverythingNewGuard>,
    /// Mass resignation: `None` never warns and never asks for an acknowledgement.
    pub mass_resignation: Option<MassResignationGuard>,
}

impl Default for Guards {
    fn default() -> Self {
        Self {
            mass_clearing: Some(MassClearingGuard::default()),
            everything_new: Some(EverythingNewGuard::default()),
            mass_resignation: Some(MassResignationGuard::default()),
        }
    }
}

impl Guards {
    /// Every guard switched off: an explicit opt-out, for a run that means to clear a field
    /// everywhere or to resign many employees at once.
    pub fn off() -> Self {
        Self {
            mass_clearing: None,
            everything_new: None,
            mass_resignation: None,
        }
    }

    /// Sets [`Guards::mass_clearing`].
    pub fn with_mass_clearing(mut self, guard: Option<MassClearingGuard>) -> Self {
        self.mass_clearing = guard;
        self
    }

    /// Sets [`Guards::everything_new`].
    pub fn with_everything_new(mut self, guard: Option<EverythingNewGuard>) -> Self {
        self.everything_new = guard;
        self
    }

    /// Sets [`Guards::mass_resignation`].
    pub fn with_mass_resignation(mut self, guard: Option<MassResignationGuard>) -> Self {
        self.mass_resignation = guard;
        self
    }

    /// The mass-clearing warnings for a run: one per field whose clears are held back.
    /// `source` is the enrolled source list as it will be sent, `target` every target record.
    pub(crate) fn before_classify(
        &self,
        source: &[Employee],
        target: &[EmployeeRecord],
        policy: &ComparisonPolicy,
    ) -> Vec<RunWarning> {
        self.mass_clearing
            .map(|guard| clearing::check(&guard, source, target, policy))
            .unwrap_or_default()
    }

    /// The warnings about a classified list: everything new, mass resignation.
    pub(crate) fn after_classify(
        &self,
        entries: &[ReportEntry],
        target: &[EmployeeRecord],
        policy: &ComparisonPolicy,
        base_date: NaiveDate,
    ) -> Vec<RunWarning> {
        let new = self
            .everything_new
            .and_then(|guard| codes::check(&guard, entries, target, policy));
        let resigning = self
            .mass_resignation
            .and_then(|guard| resignation::check(&guard, entries, target, base_date));
        new.into_iter().chain(resigning).collect()
    }
}

/// Two codes that look alike once leading zeros and blanks are stripped: a New source
/// employee's code and an unmatched target record's code.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LookAlike {
    /// The code as the source holds it.
    pub source: EmployeeCode,
    /// The code as the target holds it.
    pub target: EmployeeCode,
}

/// Something wrong with a run as a whole, found by a guard (see the [module](self) docs).
/// Kept on the report's summary; codes are the only data of an employee it names.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
#[non_exhaustive]
pub enum RunWarning {
    /// A field is empty in the source for nearly every listed employee while the target
    /// holds it for many: its clears were not sent.
    MassClearing {
        /// The field.
        field: Field,
        /// Listed source employees with the field empty.
        empty_in_source: usize,
        /// Listed source employees in all.
        listed: usize,
        /// Matched target records holding a value that would have been cleared.
        held_by_target: usize,
    },
    /// Most listed employees are New while the target already holds many records: the
    /// codes probably do not match between the systems.
    EverythingNew {
        /// New employees.
        new: usize,
        /// Listed employees in all.
        listed: usize,
        /// Records the target holds (resigned ones included).
        target_size: usize,
        /// New employees whose code looks like an unmatched target code once leading zeros
        /// and blanks are stripped.
        look_alikes: usize,
        /// The first such pair, in the source's order.
        example: Option<LookAlike>,
    },
    /// The run would set a resignation date on a large share of the target's enrolled
    /// employees; apply refuses such a selection unless it is acknowledged.
    MassResignation {
        /// Changed employees whose update sets a resignation date.
        count: usize,
        /// The target's employees enrolled on the base date.
        enrolled: usize,
        /// `count` as a share of `enrolled`.
        share: Share,
    },
}

impl RunWarning {
    /// The field whose clears this warning held back, for a mass-clearing warning.
    pub fn held_back_field(&self) -> Option<Field> {
        match self {
            RunWarning::MassClearing { field, .. } => Some(*field),
            _ => None,
        }
    }
}

impl fmt::Display for RunWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunWarning::MassClearing {
                field,
                empty_in_source,
                listed,
                held_by_target,
            } => write!(
                f,
                "mass clearing: {field} is empty for {empty_in_source} of {listed} listed \
                 employees in the source while the target holds it for {held_by_target} of \
                 them; the source probably cannot read {field} (an API token without the \
                 right to it), so those values are not cleared. If they were really deleted, \
                 run again with the mass-clearing guard off"
            ),
            RunWarning::EverythingNew {
                new,
                listed,
                target_size,
                look_alikes,
                example,
            } => {
                write!(
                    f,
                    "everything new: {new} of {listed} listed employees are new although the \
                     target holds {target_size} records; the employee codes probably do not \
                     match between the systems (a different numbering, leading zeros)"
                )?;
                if let Some(LookAlike { source, target }) = example {
                    write!(
                        f,
                        "; {look_alikes} new codes look like a target code once leading zeros \
                         and blanks are stripped, such as source {source:?} and target {target:?}",
                        source = source.as_str(),
                        target = target.as_str(),
                    )?;
                }
                f.write_str(". Check the codes before creating them")
            }
            RunWarning::MassResignation {
                count,
                enrolled,
                share,
            } => write!(
                f,
                "mass resignation: this run sets a resignation date on {count} of the \
                 target's {enrolled} enrolled employees ({share}); check the source's \
                 resignation dates. Apply refuses such a selection unless it acknowledges \
                 this warning"
            ),
        }
    }
}

/// The fields whose clears a run's warnings held back.
pub(crate) fn held_back_fields(warnings: &[RunWarning]) -> Vec<Field> {
    warnings
        .iter()
        .filter_map(RunWarning::held_back_field)
        .collect()
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, Utc};

    use super::*;
    use crate::actor::Actor;
    use crate::report::{Direction, KindCounts, ReportId, ReportSummary, RunStatus};

    fn summary(warnings: Vec<RunWarning>) -> ReportSummary {
        let now = Utc::now();
        ReportSummary {
            id: ReportId::new(),
            vendor: "KING OF TIME".into(),
            hr_system: "HR".into(),
            direction: Direction::Export,
            base_date: NaiveDate::from_ymd_opt(2025, 6, 1).unwrap(),
            actor: Actor::administrator("admin"),
            applied_by: None,
            created_at: now,
            updated_at: now,
            status: RunStatus::AwaitingSync,
            failure: None,
            counts: KindCounts::default(),
            lease: None,
            stop_requested: None,
            warnings,
        }
    }

    #[test]
    fn warnings_survive_the_stored_json_and_old_summaries_still_load() {
        let stored = summary(vec![
            RunWarning::MassClearing {
                field: Field::Email,
                empty_in_source: 40,
                listed: 40,
                held_by_target: 38,
            },
            RunWarning::MassResignation {
                count: 6,
                enrolled: 50,
                share: Share::of(6, 50),
            },
        ]);
        let json = serde_json::to_value(&stored).unwrap();
        assert_eq!(json["warnings"][0]["warning"], "mass_clearing");
        assert_eq!(json["warnings"][1]["share"], 0.12);
        assert_eq!(
            serde_json::from_value::<ReportSummary>(json.clone()).unwrap(),
            stored
        );
        // A summary stored before the guards existed has no `warnings` key.
        let mut old = json;
        old.as_object_mut().unwrap().remove("warnings");
        let loaded: ReportSummary = serde_json::from_value(old).unwrap();
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn every_guard_is_on_by_default_and_off_turns_them_all_off() {
        let guards = Guards::default();
        assert_eq!(guards.mass_clearing, Some(MassClearingGuard::default()));
        assert_eq!(guards.everything_new, Some(EverythingNewGuard::default()));
        assert_eq!(
            guards.mass_resignation,
            Some(MassResignationGuard::default())
        );
        let off = Guards::off();
        assert!(off.mass_clearing.is_none() && off.everything_new.is_none());
        assert!(off.mass_resignation.is_none());
    }

    #[test]
    fn messages_name_counts_and_codes_only() {
        let text = RunWarning::EverythingNew {
            new: 40,
            listed: 42,
            target_size: 45,
            look_alikes: 38,
            example: Some(LookAlike {
                source: "00123".into(),
                target: "123".into(),
            }),
        }
        .to_string();
        assert!(
            text.contains("40 of 42") && text.contains("holds 45 records"),
            "{text}"
        );
        assert!(
            text.contains("38 new codes") && text.contains("source \"00123\" and target \"123\""),
            "{text}"
        );
        let text = RunWarning::MassResignation {
            count: 6,
            enrolled: 50,
            share: Share::of(6, 50),
        }
        .to_string();
        assert!(
            text.contains("6 of the target's 50") && text.contains("(12%)"),
            "{text}"
        );
    }
}
