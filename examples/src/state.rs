//! The demo's data directory: the HR side, each emulated vendor's employees and the SQLite
//! report store live there between runs, so a second run sees what the first one did.
//!
//! ```text
//! <data dir>/hr.json            the HR system (an InMemorySystem snapshot)
//! <data dir>/<vendor>.json      an emulated vendor's employees (emulator mode only)
//! <data dir>/smarthr.json       the emulated SmartHR tenant's crews (--hr smarthr, no token)
//! <data dir>/reports.sqlite     every run's sync report
//! ```
//!
//! Files are written whole to a temporary name, flushed to disk and renamed into place,
//! owner-only (they hold personal data), so an interrupted run never leaves half a file.
//!
//! A side that a run writes to is saved after every write it applies, before the engine
//! hears the write's answer (see [`crate::durable`]): whatever the report records as done is
//! in these files, even when the process is killed the next moment. One process at a time
//! works on a data directory: it holds an exclusive lock on `<data dir>/.lock` (released by
//! the system when the process ends, however it ends). `--stop` and `--abandon` only touch
//! the report database and take no lock, so they work while a run holds it.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use hris_sync_core::in_memory::Snapshot;
use hris_sync_core::{InMemorySystem, MasterKind};
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::dataset::{Dataset, OFFICES};
use crate::error::Failure;
use crate::vendor::Vendor;

/// The HR system's name in reports.
pub const HR_NAME: &str = "HR (demo file)";

/// The files of one data directory. The value (and its clones) holds the directory's lock.
#[derive(Clone, Debug)]
pub struct DataDir {
    root: PathBuf,
    _lock: Arc<fs::File>,
}

impl DataDir {
    /// Opens (creating) the directory and takes its lock; with `reset`, then removes the
    /// files the demo keeps there (and nothing else).
    ///
    /// # Errors
    /// A [`Failure`] naming the path when the directory cannot be created or cleared, or
    /// when another process holds the lock.
    pub fn open(root: &Path, reset: bool) -> Result<Self, Failure> {
        fs::create_dir_all(root)
            .map_err(|error| Failure::run(format!("cannot create {}: {error}", root.display())))?;
        let lock_path = root.join(".lock");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(false);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let lock = options.open(&lock_path).map_err(|error| {
            Failure::run(format!("cannot open {}: {error}", lock_path.display()))
        })?;
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                return Err(Failure::run(format!(
                    "another example is working on {} (it holds {}); wait for it to end, or \
                     stop its run with --stop REPORT",
                    root.display(),
                    lock_path.display()
                )))
            }
            Err(fs::TryLockError::Error(error)) => {
                return Err(Failure::run(format!(
                    "cannot lock {}: {error}",
                    lock_path.display()
                )))
            }
        }
        let dir = Self {
            root: root.to_owned(),
            _lock: Arc::new(lock),
        };
        if reset {
            let mut files = vec![dir.hr_path(), dir.smarthr_path(), dir.reports_path()];
            files.push(with_suffix(&dir.reports_path(), "-wal"));
            files.push(with_suffix(&dir.reports_path(), "-shm"));
            files.extend(
                Vendor::ALL
                    .iter()
                    .map(|vendor| dir.attendance_path(*vendor)),
            );
            for file in files {
                match fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                    Err(error) => {
                        return Err(Failure::run(format!(
                            "cannot remove {}: {error}",
                            file.display()
                        )))
                    }
                }
            }
        }
        Ok(dir)
    }

    /// The directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The HR system's file.
    pub fn hr_path(&self) -> PathBuf {
        self.root.join("hr.json")
    }

    /// The emulated SmartHR tenant's file.
    pub fn smarthr_path(&self) -> PathBuf {
        self.root.join("smarthr.json")
    }

    /// An emulated vendor's file.
    pub fn attendance_path(&self, vendor: Vendor) -> PathBuf {
        self.root.join(format!("{}.json", vendor.slug()))
    }

    /// The report database.
    pub fn reports_path(&self) -> PathBuf {
        reports_path(&self.root)
    }

    /// Reads a JSON file; `None` when it does not exist.
    ///
    /// # Errors
    /// A [`Failure`] naming the file when it cannot be read or parsed (suggesting `--reset`).
    pub fn load<T: DeserializeOwned>(&self, path: &Path) -> Result<Option<T>, Failure> {
        let bytes = match fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(error) => {
                return Err(Failure::run(format!(
                    "cannot read {}: {error}",
                    path.display()
                )))
            }
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|error| {
            Failure::run(format!(
                "{} is not a demo state file ({error}); start afresh with --reset",
                path.display()
            ))
        })
    }

    /// Writes a JSON file atomically and durably, readable by its owner only: to a
    /// temporary file, flushed to disk, renamed over the old one, and the rename flushed
    /// too. Callers that may save one file from several tasks serialise their saves (see
    /// [`crate::durable`]); the temporary name is fixed, so a file left by a killed process
    /// is simply overwritten.
    ///
    /// # Errors
    /// A [`Failure`] naming the file.
    pub fn save<T: Serialize>(&self, path: &Path, value: &T) -> Result<(), Failure> {
        let fail = |error: std::io::Error| {
            Failure::run(format!("cannot write {}: {error}", path.display()))
        };
        let json = serde_json::to_vec_pretty(value)
            .map_err(|error| Failure::run(format!("cannot encode {}: {error}", path.display())))?;
        let temporary = with_suffix(path, ".tmp");
        let mut options = fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&temporary).map_err(fail)?;
        file.write_all(&json).map_err(fail)?;
        file.sync_all().map_err(fail)?;
        drop(file);
        fs::rename(&temporary, path).map_err(fail)?;
        #[cfg(unix)]
        if let Some(parent) = path.parent() {
            // The rename is durable once the directory is flushed.
            fs::File::open(parent)
                .and_then(|directory| directory.sync_all())
                .map_err(fail)?;
        }
        Ok(())
    }

    /// The HR system: restored from its file, or seeded from the data set as of `today` on
    /// the first run. Returns the system and whether it was seeded now.
    ///
    /// # Errors
    /// As [`DataDir::load`].
    pub fn open_hr(&self, today: NaiveDate) -> Result<(InMemorySystem, bool), Failure> {
        let hr = InMemorySystem::hr(HR_NAME);
        match self.load::<Snapshot>(&self.hr_path())? {
            Some(snapshot) => {
                hr.restore(snapshot);
                Ok((hr, false))
            }
            None => Ok((seeded_hr(today), true)),
        }
    }

    /// Saves the HR system.
    ///
    /// # Errors
    /// As [`DataDir::save`].
    pub fn save_hr(&self, hr: &InMemorySystem) -> Result<(), Failure> {
        self.save(&self.hr_path(), &hr.snapshot())
    }
}

