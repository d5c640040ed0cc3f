//! SPEC P2: the requests of a whole run (fetch, then apply), per endpoint, read from the
//! emulator's counters (attendance side) and from `InMemorySystem::calls` (HR side), against
//! the minimum the KOT API allows: one list per side, one per master list, one write per
//! created or changed employee, none for an unchanged one.
//!
//! Beyond that minimum a run makes exactly one request, asserted here and explained in
//! `docs/benchmarks.md`: apply re-reads the target's list once before writing (SPEC R11: a
//! New employee that appeared since the plan must not be created again), so the target is
//! listed twice — once only when nothing is to be written (only Unchanged employees
//! selected), because apply then skips the re-read.
//!
//! An update that changes the email on the KOT side makes no read of its own: the API
//! replaces `emailAddresses` as a whole and the addresses after the first must be kept
//! (SPEC R8), but the client remembers every record's addresses from that re-read and builds
//! the `PUT` from them, so `GET /employees/{code}` is asserted to be zero. Every target record
//! holds a second address, and the test checks that each update kept it.
//!
//! Counts are not timings: the exact numbers are asserted.
#![cfg(feature = "emulator")]

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::NaiveDate;
use connector_kingoftime::emulator::{EmulatedEmployee, Endpoint, KotEmulator};
use hris_sync_core::in_memory::Operation;
use hris_sync_core::{
    Actor, ApplyRequest, ChangeKind, Direction, Employee, FixedClock, Gender, InMemorySystem,
    KindCounts, MasterKind, OutcomeCounts, Placement, RunStatus, Selection, SyncEngine,
};

/// How many employees of each kind a run holds.
#[derive(Clone, Copy, Debug)]
struct Mix {
    /// In the source only.
    new: usize,
    /// In both, with another last name.
    changed_name: usize,
    /// In both, with another (first) email address.
    changed_email: usize,
    /// In both, identical.
    unchanged: usize,
}

impl Mix {
    fn total(self) -> usize {
        self.new + self.changed_name + self.changed_email + self.unchanged
    }

    fn changed(self) -> usize {
        self.changed_name + self.changed_email
    }
}

/// 100 employees: 20 new, 30 changed (20 by name, 10 by email), 50 unchanged.
const HUNDRED: Mix = Mix {
    new: 20,
    changed_name: 20,
    changed_email: 10,
    unchanged: 50,
};

/// The same proportions at 1,000: the counts follow the writes, not the list sizes.
const THOUSAND: Mix = Mix {
    new: 200,
    changed_name: 200,
    changed_email: 100,
    unchanged: 500,
};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

/// Today in Japan for the whole test: 2024-04-01 12:00, outside the maintenance windows.
fn clock() -> Arc<FixedClock> {
    Arc::new(FixedClock::at_japan_time(2024, 4, 1, 12, 0))
}

fn base_date() -> NaiveDate {
    day(2024, 4, 1)
}

/// Employee `n` as the source holds it.
fn source_employee(n: usize) -> Employee {
    Employee::new(format!("E{n:05}"))
        .with_name("山田", format!("太郎{n}"))
        .with_kana("ヤマダ", format!("タロウ{n}"))
        .with_gender(if n.is_multiple_of(2) {
            Gender::Male
        } else {
            Gender::Female
        })
        .with_birth_date(day(1990, 1 + (n % 12) as u32, 1 + (n % 28) as u32))
        .with_hire_date(day(2020, 4, 1))
        .with_email(format!("e{n}@example.co.jp"))
}

/// What the target holds for employee `n`, or `None` when it is New.
fn target_employee(mix: Mix, n: usize) -> Option<Employee> {
    let employee = source_employee(n);
    if n < mix.new {
        None
    } else if n < mix.new + mix.changed_name {
        Some(employee.with_name("旧姓", format!("太郎{n}")))
    } else if n < mix.new + mix.changed() {
        Some(employee.with_email(format!("old{n}@example.co.jp")))
    } else {
        Some(employee)
    }
}

