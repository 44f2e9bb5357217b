//! Setting a machine up (the toolchain, trunk, wasm-bindgen, the npm
//! packages) and building the app's bundles.

use crate::*;

/// Installs only what is missing, so a warm machine starts in seconds.
pub(crate) fn setup() -> Result {
    step("setup: browser and test tools");
    setup_packages(APT_PACKAGES)?;
    setup_build()?;
    contract::setup(&root())
}

/// What compiling the server needs from Debian (`cargo xtask run` needs no more).
pub(crate) const BUILD_PACKAGES: &[&str] = &["libssl-dev", "pkg-config"];

/// Installs the Debian packages of `packages` that are missing.
pub(crate) fn setup_packages(packages: &[&str]) -> Result {
    let missing: Vec<&str> = packages
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
    Ok(())
}

/// What building the app needs: the wasm target, trunk, the wasm-bindgen
/// CLI matching Cargo.lock, and npm's binaryen (with the test packages).
/// On a fresh machine this is mostly compiling, so the two tools and the
/// app's WebAssembly compile side by side (trunk's own cargo build then
/// finds the WebAssembly built: the same command, the same flags).
pub(crate) fn setup_build() -> Result {
    step("setup: the app's toolchain (the app's WebAssembly compiling beside it)");
    let targets = output(cmd("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if !targets
        .lines()
        .any(|l| l.trim() == "wasm32-unknown-unknown")
    {
        run(cmd("rustup").args(["target", "add", "wasm32-unknown-unknown"]))?;
    }
    // Each bundle as trunk will build it (its binary, its flags), so
    // trunk's own cargo build finds it built. The second waits for the
    // first's lock on the target directory.
    let wasm = Background::start(
        "app-build",
        cmd("cargo")
            .args(WASM_BUILD)
            .args(["--bin", "tapin-app"])
            .env_remove("RUSTFLAGS"),
    )?;
    let erased = Background::start(
        "app-build-erased",
        cmd("cargo")
            .args(WASM_BUILD)
            .args([
                "--bin",
                "tapin-methods",
                "--bin",
                "tapin-admin",
                "--bin",
                "tapin-signin",
            ])
            .env("RUSTFLAGS", ERASED),
    )?;
    let wanted = wasm_bindgen_version()?;
    let have = output(cmd("wasm-bindgen").arg("--version")).unwrap_or_default();
    let bindgen = if have.split_whitespace().any(|w| w == wanted) {
        None
    } else {
        // No --locked: its lockfile pins a crate version the registry no
        // longer serves. No default features: its TLS client serves only
        // the test runner's downloads.
        Some(Background::start(
            "wasm-bindgen-install",
            cmd("cargo").args([
                "install",
                "wasm-bindgen-cli",
                "--version",
                &wanted,
                "--no-default-features",
            ]),
        )?)
    };
    let installed = output(cmd("cargo").args(["install", "--list"])).unwrap_or_default();
    let split = if installed.contains(&format!("wasm_split_cli_support v{}:", split::VERSION)) {
        None
    } else {
        // The same release-profile relief as trunk's: it reads and writes
        // one module in well under a second either way.
        Some(Background::start(
            "wasm-split-install",
            cmd("cargo")
                .args([
                    "install",
                    "wasm_split_cli_support",
                    "--version",
                    split::VERSION,
                    "--features",
                    "build-binary",
                ])
                .env("CARGO_PROFILE_RELEASE_LTO", "off")
                .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
                .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"),
        )?)
    };
    let trunk = output(cmd("trunk").arg("--version")).unwrap_or_default();
    let trunk = if trunk.contains(TRUNK_VERSION) {
        Ok(())
    } else {
        // No default features: the build never lets trunk download a tool
        // or check for updates, so no TLS stack is compiled. Its release
        // profile asks for fat LTO in one codegen unit, several serial
        // minutes for a tool that only runs cargo and copies files: not here.
        run(cmd("cargo")
            .args([
                "install",
                "trunk",
                "--version",
                TRUNK_VERSION,
                "--locked",
                "--no-default-features",
            ])
            .env("CARGO_PROFILE_RELEASE_LTO", "off")
            .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "16")
            .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "1"))
    };
    let bindgen = bindgen.map_or(Ok(()), Background::wait);
    let split = split.map_or(Ok(()), Background::wait);
    let wasm = wasm.wait().and(erased.wait());
    trunk.and(bindgen).and(split).and(wasm)?;
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

const WASM_BUILD: [&str; 6] = [
    "build",
    "--release",
    "--target",
    "wasm32-unknown-unknown",
    "-p",
    "tapin-app",
];

/// The lazy bundles' flags: every component returns a type-erased view
/// (Leptos's `erase_components`), so view code is not monomorphised for
/// each nesting of element types. Measured with wasm-opt -Oz, brotli:
/// security info 168.6 -> 159.2 KB, the help desk 253.2 -> 225.1 KB, the
/// sign-in page 125.5 -> 123.2 KB. Not the first load's: its few small
/// views grow with the erasing machinery (83.4 -> 86.9 KB). Cargo keeps
/// both builds of the shared crates side by side; on a cold target the
/// second costs about 50 s.
const ERASED: &str = "--cfg erase_components";

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
    run(cmd("trunk")
        .args(["build", "--release", "--offline", "--skip-version-check"])
        .env_remove("RUSTFLAGS"))?;
    sort_catalogs(&root().join("dist/locales"))?;
    split::unsplit(&root().join("dist"), "tapin-app")?;
    lazy_bundle("methods.html", "tapin-methods", "security-info")?;
    lazy_bundle("admin.html", "tapin-admin", "help-desk")?;
    lazy_bundle("signin.html", "tapin-signin", "sign-in")?;
    for bundle in BUNDLES {
        bundle_catalogs(&root().join("dist"), &bundle)?;
    }
    extract_loader(&root().join("dist/index.html"))?;
    extract_loader(&root().join("dist/methods.html"))?;
    extract_loader(&root().join("dist/admin.html"))?;
    extract_loader(&root().join("dist/signin.html"))
}

