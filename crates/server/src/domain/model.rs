//! Users, their roles, and who is acting.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Member,
    Admin,
}

/// The Entra roles that govern passes and the policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AdminRole {
    /// Issues, views and deletes passes for admins and members, not itself.
    PrivilegedAuthenticationAdministrator,
    /// Issues, views and deletes passes for members only, not itself.
    AuthenticationAdministrator,
    /// Sees pass details, never the code.
    GlobalReader,
    /// Edits the pass policy.
    AuthenticationPolicyAdministrator,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct User {
    pub id: i64,
    pub upn: String,
    pub display_name: String,
    pub role: Role,
    pub admin_roles: Vec<AdminRole>,
    pub groups: Vec<String>,
    /// The ids of the directory groups among `groups` (the policy names a
    /// directory group by its id, so a renamed group keeps its place).
    #[serde(default)]
    pub group_ids: Vec<String>,
    pub created_at: DateTime<Utc>,
    /// Where the user lives (an IANA name such as Europe/Berlin), so the
    /// help desk can show a pass's start on the user's clock.
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The person's stable public id (a GUID): the same in Graph and SCIM,
    /// kept through a rename.
    pub object_id: String,
    /// False once the person is disabled (a leaver): nothing of theirs
    /// signs in or opens anything until they are enabled again.
    pub enabled: bool,
    /// When anything about the person last changed (SCIM's `meta.lastModified`).
    pub modified_at: DateTime<Utc>,
    /// The role given to the person themselves (`tapin user add --role`),
    /// before any a directory group grants: an administrator of their own
    /// is the operator's to change, never the directory's.
    pub own_role: Role,
}

impl User {
    pub fn has(&self, role: AdminRole) -> bool {
        self.role == Role::Admin && self.admin_roles.contains(&role)
    }
}

/// A change to a person's account: each field set is changed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserUpdate {
    /// A new account name (a mover); every method stays with the person.
    pub upn: Option<String>,
    pub display_name: Option<String>,
    /// `Some(None)` forgets the time zone.
    pub time_zone: Option<Option<String>>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub upn: String,
    pub display_name: String,
    pub role: Role,
    pub admin_roles: Vec<AdminRole>,
    pub groups: Vec<String>,
    pub time_zone: Option<String>,
}

/// Who asks for a change.
#[derive(Debug, Clone)]
pub enum Actor {
    /// Whoever runs `tapin` on the server with access to its database.
    Operator,
    Admin(User),
    /// The account holder (by the account name they typed), acting on their own account.
    User(String),
    /// The organisation's directory, through SCIM with a provisioning
    /// token: `provisioning token ID "NAME"`, as the audit trail names it.
    Provisioning(String),
}

impl Actor {
    /// How the audit trail names it.
    pub fn name(&self) -> &str {
        match self {
            Self::Operator => "operator",
            Self::Admin(a) => &a.upn,
            Self::User(upn) => upn,
            Self::Provisioning(token) => token,
        }
    }
}
