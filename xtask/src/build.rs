//! Setting a machine up (the toolchain, trunk, wasm-bindgen, the npm
//! packages) and building the app's bundles.

use crate::*;

/// Installs only what is missing, so a warm machine starts in seconds.
pub(crate) fn setup() -> Result {
    step("setup: browser and test tools");
    let missing: Vec<&str> = APT_PACKAGES
        .iter()
        .copied()
        .filter(|p| {
            output(cmd("dpkg-query").args(["-W", "-f=${Status}", p]))
                .is_none_or(|s| !s.contains("install ok installed"))
        })
        .collect();
    if !missing.is_empty() {
        run(cmd("apt-get").arg("update"))?;
        run(cmd("apt-get")
            .args(["install", "-y", "--no-install-recommends"])
            .args(&missing))?;
    }
    setup_build()?;
    contract::setup(&root())
}

/// What building the app needs: the wasm target, trunk, the wasm-bindgen
/// CLI matching Cargo.lock, and npm's binaryen (with the test packages).
pub(crate) fn setup_build() -> Result {
    step("setup: the app's toolchain");
    let targets = output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    let trunk = output(cmd("trunk").arg("--version")).unwrap_or_default();
    if !trunk.contains(TRUNK_VERSION) {
        run(cmd("cargo").args(["install", "trunk", "--version", TRUNK_VERSION, "--locked"]))?;
    }
    let wanted = wasm_bindgen_version()?;
    let have = output(cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    if !have.split_whitespace().any(|w| w == wanted) {
        // No --locked: its lockfile pins a crate version the registry no longer serves.
        run(cmd("cargo").args(["install", "wasm-bindgen-cli", "--version", &wanted]))?;
    }
    let e2e = root().join("tests/e2e");
    let modified = |p: PathBuf| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let installed = modified(e2e.join("node_modules/.package-lock.json"));
    // Reinstall when the lockfile is newer than what npm last installed.
    if installed.is_none() || modified(e2e.join("package-lock.json")) > installed {
        run(cmd("npm")
            .args(["ci", "--no-audit", "--no-fund"])
            .current_dir(&e2e))?;
    }
    Ok(())
}

fn wasm_bindgen_version() -> Result<String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|e| e.to_string())?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line == "name = \"wasm-bindgen\"" {
            if let Some(v) = lines.next().and_then(|l| l.strip_prefix("version = \"")) {
                return Ok(v.trim_end_matches('"').to_string());
            }
        }
    }
    Err("wasm-bindgen is not in Cargo.lock".into())
}

/// Builds the app in release mode and moves trunk's inline loader into a
/// file, so the page runs under script-src 'self' with no inline script.
/// Builds both bundles: `index.html` (the first load: account and pass)
/// into `dist/`, and `methods.html` (security info, passkey sign-in) beside
/// it. Each page's inline loader becomes a file, so the CSP needs no inline script.
pub(crate) fn build_app() -> Result {
    step("build: the web app (release), first-load bundle");
    run(cmd("trunk").args(["build", "--release", "--offline", "--skip-version-check"]))?;
    lazy_bundle("methods.html", "security-info")?;
    lazy_bundle("admin.html", "help-desk")?;
    lazy_bundle("signin.html", "sign-in")?;
    extract_loader(&root().join("dist/index.html"))?;
    extract_loader(&root().join("dist/methods.html"))?;
    extract_loader(&root().join("dist/admin.html"))?;
    extract_loader(&root().join("dist/signin.html"))
}

/// Builds the bundle of `page` on its own and puts its files beside the
/// first load's in `dist/` (the locales are the same in every build).
fn lazy_bundle(page: &str, what: &str) -> Result {
    step(&format!("build: the web app (release), {what} bundle"));
    let out = root().join(format!("target/dist-{}", page.trim_end_matches(".html")));
    run(cmd("trunk")
        .args([
            "build",
            "--release",
            "--offline",
            "--skip-version-check",
            page,
            "--dist",
        ])
        .arg(&out))?;
    let dist = root().join("dist");
    for entry in std::fs::read_dir(&out).map_err(|e| e.to_string())? {
        let entry = entry.map_err(|e| e.to_string())?;
        let name = entry
            .file_name()
            .into_string()
            .map_err(|_| "odd file name")?;
        if entry.path().is_dir() {
            continue;
        }
        let to = if name.ends_with(".html") {
            page.to_string()
        } else {
            name
        };
        std::fs::copy(entry.path(), dist.join(to)).map_err(|e| e.to_string())?;
    }
    Ok(())
}

fn extract_loader(page: &std::path::Path) -> Result {
    let html = std::fs::read_to_string(page).map_err(|e| e.to_string())?;
    let open = "<script type=\"module\">";
    let Some(start) = html.find(open) else {
        return Ok(());
    };
    let body_start = start + open.len();
    let end = body_start
        + html[body_start..]
            .find("</script>")
            .ok_or("unterminated loader script")?;
    let script = html[body_start..end].trim().to_string() + "\n";
    let name = format!("start-{:016x}.js", fnv1a(script.as_bytes()));
    std::fs::write(root().join("dist").join(&name), script).map_err(|e| e.to_string())?;
    let html = format!(
        "{}<script type=\"module\" src=\"/{name}\"></script>{}",
        &html[..start],
        &html[end + "</script>".len()..]
    );
    std::fs::write(page, html).map_err(|e| e.to_string())
}

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}
