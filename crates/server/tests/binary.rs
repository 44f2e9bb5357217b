//! The `tapin` binary as an operator runs it: the secret key file, its
//! rotation, and a server that does not wait forever for a slow client.

mod common;

use common::Running;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tapin_server::domain::SessionCookie;
use tapin_server::domain::{Actor, IssueOptions, Keyring, Settings, SystemClock, Tapin};
use tapin_server::storage::SqliteStore;

fn tapin(db: &std::path::Path, args: &[&str]) -> String {
    common::cli(db, args)
}

#[test]
fn the_key_file_is_private_and_rotation_reseals_every_seed_with_a_new_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    let key_file = dir.path().join("tapin.db.key");
    tapin(&db, &["policy", "set", "--enabled", "true"]);
    tapin(&db, &["user", "add", "ada@contoso.com", "--name", "Ada"]);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&key_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "only its owner reads the key file");
    }
    let old = Keyring::parse(&std::fs::read_to_string(&key_file).unwrap()).unwrap();

    // Register an authenticator app through the domain, sealed with the file's key.
    let t = Tapin::new(
        Arc::new(SqliteStore::open(&db).unwrap()),
        Arc::new(SystemClock),
        Settings::default(),
    )
    .with_keyring(old.clone());
    let pass = t
        .issue_pass(&Actor::Operator, "ada@contoso.com", IssueOptions::default())
        .unwrap()
        .temporary_access_pass;
    let token = t
        .sign_in_with_pass("ada@contoso.com", &pass, "192.0.2.1")
        .unwrap()
        .token;
    let reg = t
        .person(&SessionCookie::new(&token))
        .and_then(|who| t.start_totp(&who))
        .unwrap();
    let seed = tapin_server::domain::methods::base32_decode(&reg.secret).unwrap();
    let code = tapin_server::domain::methods::hotp(&seed, (t.now().timestamp() / 30) as u64);
    t.person(&SessionCookie::new(&token))
        .and_then(|who| {
            t.finish_totp(
                &who,
                tapin_api::wire::TotpFinish {
                    id: reg.id,
                    name: "Phone".into(),
                    code,
                },
            )
        })
        .unwrap();
    drop(t);
    // A seed is sealed for its own row (associated data `methods:ID`).
    let (row, stored) = {
        let id: String = rusqlite::Connection::open(&db)
            .unwrap()
            .query_row("SELECT id FROM methods", [], |r| r.get(0))
            .unwrap();
        let db = db.clone();
        (format!("methods:{id}"), move || -> String {
            rusqlite::Connection::open(&db)
                .unwrap()
                .query_row("SELECT secret FROM methods", [], |r| r.get(0))
                .unwrap()
        })
    };
    let before = stored();
    assert_eq!(old.open(&row, &before).unwrap(), reg.secret);

    let said = tapin(&db, &["secrets", "rotate"]);
    assert!(said.contains("re-encrypted 1 secrets"), "{said}");
    let new = Keyring::parse(&std::fs::read_to_string(&key_file).unwrap()).unwrap();
    let after = stored();
    assert_ne!(before, after);
    assert_eq!(new.open(&row, &after).unwrap(), reg.secret);
    assert!(
        old.open(&row, &after).is_err(),
        "the old key no longer opens it"
    );
    assert!(
        new.open(&row, &before).is_err(),
        "the old key is gone from the file"
    );
}

#[test]
fn a_client_that_never_finishes_its_headers_is_disconnected() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    let server = Running::start(&db, &dir.path().join("dist"), &[]);
    let addr = server.addr.clone();
    let mut slow = TcpStream::connect(&addr).unwrap();
    slow.write_all(b"GET /api/v1/session HTTP/1.1\r\nHost: x\r\n")
        .unwrap();
    slow.set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let started = Instant::now();
    let mut rest = Vec::new();
    let _ = slow.read_to_end(&mut rest);
    let waited = started.elapsed();
    drop(server);
    assert!(
        waited < Duration::from_secs(20),
        "the half-sent request held its connection for {waited:?}"
    );
}

