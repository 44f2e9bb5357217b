//! The user's language: picked once per page from `?lng=xx`, then the
//! language chosen earlier in this tab, then the browser's preferences.
//! Every sentence comes from `locales/<lang>.json`, and only the chosen
//! language's file is downloaded (the page's own script starts that download
//! before the app arrives). The lint in `cargo xtask test` keeps every file
//! complete; a key that is missing anyway shows as itself.

use std::collections::HashMap;
use std::sync::OnceLock;

/// The languages tapin speaks; the first is the fallback.
pub const LANGUAGES: [&str; 3] = ["en", "de", "ar"];
const STORAGE_KEY: &str = "tapin.lng";

type Catalog = HashMap<String, &'static str>;

struct Chosen {
    lang: &'static str,
    /// The browser's own tag for that language (`en-GB`, `de-AT`), for dates.
    locale: String,
    strings: Catalog,
}

static CHOSEN: OnceLock<Chosen> = OnceLock::new();

fn parse(text: &str) -> Catalog {
    let map: HashMap<String, String> = serde_json::from_str(text).unwrap_or_default();
    map.into_iter()
        .map(|(k, v)| (k, &*Box::leak(v.into_boxed_str())))
        .collect()
}

/// The catalog's text: from the download the page's script started
/// (`window.tapinCatalog = {lang, text}`), or fetched here.
async fn catalog_text(lang: &str) -> Option<String> {
    use wasm_bindgen::JsCast;
    let window = web_sys::window()?;
    let started = js_sys::Reflect::get(&window, &"tapinCatalog".into()).ok();
    let same_lang = started
        .as_ref()
        .and_then(|s| js_sys::Reflect::get(s, &"lang".into()).ok())
        .and_then(|l| l.as_string())
        .is_some_and(|l| l == lang);
    if same_lang {
        let promise = started
            .and_then(|s| js_sys::Reflect::get(&s, &"text".into()).ok())
            .and_then(|p| p.dyn_into::<js_sys::Promise>().ok());
        if let Some(promise) = promise {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(promise).await {
                if let Some(text) = text.as_string() {
                    return Some(text);
                }
            }
        }
    }
    let res = gloo_net::http::Request::get(&format!("/locales/{lang}.json"))
        .send()
        .await
        .ok()?;
    res.text().await.ok()
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

/// Picks the language, loads its sentences and mirrors the page for
/// right-to-left ones.
pub async fn init() {
    init_with(None).await
}

/// As `init`, with a bundle's own sentences too (`locales/<part>/<lang>.json`),
/// so the first load never carries them.
pub async fn init_with(part: Option<&str>) {
    let lang = from_page();
    let mut strings = parse(&catalog_text(lang).await.unwrap_or_default());
    if let Some(part) = part {
        let url = format!("/locales/{part}/{lang}.json");
        if let Ok(res) = gloo_net::http::Request::get(&url).send().await {
            strings.extend(parse(&res.text().await.unwrap_or_default()));
        }
    }
    let browser: Vec<String> = web_sys::window()
        .map(|w| {
            w.navigator()
                .languages()
                .iter()
                .filter_map(|v| v.as_string())
                .collect()
        })
        .unwrap_or_default();
    let _ = CHOSEN.set(Chosen {
        lang,
        locale: regional(lang, &browser),
        strings,
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

/// The chosen language's tag.
pub fn lang() -> &'static str {
    CHOSEN.get().map_or(LANGUAGES[0], |c| c.lang)
}

/// The browser's first tag in `lang` (`en-GB` for English in Britain), so
/// dates follow the region too; `lang` itself when the browser has none.
pub fn regional(lang: &str, browser: &[String]) -> String {
    browser
        .iter()
        .find(|tag| supported(tag) == Some(lang) && tag.len() > lang.len())
        .cloned()
        .unwrap_or_else(|| lang.to_string())
}

/// The locale dates and numbers are written in.
pub fn locale() -> &'static str {
    CHOSEN.get().map_or(LANGUAGES[0], |c| c.locale.as_str())
}

/// The sentence for `key` in the user's language.
pub fn t(key: &'static str) -> &'static str {
    let Some(chosen) = CHOSEN.get() else {
        return key;
    };
    chosen.strings.get(key).copied().unwrap_or(key)
}

/// `t(key)` with each `{name}` replaced by its value.
pub fn tf(key: &'static str, args: &[(&str, &str)]) -> String {
    args.iter().fold(t(key).to_string(), |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}
