//! At apply, the fields whose clears a run held back stay held back: the target is seen
//! through a wrapper that declares them unclearable, so the apply's fresh comparison
//! leaves them out exactly as it leaves out the target's own unclearable fields.

use std::sync::Arc;

use async_trait::async_trait;

use crate::error::ConnectorError;
use crate::model::{
    Employee, EmployeeCode, EmployeeRecord, Field, MasterEntry, MasterKind, Placement, RecordId,
};
use crate::system::{EmployeeSystem, EmployeeUpdate, ListOptions, SystemInfo, Unclearable};

/// A target whose clears of `fields` are never sent; everything else is the target's.
#[derive(Debug)]
pub(crate) struct KeepHeldBackValues {
    inner: Arc<dyn EmployeeSystem>,
    fields: Vec<Field>,
}

impl KeepHeldBackValues {
    /// `inner` as seen by an apply of a run that held back the clears of `fields`; `inner`
    /// itself when there are none.
    pub(crate) fn wrap(
        inner: Arc<dyn EmployeeSystem>,
        fields: Vec<Field>,
    ) -> Arc<dyn EmployeeSystem> {
        if fields.is_empty() {
            inner
        } else {
            Arc::new(Self { inner, fields })
        }
    }
}

#[async_trait]
impl EmployeeSystem for KeepHeldBackValues {
    fn info(&self) -> &SystemInfo {
        self.inner.info()
    }

    async fn test_connection(&self) -> Result<(), ConnectorError> {
        self.inner.test_connection().await
    }

    async fn list_employees(
        &self,
        options: &ListOptions,
    ) -> Result<Vec<EmployeeRecord>, ConnectorError> {
        self.inner.list_employees(options).await
    }

    async fn get_employee(
        &self,
        code: &EmployeeCode,
    ) -> Result<Option<EmployeeRecord>, ConnectorError> {
        self.inner.get_employee(code).await
    }

    async fn create_employee(
        &self,
        employee: &Employee,
        placement: &Placement,
    ) -> Result<EmployeeRecord, ConnectorError> {
        self.inner.create_employee(employee, placement).await
    }

    async fn update_employee(
        &self,
        id: &RecordId,
        update: &EmployeeUpdate,
    ) -> Result<(), ConnectorError> {
        self.inner.update_employee(id, update).await
    }

    async fn list_masters(&self, kind: MasterKind) -> Result<Vec<MasterEntry>, ConnectorError> {
        self.inner.list_masters(kind).await
    }

    fn cannot_clear(&self, records: &[EmployeeRecord]) -> Vec<(RecordId, Unclearable)> {
        let mut blocked = self.inner.cannot_clear(records);
        blocked.extend(super::blocked_clears(records, &self.fields));
        blocked
    }
}
