//! tapin as an attacker meets it over HTTP: the real router, the real
//! bounded pool and a real SQLite file, with each request's client address
//! set the way the accept loop sets it.

#[path = "../common/mod.rs"]
mod common;
mod doors;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use axum::Router;
use base64::Engine;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use tapin_server::domain::{
    Actor, AuditFilter, IssueOptions, NewUser, PolicyChange, Role, Settings, SystemClock, Tapin,
};
use tapin_server::http::assets::Assets;
use tapin_server::http::client::TrustedProxies;
use tapin_server::http::{router, AppState, HttpConfig};
use tapin_server::pool::HashPool;
use tower::ServiceExt;

const ADA: &str = "ada@contoso.com";

struct Server {
    app: Router,
    tapin: Arc<Tapin>,
    db: PathBuf,
    _dir: tempfile::TempDir,
}

/// Store and domain calls made from the async tests: off the runtime's
/// worker (the PostgreSQL client blocks on a runtime of its own).
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    tokio::task::block_in_place(f)
}

fn server(trusted: &[&str], queue: usize) -> Server {
    blocking(|| server_on_this_thread(trusted, queue))
}

fn server_on_this_thread(trusted: &[&str], queue: usize) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    let store = common::store_at(&db);
    let tapin = Arc::new(Tapin::new(
        store,
        Arc::new(SystemClock),
        Settings::default(),
    ));
    tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    tapin
        .add_user(NewUser {
            upn: ADA.into(),
            display_name: "Ada".into(),
            role: Role::Member,
            admin_roles: vec![],
            groups: vec![],
            time_zone: None,
        })
        .unwrap();
    let state = AppState {
        tapin: tapin.clone(),
        assets: Arc::new(Assets::load(dir.path()).unwrap()),
        config: Arc::new(HttpConfig {
            trusted_proxies: TrustedProxies::parse(
                &trusted.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            )
            .unwrap(),
            ..Default::default()
        }),
        pool: Arc::new(HashPool::new(2, queue).unwrap()),
        in_place: tapin.store().reads_in_place(),
    };
    Server {
        app: router(state),
        tapin,
        db,
        _dir: dir,
    }
}

fn issue(s: &Server, one_time: bool) -> String {
    blocking(|| {
        s.tapin
            .issue_pass(
                &Actor::Operator,
                ADA,
                IssueOptions {
                    one_time,
                    ..Default::default()
                },
            )
            .unwrap()
            .temporary_access_pass
    })
}

struct Answer {
    status: StatusCode,
    json: serde_json::Value,
    cookie: Option<String>,
    retry_after: Option<String>,
}

async fn call(
    app: &Router,
    method: &str,
    path: &str,
    peer: &str,
    headers: &[(&str, &str)],
    body: Option<serde_json::Value>,
) -> Answer {
    let mut req = Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("origin", "http://localhost");
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let body = match body {
        Some(b) => {
            req = req.header("content-type", "application/json");
            Body::from(b.to_string())
        }
        None => Body::empty(),
    };
    let mut req = req.body(body).unwrap();
    let peer: SocketAddr = format!("{peer}:40000").parse().unwrap();
    req.extensions_mut().insert(ConnectInfo(peer));
    let res = app.clone().oneshot(req).await.unwrap();
    let status = res.status();
    let (parts, body) = res.into_parts();
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .map(|v| v.to_str().unwrap().to_string())
    };
    let cookie = header("set-cookie").map(|c| c.split(';').next().unwrap().to_string());
    let retry_after = header("retry-after");
    let bytes = axum::body::to_bytes(body, 1 << 20).await.unwrap();
    Answer {
        status,
        json: serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null),
        cookie,
        retry_after,
    }
}

async fn sign_in(app: &Router, peer: &str, headers: &[(&str, &str)], pass: &str) -> Answer {
    call(
        app,
        "POST",
        "/api/v1/signin/pass",
        peer,
        headers,
        Some(serde_json::json!({"upn": ADA, "pass": pass})),
    )
    .await
}

