//! The employee model shared by every system: the synced fields (SPEC R8), business names
//! (R9), record identities, master lists and creation-only placement (R7).

use std::collections::BTreeMap;
use std::fmt;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// The employee code (社員番号 / 従業員コード): the key that matches an HR employee with an
/// attendance employee.
///
/// Stored exactly as the system returned it; matching goes through the comparison policy
/// (see [`ComparisonPolicy`](crate::ComparisonPolicy)), so `"００１"` and `"001"` can match.
#[derive(Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, Default)]
#[serde(transparent)]
pub struct EmployeeCode(String);

impl EmployeeCode {
    /// Wraps a code as given.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }

    /// The code as given.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// True when the code is empty or only blanks, U+3000 included (an Invalid employee, R5).
    pub fn is_blank(&self) -> bool {
        self.0.trim().is_empty()
    }
}

impl fmt::Debug for EmployeeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EmployeeCode({:?})", self.0)
    }
}

impl fmt::Display for EmployeeCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for EmployeeCode {
    fn from(code: &str) -> Self {
        Self::new(code)
    }
}

impl From<String> for EmployeeCode {
    fn from(code: String) -> Self {
        Self(code)
    }
}

/// A system's own, opaque identity of one employee record (the KOT `key`, an HR system's row
/// id). It never changes when the employee code changes; updates address records by it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RecordId(String);

impl RecordId {
    /// Wraps an identity as the system gave it.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }

    /// The identity as the system gave it.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Gender as the systems record it. A record with no gender (or a vendor's "not selected")
/// has `None` in [`Employee::gender`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    /// Male.
    Male,
    /// Female.
    Female,
}

impl fmt::Display for Gender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Gender::Male => "male",
            Gender::Female => "female",
        })
    }
}

/// One synced field (SPEC R8). The order is the order reports list differences in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Field {
    /// Employee code (the match key; never updated by a sync).
    Code,
    /// Last name (姓).
    LastName,
    /// First name (名).
    FirstName,
    /// Last-name reading in kana (姓ヨミガナ).
    LastNameKana,
    /// First-name reading in kana (名ヨミガナ).
    FirstNameKana,
    /// Gender (性別).
    Gender,
    /// Birth date (生年月日).
    BirthDate,
    /// Hire date (入社年月日).
    HireDate,
    /// Resignation date (退職年月日).
    ResignationDate,
    /// Email address (メールアドレス; on the attendance side the first address).
    Email,
}

impl Field {
    /// Every synced field, code first.
    pub const ALL: [Field; 10] = [
        Field::Code,
        Field::LastName,
        Field::FirstName,
        Field::LastNameKana,
        Field::FirstNameKana,
        Field::Gender,
        Field::BirthDate,
        Field::HireDate,
        Field::ResignationDate,
        Field::Email,
    ];

    /// The fields a sync compares and updates: every field but the code.
    pub const COMPARED: [Field; 9] = [
        Field::LastName,
        Field::FirstName,
        Field::LastNameKana,
        Field::FirstNameKana,
        Field::Gender,
        Field::BirthDate,
        Field::HireDate,
        Field::ResignationDate,
        Field::Email,
    ];

    /// The field's name in reports and errors (snake case, stable).
    pub fn name(self) -> &'static str {
        match self {
            Field::Code => "code",
            Field::LastName => "last_name",
            Field::FirstName => "first_name",
            Field::LastNameKana => "last_name_kana",
            Field::FirstNameKana => "first_name_kana",
            Field::Gender => "gender",
            Field::BirthDate => "birth_date",
            Field::HireDate => "hire_date",
            Field::ResignationDate => "resignation_date",
            Field::Email => "email",
        }
    }

    /// True for the fields that hold kana readings.
    pub fn is_kana(self) -> bool {
        matches!(self, Field::LastNameKana | Field::FirstNameKana)
    }

    /// True for the fields that hold names (legal or reading).
    pub fn is_name(self) -> bool {
        matches!(
            self,
            Field::LastName | Field::FirstName | Field::LastNameKana | Field::FirstNameKana
        )
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The value of one field, typed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum FieldValue {
    /// A text field (code, names, kana, email).
    Text(String),
    /// A date field.
    Date(NaiveDate),
    /// The gender field.
    Gender(Gender),
}

impl fmt::Display for FieldValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldValue::Text(text) => f.write_str(text),
            FieldValue::Date(date) => write!(f, "{}", date.format("%Y-%m-%d")),
            FieldValue::Gender(gender) => gender.fmt(f),
        }
    }
}

