//! The everything-new guard: most listed employees New while the target is well filled
//! means the codes do not match between the systems.

use std::collections::HashSet;

use rustc_hash::FxHashMap;

use super::{EverythingNewGuard, LookAlike, RunWarning, Share};
use crate::compare::ComparisonPolicy;
use crate::model::{EmployeeCode, EmployeeRecord};
use crate::report::{ChangeKind, ReportEntry};

/// The everything-new warning for a classified list, if the guard fires.
pub(super) fn check(
    guard: &EverythingNewGuard,
    entries: &[ReportEntry],
    target: &[EmployeeRecord],
    policy: &ComparisonPolicy,
) -> Option<RunWarning> {
    let listed = entries.len();
    let new = entries
        .iter()
        .filter(|entry| entry.kind == ChangeKind::New)
        .count();
    if new == 0
        || target.len() < guard.min_target_size
        || Share::of(new, listed) < guard.min_new_share
    {
        return None;
    }
    // Only target records no listed employee matched can be the other half of a pair.
    let matched: HashSet<_> = entries
        .iter()
        .filter_map(|entry| entry.target_id.as_ref())
        .collect();
    let mut unmatched: FxHashMap<String, &EmployeeCode> = FxHashMap::default();
    for record in target.iter().filter(|record| !matched.contains(&record.id)) {
        unmatched
            .entry(loose_key(policy, &record.employee.code))
            .or_insert(&record.employee.code);
    }
    let mut look_alikes = 0;
    let mut example = None;
    for entry in entries.iter().filter(|entry| entry.kind == ChangeKind::New) {
        if let Some(code) = unmatched.get(&loose_key(policy, &entry.code)) {
            look_alikes += 1;
            example.get_or_insert_with(|| LookAlike {
                source: entry.code.clone(),
                target: (*code).clone(),
            });
        }
    }
    Some(RunWarning::EverythingNew {
        new,
        listed,
        target_size: target.len(),
        look_alikes,
        example,
    })
}

/// The code as matched (the policy's match key), without any blank and without leading
/// zeros: `0012`, `00 12` and `12` are alike. A code of zeros only keeps one.
fn loose_key(policy: &ComparisonPolicy, code: &EmployeeCode) -> String {
    let key: String = policy
        .match_key(code)
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match key.trim_start_matches('0') {
        "" if !key.is_empty() => "0".to_owned(),
        stripped => stripped.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Employee, RecordId};

    fn entry(code: &str, kind: ChangeKind, target_id: Option<&str>) -> ReportEntry {
        ReportEntry {
            code: code.into(),
            kind,
            invalid_reason: None,
            differences: Vec::new(),
            warnings: Vec::new(),
            employee: Employee::new(code),
            target_id: target_id.map(RecordId::new),
            outcome: None,
            intent: None,
        }
    }

    fn record(id: &str, code: &str) -> EmployeeRecord {
        EmployeeRecord {
            id: RecordId::new(id),
            employee: Employee::new(code),
        }
    }

    /// Ten target records `1`..`10`; the source numbers them `0001`..`0010`, except `1`.
    fn renumbered() -> (Vec<ReportEntry>, Vec<EmployeeRecord>) {
        let target: Vec<_> = (1..=10)
            .map(|n| record(&format!("k{n}"), &n.to_string()))
            .collect();
        let mut entries = vec![entry("1", ChangeKind::Unchanged, Some("k1"))];
        entries.extend((2..=10).map(|n| entry(&format!("{n:04}"), ChangeKind::New, None)));
        (entries, target)
    }

    fn run(entries: &[ReportEntry], target: &[EmployeeRecord]) -> Option<RunWarning> {
        check(
            &EverythingNewGuard::default(),
            entries,
            target,
            &ComparisonPolicy::default(),
        )
    }

    #[test]
    fn most_new_against_a_filled_target_warns_with_a_look_alike_pair() {
        let (entries, target) = renumbered();
        assert_eq!(
            run(&entries, &target),
            Some(RunWarning::EverythingNew {
                new: 9,
                listed: 10,
                target_size: 10,
                look_alikes: 9,
                example: Some(LookAlike {
                    source: "0002".into(),
                    target: "2".into(),
                }),
            })
        );
    }

    #[test]
    fn a_small_target_or_a_few_new_ones_do_not_warn() {
        let (entries, target) = renumbered();
        assert!(run(&entries, &target[..9]).is_none(), "target below 10");
        let mostly_known: Vec<_> = (1..=10)
            .map(|n| match n {
                1..=3 => entry(&format!("{n:04}"), ChangeKind::New, None),
                _ => entry(
                    &n.to_string(),
                    ChangeKind::Unchanged,
                    Some(&format!("k{n}")),
                ),
            })
            .collect();
        assert!(run(&mostly_known, &target).is_none(), "30 % new");
    }

    #[test]
    fn no_look_alike_still_warns_without_an_example() {
        let target: Vec<_> = (1..=10)
            .map(|n| record(&format!("k{n}"), &format!("A{n}")))
            .collect();
        let entries: Vec<_> = (1..=10)
            .map(|n| entry(&format!("{}", 100 + n), ChangeKind::New, None))
            .collect();
        let Some(RunWarning::EverythingNew {
            look_alikes,
            example,
            ..
        }) = run(&entries, &target)
        else {
            panic!("no warning");
        };
        assert_eq!((look_alikes, example), (0, None));
    }

    #[test]
    fn loose_keys_strip_blanks_and_leading_zeros() {
        let policy = ComparisonPolicy::default();
        let key = |code: &str| loose_key(&policy, &code.into());
        assert_eq!(key("0012"), "12");
        assert_eq!(key("00 12"), "12");
        assert_eq!(key("０１２"), "12");
        assert_eq!(key("000"), "0");
        assert_eq!(key("A012"), "A012");
    }
}
