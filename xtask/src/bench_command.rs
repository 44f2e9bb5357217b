//! `cargo xtask bench`: which benchmark, and what it needs built first.

use crate::bench::server_binary;

type Result<T = ()> = std::result::Result<T, String>;

/// `cargo xtask bench [overload | load | oidc | directory]`; the table without one.
pub fn command(which: Option<&str>) -> Result {
    match which {
        Some("overload") => {
            if !crate::pack_dir().exists() {
                crate::setup()?;
                crate::build_app()?;
                crate::size()?;
            }
            crate::build_release()?;
            let seconds = std::env::var("TAPIN_BENCH_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(30);
            crate::bench::overload(&server_binary(&crate::root()), seconds)
        }
        Some("oidc") => {
            if !crate::pack_dir().exists() {
                crate::setup()?;
                crate::build_app()?;
                crate::size()?;
            }
            crate::build_release()?;
            let seconds = std::env::var("TAPIN_BENCH_SECONDS")
                .ok()
                .and_then(|s| s.parse().ok())
                .unwrap_or(10);
            crate::bench_oidc::oidc(&server_binary(&crate::root()), seconds)
        }
        Some("directory") => {
            if !crate::pack_dir().exists() {
                crate::setup()?;
                crate::build_app()?;
                crate::size()?;
            }
            crate::build_release()?;
            let pg = crate::services::Postgres::start().ok();
            let url = match &pg {
                Some(pg) => Some(pg.database("directory")?),
                None => None,
            };
            crate::bench_directory::directory(
                &server_binary(&crate::root()),
                url.as_deref().map(|u| (u, crate::services::PG_BIN)),
            )
        }
        Some("load") => {
            crate::setup()?;
            crate::build_app()?;
            crate::size()?;
            crate::build_release()?;
            crate::bench::load(&crate::root(), &server_binary(&crate::root()), 7)
        }
        None => {
            if !crate::pack_dir().exists() {
                crate::setup()?;
                crate::build_app()?;
                crate::size()?;
            }
            crate::build_release()?;
            crate::run(
                crate::cmd("cargo")
                    .args([
                        "build",
                        "--profile",
                        "server",
                        "-p",
                        "tapin-server",
                        "--example",
                        "hello",
                    ])
                    .env("TAPIN_EMBED", crate::pack_dir()),
            )?;
            crate::step("bench: the table");
            let pg = crate::services::Postgres::start().ok();
            let url = match &pg {
                Some(pg) => Some(pg.database("bench")?),
                None => None,
            };
            crate::table::table(
                &server_binary(&crate::root()),
                &crate::root().join("target/server/examples/hello"),
                url.as_deref(),
            )
        }
        _ => Err("usage: cargo xtask bench [overload | load | oidc | directory]".into()),
    }
}
