//! `cargo xtask bench directory`: tapin at an organisation's scale. On
//! SQLite and on PostgreSQL in one run: provision people and groups through
//! SCIM (the provisioning rate), then, with a large audit trail written
//! beside them, the 99th percentile of what is asked most: a SCIM
//! `filter=userName eq` (sent before every create), the help desk's search
//! as you type, and the audit page; and pass sign-ins per second beside the
//! same with ten people, measured on the same server in the same run.
//!
//! Sizes: `TAPIN_BENCH_USERS` (100,000), `TAPIN_BENCH_GROUPS` (1,000),
//! `TAPIN_BENCH_AUDIT` (10,000,000 audit rows).

use crate::bench_oidc::{http, measure, url_encode};
use crate::server::Server;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

type Result<T = ()> = std::result::Result<T, String>;

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The p99 each read must stay under.
const TARGET_MS: f64 = 50.0;

fn size(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// tapin's command line on one database, with its key file.
struct Deployment {
    tapin: PathBuf,
    db: String,
    key: PathBuf,
    dist: PathBuf,
}

impl Deployment {
    fn cli(&self, args: &[&str]) -> Result<String> {
        let out = Command::new(&self.tapin)
            .args(["--db", &self.db, "--secret-key-file"])
            .arg(&self.key)
            .args(args)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(format!(
                "tapin {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    }

    fn json(&self, args: &[&str], field: &str) -> Result<String> {
        let v: serde_json::Value =
            serde_json::from_str(&self.cli(args)?).map_err(|e| e.to_string())?;
        v[field]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| format!("tapin {args:?} printed no {field}"))
    }

    fn serve(&self) -> Result<Server> {
        let key = self.key.to_string_lossy().into_owned();
        Server::start(
            &self.tapin,
            Path::new(&self.db),
            &self.dist,
            &["--secret-key-file", &key],
        )
    }
}

fn request(method: &str, addr: &str, path: &str, auth: &str, body: Option<&str>) -> String {
    let body = body.unwrap_or("");
    format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {auth}\r\nContent-Type: application/scim+json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
}

/// `n` requests made by `clients` threads; `make(i)` is request `i` and
/// must answer `ok`. Returns the rate and the answers' bodies by `i`.
fn drive(
    addr: &str,
    n: usize,
    clients: usize,
    ok: u16,
    make: impl Fn(usize) -> String + Send + Sync + 'static,
) -> Result<(f64, Vec<String>)> {
    let next = Arc::new(AtomicUsize::new(0));
    let make = Arc::new(make);
    let started = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (next, make, addr) = (next.clone(), make.clone(), addr.to_string());
            std::thread::spawn(move || -> Result<Vec<(usize, String)>> {
                let mut out = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= n {
                        return Ok(out);
                    }
                    match http(&addr, &make(i)) {
                        Some((status, _, body)) if status == ok => out.push((i, body)),
                        other => return Err(format!("request {i} answered {other:?}")),
                    }
                }
            })
        })
        .collect();
    let mut bodies = vec![String::new(); n];
    for h in handles {
        for (i, b) in h.join().map_err(|_| "a client panicked")?? {
            bodies[i] = b;
        }
    }
    Ok((n as f64 / started.elapsed().as_secs_f64(), bodies))
}

/// The 99th percentile, in ms, of `work(i)` over 10 s by four clients.
fn p99(work: impl Fn(usize) -> bool + Send + Sync + 'static) -> Result<f64> {
    let counter = Arc::new(AtomicUsize::new(0));
    let (_, _, p99, failed) = measure(4, Duration::from_secs(10), move || {
        work(counter.fetch_add(1, Ordering::Relaxed))
    });
    if failed > 0 {
        return Err(format!("{failed} reads failed"));
    }
    Ok(p99)
}

/// Writes `rows` audit events straight into the database, spread over the
/// last year and over the people, as years of use would leave them.
fn fill_audit(db: &str, pg_bin: &str, rows: usize, users: usize) -> Result {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_err(|e| e.to_string())?
        .as_millis() as i64;
    let year = 365 * 24 * 3600 * 1000i64;
    let select = |series: &str| {
        format!(
            "SELECT {now} - {year} + x * ({year} / {rows}), 'p' || (x % {users}) || '@bench.example', \
             CASE x % 4 WHEN 0 THEN 'sign_in' WHEN 1 THEN 'sign_in_failed' WHEN 2 THEN 'method_added' ELSE 'pass_issued' END, \
             'bench', 'bench', '' FROM {series}"
        )
    };
    let status = if db.starts_with("postgres") {
        let sql = format!(
            "INSERT INTO audit (at, upn, event, detail, actor, client) {}; ANALYZE audit;",
            select(&format!("generate_series(1, {rows}) AS x"))
        );
        Command::new(format!("{pg_bin}/psql"))
            .args([db, "-q", "-v", "ON_ERROR_STOP=1", "-c", &sql])
            .status()
    } else {
        let sql = format!(
            "WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < {rows}) \
             INSERT INTO audit (at, upn, event, detail, actor, client) {}",
            select("s")
        );
        let script = "import sqlite3,sys\nc=sqlite3.connect(sys.argv[1])\nc.execute('PRAGMA journal_mode=WAL')\nc.execute(sys.argv[2])\nc.commit()\nc.execute('ANALYZE')\nc.commit()\n";
        Command::new("python3")
            .args(["-c", script, db, &sql])
            .status()
    };
    match status {
        Ok(s) if s.success() => Ok(()),
        other => Err(format!("writing the audit rows failed: {other:?}")),
    }
}

