//! The client: SmartHR's crew and office operations on top of the shared transport.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use hris_sync_core::retry::Idempotency;
use hris_sync_core::{
    Clock, ConnectorError, Employee, EmployeeCode, EmployeeRecord, EmployeeSystem, EmployeeUpdate,
    Field, HrSystem, ListOptions, MasterEntry, MasterKind, Placement, RecordId, Side, SystemInfo,
    Unclearable,
};
use hris_sync_http::{Call, Reply};
use reqwest::Method;

use crate::empty::EmptyFields;
use crate::paging::PageInfo;
use crate::protocol::SmartHrProtocol;
use crate::wire::{
    create_body, decode_crew, decode_crews, decode_offices, patch_body, property_of, record,
    records, CREW_FIELDS, REFUSED_BLANKS,
};

type Transport = hris_sync_http::Transport<SmartHrProtocol>;

/// What the builder hands the client besides the transport.
pub(crate) struct Settings {
    pub(crate) per_page: u32,
    pub(crate) select_fields: bool,
    pub(crate) required_on_create: Vec<Field>,
    pub(crate) clock: Arc<dyn Clock>,
}

/// A client of one SmartHR tenant, built by [`SmartHrClientBuilder`](crate::SmartHrClientBuilder).
///
/// Implements [`EmployeeSystem`] and [`HrSystem`]: crews are employees (matched by
/// `emp_code`), offices (`biz_establishments`) are the creation-only placement. See the
/// crate docs for each operation's requests.
pub struct SmartHrClient {
    transport: Transport,
    info: SystemInfo,
    settings: Settings,
}

impl SmartHrClient {
    pub(crate) fn new(transport: Transport, settings: Settings) -> Self {
        let info = SystemInfo::new("SmartHR", Side::Hr)
            .with_required_on_create(settings.required_on_create.iter().copied())
            .with_placement_kinds([MasterKind::Office]);
        Self {
            transport,
            info,
            settings,
        }
    }

    fn crew_query(&self) -> Vec<(&'static str, String)> {
        if self.settings.select_fields {
            vec![("fields", CREW_FIELDS.join(","))]
        } else {
            Vec::new()
        }
    }