fn failed_sign_ins(s: &Server) -> usize {
    blocking(|| {
        s.tapin.audit_events(AuditFilter {
            upn: Some(ADA.into()),
            event: Some("sign_in_failed".into()),
            ..Default::default()
        })
    })
    .unwrap()
    .len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_simultaneous_wrong_guesses_evaluate_at_most_the_pair_limit() {
    let s = server(&[], 400);
    let code = issue(&s, false);
    let guesses: Vec<_> = (0..200)
        .map(|_| {
            let app = s.app.clone();
            tokio::spawn(async move { sign_in(&app, "203.0.113.66", &[], "ZZZZZZZZ").await })
        })
        .collect();
    let mut evaluated = 0;
    let mut locked = 0;
    for g in guesses {
        let a = g.await.unwrap();
        match a.status {
            StatusCode::UNAUTHORIZED => evaluated += 1,
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(a.json["code"], "too_many_attempts");
                assert!(a.retry_after.is_some());
                locked += 1;
            }
            other => panic!("unexpected {other}: {}", a.json),
        }
    }
    assert_eq!((evaluated, locked), (10, 190));
    assert_eq!(failed_sign_ins(&s), 10, "each evaluated guess is audited");

    // The attacker's client is locked even for the right code ...
    let a = sign_in(&s.app, "203.0.113.66", &[], &code).await;
    assert_eq!(a.status, StatusCode::TOO_MANY_REQUESTS);
    // ... and the owner, on another client, still signs in.
    let a = sign_in(&s.app, "198.51.100.20", &[], &code).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn behind_a_trusted_proxy_forwarded_clients_are_counted_apart() {
    let s = server(&["10.0.0.0/8"], 64);
    let code = issue(&s, false);
    let attacker = [("x-forwarded-for", "198.51.100.7")];
    for _ in 0..10 {
        assert_eq!(
            sign_in(&s.app, "10.0.0.1", &attacker, "ZZZZZZZZ")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in(&s.app, "10.0.0.1", &attacker, &code).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // The owner comes through the same proxy from elsewhere.
    let owner = [("x-forwarded-for", "192.0.2.44")];
    assert_eq!(
        sign_in(&s.app, "10.0.0.1", &owner, &code).await.status,
        StatusCode::OK
    );
    // The audit trail names the forwarded client, not the proxy.
    let failures = blocking(|| {
        s.tapin.audit_events(AuditFilter {
            event: Some("sign_in_failed".into()),
            ..Default::default()
        })
    })
    .unwrap();
    assert!(!failures.is_empty(), "the refused sign-ins are audited");
    assert!(failures.iter().all(|e| e.client == "198.51.100.7"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_trusted_proxy_forwarded_headers_change_nothing() {
    let s = server(&[], 64);
    let code = issue(&s, false);
    for i in 0..10 {
        let spoofed = format!("198.51.100.{i}");
        let headers = [
            ("x-forwarded-for", spoofed.as_str()),
            ("forwarded", "for=192.0.2.99"),
        ];
        assert_eq!(
            sign_in(&s.app, "10.0.0.1", &headers, "ZZZZZZZZ")
                .await
                .status,
            StatusCode::UNAUTHORIZED
        );
    }
    let fresh = [("x-forwarded-for", "192.0.2.200")];
    assert_eq!(
        sign_in(&s.app, "10.0.0.1", &fresh, &code).await.status,
        StatusCode::TOO_MANY_REQUESTS,
        "a new forwarded address did not buy new guesses"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_or_reissued_pass_ends_the_sessions_it_opened() {
    let s = server(&[], 64);
    let code = issue(&s, false);
    let cookie = sign_in(&s.app, "192.0.2.1", &[], &code)
        .await
        .cookie
        .unwrap();
    let session = |cookie: String| {
        let app = s.app.clone();
        async move {
            call(
                &app,
                "GET",
                "/api/v1/session",
                "192.0.2.1",
                &[("cookie", &cookie)],
                None,
            )
            .await
        }
    };
    assert_eq!(session(cookie.clone()).await.status, StatusCode::OK);
    blocking(|| s.tapin.revoke_pass(&Actor::Operator, ADA)).unwrap();
    let after = session(cookie).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    assert_eq!(after.json["code"], "not_signed_in");

    let code = issue(&s, false);
    let cookie = sign_in(&s.app, "192.0.2.1", &[], &code)
        .await
        .cookie
        .unwrap();
    issue(&s, false);
    assert_eq!(session(cookie).await.status, StatusCode::UNAUTHORIZED);
}

async fn signed_in(s: &Server) -> String {
    let code = issue(s, false);
    sign_in(&s.app, "192.0.2.1", &[], &code)
        .await
        .cookie
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sixth_code_to_one_destination_within_the_hour_is_refused() {
    let s = server(&[], 64);
    let cookie = signed_in(&s).await;
    let send = || {
        let (app, cookie) = (s.app.clone(), cookie.clone());
        async move {
            call(
                &app,
                "POST",
                "/api/v1/methods/email/start",
                "192.0.2.1",
                &[("cookie", &cookie)],
                Some(serde_json::json!({"address": "ada@example.org"})),
            )
            .await
        }
    };
    for _ in 0..5 {
        assert_eq!(send().await.status, StatusCode::OK);
    }
    let sixth = send().await;
    assert_eq!(sixth.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(sixth.json["code"], "too_many_sends");
    let wait: i64 = sixth.retry_after.unwrap().parse().unwrap();
    assert!((3000..=3600).contains(&wait), "retry after {wait}s");
    let sent = blocking(|| s.tapin.outbox())
        .unwrap()
        .into_iter()
        .filter(|e| e.message.to == "ada@example.org")
        .count();
    assert_eq!(sent, 5, "nothing left for the refused send");
    let refused = blocking(|| {
        s.tapin.audit_events(AuditFilter {
            event: Some("send_refused".into()),
            ..Default::default()
        })
    })
    .unwrap();
    assert_eq!(refused.len(), 1);
    assert!(!refused[0].detail.contains("ada@example.org"), "masked");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_authenticator_seed_is_in_the_database_in_no_encoding() {
    let s = server(&[], 64);
    let cookie = signed_in(&s).await;
    let start = call(
        &s.app,
        "POST",
        "/api/v1/methods/authenticator/start",
        "192.0.2.1",
        &[("cookie", &cookie)],
        None,
    )
    .await;
    assert_eq!(start.status, StatusCode::OK);
    let secret = start.json["secret"].as_str().unwrap().to_string();
    let seed = tapin_server::domain::methods::base32_decode(&secret).unwrap();
    let step = chrono::Utc::now().timestamp() / 30;
    let code = tapin_server::domain::methods::hotp(&seed, step as u64);
    let finish = call(
        &s.app,
        "POST",
        "/api/v1/methods/authenticator/finish",
        "192.0.2.1",
        &[("cookie", &cookie)],
        Some(serde_json::json!({"id": start.json["id"], "name": "Phone app", "code": code})),
    )
    .await;
    assert_eq!(finish.status, StatusCode::CREATED, "{}", finish.json);

    let bytes = blocking(|| common::stored::stored_bytes(&s.db, ADA));
    let b64 = base64::engine::general_purpose::STANDARD.encode(&seed);
    let encodings: Vec<Vec<u8>> = vec![
        seed.clone(),
        secret.clone().into_bytes(),
        secret.to_lowercase().into_bytes(),
        hex::encode(&seed).into_bytes(),
        hex::encode_upper(&seed).into_bytes(),
        b64.trim_end_matches('=').as_bytes().to_vec(),
        base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(&seed)
            .into_bytes(),
    ];
    for e in encodings {
        // Any 12 bytes of it would be enough to say it leaked.
        let needle = &e[..12];
        assert!(
            !bytes.windows(needle.len()).any(|w| w == needle),
            "found {:?} in the database",
            String::from_utf8_lossy(needle)
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sign_in_that_spent_a_one_time_pass_succeeds_even_when_the_audit_write_fails() {
    let s = server(&[], 64);
    let code = issue(&s, true);
    blocking(|| common::stored::break_inserts(&s.db, "audit"));
    let a = sign_in(&s.app, "192.0.2.1", &[], &code).await;
    assert_eq!(a.status, StatusCode::OK, "{}", a.json);
    assert!(a.cookie.is_some());

    // Once the audit can be written again, the retried event arrives.
    blocking(|| common::stored::mend_inserts(&s.db, "audit"));
    // The pass was spent: a second sign-in with it is refused.
    let again = sign_in(&s.app, "192.0.2.2", &[], &code).await;
    assert_eq!(again.status, StatusCode::UNAUTHORIZED, "{}", again.json);
    let count = || {
        s.tapin
            .audit_events(AuditFilter {
                event: Some("pass_sign_in".into()),
                ..Default::default()
            })
            .unwrap()
            .len()
    };
    blocking(|| {
        common::wait_for(
            "the sign-in's audit event, retried",
            std::time::Duration::from_secs(10),
            || count() >= 1,
        )
    });
    assert_eq!(blocking(count), 1, "written once");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_overloaded_with_retry_after_at_once() {
    let s = server(&[], 0);
    let code = issue(&s, false);
    let answers: Vec<_> = (0..8)
        .map(|_| {
            let app = s.app.clone();
            let code = code.clone();
            tokio::spawn(async move { sign_in(&app, "192.0.2.1", &[], &code).await })
        })
        .collect();
    let mut overloaded = 0;
    for a in answers {
        let a = a.await.unwrap();
        if a.status == StatusCode::SERVICE_UNAVAILABLE {
            assert_eq!(a.json["code"], "overloaded");
            assert_eq!(a.retry_after.as_deref(), Some("2"));
            overloaded += 1;
        } else {
            assert_eq!(a.status, StatusCode::OK);
        }
    }
    assert!(
        overloaded >= 1,
        "two workers and no queue cannot take eight at once"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_over_the_limit_is_refused_on_every_route() {
    let s = server(&[], 64);
    let big = "x".repeat(64 * 1024);
    for path in [
        "/api/v1/signout",
        "/api/v1/signin/passkey/start",
        "/anything",
    ] {
        let a = call(
            &s.app,
            "POST",
            path,
            "192.0.2.1",
            &[("content-length", &big.len().to_string())],
            Some(serde_json::Value::String(big.clone())),
        )
        .await;
        assert_eq!(a.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
        assert_eq!(a.json["code"], "payload_too_large", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn health_and_readiness_answer_for_load_balancers() {
    let s = server(&[], 8);
    let health = call(&s.app, "GET", "/healthz", "192.0.2.1", &[], None).await;
    assert_eq!(
        (health.status, health.json["status"].as_str()),
        (StatusCode::OK, Some("ok"))
    );
    let ready = call(&s.app, "GET", "/readyz", "192.0.2.1", &[], None).await;
    assert_eq!(
        (ready.status, ready.json["status"].as_str()),
        (StatusCode::OK, Some("ready"))
    );
    // A schema this build does not know is not ready.
    match blocking(|| common::postgres_url_for(&s.db)) {
        Some(url) => {
            blocking(|| {
                postgres::Client::connect(&url, postgres::NoTls)
                    .unwrap()
                    .execute("UPDATE tapin_schema SET version = 99", &[])
            })
            .unwrap();
        }
        None => rusqlite::Connection::open(&s.db)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap(),
    }
    let not_ready = call(&s.app, "GET", "/readyz", "192.0.2.1", &[], None).await;
    assert_eq!(not_ready.status, StatusCode::SERVICE_UNAVAILABLE);
}