/// A business name (ビジネスネーム): the name an employee works under, kept beside the legal
/// name on the HR side. Export may send it instead of the legal name (SPEC R9).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BusinessName {
    /// Business last name.
    pub last_name: Option<String>,
    /// Business first name.
    pub first_name: Option<String>,
    /// Reading of the business last name, in kana.
    pub last_name_kana: Option<String>,
    /// Reading of the business first name, in kana.
    pub first_name_kana: Option<String>,
}

impl BusinessName {
    /// True when no part is set.
    pub fn is_empty(&self) -> bool {
        self.last_name.is_none()
            && self.first_name.is_none()
            && self.last_name_kana.is_none()
            && self.first_name_kana.is_none()
    }
}

/// One employee as a system holds it: the synced fields of SPEC R8.
///
/// Every field but the code is optional, because real data has gaps; which ones a target
/// needs on creation is the target's [`SystemInfo::required_on_create`](crate::SystemInfo).
/// A missing hire date means "enrolled since always" for the base-date rule (R3).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Employee {
    /// Employee code, the match key.
    pub code: EmployeeCode,
    /// Legal last name.
    pub last_name: Option<String>,
    /// Legal first name.
    pub first_name: Option<String>,
    /// Reading of the legal last name, in kana.
    pub last_name_kana: Option<String>,
    /// Reading of the legal first name, in kana.
    pub first_name_kana: Option<String>,
    /// Gender; `None` when not set.
    pub gender: Option<Gender>,
    /// Birth date.
    pub birth_date: Option<NaiveDate>,
    /// Hire date.
    pub hire_date: Option<NaiveDate>,
    /// Resignation date (退職年月日); from this date on the employee is not enrolled.
    pub resignation_date: Option<NaiveDate>,
    /// Email address (the first address where a system keeps several).
    pub email: Option<String>,
    /// Business name; only HR systems have one. Never compared, never sent on import.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_name: Option<BusinessName>,
}

impl Employee {
    /// An employee with a code and nothing else.
    pub fn new(code: impl Into<EmployeeCode>) -> Self {
        Self {
            code: code.into(),
            ..Self::default()
        }
    }

    /// Sets the legal names.
    pub fn with_name(mut self, last: impl Into<String>, first: impl Into<String>) -> Self {
        self.last_name = Some(last.into());
        self.first_name = Some(first.into());
        self
    }

    /// Sets the kana readings of the legal names.
    pub fn with_kana(mut self, last: impl Into<String>, first: impl Into<String>) -> Self {
        self.last_name_kana = Some(last.into());
        self.first_name_kana = Some(first.into());
        self
    }

    /// Sets the gender.
    pub fn with_gender(mut self, gender: Gender) -> Self {
        self.gender = Some(gender);
        self
    }

    /// Sets the birth date.
    pub fn with_birth_date(mut self, date: NaiveDate) -> Self {
        self.birth_date = Some(date);
        self
    }

    /// Sets the hire date.
    pub fn with_hire_date(mut self, date: NaiveDate) -> Self {
        self.hire_date = Some(date);
        self
    }

    /// Sets the resignation date.
    pub fn with_resignation_date(mut self, date: NaiveDate) -> Self {
        self.resignation_date = Some(date);
        self
    }

    /// Sets the email address.
    pub fn with_email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    /// Sets the business name.
    pub fn with_business_name(mut self, name: BusinessName) -> Self {
        self.business_name = Some(name);
        self
    }