struct Figures {
    backend: &'static str,
    provision_rate: f64,
    groups_rate: f64,
    user_filter: f64,
    search: f64,
    audit: f64,
    audit_user: f64,
    sign_in_small: f64,
    sign_in_large: f64,
}

fn run(label: &'static str, d: &Deployment, pg_bin: &str) -> Result<Figures> {
    let (users, groups, audit_rows) = (
        size("TAPIN_BENCH_USERS", 100_000),
        size("TAPIN_BENCH_GROUPS", 1_000),
        size("TAPIN_BENCH_AUDIT", 10_000_000),
    );
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    d.cli(&[
        "policy",
        "set",
        "--enabled",
        "true",
        "--max-lifetime",
        "43200",
    ])?;
    d.cli(&[
        "user",
        "add",
        "desk@bench.example",
        "--name",
        "Desk",
        "--role",
        "admin",
        "--admin-role",
        "privileged-authentication-administrator",
    ])?;
    d.cli(&["user", "add", "member@bench.example", "--name", "Member"])?;
    let desk = d.json(
        &["token", "create", "--as", "desk@bench.example", "--json"],
        "token",
    )?;
    let scim = d.json(
        &[
            "token",
            "create",
            "--provisioning",
            "--name",
            "bench",
            "--json",
        ],
        "token",
    )?;
    let pass = d.json(
        &[
            "tap",
            "issue",
            "member@bench.example",
            "--lifetime",
            "600",
            "--json",
        ],
        "temporaryAccessPass",
    )?;
    let sign_in_body = serde_json::json!({"upn": "member@bench.example", "pass": pass}).to_string();
    let server = d.serve()?;
    let addr = server.addr.clone();
    // Ten people: the figure to hold at scale.
    for i in 0..8 {
        d.cli(&[
            "user",
            "add",
            &format!("few{i}@bench.example"),
            "--name",
            "Few",
        ])?;
    }
    let sign_in_small =
        crate::bench::flood_rate(&addr, &sign_in_body, 10 * cores, Duration::from_secs(10));

    eprintln!("xtask: {label}: provisioning {users} people and {groups} groups through SCIM");
    let (a, t) = (addr.clone(), scim.clone());
    let (provision_rate, bodies) = drive(&addr, users, 2 * cores, 201, move |i| {
        let body = serde_json::json!({
            "schemas": [CORE], "userName": format!("p{i}@bench.example"),
            "displayName": format!("Person {i} Bench"), "externalId": format!("e{i}"),
            "emails": [{"value": format!("p{i}@bench.example"), "type": "work"}],
        })
        .to_string();
        request("POST", &a, "/scim/v2/Users", &t, Some(&body))
    })?;
    let ids: Arc<Vec<String>> = Arc::new(
        bodies
            .iter()
            .map(|b| {
                serde_json::from_str::<serde_json::Value>(b)
                    .ok()
                    .and_then(|v| v["id"].as_str().map(str::to_string))
                    .unwrap_or_default()
            })
            .collect(),
    );
    let (a, t, members) = (addr.clone(), scim.clone(), ids.clone());
    let (groups_rate, _) = drive(&addr, groups, 2 * cores, 201, move |g| {
        let members: Vec<_> = (g..members.len())
            .step_by(groups.max(1))
            .map(|i| serde_json::json!({"value": members[i]}))
            .collect();
        let body = serde_json::json!({"schemas": [GROUP], "displayName": format!("Group {g}"), "members": members})
            .to_string();
        request("POST", &a, "/scim/v2/Groups", &t, Some(&body))
    })?;
    drop(server);
    eprintln!("xtask: {label}: writing {audit_rows} audit rows");
    fill_audit(&d.db, pg_bin, audit_rows, users)?;
    let server = d.serve()?;
    let addr = server.addr.clone();

    let (a, t) = (addr.clone(), scim.clone());
    let user_filter = p99(move |i| {
        let path = format!(
            "/scim/v2/Users?filter=userName%20eq%20%22p{}%40bench.example%22",
            (i * 7919) % users
        );
        matches!(http(&a, &request("GET", &a, &path, &t, None)), Some((200, _, b)) if b.contains("\"totalResults\":1"))
    })?;
    // As the help desk types a name: "P", "Pe", ... and a number's digits.
    let (a, t) = (addr.clone(), desk.clone());
    let search = p99(move |i| {
        let typed = [
            "p",
            "pe",
            "per",
            "person",
            &format!("p{}", i % 100),
            &format!("person {}", i % 1000),
        ];
        let q = typed[i % typed.len()];
        let search = format!("\"displayName:{q}\" OR \"userPrincipalName:{q}\"");
        let path = format!("/graph/v1.0/users?$top=25&$search={}", url_encode(&search));
        matches!(
            http(&a, &request("GET", &a, &path, &t, None)),
            Some((200, _, _))
        )
    })?;
    let (a, t) = (addr.clone(), desk.clone());
    let audit = p99(move |i| {
        let path = match i % 3 {
            0 => "/api/v1/admin/audit".to_string(),
            1 => "/api/v1/admin/audit?event=pass_issued".to_string(),
            _ => "/api/v1/admin/audit?since=2026-01-01T00:00:00Z".to_string(),
        };
        matches!(
            http(&a, &request("GET", &a, &path, &t, None)),
            Some((200, _, _))
        )
    })?;
    let (a, t) = (addr.clone(), desk.clone());
    let audit_user = p99(move |i| {
        let path = format!(
            "/api/v1/admin/audit?upn=p{}%40bench.example",
            (i * 7919) % users
        );
        matches!(
            http(&a, &request("GET", &a, &path, &t, None)),
            Some((200, _, _))
        )
    })?;
    let sign_in_large =
        crate::bench::flood_rate(&addr, &sign_in_body, 10 * cores, Duration::from_secs(10));
    drop(server);
    Ok(Figures {
        backend: label,
        provision_rate,
        groups_rate,
        user_filter,
        search,
        audit,
        audit_user,
        sign_in_small,
        sign_in_large,
    })
}

