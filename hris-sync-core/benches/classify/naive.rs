//! The two references the bench measures classification against, in the same run:
//!
//! - `naive`: classification as one would first write it — std `HashMap`s keyed by owned
//!   match keys, the source counted in a second map, every entry built by cloning — with the
//!   same rules, so its kinds must equal `classify`'s (the bench checks that).
//! - `floor`: a bare hash join of the codes (no normalisation, no comparison, no entries):
//!   no classification can be faster than finding each employee's partner.

use std::collections::HashMap;

use hris_sync_core::classify::{differences, ClassifyRules};
use hris_sync_core::{
    ChangeKind, Employee, EmployeeCode, EmployeeRecord, Field, InvalidReason, ReportEntry,
};
use rustc_hash::FxHashMap;

/// Straightforward classification (see the module docs).
pub(crate) fn naive(
    source: Vec<Employee>,
    target: &[EmployeeRecord],
    rules: &ClassifyRules<'_>,
) -> Vec<ReportEntry> {
    let policy = rules.policy;
    let mut index: HashMap<String, Vec<&EmployeeRecord>> = HashMap::new();
    for record in target {
        let key = policy.match_key(&record.employee.code).into_owned();
        index.entry(key).or_default().push(record);
    }
    let mut counts: HashMap<String, usize> = HashMap::new();
    for employee in &source {
        *counts
            .entry(policy.match_key(&employee.code).into_owned())
            .or_default() += 1;
    }
    let mut entries = Vec::new();
    for mut employee in source {
        let key = policy.match_key(&employee.code).into_owned();
        let matches = index.get(&key).cloned().unwrap_or_default();
        let code = employee.code.clone();
        employee.code = EmployeeCode::new(key.clone());
        let record = (matches.len() == 1).then(|| matches[0]);
        let mut invalid = if key.trim().is_empty() {
            Some(InvalidReason::EmptyCode)
        } else if counts[&key] > 1 {
            Some(InvalidReason::DuplicateInSource {
                count: counts[&key],
            })
        } else if matches.len() > 1 {
            Some(InvalidReason::DuplicateInTarget {
                count: matches.len(),
            })
        } else {
            None
        };
        let found = match (&invalid, record) {
            (None, Some(record)) => differences(policy, &record.employee, &employee),
            _ => Vec::new(),
        };
        let mut warnings = Vec::new();
        let unchanged = invalid.is_none() && record.is_some() && found.is_empty();
        if invalid.is_none() && !unchanged {
            let sent: Vec<Field> = match record {
                None => Field::ALL.to_vec(),
                Some(_) => found.iter().map(|d| d.field).collect(),
            };
            let validation = policy.validate(&employee, &sent, rules.target, rules.today);
            warnings = validation.warnings;
            invalid = validation.errors.into_iter().next().or_else(|| {
                let required = &rules.target.required_on_create;
                let checked: Vec<Field> = match record {
                    None => required.clone(),
                    Some(_) => sent.into_iter().filter(|f| required.contains(f)).collect(),
                };
                checked
                    .into_iter()
                    .find(|field| {
                        employee.get(*field).is_none()
                            || employee.text(*field).is_some_and(|t| t.trim().is_empty())
                    })
                    .map(|field| InvalidReason::MissingRequiredField { field })
            });
        }
        let kind = match (&invalid, record) {
            (Some(_), _) => ChangeKind::Invalid,
            (None, None) => ChangeKind::New,
            (None, Some(_)) if unchanged => ChangeKind::Unchanged,
            (None, Some(_)) => ChangeKind::Changed,
        };
        entries.push(ReportEntry {
            code,
            kind,
            invalid_reason: invalid,
            differences: found,
            warnings,
            employee,
            target_id: record.map(|record| record.id.clone()),
            outcome: None,
            intent: None,
        });
    }
    entries
}

/// A bare hash join of the codes: each source employee's position in the target, if any.
pub(crate) fn floor(source: &[Employee], target: &[EmployeeRecord]) -> Vec<Option<u32>> {
    let mut index: FxHashMap<&str, u32> =
        FxHashMap::with_capacity_and_hasher(target.len(), Default::default());
    for (at, record) in target.iter().enumerate() {
        index.insert(record.employee.code.as_str(), at as u32);
    }
    source
        .iter()
        .map(|employee| index.get(employee.code.as_str()).copied())
        .collect()
}
