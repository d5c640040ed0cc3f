//! The emulated tenant's data and the API's answers to it: crews (paged, `fields=`,
//! `emp_code`), their creation and partial update (with the refused blanks), and offices.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde_json::{json, Map, Value};

use super::EmulatedCrew;
use hris_sync_http::loopback::Request;

/// The properties a create or an update may set.
pub(super) const WRITABLE: [&str; 17] = [
    "emp_code",
    "emp_status",
    "last_name",
    "first_name",
    "last_name_yomi",
    "first_name_yomi",
    "business_last_name",
    "business_first_name",
    "business_last_name_yomi",
    "business_first_name_yomi",
    "gender",
    "birth_at",
    "entered_at",
    "resigned_at",
    "email",
    "biz_establishment_id",
    "employment_type_id",
];

/// The properties a PATCH may not blank once set.
pub(super) const NOT_BLANKABLE: [&str; 6] = [
    "last_name",
    "first_name",
    "last_name_yomi",
    "first_name_yomi",
    "gender",
    "birth_at",
];

const DATES: [&str; 3] = ["birth_at", "entered_at", "resigned_at"];

/// SmartHR's error codes, as the emulator answers them.
pub(super) mod codes {
    pub(in crate::emulator) const BAD_REQUEST: i64 = 1;
    pub(in crate::emulator) const UNAUTHORIZED: i64 = 2;
    pub(in crate::emulator) const FORBIDDEN: i64 = 3;
    pub(in crate::emulator) const NOT_FOUND: i64 = 4;
    pub(in crate::emulator) const INTERNAL: i64 = 5;
    pub(in crate::emulator) const TOO_MANY_REQUESTS: i64 = 6;
    pub(in crate::emulator) const PLAN_LIMIT: i64 = 7;
    pub(in crate::emulator) const MAINTENANCE: i64 = 9;

    /// The `type` of each code.
    pub(in crate::emulator) fn kind(code: i64) -> &'static str {
        match code {
            BAD_REQUEST => "bad_request",
            UNAUTHORIZED => "unauthorized_token",
            FORBIDDEN => "forbidden",
            NOT_FOUND => "not_found",
            TOO_MANY_REQUESTS => "too_many_requests",
            PLAN_LIMIT => "plan_limit_exceeded",
            MAINTENANCE => "service_maintenance",
            _ => "internal_server_error",
        }
    }

    /// The code of a status the emulator answers with an error.
    pub(in crate::emulator) fn of_status(status: u16) -> i64 {
        match status {
            400 => BAD_REQUEST,
            401 => UNAUTHORIZED,
            403 => FORBIDDEN,
            404 => NOT_FOUND,
            429 => TOO_MANY_REQUESTS,
            503 => MAINTENANCE,
            _ => INTERNAL,
        }
    }
}

/// One answer before the transport headers are added.
#[derive(Debug, Clone)]
pub(super) struct ApiResponse {
    pub(super) status: u16,
    pub(super) headers: Vec<(String, String)>,
    pub(super) body: Value,
}

impl ApiResponse {
    fn ok(status: u16, body: Value) -> Self {
        Self {
            status,
            headers: Vec::new(),
            body,
        }
    }

    /// An error in SmartHR's shape; `field` names the property at fault.
    pub(super) fn error(status: u16, code: i64, message: &str, field: Option<&str>) -> Self {
        let errors = field.map(|field| {
            json!([{"message": format!("{field} {message}"), "resource": "crew", "field": field}])
        });
        Self::ok(
            status,
            json!({
                "code": code,
                "type": codes::kind(code),
                "message": message,
                "errors": errors.unwrap_or(Value::Null),
            }),
        )
    }

    pub(super) fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The tenant.
#[derive(Debug, Default)]
pub(super) struct Store {
    /// Crews in creation order.
    pub(super) crews: Vec<EmulatedCrew>,
    /// Offices: id and name.
    pub(super) offices: Vec<(String, String)>,
    next_id: u64,
    /// The plan's employee cap.
    pub(super) plan_limit: Option<usize>,
    /// `http://127.0.0.1:port/api`, for `Link` headers.
    pub(super) base_url: String,
}

fn bad(message: &str, field: &str) -> ApiResponse {
    ApiResponse::error(400, codes::BAD_REQUEST, message, Some(field))
}

fn not_found() -> ApiResponse {
    ApiResponse::error(404, codes::NOT_FOUND, "リソースが見つかりません", None)
}

impl Store {
    /// A fresh id, shaped like SmartHR's (a UUID), never one held.
    pub(super) fn new_id(&mut self) -> String {
        loop {
            self.next_id += 1;
            let id = format!(
                "{:08x}-5a4f-4c3b-8d2e-{:012x}",
                self.next_id * 2_654_435_761 % 0xffff_ffff,
                self.next_id
            );
            if !self.crews.iter().any(|crew| crew.id == id) {
                return id;
            }
        }
    }

