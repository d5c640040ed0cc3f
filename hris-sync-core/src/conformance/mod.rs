//! The conformance suites (feature `conformance`). This module checks that a system keeps
//! the [`EmployeeSystem`] contract; [`store`] checks that a report store keeps the
//! [`ReportStore`](crate::store::ReportStore) contract.
//!
//! Every connector runs the system suite on itself — ours against their
//! emulators, a third-party one against whatever test instance it has.
//!
//! Each check panics with a message naming the contract point it found broken, so it reads
//! well as a failing test.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use chrono::NaiveDate;
//! use hris_sync_core::conformance::{self, ConformanceContext};
//! use hris_sync_core::in_memory::InMemorySystem;
//! use hris_sync_core::MasterKind;
//!
//! let system = InMemorySystem::attendance("Attendance (memory)")
//!     .with_master(MasterKind::Division, "1000", "本社")
//!     .with_master(MasterKind::EmploymentType, "1", "正社員");
//! let today = NaiveDate::from_ymd_opt(2025, 4, 1).unwrap();
//! conformance::attendance_connector(&system, &ConformanceContext::new(today)).await;
//! # }
//! ```
//!
//! Preconditions: the system is reachable, outside its maintenance windows, has at least
//! one master entry of each placement kind, and holds no employee whose code starts with the
//! context's prefix. The suite creates a handful of such employees (and cannot delete them:
//! the trait has no delete).

pub mod store;

use chrono::{Days, Months, NaiveDate};

use crate::error::ConnectorError;
use crate::model::{Employee, EmployeeCode, Field, FieldValue, Gender, Placement, RecordId};
use crate::system::{
    AttendanceConnector, EmployeeSystem, EmployeeUpdate, HrSystem, ListOptions, Side,
};

/// What the suite needs to know about its run.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct ConformanceContext {
    /// Today in Japan time, as the system under test sees it.
    pub today: NaiveDate,
    /// The prefix of the codes the suite creates.
    pub code_prefix: String,
    /// Strings that must never appear in the system's `Debug` output or errors (tokens).
    pub secrets: Vec<String>,
}

impl ConformanceContext {
    /// A context for `today`, prefix `"CONF-"`, no secrets.
    pub fn new(today: NaiveDate) -> Self {
        Self {
            today,
            code_prefix: "CONF-".into(),
            secrets: Vec::new(),
        }
    }

    /// Sets the code prefix.
    pub fn with_code_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.code_prefix = prefix.into();
        self
    }

    /// Adds a secret that must never show.
    pub fn with_secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets.push(secret.into());
        self
    }

    fn code(&self, suffix: &str) -> EmployeeCode {
        EmployeeCode::new(format!("{}{suffix}", self.code_prefix))
    }
}

/// Runs the whole suite on an attendance connector.
pub async fn attendance_connector(system: &dyn AttendanceConnector, context: &ConformanceContext) {
    assert_eq!(
        system.info().side,
        Side::Attendance,
        "contract 1: an AttendanceConnector declares side Attendance"
    );
    employee_system(system, context).await;
}

/// Runs the whole suite on an HR system.
pub async fn hr_system(system: &dyn HrSystem, context: &ConformanceContext) {
    assert_eq!(
        system.info().side,
        Side::Hr,
        "contract 1: an HrSystem declares side Hr"
    );
    employee_system(system, context).await;
}

/// Runs the whole suite on any [`EmployeeSystem`].
pub async fn employee_system(system: &dyn EmployeeSystem, context: &ConformanceContext) {
    info_is_stable(system);
    connection(system, context).await;
    let placement = placement(system).await;
    unknown_code_is_none(system, context).await;
    create_and_read_back(system, context, &placement).await;
    get_matches_the_exact_code(system, context).await;
    lists_every_record_and_enrolled_ones(system, context, &placement).await;
    refused_creates_change_nothing(system, context, &placement).await;
    update_changes_only_given_fields(system, context, &placement).await;
    update_of_unknown_id_is_not_found(system).await;
    secrets_never_show(system, context).await;
}

