//! The SCIM routes: people and groups, listed with filters and paging,
//! read with `attributes`/`excludedAttributes`, created, replaced, patched
//! and removed, each change made for the version `If-Match` names.

use super::*;
use crate::domain::directory::filter::{self, get as attr};
use crate::domain::directory::patch::Operation;
use crate::domain::{Actor, Tapin};
use axum::extract::{Path, Query, State};
use std::collections::HashMap;

/// The most resources one page of a list holds.
pub const PAGE_MAX: usize = 500;

fn location(state: &AppState, kind: &str, id: &str) -> String {
    format!(
        "{}{BASE}/{kind}/{id}",
        state.config.public_origin.as_deref().unwrap_or_default()
    )
}

/// The resource with its `meta.location`, as a response with its ETag,
/// through `attributes`/`excludedAttributes` when asked.
fn one(
    state: &AppState,
    status: StatusCode,
    kind: &str,
    mut doc: Value,
    shape: Option<&Projection>,
) -> Response {
    let id = doc["id"].as_str().unwrap_or_default().to_string();
    let at = location(state, kind, &id);
    doc["meta"]["location"] = json!(at);
    let etag = doc["meta"]["version"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let doc = match shape {
        Some(s) => s.apply(doc),
        None => doc,
    };
    let mut res = scim_json(status, &doc);
    if let Ok(v) = HeaderValue::from_str(&etag) {
        res.headers_mut().insert(header::ETAG, v);
    }
    if status == StatusCode::CREATED {
        if let Ok(v) = HeaderValue::from_str(&at) {
            res.headers_mut().insert(header::LOCATION, v);
        }
    }
    res
}

/// `attributes` and `excludedAttributes` (RFC 7644 §3.4.2.5): `schemas`
/// and `id` are always returned.
struct Projection {
    only: Option<Vec<filter::Path>>,
    without: Vec<filter::Path>,
}

impl Projection {
    fn of(q: &HashMap<String, String>) -> Result<Self, ScimFailure> {
        let list = |name: &str| -> Result<Vec<filter::Path>, ScimFailure> {
            q.iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(|p| {
                            filter::path(p).map_err(|e| {
                                ScimFailure::new(StatusCode::BAD_REQUEST, Some("invalidValue"), e.0)
                            })
                        })
                        .collect()
                })
                .unwrap_or(Ok(vec![]))
        };
        let only = list("attributes")?;
        Ok(Self {
            only: (!only.is_empty()).then_some(only),
            without: list("excludedAttributes")?,
        })
    }

    fn apply(&self, mut doc: Value) -> Value {
        fn key(o: &serde_json::Map<String, Value>, name: &str) -> Option<String> {
            o.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned()
        }
        fn holder<'a>(
            doc: &'a mut Value,
            p: &filter::Path,
        ) -> Option<&'a mut serde_json::Map<String, Value>> {
            let o = doc.as_object_mut()?;
            match &p.schema {
                None => Some(o),
                Some(s) => {
                    let k = key(o, s)?;
                    o.get_mut(&k)?.as_object_mut()
                }
            }
        }
        if let Some(only) = &self.only {
            let mut out = json!({});
            for k in ["schemas", "id", "meta"] {
                if let Some(v) = attr(&doc, k) {
                    out[k] = v.clone();
                }
            }
            for p in only {
                let base = match &p.schema {
                    None => Some(&doc),
                    Some(s) => attr(&doc, s),
                };
                let Some(v) = base.and_then(|b| attr(b, &p.attr)) else {
                    continue;
                };
                let v = match &p.sub {
                    None => v.clone(),
                    Some(sub) => match v {
                        Value::Array(items) => Value::Array(
                            items
                                .iter()
                                .filter_map(|i| attr(i, sub).map(|x| json!({ sub.as_str(): x })))
                                .collect(),
                        ),
                        other => match attr(other, sub) {
                            Some(x) => json!({ sub.as_str(): x }),
                            None => continue,
                        },
                    },
                };
                let target = match &p.schema {
                    None => &mut out,
                    Some(s) => {
                        if out.get(s).is_none() {
                            out[s.as_str()] = json!({});
                        }
                        &mut out[s.as_str()]
                    }
                };
                target[p.attr.as_str()] = v;
            }
            doc = out;
        }
        for p in &self.without {
            if p.schema.is_none()
                && ["schemas", "id"]
                    .iter()
                    .any(|a| a.eq_ignore_ascii_case(&p.attr))
            {
                continue;
            }
            if let Some(h) = holder(&mut doc, p) {
                if let Some(k) = key(h, &p.attr) {
                    match &p.sub {
                        None => {
                            h.remove(&k);
                        }
                        Some(sub) => {
                            if let Some(Value::Object(inner)) = h.get_mut(&k) {
                                if let Some(sk) = key(inner, sub) {
                                    inner.remove(&sk);
                                }
                            }
                        }
                    }
                }
            }
        }
        doc
    }
}