/// The address after the first that the KOT side holds and the sync never touches.
fn second_address(n: usize) -> String {
    format!("private{n}@example.com")
}

fn kot_placement() -> Placement {
    Placement::new()
        .with(MasterKind::Division, "1000")
        .with(MasterKind::EmploymentType, "1")
}

fn hr_placement() -> Placement {
    Placement::new().with(MasterKind::Office, "HQ")
}

struct Run {
    emulator: KotEmulator,
    hr: InMemorySystem,
    engine: SyncEngine,
}

/// The emulator (attendance) and an in-memory HR system, seeded for `direction`: the source
/// holds every employee of `mix`, the target all but the New ones.
async fn setup(mix: Mix, direction: Direction) -> Run {
    let clock = clock();
    let emulator = KotEmulator::builder()
        .with_clock(clock.clone())
        .start()
        .await;
    emulator.add_division("1000", "本社");
    emulator.add_working_type("1", "正社員");
    let hr = InMemorySystem::hr("HR (memory)").with_master(MasterKind::Office, "HQ", "本社");
    for n in 0..mix.total() {
        let source = source_employee(n);
        let target = target_employee(mix, n);
        match direction {
            Direction::Export => {
                hr.insert(source, hr_placement());
                if let Some(target) = target {
                    // Every target record has a second address, which updates must keep.
                    let mut stored = EmulatedEmployee::from_employee(&target, "1000", "1");
                    stored.email_addresses.push(second_address(n));
                    emulator.insert(stored);
                }
            }
            Direction::Import => {
                emulator.add_employee(&source, "1000", "1");
                if let Some(target) = target {
                    hr.insert(target, hr_placement());
                }
            }
        }
    }
    let client = emulator.client_builder().build().unwrap();
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr.clone()))
        .with_attendance(Arc::new(client))
        .with_clock(clock)
        .build()
        .unwrap();
    emulator.reset_stats();
    Run {
        emulator,
        hr,
        engine,
    }
}

/// The HR side's calls per operation (zero ones left out, as the emulator's counters).
fn hr_calls(hr: &InMemorySystem) -> BTreeMap<Operation, usize> {
    [
        Operation::TestConnection,
        Operation::List,
        Operation::Get,
        Operation::Create,
        Operation::Update,
        Operation::ListMasters,
    ]
    .into_iter()
    .map(|operation| (operation, hr.calls(operation)))
    .filter(|(_, calls)| *calls > 0)
    .collect()
}

/// The expected counts, zero ones left out (neither side lists an endpoint it never saw).
fn counts<K: Ord, const N: usize>(pairs: [(K, usize); N]) -> BTreeMap<K, usize> {
    pairs.into_iter().filter(|(_, count)| *count > 0).collect()
}

/// Fetches, checks the classification, applies every listed employee (Unchanged ones
/// included, to show they cost nothing) and checks the outcomes.
async fn whole_run(run: &Run, mix: Mix, direction: Direction, placement: Placement) {
    let actor = Actor::administrator("admin");
    let report = run
        .engine
        .fetch(direction, base_date(), &actor)
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::AwaitingSync);
    assert_eq!(
        report.summary.counts,
        KindCounts {
            new: mix.new,
            changed: mix.changed(),
            unchanged: mix.unchanged,
            invalid: 0,
        }
    );
    let request = ApplyRequest::new(Selection::Kinds(vec![
        ChangeKind::New,
        ChangeKind::Changed,
        ChangeKind::Unchanged,
    ]))
    .with_placement(placement);
    let report = run
        .engine
        .apply(report.summary.id, request, &actor)
        .await
        .unwrap();
    assert_eq!(report.summary.status, RunStatus::Completed);
    assert_eq!(
        report.outcome_counts(),
        OutcomeCounts {
            pending: 0,
            created: mix.new,
            updated: mix.changed(),
            skipped: mix.unchanged,
            failed: 0,
        }
    );
}

