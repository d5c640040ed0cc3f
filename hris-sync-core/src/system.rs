//! The traits a connected system implements: [`EmployeeSystem`] (the contract both sides
//! share) and the role markers [`AttendanceConnector`] and [`HrSystem`].

use std::fmt;

use async_trait::async_trait;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::error::ConnectorError;
use crate::model::{
    Employee, EmployeeCode, EmployeeRecord, Field, FieldValue, MasterEntry, MasterKind, Placement,
    RecordId,
};
use crate::window::MaintenanceWindows;

/// Which side of a sync a system is on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// The HR system (人事労務システム), holder of the employee master.
    Hr,
    /// An attendance system (勤怠管理システム).
    Attendance,
}

/// What a system declares about itself: data the engine and the conformance suite read
/// instead of asking the system's type.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SystemInfo {
    /// The name shown to people, in errors and in reports ("KING OF TIME").
    pub name: String,
    /// The side the system is on.
    pub side: Side,
    /// The fields a create must carry (besides the code, which is always required).
    pub required_on_create: Vec<Field>,
    /// The creation-only master values a create needs (SPEC R7).
    pub placement_kinds: Vec<MasterKind>,
    /// Daily windows in which the system refuses employee calls (SPEC R12).
    pub maintenance_windows: MaintenanceWindows,
    /// The longest value, in characters (Unicode scalar values), the system holds in each
    /// text field listed: the code, names, kana and email. A longer value makes a new
    /// employee — or a changed one whose update sends it — Invalid (SPEC S3). A field not
    /// listed has no declared limit. Empty by default.
    pub max_lengths: Vec<(Field, usize)>,
    /// The characters the system holds in an employee code. A new employee whose code (in
    /// its canonical form, see [`ComparisonPolicy::match_key`](crate::ComparisonPolicy::match_key))
    /// has others is Invalid. [`CodeCharacters::Printable`] by default.
    pub code_characters: CodeCharacters,
}

impl SystemInfo {
    /// A description with no required fields, no placement and no windows.
    pub fn new(name: impl Into<String>, side: Side) -> Self {
        Self {
            name: name.into(),
            side,
            required_on_create: Vec::new(),
            placement_kinds: Vec::new(),
            maintenance_windows: MaintenanceWindows::none(),
            max_lengths: Vec::new(),
            code_characters: CodeCharacters::default(),
        }
    }

    /// Sets the fields required on create.
    pub fn with_required_on_create(mut self, fields: impl IntoIterator<Item = Field>) -> Self {
        self.required_on_create = fields.into_iter().collect();
        self
    }

    /// Sets the creation-only master kinds.
    pub fn with_placement_kinds(mut self, kinds: impl IntoIterator<Item = MasterKind>) -> Self {
        self.placement_kinds = kinds.into_iter().collect();
        self
    }

    /// Sets the maintenance windows.
    pub fn with_maintenance_windows(mut self, windows: MaintenanceWindows) -> Self {
        self.maintenance_windows = windows;
        self
    }

    /// Sets the longest value, in characters, the system holds in `field`, replacing an
    /// earlier limit of that field.
    ///
    /// ```
    /// use hris_sync_core::{Field, Side, SystemInfo};
    ///
    /// let info = SystemInfo::new("Attendance", Side::Attendance)
    ///     .with_max_length(Field::LastName, 50)
    ///     .with_max_length(Field::LastName, 30);
    /// assert_eq!(info.max_length(Field::LastName), Some(30));
    /// assert_eq!(info.max_length(Field::Email), None);
    /// ```
    pub fn with_max_length(mut self, field: Field, characters: usize) -> Self {
        self.max_lengths.retain(|(limited, _)| *limited != field);
        self.max_lengths.push((field, characters));
        self
    }

    /// Sets the limits of several fields (see [`with_max_length`](Self::with_max_length)).
    pub fn with_max_lengths(mut self, limits: impl IntoIterator<Item = (Field, usize)>) -> Self {
        for (field, characters) in limits {
            self = self.with_max_length(field, characters);
        }
        self
    }

    /// The longest value, in characters, the system holds in `field`, if it declares one.
    pub fn max_length(&self, field: Field) -> Option<usize> {
        self.max_lengths
            .iter()
            .find(|(limited, _)| *limited == field)
            .map(|(_, characters)| *characters)
    }

    /// Sets the characters the system holds in an employee code.
    pub fn with_code_characters(mut self, characters: CodeCharacters) -> Self {
        self.code_characters = characters;
        self
    }
}

