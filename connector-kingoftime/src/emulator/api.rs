//! The emulated API itself: routing, the employee store and the documented semantics, with
//! no networking (the server in `server.rs` feeds it requests).

use std::collections::BTreeMap;

use chrono::{Months, NaiveDate};
use serde_json::{json, Map, Value};

use super::{EmulatedEmployee, Endpoint};

/// The emulator's error codes. The vendor documents 100, 104, 300 and 303; the validation
/// codes below are the emulator's own choice (the real ones are not public).
pub(super) mod codes {
    /// Authentication failed (documented).
    pub(crate) const AUTHENTICATION: i64 = 100;
    /// Inside the restricted hours (documented).
    pub(crate) const RESTRICTED_HOURS: i64 = 104;
    /// The calling address is not on the IP allow-list (reported from the field).
    pub(crate) const ADDRESS_NOT_ALLOWED: i64 = 105;
    /// Resource server error (documented).
    pub(crate) const SERVER: i64 = 300;
    /// A value is missing or malformed (emulator's choice).
    pub(crate) const VALIDATION: i64 = 111;
    /// A division or working type that does not exist (emulator's choice).
    pub(crate) const UNKNOWN_MASTER: i64 = 112;
    /// The employee code is taken (emulator's choice).
    pub(crate) const DUPLICATE_CODE: i64 = super::super::DUPLICATE_CODE_ERROR;
    /// No such employee or route (emulator's choice).
    pub(crate) const NOT_FOUND: i64 = 114;
}

/// One request, decoded from HTTP.
#[derive(Debug)]
pub(super) struct ApiRequest {
    pub(super) method: String,
    /// Decoded path segments after the optional `v1.0` prefix.
    pub(super) segments: Vec<String>,
    pub(super) query: BTreeMap<String, String>,
    pub(super) authorization: Option<String>,
    pub(super) body: Vec<u8>,
}

impl ApiRequest {
    /// Which endpoint the request addresses.
    pub(super) fn endpoint(&self) -> Endpoint {
        let segments: Vec<&str> = self.segments.iter().map(String::as_str).collect();
        match (self.method.as_str(), segments.as_slice()) {
            ("GET", ["employees"]) => Endpoint::ListEmployees,
            ("GET", ["employees", _]) => Endpoint::GetEmployee,
            ("POST", ["employees"]) => Endpoint::CreateEmployee,
            ("PUT", ["employees", _]) => Endpoint::UpdateEmployee,
            ("GET", ["divisions"]) => Endpoint::Divisions,
            ("GET", ["working-types"]) => Endpoint::WorkingTypes,
            ("GET", ["tokens", _, "available"]) => Endpoint::TokenAvailable,
            _ => Endpoint::Other,
        }
    }
}

/// One answer: a status and a JSON body.
#[derive(Debug, Clone)]
pub(super) struct ApiResponse {
    pub(super) status: u16,
    pub(super) body: Value,
}

impl ApiResponse {
    fn ok(status: u16, body: Value) -> Self {
        Self { status, body }
    }

    /// An error in the documented shape `{"errors":[{"message":…,"code":…}]}`.
    pub(super) fn error(status: u16, code: i64, message: impl Into<String>) -> Self {
        Self::errors(status, vec![(code, message.into())])
    }

    fn errors(status: u16, errors: Vec<(i64, String)>) -> Self {
        let errors: Vec<Value> = errors
            .into_iter()
            .map(|(code, message)| json!({"message": message, "code": code}))
            .collect();
        Self {
            status,
            body: json!({ "errors": errors }),
        }
    }

    /// True for 2xx answers.
    pub(super) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Everything the emulated API holds.
#[derive(Debug, Default)]
pub(super) struct Store {
    pub(super) employees: Vec<EmulatedEmployee>,
    pub(super) divisions: Vec<(String, String)>,
    pub(super) working_types: Vec<(String, String)>,
    next_key: u64,
}

const ADDITIONAL: [&str; 7] = [
    "lastNamePhonetics",
    "firstNamePhonetics",
    "hiredDate",
    "birthDate",
    "resignationDate",
    "emailAddresses",
    "allDayRegardingWorkInMinute",
];

fn date_text(date: NaiveDate) -> String {
    date.format("%Y-%m-%d").to_string()
}

fn name_of(list: &[(String, String)], code: &str) -> Option<String> {
    list.iter().find(|(c, _)| c == code).map(|(_, n)| n.clone())
}

/// The key the emulator generates for its `n`-th record: 32 hex digits, the first 16 of
/// which are `n` (so a loaded key tells how far generation had gone).
fn generated_key(n: u64) -> String {
    format!("{:016x}{:016x}", n, n.wrapping_mul(0x9E37_79B9_7F4A_7C15))
}

/// The `n` of a key the emulator generated, or `None` for any other key.
fn generation_of(key: &str) -> Option<u64> {
    if key.len() != 32 || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let n = u64::from_str_radix(&key[..16], 16).ok()?;
    (generated_key(n) == key).then_some(n)
}

impl Store {
    /// A new opaque key, never reused: past every key generated or loaded so far, and
    /// different from every stored key (a loaded key in another format included).
    pub(super) fn new_key(&mut self) -> String {
        loop {
            self.next_key += 1;
            let key = generated_key(self.next_key);
            if !self.employees.iter().any(|e| e.key == key) {
                return key;
            }
        }
    }

