//! PATCH (RFC 7644 §3.5.2): a PatchOp's operations read (any case of
//! `op`, as Entra ID sends `Replace`) and applied to a resource as JSON,
//! before it is read again as a whole resource.

use super::filter::{self, get, PatchPath, Path};
use super::resources::{canonical, fault, ScimType};
use crate::domain::Result;
use serde_json::{Map, Value};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PatchOp {
    Add,
    Replace,
    Remove,
}

/// One operation of a PatchOp request, read.
#[derive(Debug, Clone)]
pub struct Operation {
    pub op: PatchOp,
    pub path: Option<PatchPath>,
    pub value: Option<Value>,
}

/// The operations of a PatchOp body (`Operations`, any case of names).
pub fn operations(body: &Value) -> Result<Vec<Operation>> {
    let ops = get(body, "Operations")
        .and_then(Value::as_array)
        .ok_or_else(|| fault(ScimType::InvalidSyntax, "a PatchOp has Operations"))?;
    if ops.is_empty() || ops.len() > 1000 {
        return Err(fault(
            ScimType::InvalidSyntax,
            "a PatchOp has 1 to 1000 Operations",
        ));
    }
    ops.iter()
        .map(|o| {
            let op = match get(o, "op")
                .and_then(Value::as_str)
                .map(str::to_ascii_lowercase)
                .as_deref()
            {
                Some("add") => PatchOp::Add,
                Some("replace") => PatchOp::Replace,
                Some("remove") => PatchOp::Remove,
                _ => {
                    return Err(fault(
                        ScimType::InvalidSyntax,
                        "op is add, replace or remove",
                    ))
                }
            };
            let path = match get(o, "path") {
                None | Some(Value::Null) => None,
                Some(Value::String(p)) => Some(
                    filter::parse_patch_path(p).map_err(|e| fault(ScimType::InvalidPath, e.0))?,
                ),
                Some(_) => return Err(fault(ScimType::InvalidPath, "path is a string")),
            };
            let value = get(o, "value").cloned();
            if op != PatchOp::Remove && value.is_none() {
                return Err(fault(
                    ScimType::InvalidValue,
                    "add and replace need a value",
                ));
            }
            if op == PatchOp::Remove && path.is_none() && value.is_none() {
                return Err(fault(ScimType::NoTarget, "remove needs a path"));
            }
            Ok(Operation { op, path, value })
        })
        .collect()
}

/// Attributes a PATCH may not change.
const READ_ONLY: [&str; 3] = ["id", "meta", "groups"];

/// The object holding `p`'s attribute: the resource, or its extension's.
fn container<'a>(doc: &'a mut Map<String, Value>, p: &Path) -> &'a mut Map<String, Value> {
    let Some(schema) = &p.schema else {
        return doc;
    };
    let key = doc
        .keys()
        .find(|k| k.eq_ignore_ascii_case(schema))
        .cloned()
        .unwrap_or_else(|| canonical(schema));
    let slot = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
    if !slot.is_object() {
        *slot = Value::Object(Map::new());
    }
    slot.as_object_mut().expect("an object")
}