/// Which characters a system holds in an employee code: declared data, read by
/// classification (a new employee whose code has other characters is Invalid, SPEC S3).
///
/// Blanks are never part of a code, whatever the declaration: the blanks around a code are
/// cosmetic (they are not part of its [match key](crate::ComparisonPolicy::match_key)), and a
/// code with a blank inside (`10 01`) is Invalid.
///
/// ```
/// use hris_sync_core::system::CodeCharacters;
///
/// let kot = CodeCharacters::ascii_alphanumeric_and("-_");
/// assert!(kot.allows('A') && kot.allows('7') && kot.allows('-'));
/// assert!(!kot.allows('.') && !kot.allows('１') && !kot.allows('本'));
/// assert_eq!(kot.to_string(), "ASCII letters, digits and - _");
///
/// let any = CodeCharacters::default();
/// assert!(any.allows('本') && any.allows('.'));
/// assert!(!any.allows('\u{3000}') && !any.allows('\t') && !any.allows('\u{200B}'));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeCharacters {
    /// Any character but blanks, control characters and invisible format characters
    /// (U+00AD, U+200B..U+200F, U+202A..U+202E, U+2060..U+2064, U+FEFF): what a system that
    /// declares nothing is assumed to hold.
    #[default]
    Printable,
    /// ASCII letters and digits, and the ASCII symbols listed.
    AsciiAlphanumeric {
        /// The ASCII symbols held besides letters and digits (`"-_"`); blanks and
        /// non-ASCII characters listed here are ignored.
        symbols: String,
    },
}

impl CodeCharacters {
    /// ASCII letters and digits, and the ASCII `symbols`.
    pub fn ascii_alphanumeric_and(symbols: impl Into<String>) -> Self {
        Self::AsciiAlphanumeric {
            symbols: symbols.into(),
        }
    }

    /// Whether a code may hold `c`.
    pub fn allows(&self, c: char) -> bool {
        match self {
            CodeCharacters::Printable => !is_blank_or_invisible(c),
            CodeCharacters::AsciiAlphanumeric { symbols } => {
                c.is_ascii_alphanumeric() || (c.is_ascii_graphic() && symbols.contains(c))
            }
        }
    }
}

/// Blanks, control characters and the invisible format characters a person cannot see in a
/// code.
pub(crate) fn is_blank_or_invisible(c: char) -> bool {
    c.is_whitespace()
        || c.is_control()
        || matches!(c,
            '\u{AD}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{FEFF}'
        )
}

impl fmt::Display for CodeCharacters {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CodeCharacters::Printable => {
                f.write_str("any visible character (no blanks, control or invisible characters)")
            }
            CodeCharacters::AsciiAlphanumeric { symbols } => {
                let symbols: Vec<String> = symbols
                    .chars()
                    .filter(char::is_ascii_graphic)
                    .filter(|c| !c.is_ascii_alphanumeric())
                    .map(String::from)
                    .collect();
                if symbols.is_empty() {
                    f.write_str("ASCII letters and digits")
                } else {
                    write!(f, "ASCII letters, digits and {}", symbols.join(" "))
                }
            }
        }
    }
}

/// Which employees [`EmployeeSystem::list_employees`] returns.
///
/// The default lists every record the system holds, resigned and not-yet-hired ones
/// included: what the target side of a sync must be matched against (SPEC R5).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ListOptions {
    /// When set, the system may leave out employees not enrolled on this date, and returns
    /// the data as of this date where it keeps history.
    pub enrolled_on: Option<NaiveDate>,
}

impl ListOptions {
    /// Every record (the default).
    pub fn all_records() -> Self {
        Self::default()
    }

    /// At least the employees enrolled on `date`, as of that date.
    pub fn enrolled_on(date: NaiveDate) -> Self {
        Self {
            enrolled_on: Some(date),
        }
    }
}

/// The changes of one update: each field to set, to the value given (`None` clears it).
/// Fields not listed are left as they are.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EmployeeUpdate {
    /// The fields to change and their new values.
    pub changes: Vec<(Field, Option<FieldValue>)>,
}

impl EmployeeUpdate {
    /// The changes that make `target` carry `source`'s values in `fields`.
    pub fn from_fields(source: &Employee, fields: impl IntoIterator<Item = Field>) -> Self {
        Self {
            changes: fields
                .into_iter()
                .map(|field| (field, source.get(field)))
                .collect(),
        }
    }

    /// The fields changed.
    pub fn fields(&self) -> impl Iterator<Item = Field> + '_ {
        self.changes.iter().map(|(field, _)| *field)
    }

    /// The new value of `field`, if this update changes it (`Some(None)` clears it).
    pub fn value(&self, field: Field) -> Option<Option<&FieldValue>> {
        self.changes
            .iter()
            .find(|(changed, _)| *changed == field)
            .map(|(_, value)| value.as_ref())
    }

    /// True when nothing changes.
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty()
    }
}