fn info_is_stable(system: &dyn EmployeeSystem) {
    let info = system.info();
    assert!(
        !info.name.trim().is_empty(),
        "contract 1: the system has a name"
    );
    assert_eq!(info, system.info(), "contract 1: info is constant");
}

async fn connection(system: &dyn EmployeeSystem, context: &ConformanceContext) {
    if let Err(error) = system.test_connection().await {
        panic!(
            "precondition: test_connection must succeed: {}",
            redact(&error.to_string(), context)
        );
    }
}

async fn placement(system: &dyn EmployeeSystem) -> Placement {
    let mut placement = Placement::new();
    for kind in system.info().placement_kinds.clone() {
        let entries = system
            .list_masters(kind)
            .await
            .unwrap_or_else(|error| panic!("contract 7: list_masters({kind}) failed: {error}"));
        let first = entries
            .first()
            .unwrap_or_else(|| panic!("precondition: at least one {kind} entry"));
        assert!(
            entries.iter().all(|entry| !entry.code.is_empty()),
            "contract 7: master codes are not empty"
        );
        placement = placement.with(kind, first.code.clone());
    }
    placement
}

fn full_employee(context: &ConformanceContext, suffix: &str) -> Employee {
    let hired = context
        .today
        .checked_sub_months(Months::new(12))
        .expect("date");
    Employee::new(context.code(suffix))
        .with_name("適合", "太郎")
        .with_kana("テキゴウ", "タロウ")
        .with_gender(Gender::Male)
        .with_birth_date(NaiveDate::from_ymd_opt(1990, 4, 1).expect("date"))
        .with_hire_date(hired)
        .with_email(format!("{}@example.com", suffix.to_lowercase()))
}

async fn create(
    system: &dyn EmployeeSystem,
    employee: &Employee,
    placement: &Placement,
) -> RecordId {
    match system.create_employee(employee, placement).await {
        Ok(record) => {
            assert_eq!(
                record.employee.code, employee.code,
                "contract 5: create returns the created record"
            );
            record.id
        }
        Err(error) => panic!("contract 5: create of {} failed: {error}", employee.code),
    }
}

async fn get(system: &dyn EmployeeSystem, code: &EmployeeCode) -> Option<crate::EmployeeRecord> {
    system
        .get_employee(code)
        .await
        .unwrap_or_else(|error| panic!("contract 4: get_employee({code}) failed: {error}"))
}

fn assert_synced_fields_equal(actual: &Employee, expected: &Employee, point: &str) {
    for field in Field::ALL {
        assert_eq!(
            actual.get(field),
            expected.get(field),
            "{point}: field {field} of {}",
            expected.code
        );
    }
}

async fn unknown_code_is_none(system: &dyn EmployeeSystem, context: &ConformanceContext) {
    assert_eq!(
        get(system, &context.code("NOBODY")).await,
        None,
        "contract 4: an unknown code is Ok(None)"
    );
}

/// A code that only starts like a held one, or extends it, finds nothing.
async fn get_matches_the_exact_code(system: &dyn EmployeeSystem, context: &ConformanceContext) {
    for near in ["FUL", "FULLX"] {
        assert_eq!(
            get(system, &context.code(near)).await,
            None,
            "contract 4: get_employee finds a record by its exact code only ({near} is not FULL)"
        );
    }
}

async fn create_and_read_back(
    system: &dyn EmployeeSystem,
    context: &ConformanceContext,
    placement: &Placement,
) {
    let full = full_employee(context, "FULL");
    let id = create(system, &full, placement).await;
    let read = get(system, &full.code)
        .await
        .expect("contract 4/5: a created employee is found by its code");
    assert_eq!(
        read.id, id,
        "contract 5: the returned id is the record's id"
    );
    assert_synced_fields_equal(
        &read.employee,
        &full,
        "contract 5: create stores every field",
    );

    // Only what the target requires: every other value reads back as None, not "".
    let mut sparse = Employee::new(context.code("SPARSE"));
    for field in &system.info().required_on_create {
        let value = full.get(*field);
        sparse.set(*field, value).expect("same field type");
    }
    create(system, &sparse, placement).await;
    let read = get(system, &sparse.code)
        .await
        .expect("contract 5: created");
    assert_synced_fields_equal(&read.employee, &sparse, "contract 3: unset values are None");
}