#[test]
fn a_backup_taken_while_serving_restores_to_a_working_deployment() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    tapin(&db, &["policy", "set", "--enabled", "true"]);
    tapin(&db, &["user", "add", "ada@contoso.com", "--name", "Ada"]);
    let issued: serde_json::Value =
        serde_json::from_str(&tapin(&db, &["tap", "issue", "ada@contoso.com", "--json"])).unwrap();
    let pass = issued["temporaryAccessPass"].as_str().unwrap().to_string();
    let server = Running::start(&db, &dir.path().join("dist"), &[]);
    let copy = dir.path().join("copy.db");
    let said = tapin(&db, &["backup", copy.to_str().unwrap()]);
    assert!(said.contains("secret key file"), "{said}");
    drop(server);
    // A second backup to the same file is refused rather than overwriting it.
    let again = Command::new(env!("CARGO_BIN_EXE_tapin"))
        .arg("--db")
        .arg(&db)
        .args(["backup", copy.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(!again.status.success());

    // Restored: the copy in the database's place serves the same deployment.
    let restored = dir.path().join("restored.db");
    std::fs::copy(&copy, &restored).unwrap();
    let check: String = rusqlite::Connection::open(&restored)
        .unwrap()
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .unwrap();
    assert_eq!(check, "ok");
    let t = Tapin::new(
        Arc::new(SqliteStore::open(&restored).unwrap()),
        Arc::new(SystemClock),
        Settings::default(),
    );
    assert!(t.ready().is_ok());
    assert!(t
        .sign_in_with_pass("ada@contoso.com", &pass, "192.0.2.1")
        .is_ok());
}

#[test]
fn json_logs_are_one_object_a_line_and_carry_no_pass_or_cookie() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    tapin(&db, &["policy", "set", "--enabled", "true"]);
    tapin(&db, &["user", "add", "ada@contoso.com", "--name", "Ada"]);
    let issued: serde_json::Value =
        serde_json::from_str(&tapin(&db, &["tap", "issue", "ada@contoso.com", "--json"])).unwrap();
    let pass = issued["temporaryAccessPass"].as_str().unwrap().to_string();
    let server = Running::start_logging(&db, &dir.path().join("dist"), &["--log-format", "json"]);
    let addr = server.addr.clone();
    let body = serde_json::json!({"upn": "ada@contoso.com", "pass": pass}).to_string();
    let mut s = TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "POST /api/v1/signin/pass HTTP/1.1\r\nHost: {addr}\r\nOrigin: http://{addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    let token = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: __Host-tapin="))
        .and_then(|c| c.split(';').next())
        .unwrap()
        .to_string();
    let logs = server.logs();
    let lines: Vec<&str> = logs.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(
        lines.iter().any(|l| l.contains("/api/v1/signin/pass")),
        "{logs}"
    );
    for line in lines {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON object per line");
        assert!(v.is_object());
        assert!(!line.contains(&pass), "the pass reached the log");
        assert!(!line.contains(&token), "the session token reached the log");
    }
}

#[test]
fn a_client_starting_more_sign_ins_than_it_may_gets_429_with_retry_after() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    std::fs::create_dir_all(dir.path().join("dist")).unwrap();
    let server = Running::start(&db, &dir.path().join("dist"), &[]);
    let start = |upn: &str| {
        common::request(
            &server.addr,
            "POST",
            "/api/v1/signin/webauthn/start",
            &format!(r#"{{"upn":"{upn}"}}"#),
        )
    };
    // Anonymous starts each write a challenge: 1,000 per client per window.
    let mut refused = None;
    for i in 0..1100 {
        let answer = start(&format!("made.up.{i}@contoso.com"));
        if answer.starts_with("HTTP/1.1 429") {
            refused = Some((i, answer));
            break;
        }
        assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    }
    let (at, answer) = refused.expect("the 1,001st start is refused");
    assert_eq!(at, 1000, "exactly the limit is served");
    let retry_after: u64 = answer
        .lines()
        .find_map(|l| {
            l.strip_prefix("retry-after: ")
                .or_else(|| l.strip_prefix("Retry-After: "))
        })
        .expect("Retry-After")
        .trim()
        .parse()
        .unwrap();
    assert!(retry_after > 0, "{answer}");
    assert!(
        answer.contains("\"code\":\"too_many_attempts\""),
        "{answer}"
    );
    assert!(answer.contains("\"retry_at\""), "{answer}");
}