    fn crew(&self, id: &str) -> Option<&EmulatedCrew> {
        self.crews.iter().find(|crew| crew.id == id)
    }

    /// Serves one API request (path after `/api`).
    pub(super) fn handle(&mut self, request: &Request, segments: &[&str]) -> ApiResponse {
        match (request.method.as_str(), segments) {
            ("GET", ["v1", "crews"]) => self.list(request),
            ("GET", ["v1", "crews", id]) => match self.crew(id) {
                Some(crew) => ApiResponse::ok(200, render(crew, fields(request).as_deref())),
                None => not_found(),
            },
            ("POST", ["v1", "crews"]) => self.create(request),
            ("PATCH", ["v1", "crews", id]) => self.update(request, id),
            ("GET", ["v1", "biz_establishments"]) => self.offices(request),
            _ => not_found(),
        }
    }

    fn list(&self, request: &Request) -> ApiResponse {
        let (page, per_page) = match paging(request) {
            Ok(paging) => paging,
            Err(answer) => return answer,
        };
        let code = request.param("emp_code");
        let matching: Vec<&EmulatedCrew> = self
            .crews
            .iter()
            .filter(|crew| code.is_none_or(|code| crew.text("emp_code") == Some(code)))
            .collect();
        let wanted = fields(request);
        let body = page_of(&matching, page, per_page)
            .iter()
            .map(|crew| render(crew, wanted.as_deref()))
            .collect();
        let mut answer = ApiResponse::ok(200, Value::Array(body));
        answer.headers = self.page_headers(request, "v1/crews", matching.len(), page, per_page);
        answer
    }

    fn offices(&self, request: &Request) -> ApiResponse {
        let (page, per_page) = match paging(request) {
            Ok(paging) => paging,
            Err(answer) => return answer,
        };
        let all: Vec<&(String, String)> = self.offices.iter().collect();
        let body = page_of(&all, page, per_page)
            .iter()
            .map(|(id, name)| json!({"id": id, "name": name}))
            .collect();
        let mut answer = ApiResponse::ok(200, Value::Array(body));
        answer.headers =
            self.page_headers(request, "v1/biz_establishments", all.len(), page, per_page);
        answer
    }

    /// `Link` (first, prev, next, last) and `x-total-count`.
    fn page_headers(
        &self,
        request: &Request,
        path: &str,
        total: usize,
        page: usize,
        per_page: usize,
    ) -> Vec<(String, String)> {
        let last = total.div_ceil(per_page).max(1);
        let link = |n: usize, rel: &str| {
            let mut query = url::form_urlencoded::Serializer::new(String::new());
            for (key, value) in &request.query {
                if key != "page" {
                    query.append_pair(key, value);
                }
            }
            query.append_pair("page", &n.to_string());
            format!(
                "<{}/{path}?{}>; rel=\"{rel}\"",
                self.base_url,
                query.finish()
            )
        };
        let mut links = vec![link(1, "first")];
        if page > 1 {
            links.push(link(page - 1, "prev"));
        }
        if page < last {
            links.push(link(page + 1, "next"));
        }
        links.push(link(last, "last"));
        vec![
            ("link".to_owned(), links.join(", ")),
            ("x-total-count".to_owned(), total.to_string()),
        ]
    }

    fn create(&mut self, request: &Request) -> ApiResponse {
        let body = match parse_object(&request.body) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        if let Some(limit) = self.plan_limit {
            if self.crews.len() >= limit {
                return ApiResponse::error(
                    403,
                    codes::PLAN_LIMIT,
                    "ご利用のプランで登録できる従業員数の上限に達しました",
                    None,
                );
            }
        }
        for required in ["last_name", "first_name"] {
            if body
                .get(required)
                .and_then(Value::as_str)
                .is_none_or(|v| v.trim().is_empty())
            {
                return bad("を入力してください", required);
            }
        }
        let mut crew = EmulatedCrew {
            id: String::new(),
            properties: Map::new(),
        };
        if let Err(answer) = self.apply(&mut crew, &body, false) {
            return answer;
        }
        crew.properties
            .entry("emp_status")
            .or_insert_with(|| json!("employed"));
        crew.id = self.new_id();
        let rendered = render(&crew, None);
        self.crews.push(crew);
        ApiResponse::ok(201, rendered)
    }