/// A field a system cannot clear on one record without a side effect, and why (see
/// [`EmployeeSystem::cannot_clear`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unclearable {
    /// The field.
    pub field: Field,
    /// Why it cannot be cleared, for the administrator (no personal data).
    pub reason: String,
}

/// One connected system's employee master, seen the same way from either side of a sync.
///
/// The sync algorithm does not care which side is the source: it lists, compares, creates
/// and updates through this trait only. A system takes part in a sync through one of the role
/// markers, [`AttendanceConnector`] or [`HrSystem`].
///
/// # Contract
///
/// Every implementation passes the `conformance` module's suite (feature `conformance`),
/// which checks each point below.
///
/// 1. [`info`](Self::info) is cheap and constant for the value's lifetime.
/// 2. [`list_employees`](Self::list_employees) with [`ListOptions::all_records`] returns every
///    record the system holds, resigned and not-yet-hired ones included, each once. With
///    [`ListOptions::enrolled_on`] it returns at least every employee enrolled on that date
///    and may return more: the core applies the enrolment rule itself.
/// 3. A value the system does not hold is `None`, never an empty string.
/// 4. [`get_employee`](Self::get_employee) finds a record by its exact code, whatever its
///    dates; an unknown code is `Ok(None)`, not an error. A code more than one record holds
///    (where the system allows that) is [`ConnectorError::DuplicateCode`], never one of them.
/// 5. [`create_employee`](Self::create_employee) creates one record carrying every given
///    field and the placement, and returns it with its new [`RecordId`]. A code already held
///    is refused with [`ConnectorError::AlreadyExists`]; a missing required field
///    ([`SystemInfo::required_on_create`]) or placement value, or an unknown placement code,
///    with [`ConnectorError::InvalidInput`]. A refused create changes nothing.
/// 6. [`update_employee`](Self::update_employee) changes exactly the listed fields (`None`
///    clears) and nothing else: not the placement, not data the sync does not model (such as
///    further email addresses). An unknown id is [`ConnectorError::NotFound`].
/// 7. [`list_masters`](Self::list_masters) lists every entry of each kind in
///    [`SystemInfo::placement_kinds`]; other kinds may be empty.
/// 8. Errors are classified honestly: [`ConnectorError::is_retryable`] only for transient
///    failures; a refusal during a maintenance window is [`ConnectorError::MaintenanceWindow`].
///    Retries and rate limiting, where the system needs them, happen inside the
///    implementation, and a create is never re-sent after a lost response.
/// 9. Credentials appear in no `Debug` output, log line or error.
/// 10. [`cannot_clear`](Self::cannot_clear) names only fields whose clearing on that record
///     the system would refuse or turn into another change; the engine never sends such a
///     clear, and shows the reason as a warning instead.
#[async_trait]
pub trait EmployeeSystem: Send + Sync + fmt::Debug {
    /// What the system declares about itself.
    fn info(&self) -> &SystemInfo;

    /// Checks that the system answers and accepts the credentials ("test connection").
    async fn test_connection(&self) -> Result<(), ConnectorError>;

    /// Lists employee records (see the contract, point 2).
    async fn list_employees(
        &self,
        options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError>;

    /// Reads one record by its exact code, whatever its dates.
    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError>;

    /// Creates one employee with its creation-only placement.
    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError>;

    /// Changes the listed fields of one record.
    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError>;

    /// Lists one master list.
    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError>;

    /// The fields of these records (as just listed) that the system cannot clear without a
    /// side effect, each with the reason as a warning. KING OF TIME, for instance, keeps no
    /// empty first email address: clearing it while spare addresses follow would promote a
    /// spare into the email's place. The engine leaves such a clear out of every update, so
    /// the employee's state converges instead of showing the same change run after run.
    ///
    /// The default: none (every field can be cleared). Called once per fetch and once per
    /// apply with the whole list, so an implementation can answer from what its last list
    /// read without another request.
    fn cannot_clear(&self, records: &[EmployeeRecord]) -> Vec<(RecordId, Unclearable)> {
        let _ = records;
        Vec::new()
    }
}

/// An attendance system (KING OF TIME and its family, or any other): the [`EmployeeSystem`]
/// contract, plus [`SystemInfo::side`] = [`Side::Attendance`].
pub trait AttendanceConnector: EmployeeSystem {}

/// The HR system an application embeds the sync in: the [`EmployeeSystem`] contract, plus
/// [`SystemInfo::side`] = [`Side::Hr`]. HR records may carry a business name (SPEC R9).
pub trait HrSystem: EmployeeSystem {}
