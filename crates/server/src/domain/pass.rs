//! The Temporary Access Pass itself: generation from a CSPRNG, Argon2id
//! storage, and the Graph-style view of its state.

use super::{policy::Policy, store::StoredPass, Error, Result};
use argon2::password_hash::{self, rand_core::OsRng, PasswordHash, PasswordHasher, SaltString};
use argon2::Argon2;
use chrono::{DateTime, Duration, FixedOffset, SecondsFormat, Utc};
use rand::Rng;
use serde::Serialize;
use std::sync::OnceLock;
use tapin_api::PASS_ALPHABET;

/// Draws `length` symbols uniformly from the 32-symbol alphabet with the OS CSPRNG.
pub fn generate_code(length: u32) -> String {
    let mut rng = rand::rngs::OsRng;
    (0..length)
        .map(|_| PASS_ALPHABET[rng.gen_range(0..PASS_ALPHABET.len())] as char)
        .collect()
}

/// Argon2id with a fresh random salt, as a PHC string.
pub fn hash_code(code: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(code.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Storage(format!("hashing failed: {e}")))
}

/// Whether `code` is the pass hashed in `phc` (constant time in the code).
///
/// The 19 MiB Argon2id works in is allocated once per thread and reused:
/// allocating it per check left glibc holding several such blocks per
/// thread (measured: 57 MiB per hashing thread, 204 MiB for the server under
/// a flood, against 38 MiB of blocks actually in use).
pub fn code_matches(code: &str, phc: &str) -> bool {
    use argon2::{Algorithm, Block, Params, Version};
    use std::cell::RefCell;
    thread_local! {
        static MEMORY: RefCell<Vec<Block>> = const { RefCell::new(Vec::new()) };
    }
    let Ok(hash) = PasswordHash::new(phc) else {
        return false;
    };
    let (Some(expected), Some(salt)) = (hash.hash, hash.salt) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) =
        (Algorithm::try_from(hash.algorithm), Params::try_from(&hash))
    else {
        return false;
    };
    let version = hash
        .version
        .map_or(Ok(Version::default()), Version::try_from)
        .unwrap_or_default();
    let mut salt_buf = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_buf) else {
        return false;
    };
    let argon2 = Argon2::new(algorithm, version, params.clone());
    let mut out = vec![0u8; expected.len()];
    let computed = MEMORY.with(|memory| {
        let mut memory = memory.borrow_mut();
        if memory.len() != params.block_count() {
            memory.clear();
            memory.resize(params.block_count(), Block::default());
        }
        argon2.hash_password_into_with_memory(
            code.as_bytes(),
            salt,
            &mut out,
            memory.as_mut_slice(),
        )
    });
    // `Output`'s equality is constant time.
    computed.is_ok() && password_hash::Output::new(&out).is_ok_and(|o| o == expected)
}

/// Where a pass check (Argon2id, 19 MiB and tens of milliseconds) runs. The
/// server runs it on a bounded pool; tests and the command line run it here.
pub trait PassCheck {
    /// Whether `code` is the pass hashed in `phc`; an error only when the
    /// check could not run at all.
    fn matches(&self, code: &str, phc: &str) -> Result<bool>;
}

/// Checks on the calling thread.
pub struct CheckHere;

impl PassCheck for CheckHere {
    fn matches(&self, code: &str, phc: &str) -> Result<bool> {
        Ok(code_matches(code, phc))
    }
}

/// A hash of nothing anyone knows, to check against when there is no pass,
/// so the response time does not tell whether the account has one.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_code(&generate_code(16)).unwrap_or_default())
}

/// Graph's `methodUsabilityReason`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Usability {
    EnabledByPolicy,
    DisabledByPolicy,
    Expired,
    NotYetValid,
    OneTimeUsed,
}

impl StoredPass {
    pub fn expires_at(&self) -> DateTime<Utc> {
        self.start_at + Duration::minutes(i64::from(self.lifetime_minutes))
    }

    /// Policy first (as Entra), then the pass's own validity.
    pub fn usability(&self, policy: &Policy, in_scope: bool, now: DateTime<Utc>) -> Usability {
        if !policy.enabled || !in_scope || (policy.one_time && !self.usable_once) {
            Usability::DisabledByPolicy
        } else if self.used_at.is_some() {
            Usability::OneTimeUsed
        } else if now < self.start_at {
            Usability::NotYetValid
        } else if now >= self.expires_at() {
            Usability::Expired
        } else {
            Usability::EnabledByPolicy
        }
    }