    /// Whether a stored employee has this key.
    pub(super) fn has_key(&self, key: &str) -> bool {
        self.employees.iter().any(|e| e.key == key)
    }

    /// Stores `employee` under its own key (a new one when empty), which must be free;
    /// generation then continues past a loaded key, so no later create reuses it.
    pub(super) fn insert(&mut self, mut employee: EmulatedEmployee) -> String {
        if employee.key.is_empty() {
            employee.key = self.new_key();
        } else if let Some(n) = generation_of(&employee.key) {
            self.next_key = self.next_key.max(n);
        }
        let key = employee.key.clone();
        self.employees.push(employee);
        key
    }

    /// The employee as JSON: null values left out, additional fields only when asked.
    fn render(&self, employee: &EmulatedEmployee, additional: Option<&[&str]>) -> Value {
        let mut out = Map::new();
        let mut put = |key: &str, value: Option<Value>| {
            if let Some(value) = value {
                out.insert(key.to_owned(), value);
            }
        };
        let text = |v: &Option<String>| v.clone().map(Value::String);
        let date = |v: &Option<NaiveDate>| v.map(|d| Value::String(date_text(d)));
        put("code", Some(Value::String(employee.code.clone())));
        put("key", Some(Value::String(employee.key.clone())));
        put("lastName", text(&employee.last_name));
        put("firstName", text(&employee.first_name));
        put("gender", text(&employee.gender));
        put(
            "divisionCode",
            Some(Value::String(employee.division_code.clone())),
        );
        put(
            "divisionName",
            name_of(&self.divisions, &employee.division_code).map(Value::String),
        );
        put("typeCode", Some(Value::String(employee.type_code.clone())));
        put(
            "typeName",
            name_of(&self.working_types, &employee.type_code).map(Value::String),
        );
        put("employeeGroups", Some(json!([])));
        let wanted = |field: &str| additional.is_none_or(|list| list.contains(&field));
        let extras = [
            ("lastNamePhonetics", text(&employee.last_name_phonetics)),
            ("firstNamePhonetics", text(&employee.first_name_phonetics)),
            ("hiredDate", date(&employee.hired_date)),
            ("birthDate", date(&employee.birth_date)),
            ("resignationDate", date(&employee.resignation_date)),
            (
                "emailAddresses",
                (!employee.email_addresses.is_empty()).then(|| json!(employee.email_addresses)),
            ),
        ];
        for (field, value) in extras {
            if wanted(field) {
                put(field, value);
            }
        }
        Value::Object(out)
    }

    /// Answers one request. `today` is the emulator clock's date in Japan.
    pub(super) fn handle(&mut self, request: &ApiRequest, today: NaiveDate) -> ApiResponse {
        let segments: Vec<&str> = request.segments.iter().map(String::as_str).collect();
        match (request.endpoint(), segments.as_slice()) {
            (Endpoint::ListEmployees, _) => self.list(request, today),
            (Endpoint::GetEmployee, [_, code]) => self.get(request, code, today),
            (Endpoint::CreateEmployee, _) => self.create(request),
            (Endpoint::UpdateEmployee, [_, key]) => self.update(request, key),
            (Endpoint::Divisions, _) => Self::masters(&self.divisions),
            (Endpoint::WorkingTypes, _) => Self::masters(&self.working_types),
            _ => ApiResponse::error(404, codes::NOT_FOUND, "指定されたリソースは存在しません。"),
        }
    }

    fn masters(list: &[(String, String)]) -> ApiResponse {
        let body: Vec<Value> = list
            .iter()
            .map(|(code, name)| json!({"code": code, "name": name}))
            .collect();
        ApiResponse::ok(200, Value::Array(body))
    }