async fn export_counts(mix: Mix) {
    let run = setup(mix, Direction::Export).await;
    whole_run(&run, mix, Direction::Export, kot_placement()).await;

    // HR (source): the one list of the fetch, nothing else.
    assert_eq!(
        hr_calls(&run.hr),
        BTreeMap::from([(Operation::List, 1)]),
        "HR calls of an export of {mix:?}"
    );
    // KOT (target): the fetch's list and two master lists, apply's one re-read (none when
    // nothing is written), one write per New or Changed employee, no read by code (email
    // updates use the addresses remembered from the re-read), nothing per Unchanged one.
    let writes = mix.new + mix.changed();
    let reread = usize::from(writes > 0);
    assert_eq!(
        run.emulator.request_counts(),
        counts([
            (Endpoint::ListEmployees, 1 + reread),
            (Endpoint::Divisions, 1),
            (Endpoint::WorkingTypes, 1),
            (Endpoint::CreateEmployee, mix.new),
            (Endpoint::UpdateEmployee, mix.changed()),
            (Endpoint::GetEmployee, 0),
        ]),
        "KOT requests of an export of {mix:?}"
    );
    let minimum = 1 + 1 + 2 + writes;
    let total = hr_calls(&run.hr).values().sum::<usize>() + run.emulator.total_requests();
    assert_eq!(total, minimum + reread);
    // The writes landed: one record per code, the email updates kept their data.
    assert_eq!(run.emulator.employees().len(), mix.total());
    for n in 0..mix.total() {
        let stored = run.emulator.employees_with_code(&format!("E{n:05}"));
        assert_eq!(stored.len(), 1, "E{n:05}");
        assert_eq!(stored[0].to_employee(), source_employee(n));
        if n >= mix.new {
            assert_eq!(stored[0].email_addresses[1], second_address(n), "E{n:05}");
        }
    }
}

async fn import_counts(mix: Mix) {
    let run = setup(mix, Direction::Import).await;
    whole_run(&run, mix, Direction::Import, hr_placement()).await;

    // KOT (source): the one list as of the base date, nothing else; masters are the target's.
    assert_eq!(
        run.emulator.request_counts(),
        BTreeMap::from([(Endpoint::ListEmployees, 1)]),
        "KOT requests of an import of {mix:?}"
    );
    // HR (target): the fetch's list and its one master list (offices), apply's one re-read,
    // one write per New or Changed employee; no read by code (the HR system keeps emails
    // itself), nothing per Unchanged one.
    assert_eq!(
        hr_calls(&run.hr),
        counts([
            (Operation::List, 2),
            (Operation::ListMasters, 1),
            (Operation::Create, mix.new),
            (Operation::Update, mix.changed()),
        ]),
        "HR calls of an import of {mix:?}"
    );
    assert_eq!(run.hr.records().len(), mix.total());
}

#[tokio::test]
async fn export_of_100_makes_the_minimum_requests_plus_the_documented_reads() {
    export_counts(HUNDRED).await;
}

#[tokio::test]
async fn import_of_100_makes_the_minimum_requests_plus_the_documented_reads() {
    import_counts(HUNDRED).await;
}

#[tokio::test]
async fn export_of_1000_grows_with_the_writes_only() {
    export_counts(THOUSAND).await;
}

#[tokio::test]
async fn import_of_1000_grows_with_the_writes_only() {
    import_counts(THOUSAND).await;
}

/// A run with nothing to write costs the fetch's lists only: selecting Unchanged employees
/// sends no write, and apply skips its re-read (the minimum, exactly).
#[tokio::test]
async fn an_all_unchanged_export_sends_no_write() {
    let mix = Mix {
        new: 0,
        changed_name: 0,
        changed_email: 0,
        unchanged: 100,
    };
    export_counts(mix).await;
}