    pub fn view(&self, policy: &Policy, in_scope: bool, now: DateTime<Utc>) -> PassView {
        let reason = self.usability(policy, in_scope, now);
        let offset = FixedOffset::east_opt(self.start_offset_seconds)
            .unwrap_or(FixedOffset::east_opt(0).expect("zero offset"));
        PassView {
            created_at: self.created_at,
            start_at: self.start_at,
            id: self.id.clone(),
            created_date_time: self.created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            start_date_time: self.start_at.to_rfc3339_opts(SecondsFormat::Secs, true),
            start_date_time_issuer: self
                .start_at
                .with_timezone(&offset)
                .to_rfc3339_opts(SecondsFormat::Secs, true),
            lifetime_in_minutes: self.lifetime_minutes,
            is_usable_once: self.usable_once,
            is_usable: reason == Usability::EnabledByPolicy,
            method_usability_reason: reason,
        }
    }
}

/// A pass as Microsoft Graph's temporaryAccessPassMethod shows it, without the code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PassView {
    #[serde(skip)]
    pub created_at: DateTime<Utc>,
    #[serde(skip)]
    pub start_at: DateTime<Utc>,
    pub id: String,
    pub created_date_time: String,
    pub start_date_time: String,
    /// The start in the time zone of whoever issued the pass.
    pub start_date_time_issuer: String,
    pub lifetime_in_minutes: u32,
    pub is_usable_once: bool,
    pub is_usable: bool,
    pub method_usability_reason: Usability,
}

/// What `issue` returns: the only time the code is ever seen.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct IssuedPass {
    pub temporary_access_pass: String,
    #[serde(flatten)]
    pub pass: PassView,
}

#[derive(Debug, Clone, Default)]
pub struct IssueOptions {
    pub lifetime_minutes: Option<u32>,
    pub one_time: bool,
    /// Delayed start, in the issuer's time zone; `None` starts now.
    pub start: Option<DateTime<FixedOffset>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Graph's order: the policy first, then the pass's own validity; each
    /// condition alone decides.
    #[test]
    fn usability_names_the_first_reason_a_pass_cannot_be_used() {
        use chrono::TimeZone;
        let start = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
        let pass = |usable_once, used: bool| StoredPass {
            id: "p".into(),
            user_id: 1,
            code_hash: String::new(),
            created_at: start,
            start_at: start,
            start_offset_seconds: 0,
            lifetime_minutes: 60,
            usable_once,
            used_at: used.then_some(start),
            created_by: "operator".into(),
        };
        let policy = |enabled, one_time| Policy {
            enabled,
            one_time,
            ..Policy::default()
        };
        let during = start + Duration::minutes(30);
        use Usability::*;
        let cases = [
            // (enabled, in scope, policy one-time, pass one-time, used, at, expected)
            (true, true, false, false, false, during, EnabledByPolicy),
            (true, true, true, true, false, during, EnabledByPolicy),
            (false, true, false, false, false, during, DisabledByPolicy),
            (true, false, false, false, false, during, DisabledByPolicy),
            (true, true, true, false, false, during, DisabledByPolicy),
            (true, true, false, true, true, during, OneTimeUsed),
            (
                true,
                true,
                false,
                false,
                false,
                start - Duration::seconds(1),
                NotYetValid,
            ),
            (true, true, false, false, false, start, EnabledByPolicy),
            (
                true,
                true,
                false,
                false,
                false,
                start + Duration::minutes(60),
                Expired,
            ),
            (
                true,
                true,
                false,
                false,
                false,
                start + Duration::minutes(60) - Duration::seconds(1),
                EnabledByPolicy,
            ),
        ];
        for (enabled, in_scope, policy_once, once, used, at, expected) in cases {
            assert_eq!(
                pass(once, used).usability(&policy(enabled, policy_once), in_scope, at),
                expected,
                "enabled {enabled}, in scope {in_scope}, policy one-time {policy_once}, pass one-time {once}, used {used}, at {at}"
            );
        }
    }

    #[test]
    fn generated_codes_use_only_the_alphabet_and_differ() {
        let a = generate_code(8);
        let b = generate_code(8);
        assert_eq!(a.len(), 8);
        assert!(a.bytes().all(|c| PASS_ALPHABET.contains(&c)));
        assert_ne!(a, b, "two 40-bit codes collided");
        assert_eq!(generate_code(48).len(), 48);
    }

    #[test]
    fn stored_hash_is_argon2id_and_verifies_only_the_code() {
        let phc = hash_code("ABCDEFGH").unwrap();
        assert!(phc.starts_with("$argon2id$"));
        assert!(!phc.contains("ABCDEFGH"));
        assert!(code_matches("ABCDEFGH", &phc));
        assert!(!code_matches("ABCDEFGJ", &phc));
        assert!(!code_matches("ABCDEFGH", "not a hash"));
    }

    #[test]
    fn symbols_are_close_to_uniform() {
        let mut counts = [0u32; 32];
        for c in generate_code(32_000).bytes() {
            counts[PASS_ALPHABET.iter().position(|&a| a == c).unwrap()] += 1;
        }
        // Expected 1000 each; a biased generator would leave some far off.
        assert!(
            counts.iter().all(|&n| (800..1200).contains(&n)),
            "{counts:?}"
        );
    }
}