/// A page of a list (RFC 7644 §3.4.2.4: `startIndex` from 1, `count`).
fn page(
    state: &AppState,
    kind: &str,
    all: Vec<Value>,
    q: &HashMap<String, String>,
    shape: &Projection,
) -> Result<Response, ScimFailure> {
    let number = |name: &str, default: usize| -> Result<usize, ScimFailure> {
        match q.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
            None => Ok(default),
            Some((_, v)) => v
                .trim()
                .parse::<i64>()
                .map(|n| n.max(0) as usize)
                .map_err(|_| {
                    ScimFailure::new(
                        StatusCode::BAD_REQUEST,
                        Some("invalidValue"),
                        format!("{name} is a whole number"),
                    )
                }),
        }
    };
    let start = number("startIndex", 1)?.max(1);
    let count = number("count", PAGE_MAX)?.min(PAGE_MAX);
    let total = all.len();
    let resources: Vec<Value> = all
        .into_iter()
        .skip(start - 1)
        .take(count)
        .map(|mut doc| {
            let id = doc["id"].as_str().unwrap_or_default().to_string();
            doc["meta"]["location"] = json!(location(state, kind, &id));
            shape.apply(doc)
        })
        .collect();
    Ok(scim_json(
        StatusCode::OK,
        &json!({
            "schemas": [LIST_SCHEMA],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": resources.len(),
            "Resources": resources,
        }),
    ))
}

fn filter_of(q: &HashMap<String, String>) -> Result<Option<filter::Filter>, ScimFailure> {
    q.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("filter"))
        .map(|(_, f)| {
            filter::parse(f)
                .map_err(|e| ScimFailure::new(StatusCode::BAD_REQUEST, Some("invalidFilter"), e.0))
        })
        .transpose()
}

fn patch_ops(body: &Value) -> Result<Vec<crate::domain::directory::patch::Operation>, ScimFailure> {
    Ok(crate::domain::directory::patch::operations(body)?)
}

// ---- the two resource types, one set of routes ---------------------------------------

/// What the routes of a resource type call in the domain.
pub(super) trait Kind: Send + 'static {
    /// Its endpoint (`Users`, `Groups`).
    const NAME: &'static str;
    fn list(t: &Tapin, a: &Actor, f: Option<&filter::Filter>) -> crate::domain::Result<Vec<Value>>;
    fn read(t: &Tapin, a: &Actor, id: &str) -> crate::domain::Result<Value>;
    fn create(t: &Tapin, a: &Actor, doc: &Value) -> crate::domain::Result<Value>;
    fn replace(
        t: &Tapin,
        a: &Actor,
        id: &str,
        doc: &Value,
        v: Option<i64>,
    ) -> crate::domain::Result<Value>;
    fn patch(
        t: &Tapin,
        a: &Actor,
        id: &str,
        ops: &[Operation],
        v: Option<i64>,
    ) -> crate::domain::Result<Value>;
    fn delete(t: &Tapin, a: &Actor, id: &str, v: Option<i64>) -> crate::domain::Result<()>;
}

pub(super) struct Users;
pub(super) struct Groups;