pub fn directory(tapin: &Path, pg: Option<(&str, &str)>) -> Result {
    let dir = crate::server::scratch("bench-directory")?;
    let mut figures = Vec::new();
    let sqlite = Deployment {
        tapin: tapin.to_path_buf(),
        db: dir.join("bench.db").to_string_lossy().into_owned(),
        key: dir.join("sqlite.key"),
        dist: dir.join("dist"),
    };
    figures.push(run("SQLite", &sqlite, "")?);
    if let Some((url, pg_bin)) = pg {
        let postgres = Deployment {
            tapin: tapin.to_path_buf(),
            db: url.to_string(),
            key: dir.join("pg.key"),
            dist: dir.join("dist"),
        };
        figures.push(run("PostgreSQL", &postgres, pg_bin)?);
    } else {
        eprintln!("xtask: PostgreSQL is not installed; its column is left out");
    }
    let _ = std::fs::remove_dir_all(&dir);
    let (users, groups, audit_rows) = (
        size("TAPIN_BENCH_USERS", 100_000),
        size("TAPIN_BENCH_GROUPS", 1_000),
        size("TAPIN_BENCH_AUDIT", 10_000_000),
    );
    println!("directory: {users} people and {groups} groups provisioned through SCIM, {audit_rows} audit rows; p99 of 4 clients for 10 s, target < {TARGET_MS} ms");
    let mut header = format!("  {:<52}", "");
    for f in &figures {
        header.push_str(&format!(" {:>12}", f.backend));
    }
    println!("{header} {:>8}", "target");
    let line = |name: &str, values: Vec<String>, target: &str| {
        let mut l = format!("  {name:<52}");
        for v in values {
            l.push_str(&format!(" {v:>12}"));
        }
        println!("{l} {target:>8}");
    };
    let each = |f: &dyn Fn(&Figures) -> String| figures.iter().map(f).collect::<Vec<_>>();
    line(
        "provisioning: SCIM POST /Users (/s)",
        each(&|f| format!("{:.0}", f.provision_rate)),
        "",
    );
    line(
        "provisioning: SCIM POST /Groups with members (/s)",
        each(&|f| format!("{:.1}", f.groups_rate)),
        "",
    );
    let ms = |v: f64| format!("{v:.1}{}", if v < TARGET_MS { "" } else { " !" });
    line(
        "filter=userName eq p99 (ms)",
        each(&|f| ms(f.user_filter)),
        "< 50",
    );
    line(
        "help desk search as you type p99 (ms)",
        each(&|f| ms(f.search)),
        "< 50",
    );
    line(
        "audit page (all, by kind, by time) p99 (ms)",
        each(&|f| ms(f.audit)),
        "< 50",
    );
    line(
        "audit page for one person p99 (ms)",
        each(&|f| ms(f.audit_user)),
        "< 50",
    );
    line(
        "pass sign-in with 10 people (/s)",
        each(&|f| format!("{:.1}", f.sign_in_small)),
        "",
    );
    line(
        "pass sign-in at scale (/s)",
        each(&|f| format!("{:.1}", f.sign_in_large)),
        "",
    );
    line(
        "  at scale / with 10 people",
        each(&|f| format!("{:.0}%", 100.0 * f.sign_in_large / f.sign_in_small)),
        ">= 95%",
    );
    Ok(())
}
