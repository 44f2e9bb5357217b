//! The directory's capability: people and groups as SCIM provisions them,
//! and the provisioning clients' tokens.

use super::{
    GroupRecord, NewGroup, NewPerson, PersonRecord, ProvisioningToken, Saved, StoreResult,
};
use crate::domain::delivery::Outgoing;
use crate::domain::{AuditEvent, StoredPass, User};
use chrono::{DateTime, Utc};

/// People and groups as the organisation's directory provisions them
/// (SCIM), and the provisioning clients' tokens. Every change is one
/// transaction with its audit event; a change made for a version (`If-Match`)
/// is made only while the resource is still at it, in the same statement.
pub trait Directory: Send + Sync {
    fn insert_provisioning_token(
        &self,
        token: &ProvisioningToken,
        audit: &AuditEvent,
    ) -> StoreResult<()>;

    fn provisioning_token_by_hash(
        &self,
        token_hash: &str,
    ) -> StoreResult<Option<ProvisioningToken>>;

    /// Every provisioning token, newest first.
    fn provisioning_tokens(&self) -> StoreResult<Vec<ProvisioningToken>>;

    /// Marks it revoked (once); false when there is none to revoke.
    fn revoke_provisioning_token(
        &self,
        id: &str,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// The person and their directory record, read in one statement (one
    /// snapshot: the version is the version of what is read).
    fn person(&self, user_id: i64) -> StoreResult<Option<(User, PersonRecord)>>;

    /// Everyone with their directory record, by account name.
    fn people(&self) -> StoreResult<Vec<(User, PersonRecord)>>;

    fn users_by_external_id(&self, external_id: &str) -> StoreResult<Vec<User>>;

    /// A new member from the directory; `Conflict` when the name is taken.
    fn create_person(
        &self,
        person: &NewPerson,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<User>;

    /// The person as the directory now has them (renamed, disabled, ...),
    /// if still at `expected`. Disabling ends what `Users::set_enabled` ends.
    fn save_person(
        &self,
        user_id: i64,
        person: &NewPerson,
        expected: Option<i64>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved>;

    /// A joiner's first-day pass and the message that carries it to their
    /// manager, with its audit event, in one transaction, once ever: false,
    /// with nothing written, when one was issued before, the person is
    /// disabled or gone, or already holds a pass (the help desk's).
    fn issue_joiner_pass(
        &self,
        pass: &StoredPass,
        message: &Outgoing,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Removes the person (as `Users::remove_user`) if still at `expected`.
    fn remove_person(
        &self,
        user_id: i64,
        expected: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved>;

    /// Every group, by name.
    fn groups(&self) -> StoreResult<Vec<GroupRecord>>;

    fn group(&self, object_id: &str) -> StoreResult<Option<GroupRecord>>;

    /// `Conflict` when the name is taken.
    fn create_group(
        &self,
        group: &NewGroup,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<GroupRecord>;

    /// The group's name, external id and whole membership, if still at
    /// `expected`.
    fn save_group(
        &self,
        id: i64,
        group: &NewGroup,
        expected: Option<i64>,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved>;

    fn remove_group(
        &self,
        id: i64,
        expected: Option<i64>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved>;

    /// The administrator roles the group's members hold while in it.
    fn set_group_roles(
        &self,
        id: i64,
        roles: &[crate::domain::AdminRole],
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<Saved>;
}