    fn update(&mut self, request: &Request, id: &str) -> ApiResponse {
        let Some(index) = self.crews.iter().position(|crew| crew.id == id) else {
            return not_found();
        };
        let body = match parse_object(&request.body) {
            Ok(body) => body,
            Err(answer) => return answer,
        };
        // Checked on a copy: a refused PATCH changes nothing.
        let mut crew = self.crews[index].clone();
        if let Err(answer) = self.apply(&mut crew, &body, true) {
            return answer;
        }
        let rendered = render(&crew, None);
        self.crews[index] = crew;
        ApiResponse::ok(200, rendered)
    }

    /// Sets the writable properties of `body` on `crew`, checking each; on a PATCH a blank
    /// for a property that may not be blanked is refused.
    fn apply(
        &self,
        crew: &mut EmulatedCrew,
        body: &Map<String, Value>,
        patch: bool,
    ) -> Result<(), ApiResponse> {
        for (key, value) in body {
            if !WRITABLE.contains(&key.as_str()) {
                continue;
            }
            let blank = match value {
                Value::Null => true,
                Value::String(text) => text.trim().is_empty(),
                _ => return Err(bad("の形式が正しくありません", key)),
            };
            if blank {
                if patch && NOT_BLANKABLE.contains(&key.as_str()) && crew.text(key).is_some() {
                    return Err(bad("は空にできません", key));
                }
                crew.properties.remove(key);
                continue;
            }
            let text = value.as_str().unwrap_or_default();
            let valid = match key.as_str() {
                "gender" => matches!(text, "male" | "female"),
                "emp_status" => matches!(text, "employed" | "absent" | "retired"),
                "biz_establishment_id" => self.offices.iter().any(|(id, _)| id == text),
                date if DATES.contains(&date) => {
                    NaiveDate::parse_from_str(text, "%Y-%m-%d").is_ok()
                }
                _ => true,
            };
            if !valid {
                return Err(bad("の値が正しくありません", key));
            }
            crew.properties.insert(key.clone(), value.clone());
        }
        Ok(())
    }
}

/// `page` and `per_page` (default 1 and 10; `per_page` at most 100).
fn paging(request: &Request) -> Result<(usize, usize), ApiResponse> {
    let number = |name: &str, default: usize| match request.param(name) {
        None => Ok(default),
        Some(raw) => raw
            .parse::<usize>()
            .ok()
            .filter(|n| *n >= 1)
            .ok_or_else(|| bad("の値が正しくありません", name)),
    };
    let page = number("page", 1)?;
    let per_page = number("per_page", 10)?;
    if per_page > 100 {
        return Err(bad("は100以下の値にしてください", "per_page"));
    }
    Ok((page, per_page))
}

fn page_of<T: Copy>(all: &[T], page: usize, per_page: usize) -> Vec<T> {
    all.iter()
        .skip((page - 1).saturating_mul(per_page))
        .take(per_page)
        .copied()
        .collect()
}

/// The `fields` asked for, if any.
fn fields(request: &Request) -> Option<Vec<String>> {
    request.param("fields").map(|list| {
        list.split(',')
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty())
            .collect()
    })
}

/// A crew as the API shows it: every property (`null` when unset), the timestamps (one
/// with `Z`, one with `+09:00`, as SmartHR mixes them), or only the `fields` asked for.
fn render(crew: &EmulatedCrew, fields: Option<&[String]>) -> Value {
    let mut all: BTreeMap<String, Value> = WRITABLE
        .iter()
        .map(|key| ((*key).to_owned(), Value::Null))
        .collect();
    all.extend(crew.properties.clone());
    all.insert("id".into(), json!(crew.id));
    all.insert("created_at".into(), json!("2024-04-01T00:00:00.000Z"));
    all.insert("updated_at".into(), json!("2024-04-01T09:00:00.000+09:00"));
    let shown: Map<String, Value> = match fields {
        Some(fields) => all
            .into_iter()
            .filter(|(key, _)| fields.iter().any(|f| f == key))
            .collect(),
        None => all.into_iter().collect(),
    };
    Value::Object(shown)
}

fn parse_object(body: &[u8]) -> Result<Map<String, Value>, ApiResponse> {
    match serde_json::from_slice(body) {
        Ok(Value::Object(map)) => Ok(map),
        _ => Err(ApiResponse::error(
            400,
            codes::BAD_REQUEST,
            "リクエストの形式が正しくありません",
            None,
        )),
    }
}