    /// The value of one field, `None` when unset.
    pub fn get(&self, field: Field) -> Option<FieldValue> {
        let text = |value: &Option<String>| value.clone().map(FieldValue::Text);
        match field {
            Field::Code => Some(FieldValue::Text(self.code.as_str().to_owned())),
            Field::LastName => text(&self.last_name),
            Field::FirstName => text(&self.first_name),
            Field::LastNameKana => text(&self.last_name_kana),
            Field::FirstNameKana => text(&self.first_name_kana),
            Field::Gender => self.gender.map(FieldValue::Gender),
            Field::BirthDate => self.birth_date.map(FieldValue::Date),
            Field::HireDate => self.hire_date.map(FieldValue::Date),
            Field::ResignationDate => self.resignation_date.map(FieldValue::Date),
            Field::Email => text(&self.email),
        }
    }

    /// The text of a text field (code, names, kana, email), borrowed; `None` for unset text
    /// fields and for the fields that are not text.
    pub fn text(&self, field: Field) -> Option<&str> {
        match field {
            Field::Code => Some(self.code.as_str()),
            Field::LastName => self.last_name.as_deref(),
            Field::FirstName => self.first_name.as_deref(),
            Field::LastNameKana => self.last_name_kana.as_deref(),
            Field::FirstNameKana => self.first_name_kana.as_deref(),
            Field::Email => self.email.as_deref(),
            Field::Gender | Field::BirthDate | Field::HireDate | Field::ResignationDate => None,
        }
    }

    /// Sets one field; `None` clears it.
    ///
    /// # Errors
    /// [`FieldTypeMismatch`] when the value's type does not fit the field (a date for a name,
    /// say); the employee is left unchanged.
    pub fn set(
        &mut self,
        field: Field,
        value: Option<FieldValue>,
    ) -> Result<(), FieldTypeMismatch> {
        let mismatch = || FieldTypeMismatch { field };
        match (field, value) {
            (Field::Code, Some(FieldValue::Text(text))) => self.code = EmployeeCode::new(text),
            (Field::Code, None) => self.code = EmployeeCode::default(),
            (Field::Gender, Some(FieldValue::Gender(gender))) => self.gender = Some(gender),
            (Field::Gender, None) => self.gender = None,
            (Field::BirthDate | Field::HireDate | Field::ResignationDate, value) => {
                let date = match value {
                    Some(FieldValue::Date(date)) => Some(date),
                    None => None,
                    Some(_) => return Err(mismatch()),
                };
                match field {
                    Field::BirthDate => self.birth_date = date,
                    Field::HireDate => self.hire_date = date,
                    _ => self.resignation_date = date,
                }
            }
            (
                Field::LastName
                | Field::FirstName
                | Field::LastNameKana
                | Field::FirstNameKana
                | Field::Email,
                value,
            ) => {
                let text = match value {
                    Some(FieldValue::Text(text)) => Some(text),
                    None => None,
                    Some(_) => return Err(mismatch()),
                };
                match field {
                    Field::LastName => self.last_name = text,
                    Field::FirstName => self.first_name = text,
                    Field::LastNameKana => self.last_name_kana = text,
                    Field::FirstNameKana => self.first_name_kana = text,
                    _ => self.email = text,
                }
            }
            _ => return Err(mismatch()),
        }
        Ok(())
    }

    /// The employee as export sends it when business names are preferred (SPEC R9): each
    /// business-name part that is set replaces the matching legal part; unset parts keep the
    /// legal value. The business name itself is dropped from the result.
    pub fn with_business_name_preferred(&self) -> Employee {
        let mut sent = self.clone();
        if let Some(business) = sent.business_name.take() {
            let prefer = |business: Option<String>, legal: &mut Option<String>| {
                if let Some(value) = business.filter(|v| !v.trim().is_empty()) {
                    *legal = Some(value);
                }
            };
            prefer(business.last_name, &mut sent.last_name);
            prefer(business.first_name, &mut sent.first_name);
            prefer(business.last_name_kana, &mut sent.last_name_kana);
            prefer(business.first_name_kana, &mut sent.first_name_kana);
        }
        sent
    }

