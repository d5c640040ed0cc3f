//! Where the store connects: a URL (`HRIS_SYNC_DATABASE_URL`), a schema, a pool size, and
//! TLS (feature `tls`). The password never leaves this module in a printable form.

use std::fmt;
use std::str::FromStr;

use tokio_postgres::config::Host;

/// The environment variable the examples, the tests and CI read the database URL from.
pub const DATABASE_URL_ENV: &str = "HRIS_SYNC_DATABASE_URL";

/// The schema the store uses when none is given.
pub const DEFAULT_SCHEMA: &str = "public";

/// How many connections the pool keeps at most when not told.
pub const DEFAULT_POOL_SIZE: usize = 8;

/// Why settings could not be made. Never quotes the URL (it may hold a password).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SettingsError {
    /// The URL is not a PostgreSQL connection URL or key=value string.
    #[error(
        "invalid database URL: {reason} (expected postgres://user:password@host:port/database)"
    )]
    InvalidUrl {
        /// What the driver found wrong (names an option, never a value).
        reason: String,
    },
    /// The schema name is not a plain lower-case SQL identifier.
    #[error(
        "invalid schema name {schema:?}: use 1 to 63 lower-case letters, digits and \
         underscores, not starting with a digit"
    )]
    InvalidSchema {
        /// The name given.
        schema: String,
    },
    /// The environment variable is set but not valid Unicode.
    #[error("{DATABASE_URL_ENV} is not valid Unicode")]
    NotUnicode,
}

/// Connection settings of a [`PostgresReportStore`](crate::PostgresReportStore).
///
/// `Debug` and [`PostgresSettings::redacted`] show the URL without its password:
///
/// ```
/// use hris_sync_store_postgres::PostgresSettings;
///
/// let settings = PostgresSettings::from_url("postgres://hris:s3cret@db.internal:5433/hr")?
///     .with_schema("hris_sync")?;
/// assert_eq!(
///     settings.redacted(),
///     "postgres://hris:***@db.internal:5433/hr (schema hris_sync)"
/// );
/// assert!(!format!("{settings:?}").contains("s3cret"));
/// # Ok::<(), hris_sync_store_postgres::SettingsError>(())
/// ```
#[derive(Clone)]
pub struct PostgresSettings {
    config: tokio_postgres::Config,
    schema: String,
    pool_size: usize,
    #[cfg(feature = "tls")]
    tls: Option<std::sync::Arc<rustls::ClientConfig>>,
}

impl PostgresSettings {
    /// Settings from a URL (`postgres://user:password@host:port/database?sslmode=…`) or a
    /// libpq key=value string, schema [`DEFAULT_SCHEMA`], pool size [`DEFAULT_POOL_SIZE`].
    ///
    /// # Errors
    /// [`SettingsError::InvalidUrl`], which never quotes the URL.
    pub fn from_url(url: &str) -> Result<Self, SettingsError> {
        let config =
            tokio_postgres::Config::from_str(url).map_err(|error| SettingsError::InvalidUrl {
                // The driver's parse errors name the option at fault, not its value.
                reason: error.to_string(),
            })?;
        Ok(Self {
            config,
            schema: DEFAULT_SCHEMA.to_owned(),
            pool_size: DEFAULT_POOL_SIZE,
            #[cfg(feature = "tls")]
            tls: None,
        })
    }

    /// Settings from [`DATABASE_URL_ENV`]; `Ok(None)` when it is unset or empty.
    ///
    /// # Errors
    /// As [`PostgresSettings::from_url`], and [`SettingsError::NotUnicode`].
    pub fn from_env() -> Result<Option<Self>, SettingsError> {
        match std::env::var(DATABASE_URL_ENV) {
            Ok(url) if url.trim().is_empty() => Ok(None),
            Ok(url) => Self::from_url(url.trim()).map(Some),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(SettingsError::NotUnicode),
        }
    }

    /// Keeps the store's tables in `schema` (created on open when missing), so that one
    /// database can hold several stores, or a store beside an application's own tables.
    ///
    /// # Errors
    /// [`SettingsError::InvalidSchema`] unless it is a plain lower-case identifier.
    pub fn with_schema(mut self, schema: impl Into<String>) -> Result<Self, SettingsError> {
        let schema = schema.into();
        let plain = (1..=63).contains(&schema.len())
            && schema
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !schema.as_bytes()[0].is_ascii_digit();
        if !plain {
            return Err(SettingsError::InvalidSchema { schema });
        }
        self.schema = schema;
        Ok(self)
    }

    /// Sets how many connections the pool keeps at most (at least 1).
    pub fn with_pool_size(mut self, size: usize) -> Self {
        self.pool_size = size.max(1);
        self
    }