/// Builds the bundle of `page` on its own and puts its files beside the
/// first load's in `dist/` (the locales are the same in every build).
fn lazy_bundle(page: &str, bin: &str, what: &str) -> Result {
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
        .arg(&out)
        .env("RUSTFLAGS", ERASED))?;
    split::split(&out, bin)?;
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

/// A page, the WebAssembly it loads, the catalogs its sentences come from
/// (`locales/` and its bundle's own part), and where its own catalog goes
/// (the page's `data-catalog`).
struct Bundle {
    page: &'static str,
    module: &'static str,
    parts: &'static [&'static str],
    catalog: &'static str,
}

const BUNDLES: [Bundle; 4] = [
    Bundle {
        page: "index.html",
        module: "tapin-app-",
        parts: &[],
        catalog: "first",
    },
    Bundle {
        page: "methods.html",
        module: "tapin-methods-",
        parts: &[],
        catalog: "security-info",
    },
    Bundle {
        page: "admin.html",
        module: "tapin-admin-",
        parts: &["admin/"],
        catalog: "help-desk",
    },
    Bundle {
        page: "signin.html",
        module: "tapin-signin-",
        parts: &["signin/"],
        catalog: "sign-in",
    },
];

/// Each bundle's own catalogs, `dist/locales/<catalog>/<lang>.json`: only
/// the sentences its WebAssembly or its page can ask for (a key the app
/// looks up is a string literal in the module's data, so none is missed;
/// a key that merely appears inside another is kept too), in one file, so
/// a page fetches one catalog. Measured on the English catalogs, brotli:
/// the first load's 3.6 KB of every sentence down to 1.4 KB; security
/// info's 3.6 KB to 3.1 KB; the help desk's two files (7.1 KB) to one of
/// 4.6 KB; the sign-in page's two (4.8 KB) to one of 2.7 KB.
fn bundle_catalogs(dist: &Path, bundle: &Bundle) -> Result {
    let mut wasm = Vec::new();
    for (name, path) in files_in(dist)? {
        // Its main module and the split ones loaded on first use.
        if name.starts_with(bundle.module) && name.ends_with(".wasm") {
            wasm.extend(std::fs::read(&path).map_err(|e| e.to_string())?);
        }
    }
    if wasm.is_empty() {
        return Err(format!("{}'s WebAssembly is not in dist/", bundle.page));
    }
    let page = std::fs::read_to_string(dist.join(bundle.page)).map_err(|e| e.to_string())?;
    let wanted = format!("data-catalog=\"/locales/{}/\"", bundle.catalog);
    if !page.contains(&wanted) {
        return Err(format!(
            "{} does not load its own catalog: it lacks {wanted}",
            bundle.page
        ));
    }
    let out = dist.join("locales").join(bundle.catalog);
    std::fs::create_dir_all(&out).map_err(|e| e.to_string())?;
    for lang in LANGUAGES {
        let mut all = Catalog::new();
        for part in [""].iter().chain(bundle.parts) {
            let file = dist.join(format!("locales/{part}{lang}.json"));
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            let sentences: Catalog =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", file.display()))?;
            all.extend(sentences);
        }
        let own = bundle_subset(all, &wasm, &page);
        let json = serde_json::to_string(&own).map_err(|e| e.to_string())?;
        std::fs::write(out.join(format!("{lang}.json")), json).map_err(|e| e.to_string())?;
    }
    Ok(())
}

