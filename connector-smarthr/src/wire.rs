//! SmartHR's JSON, kept private: the crew and office as read (tolerantly), and the bodies
//! of a create and an update (only the properties being set).
//!
//! Tolerance, because real answers vary: every property may be missing or `null`; an empty
//! string reads as "not set"; a list may hold `null` elements (skipped); a date may come as
//! `YYYY-MM-DD` or as a timestamp with `Z` or an offset (read as its date in Japan time); an
//! unknown gender reads as "not set", never as a guess; the office may come as
//! `biz_establishment_id` or as an embedded, possibly partial, `biz_establishment`. A record
//! that is not an object, lacks its `id`, or holds a value of the wrong type is a
//! [`ConnectorError::Decode`] naming the record (its position, and its id where readable).

use chrono::{DateTime, NaiveDate};
use hris_sync_core::{
    japan, BusinessName, ConnectorError, Employee, EmployeeCode, EmployeeRecord, EmployeeUpdate,
    Field, FieldValue, Gender, MasterEntry, RecordId,
};
use serde::Deserialize;
use serde_json::{Map, Value};

use crate::error::{decode_error, DecodeFailure};

/// The crew properties the sync reads (`fields=`), in SmartHR's names.
pub(crate) const CREW_FIELDS: [&str; 15] = [
    "id",
    "emp_code",
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
];

/// The SmartHR property of each synced field.
pub(crate) fn property_of(field: Field) -> &'static str {
    match field {
        Field::Code => "emp_code",
        Field::LastName => "last_name",
        Field::FirstName => "first_name",
        Field::LastNameKana => "last_name_yomi",
        Field::FirstNameKana => "first_name_yomi",
        Field::Gender => "gender",
        Field::BirthDate => "birth_at",
        Field::HireDate => "entered_at",
        Field::ResignationDate => "resigned_at",
        Field::Email => "email",
    }
}

/// The fields SmartHR refuses to blank once set (PATCH with `null` or `""`).
pub(crate) const REFUSED_BLANKS: [Field; 6] = [
    Field::LastName,
    Field::FirstName,
    Field::LastNameKana,
    Field::FirstNameKana,
    Field::Gender,
    Field::BirthDate,
];

/// One crew as read. Text properties are `Option<String>` so that a number or an object
/// where text belongs fails to decode (and names the record).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub(crate) struct WireCrew {
    id: Option<String>,
    emp_code: Option<String>,
    last_name: Option<String>,
    first_name: Option<String>,
    last_name_yomi: Option<String>,
    first_name_yomi: Option<String>,
    business_last_name: Option<String>,
    business_first_name: Option<String>,
    business_last_name_yomi: Option<String>,
    business_first_name_yomi: Option<String>,
    gender: Option<String>,
    birth_at: Option<String>,
    entered_at: Option<String>,
    resigned_at: Option<String>,
    email: Option<String>,
}

/// Text that is set: `None` for a missing, null or blank value.
fn text(value: &Option<String>) -> Option<String> {
    value
        .as_deref()
        .filter(|v| !v.trim().is_empty())
        .map(str::to_owned)
}

/// A date from `YYYY-MM-DD` or a timestamp (its date in Japan time).
pub(crate) fn parse_date(raw: &str) -> Option<NaiveDate> {
    let raw = raw.trim();
    if let Ok(date) = NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        return Some(date);
    }
    DateTime::parse_from_rfc3339(raw)
        .ok()
        .map(|at| at.with_timezone(&japan()).date_naive())
}

impl WireCrew {
    /// The record in the core's model; `where_` names the record in errors.
    fn into_record(self, operation: &str, where_: &str) -> Result<EmployeeRecord, ConnectorError> {
        let id = text(&self.id).ok_or_else(|| {
            ConnectorError::decode(format!("SmartHR: {operation}: {where_} has no id"))
        })?;
        let date = |value: &Option<String>, property: &str| -> Result<_, ConnectorError> {
            match text(value) {
                None => Ok(None),
                Some(raw) => parse_date(&raw).map(Some).ok_or_else(|| {
                    ConnectorError::decode(format!(
                        "SmartHR: {operation}: crew {id} ({where_}): {property} is not a date"
                    ))
                }),
            }
        };
        let gender = match text(&self.gender).as_deref() {
            Some("male") => Some(Gender::Male),
            Some("female") => Some(Gender::Female),
            // Anything else is "not set": a gender is never guessed.
            _ => None,
        };
        let business = BusinessName {
            last_name: text(&self.business_last_name),
            first_name: text(&self.business_first_name),
            last_name_kana: text(&self.business_last_name_yomi),
            first_name_kana: text(&self.business_first_name_yomi),
        };
        let employee = Employee {
            code: EmployeeCode::new(self.emp_code.clone().unwrap_or_default()),
            last_name: text(&self.last_name),
            first_name: text(&self.first_name),
            last_name_kana: text(&self.last_name_yomi),
            first_name_kana: text(&self.first_name_yomi),
            gender,
            birth_date: date(&self.birth_at, "birth_at")?,
            hire_date: date(&self.entered_at, "entered_at")?,
            resignation_date: date(&self.resigned_at, "resigned_at")?,
            email: text(&self.email),
            business_name: (!business.is_empty()).then_some(business),
        };
        Ok(EmployeeRecord {
            id: RecordId::new(id),
            employee,
        })
    }
}