    /// `date`, `includeResigner` and `additionalFields`, checked.
    fn view(
        request: &ApiRequest,
        today: NaiveDate,
    ) -> Result<(NaiveDate, bool, Vec<String>), ApiResponse> {
        let invalid = |message: &str| ApiResponse::error(400, codes::VALIDATION, message);
        let date = match request.query.get("date") {
            None => today,
            Some(text) => NaiveDate::parse_from_str(text, "%Y-%m-%d")
                .map_err(|_| invalid("date は YYYY-MM-DD 形式で指定してください。"))?,
        };
        let earliest = today.checked_sub_months(Months::new(36)).unwrap_or(today);
        let latest = today.checked_add_months(Months::new(12)).unwrap_or(today);
        if date < earliest || date > latest {
            return Err(invalid(
                "date は3年前から1年後までの範囲で指定してください。",
            ));
        }
        let include_resigner = match request.query.get("includeResigner").map(String::as_str) {
            None | Some("false") => false,
            Some("true") => true,
            Some(_) => return Err(invalid("includeResigner は true か false です。")),
        };
        let additional: Vec<String> = request
            .query
            .get("additionalFields")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|f| !f.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        if let Some(unknown) = additional
            .iter()
            .find(|f| !ADDITIONAL.contains(&f.as_str()))
        {
            return Err(invalid(&format!(
                "additionalFields に指定できない項目です: {unknown}"
            )));
        }
        Ok((date, include_resigner, additional))
    }

    /// Listed as of `date`: hired on or before it (or no hire date), and not resigned on or
    /// before it unless resigners are included.
    fn listed(employee: &EmulatedEmployee, date: NaiveDate, include_resigner: bool) -> bool {
        let hired = employee.hired_date.is_none_or(|d| d <= date);
        let resigned = employee.resignation_date.is_some_and(|d| d <= date);
        hired && (include_resigner || !resigned)
    }

    fn list(&self, request: &ApiRequest, today: NaiveDate) -> ApiResponse {
        let (date, include_resigner, additional) = match Self::view(request, today) {
            Ok(view) => view,
            Err(refusal) => return refusal,
        };
        let additional: Vec<&str> = additional.iter().map(String::as_str).collect();
        let division = request.query.get("division");
        let body: Vec<Value> = self
            .employees
            .iter()
            .filter(|e| Self::listed(e, date, include_resigner))
            .filter(|e| division.is_none_or(|d| *d == e.division_code))
            .map(|e| self.render(e, Some(&additional)))
            .collect();
        ApiResponse::ok(200, Value::Array(body))
    }

    fn get(&self, request: &ApiRequest, code: &str, today: NaiveDate) -> ApiResponse {
        let (date, include_resigner, additional) = match Self::view(request, today) {
            Ok(view) => view,
            Err(refusal) => return refusal,
        };
        let additional: Vec<&str> = additional.iter().map(String::as_str).collect();
        match self
            .employees
            .iter()
            .find(|e| e.code == code && Self::listed(e, date, include_resigner))
        {
            Some(employee) => ApiResponse::ok(200, self.render(employee, Some(&additional))),
            None => ApiResponse::error(
                404,
                codes::NOT_FOUND,
                format!("従業員コード {code} の従業員は存在しません。"),
            ),
        }
    }

    fn create(&mut self, request: &ApiRequest) -> ApiResponse {
        let body = match parse_object(&request.body) {
            Ok(body) => body,
            Err(refusal) => return refusal,
        };
        let mut employee = EmulatedEmployee::new("", "", "");
        if let Err(refusal) = apply_properties(&mut employee, &body) {
            return refusal;
        }
        let missing: Vec<(i64, String)> = REQUIRED
            .iter()
            .filter(|p| body.get(**p).is_none_or(is_empty_value))
            .map(|p| (codes::VALIDATION, format!("{p} は必須です。")))
            .collect();
        if !missing.is_empty() {
            return ApiResponse::errors(400, missing);
        }
        if let Err(refusal) = self.check_references(&employee, None) {
            return refusal;
        }
        employee.key = self.new_key();
        let rendered = self.render(&employee, None);
        self.employees.push(employee);
        ApiResponse::ok(201, rendered)
    }

    fn update(&mut self, request: &ApiRequest, key: &str) -> ApiResponse {
        if let Some(date) = request.query.get("updateDate") {
            if NaiveDate::parse_from_str(date, "%Y-%m-%d").is_err() {
                return ApiResponse::error(
                    400,
                    codes::VALIDATION,
                    "updateDate は YYYY-MM-DD 形式で指定してください。",
                );
            }
        }
        let Some(index) = self.employees.iter().position(|e| e.key == key) else {
            return ApiResponse::error(
                404,
                codes::NOT_FOUND,
                "指定された従業員キーの従業員は存在しません。",
            );
        };
        let body = match parse_object(&request.body) {
            Ok(body) => body,
            Err(refusal) => return refusal,
        };
        let blanked: Vec<(i64, String)> = REQUIRED
            .iter()
            .filter(|p| body.get(**p).is_some_and(is_empty_value))
            .map(|p| (codes::VALIDATION, format!("{p} は空にできません。")))
            .collect();
        if !blanked.is_empty() {
            return ApiResponse::errors(400, blanked);
        }
        let mut employee = self.employees[index].clone();
        if let Err(refusal) = apply_properties(&mut employee, &body) {
            return refusal;
        }
        if let Err(refusal) = self.check_references(&employee, Some(index)) {
            return refusal;
        }
        let rendered = self.render(&employee, None);
        self.employees[index] = employee;
        ApiResponse::ok(200, rendered)
    }

