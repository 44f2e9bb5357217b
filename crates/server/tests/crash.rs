//! The real `tapin` binary killed with SIGKILL at random moments while
//! people sign in with one-time passes and register authenticator apps.
//! After every kill the database must be intact and nothing half done:
//! no pass both spent and unspent, no method without its audit event.

mod common;

use common::Running;
use rand::{Rng, SeedableRng};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;
use tapin_server::domain::{
    Actor, IssueOptions, NewUser, PolicyChange, Role, Settings, SystemClock, Tapin,
};
use tapin_server::storage::SqliteStore;

/// Operations attempted (sign-ins and registrations), killed ones included.
const OPERATIONS: usize = 100;
const USERS_PER_ROUND: usize = 2;

struct Reply {
    status: u16,
    cookie: Option<String>,
    json: serde_json::Value,
}

fn request(
    addr: &str,
    method: &str,
    path: &str,
    cookie: Option<&str>,
    body: &str,
) -> Option<Reply> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    let cookie = cookie
        .map(|c| format!("Cookie: {c}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\n{cookie}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let (head, body) = text.split_once("\r\n\r\n")?;
    let status = head.get(9..12)?.parse().ok()?;
    let cookie = head
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .map(|c| c.split(';').next().unwrap_or_default().to_string());
    Some(Reply {
        status,
        cookie,
        json: serde_json::from_str(body).unwrap_or(serde_json::Value::Null),
    })
}

/// Signs in with the pass and registers an authenticator app; stops at the
/// first failure (the server died). Returns the operations attempted and
/// whether both finished (false: the kill cut this person's work short).
fn sign_in_and_register(addr: &str, upn: &str, pass: &str) -> (usize, bool) {
    let body = serde_json::json!({"upn": upn, "pass": pass}).to_string();
    let Some(r) = request(addr, "POST", "/api/v1/signin/pass", None, &body) else {
        return (1, false);
    };
    let Some(cookie) = r.cookie.filter(|_| r.status == 200) else {
        return (1, false);
    };
    let Some(start) = request(
        addr,
        "POST",
        "/api/v1/methods/authenticator/start",
        Some(&cookie),
        "",
    ) else {
        return (2, false);
    };
    let (Some(id), Some(secret)) = (start.json["id"].as_str(), start.json["secret"].as_str())
    else {
        return (2, false);
    };
    let seed = tapin_server::domain::methods::base32_decode(secret).unwrap();
    let code =
        tapin_server::domain::methods::hotp(&seed, (chrono::Utc::now().timestamp() / 30) as u64);
    let finish = serde_json::json!({"id": id, "name": "Phone", "code": code}).to_string();
    let done = request(
        addr,
        "POST",
        "/api/v1/methods/authenticator/finish",
        Some(&cookie),
        &finish,
    );
    (2, done.is_some_and(|r| r.status == 201))
}

fn assert_consistent(db: &Path) {
    let conn = rusqlite::Connection::open(db).unwrap();
    let check: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    // A one-time pass is spent exactly when the session it opened exists.
    let mut stmt = conn
        .prepare(
            "SELECT p.id, p.used_at IS NOT NULL, (SELECT COUNT(*) FROM sessions s WHERE s.pass_id = p.id)
             FROM passes p WHERE p.usable_once = 1",
        )
        .unwrap();
    let passes: Vec<(String, bool, i64)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for (id, spent, sessions) in passes {
        assert!(sessions <= 1, "pass {id} opened {sessions} sessions");
        assert_eq!(
            spent,
            sessions == 1,
            "pass {id}: spent {spent}, sessions {sessions}"
        );
    }
    // Every method is whole, sealed, and has its audit event; none without one.
    let half: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM methods WHERE name IS NULL OR secret IS NULL OR secret NOT LIKE 'sealed:v2:%'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(half, 0, "a method is half registered");
    let methods: i64 = conn
        .query_row("SELECT COUNT(*) FROM methods", [], |r| r.get(0))
        .unwrap();
    let audited: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM audit WHERE event = 'method_added'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(methods, audited, "methods and their audit events disagree");
}

#[test]
fn sigkill_at_random_moments_leaves_nothing_half_done() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let seed: u64 = std::env::var("TAPIN_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(rand::random);
    eprintln!("crash test seed {seed} (TAPIN_CRASH_SEED to repeat)");
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    {
        let t = Tapin::new(
            Arc::new(SqliteStore::open(&db).unwrap()),
            Arc::new(SystemClock),
            Settings::default(),
        );
        t.set_policy(
            &Actor::Operator,
            PolicyChange {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    }
    let (mut attempted, mut round, mut cut, mut whole) = (0, 0, 0, 0);
    while attempted < OPERATIONS {
        round += 1;
        let passes: Vec<(String, String)> = {
            let t = Tapin::new(
                Arc::new(SqliteStore::open(&db).unwrap()),
                Arc::new(SystemClock),
                Settings::default(),
            );
            (0..USERS_PER_ROUND)
                .map(|i| {
                    let upn = format!("user{round}-{i}@contoso.com");
                    t.add_user(NewUser {
                        upn: upn.clone(),
                        display_name: "Crash".into(),
                        role: Role::Member,
                        admin_roles: vec![],
                        groups: vec![],
                        time_zone: None,
                    })
                    .unwrap();
                    let pass = t
                        .issue_pass(
                            &Actor::Operator,
                            &upn,
                            IssueOptions {
                                one_time: true,
                                ..Default::default()
                            },
                        )
                        .unwrap()
                        .temporary_access_pass;
                    (upn, pass)
                })
                .collect()
        };
        let mut server = Running::start(&db, &dist, &[]);
        let addr = server.addr.clone();
        let client = std::thread::spawn(move || {
            passes
                .iter()
                .map(|(upn, pass)| sign_in_and_register(&addr, upn, pass))
                .collect::<Vec<_>>()
        });
        std::thread::sleep(Duration::from_millis(rng.gen_range(0..150)));
        server.kill();
        for (operations, finished) in client.join().unwrap() {
            attempted += operations;
            if finished {
                whole += 1;
            } else {
                cut += 1;
            }
        }
        assert_consistent(&db);
    }
    let conn = rusqlite::Connection::open(&db).unwrap();
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |r| r.get(0)).unwrap() };
    let spent = count("SELECT COUNT(*) FROM passes WHERE used_at IS NOT NULL");
    let unspent = count("SELECT COUNT(*) FROM passes WHERE used_at IS NULL");
    let methods = count("SELECT COUNT(*) FROM methods");
    eprintln!(
        "{attempted} operations over {round} rounds: {cut} people's work cut short by the kill, {whole} finished; {spent} passes spent, {unspent} not, {methods} methods registered (seed {seed})"
    );
    // The kills landed in the middle of people's work, not only after it.
    assert!(
        cut > 0 && whole > 0,
        "seed {seed}: {cut} cut short, {whole} whole"
    );
    // Kills landed before, between and after the work, not only at one end.
    assert!(spent > 0 && unspent > 0 && methods > 0 && methods < spent + unspent);
}
