//! The comparison policy (SPEC B1): which differences are cosmetic, and which values a
//! target may refuse.
//!
//! This first version compares exactly; the Japanese-aware rules land with issue 6 behind
//! this same interface.

use std::borrow::Cow;

use crate::model::{Employee, EmployeeCode, Field, FieldValue};
use crate::report::{InvalidReason, Warning};

/// Which cosmetic differences classification ignores.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ComparisonPolicy {}

/// What [`ComparisonPolicy::validate`] found on one employee.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Validation {
    /// Values the target may refuse; shown, not blocking.
    pub warnings: Vec<Warning>,
    /// Values the target would certainly refuse: the employee is Invalid.
    pub errors: Vec<InvalidReason>,
}

impl ComparisonPolicy {
    /// Every rule off: values compare exactly as stored.
    pub fn exact() -> Self {
        Self {}
    }

    /// The key two employee codes match by.
    pub fn match_key<'a>(&self, code: &'a EmployeeCode) -> Cow<'a, str> {
        Cow::Borrowed(code.as_str())
    }

    /// Whether two values of `field` are the same under this policy.
    pub fn equivalent(
        &self,
        _field: Field,
        a: Option<&FieldValue>,
        b: Option<&FieldValue>,
    ) -> bool {
        a == b
    }

    /// Rewrites a source employee's values into the form sent to the target, where a rule
    /// says so (and only then): what is sent otherwise stays the source's value.
    pub fn prepare_outgoing(&self, _employee: &mut Employee) {}

    /// Checks the values of one source employee before it is sent.
    pub fn validate(&self, _employee: &Employee) -> Validation {
        Validation::default()
    }
}
