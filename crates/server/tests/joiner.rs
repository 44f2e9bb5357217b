//! Joiners get their pass on their first day (SQLite, and PostgreSQL in the
//! store contract): provisioned with a start date and a manager while the
//! policy's joiner setting is on, a person gets one one-time pass from 08:00
//! on that day on their own clock, sent to the manager sealed, and never a
//! second one.

mod common;

use chrono::{Duration, TimeZone, Utc};
use serde_json::{json, Value};
use tapin_server::domain::directory::patch::operations;
use tapin_server::domain::{Actor, AuditFilter, BearerToken, Error, PolicyChange};

use common::world::World;

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const TAPIN: &str = "urn:ietf:params:scim:schemas:extension:tapin:2.0:User";

/// The world's clock (2026-11-22 09:00 UTC) and the joiner setting on.
fn world(joiner_pass: bool) -> (World, Actor) {
    let w = common::world::world();
    w.tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                joiner_pass: Some(joiner_pass),
                ..Default::default()
            },
        )
        .unwrap();
    let token = w
        .tapin
        .create_provisioning_token("entra", None)
        .unwrap()
        .token;
    let a = w.tapin.provisioner(&BearerToken::new(&token)).unwrap();
    (w, a)
}

fn manager(w: &World, a: &Actor) -> String {
    let doc = w
        .tapin
        .scim_create_user(
            a,
            &json!({"schemas": [CORE], "userName": "grace@contoso.com", "displayName": "Grace",
                    "emails": [{"value": "grace.home@example.net", "type": "home"},
                               {"value": "Grace@Contoso.com", "type": "work", "primary": true}]}),
        )
        .unwrap();
    doc["id"].as_str().unwrap().to_string()
}

fn joiner(start: &str, manager: &str) -> Value {
    json!({"schemas": [CORE, ENTERPRISE, TAPIN], "userName": "joan@contoso.com", "displayName": "Joan Joiner",
           ENTERPRISE: {"manager": {"value": manager}},
           TAPIN: {"startDate": start, "timeZone": "Europe/Berlin"}})
}

/// The manager's messages: (subject, body as stored).
fn mail_to(w: &World, to: &str) -> Vec<(String, String, Option<String>)> {
    w.tapin
        .outbox()
        .unwrap()
        .into_iter()
        .filter(|e| e.message.to == to)
        .map(|e| (e.message.subject, e.message.body, e.sealed_for))
        .collect()
}

fn opened(w: &World, sealed_for: &str, body: &str) -> String {
    w.tapin
        .keyring()
        .open(
            &tapin_server::domain::secrets::row("outbox", sealed_for),
            body,
        )
        .unwrap()
}

fn events_of(w: &World, upn: &str) -> Vec<tapin_server::domain::AuditEvent> {
    w.tapin
        .audit_events(AuditFilter {
            upn: Some(upn.into()),
            ..Default::default()
        })
        .unwrap()
}

fn pass_in(body: &str) -> String {
    let at = body.find("Temporary Access Pass: ").unwrap() + "Temporary Access Pass: ".len();
    body[at..].split_whitespace().next().unwrap().to_string()
}

