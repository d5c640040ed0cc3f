//! Who starts a run (SPEC R14): the embedding application passes the signed-in user in.

use serde::{Deserialize, Serialize};

/// A user's role, as far as syncing cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// May start, apply and resume runs.
    Administrator,
    /// May not.
    Member,
}

/// The user on whose behalf a run is started or applied; recorded in the report.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Actor {
    /// The embedding application's id for the user.
    pub id: String,
    /// The user's role.
    pub role: Role,
}

impl Actor {
    /// An administrator.
    pub fn administrator(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            role: Role::Administrator,
        }
    }

    /// A user without sync rights.
    pub fn member(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            role: Role::Member,
        }
    }

    /// Whether the actor may run syncs.
    pub fn is_administrator(&self) -> bool {
        self.role == Role::Administrator
    }
}