async fn lists_every_record_and_enrolled_ones(
    system: &dyn EmployeeSystem,
    context: &ConformanceContext,
    placement: &Placement,
) {
    let today = context.today;
    let resigned = full_employee(context, "RESIGNED")
        .with_hire_date(today.checked_sub_months(Months::new(24)).expect("date"))
        .with_resignation_date(today.checked_sub_days(Days::new(30)).expect("date"));
    let future = full_employee(context, "FUTURE")
        .with_hire_date(today.checked_add_days(Days::new(30)).expect("date"));
    create(system, &resigned, placement).await;
    create(system, &future, placement).await;

    let all = system
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap_or_else(|error| panic!("contract 2: list (all records) failed: {error}"));
    for suffix in ["FULL", "SPARSE", "RESIGNED", "FUTURE"] {
        let code = context.code(suffix);
        let count = all.iter().filter(|r| r.employee.code == code).count();
        assert_eq!(
            count, 1,
            "contract 2: all_records lists {code} exactly once"
        );
    }
    let listed = all
        .iter()
        .find(|record| record.employee.code == resigned.code)
        .expect("listed");
    assert_eq!(
        listed.employee.resignation_date, resigned.resignation_date,
        "contract 2: listed records carry their dates"
    );

    let enrolled = system
        .list_employees(&ListOptions::enrolled_on(today))
        .await
        .unwrap_or_else(|error| panic!("contract 2: list (enrolled) failed: {error}"));
    assert!(
        enrolled
            .iter()
            .any(|record| record.employee.code == context.code("FULL")),
        "contract 2: enrolled_on(today) lists an employee hired a year ago"
    );
    for record in &enrolled {
        let copies = enrolled
            .iter()
            .filter(|other| other.id == record.id)
            .count();
        assert_eq!(copies, 1, "contract 2: each record is listed once");
    }
    for suffix in ["RESIGNED", "FUTURE"] {
        assert!(
            get(system, &context.code(suffix)).await.is_some(),
            "contract 4: get finds {suffix} employees whatever their dates"
        );
    }
}

async fn refused_creates_change_nothing(
    system: &dyn EmployeeSystem,
    context: &ConformanceContext,
    placement: &Placement,
) {
    let duplicate = full_employee(context, "FULL").with_name("重複", "花子");
    match system.create_employee(&duplicate, placement).await {
        Err(ConnectorError::AlreadyExists { code }) => {
            assert_eq!(
                code, duplicate.code,
                "contract 5: AlreadyExists names the code"
            )
        }
        other => panic!("contract 5: a duplicate code must be AlreadyExists, got {other:?}"),
    }
    let kept = get(system, &duplicate.code).await.expect("still there");
    assert_eq!(
        kept.employee.last_name.as_deref(),
        Some("適合"),
        "contract 5: a refused create changes nothing"
    );

    for field in system.info().required_on_create.clone() {
        let mut missing =
            full_employee(context, &format!("MISSING-{}", field.name().to_uppercase()));
        missing
            .set(field, None)
            .expect("clearing is always allowed");
        match system.create_employee(&missing, placement).await {
            Err(ConnectorError::InvalidInput { .. }) => {}
            other => panic!(
                "contract 5: a create without required {field} must be InvalidInput, got {other:?}"
            ),
        }
        assert_eq!(
            get(system, &missing.code).await,
            None,
            "contract 5: a refused create changes nothing"
        );
    }

    for (kind, _) in placement.iter() {
        let unknown = full_employee(context, &format!("BADPLACE-{kind:?}").to_uppercase());
        let bad = placement.iter().fold(Placement::new(), |acc, (k, code)| {
            acc.with(k, if k == kind { "no-such-code-9999" } else { code })
        });
        match system.create_employee(&unknown, &bad).await {
            Err(ConnectorError::InvalidInput { .. }) => {}
            other => panic!(
                "contract 5: a create with an unknown {kind} must be InvalidInput, got {other:?}"
            ),
        }
        assert_eq!(
            get(system, &unknown.code).await,
            None,
            "contract 5: a refused create changes nothing"
        );

        let unplaced = full_employee(context, &format!("NOPLACE-{kind:?}").to_uppercase());
        let without = placement
            .iter()
            .filter(|(k, _)| *k != kind)
            .fold(Placement::new(), |acc, (k, code)| acc.with(k, code));
        match system.create_employee(&unplaced, &without).await {
            Err(ConnectorError::InvalidInput { .. }) => {}
            other => {
                panic!("contract 5: a create without a {kind} must be InvalidInput, got {other:?}")
            }
        }
        assert_eq!(
            get(system, &unplaced.code).await,
            None,
            "contract 5: a refused create changes nothing"
        );
    }
}

