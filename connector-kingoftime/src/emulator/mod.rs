//! A stateful, in-process emulator of the KOT-family API (feature `emulator`), for tests,
//! examples and benchmarks.
//!
//! It serves HTTP/1.1 on `127.0.0.1` (the shared loopback server of `hris-sync-http`, a small
//! hyper server, because one fault class must drop
//! the connection after applying a write, which wiremock cannot do) and keeps employees,
//! divisions and working types in memory. What it emulates:
//!
//! - bearer-token check (`403` + code 100 when wrong) and `GET /tokens/{token}/available`;
//!   a token without a right and a caller not on the IP allow-list (`403` + code 105) are
//!   injected as faults ([`FaultKind::TokenWithoutRight`], [`FaultKind::AddressNotAllowed`]);
//! - `GET /employees` with `date` (default today, refused outside today − 3 years ..
//!   today + 1 year), `includeResigner`, `division` and `additionalFields` (keys not asked for,
//!   and every null value, are left out); `GET /employees/{code}` with the same parameters;
//! - `POST /employees` checking the required properties, the division and working type, and
//!   the code's uniqueness, answering `201` with the employee and its new key;
//! - `PUT /employees/{key}` changing only the properties sent (an empty value sets null);
//! - `GET /divisions`, `GET /working-types`;
//! - restricted hours from its own clock: employee and master calls inside the brand's
//!   windows get `403` + code 104 with a Japanese message naming the windows;
//! - an optional request-rate limit answered with `{"code":"303","message":"Too Many Requests"}`
//!   (status 429);
//! - injectable latency and [`Fault`]s; request counters per [`Endpoint`], the highest
//!   concurrency and request rate observed.
//!
//! Keys are opaque and never reused: a saved state ([`KotEmulator::employees`]) loaded into
//! a new emulator ([`KotEmulator::load`]) keeps its keys, later creates get keys past every
//! loaded one, and a state holding one key twice is refused with
//! [`EmulatorError::DuplicateKey`].
//!
//! Error bodies have the documented shape `{"errors":[{"message":…,"code":…}]}`. The codes
//! 100, 104, 300 and 303 are the vendor's, 105 is reported from the field; for validation the emulator uses its own: 111 (a
//! value missing or malformed), 112 (unknown division or working type), 113 (employee code
//! taken), 114 (not found), each with status 400.
//!
//! **Assumption: the duplicate-code refusal.** The vendor publishes neither the status nor
//! the code of "this employee code is taken". The emulator answers `400` +
//! [`DUPLICATE_CODE_ERROR`] (113, its own choice), and [`KotEmulator::client_builder`] and
//! [`check_brand`] declare that code with
//! [`with_duplicate_code_error`](crate::KotClientBuilder::with_duplicate_code_error), as a
//! deployment does once it knows its vendor's code; so a duplicate create reads as
//! `AlreadyExists` while a refusal that merely *says* 重複 (a duplicate email) does not.
//!
//! **Clock.** By default the emulator uses the host clock, so between 08:30–10:00 and
//! 17:30–18:30 Japan time it refuses employee calls as the real API does. Tests should
//! inject a [`FixedClock`](hris_sync_core::FixedClock) with
//! [`EmulatorBuilder::with_clock`] and build their client with
//! [`KotEmulator::client_builder`], which shares it.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! use std::sync::Arc;
//! use connector_kingoftime::emulator::{Endpoint, KotEmulator};
//! use hris_sync_core::{EmployeeSystem, Employee, FixedClock, Gender, ListOptions};
//!
//! let emulator = KotEmulator::builder()
//!     .with_clock(Arc::new(FixedClock::at_japan_time(2024, 4, 1, 12, 0)))
//!     .start()
//!     .await;
//! emulator.add_division("1000", "本社");
//! emulator.add_working_type("1", "正社員");
//! let taro = Employee::new("1000").with_name("勤怠", "太郎").with_gender(Gender::Male);
//! emulator.add_employee(&taro, "1000", "1");
//!
//! let client = emulator.client_builder().build().unwrap();
//! let records = client.list_employees(&ListOptions::all_records()).await.unwrap();
//! assert_eq!(records[0].employee, taro);
//! assert_eq!(emulator.request_count(Endpoint::ListEmployees), 1);
//! # }
//! ```

