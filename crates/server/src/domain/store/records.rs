//! What the store keeps and answers: the records and outcomes its
//! capabilities take and return.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredPass {
    pub id: String,
    pub user_id: i64,
    /// Argon2id PHC string; the code itself is never stored.
    pub code_hash: String,
    pub created_at: DateTime<Utc>,
    pub start_at: DateTime<Utc>,
    pub start_offset_seconds: i32,
    pub lifetime_minutes: u32,
    pub usable_once: bool,
    pub used_at: Option<DateTime<Utc>>,
    pub created_by: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRecord {
    /// A public handle for administrators; says nothing about the token.
    pub id: String,
    /// SHA-256 of the session token; the token lives only in the cookie.
    pub token_hash: String,
    pub user_id: i64,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub passwordless_deadline: Option<DateTime<Utc>>,
    /// The pass that opened it: revoking or replacing that pass ends it.
    pub pass_id: Option<String>,
    /// The last request seen, for the idle timeout.
    pub last_seen_at: DateTime<Utc>,
    /// How the person proved who they are: the `amr` and `acr` of the
    /// ID tokens this session backs, and its strength.
    pub method: SignInMethod,
    /// The registered method that opened it: removing that method ends it.
    pub method_id: Option<String>,
}

/// Who is guessing at what: the three counters of smart lockout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptKeys {
    /// The normalised account name (unknown accounts count too).
    pub account: String,
    /// The client address (IPv6 as its /64).
    pub client: String,
}

/// Limits within one window, each counter with its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttemptLimits {
    pub per_pair: u32,
    pub per_account: u32,
    pub per_client: u32,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockScope {
    /// This account from this client.
    Pair,
    /// This account from anywhere.
    Account,
    /// Any account from this client.
    Client,
}

impl LockScope {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pair => "account and client",
            Self::Account => "account",
            Self::Client => "client",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reservation {
    /// The attempt is counted (as a failure until it proves otherwise);
    /// `reaches` names the counter this attempt fills, should it fail.
    Reserved { id: i64, reaches: Option<LockScope> },
    /// A counter is at its limit; `newest_counted` is the limit-th newest
    /// attempt in the window, whose ageing out unlocks it.
    Locked {
        scope: LockScope,
        newest_counted: DateTime<Utc>,
    },
}

/// What one account's counters hold within the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockoutCounts {
    pub account: u32,
    /// Per client, most failures first.
    pub clients: Vec<(String, u32)>,
}

/// A code send about to happen: who asked, where it goes, from which client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendKeys {
    pub user_id: i64,
    pub destination: String,
    pub client: String,
}

/// Each limit counts sends within its own window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SendLimits {
    pub per_destination: (u32, chrono::Duration),
    pub per_user: (u32, chrono::Duration),
    pub per_client: (u32, chrono::Duration),
}

/// Rows removed by one purge.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub pending: usize,
    pub attempts: usize,
    pub sends: usize,
    pub outbox: usize,
    /// Expired access tokens, and codes an hour past their expiry (kept
    /// that long so a late replay still finds and revokes what they issued).
    pub grants: usize,
}

/// An API token as stored: its hash, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiToken {
    pub id: String,
    pub user_id: i64,
    pub name: String,
    /// SHA-256 of the token.
    pub token_hash: String,
    pub read_only: bool,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Who to find: an account-name prefix, a display-name prefix (or the start
/// of any word of the name), either matching; both `None` lists everyone.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserSearch {
    pub upn_prefix: Option<String>,
    pub name_prefix: Option<String>,
    /// Also match the start of a later word of the name ("love" finds "Ada Lovelace").
    pub name_words: bool,
    pub top: u32,
}

/// What a change writes besides itself, in its own transaction: its audit
/// event and the notices it sends (to the outbox, for the courier). Either
/// all of it commits or none of it does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub audit: AuditEvent,
    pub notices: Vec<Outgoing>,
}

impl From<AuditEvent> for Change {
    fn from(audit: AuditEvent) -> Self {
        Self {
            audit,
            notices: Vec::new(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddOutcome {
    Added,
    LimitReached,
    /// The challenge was already used or has gone.
    PendingGone,
    /// The credential is already registered.
    Duplicate,
}

/// What the directory keeps of a person beyond tapin's own columns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonRecord {
    pub external_id: Option<String>,
    /// Their other SCIM attributes, as JSON.
    pub profile: String,
    /// Counts every change: SCIM's `meta.version`.
    pub version: i64,
    /// When their first-day pass was issued (once ever).
    pub joiner_pass_at: Option<DateTime<Utc>>,
}

/// A person as the directory writes them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPerson {
    pub upn: String,
    pub display_name: String,
    pub enabled: bool,
    pub external_id: Option<String>,
    pub time_zone: Option<String>,
    pub profile: String,
}

/// A group of the directory, with its members' ids and account names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupRecord {
    pub id: i64,
    pub object_id: String,
    pub display_name: String,
    pub external_id: Option<String>,
    /// `(object_id, upn)` of each member, by account name.
    pub members: Vec<(String, String)>,
    pub created_at: DateTime<Utc>,
    pub modified_at: DateTime<Utc>,
    pub version: i64,
    /// What its members may do as administrators while they are in it.
    pub admin_roles: Vec<crate::domain::AdminRole>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewGroup {
    pub display_name: String,
    pub external_id: Option<String>,
    /// The members' object ids; one naming nobody is left out.
    pub members: Vec<String>,
}

/// A provisioning client's token: opens `/scim/v2` and nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisioningToken {
    pub id: String,
    pub name: String,
    pub token_hash: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// How a conditional change went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Saved {
    Done,
    /// The resource is no longer at the version the change was made for.
    Stale,
    Gone,
}
