//! What a user interface reads about an engine without running anything: the connected
//! systems, the clock, a run's header, the business-name setting (SPEC R9) and the test of
//! a connection (R15).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use super::SyncEngine;
use crate::actor::Actor;
use crate::clock::Clock;
use crate::error::SyncError;
use crate::report::{ReportId, ReportSummary};
use crate::system::{EmployeeSystem, Side, SystemInfo};

impl SyncEngine {
    /// What one side declares: its name, maintenance windows, creation values.
    pub fn system_info(&self, side: Side) -> &SystemInfo {
        self.system(side).info()
    }

    /// The clock base dates and maintenance windows are reckoned by, so a screen shows the
    /// same "today" and the same windows as the engine checks.
    pub fn clock(&self) -> Arc<dyn Clock> {
        self.inner.clock.clone()
    }

    /// A run's header as the store holds it, without its entries: the cheap read for a
    /// status that is polled.
    ///
    /// # Errors
    /// [`SyncError::ReportNotFound`], or a store failure.
    pub async fn summary(&self, id: ReportId) -> Result<ReportSummary, SyncError> {
        self.stored_summary(id).await
    }

    /// Whether export sends business names instead of legal names where set (SPEC R9).
    pub fn prefer_business_name(&self) -> bool {
        self.inner.prefer_business_name.load(Ordering::Relaxed)
    }

    /// Changes the business-name setting (SPEC R9) for runs started from now on; a run
    /// already fetched keeps the names it was classified with. Clones of this engine share
    /// the setting. It lives in this engine only: an application that keeps settings across
    /// restarts stores it itself and builds the engine with
    /// [`SyncOptions::with_prefer_business_name`](super::SyncOptions::with_prefer_business_name).
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`]; the setting is unchanged then.
    pub fn set_prefer_business_name(&self, prefer: bool, actor: &Actor) -> Result<(), SyncError> {
        Self::check_actor(actor)?;
        self.inner
            .prefer_business_name
            .store(prefer, Ordering::Relaxed);
        // The actor's id may be an address: personal data stays out of info.
        tracing::info!(prefer, "business-name setting changed");
        tracing::debug!(prefer, actor = %actor.id, "business-name setting changed");
        Ok(())
    }

    /// Tests the connection to one side (接続テスト, SPEC R15): a cheap authenticated call.
    ///
    /// # Errors
    /// [`SyncError::NotAdministrator`], or [`SyncError::Connector`] with the system's error
    /// (credentials never appear in it).
    pub async fn test_connection(&self, side: Side, actor: &Actor) -> Result<(), SyncError> {
        Self::check_actor(actor)?;
        let system = self.system(side);
        system
            .test_connection()
            .await
            .map_err(|source| SyncError::Connector {
                system: system.info().name.clone(),
                operation: "testing the connection",
                source,
            })
    }

    fn system(&self, side: Side) -> &dyn EmployeeSystem {
        match side {
            Side::Hr => &*self.inner.hr,
            Side::Attendance => &*self.inner.attendance,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::in_memory::InMemorySystem;
    use crate::report::Direction;
    use crate::system::SystemInfo;
    use crate::FixedClock;

    fn engine() -> SyncEngine {
        let hr = InMemorySystem::new(SystemInfo::new("HR", Side::Hr));
        let attendance = InMemorySystem::new(SystemInfo::new("KOT", Side::Attendance));
        SyncEngine::builder()
            .with_hr(Arc::new(hr))
            .with_attendance(Arc::new(attendance))
            .with_clock(Arc::new(FixedClock::at_japan_time(2025, 6, 2, 12, 0)))
            .build()
            .unwrap()
    }

    #[tokio::test]
    async fn r9_the_setting_changes_for_administrators_only_and_is_shared_by_clones() {
        let engine = engine();
        assert!(!engine.prefer_business_name());
        let refused = engine.set_prefer_business_name(true, &Actor::member("m"));
        assert!(matches!(refused, Err(SyncError::NotAdministrator { .. })));
        assert!(!engine.prefer_business_name());
        engine
            .set_prefer_business_name(true, &Actor::administrator("a"))
            .unwrap();
        assert!(engine.clone().prefer_business_name());
    }

    #[tokio::test]
    async fn r9_a_changed_setting_shapes_the_runs_fetched_after_it_only() {
        use crate::model::{BusinessName, Employee, Placement};
        let hr = InMemorySystem::hr("HR");
        hr.insert(
            Employee::new("1")
                .with_name("山田", "花子")
                .with_business_name(BusinessName {
                    last_name: Some("鈴木".into()),
                    ..BusinessName::default()
                }),
            Placement::new(),
        );
        let engine = SyncEngine::builder()
            .with_hr(Arc::new(hr))
            .with_attendance(Arc::new(InMemorySystem::attendance("KOT")))
            .with_clock(Arc::new(FixedClock::at_japan_time(2025, 6, 2, 12, 0)))
            .build()
            .unwrap();
        let admin = Actor::administrator("a");
        let today = engine.clock().today_in_japan();
        let last_name = |report: &crate::SyncReport| report.entries[0].employee.last_name.clone();
        let before = engine
            .fetch(Direction::Export, today, &admin)
            .await
            .unwrap();
        engine.set_prefer_business_name(true, &admin).unwrap();
        let after = engine
            .fetch(Direction::Export, today, &admin)
            .await
            .unwrap();
        assert_eq!(last_name(&after).as_deref(), Some("鈴木"));
        // The run fetched before the change keeps the legal name.
        let kept = engine.report(before.summary.id).await.unwrap();
        assert_eq!(last_name(&kept).as_deref(), Some("山田"));
    }

    #[tokio::test]
    async fn summary_reads_the_header_and_names_a_missing_run() {
        let engine = engine();
        let admin = Actor::administrator("a");
        let today = engine.clock().today_in_japan();
        let id = engine
            .start(Direction::Export, today, &admin)
            .await
            .unwrap();
        engine.wait_until_fetched(id).await.unwrap();
        assert_eq!(engine.summary(id).await.unwrap().id, id);
        let missing = ReportId::new();
        assert!(matches!(
            engine.summary(missing).await,
            Err(SyncError::ReportNotFound(id)) if id == missing
        ));
        assert_eq!(engine.system_info(Side::Attendance).name, "KOT");
    }

    #[tokio::test]
    async fn r15_test_connection_needs_an_administrator() {
        let engine = engine();
        assert!(engine
            .test_connection(Side::Hr, &Actor::administrator("a"))
            .await
            .is_ok());
        assert!(matches!(
            engine.test_connection(Side::Hr, &Actor::member("m")).await,
            Err(SyncError::NotAdministrator { .. })
        ));
    }
}
