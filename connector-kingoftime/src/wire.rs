//! The wire format of the KOT-family API and its mapping to the core model, in one place.
//!
//! Reading: an absent key, a JSON `null` and an empty string all read as `None`; an unknown
//! gender value (such as `"no_selected"`) reads as `None`; the email is the first address of
//! `emailAddresses` (`None` when the list is empty or its first address is blank — never a
//! later one: the first position is the one the sync owns and writes). Writing: a create
//! sends every set field; an update sends only the changed properties, a cleared one as an
//! empty value (the API's "set to null"), except that the email is never cleared while spare
//! addresses follow it (see [`update_body`]).

use chrono::NaiveDate;
use hris_sync_core::{
    ConnectorError, Employee, EmployeeCode, EmployeeRecord, EmployeeUpdate, Field, FieldValue,
    Gender, MasterEntry, RecordId,
};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::brand::Brand;
use crate::error::bad_value;

/// The `additionalFields` the synced fields need (SPEC R8).
pub(crate) const ADDITIONAL_FIELDS: &str =
    "lastNamePhonetics,firstNamePhonetics,hiredDate,birthDate,resignationDate,emailAddresses";

/// The date format of the API.
pub(crate) const DATE_FORMAT: &str = "%Y-%m-%d";

/// One employee as the API returns it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WireEmployee {
    pub(crate) code: String,
    pub(crate) key: String,
    last_name: Option<String>,
    first_name: Option<String>,
    last_name_phonetics: Option<String>,
    first_name_phonetics: Option<String>,
    gender: Option<String>,
    birth_date: Option<String>,
    hired_date: Option<String>,
    resignation_date: Option<String>,
    #[serde(default)]
    email_addresses: Option<Vec<String>>,
}

/// An empty or blank string reads as absent.
fn present(value: Option<String>) -> Option<String> {
    value.filter(|v| !v.trim().is_empty())
}

impl WireEmployee {
    /// Every address the employee has, in order.
    pub(crate) fn email_addresses(&self) -> &[String] {
        self.email_addresses.as_deref().unwrap_or_default()
    }

    /// The record in the core model.
    pub(crate) fn into_record(
        self,
        brand: &Brand,
        operation: &str,
    ) -> Result<EmployeeRecord, ConnectorError> {
        let date =
            |value: Option<String>, name: &str| -> Result<Option<NaiveDate>, ConnectorError> {
                present(value)
                    .map(|v| {
                        NaiveDate::parse_from_str(v.trim(), DATE_FORMAT).map_err(|_| {
                            bad_value(
                                brand,
                                operation,
                                &format!("{name} is not a YYYY-MM-DD date"),
                            )
                        })
                    })
                    .transpose()
            };
        let email = present(self.email_addresses.iter().flatten().next().cloned());
        let employee = Employee {
            code: EmployeeCode::new(self.code),
            last_name: present(self.last_name),
            first_name: present(self.first_name),
            last_name_kana: present(self.last_name_phonetics),
            first_name_kana: present(self.first_name_phonetics),
            gender: match self.gender.as_deref() {
                Some("male") => Some(Gender::Male),
                Some("female") => Some(Gender::Female),
                _ => None,
            },
            birth_date: date(self.birth_date, "birthDate")?,
            hire_date: date(self.hired_date, "hiredDate")?,
            resignation_date: date(self.resignation_date, "resignationDate")?,
            email,
            business_name: None,
        };
        Ok(EmployeeRecord {
            id: RecordId::new(self.key),
            employee,
        })
    }
}

/// One entry of `/divisions` or `/working-types`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireMaster {
    code: String,
    name: String,
}

impl From<WireMaster> for MasterEntry {
    fn from(master: WireMaster) -> Self {
        MasterEntry::new(master.code, master.name)
    }
}

/// The answer of `/tokens/{token}/available`.
#[derive(Debug, Deserialize)]
pub(crate) struct WireAvailability {
    pub(crate) available: bool,
}

/// The body of `POST /employees`.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct NewEmployee<'a> {
    code: &'a str,
    last_name: &'a str,
    first_name: &'a str,
    gender: &'static str,
    division_code: &'a str,
    type_code: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    last_name_phonetics: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    first_name_phonetics: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    birth_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    hired_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    resignation_date: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    email_addresses: Option<[&'a str; 1]>,
}

fn gender_value(gender: Gender) -> &'static str {
    match gender {
        Gender::Male => "male",
        Gender::Female => "female",
    }
}

fn date_value(date: NaiveDate) -> String {
    date.format(DATE_FORMAT).to_string()
}

