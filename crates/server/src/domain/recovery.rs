//! Recovery codes (off unless the operator turns them on): ten single-use
//! codes shown once, stored as keyed hashes, made again on demand. Using one
//! signs in like a pass, is audited, tells the person on every channel, and
//! sends them to security info to set up what they lost.

use super::methods::code_hash;
use super::oidc::SignInMethod;
use super::service::SignedIn;
use super::store::Change;
use super::{Actor, Error, Result, Tapin, User};
use rand::Rng;
use tapin_api::normalize_upn;

/// How many codes a set holds.
pub const RECOVERY_CODES: usize = 10;
/// Letters and digits that cannot be mistaken for one another (no 0/O, 1/I/L).
const ALPHABET: &[u8] = b"ABCDEFGHJKMNPQRSTUVWXYZ23456789";
/// Ten characters of 31: 49 bits each, behind smart lockout and a keyed hash.
const CODE_LEN: usize = 10;

fn new_code() -> String {
    let mut rng = rand::rngs::OsRng;
    let raw: String = (0..CODE_LEN)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("{}-{}", &raw[..5], &raw[5..])
}

/// Upper case, without spaces and dashes; `None` when it cannot be a code.
fn normalize(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (c.len() == CODE_LEN && c.bytes().all(|b| ALPHABET.contains(&b))).then_some(c)
}

impl Tapin {
    fn recovery_hash(&self, user: &User, code: &str) -> String {
        code_hash(
            &self.keys.code_mac_key(),
            &format!("recovery:{}", user.id),
            code,
        )
    }

    fn recovery_on(&self) -> Result<()> {
        if self.settings().recovery_codes {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "Recovery codes are not offered here; ask your help desk for a Temporary Access Pass.".into(),
            ))
        }
    }

    /// A new set of codes (the old ones stop), shown only in this answer.
    /// Needs a session as strong as a passkey or a pass.
    pub fn make_recovery_codes(&self, who: &super::caller::Person) -> Result<Vec<String>> {
        self.recovery_on()?;
        let (user, _) = self.signed_in(who, super::strength::Action::ChangeMethods)?;
        let codes: Vec<String> = (0..RECOVERY_CODES).map(|_| new_code()).collect();
        let hashes: Vec<String> = codes
            .iter()
            .map(|c| self.recovery_hash(user, &normalize(c).unwrap_or_default()))
            .collect();
        let methods = self.store.methods_of(user.id)?;
        let change = Change {
            audit: self.event(&Actor::User(user.upn.clone()), &user.upn, "recovery_codes_made", "", ""),
            notices: self.notices(
                &methods,
                user,
                None,
                "New recovery codes were made",
                "New recovery codes were made for your account; the old ones no longer work. If that was not you, tell your administrator now.",
            ),
        };
        self.store
            .replace_recovery_codes(user.id, &hashes, self.now(), &change)?;
        Ok(codes)
    }

    /// Signs in with a recovery code, counted by smart lockout like a pass.
    pub fn sign_in_with_recovery_code(
        &self,
        upn: &str,
        code: &str,
        client: &str,
    ) -> Result<SignedIn> {
        self.recovery_on()?;
        let upn = normalize_upn(upn)?;
        let Some(code) = normalize(code) else {
            return Err(Error::Invalid(
                "a recovery code is ten letters and digits, like K7XPQ-2MZAB".into(),
                Some("code"),
            ));
        };
        let now = self.now();
        let (attempt, keys) = self.reserve_sign_in(&upn, client)?;
        let user = self.account(&upn)?;
        // Made under whichever key was newest then: try each the ring holds.
        let mut spent = false;
        if let Some(u) = &user {
            for key in self.keys.code_mac_keys() {
                let hash = code_hash(&key, &format!("recovery:{}", u.id), &code);
                if self.store.use_recovery_code(u.id, &hash, now)? {
                    spent = true;
                    break;
                }
            }
        }
        let Some(user) = user.filter(|_| spent) else {
            let event = self.event(
                &Actor::User(upn.clone()),
                &upn,
                "sign_in_failed",
                "recovery_code",
                client,
            );
            self.store.record_audit(&event)?;
            return Err(Error::SignInCodeInvalid);
        };
        self.store.attempt_succeeded(attempt, Some(&keys))?;
        let left = self.store.recovery_codes_left(user.id)?;
        let methods = self.store.methods_of(user.id)?;
        let change = Change {
            audit: self.event(
                &Actor::User(user.upn.clone()),
                &user.upn,
                "recovery_code_used",
                &format!("{left} left"),
                client,
            ),
            notices: self.notices(
                &methods,
                &user,
                None,
                "A recovery code was used",
                "Someone signed in to your account with a recovery code. If that was not you, tell your administrator now.",
            ),
        };
        self.store.record_audit(&change.audit)?;
        for n in &change.notices {
            self.store.enqueue(n)?;
        }
        self.open_method_session(&user, SignInMethod::RecoveryCode, None, "recovery code")
    }

    /// Whether `user` has recovery codes to offer at sign-in.
    pub(super) fn offers_recovery(&self, user: &User) -> Result<bool> {
        Ok(self.settings().recovery_codes && self.store.recovery_codes_left(user.id)? > 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_grouped_and_read_back_however_they_are_typed() {
        let code = new_code();
        assert_eq!(code.len(), 11);
        let plain = normalize(&code).unwrap();
        assert_eq!(
            normalize(&code.to_lowercase().replace('-', " ")).as_deref(),
            Some(plain.as_str())
        );
        assert_eq!(normalize("K7XPQ-2MZA"), None);
        assert_eq!(normalize("K7XPQ-2MZA0"), None, "0 is never in a code");
    }
}
