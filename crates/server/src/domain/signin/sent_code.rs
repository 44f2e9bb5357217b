//! Signing in with a code sent by text, call or email (off unless the
//! operator turns it on: such codes can be phished and intercepted). The
//! send limits count every send, to an account that exists or not, and an
//! unknown account gets a code id and a masked address of the same shape
//! that no code will ever match.

use crate::domain::delivery::{Channel, Message, Outgoing};
use crate::domain::methods::{code_hash, equal_time, mask, random_id, six_digit_code};
use crate::domain::oidc::SignInMethod;
use crate::domain::selfservice::{wrong_code, CODE_TRIES, CODE_TTL_MINUTES};
use crate::domain::service::SignedIn;
use crate::domain::store::SendKeys;
use crate::domain::{Actor, Error, Pending, Result, Tapin};
use chrono::Duration;
use tapin_api::wire::{CodeSent, MethodKind, SignInChoice};
use tapin_api::{normalize_code, normalize_upn};

const PURPOSE: &str = "signin:sent";

fn method_of(way: SignInChoice) -> Result<(SignInMethod, Channel)> {
    match way {
        SignInChoice::Text => Ok((SignInMethod::Text, Channel::Text)),
        SignInChoice::Call => Ok((SignInMethod::Call, Channel::Call)),
        SignInChoice::Email => Ok((SignInMethod::Email, Channel::Email)),
        _ => Err(Error::Invalid(
            "way must be text, call or email".into(),
            Some("way"),
        )),
    }
}

/// Which registered method a way sends to: texts go to mobile phones only.
fn reaches(way: SignInChoice, kind: MethodKind) -> bool {
    match way {
        SignInChoice::Text => matches!(kind, MethodKind::Phone | MethodKind::AlternatePhone),
        SignInChoice::Call => kind.is_phone(),
        SignInChoice::Email => kind == MethodKind::Email,
        _ => false,
    }
}

impl Tapin {
    fn sign_in_codes_on(&self) -> Result<()> {
        if self.settings().sign_in_codes {
            Ok(())
        } else {
            Err(Error::Forbidden(
                "Codes by text, call or email do not sign in here; use a passkey, an authenticator app or a Temporary Access Pass.".into(),
            ))
        }
    }

    /// The ways by text, call or email that `methods` allow.
    pub(super) fn sent_code_ways(&self, kinds: &[MethodKind]) -> Vec<SignInChoice> {
        if !self.settings().sign_in_codes {
            return Vec::new();
        }
        [SignInChoice::Text, SignInChoice::Call, SignInChoice::Email]
            .into_iter()
            .filter(|w| kinds.iter().any(|k| reaches(*w, *k)))
            .collect()
    }

