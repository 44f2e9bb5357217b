//! The user's language: picked once per page from `?lng=xx`, then the
//! language chosen earlier in this tab, then the browser's preferences.
//! Every sentence comes from `locales/<lang>.json`; a key missing from a
//! translation falls back to English (the lint in `cargo xtask test` keeps
//! the files complete, so that is a safety net, not a plan).

use std::collections::HashMap;
use std::sync::OnceLock;

/// The languages tapin speaks; the first is the fallback.
pub const LANGUAGES: [&str; 3] = ["en", "de", "ar"];
const FILES: [&str; 3] = [
    include_str!("../locales/en.json"),
    include_str!("../locales/de.json"),
    include_str!("../locales/ar.json"),
];
const STORAGE_KEY: &str = "tapin.lng";

type Catalog = HashMap<String, &'static str>;

struct Chosen {
    lang: &'static str,
    strings: Catalog,
    fallback: Catalog,
}

static CHOSEN: OnceLock<Chosen> = OnceLock::new();

fn parse(index: usize) -> Catalog {
    let map: HashMap<String, String> = serde_json::from_str(FILES[index]).unwrap_or_default();
    map.into_iter()
        .map(|(k, v)| (k, &*Box::leak(v.into_boxed_str())))
        .collect()
}

/// The supported language for a requested tag (`de-AT` → `de`), if any.
pub fn supported(tag: &str) -> Option<&'static str> {
    let primary = tag.split(['-', '_']).next()?.trim().to_ascii_lowercase();
    LANGUAGES.into_iter().find(|l| *l == primary)
}

/// `?lng=`, then the earlier choice, then the browser's languages in order.
pub fn choose(query: Option<&str>, earlier: Option<&str>, browser: &[String]) -> &'static str {
    query
        .and_then(supported)
        .or_else(|| earlier.and_then(supported))
        .or_else(|| browser.iter().find_map(|b| supported(b)))
        .unwrap_or(LANGUAGES[0])
}

fn from_page() -> &'static str {
    let Some(window) = web_sys::window() else {
        return LANGUAGES[0];
    };
    let query = window.location().search().ok().and_then(|s| {
        s.trim_start_matches('?')
            .split('&')
            .find_map(|p| p.strip_prefix("lng=").map(str::to_string))
    });
    let storage = window.session_storage().ok().flatten();
    let earlier = storage
        .as_ref()
        .and_then(|s| s.get_item(STORAGE_KEY).ok().flatten());
    let browser: Vec<String> = window
        .navigator()
        .languages()
        .iter()
        .filter_map(|v| v.as_string())
        .collect();
    let lang = choose(query.as_deref(), earlier.as_deref(), &browser);
    if let Some(s) = storage {
        let _ = s.set_item(STORAGE_KEY, lang);
    }
    lang
}

/// Picks the language and mirrors the page for right-to-left ones.
pub fn init() {
    let lang = from_page();
    let index = LANGUAGES.iter().position(|l| *l == lang).unwrap_or(0);
    let _ = CHOSEN.set(Chosen {
        lang,
        strings: parse(index),
        fallback: if index == 0 { HashMap::new() } else { parse(0) },
    });
    if let Some(html) = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.document_element())
    {
        let _ = html.set_attribute("lang", lang);
        let _ = html.set_attribute("dir", if is_rtl(lang) { "rtl" } else { "ltr" });
    }
}

pub fn is_rtl(lang: &str) -> bool {
    lang == "ar"
}

/// The chosen language's tag, for dates and numbers.
pub fn lang() -> &'static str {
    CHOSEN.get().map_or(LANGUAGES[0], |c| c.lang)
}

/// The sentence for `key` in the user's language.
pub fn t(key: &'static str) -> &'static str {
    let Some(chosen) = CHOSEN.get() else {
        return key;
    };
    chosen
        .strings
        .get(key)
        .or_else(|| chosen.fallback.get(key))
        .copied()
        .unwrap_or(key)
}

/// `t(key)` with each `{name}` replaced by its value.
pub fn tf(key: &'static str, args: &[(&str, &str)]) -> String {
    args.iter().fold(t(key).to_string(), |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}
