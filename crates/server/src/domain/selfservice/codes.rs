//! Registering a phone or an email address: a code sent, and verified.

use super::*;
use crate::domain::caller::Person;
use crate::domain::delivery::{Channel, Message, Outgoing};
use crate::domain::methods::{code_hash, equal_time, random_id, six_digit_code, Pending};
use crate::domain::store::SendKeys;
use crate::domain::strength::Action;
use crate::domain::{Error, Result, Tapin, User};
use chrono::Duration;
use tapin_api::wire::{
    CodeFinish, CodeSent, EmailStart, Method, MethodKind, PhoneChannel, PhoneStart,
};
use tapin_api::{normalize_code, normalize_email, normalize_phone};

impl Tapin {
    // ---- phone and email ---------------------------------------------------

    pub(in crate::domain) fn send_code(
        &self,
        user: &User,
        target: CodeTarget,
        channel: Channel,
        client: &str,
    ) -> Result<CodeSent> {
        self.check_limit(user, target.kind)?;
        let keys = SendKeys {
            user_id: user.id,
            destination: target.detail.clone(),
            client: client.to_string(),
        };
        if let Err((newest_counted, window)) =
            self.store
                .reserve_send(&keys, self.now(), &self.settings().send_limits)?
        {
            let masked = crate::domain::methods::mask(target.kind, &target.detail);
            let mut event = self.own(
                user,
                "send_refused",
                &format!("{} to {masked}", channel.as_str()),
            );
            event.client = client.to_string();
            self.store.record_audit(&event)?;
            return Err(Error::TooManySends(newest_counted + window));
        }
        let id = random_id();
        let code = six_digit_code();
        let expires_at = self.now() + Duration::minutes(CODE_TTL_MINUTES);
        let message = Message {
            channel,
            to: target.detail.clone(),
            subject: "Your tapin verification code".into(),
            body: format!(
                "Your tapin verification code is {code}. It is valid for {CODE_TTL_MINUTES} minutes. If you did not ask for it, ignore this message."
            ),
        };
        let sent_to = crate::domain::methods::mask(target.kind, &target.detail);
        // The code and its message are written together; the courier sends
        // it at once and retries until the code expires.
        self.store.put_pending(
            &Pending {
                id: id.clone(),
                user_id: Some(user.id),
                purpose: PURPOSE_CODE.into(),
                state: to_json(&target)?,
                code_hash: Some(code_hash(&self.keys.code_mac_key(), &id, &code)),
                tries_left: CODE_TRIES,
                expires_at,
            },
            Some(&Outgoing {
                at: self.now(),
                message,
                give_up_at: expires_at,
                sealed_for: None,
            }),
        )?;
        self.wake.nudge();
        Ok(CodeSent {
            id,
            sent_to,
            expires_at,
        })
    }

    pub fn start_phone(&self, who: &Person, start: PhoneStart, client: &str) -> Result<CodeSent> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        if !start.kind.is_phone() {
            return Err(Error::Invalid(
                "kind must be phone, alternate_phone or office_phone".into(),
                Some("kind"),
            ));
        }
        let number = normalize_phone(&start.number)?;
        let channel = match start.channel {
            PhoneChannel::Text => Channel::Text,
            PhoneChannel::Call => Channel::Call,
        };
        self.send_code(
            user,
            CodeTarget {
                kind: start.kind,
                detail: number,
            },
            channel,
            client,
        )
    }

    pub fn start_email(&self, who: &Person, start: EmailStart, client: &str) -> Result<CodeSent> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        let address = normalize_email(&start.address)?;
        self.send_code(
            user,
            CodeTarget {
                kind: MethodKind::Email,
                detail: address,
            },
            Channel::Email,
            client,
        )
    }

    pub fn verify_code(&self, who: &Person, finish: CodeFinish) -> Result<Method> {
        let (user, _) = self.signed_in(who, Action::ChangeMethods)?;
        let code = normalize_code(&finish.code)?;
        let pending = self.live_pending(&finish.id, Some(user), &[PURPOSE_CODE])?;
        let left = self.spend_try(&pending.id)?;
        let expected = pending.code_hash.clone().unwrap_or_default();
        let actual = code_hash(&self.keys.code_mac_key(), &pending.id, &code);
        if !equal_time(&actual, &expected) {
            return Err(wrong_code(left));
        }
        let target: CodeTarget = from_json(&pending.state)?;
        let mut method = self.new_method(user, target.kind);
        method.detail = target.detail;
        self.add(user, method, &pending.id)
    }
}
