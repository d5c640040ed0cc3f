//! The check for fields a token may not read: SmartHR answers such a field with `null` for
//! every crew, which looks exactly like "nobody has one". A sync must never read that as
//! "clear it in the other system"; this check names such fields so an administrator can fix
//! the token's field rights (or confirm the data really is empty).

use std::fmt;

use hris_sync_core::{EmployeeRecord, Field};

use crate::wire::property_of;

/// The synced fields that came back empty for every crew.
///
/// ```
/// use connector_smarthr::EmptyFields;
/// use hris_sync_core::{Employee, EmployeeRecord, Field, RecordId};
/// let crews = [
///     EmployeeRecord { id: RecordId::new("a"), employee: Employee::new("1").with_name("山田", "太郎") },
///     EmployeeRecord { id: RecordId::new("b"), employee: Employee::new("2").with_email("b@example.com") },
/// ];
/// let empty = EmptyFields::of(&crews);
/// assert!(empty.fields.contains(&Field::BirthDate));
/// assert!(!empty.fields.contains(&Field::Email) && !empty.fields.contains(&Field::LastName));
/// assert_eq!(empty.crews, 2);
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct EmptyFields {
    /// How many crews were read.
    pub crews: usize,
    /// The synced fields (code included) no crew holds; empty when there are no crews.
    pub fields: Vec<Field>,
}

impl EmptyFields {
    /// The fields no record holds.
    pub fn of(records: &[EmployeeRecord]) -> Self {
        let fields = if records.is_empty() {
            Vec::new()
        } else {
            Field::ALL
                .into_iter()
                .filter(|field| {
                    records.iter().all(|record| match field {
                        Field::Code => record.employee.code.is_blank(),
                        _ => record.employee.get(*field).is_none(),
                    })
                })
                .collect()
        };
        Self {
            crews: records.len(),
            fields,
        }
    }
}

impl fmt::Display for EmptyFields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names: Vec<&str> = self.fields.iter().map(|f| property_of(*f)).collect();
        f.write_str(&names.join(", "))
    }
}
