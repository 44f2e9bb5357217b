//! Cutting a lazy bundle's WebAssembly at its `#[wasm_split]` functions
//! (`src/later.rs`, `src/bin/`) into the main module and modules fetched on
//! first use, after trunk has built the bundle.

use crate::build::{files_in, fnv1a};
use crate::*;

/// wasm-split's command-line tool, which cuts a lazy bundle's WebAssembly
/// at its `#[wasm_split]` functions (the runtime half is Leptos's
/// `wasm_split_helpers`, in Cargo.lock).
pub(crate) const VERSION: &str = "0.2.4";

/// The first load is not split (its bin has no relocations to split by):
/// a `#[wasm_split]` function reachable from it would leave its module
/// importing a loader nobody wrote, and the page blank.
pub(crate) fn unsplit(dist: &Path, bin: &str) -> Result {
    for (name, path) in files_in(dist)? {
        if name.starts_with(&format!("{bin}-")) && name.ends_with(".js") {
            let glue = std::fs::read_to_string(&path).map_err(|e| e.to_string())?;
            if glue.contains("__wasm_split") {
                return Err(format!(
                    "{name} reaches a #[wasm_split] function: the first load must not"
                ));
            }
        }
    }
    Ok(())
}

/// Replaces trunk's module for `bin` in `out` by the same code split at its
/// `#[wasm_split]` functions: wasm-split cuts the linked WebAssembly (built
/// with its relocations, `build.rs`) into the main module and one module per
/// split (plus chunks they share), and a loader that fetches one on its first
/// call; wasm-bindgen and wasm-opt then do to the main module what trunk did,
/// keeping the exports the split modules link to. The split modules are
/// named `<bin>-lazy-<split>-<hash>.wasm` (the size report counts them as
/// loaded on first use), the loader `<bin>-split-<hash>.js`, and the page's
/// integrity hashes are those of the new files.
pub(crate) fn split(out: &Path, bin: &str) -> Result {
    let files = |dir: &Path| -> Result<Vec<String>> {
        Ok(files_in(dir)?.into_iter().map(|(name, _)| name).collect())
    };
    let stem = files(out)?
        .into_iter()
        .find(|n| n.starts_with(&format!("{bin}-")) && n.ends_with(".js"))
        .ok_or(format!("trunk wrote no {bin}-*.js into {}", out.display()))?
        .trim_end_matches(".js")
        .to_string();
    let work = root().join("target/split").join(bin);
    let _ = std::fs::remove_dir_all(&work);
    let cut = work.join("cut");
    let input = root().join(format!("target/wasm32-unknown-unknown/release/{bin}.wasm"));
    run(cmd("wasm-split-cli").arg(&input).arg(&cut).args([
        "--target",
        "web",
        "--out-name",
        &stem,
    ]))?;
    let bound = work.join("bound");
    run(cmd("wasm-bindgen")
        .arg(cut.join(format!("{stem}.wasm")))
        .args(["--target", "web", "--keep-lld-exports", "--no-typescript"])
        .arg("--out-name")
        .arg(&stem)
        .arg("--out-dir")
        .arg(&bound))?;
    let wasm_opt = |from: &Path, to: &Path| {
        run(cmd("wasm-opt")
            .arg("-Oz")
            .arg(format!("--output={}", to.display()))
            .arg(from))
    };
    let read = |p: &Path| std::fs::read_to_string(p).map_err(|e| format!("{}: {e}", p.display()));
    let write = |p: &Path, bytes: &[u8]| {
        std::fs::write(p, bytes).map_err(|e| format!("{}: {e}", p.display()))
    };
    let mut loader = read(&cut.join("__wasm_split.js"))?;
    for name in files(&cut)? {
        let Some(split) = name.strip_suffix(".wasm").filter(|s| *s != stem) else {
            continue;
        };
        let optimised = work.join(&name);
        wasm_opt(&cut.join(&name), &optimised)?;
        let bytes = std::fs::read(&optimised).map_err(|e| e.to_string())?;
        let hashed = format!("{bin}-lazy-{split}-{:016x}.wasm", fnv1a(&bytes));
        write(&out.join(&hashed), &bytes)?;
        let from = format!("\"./{name}\"");
        if !loader.contains(&from) {
            return Err(format!("wasm-split's loader does not fetch {name}"));
        }
        loader = loader.replace(&from, &format!("\"./{hashed}\""));
    }
    let loader_name = format!("{bin}-split-{:016x}.js", fnv1a(loader.as_bytes()));
    write(&out.join(&loader_name), loader.as_bytes())?;
    // Only the import names the file: the WebAssembly's import module stays
    // "./__wasm_split.js", the key the bindings hand its imports under.
    let glue = read(&bound.join(format!("{stem}.js")))?;
    let import = "from \"./__wasm_split.js\"";
    if !glue.contains(import) {
        return Err(format!(
            "{bin} has no #[wasm_split] function: build it unsplit"
        ));
    }
    let glue = glue.replace(import, &format!("from \"./{loader_name}\""));
    write(&out.join(format!("{stem}.js")), glue.as_bytes())?;
    wasm_opt(
        &bound.join(format!("{stem}_bg.wasm")),
        &out.join(format!("{stem}_bg.wasm")),
    )?;
    // trunk names its page index.html, whatever the source's name.
    let html = out.join("index.html");
    let mut text = read(&html)?;
    for file in [format!("{stem}.js"), format!("{stem}_bg.wasm")] {
        let bytes = std::fs::read(out.join(&file)).map_err(|e| e.to_string())?;
        text = with_integrity(&text, &file, &bytes)?;
    }
    write(&html, text.as_bytes())
}

/// `html` with the `integrity` of the tag that links `/<file>` set to the
/// SHA-384 of `bytes`.
fn with_integrity(html: &str, file: &str, bytes: &[u8]) -> Result<String> {
    use base64::Engine as _;
    use sha2::Digest as _;
    let href = format!("href=\"/{file}\"");
    let at = html
        .find(&href)
        .ok_or(format!("the page does not link /{file}"))?;
    let tag_end = at + html[at..].find('>').ok_or("unterminated tag")?;
    let attr = "integrity=\"sha384-";
    let Some(start) = html[at..tag_end].find(attr).map(|i| at + i + attr.len()) else {
        return Ok(html.to_string());
    };
    let end = start + html[start..].find('"').ok_or("unterminated integrity")?;
    let digest = base64::engine::general_purpose::STANDARD.encode(sha2::Sha384::digest(bytes));
    Ok(format!("{}{digest}{}", &html[..start], &html[end..]))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_split_module_gets_the_integrity_of_its_new_bytes_and_no_other_tag_changes() {
        let page = r#"<link rel="modulepreload" href="/a-1.js" integrity="sha384-OLDJS"><link rel="preload" href="/a-1_bg.wasm" integrity="sha384-OLDWASM" as="fetch">"#;
        let page = super::with_integrity(page, "a-1_bg.wasm", b"abc").unwrap();
        // SHA-384 of "abc", base64.
        let abc = "ywB1P0WjXou1oD1pmsZQBycsMqsO3tFjGotgWkP/W+2AhgcroefMI1i67KE0yCWn";
        assert_eq!(
            page,
            format!(
                r#"<link rel="modulepreload" href="/a-1.js" integrity="sha384-OLDJS"><link rel="preload" href="/a-1_bg.wasm" integrity="sha384-{abc}" as="fetch">"#
            )
        );
        assert!(
            super::with_integrity(&page, "b.js", b"").is_err(),
            "a file the page does not link"
        );
    }
}