impl Kind for Users {
    const NAME: &'static str = "Users";
    fn list(t: &Tapin, a: &Actor, f: Option<&filter::Filter>) -> crate::domain::Result<Vec<Value>> {
        t.scim_users(a, f)
    }
    fn read(t: &Tapin, a: &Actor, id: &str) -> crate::domain::Result<Value> {
        t.scim_user(a, id)
    }
    fn create(t: &Tapin, a: &Actor, doc: &Value) -> crate::domain::Result<Value> {
        t.scim_create_user(a, doc)
    }
    fn replace(
        t: &Tapin,
        a: &Actor,
        id: &str,
        doc: &Value,
        v: Option<i64>,
    ) -> crate::domain::Result<Value> {
        t.scim_replace_user(a, id, doc, v)
    }
    fn patch(
        t: &Tapin,
        a: &Actor,
        id: &str,
        ops: &[Operation],
        v: Option<i64>,
    ) -> crate::domain::Result<Value> {
        t.scim_patch_user(a, id, ops, v)
    }
    fn delete(t: &Tapin, a: &Actor, id: &str, v: Option<i64>) -> crate::domain::Result<()> {
        t.scim_delete_user(a, id, v)
    }
}

impl Kind for Groups {
    const NAME: &'static str = "Groups";
    fn list(t: &Tapin, a: &Actor, f: Option<&filter::Filter>) -> crate::domain::Result<Vec<Value>> {
        t.scim_groups(a, f)
    }
    fn read(t: &Tapin, a: &Actor, id: &str) -> crate::domain::Result<Value> {
        t.scim_group(a, id)
    }
    fn create(t: &Tapin, a: &Actor, doc: &Value) -> crate::domain::Result<Value> {
        t.scim_create_group(a, doc)
    }
    fn replace(
        t: &Tapin,
        a: &Actor,
        id: &str,
        doc: &Value,
        v: Option<i64>,
    ) -> crate::domain::Result<Value> {
        t.scim_replace_group(a, id, doc, v)
    }
    fn patch(
        t: &Tapin,
        a: &Actor,
        id: &str,
        ops: &[Operation],
        v: Option<i64>,
    ) -> crate::domain::Result<Value> {
        t.scim_patch_group(a, id, ops, v)
    }
    fn delete(t: &Tapin, a: &Actor, id: &str, v: Option<i64>) -> crate::domain::Result<()> {
        t.scim_delete_group(a, id, v)
    }
}

pub(super) async fn list<K: Kind>(
    State(state): State<AppState>,
    who: Provisioner,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ScimFailure> {
    let f = filter_of(&q)?;
    let shape = Projection::of(&q)?;
    let all = provisioning(&state, who, move |t, a| K::list(t, a, f.as_ref())).await?;
    page(&state, K::NAME, all, &q, &shape)
}

pub(super) async fn read<K: Kind>(
    State(state): State<AppState>,
    who: Provisioner,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ScimFailure> {
    let shape = Projection::of(&q)?;
    let doc = provisioning(&state, who, move |t, a| K::read(t, a, &id)).await?;
    Ok(one(&state, StatusCode::OK, K::NAME, doc, Some(&shape)))
}

pub(super) async fn create<K: Kind>(
    State(state): State<AppState>,
    who: Provisioner,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFailure> {
    let doc = provisioning(&state, who, move |t, a| K::create(t, a, &body)).await?;
    Ok(one(&state, StatusCode::CREATED, K::NAME, doc, None))
}

pub(super) async fn replace<K: Kind>(
    State(state): State<AppState>,
    who: Provisioner,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFailure> {
    let doc = provisioning(&state, who, move |t, a| {
        K::replace(t, a, &id, &body, version)
    })
    .await?;
    Ok(one(&state, StatusCode::OK, K::NAME, doc, None))
}

pub(super) async fn patch<K: Kind>(
    State(state): State<AppState>,
    who: Provisioner,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
    ScimBody(body): ScimBody,
) -> Result<Response, ScimFailure> {
    let ops = patch_ops(&body)?;
    let doc = provisioning(&state, who, move |t, a| K::patch(t, a, &id, &ops, version)).await?;
    Ok(one(&state, StatusCode::OK, K::NAME, doc, None))
}

pub(super) async fn delete<K: Kind>(
    State(state): State<AppState>,
    who: Provisioner,
    Path(id): Path<String>,
    IfMatch(version): IfMatch,
) -> Result<Response, ScimFailure> {
    provisioning(&state, who, move |t, a| K::delete(t, a, &id, version)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
