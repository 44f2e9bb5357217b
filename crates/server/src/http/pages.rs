//! The few pages the server writes itself (a refused authorization request,
//! a sign-out to confirm), in the language the browser asks for among those
//! the app speaks, from the sign-in bundle's own catalogs: one set of words.

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::sync::OnceLock;

type Catalog = HashMap<String, String>;

const LANGUAGES: [(&str, &str); 3] = [
    ("en", include_str!("../../../../locales/signin/en.json")),
    ("de", include_str!("../../../../locales/signin/de.json")),
    ("ar", include_str!("../../../../locales/signin/ar.json")),
];

fn catalogs() -> &'static HashMap<&'static str, Catalog> {
    static ALL: OnceLock<HashMap<&'static str, Catalog>> = OnceLock::new();
    ALL.get_or_init(|| {
        LANGUAGES
            .iter()
            .map(|(lang, json)| (*lang, serde_json::from_str(json).unwrap_or_default()))
            .collect()
    })
}

/// A language the app speaks, chosen from `Accept-Language` by weight.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang(&'static str);

impl Lang {
    pub fn of(headers: &HeaderMap) -> Self {
        let asked = headers
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        let mut ranked: Vec<(f32, usize, &str)> = asked
            .split(',')
            .enumerate()
            .filter_map(|(i, part)| {
                let mut bits = part.trim().split(';');
                let tag = bits.next()?.trim();
                let q = bits
                    .find_map(|b| b.trim().strip_prefix("q="))
                    .map_or(Some(1.0), |q| q.parse::<f32>().ok())?;
                Some((q, i, tag))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        let lang = ranked
            .iter()
            .filter(|(q, _, _)| *q > 0.0)
            .find_map(|(_, _, tag)| {
                let primary = tag.split('-').next()?.to_ascii_lowercase();
                LANGUAGES
                    .iter()
                    .find(|(l, _)| *l == primary)
                    .map(|(l, _)| *l)
            })
            .unwrap_or("en");
        Self(lang)
    }

    /// The sentence `key` in this language (English when it has none),
    /// with `{app}` filled in.
    pub fn say(self, key: &str, app: &str) -> String {
        let pick = |lang: &str| catalogs().get(lang).and_then(|c| c.get(key)).cloned();
        pick(self.0)
            .or_else(|| pick("en"))
            .unwrap_or_else(|| key.to_string())
            .replace("{app}", app)
    }

    fn dir(self) -> &'static str {
        if self.0 == "ar" {
            "rtl"
        } else {
            "ltr"
        }
    }
}

pub fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A whole page: `title`, a heading, and `body` (already HTML).
pub fn page(lang: Lang, status: StatusCode, title: &str, body: &str) -> Response {
    let html = format!(
        "<!doctype html><html lang=\"{}\" dir=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{} - tapin</title><link rel=\"stylesheet\" href=\"/oauth-error.css\"></head><body><main><h1>{}</h1>{body}</main></body></html>",
        lang.0,
        lang.dir(),
        html_escape(title),
        html_escape(title),
    );
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        html,
    )
        .into_response();
    res.headers_mut()
        .insert(header::VARY, HeaderValue::from_static("Accept-Language"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asked(value: &str) -> Lang {
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCEPT_LANGUAGE,
            HeaderValue::from_str(value).unwrap(),
        );
        Lang::of(&h)
    }

    #[test]
    fn the_browsers_first_language_the_app_speaks_is_chosen() {
        assert_eq!(asked("de-AT,de;q=0.9,en;q=0.8"), Lang("de"));
        assert_eq!(asked("fr-FR,ar-EG;q=0.7,en;q=0.5"), Lang("ar"));
        assert_eq!(asked("en;q=0.2,de;q=0.9"), Lang("de"));
        assert_eq!(asked("fr"), Lang("en"));
        assert_eq!(asked("de;q=0"), Lang("en"));
        assert_eq!(Lang::of(&HeaderMap::new()), Lang("en"));
    }

    #[test]
    fn every_server_page_sentence_is_in_every_catalog() {
        for key in [
            "SGN_REFUSED_TITLE",
            "SGN_REFUSED_NO_CLIENT",
            "SGN_REFUSED_UNKNOWN_CLIENT",
            "SGN_REFUSED_NO_REDIRECT",
            "SGN_REFUSED_REDIRECT",
            "SGN_REFUSED_REMOVED",
            "SGN_REFUSED_BUSY",
            "SGN_REFUSED_AGAIN",
            "SGN_REFUSED_LOGOUT",
            "SGN_LOGOUT_TITLE",
            "SGN_LOGOUT_TEXT",
            "SGN_LOGOUT_BUTTON",
        ] {
            for (lang, _) in LANGUAGES {
                assert!(
                    catalogs()[lang].contains_key(key),
                    "{key} is missing from locales/signin/{lang}.json"
                );
            }
        }
        assert_eq!(
            Lang("de").say("SGN_REFUSED_REDIRECT", "Wiki <x>"),
            catalogs()["de"]["SGN_REFUSED_REDIRECT"].replace("{app}", "Wiki <x>")
        );
    }
}
