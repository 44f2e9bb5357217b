//! `cargo xtask mutants`: cargo-mutants over the rules that matter most
//! (the shared validation, the strength rule, single-use passes, the method
//! limit), each group against the tests that claim to hold it. On demand,
//! not in the test command: it builds once per mutant.
//!
//! A mutant is *caught* when a test fails with it in place, *missed* when
//! every test still passes (a rule no test holds), *unviable* when it does
//! not compile. The summary prints each group's counts and every missed
//! mutant; `target/mutants/GROUP/mutants.out` keeps the logs.

use crate::*;

pub const CARGO_MUTANTS_VERSION: &str = "27.1.0";

struct Group {
    name: &'static str,
    package: &'static str,
    file: &'static str,
    /// Only mutants whose name matches (function names), if any.
    only: Option<&'static str>,
    /// The package whose tests judge the mutants, and which of its tests.
    tests: (&'static str, &'static [&'static str]),
}

const GROUPS: &[Group] = &[
    Group {
        name: "validation",
        package: "tapin-api",
        file: "crates/api/src/validate.rs",
        only: None,
        tests: ("tapin-api", &[]),
    },
    Group {
        name: "strength",
        package: "tapin-server",
        file: "crates/server/src/domain/strength.rs",
        only: None,
        tests: ("tapin-server", &["--lib", "--test=strength"]),
    },
    Group {
        name: "single-use",
        package: "tapin-server",
        file: "crates/server/src/domain/pass.rs",
        only: Some("usability|expires_at"),
        tests: ("tapin-server", &["--lib", "--test=pass_lifecycle"]),
    },
    Group {
        name: "limits",
        package: "tapin-server",
        file: "crates/server/src/domain/selfservice/mod.rs",
        only: Some("check_limit"),
        tests: ("tapin-server", &["--test=registration"]),
    },
    Group {
        name: "limits-shared",
        package: "tapin-api",
        file: "crates/api/src/wire.rs",
        only: Some("limit|shares_limit_with|is_passwordless"),
        tests: ("tapin-api", &[]),
    },
];

fn install() -> Result {
    let have = output(cmd("cargo").args(["mutants", "--version"])).unwrap_or_default();
    if have.contains(CARGO_MUTANTS_VERSION) {
        return Ok(());
    }
    run(cmd("cargo").args([
        "install",
        "cargo-mutants",
        "--version",
        CARGO_MUTANTS_VERSION,
        "--locked",
    ]))
}

/// Runs every group (or the one named) and prints the summary; fails when
/// a mutant was missed.
pub fn mutants(only: Option<&str>) -> Result {
    install()?;
    let out = root().join("target/mutants");
    let mut summary = Vec::new();
    for g in GROUPS.iter().filter(|g| only.is_none_or(|o| o == g.name)) {
        step(&format!("mutants: {} ({})", g.name, g.file));
        let dir = out.join(g.name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut c = cmd("cargo");
        c.args([
            "mutants",
            "--no-shuffle",
            "--package",
            g.package,
            "--file",
            g.file,
        ])
        .arg("--output")
        .arg(&dir)
        .args(["--test-package", g.tests.0])
        // The test command shows the unmutated tree passes; each test run
        // here takes seconds, so 4 minutes means it hung.
        .args(["--baseline=skip", "--timeout=240"])
        // The checkout's target folder, warm: the copy cargo-mutants builds
        // lives at another path, so its crates are artifacts of their own
        // there and the checkout's build is left as it was.
        .env("CARGO_TARGET_DIR", root().join("target"));
        if let Some(re) = g.only {
            c.args(["--re", re]);
        }
        for arg in g.tests.1 {
            c.arg(format!("--cargo-test-arg={arg}"));
        }
        // cargo-mutants exits non-zero when it missed one; the summary says.
        let _ = run(&mut c);
        summary.push((g.name, read_outcomes(&dir.join("mutants.out"))?));
    }
    eprintln!("\n== mutants: caught / missed / unviable / timeout");
    let mut missed_any = false;
    for (name, o) in &summary {
        eprintln!(
            "{name:>14}: {:>3} caught, {:>3} missed, {:>3} unviable, {:>3} timeout",
            o.caught,
            o.missed.len(),
            o.unviable,
            o.timeout
        );
        for m in &o.missed {
            eprintln!("{:>16}missed: {m}", "");
        }
        missed_any |= !o.missed.is_empty();
    }
    if missed_any {
        Err("some mutants were missed: a rule no test holds".into())
    } else {
        Ok(())
    }
}

#[derive(Default)]
struct Outcomes {
    caught: usize,
    missed: Vec<String>,
    unviable: usize,
    timeout: usize,
}

fn read_outcomes(dir: &std::path::Path) -> Result<Outcomes> {
    let read = |f: &str| std::fs::read_to_string(dir.join(f)).unwrap_or_default();
    let lines = |f: &str| {
        read(f)
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    if !dir.join("outcomes.json").exists() {
        return Err(format!(
            "cargo-mutants wrote no outcomes in {}",
            dir.display()
        ));
    }
    Ok(Outcomes {
        caught: lines("caught.txt").len(),
        missed: lines("missed.txt"),
        unviable: lines("unviable.txt").len(),
        timeout: lines("timeout.txt").len(),
    })
}