mod api;
mod brand_check;
mod server;

pub use brand_check::check_brand;

use std::collections::BTreeMap;
use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use hris_sync_core::{Clock, Employee, Gender, RecordId, SystemClock};

use crate::brand::Brand;
use crate::config::KotClientBuilder;
use crate::RateLimit;

/// The emulator's error code for "the employee code is taken" on create (sent with status
/// 400; see the module docs for why it is an assumption).
pub const DUPLICATE_CODE_ERROR: i64 = 113;

/// One endpoint of the API, as the emulator counts requests and targets faults.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Endpoint {
    /// `GET /employees`.
    ListEmployees,
    /// `GET /employees/{code}`.
    GetEmployee,
    /// `POST /employees`.
    CreateEmployee,
    /// `PUT /employees/{key}`.
    UpdateEmployee,
    /// `GET /divisions`.
    Divisions,
    /// `GET /working-types`.
    WorkingTypes,
    /// `GET /tokens/{token}/available`.
    TokenAvailable,
    /// Anything else (answered 404).
    Other,
}

impl Endpoint {
    /// Method and path pattern, e.g. `"GET /employees/{code}"`.
    pub fn pattern(self) -> &'static str {
        match self {
            Endpoint::ListEmployees => "GET /employees",
            Endpoint::GetEmployee => "GET /employees/{code}",
            Endpoint::CreateEmployee => "POST /employees",
            Endpoint::UpdateEmployee => "PUT /employees/{key}",
            Endpoint::Divisions => "GET /divisions",
            Endpoint::WorkingTypes => "GET /working-types",
            Endpoint::TokenAvailable => "GET /tokens/{token}/available",
            Endpoint::Other => "other",
        }
    }

    /// True for the endpoints that change data.
    pub fn is_write(self) -> bool {
        matches!(self, Endpoint::CreateEmployee | Endpoint::UpdateEmployee)
    }
}

impl fmt::Display for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pattern())
    }
}

/// What an injected fault does to a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FaultKind {
    /// Answer this status with a KOT error body (code 300 for 5xx); nothing is applied.
    Status(u16),
    /// Answer 429 with the `{"code":"303",…}` body; nothing is applied.
    RateLimited,
    /// Answer 403 + code 104 (restricted hours), whatever the clock says; nothing is applied.
    RestrictedHours,
    /// Answer 403 + code 105, as reported from the field for a call from an address that is
    /// not on the company's IP allow-list; nothing is applied.
    AddressNotAllowed,
    /// Answer 403 + code 100 with the message of a token without the right for the item
    /// (the vendor answers a wrong token with the same code); nothing is applied.
    TokenWithoutRight,
    /// Apply the request, then hold the answer this long (past the client's timeout).
    Hang(Duration),
    /// Apply the request, then close the connection without answering.
    DropAfterApply,
    /// Apply the request, then answer its success status with a truncated JSON body.
    MalformedJson,
}

/// A fault for the next requests: [`KotEmulator::inject`].
///
/// ```
/// use connector_kingoftime::emulator::{Endpoint, Fault, FaultKind};
/// // The next two creates apply, then lose their answer.
/// let fault = Fault::new(FaultKind::DropAfterApply).times(2).on(Endpoint::CreateEmployee);
/// # drop(fault);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fault {
    kind: FaultKind,
    times: usize,
    endpoint: Option<Endpoint>,
}

impl Fault {
    /// The fault for the next request (any endpoint).
    pub fn new(kind: FaultKind) -> Self {
        Self {
            kind,
            times: 1,
            endpoint: None,
        }
    }

    /// For the next `n` matching requests.
    pub fn times(mut self, n: usize) -> Self {
        self.times = n;
        self
    }

    /// Only for requests to `endpoint`.
    pub fn on(mut self, endpoint: Endpoint) -> Self {
        self.endpoint = Some(endpoint);
        self
    }
}