    /// Sends a sign-in code to the account's phone or email.
    pub fn send_sign_in_code(
        &self,
        upn: &str,
        way: SignInChoice,
        client: &str,
    ) -> Result<CodeSent> {
        self.sign_in_codes_on()?;
        let upn = normalize_upn(upn)?;
        let (_, channel) = method_of(way)?;
        let user = self.account(&upn)?;
        let target = match &user {
            Some(u) => self
                .store
                .methods_of(u.id)?
                .into_iter()
                .find(|m| reaches(way, m.kind)),
            None => None,
        };
        // A destination for the limits either way: the real one, or a
        // keyed stand-in for this name, so the limits answer alike.
        let decoy = hex::encode(self.decoy_part(&upn, "send destination"));
        let (destination, shown) = match &target {
            Some(m) => (m.detail.clone(), mask(m.kind, &m.detail)),
            None => {
                // Nothing of what was typed: a real mask shows the
                // registered address, which the typed name does not tell.
                let shown_from = hex::encode(self.decoy_part(&upn, "send mask"));
                let shown = match way {
                    SignInChoice::Email => mask(MethodKind::Email, &decoy_address(&shown_from)),
                    _ => mask(MethodKind::Phone, &decoy_phone(&shown_from)),
                };
                (format!("decoy:{decoy}"), shown)
            }
        };
        let keys = SendKeys {
            // An unknown name has a bucket of its own, as a real account has.
            user_id: user
                .as_ref()
                .map_or_else(|| decoy_user_id(&decoy), |u| u.id),
            destination: destination.clone(),
            client: client.to_string(),
        };
        if let Err((newest_counted, window)) =
            self.store
                .reserve_send(&keys, self.now(), &self.settings().send_limits)?
        {
            return Err(Error::TooManySends(newest_counted + window));
        }
        let id = random_id();
        let code = six_digit_code();
        let expires_at = self.now() + Duration::minutes(CODE_TTL_MINUTES);
        let owner = target.as_ref().and(user.as_ref());
        let message = owner.map(|_| Outgoing {
            at: self.now(),
            message: Message {
                channel,
                to: destination.clone(),
                subject: "Your tapin sign-in code".into(),
                body: format!(
                    "Your tapin sign-in code is {code}. It is valid for {CODE_TTL_MINUTES} minutes. If you did not ask for it, someone knows your account name: tell your administrator."
                ),
            },
            give_up_at: expires_at,
            sealed_for: None,
        });
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: owner.map(|u| u.id),
                purpose: PURPOSE.into(),
                // The way, and the method it reaches (removing it ends the session).
                state: match &target {
                    Some(m) => format!("{} {}", way_name(way), m.id),
                    None => way_name(way).into(),
                },
                code_hash: Some(code_hash(&self.keys.code_mac_key(), &id, &code)),
                tries_left: CODE_TRIES,
                expires_at,
            },
            message.as_ref(),
        )?;
        self.wake.nudge();
        Ok(CodeSent {
            id,
            sent_to: shown,
            expires_at,
        })
    }

    /// Signs in with the code sent; smart lockout counts every try.
    pub fn sign_in_with_sent_code(
        &self,
        upn: &str,
        id: &str,
        code: &str,
        client: &str,
    ) -> Result<SignedIn> {
        self.sign_in_codes_on()?;
        let upn = normalize_upn(upn)?;
        let code = normalize_code(code)?;
        let (attempt, keys) = self.reserve_sign_in(&upn, client)?;
        let nth = self.count_code_try(&upn)?;
        let pending = match self.store.pending(id)? {
            Some(p) if p.purpose == PURPOSE && p.expires_at > self.now() => p,
            _ => {
                let known = self.account(&upn)?;
                self.code_try_failed(&upn, nth, known.as_ref())?;
                return Err(Error::CodeExpired);
            }
        };
        let left = self
            .store
            .spend_try(&pending.id)?
            .ok_or(Error::CodeExpired)?;
        let expected = pending.code_hash.clone().unwrap_or_default();
        let matched = self
            .keys
            .code_mac_keys()
            .iter()
            .any(|key| equal_time(&code_hash(key, &pending.id, &code), &expected));
        let user = match pending.user_id {
            Some(uid) => self.account_by_id(uid)?.filter(|u| u.upn == upn),
            None => None,
        };
        let Some(user) = user.filter(|_| matched) else {
            let event = self.event(
                &Actor::User(upn.clone()),
                &upn,
                "sign_in_failed",
                "sent_code",
                client,
            );
            self.store.record_audit(&event)?;
            let known = self.account(&upn)?;
            self.code_try_failed(&upn, nth, known.as_ref())?;
            return Err(wrong_code(left));
        };
        if self.store.take_pending(&pending.id)?.is_none() {
            return Err(Error::CodeExpired);
        }
        self.store.attempt_succeeded(attempt, Some(&keys))?;
        self.store.forget_code_failures(&upn)?;
        let (way, method_id) = pending
            .state
            .split_once(' ')
            .map_or((pending.state.as_str(), None), |(w, id)| (w, Some(id)));
        let how = match way {
            "call" => SignInMethod::Call,
            "email" => SignInMethod::Email,
            _ => SignInMethod::Text,
        };
        self.open_method_session(&user, how, method_id, &format!("code by {way}"))
    }
}

/// Where a stand-in for an unknown account's email seems to go: a letter
/// and a common provider, both drawn from the keyed digest `decoy` (hex).
fn decoy_address(decoy: &str) -> String {
    const PROVIDERS: [&str; 6] = [
        "outlook.com",
        "gmail.com",
        "icloud.com",
        "yahoo.com",
        "proton.me",
        "gmx.de",
    ];
    let b = hex::decode(decoy).unwrap_or_default();
    let at = |i: usize| b.get(i).copied().unwrap_or(0);
    let letter = char::from(b'a' + at(2) % 26);
    format!(
        "{letter}@{}",
        PROVIDERS[usize::from(at(3)) % PROVIDERS.len()]
    )
}

/// Where a stand-in for an unknown account's phone seems to be: a country
/// code and a number of its usual length, drawn from `decoy` (hex).
fn decoy_phone(decoy: &str) -> String {
    const COUNTRIES: [(&str, usize); 6] = [
        ("+1", 10),
        ("+44", 10),
        ("+49", 11),
        ("+33", 9),
        ("+61", 9),
        ("+81", 10),
    ];
    let b = hex::decode(decoy).unwrap_or_default();
    let (code, len) = COUNTRIES[usize::from(b.first().copied().unwrap_or(0)) % COUNTRIES.len()];
    let digits: String = b
        .iter()
        .skip(1)
        .take(len)
        .map(|d| char::from(b'0' + d % 10))
        .collect();
    format!("{code}{digits}")
}

/// A send-limit bucket for an unknown name: negative, so it is no user's,
/// and stable for the name, so each made-up name counts on its own.
fn decoy_user_id(decoy: &str) -> i64 {
    let b = hex::decode(decoy).unwrap_or_default();
    let mut id = [0u8; 8];
    for (d, s) in id.iter_mut().zip(b.iter().skip(4)) {
        *d = *s;
    }
    -(i64::from_be_bytes(id) & i64::MAX) - 1
}

fn way_name(way: SignInChoice) -> &'static str {
    match way {
        SignInChoice::Call => "call",
        SignInChoice::Email => "email",
        _ => "text",
    }
}
