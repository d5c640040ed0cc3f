//! The client: the KOT-family operations on top of the send function.

use std::collections::HashMap;
use std::fmt;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{Days, Months, NaiveDate};
use hris_sync_core::retry::Idempotency;
use hris_sync_core::{
    AttendanceConnector, ConnectorError, Employee, EmployeeCode, EmployeeRecord, EmployeeSystem,
    EmployeeUpdate, Field, FieldValue, ListOptions, MasterEntry, MasterKind, Placement, RecordId,
    Side, SystemInfo, Unclearable,
};
use reqwest::Method;
use serde_json::Value;

use crate::error::{decode, VendorRefusal};
use crate::http::{Reply, Transport};
use crate::wire::{
    update_body, NewEmployee, Unsendable, WireAvailability, WireEmployee, WireMaster,
    ADDITIONAL_FIELDS, DATE_FORMAT,
};
use hris_sync_http::Call;

/// A client of one KOT-family API (KING OF TIME, Touch On Time, 勤革時), built by
/// [`KotClientBuilder`](crate::KotClientBuilder).
///
/// Implements [`EmployeeSystem`] and [`AttendanceConnector`]; see the crate docs for how each
/// operation maps to the API.
///
/// # What the client remembers
///
/// For every record it reads (list or get), creates or updates, the client remembers the
/// record's code and its whole `emailAddresses` list, by key: one small entry per record,
/// kept as long as the client. An email update needs that list, because the API replaces
/// `emailAddresses` as a whole and only the first address belongs to the sync (the others are
/// kept). The sync engine lists every target record just before it writes, so an email update
/// is one `PUT` built from that list; only for a record this client never saw (or one whose
/// last write has an unknown result) does it read the record first, by code or in the list.
///
/// The trade-off is staleness: the remembered list is as old as this client's last read of
/// that record (in a sync, apply's re-read moments before; for a long-lived client used on
/// its own, possibly much older). An address added in the vendor's screens after that read is
/// overwritten by the `PUT`. Reading first narrows that window but does not close it — the API
/// has no conditional `PUT`, so the read-modify-write is never atomic. A caller that updates
/// without a fresh list can call [`get_employee`](EmployeeSystem::get_employee) first, which
/// refreshes the remembered list.
pub struct KotClient {
    transport: Transport,
    info: SystemInfo,
    /// What the client last saw of each record, by key (see the type's docs).
    seen: Mutex<HashMap<RecordId, Seen>>,
}

/// What a client last saw of one record.
#[derive(Clone, Debug)]
struct Seen {
    /// The employee code, for reading the record again (`GET /employees/{code}`).
    code: EmployeeCode,
    /// Every address, in order, as last read or written; `None` after a write of them whose
    /// result is unknown, so the next email update reads them again.
    addresses: Option<Vec<String>>,
}

/// The `emailAddresses` a request body sends, if it sends them.
fn sent_addresses(body: &Value) -> Option<Vec<String>> {
    let addresses = body.get("emailAddresses")?.as_array()?;
    Some(
        addresses
            .iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
    )
}

