//! The configuration file as an operator writes it: checked all at once,
//! and overridden by the environment and then by flags.

mod common;

use common::Running;
use std::path::Path;

fn tapin(args: &[&str]) -> (bool, String) {
    common::tapin_said(args)
}

#[test]
fn the_example_configuration_passes_the_check() {
    let example = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/tapin.toml");
    let (ok, out) = tapin(&["--config", example, "config", "check"]);
    assert!(ok, "{out}");
    assert!(out.contains("no problems found"), "{out}");
}

#[test]
fn the_check_reports_every_problem_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("tapin.toml");
    std::fs::write(
        &file,
        r#"
pair_lokout = 5
account_lockout = 500
public_origin = "ftp://tapin.example.com"
trusted_proxy = ["10.0.0.0/8", "not-an-address"]
hsts = "yes"
addr = "127.0.0.1:8080"
"#,
    )
    .unwrap();
    let (ok, out) = tapin(&["--config", file.to_str().unwrap(), "config", "check"]);
    assert!(!ok, "{out}");
    for problem in [
        "unknown setting `pair_lokout`",
        "`account_lockout`: invalid value '500'",
        "`hsts`: expected true or false, not yes",
        "`public_origin`: the public origin 'ftp://tapin.example.com' must start with https://",
        "`trusted_proxy`:",
    ] {
        assert!(out.contains(problem), "missing {problem:?} in:\n{out}");
    }
    let (ok, out) = tapin(&["--config", file.to_str().unwrap(), "serve"]);
    assert!(!ok, "a bad file stops the server before it starts: {out}");
}

/// Wrong passes from one client until the answer is 429; how many were evaluated.
fn evaluated_before_lockout(addr: &str) -> usize {
    for n in 0..20 {
        let body = r#"{"upn":"ada@contoso.com","pass":"WRNGPASS2345"}"#;
        let answer = common::request(addr, "POST", "/api/v1/signin/pass", body);
        if answer.starts_with("HTTP/1.1 429") {
            return n;
        }
    }
    panic!("20 wrong passes and no lockout");
}

fn seeded(dir: &Path) -> std::path::PathBuf {
    let db = dir.join("tapin.db");
    let run = |args: &[&str]| common::cli(&db, args);
    run(&["policy", "set", "--enabled", "true"]);
    run(&["user", "add", "ada@contoso.com", "--name", "Ada"]);
    run(&["tap", "issue", "ada@contoso.com"]);
    db
}

#[test]
fn flags_override_the_environment_which_overrides_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let file = dir.path().join("tapin.toml");
    std::fs::write(&file, "pair_lockout = 2\nclient_lockout = 1000\n").unwrap();
    let config = file.to_str().unwrap();

    let db = seeded(
        &dir.path()
            .join("a")
            .tap(|p| std::fs::create_dir_all(p).unwrap()),
    );
    let from_file = Running::start(&db, &dist, &["--config", config]);
    assert_eq!(
        evaluated_before_lockout(&from_file.addr),
        2,
        "the file's limit"
    );
    drop(from_file);

    let db = seeded(
        &dir.path()
            .join("b")
            .tap(|p| std::fs::create_dir_all(p).unwrap()),
    );
    let from_env = Running::start_with_env(
        &db,
        &dist,
        &["--config", config],
        &[("TAPIN_PAIR_LOCKOUT", "3")],
    );
    assert_eq!(
        evaluated_before_lockout(&from_env.addr),
        3,
        "the environment over the file"
    );
    drop(from_env);

    let db = seeded(
        &dir.path()
            .join("c")
            .tap(|p| std::fs::create_dir_all(p).unwrap()),
    );
    let from_flag = Running::start_with_env(
        &db,
        &dist,
        &["--config", config, "--pair-lockout", "4"],
        &[("TAPIN_PAIR_LOCKOUT", "3")],
    );
    assert_eq!(
        evaluated_before_lockout(&from_flag.addr),
        4,
        "the flag over both"
    );
}

trait Tap: Sized {
    fn tap(self, f: impl FnOnce(&Self)) -> Self {
        f(&self);
        self
    }
}
impl<T> Tap for T {}