/// One employee as the emulator stores it (the wire values, before mapping). Serialisable,
/// so an emulator's employees can be saved and loaded again (the examples do).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[non_exhaustive]
pub struct EmulatedEmployee {
    /// The opaque key (generated).
    pub key: String,
    /// The employee code.
    pub code: String,
    /// `lastName`.
    pub last_name: Option<String>,
    /// `firstName`.
    pub first_name: Option<String>,
    /// `lastNamePhonetics`.
    pub last_name_phonetics: Option<String>,
    /// `firstNamePhonetics`.
    pub first_name_phonetics: Option<String>,
    /// `gender` as sent on the wire (`"male"`, `"female"`, or another value to test tolerance).
    pub gender: Option<String>,
    /// `birthDate`.
    pub birth_date: Option<NaiveDate>,
    /// `hiredDate`.
    pub hired_date: Option<NaiveDate>,
    /// `resignationDate`.
    pub resignation_date: Option<NaiveDate>,
    /// `emailAddresses`, all of them.
    pub email_addresses: Vec<String>,
    /// `divisionCode`.
    pub division_code: String,
    /// `typeCode`.
    pub type_code: String,
}

impl EmulatedEmployee {
    /// An employee with a code and placement and nothing else (no key yet).
    pub fn new(
        code: impl Into<String>,
        division_code: impl Into<String>,
        type_code: impl Into<String>,
    ) -> Self {
        Self {
            key: String::new(),
            code: code.into(),
            last_name: None,
            first_name: None,
            last_name_phonetics: None,
            first_name_phonetics: None,
            gender: None,
            birth_date: None,
            hired_date: None,
            resignation_date: None,
            email_addresses: Vec::new(),
            division_code: division_code.into(),
            type_code: type_code.into(),
        }
    }

    /// The core model's employee carrying `employee`'s synced fields.
    pub fn from_employee(employee: &Employee, division_code: &str, type_code: &str) -> Self {
        Self {
            last_name: employee.last_name.clone(),
            first_name: employee.first_name.clone(),
            last_name_phonetics: employee.last_name_kana.clone(),
            first_name_phonetics: employee.first_name_kana.clone(),
            gender: employee.gender.map(|g| g.to_string()),
            birth_date: employee.birth_date,
            hired_date: employee.hire_date,
            resignation_date: employee.resignation_date,
            email_addresses: employee.email.iter().cloned().collect(),
            ..Self::new(employee.code.as_str(), division_code, type_code)
        }
    }

    /// The synced fields in the core model (what a client reads back).
    pub fn to_employee(&self) -> Employee {
        Employee {
            code: self.code.as_str().into(),
            last_name: self.last_name.clone(),
            first_name: self.first_name.clone(),
            last_name_kana: self.last_name_phonetics.clone(),
            first_name_kana: self.first_name_phonetics.clone(),
            gender: match self.gender.as_deref() {
                Some("male") => Some(Gender::Male),
                Some("female") => Some(Gender::Female),
                _ => None,
            },
            birth_date: self.birth_date,
            hire_date: self.hired_date,
            resignation_date: self.resignation_date,
            // As the client reads it: the first address, none when it is blank.
            email: self
                .email_addresses
                .first()
                .filter(|address| !address.trim().is_empty())
                .cloned(),
            business_name: None,
        }
    }
}

/// A refusal of the emulator's own API (seeding and loading), not of the emulated HTTP API.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum EmulatorError {
    /// Two employees would share this key: keys identify records, so a saved state holding
    /// one twice is corrupt (an update by that key could not tell them apart).
    DuplicateKey {
        /// The key found twice.
        key: String,
    },
}

impl fmt::Display for EmulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EmulatorError::DuplicateKey { key } => write!(
                f,
                "two employees have the key {key}; keys identify records and must be unique"
            ),
        }
    }
}

impl std::error::Error for EmulatorError {}

/// Configures a [`KotEmulator`].
pub struct EmulatorBuilder {
    brand: Brand,
    token: String,
    clock: Arc<dyn Clock>,
    latency: Duration,
    rate_limit: Option<RateLimit>,
}

impl EmulatorBuilder {
    /// Emulates `brand` (its name appears in messages, its windows are the restricted hours).
    pub fn with_brand(mut self, brand: Brand) -> Self {
        self.brand = brand;
        self
    }