impl KotClient {
    pub(crate) fn new(transport: Transport) -> Self {
        let info = SystemInfo::new(transport.protocol().brand.name(), Side::Attendance)
            .with_required_on_create([Field::Gender, Field::LastName, Field::FirstName])
            .with_placement_kinds([MasterKind::Division, MasterKind::EmploymentType])
            .with_maintenance_windows(transport.protocol().brand.maintenance_windows().clone());
        Self {
            transport,
            info,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Declares the vendor's field lengths and code characters in the client's info.
    pub(crate) fn with_field_rules(
        mut self,
        max_lengths: Vec<(Field, usize)>,
        code_characters: hris_sync_core::CodeCharacters,
    ) -> Self {
        self.info = self
            .info
            .with_max_lengths(max_lengths)
            .with_code_characters(code_characters);
        self
    }

    /// The brand this client talks to.
    pub fn brand(&self) -> &crate::Brand {
        &self.transport.protocol().brand
    }

    fn name(&self) -> &str {
        self.transport.protocol().brand.name()
    }

    fn today(&self) -> NaiveDate {
        self.transport.protocol().clock.today_in_japan()
    }

    /// The as-of date that reaches every record: the latest the API allows (today + 1 year,
    /// one day less so a differently counted bound cannot refuse it). With
    /// `includeResigner=true` that returns everyone already resigned and everyone hired up to
    /// that date.
    fn as_of_for_all_records(&self) -> NaiveDate {
        let today = self.today();
        today
            .checked_add_months(Months::new(12))
            .and_then(|d| d.checked_sub_days(Days::new(1)))
            .unwrap_or(today)
    }

    fn check_as_of(&self, date: NaiveDate) -> Result<(), ConnectorError> {
        let today = self.today();
        let earliest = today.checked_sub_months(Months::new(36)).unwrap_or(today);
        let latest = today.checked_add_months(Months::new(12)).unwrap_or(today);
        if date < earliest || date > latest {
            return Err(ConnectorError::invalid_input(
                None,
                format!(
                    "{}: the as-of date {date} is outside the API's range {earliest} to {latest}",
                    self.name()
                ),
            ));
        }
        Ok(())
    }

    fn seen(&self) -> std::sync::MutexGuard<'_, HashMap<RecordId, Seen>> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Remembers the code and addresses of records just read.
    fn remember(&self, read: &[WireEmployee]) {
        let mut seen = self.seen();
        for wire in read {
            seen.insert(
                RecordId::new(wire.key.clone()),
                Seen {
                    code: EmployeeCode::new(wire.code.clone()),
                    addresses: Some(wire.email_addresses().to_vec()),
                },
            );
        }
    }

    fn records(
        &self,
        operation: &str,
        wire: Vec<WireEmployee>,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        wire.into_iter()
            .map(|w| w.into_record(&self.transport.protocol().brand, operation))
            .collect()
    }

    async fn get(
        &self,
        operation: &'static str,
        path: &[&str],
        query: &[(&'static str, String)],
    ) -> Result<Reply, ConnectorError> {
        let call = Call {
            operation,
            method: Method::GET,
            path,
            query,
            body: None,
            idempotency: Idempotency::Idempotent,
        };
        self.transport.send(&call).await
    }

    fn employee_query(date: NaiveDate) -> [(&'static str, String); 3] {
        [
            ("date", date.format(DATE_FORMAT).to_string()),
            ("includeResigner", "true".to_owned()),
            ("additionalFields", ADDITIONAL_FIELDS.to_owned()),
        ]
    }

    async fn fetch_list(&self, date: NaiveDate) -> Result<Vec<WireEmployee>, ConnectorError> {
        const OP: &str = "list_employees";
        let reply = self
            .get(OP, &["employees"], &Self::employee_query(date))
            .await?;
        let wire: Vec<WireEmployee> = decode(&self.transport.protocol().brand, OP, &reply.body)?;
        self.remember(&wire);
        Ok(wire)
    }

    async fn fetch_one(&self, code: &EmployeeCode) -> Result<Option<WireEmployee>, ConnectorError> {
        const OP: &str = "get_employee";
        let query = Self::employee_query(self.as_of_for_all_records());
        match self.get(OP, &["employees", code.as_str()], &query).await {
            Ok(reply) => {
                let wire: WireEmployee = decode(&self.transport.protocol().brand, OP, &reply.body)?;
                self.remember(std::slice::from_ref(&wire));
                Ok(Some(wire))
            }
            Err(ConnectorError::NotFound { .. }) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// The addresses of the record `id`: the remembered ones when this client has seen them
    /// (no request), else one read by code (the code remembered from an earlier read), or one
    /// list of every record when the key was never seen or its code changed since. Every
    /// read remembers what it found.
    async fn current_addresses(&self, id: &RecordId) -> Result<Vec<String>, ConnectorError> {
        let known = self.seen().get(id).cloned();
        if let Some(Seen {
            addresses: Some(addresses),
            ..
        }) = known
        {
            return Ok(addresses);
        }
        if let Some(Seen { code, .. }) = known {
            if let Some(wire) = self.fetch_one(&code).await? {
                if wire.key == id.as_str() {
                    return Ok(wire.email_addresses().to_vec());
                }
            }
        }
        let all = self.fetch_list(self.as_of_for_all_records()).await?;
        all.iter()
            .find(|w| w.key == id.as_str())
            .map(|w| w.email_addresses().to_vec())
            .ok_or_else(|| {
                ConnectorError::not_found(format!("{}: no employee with key {id}", self.name()))
            })
    }

    /// Whether a refused create says "the code exists already": HTTP 409, or a vendor code
    /// declared with [`with_duplicate_code_error`](crate::KotClientBuilder::with_duplicate_code_error).
    /// Never the message's words: a refusal for another duplicate (an email address) uses
    /// the same words. And never a read here: `AlreadyExists` is a hint that the engine
    /// confirms by reading the code back, and every other refusal stays what the vendor said.
    fn is_duplicate(&self, error: &ConnectorError) -> bool {
        let ConnectorError::InvalidInput { source, .. } = error else {
            return false;
        };
        source
            .as_ref()
            .and_then(|s| s.downcast_ref::<VendorRefusal>())
            .is_some_and(|refusal| {
                refusal.status == 409
                    || refusal
                        .codes
                        .iter()
                        .any(|c| self.transport.protocol().duplicate_codes.contains(c))
            })
    }

    fn missing(&self, what: &str, field: Option<Field>) -> ConnectorError {
        ConnectorError::invalid_input(
            field,
            format!("{}: a new employee needs {what}", self.name()),
        )
    }
}

#[async_trait]
impl EmployeeSystem for KotClient {
    fn info(&self) -> &SystemInfo {
        &self.info
    }

    /// `GET /tokens/{token}/available`; `{"available": false}` is
    /// [`ConnectorError::Unauthenticated`].
    async fn test_connection(&self) -> Result<(), ConnectorError> {
        const OP: &str = "test_connection";
        let reply = self
            .get(OP, &["tokens", self.transport.token(), "available"], &[])
            .await?;
        let answer: WireAvailability = decode(&self.transport.protocol().brand, OP, &reply.body)?;
        if answer.available {
            Ok(())
        } else {
            Err(ConnectorError::Unauthenticated {
                message: format!(
                    "{}: the API token is not available (expired, revoked or not yet valid)",
                    self.name()
                ),
                source: None,
            })
        }
    }

    /// One `GET /employees` with `includeResigner=true` and the synced `additionalFields`;
    /// `date` is the base date for [`ListOptions::enrolled_on`], or the latest date the API
    /// allows for every record.
    async fn list_employees(
        &self,
        options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        let date = match options.enrolled_on {
            Some(date) => {
                self.check_as_of(date)?;
                date
            }
            None => self.as_of_for_all_records(),
        };
        let wire = self.fetch_list(date).await?;
        self.records("list_employees", wire)
    }

    /// `GET /employees/{code}`; 404 is `Ok(None)`.
    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError> {
        let Some(wire) = self.fetch_one(code).await? else {
            return Ok(None);
        };
        Ok(self.records("get_employee", vec![wire])?.pop())
    }

    /// `POST /employees`, never re-sent after a lost answer. A refusal is
    /// [`ConnectorError::AlreadyExists`] only for HTTP 409 or a declared duplicate code
    /// (never for its words); any other is returned as classified, with the vendor's
    /// message and code.
    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError> {
        const OP: &str = "create_employee";
        let division = placement
            .get(MasterKind::Division)
            .ok_or_else(|| self.missing("a division", None))?;
        let kind = placement
            .get(MasterKind::EmploymentType)
            .ok_or_else(|| self.missing("an employment type", None))?;
        let body = NewEmployee::new(employee, division, kind)
            .map_err(|field| self.missing(field.name(), Some(field)))?;
        let body =
            serde_json::to_value(body).map_err(|_| self.missing("encodable values", None))?;
        let call = Call {
            operation: OP,
            method: Method::POST,
            path: &["employees"],
            query: &[],
            body: Some(&body),
            idempotency: Idempotency::NotIdempotent,
        };
        let reply = match self.transport.send(&call).await {
            Ok(reply) => reply,
            Err(error) if self.is_duplicate(&error) => {
                return Err(ConnectorError::AlreadyExists {
                    code: employee.code.clone(),
                });
            }
            Err(error) => return Err(error),
        };
        let wire: WireEmployee = decode(&self.transport.protocol().brand, OP, &reply.body)?;
        let record = wire.into_record(&self.transport.protocol().brand, OP)?;
        // A new record holds exactly the addresses it was created with (the answer may leave
        // `emailAddresses` out, as it does every property not asked for).
        self.seen().insert(
            record.id.clone(),
            Seen {
                code: record.employee.code.clone(),
                addresses: Some(sent_addresses(&body).unwrap_or_default()),
            },
        );
        Ok(record)
    }

    /// `PUT /employees/{key}?updateDate=<today>` with the changed properties only. An email
    /// change sends the whole address list with the first replaced and the others kept: the
    /// list remembered from this client's last read or write of the record, or — for a record
    /// it never saw — one read first (see [`KotClient`] for the staleness trade-off).
    ///
    /// Clearing the email of a record that has spare addresses is refused before anything is
    /// sent — the whole update, other fields included, so the error is the whole truth:
    /// [`ConnectorError::InvalidInput`] for [`Field::Email`]. The API cannot hold "no first
    /// address but a spare", and sending the rest would move the spare up to be the email.
    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError> {
        if update.is_empty() {
            return Ok(());
        }
        let addresses = if update.value(Field::Email).is_some() {
            self.current_addresses(id).await?
        } else {
            Vec::new()
        };
        let body = update_body(update, &addresses).map_err(|unsendable| match unsendable {
            Unsendable::WrongType(field) => ConnectorError::invalid_input(
                Some(field),
                format!("{}: a value of the wrong type for {field}", self.name()),
            ),
            Unsendable::ClearWithSpares(spares) => ConnectorError::invalid_input(
                Some(Field::Email),
                format!(
                    "{}: cannot clear the email while spare addresses exist ({spares} more in \
                     emailAddresses): the API keeps no empty first place, so the first spare \
                     address, which the sync does not own, would become the email; nothing was \
                     sent. Remove the spare addresses in the vendor's screens, or keep an \
                     email in the source",
                    self.name()
                ),
            ),
        })?;
        let body = Value::Object(body);
        let query = [("updateDate", self.today().format(DATE_FORMAT).to_string())];
        let call = Call {
            operation: "update_employee",
            method: Method::PUT,
            path: &["employees", id.as_str()],
            query: &query,
            body: Some(&body),
            idempotency: Idempotency::Idempotent,
        };
        // The answer (the whole employee) is not needed: a PUT that was answered 2xx applied.
        let result = self.transport.send(&call).await.map(drop);
        let sent = sent_addresses(&body);
        let code = match update.value(Field::Code) {
            Some(Some(FieldValue::Text(code))) => Some(EmployeeCode::new(code.clone())),
            _ => None,
        };
        if let Some(seen) = self.seen().get_mut(id) {
            match (&result, sent) {
                // Applied: the record now holds what was sent.
                (Ok(()), Some(sent)) => seen.addresses = Some(sent),
                // Maybe applied, maybe not: read the addresses again before the next change.
                (Err(_), Some(_)) => seen.addresses = None,
                (_, None) => {}
            }
            if let (Ok(()), Some(code)) = (&result, code) {
                seen.code = code;
            }
        }
        result
    }

    /// `GET /divisions` or `GET /working-types`; offices are an HR-side list (empty here).
    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError> {
        let (operation, path) = match kind {
            MasterKind::Division => ("list_divisions", "divisions"),
            MasterKind::EmploymentType => ("list_working_types", "working-types"),
            MasterKind::Office => return Ok(Vec::new()),
        };
        let reply = self.get(operation, &[path], &[]).await?;
        let masters: Vec<WireMaster> =
            decode(&self.transport.protocol().brand, operation, &reply.body)?;
        Ok(masters.into_iter().map(MasterEntry::from).collect())
    }

    /// The email of a record whose last read showed spare addresses after the first: the
    /// API keeps no empty first address, so clearing it would promote a spare into its
    /// place (and the client refuses to send that). Answered from the addresses the last
    /// list remembered, without a request.
    fn cannot_clear(&self, records: &[EmployeeRecord]) -> Vec<(RecordId, Unclearable)> {
        let seen = self.seen();
        records
            .iter()
            .filter_map(|record| {
                let spares = seen
                    .get(&record.id)?
                    .addresses
                    .as_ref()?
                    .len()
                    .checked_sub(1)
                    .filter(|spares| *spares > 0)?;
                Some((
                    record.id.clone(),
                    Unclearable {
                        field: Field::Email,
                        reason: format!(
                            "{} keeps {spares} further address(es) after the email, and clearing \
                             the first would move one of them into its place; remove them in {} \
                             first to clear it",
                            self.transport.protocol().brand.name(),
                            self.transport.protocol().brand.name()
                        ),
                    },
                ))
            })
            .collect()
    }
}

impl AttendanceConnector for KotClient {}

impl fmt::Debug for KotClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KotClient")
            .field("transport", &self.transport)
            .finish_non_exhaustive()
    }
}
