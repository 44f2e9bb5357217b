//! The courier: messages written to the outbox are delivered in the
//! background, retried with doubling waits, given up once useless, and
//! never sent twice when several instances share one outbox.

mod common;

use chrono::{Duration, TimeZone, Utc};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use tapin_server::domain::courier::{Courier, Route, Wake};
use tapin_server::domain::{
    Channel, Clock, Delivery, ManualClock, Message, Outgoing, Store, SystemClock,
};

/// A channel that fails its first `failures` tries and records what it accepted.
struct Flaky {
    failures: u32,
    tries: AtomicU32,
    accepted: Mutex<Vec<String>>,
}

impl Flaky {
    fn new(failures: u32) -> Arc<Self> {
        Arc::new(Self {
            failures,
            tries: AtomicU32::new(0),
            accepted: Mutex::new(Vec::new()),
        })
    }

    fn accepted(&self) -> Vec<String> {
        self.accepted.lock().unwrap().clone()
    }
}

impl Delivery for Flaky {
    fn send(&self, message: &Message, _at: chrono::DateTime<Utc>) -> Result<(), String> {
        if self.tries.fetch_add(1, Ordering::SeqCst) < self.failures {
            return Err("421 try again later".into());
        }
        self.accepted.lock().unwrap().push(message.body.clone());
        Ok(())
    }
}

fn email(body: &str, at: chrono::DateTime<Utc>, useful_for: Duration) -> Outgoing {
    Outgoing {
        at,
        message: Message {
            channel: Channel::Email,
            to: "ada@example.org".into(),
            subject: "Your tapin verification code".into(),
            body: body.into(),
        },
        give_up_at: at + useful_for,
        sealed_for: None,
    }
}

fn route(sender: Arc<Flaky>) -> Vec<Route> {
    vec![Route {
        name: "email",
        channels: vec![Channel::Email],
        sender,
    }]
}

fn until(what: &str, done: impl FnMut() -> bool) {
    common::wait_for(what, std::time::Duration::from_secs(20), done);
}

#[test]
fn a_failing_channel_is_retried_until_it_accepts_and_the_message_then_leaves_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = common::store_at(&dir.path().join("t.db"));
    let smtp = Flaky::new(2);
    let wake = Arc::new(Wake::default());
    let courier = Courier::start(
        store.clone(),
        Arc::new(SystemClock),
        wake.clone(),
        route(smtp.clone()),
        tapin_server::domain::Keyring::generate(),
    )
    .unwrap();
    store
        .enqueue(&email("code 123456", Utc::now(), Duration::minutes(10)))
        .unwrap();
    wake.nudge();
    // Tries at 0 s, 1 s and 3 s.
    until("the third try", || !smtp.accepted().is_empty());
    courier.shutdown();
    assert_eq!(smtp.accepted(), ["code 123456"]);
    assert_eq!(smtp.tries.load(Ordering::SeqCst), 3);
    assert!(
        store.outbox().unwrap().is_empty(),
        "a delivered code is not kept"
    );
}

#[test]
fn a_message_is_given_up_once_the_next_try_would_be_too_late_and_the_reason_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = common::store_at(&dir.path().join("t.db"));
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 11, 25, 9, 0, 0).unwrap(),
    ));
    let smtp = Flaky::new(u32::MAX);
    let wake = Arc::new(Wake::default());
    let courier = Courier::start(
        store.clone(),
        clock.clone(),
        wake.clone(),
        route(smtp.clone()),
        tapin_server::domain::Keyring::generate(),
    )
    .unwrap();
    store
        .enqueue(&email("code 654321", clock.now(), Duration::seconds(3)))
        .unwrap();
    wake.nudge();
    until("the first try", || store.outbox().unwrap()[0].tries == 1);
    let first = store.outbox().unwrap().remove(0);
    assert!(
        !first.failed,
        "1 s later the code is still useful: {first:?}"
    );
    // Not due yet: the courier waits for the backoff, not for the poll.
    // An absence needs a window; a slow machine can only make this one
    // see less, never fail a courier that waits as it should.
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert_eq!(smtp.tries.load(Ordering::SeqCst), 1);
    clock.advance(Duration::seconds(1));
    wake.nudge();
    until("the second try", || store.outbox().unwrap()[0].tries == 2);
    courier.shutdown();
    let given_up = store.outbox().unwrap().remove(0);
    assert!(
        given_up.failed,
        "the next try (2 s later) would be after the code expired"
    );
    assert_eq!(given_up.last_error.as_deref(), Some("421 try again later"));
    assert_eq!(smtp.tries.load(Ordering::SeqCst), 2);
}

#[test]
fn two_instances_on_one_outbox_deliver_every_message_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    // Two stores on one file: two processes' worth of connections.
    let one: Arc<dyn Store> = common::store_at(&path);
    let two: Arc<dyn Store> = common::store_at(&path);
    let smtp = Flaky::new(0);
    let couriers: Vec<Courier> = [one.clone(), two]
        .into_iter()
        .map(|store| {
            Courier::start(
                store,
                Arc::new(SystemClock),
                Arc::new(Wake::default()),
                route(smtp.clone()),
                tapin_server::domain::Keyring::generate(),
            )
            .unwrap()
        })
        .collect();
    for i in 0..200 {
        one.enqueue(&email(
            &format!("message {i}"),
            Utc::now(),
            Duration::minutes(10),
        ))
        .unwrap();
    }
    until("200 deliveries", || smtp.accepted().len() >= 200);
    // Every delivery recorded, then both couriers stopped (a send in
    // flight finishes first): whatever either would still send is counted.
    until("the outbox emptied", || one.outbox().unwrap().is_empty());
    for c in couriers {
        c.shutdown();
    }
    let mut got = smtp.accepted();
    assert_eq!(got.len(), 200, "no message was sent twice");
    got.sort();
    got.dedup();
    assert_eq!(got.len(), 200);
    assert!(one.outbox().unwrap().is_empty());
}

#[test]
fn a_channel_without_a_sender_keeps_its_messages_for_the_outbox_command() {
    let dir = tempfile::tempdir().unwrap();
    let store: Arc<dyn Store> = common::store_at(&dir.path().join("t.db"));
    let smtp = Flaky::new(0);
    let wake = Arc::new(Wake::default());
    let courier = Courier::start(
        store.clone(),
        Arc::new(SystemClock),
        wake.clone(),
        route(smtp.clone()),
        tapin_server::domain::Keyring::generate(),
    )
    .unwrap();
    let mut text = email("text code 111111", Utc::now(), Duration::minutes(10));
    text.message.channel = Channel::Text;
    text.message.to = "+442079460958".into();
    store.enqueue(&text).unwrap();
    store
        .enqueue(&email(
            "email code 222222",
            Utc::now(),
            Duration::minutes(10),
        ))
        .unwrap();
    wake.nudge();
    until("the email", || !smtp.accepted().is_empty());
    courier.shutdown();
    assert_eq!(smtp.accepted(), ["email code 222222"]);
    let waiting = store.outbox().unwrap();
    assert_eq!(waiting.len(), 1);
    assert_eq!(waiting[0].message.body, "text code 111111");
    assert_eq!(waiting[0].tries, 0);
}
