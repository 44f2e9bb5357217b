//! The translation lint: every locale file has the same keys and no empty
//! sentence; every key the app or the boot page uses exists; and no
//! user-facing sentence is written into the app's code instead of
//! `locales/*.json`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

type Catalog = BTreeMap<String, String>;

fn read_catalog(path: &Path) -> Result<Catalog, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The contents of the string literals on a line (escapes left as written).
fn literals(line: &str) -> Vec<String> {
    let mut found = Vec::new();
    let mut chars = line.chars().peekable();
    let mut current: Option<String> = None;
    while let Some(c) = chars.next() {
        match (&mut current, c) {
            (None, '/') if chars.peek() == Some(&'/') => break,
            (None, '\'') => {
                // A char literal such as '"' is not the start of a string.
                let rest: String = chars.clone().take(3).collect();
                if rest.starts_with("\"'") || rest.starts_with("\\\"'") {
                    chars.nth(rest.find('\'').unwrap_or(0));
                }
            }
            (None, '"') => current = Some(String::new()),
            (Some(s), '\\') => {
                s.push('\\');
                if let Some(n) = chars.next() {
                    s.push(n);
                }
            }
            (Some(s), '"') => {
                found.push(std::mem::take(s));
                current = None;
            }
            (Some(s), c) => s.push(c),
            _ => {}
        }
    }
    found
}

/// Prose as people read it: a capitalised word alone, words with a capital
/// letter, a sentence's end, or four words or more apart. Class lists, ids and
/// attribute values (`error banner`, `one-time-code`) are none of these.
fn looks_like_prose(s: &str) -> bool {
    let words: Vec<&str> = s
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| w.chars().count() >= 2)
        .collect();
    if words.is_empty() {
        return false;
    }
    let spaced = s.trim().contains(' ');
    let capital = s.chars().any(char::is_uppercase);
    let capitalised_word = words.len() == 1
        && s.trim() == words[0]
        && words[0].chars().next().is_some_and(char::is_uppercase)
        && words[0].chars().skip(1).all(char::is_lowercase);
    let sentence_end = spaced && s.trim_end().ends_with(['.', '?', '!', '\u{2026}', ':']);
    capitalised_word
        || (spaced && capital)
        || sentence_end
        || s.split_whitespace()
            .filter(|w| w.chars().filter(|c| c.is_alphabetic()).count() >= 2)
            .count()
            >= 4
}

/// The catalogs: `locales/` for every page, `locales/admin/` for the help
/// desk's bundle and `locales/signin/` for the sign-in page's, each alone
/// (so the first load never carries their sentences).
const PARTS: [&str; 3] = ["", "admin/", "signin/"];

pub fn lint(root: &Path) -> Result<(), String> {
    let mut problems = Vec::new();
    let locales = root.join("locales");
    // Every key of every part, in English: what the app may use.
    let mut en = Catalog::new();
    let mut catalogs = Vec::new();
    for part in PARTS {
        let part_en = read_catalog(&locales.join(format!("{part}en.json")))?;
        for k in part_en.keys() {
            if en.contains_key(k) {
                problems.push(format!("{k} is in more than one catalog"));
            }
        }
        en.extend(part_en.clone());
        for lang in ["en", "de", "ar"] {
            let file = format!("locales/{part}{lang}.json");
            let catalog = read_catalog(&root.join(&file))?;
            let keys: BTreeSet<_> = catalog.keys().collect();
            let en_keys: BTreeSet<_> = part_en.keys().collect();
            for k in en_keys.difference(&keys) {
                problems.push(format!("{file} lacks {k}"));
            }
            for k in keys.difference(&en_keys) {
                problems.push(format!("{file} has {k}, which the English one does not"));
            }
            for (k, v) in &catalog {
                if v.trim().is_empty() {
                    problems.push(format!("{file}: {k} is empty"));
                }
            }
            catalogs.push(file);
        }
    }

    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    let mut used = BTreeSet::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        let name = file
            .strip_prefix(root)
            .unwrap_or(file)
            .display()
            .to_string();
        let is_catalog_code = name.ends_with("text.rs") || name.ends_with("i18n.rs");
        if name.ends_with("text.rs") {
            // The keys: ALL_CAPS string literals and the plain sentences list.
            if let Some(list) = text.split("sentences!(").nth(1) {
                let list = list.split(')').next().unwrap_or_default();
                used.extend(
                    list.split(',')
                        .map(|k| k.trim().to_string())
                        .filter(|k| !k.is_empty()),
                );
            }
        }
        for (n, line) in text.lines().enumerate() {
            let trimmed = line.trim_start();
            if trimmed.starts_with("//") || trimmed.starts_with("#[") {
                continue;
            }
            for lit in literals(line) {
                let is_key = !lit.is_empty()
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                    && lit.chars().next().is_some_and(|c| c.is_ascii_uppercase());
                if is_catalog_code && is_key {
                    used.insert(lit.clone());
                } else if !is_catalog_code && looks_like_prose(&lit) {
                    problems.push(format!(
                        "{name}:{}: user-facing text belongs in locales/*.json: \"{lit}\"",
                        n + 1
                    ));
                }
            }
        }
    }
    // The server writes a few pages itself (`http/pages.rs`) from the
    // sign-in catalogs: its ALL_CAPS literals are keys too.
    let mut server = Vec::new();
    rust_files(&root.join("crates/server/src"), &mut server);
    for file in &server {
        let text = std::fs::read_to_string(file).map_err(|e| e.to_string())?;
        for line in text.lines() {
            for lit in literals(line) {
                if lit.starts_with("SGN_")
                    && lit
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
                {
                    used.insert(lit);
                }
            }
        }
    }
    for page in ["index.html", "methods.html", "admin.html", "signin.html"] {
        let html = std::fs::read_to_string(root.join(page)).map_err(|e| e.to_string())?;
        for part in html.split("data-i18n=\"").skip(1) {
            used.insert(part.split('"').next().unwrap_or_default().to_string());
        }
    }
    for key in &used {
        if !en.contains_key(key) {
            problems.push(format!(
                "the key {key} is used but no English catalog has it"
            ));
        }
    }
    let unused: Vec<_> = en.keys().filter(|k| !used.contains(*k)).collect();
    for k in &unused {
        problems.push(format!("{k} is in a catalog, but nothing uses it"));
    }
    if problems.is_empty() {
        println!(
            "translations: {} keys in {} catalog files, {} Rust files checked, no hard-coded sentences",
            en.len(),
            catalogs.len(),
            files.len()
        );
        Ok(())
    } else {
        Err(format!("translation lint:\n  {}", problems.join("\n  ")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_sentences_but_not_identifiers() {
        assert!(looks_like_prose("Sign in again"));
        assert!(looks_like_prose("Cancel"));
        assert!(!looks_like_prose("primary"));
        assert!(!looks_like_prose("one-time-code"));
        assert!(!looks_like_prose("m-{}-name"));
        assert!(!looks_like_prose("/api/v1/methods/{id}"));
        assert!(!looks_like_prose("error banner"));
        assert!(!looks_like_prose("0 0 {side} {side}"));
        assert!(looks_like_prose("that is not right."));
        assert_eq!(
            literals(r#"view! { <p class="hint">{"Hello there"}</p> } // "x y""#),
            vec!["hint", "Hello there"]
        );
    }
}