    async fn get(
        &self,
        operation: &'static str,
        path: &[&str],
        query: &[(&'static str, String)],
    ) -> Result<Reply, ConnectorError> {
        self.transport
            .send(&Call {
                operation,
                method: Method::GET,
                path,
                query,
                body: None,
                idempotency: Idempotency::Idempotent,
            })
            .await
    }

    /// Every page of a list: `decode` reads one page.
    async fn all_pages<T>(
        &self,
        operation: &'static str,
        path: &[&str],
        filters: &[(&'static str, String)],
        decode: impl Fn(&[u8]) -> Result<Vec<T>, ConnectorError>,
    ) -> Result<Vec<T>, ConnectorError> {
        let per_page = self.settings.per_page;
        let mut all = Vec::new();
        let mut bound: Option<u32> = None;
        let mut page: u32 = 1;
        let mut previous_body: Option<Vec<u8>> = None;
        loop {
            let mut query = vec![
                ("page", page.to_string()),
                ("per_page", per_page.to_string()),
            ];
            query.extend(filters.iter().cloned());
            let reply = self.get(operation, path, &query).await?;
            // A server that ignores `page` answers every page alike: without a bound from
            // the first page, that would be read for ever.
            if previous_body.as_deref() == Some(reply.body.as_slice()) && !reply.body.is_empty() {
                return Err(ConnectorError::Vendor {
                    message: format!(
                        "SmartHR: {operation}: page {page} came back the same as page {}: the \
                         server does not page as expected, so the list is not read further",
                        page - 1
                    ),
                    source: None,
                });
            }
            let info = PageInfo::read(&reply.headers);
            let items = decode(&reply.body)?;
            let on_page = items.len();
            all.extend(items);
            if page == 1 {
                bound = info.page_bound(per_page);
            }
            if !info.more_after(all.len() as u64, on_page, per_page)
                || bound.is_some_and(|bound| page >= bound)
            {
                return Ok(all);
            }
            previous_body = Some(reply.body);
            page += 1;
        }
    }

    /// Every crew, as records, each id once (a crew that moved between pages while they
    /// were read is kept once).
    async fn list_all(
        &self,
        operation: &'static str,
        filters: &[(&'static str, String)],
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        let mut query = self.crew_query();
        query.extend(filters.iter().cloned());
        let crews = self
            .all_pages(operation, &["v1", "crews"], &query, |body| {
                decode_crews(operation, body)
            })
            .await?;
        let mut seen = HashSet::new();
        let mut listed = records(operation, crews)?;
        listed.retain(|r| seen.insert(r.id.clone()));
        Ok(listed)
    }

    /// Which synced fields came back empty for every crew: a field the token may not read
    /// comes back `null` for everyone, indistinguishable from "not filled in". Lists every
    /// crew once. An empty tenant reports nothing.
    ///
    /// # Errors
    /// As [`list_employees`](EmployeeSystem::list_employees).
    pub async fn empty_fields(&self) -> Result<EmptyFields, ConnectorError> {
        let all = self.list_all("empty_fields", &[]).await?;
        Ok(EmptyFields::of(&all))
    }

    fn missing(&self, what: &str, field: Option<Field>) -> ConnectorError {
        ConnectorError::invalid_input(field, format!("SmartHR: a new crew needs {what}"))
    }
}

#[async_trait]
impl EmployeeSystem for SmartHrClient {
    fn info(&self) -> &SystemInfo {
        &self.info
    }

    /// `GET /v1/crews?page=1&per_page=1&fields=id`: the token is accepted and may read crews.
    async fn test_connection(&self) -> Result<(), ConnectorError> {
        let mut query = vec![("page", "1".to_owned()), ("per_page", "1".to_owned())];
        if self.settings.select_fields {
            query.push(("fields", "id".to_owned()));
        }
        let reply = self
            .get("test_connection", &["v1", "crews"], &query)
            .await?;
        decode_crews("test_connection", &reply.body).map(drop)
    }

    /// Every page of `GET /v1/crews` (`page`, `per_page`, `fields` with the synced
    /// properties), with no status filter: SmartHR has no as-of date, so every crew is
    /// listed and the core applies the enrolment rule. Logs (at warn, without personal
    /// data) the synced fields that came back empty for every crew.
    async fn list_employees(
        &self,
        _options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        let all = self.list_all("list_employees", &[]).await?;
        let empty = EmptyFields::of(&all);
        if !empty.fields.is_empty() {
            tracing::warn!(
                fields = %empty,
                crews = all.len(),
                "SmartHR: these synced fields are empty for every crew; the token may lack the \
                 right to read them"
            );
        }
        Ok(all)
    }

    /// `GET /v1/crews?emp_code=…` (every page), keeping exact matches: none is `Ok(None)`,
    /// more than one is [`ConnectorError::DuplicateCode`] (SmartHR lets a tenant hold a
    /// 社員番号 twice; which crew is meant is for a person to decide).
    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError> {
        let mut found = self
            .list_all("get_employee", &[("emp_code", code.as_str().to_owned())])
            .await?;
        found.retain(|r| r.employee.code == *code);
        match found.len() {
            0 => Ok(None),
            1 => Ok(found.pop()),
            count => Err(ConnectorError::DuplicateCode {
                system: "SmartHR".into(),
                code: code.clone(),
                count,
            }),
        }
    }

    /// Refuses, before sending anything, a crew without a required field or an office;
    /// then reads the code (`GET /v1/crews?emp_code=…`) — SmartHR itself accepts a second
    /// crew with a held 社員番号, so a held code is [`ConnectorError::AlreadyExists`] here —
    /// and sends `POST /v1/crews` once (never re-sent after a lost answer: the engine reads
    /// the code back first).
    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError> {
        const OP: &str = "create_employee";
        if employee.code.is_blank() {
            return Err(self.missing("an employee code (emp_code)", Some(Field::Code)));
        }
        for field in &self.info.required_on_create {
            if employee.get(*field).is_none() {
                return Err(self.missing(property_of(*field), Some(*field)));
            }
        }
        let office = placement
            .get(MasterKind::Office)
            .ok_or_else(|| self.missing("an office (biz_establishment_id)", None))?;
        if self.get_employee(&employee.code).await?.is_some() {
            return Err(ConnectorError::AlreadyExists {
                code: employee.code.clone(),
            });
        }
        let body = create_body(employee, office, self.settings.clock.today_in_japan());
        let reply = self
            .transport
            .send(&Call {
                operation: OP,
                method: Method::POST,
                path: &["v1", "crews"],
                query: &[],
                body: Some(&body),
                idempotency: Idempotency::NotIdempotent,
            })
            .await?;
        record(OP, decode_crew(OP, &reply.body)?)
    }

    /// `PATCH /v1/crews/{id}` with exactly the changed properties (`null` clears). A clear
    /// SmartHR refuses (names, kana, gender, birth date) is refused before anything is sent:
    /// [`ConnectorError::InvalidInput`] naming the field (the engine never asks for one, see
    /// [`cannot_clear`](EmployeeSystem::cannot_clear)).
    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError> {
        if update.is_empty() {
            return Ok(());
        }
        let body = patch_body(update).map_err(|field| {
            ConnectorError::invalid_input(
                Some(field),
                format!(
                    "SmartHR: {} cannot be blanked once set; nothing was sent",
                    property_of(field)
                ),
            )
        })?;
        self.transport
            .send(&Call {
                operation: "update_employee",
                method: Method::PATCH,
                path: &["v1", "crews", id.as_str()],
                query: &[],
                body: Some(&body),
                idempotency: Idempotency::Idempotent,
            })
            .await
            .map(drop)
    }

    /// Every page of `GET /v1/biz_establishments`: an office's code is its id, its name is
    /// shown. Other kinds are attendance-side lists (empty here).
    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError> {
        const OP: &str = "list_offices";
        if kind != MasterKind::Office {
            return Ok(Vec::new());
        }
        self.all_pages(OP, &["v1", "biz_establishments"], &[], |body| {
            decode_offices(OP, body)
        })
        .await
    }

    /// The names, kana, gender and birth date of every record that holds them: SmartHR
    /// refuses to blank them once set.
    fn cannot_clear(&self, records: &[EmployeeRecord]) -> Vec<(RecordId, Unclearable)> {
        records
            .iter()
            .flat_map(|record| {
                REFUSED_BLANKS
                    .iter()
                    .filter(|field| record.employee.get(**field).is_some())
                    .map(|field| {
                        (
                            record.id.clone(),
                            Unclearable {
                                field: *field,
                                reason: format!(
                                    "SmartHR refuses to blank {} once set; clear it in SmartHR's \
                                     screens if it must go",
                                    property_of(*field)
                                ),
                            },
                        )
                    })
            })
            .collect()
    }
}

impl HrSystem for SmartHrClient {}

impl fmt::Debug for SmartHrClient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmartHrClient")
            .field("transport", &self.transport)
            .field("per_page", &self.settings.per_page)
            .finish_non_exhaustive()
    }
}
