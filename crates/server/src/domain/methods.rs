//! Sign-in methods as stored, and the small pieces of cryptography and
//! presentation they need: TOTP (RFC 6238), one-time codes, masking.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use rand::{Rng, RngCore};
use sha2::Sha256;
use tapin_api::wire::{Method, MethodKind};

/// A registered method. `secret` holds what verification needs (the WebAuthn
/// credential's public key and counter, the TOTP seed) and never leaves the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMethod {
    pub id: String,
    pub user_id: i64,
    pub kind: MethodKind,
    pub name: Option<String>,
    /// The full phone number or address; masked whenever shown.
    pub detail: String,
    pub secret: Option<String>,
    /// Hex of the WebAuthn credential id, unique across all users.
    pub credential_id: Option<String>,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub is_default: bool,
    /// What a passkey's or security key's authenticator told at registration.
    pub authenticator: Option<crate::domain::authenticators::facts::KeyFacts>,
}

impl StoredMethod {
    pub fn view(&self) -> Method {
        Method {
            id: self.id.clone(),
            kind: self.kind,
            name: self.name.clone(),
            detail: mask(self.kind, &self.detail),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
            is_default: self.is_default,
            authenticator: None,
        }
    }

    /// What the audit log and notifications call it (never the full detail).
    pub fn label(&self) -> String {
        match &self.name {
            Some(name) => format!("{} \"{name}\"", self.kind.as_str()),
            None => format!("{} {}", self.kind.as_str(), mask(self.kind, &self.detail)),
        }
    }
}

/// A registration or sign-in in progress: a WebAuthn ceremony's state, a
/// TOTP seed awaiting its first code, or a sent code awaiting its echo.
/// Single-use: taking it deletes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pending {
    pub id: String,
    /// `None` for a passkey sign-in, where the user is not known yet.
    pub user_id: Option<i64>,
    pub purpose: String,
    /// JSON the purpose needs (WebAuthn state, target number, seed).
    pub state: String,
    /// SHA-256 of the id and the code sent, for phone and email.
    pub code_hash: Option<String>,
    pub tries_left: u32,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    pub at: DateTime<Utc>,
    /// Whom it is about (the account name typed, for failed sign-ins).
    pub upn: String,
    pub event: String,
    pub detail: String,
    /// Who did it: the user themselves ("self"), an administrator's UPN, or "operator".
    pub actor: String,
    /// The client address the request came from, when there was a request.
    pub client: String,
}

/// Which audit events to read; every field narrows.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub upn: Option<String>,
    pub event: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    /// Only the newest this many (still oldest first): a page of a trail
    /// that may hold millions.
    pub newest: Option<u32>,
}

/// Shows enough to recognise a number or address, not enough to learn it.
pub fn mask(kind: MethodKind, detail: &str) -> String {
    if kind.is_phone() {
        let digits: Vec<char> = detail.chars().collect();
        if digits.len() <= 5 {
            return "•".repeat(digits.len());
        }
        let head: String = digits[..3].iter().collect();
        let tail: String = digits[digits.len() - 2..].iter().collect();
        format!("{head}{}{tail}", "•".repeat(digits.len() - 5))
    } else if kind == MethodKind::Email {
        match detail.split_once('@') {
            Some((local, domain)) => {
                let first: String = local.chars().take(1).collect();
                format!("{first}•••@{domain}")
            }
            None => "•••".into(),
        }
    } else {
        String::new()
    }
}

/// The strongest method of `methods`, oldest first among equals.
pub fn strongest<'a>(methods: impl Iterator<Item = &'a StoredMethod>) -> Option<&'a StoredMethod> {
    methods.min_by_key(|m| (m.kind, m.created_at))
}