/// Decodes one crew (a `GET /v1/crews/{id}`, `POST` or `PATCH` answer).
pub(crate) fn decode_crew(operation: &str, body: &[u8]) -> Result<WireCrew, ConnectorError> {
    serde_json::from_slice(body)
        .map_err(|e| decode_error(operation, "the crew", DecodeFailure::of(&e)))
}

/// Decodes one page of crews, skipping `null` elements; a malformed element is an error
/// naming its position (and id, where readable).
pub(crate) fn decode_crews(operation: &str, body: &[u8]) -> Result<Vec<WireCrew>, ConnectorError> {
    let list: Vec<Value> = serde_json::from_slice(body)
        .map_err(|e| decode_error(operation, "the crew list", DecodeFailure::of(&e)))?;
    list.into_iter()
        .enumerate()
        .filter(|(_, value)| !value.is_null())
        .map(|(position, value)| {
            let id = value
                .get("id")
                .and_then(Value::as_str)
                .map(|id| format!(" (id {id})"))
                .unwrap_or_default();
            serde_json::from_value(value).map_err(|e| {
                decode_error(
                    operation,
                    &format!("crew #{}{id} on the page", position + 1),
                    DecodeFailure::of(&e),
                )
            })
        })
        .collect()
}

/// The records of decoded crews.
pub(crate) fn records(
    operation: &str,
    crews: Vec<WireCrew>,
) -> Result<Vec<EmployeeRecord>, ConnectorError> {
    crews
        .into_iter()
        .enumerate()
        .map(|(n, crew)| crew.into_record(operation, &format!("crew #{}", n + 1)))
        .collect()
}

/// The record of one decoded crew.
pub(crate) fn record(operation: &str, crew: WireCrew) -> Result<EmployeeRecord, ConnectorError> {
    crew.into_record(operation, "the crew")
}

/// One office as listed.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct WireBizEstablishment {
    id: Option<Value>,
    name: Option<String>,
}

/// Decodes one page of offices; entries without an id are skipped (they cannot be chosen),
/// one without a name shows its id.
pub(crate) fn decode_offices(
    operation: &str,
    body: &[u8],
) -> Result<Vec<MasterEntry>, ConnectorError> {
    let list: Vec<Option<WireBizEstablishment>> = serde_json::from_slice(body)
        .map_err(|e| decode_error(operation, "the office list", DecodeFailure::of(&e)))?;
    Ok(list
        .into_iter()
        .flatten()
        .filter_map(|office| {
            let id = match office.id? {
                Value::String(id) if !id.trim().is_empty() => id,
                Value::Number(id) => id.to_string(),
                _ => return None,
            };
            let name = text(&office.name).unwrap_or_else(|| id.clone());
            Some(MasterEntry::new(id, name))
        })
        .collect())
}

fn json_of(value: &FieldValue) -> Value {
    match value {
        FieldValue::Text(text) => Value::String(text.clone()),
        FieldValue::Date(date) => Value::String(date.format("%Y-%m-%d").to_string()),
        FieldValue::Gender(gender) => Value::String(gender.to_string()),
    }
}

/// The body of `POST /v1/crews`: every set synced field, the business name where set, the
/// office, and the status (`retired` when the resignation date is today or earlier, else
/// `employed`). Nothing unset is sent.
pub(crate) fn create_body(employee: &Employee, office: &str, today: NaiveDate) -> Value {
    let mut body = Map::new();
    for field in hris_sync_core::Field::ALL {
        if let Some(value) = employee.get(field) {
            body.insert(property_of(field).to_owned(), json_of(&value));
        }
    }
    if let Some(business) = &employee.business_name {
        for (property, value) in [
            ("business_last_name", &business.last_name),
            ("business_first_name", &business.first_name),
            ("business_last_name_yomi", &business.last_name_kana),
            ("business_first_name_yomi", &business.first_name_kana),
        ] {
            if let Some(value) = value {
                body.insert(property.to_owned(), Value::String(value.clone()));
            }
        }
    }
    let retired = employee.resignation_date.is_some_and(|date| date <= today);
    body.insert(
        "emp_status".to_owned(),
        Value::String(if retired { "retired" } else { "employed" }.to_owned()),
    );
    body.insert(
        "biz_establishment_id".to_owned(),
        Value::String(office.to_owned()),
    );
    Value::Object(body)
}

