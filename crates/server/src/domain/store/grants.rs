//! Grants that outlive one request: refresh-token families, device codes,
//! and which applications each tapin session signed in to (so each hears
//! when it ends).

use super::super::delivery::Outgoing;
use super::super::methods::AuditEvent;
use super::super::oidc::{AccessGrant, AuthCode, DeviceGrant, Login, RefreshFamily, Spent};
use super::StoreResult;
use chrono::{DateTime, Utc};

/// What a presented refresh token is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefreshLookup {
    /// The family's current token.
    Current(RefreshFamily),
    /// A token the family already rotated away from: a copy is in other hands.
    Used(RefreshFamily),
    Unknown,
}

/// What a device's poll found, after it was counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Polled {
    pub grant: DeviceGrant,
    /// It came sooner than the interval allows (which has now grown by 5 s).
    pub too_soon: bool,
    /// This poll took the approval: tokens are issued once, to it.
    pub taken: bool,
}

pub trait Grants: Send + Sync {
    /// In one transaction: spends `code` (kept by its hash) and stores the
    /// access token and refresh family it issues. A code spent before is
    /// marked replayed instead, and every token it issued is revoked.
    /// Two spending it at once: one issues, the other finds it spent.
    fn spend_code(
        &self,
        code: &AuthCode,
        at: DateTime<Utc>,
        access: &AccessGrant,
        family: &RefreshFamily,
    ) -> StoreResult<Spent>;

    fn refresh_token(&self, token_hash: &str) -> StoreResult<RefreshLookup>;

    /// In one statement, moves the family from `old_hash` to `new_hash`
    /// (and a new expiry); then, in the same transaction, keeps `old_hash`
    /// as used and stores `access`. False when `old_hash` was no longer
    /// current: another presentation of it won.
    fn rotate_refresh(
        &self,
        family: &str,
        old_hash: &str,
        new_hash: &str,
        expires_at: DateTime<Utc>,
        access: &AccessGrant,
        at: DateTime<Utc>,
    ) -> StoreResult<bool>;

    /// Ends a family and every access token it issued; the audit event, if
    /// any, in the same transaction. False when it had already ended.
    fn revoke_family(&self, family: &str, audit: Option<&AuditEvent>) -> StoreResult<bool>;

    /// Deletes an access token issued to `client_id`; false when none.
    fn revoke_access_token(&self, token_hash: &str, client_id: &str) -> StoreResult<bool>;

    /// Records that `login.client_id` got tokens from `login.session_id`
    /// (once per pair).
    fn record_login(&self, login: &Login) -> StoreResult<()>;

    /// Logins whose session has ended: gone, expired, or idle since
    /// `idle_before`. Up to `limit`.
    fn ended_logins(
        &self,
        now: DateTime<Utc>,
        idle_before: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<Login>>;

    /// In one transaction, for each pair: forgets the login and, only when
    /// this call removed it, queues its message. Returns how many were queued
    /// (several instances sweeping together queue each logout once).
    fn claim_logins(&self, logouts: &[(Login, Option<Outgoing>)]) -> StoreResult<usize>;

    fn insert_device(&self, grant: &DeviceGrant, audit: &AuditEvent) -> StoreResult<()>;

    /// A device code by its normalized user code.
    fn device_by_user_code(&self, user_code: &str) -> StoreResult<Option<DeviceGrant>>;

    /// Approves (with the person and session) or denies a pending, unexpired
    /// code, in one statement; false when it was no longer pending.
    fn decide_device(
        &self,
        grant: &DeviceGrant,
        at: DateTime<Utc>,
        audit: &AuditEvent,
    ) -> StoreResult<bool>;

    /// Counts a poll of `client_id`'s device code in one statement: the
    /// interval grows when it came too soon, and an approval is taken once.
    fn poll_device(
        &self,
        device_hash: &str,
        client_id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<Polled>>;
}