/// 128 random bits as 32 lower-case hex digits: method and challenge ids.
/// SHA-256 of a bearer secret (a session or API token): what is stored.
pub fn hash_token(secret: &str) -> String {
    use sha2::Digest;
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// `bytes` from the OS CSPRNG, as hex.
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

pub fn random_id() -> String {
    let mut buf = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// Whether `id` has the shape of one `random_id` made.
pub fn is_issued_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A uniformly drawn six-digit code.
pub fn six_digit_code() -> String {
    format!("{:06}", rand::rngs::OsRng.gen_range(0..1_000_000u32))
}

/// Binds a code to its challenge and keys it with the deployment's secret,
/// so a stolen database cannot be searched for six-digit codes offline.
pub fn code_hash(mac_key: &[u8], pending_id: &str, code: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(mac_key) else {
        return String::new();
    };
    mac.update(pending_id.as_bytes());
    mac.update(b":");
    mac.update(code.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

/// Compares in time independent of where the first difference is.
pub fn equal_time(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

// ---- TOTP ------------------------------------------------------------------

pub const TOTP_PERIOD_SECONDS: i64 = 30;
const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// A fresh 160-bit TOTP seed, as authenticator apps expect it.
pub fn totp_seed() -> Vec<u8> {
    let mut seed = vec![0u8; 20];
    rand::rngs::OsRng.fill_bytes(&mut seed);
    seed
}

/// RFC 4648 base32 without padding.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::new();
    for chunk in bytes.chunks(5) {
        let mut buf = [0u8; 5];
        buf[..chunk.len()].copy_from_slice(chunk);
        let n = u64::from_be_bytes([0, 0, 0, buf[0], buf[1], buf[2], buf[3], buf[4]]);
        let symbols = (chunk.len() * 8).div_ceil(5);
        for i in 0..symbols {
            out.push(BASE32[((n >> (35 - 5 * i)) & 31) as usize] as char);
        }
    }
    out
}

pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.bytes().filter(|c| *c != b'=') {
        let v = BASE32.iter().position(|b| *b == c.to_ascii_uppercase())? as u64;
        bits = (bits << 5) | v;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// The six-digit HOTP value of `seed` at time step `step` (RFC 4226, SHA-1).
pub fn hotp(seed: &[u8], step: u64) -> String {
    // HMAC takes keys of any length; should that ever fail, no code matches.
    let Ok(mut mac) = Hmac::<sha1::Sha1>::new_from_slice(seed) else {
        return String::new();
    };
    mac.update(&step.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[19] & 0x0f) as usize;
    let value = u32::from_be_bytes([
        digest[offset] & 0x7f,
        digest[offset + 1],
        digest[offset + 2],
        digest[offset + 3],
    ]);
    format!("{:06}", value % 1_000_000)
}

/// Whether `code` is the TOTP value at `now`, one step either side allowed for clock drift.
pub fn totp_matches(seed: &[u8], code: &str, now: DateTime<Utc>) -> bool {
    let step = now.timestamp().div_euclid(TOTP_PERIOD_SECONDS);
    (step - 1..=step + 1)
        .filter(|s| *s >= 0)
        .fold(false, |found, s| {
            equal_time(&hotp(seed, s as u64), code) | found
        })
}

/// The time step `code` is the TOTP value of, one step either side of
/// `now` allowed for drift; every step is compared, in constant time.
pub fn totp_step(seed: &[u8], code: &str, now: DateTime<Utc>) -> Option<i64> {
    let step = now.timestamp().div_euclid(TOTP_PERIOD_SECONDS);
    (step - 1..=step + 1)
        .filter(|s| *s >= 0)
        .fold(None, |found, s| {
            if equal_time(&hotp(seed, s as u64), code) {
                Some(s)
            } else {
                found
            }
        })
}

pub fn otpauth_uri(issuer: &str, account: &str, seed_base32: &str) -> String {
    let enc = |s: &str| -> String {
        s.bytes()
            .map(|b| match b {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => {
                    (b as char).to_string()
                }
                _ => format!("%{b:02X}"),
            })
            .collect()
    };
    format!(
        "otpauth://totp/{}:{}?secret={seed_base32}&issuer={}&algorithm=SHA1&digits=6&period={TOTP_PERIOD_SECONDS}",
        enc(issuer),
        enc(account),
        enc(issuer)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hotp_matches_rfc_4226_test_vectors() {
        let seed = b"12345678901234567890";
        let expected = ["755224", "287082", "359152", "969429", "338314"];
        for (i, code) in expected.iter().enumerate() {
            assert_eq!(hotp(seed, i as u64), *code);
        }
    }

    #[test]
    fn totp_matches_rfc_6238_at_59_seconds_with_one_step_of_drift() {
        let seed = b"12345678901234567890";
        let at = |s| DateTime::from_timestamp(s, 0).unwrap();
        // RFC 6238 gives 94287082 (eight digits) at T=59; six digits are its last six.
        assert!(totp_matches(seed, "287082", at(59)));
        assert!(totp_matches(seed, "287082", at(89)));
        assert!(!totp_matches(seed, "287082", at(120)));
    }

    #[test]
    fn base32_round_trips_and_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32_decode("MZXW6YTBOI").unwrap(), b"foobar");
        let seed = totp_seed();
        assert_eq!(base32_decode(&base32(&seed)).unwrap(), seed);
    }

    #[test]
    fn masks_keep_only_a_hint() {
        assert_eq!(mask(MethodKind::Phone, "+4915112345678"), "+49•••••••••78");
        assert_eq!(
            mask(MethodKind::Email, "dana@example.com"),
            "d•••@example.com"
        );
        assert_eq!(mask(MethodKind::Passkey, "x"), "");
    }
}