    /// Sets the token the emulator accepts (default `"emulator-token"`).
    pub fn with_token(mut self, token: impl Into<String>) -> Self {
        self.token = token.into();
        self
    }

    /// Sets the clock for "today" and the restricted hours (default: the host clock).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Delays every answer by `latency`.
    pub fn with_latency(mut self, latency: Duration) -> Self {
        self.latency = latency;
        self
    }

    /// Refuses requests beyond this rate with the 303 body.
    pub fn with_rate_limit(mut self, limit: RateLimit) -> Self {
        self.rate_limit = Some(limit);
        self
    }

    /// Starts serving on `127.0.0.1` at a free port.
    ///
    /// # Panics
    /// When no loopback port can be bound.
    pub async fn start(self) -> KotEmulator {
        let shared = Arc::new(server::Shared::new(
            self.brand,
            self.token,
            self.clock,
            self.latency,
            self.rate_limit,
        ));
        let (address, task) = server::serve(Arc::clone(&shared)).await;
        KotEmulator {
            shared,
            address,
            task,
        }
    }
}

impl fmt::Debug for EmulatorBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EmulatorBuilder")
            .field("brand", &self.brand.name())
            .field("latency", &self.latency)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

/// A running emulator. Dropping it stops the server and closes its connections.
pub struct KotEmulator {
    shared: Arc<server::Shared>,
    address: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl KotEmulator {
    /// A builder: KING OF TIME brand, token `"emulator-token"`, host clock, no latency, no
    /// rate limit.
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder {
            brand: Brand::king_of_time(),
            token: "emulator-token".to_owned(),
            clock: Arc::new(SystemClock),
            latency: Duration::ZERO,
            rate_limit: None,
        }
    }

