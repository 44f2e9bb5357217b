//! Time zones for a delayed start, through the browser's Intl support (no
//! time-zone database in the bundle): the zones there are, the offset of a
//! wall-clock time in one of them, and an instant written in one.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Utc};
use js_sys::{Array, Object, Reflect};
use wasm_bindgen::JsValue;

fn options(pairs: &[(&str, &str)]) -> Object {
    let o = Object::new();
    for (k, v) in pairs {
        let _ = Reflect::set(&o, &(*k).into(), &(*v).into());
    }
    o
}

/// The administrator's own zone, as the browser knows it.
pub fn own_zone() -> String {
    let format = js_sys::Intl::DateTimeFormat::new(&Array::new(), &Object::new());
    Reflect::get(&format.resolved_options(), &"timeZone".into())
        .ok()
        .and_then(|z| z.as_string())
        .unwrap_or_else(|| "UTC".into())
}

#[wasm_bindgen::prelude::wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = Intl, js_name = supportedValuesOf, catch)]
    fn supported_values_of(key: &str) -> Result<Array, JsValue>;
}

/// Every zone the browser knows, the administrator's and UTC among them.
pub fn zones() -> Vec<String> {
    let mut zones: Vec<String> = supported_values_of("timeZone")
        .map(|a| a.iter().filter_map(|z| z.as_string()).collect())
        .unwrap_or_default();
    for z in [own_zone(), "UTC".to_string()] {
        if !zones.contains(&z) {
            zones.push(z);
        }
    }
    zones.sort();
    zones
}

/// Minutes `zone` is ahead of UTC at the instant `ms`.
fn offset_minutes(ms: f64, zone: &str) -> Option<i64> {
    let format = js_sys::Intl::DateTimeFormat::new(
        &Array::of1(&"en-US".into()),
        &options(&[
            ("timeZone", zone),
            ("hourCycle", "h23"),
            ("year", "numeric"),
            ("month", "numeric"),
            ("day", "numeric"),
            ("hour", "numeric"),
            ("minute", "numeric"),
            ("second", "numeric"),
        ]),
    );
    let parts = format.format_to_parts(&js_sys::Date::new(&JsValue::from_f64(ms)));
    let mut v = [0f64; 6];
    for part in parts.iter() {
        let kind = Reflect::get(&part, &"type".into()).ok()?.as_string()?;
        let at = ["year", "month", "day", "hour", "minute", "second"]
            .iter()
            .position(|k| *k == kind);
        if let Some(i) = at {
            v[i] = Reflect::get(&part, &"value".into())
                .ok()?
                .as_string()?
                .parse()
                .ok()?;
        }
    }
    let as_utc = js_sys::Date::utc(v[0], v[1] - 1.0);
    let as_utc = as_utc + ((v[2] - 1.0) * 86_400.0 + v[3] * 3600.0 + v[4] * 60.0 + v[5]) * 1000.0;
    Some(((as_utc - (ms / 1000.0).floor() * 1000.0) / 60_000.0).round() as i64)
}

/// `date` (YYYY-MM-DD) at `time` (HH:MM) on the wall clocks of `zone`, with
/// that zone's offset then.
pub fn wall_clock(date: &str, time: &str, zone: &str) -> Option<DateTime<FixedOffset>> {
    let date = NaiveDate::parse_from_str(date, "%Y-%m-%d").ok()?;
    let time = NaiveTime::parse_from_str(time, "%H:%M").ok()?;
    let naive = date.and_time(time);
    let guess = naive.and_utc().timestamp_millis() as f64;
    let first = offset_minutes(guess, zone)?;
    let mut offset = offset_minutes(guess - first as f64 * 60_000.0, zone)?;
    if offset != first {
        // Around a change of offset: the one in force at the time found.
        offset = offset_minutes(guess - offset as f64 * 60_000.0, zone)?;
    }
    FixedOffset::east_opt((offset * 60) as i32)?
        .from_local_datetime(&naive)
        .single()
}

use chrono::TimeZone;

/// The instant as people in `zone` read it, in the chosen language.
pub fn in_zone(t: DateTime<Utc>, zone: &str) -> String {
    let date = js_sys::Date::new(&JsValue::from_f64(t.timestamp_millis() as f64));
    date.to_locale_string(
        crate::i18n::locale(),
        &options(&[
            ("timeZone", zone),
            ("weekday", "short"),
            ("day", "numeric"),
            ("month", "short"),
            ("year", "numeric"),
            ("hour", "numeric"),
            ("minute", "2-digit"),
            ("timeZoneName", "short"),
        ]),
    )
    .into()
}

/// Today's date and the next full hour on the administrator's clock, for the form.
pub fn next_hour() -> (String, String) {
    let now = js_sys::Date::new_0();
    now.set_minutes(0);
    now.set_seconds(0);
    now.set_hours(now.get_hours() + 1);
    (
        format!(
            "{:04}-{:02}-{:02}",
            now.get_full_year(),
            now.get_month() + 1,
            now.get_date()
        ),
        format!("{:02}:00", now.get_hours()),
    )
}
