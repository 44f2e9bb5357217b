//! Joiners get their pass on their first day, as Entra's lifecycle
//! workflows do: when the policy's joiner setting is on, a person the
//! directory provisions with a `startDate` and a `manager` gets a one-time
//! pass that starts at 08:00 on that date on their own clock (their
//! `timeZone`, UTC when they have none) and lasts the policy's longest
//! lifetime, and their manager is emailed it. The pass waits in the outbox
//! sealed for its row and leaves it once delivered; re-provisioning never
//! issues a second one (the store reserves it once ever).

use super::resources::{ENTERPRISE, TAPIN};
use crate::domain::delivery::{Channel, Message, Outgoing};
use crate::domain::helpdesk::passes::pass_id;
use crate::domain::pass::{generate_code, hash_code};
use crate::domain::secrets::row;
use crate::domain::store::PersonRecord;
use crate::domain::{Actor, Error, Result, StoredPass, Tapin, User};
use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use serde_json::Value;
use tapin_api::wire::MethodKind;

/// The hour a first-day pass starts, on the joiner's clock.
const FIRST_HOUR: u32 = 8;

/// What a joiner's record says about their first day.
struct FirstDay {
    date: NaiveDate,
    manager_id: String,
}

fn first_day(record: &PersonRecord) -> Option<FirstDay> {
    let profile: Value = serde_json::from_str(&record.profile).ok()?;
    let get = super::filter::get;
    let date = get(get(&profile, TAPIN)?, "startDate")?.as_str()?;
    let manager = get(get(&profile, ENTERPRISE)?, "manager")?;
    let manager_id = match manager {
        Value::String(id) => id.clone(),
        other => get(other, "value")?.as_str()?.to_string(),
    };
    Some(FirstDay {
        date: NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?,
        manager_id,
    })
}

/// 08:00 on `date` in `zone` (an IANA name; UTC when unknown). In a
/// daylight-saving gap, the first moment after it.
pub fn first_day_start(date: NaiveDate, zone: Option<&str>) -> DateTime<chrono::FixedOffset> {
    let tz: chrono_tz::Tz = zone.and_then(|z| z.parse().ok()).unwrap_or(chrono_tz::UTC);
    let mut local = date.and_time(NaiveTime::from_hms_opt(FIRST_HOUR, 0, 0).unwrap_or_default());
    for _ in 0..4 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.fixed_offset();
        }
        local += Duration::minutes(30);
    }
    Utc.from_utc_datetime(&local).fixed_offset()
}

/// Where the manager is reached: the work (or primary, or first) address
/// the directory gave them, else an address they registered.
fn manager_address(tapin: &Tapin, manager: &User) -> Result<Option<String>> {
    let from_directory = tapin
        .store
        .person(manager.id)?
        .and_then(|(_, record)| serde_json::from_str::<Value>(&record.profile).ok())
        .and_then(|profile| {
            let emails = super::filter::get(&profile, "emails")?.as_array()?.clone();
            let pick = |pred: &dyn Fn(&Value) -> bool| {
                emails
                    .iter()
                    .find(|e| pred(e))
                    .and_then(|e| super::filter::get(e, "value")?.as_str().map(str::to_string))
            };
            pick(&|e| super::filter::get(e, "primary") == Some(&Value::Bool(true)))
                .or_else(|| {
                    pick(&|e| super::filter::get(e, "type").and_then(Value::as_str) == Some("work"))
                })
                .or_else(|| pick(&|_| true))
        })
        .and_then(|a| tapin_api::validate::normalize_email(&a).ok());
    if from_directory.is_some() {
        return Ok(from_directory);
    }
    Ok(tapin
        .store
        .methods_of(manager.id)?
        .into_iter()
        .find(|m| m.kind == MethodKind::Email)
        .map(|m| m.detail))
}

impl Tapin {
    /// Offers the person their first-day pass after the directory wrote
    /// them; a failure here is logged and audited, never the write's.
    pub(super) fn offer_joiner_pass(&self, actor: &Actor, user_id: i64) {
        if let Err(e) = self.joiner_pass(actor, user_id) {
            tracing::warn!(error = %e, "a joiner's first-day pass was not issued");
        }
    }

    fn joiner_pass(&self, actor: &Actor, user_id: i64) -> Result<()> {
        let policy = self.policy()?;
        if !policy.enabled || !policy.joiner_pass {
            return Ok(());
        }
        let Some((user, record)) = self.store.person(user_id)? else {
            return Ok(());
        };
        let Some(day) = first_day(&record) else {
            return Ok(());
        };
        if !user.enabled || record.joiner_pass_at.is_some() || !policy.in_scope(&user) {
            return Ok(());
        }
        let held = |why: &str| -> Result<()> {
            let event = self.event(actor, &user.upn, "joiner_pass_held", why, "");
            self.store.record_audit(&event)?;
            Ok(())
        };
        let manager = match self.store.user_by_object_id(&day.manager_id)? {
            Some(m) if m.enabled && m.id != user.id => m,
            _ => return held("their manager is not someone enabled in tapin"),
        };
        let Some(address) = manager_address(self, &manager)? else {
            return held(&format!("{} has no email address", manager.upn));
        };
        let start = first_day_start(day.date, user.time_zone.as_deref());
        let lifetime = policy.max_lifetime_minutes;
        let now = self.now();
        let start_utc = start.with_timezone(&Utc);
        let ends = start_utc + Duration::minutes(i64::from(lifetime));
        if ends <= now {
            return held(&format!("their start date {} has passed", day.date));
        }
        let code = generate_code(policy.length);
        let pass = StoredPass {
            id: pass_id(),
            user_id: user.id,
            code_hash: hash_code(&code)?,
            created_at: now,
            start_at: start_utc,
            start_offset_seconds: start.offset().local_minus_utc(),
            lifetime_minutes: lifetime,
            usable_once: true,
            used_at: None,
            created_by: actor.name().into(),
        };
        let zone = user.time_zone.as_deref().unwrap_or("UTC");
        let when = format!(
            "{} from {FIRST_HOUR:02}:00 ({zone})",
            day.date.format("%A %-d %B %Y")
        );
        let body = format!(
            "{name} ({upn}) starts on {when}.\n\n\
             Their one-time Temporary Access Pass: {code}\n\n\
             It works from then for {hours} hours, once. Give it to them in person or by \
             phone, never by email or chat. They open {origin}/?upn={upn}, enter it and set up \
             a passkey or an authenticator app.\n\n\
             If you did not expect this, tell your help desk: they can revoke it.",
            name = user.display_name,
            upn = user.upn,
            hours = lifetime / 60,
            origin = self.issuer,
        );
        let sealed = self
            .keys
            .seal(&row("outbox", &pass.id), &body)
            .map_err(Error::Storage)?;
        let message = Outgoing {
            at: now,
            message: Message {
                channel: Channel::Email,
                to: address,
                subject: format!(
                    "{}'s Temporary Access Pass for their first day",
                    user.display_name
                ),
                body: sealed,
            },
            give_up_at: ends,
            sealed_for: Some(pass.id.clone()),
        };
        let event = self.event(
            actor,
            &user.upn,
            "joiner_pass_issued",
            &format!(
                "{when}, {lifetime} minutes, one-time; sent to {}",
                manager.upn
            ),
            "",
        );
        if self.store.issue_joiner_pass(&pass, &message, &event)? {
            self.wake.nudge();
        }
        Ok(())
    }
}
