//! The store as a deployment leans on it, beyond what the domain tests show.

mod common;

use chrono::{Duration, Utc};
use std::time::Instant;
use tapin_server::domain::{NewUser, Pending, Role};

#[test]
fn reads_do_not_queue_behind_a_write_in_progress() {
    let dir = tempfile::tempdir().unwrap();
    let store = common::store_at(&dir.path().join("t.db"));
    store
        .insert_user(
            &NewUser {
                upn: "ada@contoso.com".into(),
                display_name: "Ada".into(),
                role: Role::Member,
                admin_roles: vec![],
                groups: vec![],
                time_zone: None,
            },
            Utc::now(),
        )
        .unwrap();
    store
        .put_pending(
            &Pending {
                id: "a".repeat(32),
                user_id: None,
                purpose: "register:authenticator_app".into(),
                state: "{}".into(),
                code_hash: None,
                tries_left: 5,
                expires_at: Utc::now() + Duration::minutes(10),
            },
            None,
        )
        .unwrap();
    // A slow write: the writer is held for 800 ms inside its transaction.
    let writer = {
        let store = store.clone();
        std::thread::spawn(move || {
            store
                .reseal_secrets(&|_, _| {
                    std::thread::sleep(std::time::Duration::from_millis(800));
                    Ok(None)
                })
                .unwrap()
        })
    };
    std::thread::sleep(std::time::Duration::from_millis(100));
    let asked = Instant::now();
    let user = store.user_by_upn("ada@contoso.com").unwrap();
    let waited = asked.elapsed();
    assert!(user.is_some());
    assert!(!writer.is_finished(), "the write is still in progress");
    assert!(
        waited < std::time::Duration::from_millis(300),
        "a read waited {waited:?} for the write"
    );
    writer.join().unwrap();
}
