//! Opening an SQLite report store's file: creating it owner-only, refusing a file that is
//! not ours (before changing anything in it), and bringing an older schema up to this
//! build's version.

use std::fs::OpenOptions;
use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::{db_error, BUSY_TIMEOUT, MIGRATIONS, SCHEMA, SCHEMA_VERSION};
use crate::error::StoreError;

/// Creates the database file with owner-only permissions if it does not exist, and checks
/// that an existing one can be opened for writing, so that the operating system's reason
/// ("Permission denied", "Read-only file system") reaches the caller: SQLite reports every
/// such failure as "unable to open database file".
pub(super) fn create_owner_only(path: &Path) -> Result<(), StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
            OpenOptions::new()
                .read(true)
                .write(true)
                .open(path)
                .map_err(|error| {
                    StoreError::backend(
                        format!("cannot open report database {}: {error}", path.display()),
                        error,
                    )
                })?;
            warn_if_shared(path);
            Ok(())
        }
        Err(error) => Err(StoreError::backend(
            format!("cannot create report database {}: {error}", path.display()),
            error,
        )),
    }
}

#[cfg(unix)]
fn warn_if_shared(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(metadata) = std::fs::metadata(path) {
        let mode = metadata.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            tracing::warn!(
                path = %path.display(),
                mode = format_args!("{mode:o}"),
                "the report database may be read by other users; reports hold personal data \
                 (chmod 600 it)"
            );
        }
    }
}

#[cfg(not(unix))]
fn warn_if_shared(_path: &Path) {}

/// Sets the connection up and brings the schema to [`SCHEMA_VERSION`]. Nothing in the file
/// is changed before it is known to be ours (or empty): a foreign database is refused as it
/// was found.
pub(super) fn configure(connection: &mut Connection, file: bool) -> Result<(), StoreError> {
    connection
        .busy_timeout(BUSY_TIMEOUT)
        .map_err(|error| db_error("setting the busy timeout", error))?;
    // The first statements that read the file: a file that is not a database fails here.
    check_ours(connection)?;
    let mode: String = connection
        .pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get(0))
        .map_err(|error| db_error("switching to write-ahead logging", error))?;
    if file && !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::Backend {
            message: format!("write-ahead logging refused (journal mode stays {mode})"),
            source: None,
        });
    }
    connection
        .pragma_update(None, "synchronous", "FULL")
        .map_err(|error| db_error("setting synchronous=FULL", error))?;
    connection
        .pragma_update(None, "foreign_keys", true)
        .map_err(|error| db_error("enabling foreign keys", error))?;
    migrate(connection)
}

/// Refuses a database that is not a report database (of this or an older version), without
/// writing anything.
fn check_ours(connection: &Connection) -> Result<(), StoreError> {
    let version = schema_version(connection)?;
    check_version(version)?;
    if version == 0 && object_count(connection)? != 0 {
        return Err(foreign_database());
    }
    Ok(())
}

fn object_count(connection: &Connection) -> Result<i64, StoreError> {
    connection
        .query_row("SELECT count(*) FROM sqlite_schema", [], |row| row.get(0))
        .map_err(|error| db_error("reading the schema", error))
}

fn foreign_database() -> StoreError {
    StoreError::Corrupt {
        message: "an SQLite database, but not a hris-sync report database (it has tables and \
                  no schema version); nothing in it was changed"
            .to_owned(),
        source: None,
    }
}

fn schema_version(connection: &Connection) -> Result<i64, StoreError> {
    connection
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(|error| db_error("reading the schema version", error))
}

fn check_version(version: i64) -> Result<(), StoreError> {
    if version > SCHEMA_VERSION {
        return Err(StoreError::Corrupt {
            message: format!(
                "schema version {version} was written by a newer version of hris-sync-core \
                 (this one reads up to {SCHEMA_VERSION}); upgrade it"
            ),
            source: None,
        });
    }
    if version < 0 {
        return Err(StoreError::Corrupt {
            message: format!("schema version {version} is not a hris-sync report database's"),
            source: None,
        });
    }
    Ok(())
}

fn migrate(connection: &mut Connection) -> Result<(), StoreError> {
    let version = schema_version(connection)?;
    check_version(version)?;
    if version == SCHEMA_VERSION {
        return Ok(());
    }
    // Another process may be migrating at the same time: decide under the lock.
    let context = "bringing the schema up to date";
    let transaction = connection
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(|error| db_error(context, error))?;
    let version = schema_version(&transaction)?;
    check_version(version)?;
    if version == 0 {
        if object_count(&transaction)? != 0 {
            return Err(foreign_database());
        }
        transaction
            .execute_batch(SCHEMA)
            .map_err(|error| db_error("creating the schema", error))?;
    } else {
        for (to, step) in MIGRATIONS.iter().filter(|(to, _)| *to > version) {
            transaction
                .execute_batch(step)
                .map_err(|error| db_error(&format!("migrating to schema version {to}"), error))?;
        }
    }
    transaction
        .pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(|error| db_error("setting the schema version", error))?;
    transaction
        .commit()
        .map_err(|error| db_error(context, error))
}

pub(super) trait InFile {
    fn in_file(self, path: &Path) -> Self;
}

impl InFile for StoreError {
    /// Names the file in an error raised while opening it.
    fn in_file(self, path: &Path) -> Self {
        match self {
            StoreError::Backend { message, source } => StoreError::Backend {
                message: format!("{}: {message}", path.display()),
                source,
            },
            StoreError::Corrupt { message, source } => StoreError::Corrupt {
                message: format!("{}: {message}", path.display()),
                source,
            },
            other => other,
        }
    }
}