/// The key `name` has in `object`, in whatever case it was stored.
fn key_of(object: &Map<String, Value>, name: &str) -> String {
    object
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

fn merge(into: &mut Value, value: Value, op: PatchOp) {
    match (into, value) {
        (Value::Array(items), Value::Array(more)) if op == PatchOp::Add => {
            for m in more {
                if !items.contains(&m) {
                    items.push(m);
                }
            }
        }
        (Value::Object(o), Value::Object(more)) => {
            for (k, v) in more {
                let k = key_of(o, &k);
                match o.get_mut(&k) {
                    Some(existing) if op == PatchOp::Add => merge(existing, v, op),
                    _ => {
                        o.insert(k, v);
                    }
                }
            }
        }
        (slot, v) => *slot = v,
    }
}

/// Applies `ops` to `doc` (a resource as JSON), in order, all or nothing.
pub fn apply(doc: &Value, ops: &[Operation]) -> Result<Value> {
    let mut doc = doc
        .as_object()
        .cloned()
        .ok_or_else(|| fault(ScimType::InvalidSyntax, "not an object"))?;
    for o in ops {
        match &o.path {
            None => {
                // The value is an object of attributes (paths allowed as keys).
                let Some(Value::Object(attrs)) = &o.value else {
                    return Err(fault(
                        ScimType::InvalidValue,
                        "without a path, the value is an object of attributes",
                    ));
                };
                for (k, v) in attrs {
                    let path = filter::parse_patch_path(k)
                        .map_err(|e| fault(ScimType::InvalidPath, e.0))?;
                    one(&mut doc, o.op, &path, Some(v.clone()))?;
                }
            }
            Some(path) => one(&mut doc, o.op, path, o.value.clone())?,
        }
    }
    Ok(Value::Object(doc))
}

fn one(
    doc: &mut Map<String, Value>,
    op: PatchOp,
    path: &PatchPath,
    value: Option<Value>,
) -> Result<()> {
    let p = &path.path;
    if p.schema.is_none() && READ_ONLY.iter().any(|r| r.eq_ignore_ascii_case(&p.attr)) {
        return Err(fault(
            ScimType::Mutability,
            format!("{} cannot be changed", p.attr),
        ));
    }
    let holder = container(doc, p);
    let key = key_of(holder, &p.attr);
    match (&path.filter, op) {
        (None, PatchOp::Remove) => match (&p.sub, value) {
            (Some(sub), _) => {
                if let Some(Value::Object(o)) = holder.get_mut(&key) {
                    let k = key_of(o, sub);
                    o.remove(&k);
                }
            }
            // Entra removes members by listing them: those values go.
            (None, Some(Value::Array(gone))) => {
                if let Some(Value::Array(items)) = holder.get_mut(&key) {
                    let ids: Vec<&Value> =
                        gone.iter().map(|g| get(g, "value").unwrap_or(g)).collect();
                    items.retain(|i| !ids.contains(&get(i, "value").unwrap_or(i)));
                }
            }
            (None, _) => {
                holder.remove(&key);
            }
        },
        (None, op) => {
            let value = value.unwrap_or(Value::Null);
            match &p.sub {
                Some(sub) => {
                    let parent = holder
                        .entry(key)
                        .or_insert_with(|| Value::Object(Map::new()));
                    if !parent.is_object() {
                        *parent = Value::Object(Map::new());
                    }
                    let o = parent.as_object_mut().expect("an object");
                    let k = key_of(o, sub);
                    match o.get_mut(&k) {
                        Some(existing) => merge(existing, value, op),
                        None => {
                            o.insert(k, value);
                        }
                    }
                }
                None => match holder.get_mut(&key) {
                    Some(existing) if op == PatchOp::Add => {
                        let value = match (&*existing, value) {
                            (Value::Array(_), v @ Value::Object(_)) => Value::Array(vec![v]),
                            (_, v) => v,
                        };
                        merge(existing, value, op)
                    }
                    _ => {
                        holder.insert(key, value);
                    }
                },
            }
        }
        (Some(f), op) => {
            let Some(Value::Array(items)) = holder.get_mut(&key) else {
                return Err(fault(
                    ScimType::NoTarget,
                    format!("{} has no values", p.attr),
                ));
            };
            let mut hit = false;
            if op == PatchOp::Remove && path.sub.is_none() {
                let before = items.len();
                items.retain(|i| !f.matches(i));
                hit = items.len() != before;
            } else {
                for item in items.iter_mut().filter(|i| f.matches(i)) {
                    hit = true;
                    match (&path.sub, op) {
                        (Some(sub), PatchOp::Remove) => {
                            if let Value::Object(o) = item {
                                let k = key_of(o, sub);
                                o.remove(&k);
                            }
                        }
                        (Some(sub), _) => {
                            if let Value::Object(o) = item {
                                let k = key_of(o, sub);
                                o.insert(k, value.clone().unwrap_or(Value::Null));
                            }
                        }
                        (None, _) => {
                            merge(item, value.clone().unwrap_or(Value::Null), PatchOp::Replace)
                        }
                    }
                }
            }
            if !hit && op != PatchOp::Add {
                return Err(fault(
                    ScimType::NoTarget,
                    format!("no value of {} matches", p.attr),
                ));
            }
            if !hit {
                // `add` to a filtered path that matches nothing: a new value
                // (RFC 7644 §3.5.2.1 leaves it to the server).
                let mut new = Map::new();
                if let Some(sub) = &path.sub {
                    new.insert(sub.clone(), value.unwrap_or(Value::Null));
                }
                items.push(Value::Object(new));
            }
        }
    }
    Ok(())
}