    /// The base URL to give a client, `http://127.0.0.1:{port}/v1.0`.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1.0", self.address)
    }

    /// The token the emulator accepts.
    pub fn token(&self) -> &str {
        &self.shared.token
    }

    /// The emulated brand.
    pub fn brand(&self) -> &Brand {
        &self.shared.brand
    }

    /// The emulator's clock.
    pub fn clock(&self) -> Arc<dyn Clock> {
        Arc::clone(&self.shared.clock)
    }

    /// A client builder for this emulator: its brand, token, base URL and clock, and its
    /// duplicate-code error ([`DUPLICATE_CODE_ERROR`]) declared.
    pub fn client_builder(&self) -> KotClientBuilder {
        KotClientBuilder::new(self.shared.brand.clone())
            .with_token(self.token())
            .with_base_url(self.base_url())
            .with_clock(self.clock())
            .with_duplicate_code_error(DUPLICATE_CODE_ERROR)
    }

    /// Adds (or renames) a division.
    pub fn add_division(&self, code: impl Into<String>, name: impl Into<String>) {
        self.shared
            .with_store(|store| upsert(&mut store.divisions, code.into(), name.into()));
    }

    /// Adds (or renames) a working type (雇用区分).
    pub fn add_working_type(&self, code: impl Into<String>, name: impl Into<String>) {
        self.shared
            .with_store(|store| upsert(&mut store.working_types, code.into(), name.into()));
    }

    /// Adds an employee with the given placement and returns its new key. Seeding is not
    /// validated (duplicates and unknown masters are allowed, to build awkward states).
    pub fn add_employee(
        &self,
        employee: &Employee,
        division_code: &str,
        type_code: &str,
    ) -> RecordId {
        self.insert(EmulatedEmployee::from_employee(
            employee,
            division_code,
            type_code,
        ))
    }

    /// Adds a stored employee as given (a key is generated when empty) and returns its key.
    /// Keys are never reused: a later create's key differs from every key inserted here.
    ///
    /// # Panics
    /// When another stored employee has the same key; [`try_insert`](Self::try_insert) and
    /// [`load`](Self::load) return that as an error instead.
    pub fn insert(&self, employee: EmulatedEmployee) -> RecordId {
        self.try_insert(employee)
            .unwrap_or_else(|error| panic!("KotEmulator::insert: {error}"))
    }

    /// Adds a stored employee as given (a key is generated when empty) and returns its key,
    /// or refuses it, storing nothing, when another stored employee has the same key.
    ///
    /// # Errors
    /// [`EmulatorError::DuplicateKey`].
    pub fn try_insert(&self, employee: EmulatedEmployee) -> Result<RecordId, EmulatorError> {
        self.shared.with_store(|store| {
            if !employee.key.is_empty() && store.has_key(&employee.key) {
                return Err(EmulatorError::DuplicateKey {
                    key: employee.key.clone(),
                });
            }
            Ok(RecordId::new(store.insert(employee)))
        })
    }

    /// Loads saved employees (as [`employees`](Self::employees) returned them, keys kept)
    /// and returns their keys in order: all of them, or none when two of them, or one of
    /// them and a stored employee, share a key. Later creates get keys that differ from
    /// every loaded one, so an update addressed to a new record never reaches a loaded one.
    ///
    /// # Errors
    /// [`EmulatorError::DuplicateKey`] naming the first key found twice; nothing is stored.
    pub fn load(
        &self,
        employees: impl IntoIterator<Item = EmulatedEmployee>,
    ) -> Result<Vec<RecordId>, EmulatorError> {
        let employees: Vec<EmulatedEmployee> = employees.into_iter().collect();
        self.shared.with_store(|store| {
            let mut seen = std::collections::HashSet::new();
            for employee in employees.iter().filter(|e| !e.key.is_empty()) {
                if store.has_key(&employee.key) || !seen.insert(employee.key.as_str()) {
                    return Err(EmulatorError::DuplicateKey {
                        key: employee.key.clone(),
                    });
                }
            }
            Ok(employees
                .into_iter()
                .map(|employee| RecordId::new(store.insert(employee)))
                .collect())
        })
    }

    /// Every stored employee, in insertion order.
    pub fn employees(&self) -> Vec<EmulatedEmployee> {
        self.shared.with_store(|store| store.employees.clone())
    }

    /// The stored employees with this code (more than one only if seeded so, or a bug).
    pub fn employees_with_code(&self, code: &str) -> Vec<EmulatedEmployee> {
        self.shared.with_store(|store| {
            store
                .employees
                .iter()
                .filter(|e| e.code == code)
                .cloned()
                .collect()
        })
    }

    /// Delays every later answer by `latency`.
    pub fn set_latency(&self, latency: Duration) {
        self.shared.set_latency(latency);
    }

    /// Sets or removes the request-rate limit.
    pub fn set_rate_limit(&self, limit: Option<RateLimit>) {
        self.shared.set_rate_limit(limit);
    }

    /// Queues a fault; faults apply in the order injected, each to its next matching requests.
    pub fn inject(&self, fault: Fault) {
        self.shared.inject(fault);
    }

    /// Removes the queued faults.
    pub fn clear_faults(&self) {
        self.shared.clear_faults();
    }

    /// Requests received at one endpoint (faulted and refused ones included).
    pub fn request_count(&self, endpoint: Endpoint) -> usize {
        self.shared
            .stats()
            .counts
            .get(&endpoint)
            .copied()
            .unwrap_or(0)
    }

    /// Requests received per endpoint.
    pub fn request_counts(&self) -> BTreeMap<Endpoint, usize> {
        self.shared.stats().counts
    }

    /// All requests received.
    pub fn total_requests(&self) -> usize {
        self.shared.stats().counts.values().sum()
    }

    /// The most requests that were being handled at the same moment.
    pub fn max_concurrency(&self) -> usize {
        self.shared.stats().max_in_flight
    }

    /// The most requests that arrived within any span of `window`.
    pub fn max_requests_within(&self, window: Duration) -> usize {
        self.shared.stats().max_within(window)
    }

    /// Resets the counters and the observed maxima.
    pub fn reset_stats(&self) {
        self.shared.reset_stats();
    }
}

fn upsert(list: &mut Vec<(String, String)>, code: String, name: String) {
    match list.iter_mut().find(|(c, _)| *c == code) {
        Some(entry) => entry.1 = name,
        None => list.push((code, name)),
    }
}

impl Drop for KotEmulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl fmt::Debug for KotEmulator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KotEmulator")
            .field("brand", &self.shared.brand.name())
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}
