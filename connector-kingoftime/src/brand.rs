//! The brand: what differs between the members of the KOT family (KING OF TIME, Touch On Time,
//! 勤革時). The protocol is the same; the name, the base URL, the environment variables and the
//! maintenance windows are configuration.

use std::fmt;

use hris_sync_core::{DailyWindow, MaintenanceWindows};

/// One member of the KOT family, as configuration of the shared protocol.
///
/// ```
/// use connector_kingoftime::Brand;
/// let brand = Brand::king_of_time();
/// assert_eq!(brand.name(), "KING OF TIME");
/// assert_eq!(brand.default_base_url(), Some("https://api.kingtime.jp/v1.0"));
/// assert_eq!(brand.token_env_var(), "KOT_TOKEN");
/// assert_eq!(brand.maintenance_windows().windows().len(), 2);
///
/// // A brand without a public host: the base URL must be configured.
/// let other = Brand::new("Example Attendance", "EXAMPLE");
/// assert_eq!(other.default_base_url(), None);
/// assert_eq!(other.base_url_env_var(), "EXAMPLE_BASE_URL");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Brand {
    name: String,
    env_prefix: String,
    default_base_url: Option<String>,
    maintenance_windows: MaintenanceWindows,
}

impl Brand {
    /// The public KING OF TIME Web API base URL.
    pub const KING_OF_TIME_BASE_URL: &'static str = "https://api.kingtime.jp/v1.0";

    /// A brand with no default base URL and the KOT-family restricted hours
    /// ([`Brand::kot_family_windows`]). `env_prefix` names the environment variables
    /// `{prefix}_TOKEN` and `{prefix}_BASE_URL`.
    pub fn new(name: impl Into<String>, env_prefix: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            env_prefix: env_prefix.into(),
            default_base_url: None,
            maintenance_windows: Self::kot_family_windows(),
        }
    }

    /// KING OF TIME: base URL `https://api.kingtime.jp/v1.0`, variables `KOT_TOKEN` and
    /// `KOT_BASE_URL`.
    pub fn king_of_time() -> Self {
        Self::new("KING OF TIME", "KOT").with_default_base_url(Self::KING_OF_TIME_BASE_URL)
    }

    /// The daily restricted hours of the KOT family: 08:30–10:00 and 17:30–18:30 Japan time.
    pub fn kot_family_windows() -> MaintenanceWindows {
        MaintenanceWindows::new(vec![
            DailyWindow::hm((8, 30), (10, 0)),
            DailyWindow::hm((17, 30), (18, 30)),
        ])
    }

    /// Sets the base URL used when none is configured.
    pub fn with_default_base_url(mut self, url: impl Into<String>) -> Self {
        self.default_base_url = Some(url.into());
        self
    }

    /// Replaces the daily maintenance windows.
    pub fn with_maintenance_windows(mut self, windows: MaintenanceWindows) -> Self {
        self.maintenance_windows = windows;
        self
    }

    /// The name shown in errors, logs and reports.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The base URL used when none is configured; `None` when the vendor publishes none.
    pub fn default_base_url(&self) -> Option<&str> {
        self.default_base_url.as_deref()
    }

    /// The daily maintenance windows.
    pub fn maintenance_windows(&self) -> &MaintenanceWindows {
        &self.maintenance_windows
    }

    /// The prefix of the environment variables.
    pub fn env_prefix(&self) -> &str {
        &self.env_prefix
    }

    /// The environment variable holding the API token (`{prefix}_TOKEN`).
    pub fn token_env_var(&self) -> String {
        format!("{}_TOKEN", self.env_prefix)
    }

    /// The environment variable holding the API base URL (`{prefix}_BASE_URL`).
    pub fn base_url_env_var(&self) -> String {
        format!("{}_BASE_URL", self.env_prefix)
    }
}

impl fmt::Debug for Brand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Brand")
            .field("name", &self.name)
            .field("env_prefix", &self.env_prefix)
            .field("default_base_url", &self.default_base_url)
            .finish_non_exhaustive()
    }
}
