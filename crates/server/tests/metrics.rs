//! Prometheus metrics on their own address: what an operator's dashboards
//! and alerts read.

mod common;

use common::{request, Running};

#[test]
fn requests_sign_ins_lockouts_and_queues_are_counted_on_the_metrics_address_only() {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join("dist");
    std::fs::create_dir_all(&dist).unwrap();
    let db = dir.path().join("tapin.db");
    let cli = |args: &[&str]| common::cli(&db, args);
    cli(&["policy", "set", "--enabled", "true"]);
    cli(&["user", "add", "ada@contoso.com", "--name", "Ada"]);
    let issued: serde_json::Value =
        serde_json::from_str(&cli(&["tap", "issue", "ada@contoso.com", "--json"])).unwrap();
    let pass = issued["temporaryAccessPass"].as_str().unwrap().to_string();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let server = Running::start(
        &db,
        &dist,
        &["--metrics-addr", &metrics_addr, "--pair-lockout", "2"],
    );

    let wrong = r#"{"upn":"ada@contoso.com","pass":"WRNGPASS2345"}"#;
    for _ in 0..3 {
        request(&server.addr, "POST", "/api/v1/signin/pass", wrong);
    }
    let right = format!(r#"{{"upn":"ada@contoso.com","pass":"{pass}"}}"#);
    assert!(
        request(&server.addr, "POST", "/api/v1/signin/pass", &right).starts_with("HTTP/1.1 429"),
        "this pair is locked"
    );
    request(
        &server.addr,
        "GET",
        "/api/v1/methods/0123456789abcdef0123456789abcdef",
        "",
    );

    let page = request(&metrics_addr, "GET", "/metrics", "");
    assert!(page.starts_with("HTTP/1.1 200"), "{page}");
    for line in [
        r#"tapin_signins_total{method="pass",outcome="pass_invalid"} 2"#,
        r#"tapin_signins_total{method="pass",outcome="too_many_attempts"} 2"#,
        r#"tapin_lockouts_total{scope="account and client"} 1"#,
        "tapin_hash_queue_depth 0",
        "tapin_outbox_backlog 0",
        r#"tapin_http_request_duration_seconds_bucket{route="/api/v1/signin/pass",le="#,
    ] {
        assert!(page.contains(line), "missing {line:?} in:\n{page}");
    }
    // Counted per route pattern, never per path (ids would make a series each).
    assert!(
        page.contains(r#"route="/api/v1/signin/pass""#) && page.contains(r#"status="429""#),
        "{page}"
    );
    assert!(!page.contains("0123456789abcdef"), "no path ids as labels");

    let public = request(&server.addr, "GET", "/metrics", "");
    assert!(
        !public.contains("tapin_signins_total"),
        "the public address does not serve metrics"
    );
}
