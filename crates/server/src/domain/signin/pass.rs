//! Signing in with a Temporary Access Pass: smart lockout counted before the
//! code is checked, the outcomes a person is told, and the session opened.

use super::session::Opening;
use super::*;
use crate::domain::pass::{decoy_hash, CheckHere, PassCheck};
use crate::domain::store::{AttemptKeys, Reservation};
use crate::domain::{Actor, Error, Result, Store, Usability};
use tapin_api::{normalize_pass, normalize_upn};

impl Tapin {
    // ---- sign-in -----------------------------------------------------------

    /// Signs in with a pass. Whether the account exists, has a pass or is in
    /// scope is only revealed to someone who typed the right code.
    ///
    /// The attempt is counted before the code is hashed, in the statement
    /// that checks the limits, so simultaneous guesses cannot outrun the lockout.
    pub fn sign_in_with_pass(&self, upn: &str, code: &str, client: &str) -> Result<SignedIn> {
        self.sign_in_with_pass_checked_by(&CheckHere, upn, code, client)
    }

    /// As `sign_in_with_pass`, with the Argon2id check run by `check` (the
    /// server's bounded pool); everything else runs on the calling thread.
    pub fn sign_in_with_pass_checked_by(
        &self,
        check: &dyn PassCheck,
        upn: &str,
        code: &str,
        client: &str,
    ) -> Result<SignedIn> {
        let upn = normalize_upn(upn)?;
        let code = normalize_pass(code)?;
        let now = self.now();
        let window = self.settings.lockout_window;
        let keys = AttemptKeys {
            account: upn.clone(),
            client: client.to_string(),
        };
        let (attempt, locks_next) =
            match self
                .store
                .reserve_attempt(&keys, now, now - window, &self.settings.lockout)?
            {
                Reservation::Reserved { id, reaches } => (id, reaches),
                Reservation::Locked { newest_counted, .. } => {
                    return Err(Error::TooManyAttempts(newest_counted + window))
                }
            };
        let as_self = Actor::User(upn.clone());

        let user = self.account(&upn)?;
        let pass = match &user {
            Some(u) => self.store.pass_of(u.id)?,
            None => None,
        };
        let phc = pass.as_ref().map_or(decoy_hash(), |p| p.code_hash.as_str());
        let matched = match check.matches(&code, phc) {
            Ok(m) => m,
            Err(e) => {
                // Not evaluated, so not counted.
                self.store.attempt_succeeded(attempt, None)?;
                return Err(e);
            }
        };
        let (user, pass) = match (user, pass) {
            (Some(u), Some(p)) if matched => (u, p),
            _ => {
                self.store.record_audit(&self.event(
                    &as_self,
                    &upn,
                    "sign_in_failed",
                    "pass_invalid",
                    client,
                ))?;
                if let Some(scope) = locks_next {
                    metrics::counter!("tapin_lockouts_total", "scope" => scope.as_str())
                        .increment(1);
                    self.store.record_audit(&self.event(
                        &as_self,
                        &upn,
                        "locked_out",
                        scope.as_str(),
                        client,
                    ))?;
                }
                return Err(Error::PassInvalid);
            }
        };
        // The code is right: whatever follows, this attempt was not a guess.
        let forget_attempt = {
            let keys = keys.clone();
            move |store: &dyn Store| store.attempt_succeeded(attempt, Some(&keys))
        };

        let policy = self.policy()?;
        let refused = match pass.usability(&policy, policy.in_scope(&user), now) {
            Usability::DisabledByPolicy => Some(Error::BlockedByPolicy(if !policy.enabled {
                "policy disabled"
            } else if !policy.in_scope(&user) {
                "user not in scope"
            } else {
                "policy requires one-time passes"
            })),
            Usability::OneTimeUsed => Some(Error::PassUsed(pass.used_at.unwrap_or(now))),
            Usability::NotYetValid => Some(Error::PassNotYetValid(pass.start_at)),
            Usability::Expired => Some(Error::PassExpired(pass.expires_at())),
            Usability::EnabledByPolicy => None,
        };
        if let Some(e) = refused {
            forget_attempt(self.store.as_ref())?;
            self.store.record_audit(&self.event(
                &as_self,
                &user.upn,
                "sign_in_failed",
                e.reason(),
                client,
            ))?;
            return Err(e);
        }

        let opening = Opening {
            how: crate::domain::oidc::SignInMethod::Pass,
            method_id: None,
            pass: Some(&pass),
            event: "pass_sign_in",
            detail: if pass.usable_once {
                "one-time pass"
            } else {
                "pass"
            }
            .into(),
            client,
        };
        let Some(signed_in) = self.open_session(&user, opening)? else {
            forget_attempt(self.store.as_ref())?;
            let used_at = self
                .store
                .pass_of(user.id)?
                .and_then(|p| p.used_at)
                .unwrap_or(now);
            return Err(Error::PassUsed(used_at));
        };

        // The point of no return: the session exists and a one-time pass is
        // spent. Nothing below may fail the request; what fails is retried.
        self.followups
            .run("forget the successful attempt", forget_attempt);
        // A pass turns code sign-in back on after too many wrong codes.
        let upn = user.upn.clone();
        self.followups.run("turn code sign-in back on", move |s| {
            s.forget_code_failures(&upn)
        });
        // Past the point of no return too: written with retries, not on failure.
        let notices = self.store.methods_of(user.id).map(|methods| {
            self.notices(
                &methods,
                &user,
                None,
                "You signed in with a Temporary Access Pass",
                "Someone signed in to your account with a Temporary Access Pass. If that was not you, tell your administrator now.",
            )
        });
        match notices {
            Ok(notices) => {
                for notice in notices {
                    self.followups
                        .run("notify the sign-in", move |s| s.enqueue(&notice));
                }
                self.wake.nudge();
            }
            Err(e) => tracing::warn!(error = %e, "cannot read the channels to notify of a sign-in"),
        }
        Ok(signed_in)
    }
}
