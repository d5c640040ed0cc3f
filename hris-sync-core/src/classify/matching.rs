//! Matching source and target by code (SPEC R5, P1): for each source employee, how many
//! source employees share its match key, and which target record(s) carry it.
//!
//! Each code's match key is computed and hashed once, on one sequential pass per list; the
//! (hash, position) pairs of both lists are then grouped by hash with one counting sort on
//! the hash's top bits. Only the compact pairs are touched after the first pass: no table
//! of string keys is probed at random addresses. A hash group with one source employee and
//! at most one target record is taken as a match without comparing the keys here; the
//! caller confirms it with [`confirmed`] while it reads the pair anyway (a 64-bit collision
//! between two different codes then simply makes no match, which is exactly right since
//! each is alone in its group). Larger groups (duplicates, or a collision among them) are
//! resolved by comparing the keys themselves.

use std::hash::BuildHasher;

use rustc_hash::FxBuildHasher;

use crate::compare::ComparisonPolicy;
use crate::model::{Employee, EmployeeRecord};

/// One source employee's match: how many source employees share its key, and the first
/// target record with the key (its position) with how many records carry it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Match {
    /// Source employees with this key (1 when unique).
    pub(super) source_count: usize,
    /// The first target position with the key, and the number of target records with it.
    pub(super) target: Option<(usize, usize)>,
    /// Whether the key equality is still to be confirmed (a one-to-one hash match).
    pub(super) unconfirmed: bool,
}

/// The tag bit of a position that is a target record's (the other positions are source).
const TARGET: u32 = 1 << 31;

/// Matches every source employee against the target, by match key. Positions must fit
/// in 31 bits (two thousand million employees).
pub(super) fn match_codes(
    policy: &ComparisonPolicy,
    source: &[Employee],
    target: &[EmployeeRecord],
) -> Vec<Match> {
    assert!(
        source.len() < TARGET as usize && target.len() < TARGET as usize,
        "more than 2^31 employees on one side"
    );
    let hash = |code| mix(FxBuildHasher.hash_one(policy.match_key(code).as_ref() as &str));
    let mut keys: Vec<(u64, u32)> = Vec::with_capacity(source.len() + target.len());
    keys.extend(
        source
            .iter()
            .enumerate()
            .map(|(at, employee)| (hash(&employee.code), at as u32)),
    );
    keys.extend(
        target
            .iter()
            .enumerate()
            .map(|(at, record)| (hash(&record.employee.code), at as u32 | TARGET)),
    );
    let keys = group_by_hash(keys);

    let unmatched = Match {
        source_count: 1,
        target: None,
        unconfirmed: false,
    };
    let mut matches = vec![unmatched; source.len()];
    let mut start = 0;
    while start < keys.len() {
        let hash = keys[start].0;
        let end = start + keys[start..].iter().take_while(|k| k.0 == hash).count();
        let group = &keys[start..end];
        start = end;
        let sources = group.iter().filter(|k| k.1 & TARGET == 0).count();
        match (sources, group.len() - sources) {
            (0, _) => {}
            (1, targets @ (0 | 1)) => {
                let source_at = group.iter().find(|k| k.1 & TARGET == 0).map(|k| k.1);
                let target_at = group.iter().find(|k| k.1 & TARGET != 0).map(|k| k.1);
                if let Some(at) = source_at {
                    matches[at as usize] = Match {
                        source_count: 1,
                        target: target_at.map(|t| ((t & !TARGET) as usize, 1)),
                        unconfirmed: targets == 1,
                    };
                }
            }
            _ => resolve(policy, source, target, group, &mut matches),
        }
    }
    matches
}

/// Whether a one-to-one hash match is a real one: both codes have the same match key.
pub(super) fn confirmed(policy: &ComparisonPolicy, source: &Employee, target: &Employee) -> bool {
    policy.match_key(&source.code) == policy.match_key(&target.code)
}