/// `tapin ARGS` on `db`: whether it succeeded, and what it printed.
fn tapin_said(db: &std::path::Path, args: &[&str]) -> (bool, String) {
    let db = db.to_string_lossy();
    common::tapin_said(&[&["--db", db.as_ref()], args].concat())
}

#[test]
fn the_operator_imports_metadata_adds_a_ca_and_edits_profiles_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    let vendor = common::keys::Vendor::new("Contoso Keys");
    let model = vendor.model("Contoso Key 5 NFC");
    let mds = common::keys::MetadataService::new();
    let file = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path.to_string_lossy().into_owned()
    };
    let blob = file("blob.jwt", &mds.blob(3, &[(&model, "FIDO_CERTIFIED_L2")]));
    let root = file("root.pem", &mds.root_pem());
    // Not under FIDO's root: refused, nothing imported.
    let (ok, said) = tapin_said(&db, &["mds", "import", &blob]);
    assert!(!ok && said.contains("trust root"), "{said}");
    let (ok, said) = tapin_said(&db, &["mds", "import", &blob, "--trust-root", &root]);
    assert!(
        ok && said.contains("no 3: 1 authenticator models"),
        "{said}"
    );
    let (_, said) = tapin_said(&db, &["mds", "show"]);
    assert!(said.contains("Contoso Key 5 NFC"), "{said}");

    let ca = file("vendor.pem", &vendor.root_pem());
    let (ok, said) = tapin_said(&db, &["mds", "ca", "add", &ca]);
    assert!(
        ok && said.contains("Contoso Keys Attestation Root"),
        "{said}"
    );
    let fingerprint = said
        .split('(')
        .nth(1)
        .unwrap()
        .split(')')
        .next()
        .unwrap()
        .to_string();
    let (ok, _) = tapin_said(&db, &["mds", "ca", "remove", &fingerprint]);
    assert!(ok);

    let aaguid = model.aaguid.to_string();
    let (ok, said) = tapin_said(
        &db,
        &[
            "passkey-profile",
            "add",
            "--name",
            "Admins",
            "--group",
            "admins",
            "--synced",
            "false",
        ],
    );
    assert!(ok && said.contains("device-bound only"), "{said}");
    let (ok, said) = tapin_said(
        &db,
        &[
            "passkey-profile",
            "set",
            "default",
            "--restrict",
            "block",
            "--aaguid",
            &aaguid,
        ],
    );
    assert!(ok && said.contains("all but 1 blocked models"), "{said}");
    let (_, said) = tapin_said(&db, &["passkey-profile", "list", "--json"]);
    let listed: tapin_server::domain::authenticators::PasskeyProfiles =
        serde_json::from_str(&said).unwrap();
    assert_eq!(listed.profiles.len(), 2);
    assert_eq!(listed.profiles[0].name, "Admins");
    assert!(!listed.profiles[0].synced);
    assert_eq!(
        listed.profiles[1].key_restrictions.aaguids,
        vec![model.aaguid]
    );
    // A profile no key could meet is refused and nothing changes.
    let (ok, said) = tapin_said(
        &db,
        &[
            "passkey-profile",
            "set",
            "default",
            "--synced",
            "false",
            "--device-bound",
            "false",
        ],
    );
    assert!(!ok && said.contains("allows no passkey type"), "{said}");
    let (ok, said) = tapin_said(&db, &["passkey-profile", "remove", "default"]);
    assert!(!ok && said.contains("cannot be removed"), "{said}");
}