/// The body of `PATCH /v1/crews/{id}`: exactly the changed properties (`null` clears).
///
/// # Errors
/// The field whose clear SmartHR refuses ([`REFUSED_BLANKS`]).
pub(crate) fn patch_body(update: &EmployeeUpdate) -> Result<Value, Field> {
    let mut body = Map::new();
    for (field, value) in &update.changes {
        let value = match value {
            Some(value) => json_of(value),
            None if REFUSED_BLANKS.contains(field) => return Err(*field),
            None => Value::Null,
        };
        body.insert(property_of(*field).to_owned(), value);
    }
    Ok(Value::Object(body))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = include_str!("../tests/resources/crews_tolerant.json");

    #[test]
    fn reads_a_page_tolerantly() {
        let crews = decode_crews("list", PAGE.as_bytes()).unwrap();
        let records = records("list", crews).unwrap();
        assert_eq!(records.len(), 3, "the null element is skipped");
        let first = &records[0].employee;
        assert_eq!(first.code.as_str(), "1001");
        assert_eq!(first.gender, Some(Gender::Male));
        assert_eq!(first.birth_date, NaiveDate::from_ymd_opt(1990, 4, 1));
        // 2020-03-31T15:00:00Z is 2020-04-01 in Japan; +09:00 is taken as given.
        assert_eq!(first.hire_date, NaiveDate::from_ymd_opt(2020, 4, 1));
        assert_eq!(
            records[1].employee.hire_date,
            NaiveDate::from_ymd_opt(2021, 4, 1)
        );
        let business = first.business_name.as_ref().unwrap();
        assert_eq!(business.last_name.as_deref(), Some("ビジネス"));
        // Partly filled: unknown gender and blank values are "not set".
        let second = &records[1].employee;
        assert_eq!(second.gender, None);
        assert_eq!(second.email, None);
        assert_eq!(second.business_name, None);
        assert_eq!(records[2].employee.last_name, None);
    }

    #[test]
    fn a_malformed_record_is_named() {
        let body = r#"[{"id":"a","emp_code":"1"},{"id":"b-2","emp_code":7}]"#;
        let error = decode_crews("list_employees", body.as_bytes()).unwrap_err();
        let text = error.to_string();
        assert!(matches!(error, ConnectorError::Decode { .. }));
        assert!(text.contains("crew #2") && text.contains("b-2"), "{text}");
        let body = r#"[{"emp_code":"1"}]"#;
        let error = records("list", decode_crews("list", body.as_bytes()).unwrap()).unwrap_err();
        assert!(error.to_string().contains("no id"), "{error}");
        let body = r#"[{"id":"c","birth_at":"1990-13-45"}]"#;
        let error = records("list", decode_crews("list", body.as_bytes()).unwrap()).unwrap_err();
        assert!(error.to_string().contains("birth_at"), "{error}");
        assert!(decode_crews("list", b"{\"not\":\"a list\"}").is_err());
    }

    #[test]
    fn offices_come_as_id_and_name() {
        let body = r#"[{"id":"o1","name":"本社"},null,{"name":"no id"},{"id":"o2"}]"#;
        let offices = decode_offices("offices", body.as_bytes()).unwrap();
        assert_eq!(
            offices,
            vec![MasterEntry::new("o1", "本社"), MasterEntry::new("o2", "o2")]
        );
    }

    #[test]
    fn a_patch_sends_only_the_changes_and_refuses_blanks() {
        let update = EmployeeUpdate {
            changes: vec![
                (Field::LastName, Some(FieldValue::Text("新".into()))),
                (Field::Email, None),
                (Field::ResignationDate, None),
            ],
        };
        assert_eq!(
            patch_body(&update).unwrap(),
            serde_json::json!({"last_name": "新", "email": null, "resigned_at": null})
        );
        for field in REFUSED_BLANKS {
            let update = EmployeeUpdate {
                changes: vec![(field, None)],
            };
            assert_eq!(patch_body(&update), Err(field));
        }
    }

    #[test]
    fn a_create_sends_what_is_set_with_status_and_office() {
        let today = NaiveDate::from_ymd_opt(2024, 4, 1).unwrap();
        let employee = Employee::new("7")
            .with_name("山田", "花子")
            .with_gender(Gender::Female)
            .with_resignation_date(today);
        assert_eq!(
            create_body(&employee, "o1", today),
            serde_json::json!({
                "emp_code": "7", "last_name": "山田", "first_name": "花子",
                "gender": "female", "resigned_at": "2024-04-01",
                "emp_status": "retired", "biz_establishment_id": "o1"
            })
        );
    }
}
