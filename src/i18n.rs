//! The user's language: picked once per page from `?lng=xx`, then the
//! language chosen earlier in this tab, then the browser's preferences.
//! Every sentence comes from `locales/<lang>.json` (and the help desk's and
//! sign-in page's own `locales/<part>/`), served to each page as one catalog
//! of its bundle's sentences; only the chosen language's is downloaded (the
//! page's own script starts that download before the app arrives). The
//! lint in `cargo xtask test` keeps every file complete; a key that is
//! missing anyway shows as itself.

use std::sync::OnceLock;

/// The languages tapin speaks; the first is the fallback.
pub const LANGUAGES: [&str; 3] = ["en", "de", "ar"];
const STORAGE_KEY: &str = "tapin.lng";

/// Keys and sentences, sorted by key (`cargo xtask build` writes every
/// catalog sorted): a lookup among a few hundred keys is as quick as a hash
/// map's, in less code (measured: 0.4 KB brotli less in the first load,
/// whose framework keeps a hash map of its own, and 1.5 KB less again for
/// not sorting here).
type Catalog = Vec<(&'static str, &'static str)>;

struct Chosen {
    lang: &'static str,
    /// The browser's own tag for that language (`en-GB`, `de-AT`), for dates.
    locale: String,
    /// The page's own sentences (`cargo xtask build` writes one catalog per
    /// page, of the keys its bundle asks for).
    catalog: Catalog,
}

static CHOSEN: OnceLock<Chosen> = OnceLock::new();

/// A catalog file's `{"KEY": "sentence", ...}`, in file order.
struct Pairs(Catalog);

impl<'de> serde::Deserialize<'de> for Pairs {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Entries;
        impl<'de> serde::de::Visitor<'de> for Entries {
            type Value = Pairs;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object of sentences")
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(self, mut m: M) -> Result<Pairs, M::Error> {
                let leak = |s: String| &*Box::leak(s.into_boxed_str());
                let mut pairs = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, String>()? {
                    pairs.push((leak(k), leak(v)));
                }
                Ok(Pairs(pairs))
            }
        }
        d.deserialize_map(Entries)
    }
}

fn parse(text: &str) -> Catalog {
    serde_json::from_str(text).map_or_else(|_| Vec::new(), |Pairs(p)| p)
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
    // Each page has a catalog of its bundle's sentences only (the page's
    // `data-catalog`, built by `cargo xtask build`); without one, every sentence.
    let catalogs = window
        .document()
        .and_then(|d| d.document_element())
        .and_then(|html| html.get_attribute("data-catalog"))
        .unwrap_or_else(|| "/locales/".into());
    let res = crate::http::Request::get(&format!("{catalogs}{lang}.json"))
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
    let lang = from_page();
    let catalog = parse(&catalog_text(lang).await.unwrap_or_default());
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
        catalog,
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
    let c = &chosen.catalog;
    c.binary_search_by(|(k, _)| (*k).cmp(key))
        .map_or(key, |i| c[i].1)
}

/// `t(key)` with each `{name}` replaced by its value.
pub fn tf(key: &'static str, args: &[(&str, &str)]) -> String {
    args.iter().fold(t(key).to_string(), |s, (name, value)| {
        s.replace(&format!("{{{name}}}"), value)
    })
}
