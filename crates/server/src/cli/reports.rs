//! Read-only commands: the outbox (what is not yet delivered), the audit trail, the built app's sizes
//! and how long a pass check takes here.

use super::*;

pub(super) fn outbox(t: &Tapin, json: bool) -> Result<(), Error> {
    let entries = t.outbox()?;
    if json {
        let rows: Vec<_> = entries
            .iter()
            .map(|e| {
                serde_json::json!({
                    "at": e.at, "channel": e.message.channel.as_str(), "to": e.message.to,
                    "subject": e.message.subject, "body": e.message.body,
                    "tries": e.tries, "last_error": e.last_error, "failed": e.failed,
                })
            })
            .collect();
        print_json(&rows);
        return Ok(());
    }
    if entries.is_empty() {
        println!("the outbox is empty");
    }
    for e in entries {
        println!(
            "{}  {} to {}: {}\n  {}",
            e.at.format("%Y-%m-%d %H:%M:%S UTC"),
            e.message.channel.as_str(),
            e.message.to,
            e.message.subject,
            e.message.body.replace('\n', "\n  ")
        );
        if let Some(error) = &e.last_error {
            let state = if e.failed { "given up" } else { "will retry" };
            println!("  {} failed tries, {state}: {error}", e.tries);
        }
    }
    Ok(())
}

pub(super) fn rfc3339(
    flag: &'static str,
    value: Option<String>,
) -> Result<Option<chrono::DateTime<chrono::Utc>>, Error> {
    value
        .map(|v| {
            DateTime::parse_from_rfc3339(&v)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| {
                    Error::Invalid(
                        format!("--{flag} must be RFC 3339, like 2026-11-23T09:00:00Z ({e})"),
                        Some(flag),
                    )
                })
        })
        .transpose()
}

pub(super) fn audit(t: &Tapin, filter: AuditFilter, json: bool) -> Result<(), Error> {
    let events = t.audit_events(filter)?;
    for e in events {
        if json {
            println!(
                "{}",
                serde_json::json!({
                    "at": e.at, "upn": e.upn, "event": e.event, "detail": e.detail,
                    "actor": e.actor, "client": e.client,
                })
            );
        } else {
            println!(
                "{}  {:<28} {:<22} {:<28} {:<16} {}",
                e.at.format("%Y-%m-%d %H:%M:%S UTC"),
                e.upn,
                e.event,
                e.actor,
                e.client,
                e.detail
            );
        }
    }
    Ok(())
}

pub(super) fn assets(
    dist: &std::path::Path,
    pack: Option<&std::path::Path>,
    budget_bytes: Option<usize>,
    methods_budget_bytes: Option<usize>,
    admin_budget_bytes: Option<usize>,
    signin_budget_bytes: Option<usize>,
) -> Result<(), Error> {
    let assets = Assets::load(dist)
        .map_err(|e| Error::invalid(format!("cannot read {}: {e}", dist.display())))?;
    if let Some(pack) = pack {
        if assets.index().is_none() {
            return Err(Error::invalid(format!(
                "{} holds no built app to pack",
                dist.display()
            )));
        }
        assets
            .pack(pack)
            .map_err(|e| Error::invalid(format!("cannot write {}: {e}", pack.display())))?;
        println!("packed {} into {}", dist.display(), pack.display());
    }
    let row = |name: &str, raw: usize, gz: usize, br: usize| {
        println!("{name:<44} {raw:>10} {gz:>10} {br:>10}");
    };
    let mut problems = Vec::new();
    for (page, title, budget) in [
        (
            "/index.html",
            "first load (/ : account and pass steps)",
            budget_bytes,
        ),
        (
            "/methods.html",
            "security info (/security-info, /passkey)",
            methods_budget_bytes,
        ),
        ("/admin.html", "help desk (/admin)", admin_budget_bytes),
        (
            "/signin.html",
            "sign-in for other applications (/signin)",
            signin_budget_bytes,
        ),
    ] {
        let mut files = assets.load_of(page);
        if files.is_empty() {
            continue;
        }
        // The page's script fetches the chosen language's sentences at
        // start, from the catalog its `data-catalog` names (each bundle's
        // own, built by `cargo xtask build`): counted here as English, the
        // catalog most people get.
        let catalogs = files
            .iter()
            .find(|a| a.path == page)
            .and_then(|a| {
                let html = String::from_utf8_lossy(&a.raw);
                let at = html.find("data-catalog=\"")? + "data-catalog=\"".len();
                let end = html[at..].find('"')?;
                Some(html[at..at + end].to_string())
            })
            .unwrap_or_else(|| "/locales/".into());
        files.extend(assets.get(&format!("{catalogs}en.json")));
        println!("{title}");
        println!(
            "  {:<42} {:>10} {:>10} {:>10}",
            "asset", "raw", "gzip", "brotli"
        );
        // What `cargo xtask build` split off (`<bin>-lazy-*.wasm`) is fetched
        // when its part of the page is first used, not to show the page:
        // listed after the total, outside the budget.
        let (later, files): (Vec<_>, Vec<_>) = files
            .into_iter()
            .partition(|a| a.path.contains("-lazy-") && a.path.ends_with(".wasm"));
        let (mut raw, mut gz, mut br) = (0, 0, 0);
        let asset_row = |a: &crate::http::assets::Asset| {
            row(
                &format!("  {}", a.path),
                a.raw.len(),
                a.gzip.len(),
                a.brotli.len(),
            )
        };
        for a in files {
            asset_row(a);
            raw += a.raw.len();
            gz += a.gzip.len();
            br += a.brotli.len();
        }
        row("  total", raw, gz, br);
        if !later.is_empty() {
            println!("  loaded on first use (each alone)");
        }
        for a in later {
            asset_row(a);
        }
        match budget {
            Some(budget) if br > budget => problems.push(format!(
                "{title}: {br} bytes brotli-compressed, over the budget of {budget}"
            )),
            Some(budget) => println!("  brotli {br} bytes, within the budget of {budget}"),
            None => {}
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(Error::invalid(problems.join("; ")))
    }
}

pub(super) fn probe(url: &str) -> Result<(), Error> {
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(std::time::Duration::from_secs(3)))
        .build()
        .into();
    match agent.get(url).call() {
        Ok(res) => {
            println!("{url}: {}", res.status());
            Ok(())
        }
        Err(e) => Err(Error::invalid(format!("{url}: {e}"))),
    }
}

pub(super) fn calibrate(rounds: u32) -> Result<(), Error> {
    let rounds = rounds.max(1);
    let phc = Arc::new(crate::domain::pass::hash_code("CALIBRATE")?);
    let time = |threads: usize| {
        let started = std::time::Instant::now();
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let phc = phc.clone();
                std::thread::spawn(move || {
                    for _ in 0..rounds {
                        crate::domain::pass::code_matches("CALIBRATE", &phc);
                    }
                })
            })
            .collect();
        for w in workers {
            let _ = w.join();
        }
        started.elapsed().as_secs_f64() * 1000.0 / f64::from(rounds)
    };
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    println!("argon2id_ms {:.2}", time(1));
    println!("argon2id_ms_all_cores {:.2}", time(cores));
    Ok(())
}
