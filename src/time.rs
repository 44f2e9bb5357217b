//! Dates and times in the user's own locale and time zone, through the
//! browser's Intl support (no time-zone database in the bundle).

use chrono::{DateTime, Utc};
use wasm_bindgen::JsValue;

/// E.g. "Sun, Nov 22, 3:05 PM GMT+1", or "Sun 22 Nov, 15:05 CET" in en-GB.
pub fn local(t: DateTime<Utc>) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    let options = js_sys::Object::new();
    for (key, value) in [
        ("weekday", "short"),
        ("day", "numeric"),
        ("month", "short"),
        ("hour", "numeric"),
        ("minute", "2-digit"),
        ("timeZoneName", "short"),
    ] {
        let _ = js_sys::Reflect::set(&options, &key.into(), &value.into());
    }
    // The chosen language as the browser's region writes it (en-GB, de-AT),
    // in the browser's time zone.
    date.to_locale_string(crate::i18n::locale(), &options)
        .into()
}