    /// Connects over TLS with this rustls configuration (its root certificates decide which
    /// servers are trusted). The URL's `sslmode` still applies: `require` refuses a server
    /// without TLS, `prefer` (the default) falls back to plain text.
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, config: rustls::ClientConfig) -> Self {
        self.tls = Some(std::sync::Arc::new(config));
        self
    }

    /// The schema the tables live in.
    pub fn schema(&self) -> &str {
        &self.schema
    }

    /// The pool's size.
    pub fn pool_size(&self) -> usize {
        self.pool_size
    }

    /// The URL with `***` for the password, and the schema: what logs and errors show.
    pub fn redacted(&self) -> String {
        let user = self.config.get_user().unwrap_or("");
        let password = if self.config.get_password().is_some() {
            ":***"
        } else {
            ""
        };
        let credentials = if user.is_empty() && password.is_empty() {
            String::new()
        } else {
            format!("{user}{password}@")
        };
        let hosts = self
            .config
            .get_hosts()
            .iter()
            .enumerate()
            .map(|(n, host)| {
                let name = match host {
                    Host::Tcp(name) => name.clone(),
                    #[cfg(unix)]
                    Host::Unix(path) => path.display().to_string(),
                };
                match self
                    .config
                    .get_ports()
                    .get(n)
                    .or(self.config.get_ports().first())
                {
                    Some(port) => format!("{name}:{port}"),
                    None => name,
                }
            })
            .collect::<Vec<_>>()
            .join(",");
        let database = self.config.get_dbname().unwrap_or("");
        format!(
            "postgres://{credentials}{hosts}/{database} (schema {})",
            self.schema
        )
    }

    /// The driver's configuration, with the schema as the connections' search path.
    pub(crate) fn driver_config(&self) -> tokio_postgres::Config {
        let mut config = self.config.clone();
        // The schema is a checked plain identifier: no quoting needed.
        let search_path = format!("-c search_path={}", self.schema);
        let options = match self.config.get_options() {
            Some(given) if !given.trim().is_empty() => format!("{given} {search_path}"),
            _ => search_path,
        };
        config.options(options);
        if config.get_application_name().is_none() {
            config.application_name("hris-sync");
        }
        config
    }

    #[cfg(feature = "tls")]
    pub(crate) fn tls(&self) -> Option<&rustls::ClientConfig> {
        self.tls.as_deref()
    }
}

impl fmt::Debug for PostgresSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PostgresSettings")
            .field("url", &self.redacted())
            .field("pool_size", &self.pool_size)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "pa55-w0rd-never-shown";

    #[test]
    fn the_password_shows_nowhere() {
        let settings =
            PostgresSettings::from_url(&format!("postgres://app:{SECRET}@localhost:5544/hr"))
                .unwrap();
        assert_eq!(
            settings.redacted(),
            "postgres://app:***@localhost:5544/hr (schema public)"
        );
        assert!(!format!("{settings:?}").contains(SECRET));
        assert!(!format!("{:?}", settings.driver_config()).contains(SECRET));
    }

    #[test]
    fn a_bad_url_is_refused_without_quoting_it() {
        for url in [
            format!("postgres://app:{SECRET}@localhost:notaport/hr"),
            format!("postgres://app:{SECRET}@localhost/hr?nosuchoption=1"),
        ] {
            let error = PostgresSettings::from_url(&url).unwrap_err();
            assert!(
                matches!(error, SettingsError::InvalidUrl { .. }),
                "{error:?}"
            );
            assert!(!error.to_string().contains(SECRET), "{error}");
            assert!(!format!("{error:?}").contains(SECRET), "{error:?}");
        }
    }

    #[test]
    fn schemas_are_plain_identifiers() {
        let settings = PostgresSettings::from_url("postgres://localhost/hr").unwrap();
        for bad in ["", "Public", "a-b", "1abc", "x;drop", &"a".repeat(64)] {
            assert!(
                matches!(
                    settings.clone().with_schema(bad),
                    Err(SettingsError::InvalidSchema { .. })
                ),
                "{bad:?}"
            );
        }
        let settings = settings.with_schema("hris_sync_2").unwrap();
        assert_eq!(
            settings.driver_config().get_options(),
            Some("-c search_path=hris_sync_2")
        );
    }

    #[test]
    fn given_options_are_kept_beside_the_search_path() {
        let settings = PostgresSettings::from_url(
            "postgres://localhost/hr?options=-c%20statement_timeout%3D5000",
        )
        .unwrap();
        assert_eq!(
            settings.driver_config().get_options(),
            Some("-c statement_timeout=5000 -c search_path=public")
        );
    }
}