async fn update_changes_only_given_fields(
    system: &dyn EmployeeSystem,
    context: &ConformanceContext,
    placement: &Placement,
) {
    let before = full_employee(context, "UPDATE");
    let id = create(system, &before, placement).await;
    let neighbour = get(system, &context.code("FULL"))
        .await
        .expect("created earlier");
    let new_hire = before
        .hire_date
        .and_then(|date| date.checked_sub_days(Days::new(1)))
        .expect("date");
    let update = EmployeeUpdate {
        changes: vec![
            (Field::LastName, Some(FieldValue::Text("更新".into()))),
            (Field::HireDate, Some(FieldValue::Date(new_hire))),
            (Field::Email, None),
        ],
    };
    if let Err(error) = system.update_employee(&id, &update).await {
        panic!("contract 6: update failed: {error}");
    }
    let after = get(system, &before.code).await.expect("still there");
    let mut expected = before.clone();
    for (field, value) in &update.changes {
        expected
            .set(*field, value.clone())
            .expect("same field type");
    }
    assert_synced_fields_equal(
        &after.employee,
        &expected,
        "contract 6: update changes exactly the given fields (None clears)",
    );
    assert_eq!(after.id, id, "contract 6: the record keeps its id");
    assert_eq!(
        get(system, &neighbour.employee.code).await,
        Some(neighbour),
        "contract 6: an update changes no other record"
    );
}

async fn update_of_unknown_id_is_not_found(system: &dyn EmployeeSystem) {
    let update = EmployeeUpdate {
        changes: vec![(Field::LastName, Some(FieldValue::Text("誰".into())))],
    };
    match system
        .update_employee(&RecordId::new("no-such-record-0000"), &update)
        .await
    {
        Err(ConnectorError::NotFound { .. }) => {}
        other => panic!("contract 6: updating an unknown id must be NotFound, got {other:?}"),
    }
}

async fn secrets_never_show(system: &dyn EmployeeSystem, context: &ConformanceContext) {
    let debug = format!("{system:?}");
    // A real change: an empty update may be a no-op that never reaches the system.
    let update = EmployeeUpdate {
        changes: vec![(Field::LastName, Some(FieldValue::Text("誰".into())))],
    };
    let error = system
        .update_employee(&RecordId::new("no-such-record-0000"), &update)
        .await
        .err()
        .map(|error| format!("{error} {error:?}"))
        .unwrap_or_default();
    for secret in &context.secrets {
        assert!(
            !debug.contains(secret.as_str()),
            "contract 9: a secret shows in Debug output"
        );
        assert!(
            !error.contains(secret.as_str()),
            "contract 9: a secret shows in an error"
        );
    }
}

fn redact(text: &str, context: &ConformanceContext) -> String {
    context
        .secrets
        .iter()
        .fold(text.to_owned(), |text, secret| {
            text.replace(secret.as_str(), "[redacted]")
        })
}