    /// True when the employee is enrolled (在籍) on `base_date` (SPEC R3): hired on or before
    /// it (or no hire date recorded) and not resigned on or before it.
    ///
    /// ```
    /// use chrono::NaiveDate;
    /// use hris_sync_core::Employee;
    /// let day = |d| NaiveDate::from_ymd_opt(2022, 1, d).unwrap();
    /// let base = day(1);
    /// assert!(Employee::new("1").with_hire_date(day(1)).is_enrolled_on(base));
    /// assert!(!Employee::new("2").with_hire_date(day(2)).is_enrolled_on(base));
    /// assert!(!Employee::new("3").with_resignation_date(day(1)).is_enrolled_on(base));
    /// assert!(Employee::new("4").with_resignation_date(day(2)).is_enrolled_on(base));
    /// assert!(Employee::new("5").is_enrolled_on(base)); // no hire date: listed
    /// ```
    pub fn is_enrolled_on(&self, base_date: NaiveDate) -> bool {
        let hired = self.hire_date.is_none_or(|hired| hired <= base_date);
        let still_there = self
            .resignation_date
            .is_none_or(|resigned| resigned > base_date);
        hired && still_there
    }
}

/// A value of the wrong type for a field, as [`Employee::set`] reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("value of the wrong type for field {field}")]
pub struct FieldTypeMismatch {
    /// The field.
    pub field: Field,
}

/// One employee record in a system: its identity there and its data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeRecord {
    /// The system's identity of the record, used to update it.
    pub id: RecordId,
    /// The record's data.
    pub employee: Employee,
}

/// A kind of master list whose value is set on creation only (SPEC R7).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MasterKind {
    /// 所属事業所: the HR side's office.
    Office,
    /// 所属: the attendance side's division.
    Division,
    /// 雇用区分: the attendance side's employment type.
    EmploymentType,
}

impl MasterKind {
    /// The kind's name in reports and errors.
    pub fn name(self) -> &'static str {
        match self {
            MasterKind::Office => "office",
            MasterKind::Division => "division",
            MasterKind::EmploymentType => "employment type",
        }
    }
}

impl fmt::Display for MasterKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One entry of a master list.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct MasterEntry {
    /// The code a system stores on the employee.
    pub code: String,
    /// The display name.
    pub name: String,
}

impl MasterEntry {
    /// An entry.
    pub fn new(code: impl Into<String>, name: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            name: name.into(),
        }
    }
}

/// Creation-only placement values for new employees (SPEC R7): one master code per kind the
/// target needs (an office for an HR target; a division and an employment type for an
/// attendance target). Sent on create only, never on update.
///
/// ```
/// use hris_sync_core::{MasterKind, Placement};
/// let placement = Placement::new()
///     .with(MasterKind::Division, "1000")
///     .with(MasterKind::EmploymentType, "1");
/// assert_eq!(placement.get(MasterKind::Division), Some("1000"));
/// assert_eq!(placement.get(MasterKind::Office), None);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Placement(BTreeMap<MasterKind, String>);

impl Placement {
    /// No values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the code for one kind.
    pub fn with(mut self, kind: MasterKind, code: impl Into<String>) -> Self {
        self.0.insert(kind, code.into());
        self
    }

    /// The code for one kind.
    pub fn get(&self, kind: MasterKind) -> Option<&str> {
        self.0.get(&kind).map(String::as_str)
    }

    /// True when no value is set.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Every (kind, code) pair, by kind.
    pub fn iter(&self) -> impl Iterator<Item = (MasterKind, &str)> {
        self.0.iter().map(|(kind, code)| (*kind, code.as_str()))
    }
}

impl<'a> FromIterator<(MasterKind, &'a str)> for Placement {
    fn from_iter<I: IntoIterator<Item = (MasterKind, &'a str)>>(pairs: I) -> Self {
        Self(
            pairs
                .into_iter()
                .map(|(kind, code)| (kind, code.to_owned()))
                .collect(),
        )
    }
}
