//! The store as a deployment leans on it, beyond what the domain tests show.

mod common;

use chrono::{Duration, Utc};
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
    // A write held inside its transaction until the read has answered: no
    // clock decides whether the two overlapped.
    let inside = std::sync::Arc::new(std::sync::Barrier::new(2));
    let release = std::sync::Arc::new(std::sync::Barrier::new(2));
    let writer = {
        let (store, inside, release) = (store.clone(), inside.clone(), release.clone());
        let first = std::sync::atomic::AtomicBool::new(true);
        std::thread::spawn(move || {
            store
                .reseal_secrets(&|_, _| {
                    if first.swap(false, std::sync::atomic::Ordering::SeqCst) {
                        inside.wait();
                        release.wait();
                    }
                    Ok(None)
                })
                .unwrap()
        })
    };
    inside.wait();
    let (answered, answer) = std::sync::mpsc::channel();
    {
        let store = store.clone();
        std::thread::spawn(move || {
            let _ = answered.send(store.user_by_upn("ada@contoso.com").unwrap());
        });
    }
    // Generous: a read that queues behind the write never answers at all.
    let user = answer
        .recv_timeout(std::time::Duration::from_secs(20))
        .expect("a read answered while the write was still in its transaction");
    assert!(user.is_some());
    assert!(!writer.is_finished(), "the write is still in progress");
    release.wait();
    writer.join().unwrap();
}