/// Resolves a group of equal hashes with duplicates in it by comparing the keys (a group
/// holds the copies of one code, so it is small; quadratic is fine).
fn resolve(
    policy: &ComparisonPolicy,
    source: &[Employee],
    target: &[EmployeeRecord],
    group: &[(u64, u32)],
    matches: &mut [Match],
) {
    let code = |tagged: u32| match tagged & TARGET {
        0 => &source[tagged as usize].code,
        _ => &target[(tagged & !TARGET) as usize].employee.code,
    };
    let keys: Vec<(std::borrow::Cow<'_, str>, u32)> = group
        .iter()
        .map(|&(_, tagged)| (policy.match_key(code(tagged)), tagged))
        .collect();
    for (key, tagged) in keys.iter().filter(|(_, tagged)| tagged & TARGET == 0) {
        let same = || keys.iter().filter(move |(other, _)| other == key);
        let targets = same()
            .filter(|(_, t)| t & TARGET != 0)
            .map(|(_, t)| t & !TARGET);
        let first_target = targets.clone().min();
        matches[*tagged as usize] = Match {
            source_count: same().filter(|(_, t)| t & TARGET == 0).count(),
            target: first_target.map(|at| (at as usize, targets.count())),
            unconfirmed: false,
        };
    }
}

/// Sorts `keys` so that equal hashes are adjacent: a counting sort on the top bits (about
/// one bucket per key, so buckets hold one or two), then each bucket sorted in place.
fn group_by_hash(keys: Vec<(u64, u32)>) -> Vec<(u64, u32)> {
    let bits = (usize::BITS - keys.len().leading_zeros()).clamp(1, 24);
    let bucket = |hash: u64| (hash >> (64 - bits)) as usize;
    let mut starts = vec![0u32; (1 << bits) + 1];
    for &(hash, _) in &keys {
        starts[bucket(hash) + 1] += 1;
    }
    for at in 1..starts.len() {
        starts[at] += starts[at - 1];
    }
    let mut sorted = vec![(0u64, 0u32); keys.len()];
    let mut next = starts.clone();
    for key in keys {
        let slot = &mut next[bucket(key.0)];
        sorted[*slot as usize] = key;
        *slot += 1;
    }
    for window in starts.windows(2) {
        let run = &mut sorted[window[0] as usize..window[1] as usize];
        if run.len() > 1 {
            run.sort_unstable_by_key(|key| key.0);
        }
    }
    sorted
}

/// Spreads FxHash's output over the top bits the buckets use (SplitMix64's finaliser).
fn mix(hash: u64) -> u64 {
    let hash = (hash ^ (hash >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    let hash = (hash ^ (hash >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    hash ^ (hash >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::RecordId;

    fn record(at: usize, code: &str) -> EmployeeRecord {
        EmployeeRecord {
            id: RecordId::new(format!("k{at}")),
            employee: Employee::new(code),
        }
    }

    #[test]
    fn unique_duplicate_and_missing_codes() {
        let policy = ComparisonPolicy::default();
        let source: Vec<Employee> = ["1", "2", "2 ", "3", "4"]
            .into_iter()
            .map(Employee::new)
            .collect();
        let target: Vec<EmployeeRecord> = ["4", "3", "1", "3", "5"]
            .into_iter()
            .enumerate()
            .map(|(at, code)| record(at, code))
            .collect();
        let found = match_codes(&policy, &source, &target);
        assert_eq!(found[0].target, Some((2, 1)));
        assert!(found[0].unconfirmed);
        assert_eq!((found[1].source_count, found[1].target), (2, None));
        assert_eq!((found[2].source_count, found[2].target), (2, None));
        assert_eq!((found[3].source_count, found[3].target), (1, Some((1, 2))));
        assert_eq!(found[4].target, Some((0, 1)));
        assert!(confirmed(&policy, &source[4], &target[0].employee));
        assert!(!confirmed(&policy, &source[4], &target[1].employee));
    }

    #[test]
    fn many_keys_group_whatever_the_bucket_count() {
        let policy = ComparisonPolicy::default();
        let source: Vec<Employee> = (0..5000).map(|n| Employee::new(n.to_string())).collect();
        let target: Vec<EmployeeRecord> = (0..5000)
            .rev()
            .filter(|n| n % 3 != 0)
            .map(|n| record(n, &n.to_string()))
            .collect();
        let found = match_codes(&policy, &source, &target);
        for (n, found) in found.iter().enumerate() {
            assert_eq!(found.source_count, 1);
            match found.target {
                Some((at, 1)) => assert_eq!(target[at].employee.code.as_str(), n.to_string()),
                other => assert!(n % 3 == 0 && other.is_none(), "{n}: {other:?}"),
            }
        }
    }
}