/// The HR system seeded from the data set as of `today`, with its offices.
pub fn seeded_hr(today: NaiveDate) -> InMemorySystem {
    let hr = OFFICES
        .iter()
        .fold(InMemorySystem::hr(HR_NAME), |hr, (code, name)| {
            hr.with_master(MasterKind::Office, *code, *name)
        });
    for (employee, placement) in Dataset::new(today).hr {
        hr.insert(employee, placement);
    }
    hr
}

/// The report database of the data directory at `root`. `--stop` and `--abandon` open it
/// without taking the directory's lock: the run they act on holds it.
pub fn reports_path(root: &Path) -> PathBuf {
    root.join("reports.sqlite")
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("hris-sync-examples-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn the_hr_side_survives_a_restart_and_reset_starts_afresh() {
        let root = scratch("state");
        let today = NaiveDate::from_ymd_opt(2025, 1, 15).unwrap();
        let dir = DataDir::open(&root, false).unwrap();
        let (hr, seeded) = dir.open_hr(today).unwrap();
        assert!(seeded);
        let seeded_count = hr.records().len();
        hr.insert(
            hris_sync_core::Employee::new("9999"),
            hris_sync_core::Placement::new(),
        );
        dir.save_hr(&hr).unwrap();
        drop(dir);

        let (again, seeded) = DataDir::open(&root, false).unwrap().open_hr(today).unwrap();
        assert!(!seeded);
        assert_eq!(again.records().len(), seeded_count + 1);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(root.join("hr.json"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }

        let (fresh, seeded) = DataDir::open(&root, true).unwrap().open_hr(today).unwrap();
        assert!(seeded);
        assert_eq!(fresh.records().len(), seeded_count);
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn a_damaged_file_is_a_one_line_failure() {
        let root = scratch("damaged");
        let dir = DataDir::open(&root, false).unwrap();
        fs::write(dir.hr_path(), b"{ not json").unwrap();
        let failure = dir.open_hr(NaiveDate::MIN).unwrap_err();
        assert!(failure.to_string().contains("--reset"), "{failure}");
        fs::remove_dir_all(&root).unwrap();
    }
}