#[test]
fn a_joiner_gets_one_pass_from_eight_on_their_first_day_sent_sealed_to_their_manager() {
    let (w, a) = world(true);
    let grace = manager(&w, &a);
    let doc = w
        .tapin
        .scim_create_user(&a, &joiner("2026-11-30", &grace))
        .unwrap();
    let mail = mail_to(&w, "Grace@contoso.com");
    assert_eq!(mail.len(), 1, "one message, to the manager's work address");
    let (subject, body, sealed_for) = &mail[0];
    assert!(subject.contains("Joan Joiner"), "{subject}");
    let sealed_for = sealed_for.as_deref().expect("the message is sealed");
    let text = opened(&w, sealed_for, body);
    let code = pass_in(&text);
    assert!(
        !body.contains(&code),
        "the pass is not readable in the outbox"
    );
    assert!(
        text.contains("Monday 30 November 2026 from 08:00 (Europe/Berlin)"),
        "{text}"
    );
    assert!(text.contains("/?upn=joan@contoso.com"), "{text}");

    // Re-provisioning (a PUT, a PATCH) issues no second one.
    let id = doc["id"].as_str().unwrap();
    w.tapin
        .scim_replace_user(&a, id, &joiner("2026-11-30", &grace), None)
        .unwrap();
    let ops = operations(
        &json!({"Operations": [{"op": "Replace", "path": "displayName", "value": "Joan J."}]}),
    )
    .unwrap();
    w.tapin.scim_patch_user(&a, id, &ops, None).unwrap();
    assert_eq!(mail_to(&w, "Grace@contoso.com").len(), 1);

    // 08:00 in Berlin on 30 November is 07:00 UTC: not a minute before.
    let eight = Utc.with_ymd_and_hms(2026, 11, 30, 7, 0, 0).unwrap();
    w.clock
        .advance(eight - Duration::minutes(1) - w.tapin.now());
    assert!(matches!(
        w.tapin
            .sign_in_with_pass("joan@contoso.com", &code, "192.0.2.9"),
        Err(Error::PassNotYetValid(_))
    ));
    w.clock.advance(Duration::minutes(2));
    w.tapin
        .sign_in_with_pass("joan@contoso.com", &code, "192.0.2.9")
        .expect("the pass signs in on the morning of the first day");
    // One-time.
    assert!(w
        .tapin
        .sign_in_with_pass("joan@contoso.com", &code, "192.0.2.9")
        .is_err());
    let events = events_of(&w, "joan@contoso.com");
    assert_eq!(
        events
            .iter()
            .filter(|e| e.event == "joiner_pass_issued")
            .count(),
        1,
        "{events:?}"
    );
}

#[test]
fn without_the_setting_a_manager_or_a_future_day_no_pass_is_issued() {
    // The setting off.
    let (w, a) = world(false);
    let grace = manager(&w, &a);
    w.tapin
        .scim_create_user(&a, &joiner("2026-11-30", &grace))
        .unwrap();
    assert!(mail_to(&w, "Grace@contoso.com").is_empty());

    // A manager tapin does not know: held, and said so in the audit.
    let (w, a) = world(true);
    w.tapin
        .scim_create_user(
            &a,
            &joiner("2026-11-30", "7d8c6f0e-0000-4000-8000-000000000000"),
        )
        .unwrap();
    assert!(w.tapin.outbox().unwrap().is_empty());
    assert!(events_of(&w, "joan@contoso.com")
        .iter()
        .any(|e| e.event == "joiner_pass_held"));

    // A first day already over (the world is at 2026-11-22).
    let (w, a) = world(true);
    let grace = manager(&w, &a);
    w.tapin
        .scim_create_user(&a, &joiner("2026-11-20", &grace))
        .unwrap();
    assert!(mail_to(&w, "Grace@contoso.com").is_empty());
}

#[test]
fn a_start_date_sent_later_issues_the_pass_then() {
    let (w, a) = world(true);
    let grace = manager(&w, &a);
    let doc = w
        .tapin
        .scim_create_user(
            &a,
            &json!({"schemas": [CORE], "userName": "joan@contoso.com", "displayName": "Joan"}),
        )
        .unwrap();
    assert!(mail_to(&w, "Grace@contoso.com").is_empty());
    let id = doc["id"].as_str().unwrap();
    let ops = operations(&json!({"Operations": [
        {"op": "add", "path": format!("{ENTERPRISE}:manager"), "value": {"value": grace}},
        {"op": "add", "path": format!("{TAPIN}:startDate"), "value": "2026-12-01"}
    ]}))
    .unwrap();
    w.tapin.scim_patch_user(&a, id, &ops, None).unwrap();
    let mail = mail_to(&w, "Grace@contoso.com");
    assert_eq!(mail.len(), 1);
    // No time zone: 08:00 UTC.
    let text = opened(&w, mail[0].2.as_deref().unwrap(), &mail[0].1);
    assert!(
        text.contains("Tuesday 1 December 2026 from 08:00 (UTC)"),
        "{text}"
    );
}

#[test]
fn provisioning_racing_itself_issues_one_pass() {
    let (w, a) = world(true);
    let grace = manager(&w, &a);
    let doc = w
        .tapin
        .scim_create_user(
            &a,
            &json!({"schemas": [CORE], "userName": "joan@contoso.com", "displayName": "Joan"}),
        )
        .unwrap();
    let id = doc["id"].as_str().unwrap().to_string();
    let body = joiner("2026-11-30", &grace);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                // Some of them are made again after another committed.
                let _ = w.tapin.scim_replace_user(&a, &id, &body, None);
            });
        }
    });
    assert_eq!(mail_to(&w, "Grace@contoso.com").len(), 1);
}