const LANGUAGES: [&str; 3] = ["en", "de", "ar"];

type Catalog = std::collections::BTreeMap<String, String>;

/// Rewrites every catalog under `dir` in key order: the app looks its
/// sentences up by binary search (`src/i18n.rs`).
fn sort_catalogs(dir: &Path) -> Result {
    for entry in std::fs::read_dir(dir).map_err(|e| e.to_string())? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.is_dir() {
            sort_catalogs(&path)?;
        } else if path.extension().is_some_and(|e| e == "json") {
            let text = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            let catalog: Catalog =
                serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
            let sorted = serde_json::to_string(&catalog).map_err(|e| e.to_string())?;
            std::fs::write(&path, sorted).map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

/// The sentences of `all` whose key the module's bytes or the page's
/// `data-i18n`/`data-i18n-label` attributes hold.
fn bundle_subset(all: Catalog, wasm: &[u8], page: &str) -> Catalog {
    let in_module = |key: &str| wasm.windows(key.len()).any(|w| w == key.as_bytes());
    let on_page = |key: &str| {
        page.contains(&format!("data-i18n=\"{key}\""))
            || page.contains(&format!("data-i18n-label=\"{key}\""))
    };
    all.into_iter()
        .filter(|(key, _)| on_page(key) || in_module(key))
        .collect()
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

/// The files directly in `dir` (not its folders), by name.
pub(crate) fn files_in(dir: &Path) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if let (false, Some(name)) = (path.is_dir(), path.file_name().and_then(|n| n.to_str())) {
            files.push((name.to_string(), path.clone()));
        }
    }
    files.sort();
    Ok(files)
}

pub(crate) fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf29ce484222325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x100000001b3)
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_bundle_catalog_keeps_what_the_module_or_page_asks_for() {
        let all: super::Catalog = serde_json::from_str(
            r#"{"NEXT":"Next","PASS_LABEL":"Pass","BOOT_LOADING":"Loading","PROGRESS":"Progress","MFA_ADD":"Add"}"#,
        )
        .unwrap();
        let wasm = b"\0asm..PASS_LABELNEXT_STEP..";
        let page = r#"<p data-i18n="BOOT_LOADING"></p><nav data-i18n-label="PROGRESS">"#;
        let first = super::bundle_subset(all, wasm, page);
        let keys: Vec<&str> = first.keys().map(String::as_str).collect();
        assert_eq!(keys, ["BOOT_LOADING", "NEXT", "PASS_LABEL", "PROGRESS"]);
    }
}
