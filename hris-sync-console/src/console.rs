//! The [`Console`] builder and the router it makes.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use axum::routing::{get, post};
use axum::Router;
use hris_sync_core::SyncEngine;

use crate::auth::Authenticate;
use crate::drafts::Drafts;
use crate::{assets, pages, web};

/// A refused console configuration.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum ConsoleError {
    /// A connection's name is not usable in a URL path.
    #[error("connection name {0:?} must be 1–40 characters of a–z, 0–9 and '-'")]
    BadConnectionName(String),
    /// Two connections have the same name.
    #[error("connection name {0:?} is given twice")]
    DuplicateConnection(String),
}

/// One configured connection (連携): an engine between the HR system and one vendor.
pub(crate) struct Connection {
    /// The name in URLs.
    pub(crate) slug: String,
    pub(crate) engine: SyncEngine,
}

/// What every handler shares.
pub(crate) struct Shared {
    pub(crate) connections: Vec<Connection>,
    pub(crate) auth: Box<dyn Authenticate>,
    pub(crate) secure_cookies: bool,
    pub(crate) poll_interval: Duration,
    pub(crate) drafts: Drafts,
}

impl Shared {
    pub(crate) fn connection(&self, slug: &str) -> Option<&Connection> {
        self.connections.iter().find(|c| c.slug == slug)
    }
}

/// The state handlers receive.
pub(crate) type AppState = Arc<Shared>;

/// The administrator's console: configure it with the connections and how requests become
/// actors, then mount [`Console::router`] under a path of the application's choosing.
///
/// See the crate's documentation for the few lines an application writes.
pub struct Console {
    connections: Vec<Connection>,
    auth: Box<dyn Authenticate>,
    secure_cookies: bool,
    poll_interval: Duration,
}

impl fmt::Debug for Console {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Console")
            .field(
                "connections",
                &self.connections.iter().map(|c| &c.slug).collect::<Vec<_>>(),
            )
            .field("secure_cookies", &self.secure_cookies)
            .field("poll_interval", &self.poll_interval)
            .finish_non_exhaustive()
    }
}

impl Console {
    /// A console with no connection yet, whose requests become actors through `auth`.
    ///
    /// Its cookie (the CSRF token) is marked `Secure` unless
    /// [`with_secure_cookies(false)`](Console::with_secure_cookies).
    pub fn new(auth: impl Authenticate) -> Self {
        Self {
            connections: Vec::new(),
            auth: Box::new(auth),
            secure_cookies: true,
            poll_interval: Duration::from_millis(1500),
        }
    }

    /// Adds a connection: one engine (one HR system, one vendor), shown as one dashboard
    /// section and addressed in URLs by `name` (a–z, 0–9, '-').
    ///
    /// # Errors
    /// [`ConsoleError::BadConnectionName`], [`ConsoleError::DuplicateConnection`].
    pub fn with_connection(
        mut self,
        name: impl Into<String>,
        engine: SyncEngine,
    ) -> Result<Self, ConsoleError> {
        let slug = name.into();
        let usable = !slug.is_empty()
            && slug.len() <= 40
            && slug
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !usable {
            return Err(ConsoleError::BadConnectionName(slug));
        }
        if self.connections.iter().any(|c| c.slug == slug) {
            return Err(ConsoleError::DuplicateConnection(slug));
        }
        self.connections.push(Connection { slug, engine });
        Ok(self)
    }

    /// Whether the CSRF cookie is marked `Secure` (sent over https only). Default true;
    /// turn it off only for plain http on loopback, as the example does.
    pub fn with_secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = secure;
        self
    }

    /// How often an open report page asks for its status while the run is fetching or
    /// syncing (default 1.5 s; at least 250 ms). A syncing page reloads to show newly
    /// recorded outcomes at most once every 4 of these intervals.
    pub fn with_poll_interval(mut self, interval: Duration) -> Self {
        self.poll_interval = interval.max(Duration::from_millis(250));
        self
    }

    /// The router serving every screen. Mount it with [`Router::nest`] under any prefix
    /// (or serve it at the root): its links follow the prefix it is reached under.
    pub fn router(self) -> Router {
        let state: AppState = Arc::new(Shared {
            connections: self.connections,
            auth: self.auth,
            secure_cookies: self.secure_cookies,
            poll_interval: self.poll_interval,
            drafts: Drafts::default(),
        });
        let run = "/c/{conn}/reports/{id}";
        Router::new()
            .route("/", get(pages::dashboard::show))
            .route("/assets/{file}", get(assets::serve))
            .route(
                "/c/{conn}/start/{direction}",
                get(pages::start::form).post(pages::start::submit),
            )
            .route("/c/{conn}/reports", get(pages::list::show))
            .route(run, get(pages::report::show))
            .route(&format!("{run}/status"), get(pages::report::status))
            .route(
                &format!("{run}/select"),
                get(pages::select::show).post(pages::select::submit),
            )
            .route(
                &format!("{run}/placement"),
                get(pages::placement::show).post(pages::placement::submit),
            )
            .route(&format!("{run}/preview"), get(pages::preview::show))
            .route(&format!("{run}/apply"), post(pages::control::apply))
            .route(&format!("{run}/stop"), post(pages::control::stop))
            .route(&format!("{run}/resume"), post(pages::control::resume))
            .route(&format!("{run}/abandon"), post(pages::control::abandon))
            .route(&format!("{run}/discard"), post(pages::control::discard))
            .route(
                "/c/{conn}/settings",
                get(pages::settings::show).post(pages::settings::save),
            )
            .route("/c/{conn}/settings/test", post(pages::settings::test))
            .fallback(web::not_found)
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                web::headers_and_token,
            ))
            .with_state(state)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_names_are_checked() {
        let console = || Console::new(|_: &axum::http::request::Parts| None);
        let engine = || {
            SyncEngine::builder()
                .with_hr(Arc::new(hris_sync_core::InMemorySystem::hr("HR")))
                .with_attendance(Arc::new(hris_sync_core::InMemorySystem::attendance("KOT")))
                .build()
                .unwrap()
        };
        for bad in ["", "KOT", "a/b", "a b", &"x".repeat(41)] {
            assert_eq!(
                console().with_connection(bad, engine()).unwrap_err(),
                ConsoleError::BadConnectionName(bad.to_owned())
            );
        }
        let once = console().with_connection("kot", engine()).unwrap();
        assert_eq!(
            once.with_connection("kot", engine()).unwrap_err(),
            ConsoleError::DuplicateConnection("kot".into())
        );
    }
}
