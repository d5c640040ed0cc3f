//! How the examples fail: one line on standard error and a non-zero exit, never a panic or
//! a backtrace.

use std::fmt;
use std::process::ExitCode;

use hris_sync_core::{ConnectorError, StoreError, SyncError};

/// A reason to stop, as one line for the user, with its exit code: 2 for bad usage, 1 for
/// everything else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Failure {
    message: String,
    code: u8,
}

impl Failure {
    /// The command line is wrong (exit code 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::with_code(message, 2)
    }

    /// The run could not go on (exit code 1).
    pub fn run(message: impl Into<String>) -> Self {
        Self::with_code(message, 1)
    }

    fn with_code(message: impl Into<String>, code: u8) -> Self {
        // One line, whatever the source said.
        let message = message
            .into()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ");
        Self { message, code }
    }

    /// The exit code.
    pub fn exit_code(&self) -> u8 {
        self.code
    }

    /// The process exit code.
    pub fn to_exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<SyncError> for Failure {
    fn from(error: SyncError) -> Self {
        Self::run(error.to_string())
    }
}

impl From<StoreError> for Failure {
    fn from(error: StoreError) -> Self {
        Self::run(error.to_string())
    }
}

impl From<ConnectorError> for Failure {
    fn from(error: ConnectorError) -> Self {
        Self::run(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_is_one_line() {
        let failure = Failure::run("first\n  second\tthird ");
        assert_eq!(failure.to_string(), "first second third");
        assert_eq!(failure.exit_code(), 1);
        assert_eq!(Failure::usage("x").exit_code(), 2);
    }
}