impl<'a> NewEmployee<'a> {
    /// The create body, or the first required value that is missing (SPEC R5: gender, last
    /// name, first name, code; R7: division and employment type).
    pub(crate) fn new(
        employee: &'a Employee,
        division_code: &'a str,
        type_code: &'a str,
    ) -> Result<Self, Field> {
        let text = |value: &'a Option<String>| value.as_deref().filter(|v| !v.trim().is_empty());
        if employee.code.is_blank() {
            return Err(Field::Code);
        }
        Ok(Self {
            code: employee.code.as_str(),
            last_name: text(&employee.last_name).ok_or(Field::LastName)?,
            first_name: text(&employee.first_name).ok_or(Field::FirstName)?,
            gender: gender_value(employee.gender.ok_or(Field::Gender)?),
            division_code,
            type_code,
            last_name_phonetics: text(&employee.last_name_kana),
            first_name_phonetics: text(&employee.first_name_kana),
            birth_date: employee.birth_date.map(date_value),
            hired_date: employee.hire_date.map(date_value),
            resignation_date: employee.resignation_date.map(date_value),
            email_addresses: text(&employee.email).map(|email| [email]),
        })
    }
}

/// The wire property of a synced field.
fn property(field: Field) -> &'static str {
    match field {
        Field::Code => "code",
        Field::LastName => "lastName",
        Field::FirstName => "firstName",
        Field::LastNameKana => "lastNamePhonetics",
        Field::FirstNameKana => "firstNamePhonetics",
        Field::Gender => "gender",
        Field::BirthDate => "birthDate",
        Field::HireDate => "hiredDate",
        Field::ResignationDate => "resignationDate",
        Field::Email => "emailAddresses",
    }
}

/// Why an update cannot be sent as asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Unsendable {
    /// A value of the wrong type for this field.
    WrongType(Field),
    /// The email is to be cleared while this many spare addresses follow it. The API keeps
    /// no empty first position: the first spare would move up and read as the email (and the
    /// next sync would clear that one too), so the clear cannot be expressed.
    ClearWithSpares(usize),
}