    /// Masters exist and the code is free (ignoring the record at `itself`).
    fn check_references(
        &self,
        employee: &EmulatedEmployee,
        itself: Option<usize>,
    ) -> Result<(), ApiResponse> {
        let mut errors = Vec::new();
        if name_of(&self.divisions, &employee.division_code).is_none() {
            errors.push((
                codes::UNKNOWN_MASTER,
                format!("所属コード {} は存在しません。", employee.division_code),
            ));
        }
        if name_of(&self.working_types, &employee.type_code).is_none() {
            errors.push((
                codes::UNKNOWN_MASTER,
                format!("雇用区分コード {} は存在しません。", employee.type_code),
            ));
        }
        let taken = self
            .employees
            .iter()
            .enumerate()
            .any(|(i, e)| Some(i) != itself && e.code == employee.code);
        if taken {
            errors.push((
                codes::DUPLICATE_CODE,
                format!("従業員コード {} は既に使用されています。", employee.code),
            ));
        }
        if errors.is_empty() {
            Ok(())
        } else {
            Err(ApiResponse::errors(400, errors))
        }
    }
}

/// Properties a create must carry and an update may not blank.
const REQUIRED: [&str; 6] = [
    "code",
    "lastName",
    "firstName",
    "gender",
    "divisionCode",
    "typeCode",
];

fn is_empty_value(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(text) => text.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiResponse> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiResponse::error(
            400,
            codes::VALIDATION,
            "リクエストボディは JSON オブジェクトで指定してください。",
        )),
    }
}

/// Sets every property present in `body`; an empty value (`""`, `[]`, `null`) sets null.
fn apply_properties(
    employee: &mut EmulatedEmployee,
    body: &Map<String, Value>,
) -> Result<(), ApiResponse> {
    let invalid = |message: String| ApiResponse::error(400, codes::VALIDATION, message);
    for (property, value) in body {
        if property == "allDayRegardingWorkInMinute" {
            continue;
        }
        let text = match value {
            Value::Null => None,
            Value::String(text) if text.trim().is_empty() => None,
            Value::String(_) if property == "emailAddresses" => {
                return Err(invalid("emailAddresses は文字列の配列です。".into()))
            }
            Value::String(text) => Some(text.clone()),
            Value::Array(_) if property == "emailAddresses" => None,
            _ => return Err(invalid(format!("{property} の値が不正です。"))),
        };
        let date = |text: &Option<String>| -> Result<Option<NaiveDate>, ApiResponse> {
            text.as_deref()
                .map(|t| NaiveDate::parse_from_str(t, "%Y-%m-%d"))
                .transpose()
                .map_err(|_| invalid(format!("{property} は YYYY-MM-DD 形式で指定してください。")))
        };
        match property.as_str() {
            "code" => employee.code = text.unwrap_or_default(),
            "lastName" => employee.last_name = text,
            "firstName" => employee.first_name = text,
            "lastNamePhonetics" => employee.last_name_phonetics = text,
            "firstNamePhonetics" => employee.first_name_phonetics = text,
            "gender" => match text.as_deref() {
                None | Some("male") | Some("female") => employee.gender = text,
                Some(_) => return Err(invalid("gender は male か female です。".into())),
            },
            "divisionCode" => employee.division_code = text.unwrap_or_default(),
            "typeCode" => employee.type_code = text.unwrap_or_default(),
            "hiredDate" => employee.hired_date = date(&text)?,
            "birthDate" => employee.birth_date = date(&text)?,
            "resignationDate" => employee.resignation_date = date(&text)?,
            "emailAddresses" => {
                let Value::Array(items) = value else {
                    // Only an empty value reaches here: a non-empty string was refused above.
                    employee.email_addresses = Vec::new();
                    continue;
                };
                employee.email_addresses = items
                    .iter()
                    .map(|item| item.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| invalid("emailAddresses は文字列の配列です。".into()))?;
            }
            other => return Err(invalid(format!("{other} は登録できない項目です。"))),
        }
    }
    Ok(())
}