/// The body of `PUT /employees/{key}`: only the changed properties. `addresses` are the
/// employee's current addresses, needed (and only read) when the email changes: the first is
/// replaced and the others are kept as they are, in their order. Clearing the email removes
/// the first address only when it is the only one; with spare addresses it is refused
/// ([`Unsendable::ClearWithSpares`]), since the sync never deletes, reorders or promotes an
/// address it does not own.
pub(crate) fn update_body(
    update: &EmployeeUpdate,
    addresses: &[String],
) -> Result<Map<String, Value>, Unsendable> {
    let mut body = Map::new();
    let spares = || addresses.iter().skip(1).map(|a| Value::String(a.clone()));
    for (field, value) in &update.changes {
        let wire = match (field, value) {
            (Field::Email, value) => match value {
                Some(FieldValue::Text(email)) if !email.trim().is_empty() => Value::Array(
                    std::iter::once(Value::String(email.clone()))
                        .chain(spares())
                        .collect(),
                ),
                None | Some(FieldValue::Text(_)) if addresses.len() > 1 => {
                    return Err(Unsendable::ClearWithSpares(addresses.len() - 1))
                }
                None | Some(FieldValue::Text(_)) => Value::Array(Vec::new()),
                Some(_) => return Err(Unsendable::WrongType(*field)),
            },
            (_, None) => Value::String(String::new()),
            (
                Field::Code
                | Field::LastName
                | Field::FirstName
                | Field::LastNameKana
                | Field::FirstNameKana,
                Some(FieldValue::Text(text)),
            ) => Value::String(text.clone()),
            (Field::Gender, Some(FieldValue::Gender(gender))) => {
                Value::String(gender_value(*gender).to_owned())
            }
            (
                Field::BirthDate | Field::HireDate | Field::ResignationDate,
                Some(FieldValue::Date(date)),
            ) => Value::String(date_value(*date)),
            (_, Some(_)) => return Err(Unsendable::WrongType(*field)),
        };
        body.insert(property(*field).to_owned(), wire);
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    const EMPLOYEES: &str = include_str!("../tests/resources/employees.json");

    fn records() -> Vec<EmployeeRecord> {
        let wire: Vec<WireEmployee> = serde_json::from_str(EMPLOYEES).unwrap();
        wire.into_iter()
            .map(|w| w.into_record(&Brand::king_of_time(), "list").unwrap())
            .collect()
    }

    #[test]
    fn maps_every_synced_field() {
        let first = &records()[0];
        assert_eq!(
            first.id.as_str(),
            "8b6ee646a9620b286499c3df6918c4888a97dd7bbc6a26a18743f4697a1de4b3"
        );
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let expected = Employee::new("1000")
            .with_name("勤怠", "太郎")
            .with_kana("キンタイ", "タロウ")
            .with_gender(Gender::Male)
            .with_hire_date(day(2015, 4, 1))
            .with_birth_date(day(1990, 1, 15))
            .with_email("kintaitarou@h-t.co.jp");
        assert_eq!(first.employee, expected);
    }

    #[test]
    fn absent_empty_and_unknown_values_read_as_none() {
        let second = &records()[1].employee;
        assert_eq!(second.gender, None, "no_selected");
        assert_eq!(second.last_name_kana, None, "empty string");
        assert_eq!(second.first_name_kana, None, "absent key");
        assert_eq!(second.birth_date, None);
        assert_eq!(second.email, None, "empty list");
        assert_eq!(
            second.resignation_date,
            NaiveDate::from_ymd_opt(2023, 3, 31)
        );
    }

    #[test]
    fn a_malformed_date_is_a_decode_error() {
        let wire: WireEmployee =
            serde_json::from_str(r#"{"code":"1","key":"k","hiredDate":"2024/04/01"}"#).unwrap();
        let error = wire.into_record(&Brand::king_of_time(), "get").unwrap_err();
        assert!(matches!(error, ConnectorError::Decode { .. }), "{error}");
    }

    #[test]
    fn create_body_requires_the_vendor_fields() {
        let employee = Employee::new("1").with_name("山田", "太郎");
        assert_eq!(
            NewEmployee::new(&employee, "1000", "1").unwrap_err(),
            Field::Gender
        );
        let blank = Employee::new(" ").with_gender(Gender::Male);
        assert_eq!(
            NewEmployee::new(&blank, "1000", "1").unwrap_err(),
            Field::Code
        );
    }

    #[test]
    fn email_update_keeps_the_other_addresses() {
        let addresses = vec!["old@example.jp".to_owned(), "spare@example.jp".to_owned()];
        let update = EmployeeUpdate {
            changes: vec![(
                Field::Email,
                Some(FieldValue::Text("new@example.jp".into())),
            )],
        };
        let body = update_body(&update, &addresses).unwrap();
        assert_eq!(
            Value::Object(body),
            serde_json::json!({"emailAddresses": ["new@example.jp", "spare@example.jp"]})
        );
    }

    /// Issue 10 item 3: clearing the first of [old, spare] sent [spare], which the next read
    /// took for the email and the next sync cleared too.
    #[test]
    fn clearing_the_email_never_promotes_a_spare_address() {
        let cleared = EmployeeUpdate {
            changes: vec![(Field::Email, None), (Field::BirthDate, None)],
        };
        let addresses = vec!["old@example.jp".to_owned(), "spare@example.jp".to_owned()];
        assert_eq!(
            update_body(&cleared, &addresses).unwrap_err(),
            Unsendable::ClearWithSpares(1)
        );
        let blank = EmployeeUpdate {
            changes: vec![(Field::Email, Some(FieldValue::Text(" ".into())))],
        };
        assert_eq!(
            update_body(&blank, &addresses).unwrap_err(),
            Unsendable::ClearWithSpares(1)
        );
        // The only address: the clear empties the list.
        let body = update_body(&cleared, &addresses[..1]).unwrap();
        assert_eq!(
            Value::Object(body),
            serde_json::json!({"emailAddresses": [], "birthDate": ""})
        );
    }

    #[test]
    fn the_email_is_the_first_address_only() {
        let read = |addresses: serde_json::Value| {
            let wire: WireEmployee = serde_json::from_value(
                serde_json::json!({"code": "1", "key": "k", "emailAddresses": addresses}),
            )
            .unwrap();
            wire.into_record(&Brand::king_of_time(), "get")
                .unwrap()
                .employee
                .email
        };
        assert_eq!(
            read(serde_json::json!(["a@example.jp", "b@example.jp"])).as_deref(),
            Some("a@example.jp")
        );
        // A blank first position is no email, not the spare behind it (the spare is not the
        // sync's, so a source without an email has nothing to clear).
        assert_eq!(read(serde_json::json!(["", "b@example.jp"])), None);
        assert_eq!(read(serde_json::json!([" ", "b@example.jp"])), None);
    }

    #[test]
    fn update_refuses_a_value_of_the_wrong_type() {
        let update = EmployeeUpdate {
            changes: vec![(Field::Gender, Some(FieldValue::Text("x".into())))],
        };
        assert_eq!(
            update_body(&update, &[]).unwrap_err(),
            Unsendable::WrongType(Field::Gender)
        );
        let wrong = EmployeeUpdate {
            changes: vec![(Field::LastName, Some(FieldValue::Gender(Gender::Male)))],
        };
        assert_eq!(
            update_body(&wrong, &[]).unwrap_err(),
            Unsendable::WrongType(Field::LastName)
        );
    }
}
