//! Reading resources and applying PATCH operations, case by case.
use super::*;
use crate::domain::directory::patch::{apply, operations};
use serde_json::json;

fn ada() -> Value {
    json!({
        "schemas": [USER],
        "userName": "ada@contoso.com",
        "name": {"givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": "ada@contoso.com", "type": "work", "primary": true}],
        "active": true
    })
}

fn patch(doc: &Value, ops: Value) -> Result<Value> {
    apply(doc, &operations(&json!({"Operations": ops}))?)
}

#[test]
fn entra_style_replace_with_strings_for_booleans() {
    let out = patch(
        &ada(),
        json!([{"op": "Replace", "path": "active", "value": "False"}]),
    )
    .unwrap();
    assert_eq!(DirectoryPerson::read(&out).unwrap().enabled, Some(false));
    let out = patch(
        &ada(),
        json!([{"op": "replace", "value": {"active": "True", "displayName": "Ada L."}}]),
    )
    .unwrap();
    let p = DirectoryPerson::read(&out).unwrap();
    assert_eq!(p.enabled, Some(true));
    assert_eq!(p.display_name, "Ada L.");
}

#[test]
fn filtered_paths_change_the_values_they_name() {
    let out = patch(&ada(), json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ada.byron@contoso.com"}])).unwrap();
    assert_eq!(out["emails"][0]["value"], "ada.byron@contoso.com");
    let none = patch(
        &ada(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"].value", "value": "x"}]),
    );
    assert!(matches!(none, Err(Error::Scim(ScimType::NoTarget, _))));
    let out = patch(
        &ada(),
        json!([{"op": "remove", "path": "emails[type eq \"work\"]"}]),
    )
    .unwrap();
    assert_eq!(out["emails"], json!([]));
    let out = patch(&ada(), json!([{"op": "add", "path": "emails", "value": [{"value": "a@home.example", "type": "home"}]}])).unwrap();
    assert_eq!(out["emails"].as_array().unwrap().len(), 2);
}

#[test]
fn extension_attributes_by_urn_path_and_by_urn_keys() {
    let out = patch(
        &ada(),
        json!([
            {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Engineering"},
            {"op": "Add", "value": {format!("{ENTERPRISE}:employeeNumber"): "701984"}},
            {"op": "replace", "path": format!("{ENTERPRISE}:manager"), "value": {"value": "m-1"}}
        ]),
    )
    .unwrap();
    let p = DirectoryPerson::read(&out).unwrap();
    assert_eq!(
        p.profile[ENTERPRISE],
        json!({"department": "Engineering", "employeeNumber": "701984", "manager": {"value": "m-1"}})
    );
    let out = patch(
        &out,
        json!([{"op": "remove", "path": format!("{ENTERPRISE}:manager")}]),
    )
    .unwrap();
    assert!(get(&out[ENTERPRISE], "manager").is_none());
}

#[test]
fn members_are_added_and_removed_by_filter_or_by_listing() {
    let group = json!({"schemas": [GROUP], "displayName": "Help desk", "members": [{"value": "a"}, {"value": "b"}]});
    let out = patch(
        &group,
        json!([{"op": "remove", "path": "members[value eq \"a\"]"}]),
    )
    .unwrap();
    assert_eq!(out["members"], json!([{"value": "b"}]));
    let out = patch(
        &out,
        json!([{"op": "Remove", "path": "members", "value": [{"value": "b"}]}]),
    )
    .unwrap();
    assert_eq!(out["members"], json!([]));
    let out = patch(
        &out,
        json!([{"op": "Add", "path": "members", "value": [{"value": "c"}, {"value": "c"}]}]),
    )
    .unwrap();
    assert_eq!(out["members"], json!([{"value": "c"}]));
}

#[test]
fn what_may_not_change_and_what_is_malformed_is_refused() {
    for (ops, kind) in [
        (
            json!([{"op": "replace", "path": "id", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "replace", "path": "meta.created", "value": "x"}]),
            ScimType::Mutability,
        ),
        (
            json!([{"op": "frobnicate", "path": "active", "value": true}]),
            ScimType::InvalidSyntax,
        ),
        (
            json!([{"op": "replace", "path": "emails[type eq", "value": true}]),
            ScimType::InvalidPath,
        ),
        (json!([{"op": "remove"}]), ScimType::NoTarget),
        (
            json!([{"op": "add", "path": "title"}]),
            ScimType::InvalidValue,
        ),
        (json!([]), ScimType::InvalidSyntax),
    ] {
        match patch(&ada(), ops.clone()) {
            Err(Error::Scim(k, _)) => assert_eq!(k, kind, "{ops}"),
            other => panic!("{ops}: {other:?}"),
        }
    }
    let bad = patch(
        &ada(),
        json!([{"op": "replace", "path": "active", "value": "maybe"}]),
    )
    .unwrap();
    assert!(matches!(
        DirectoryPerson::read(&bad),
        Err(Error::Scim(ScimType::InvalidValue, _))
    ));
}

#[test]
fn a_person_is_read_with_defaults_and_checks() {
    let p = DirectoryPerson::read(&json!({"schemas": [USER], "userName": "Ada@Contoso.com ", "name": {"givenName": "Ada", "familyName": "Lovelace"}, "password": "hunter2",
        TAPIN: {"timeZone": "Europe/Berlin", "startDate": "2027-01-04"}})).unwrap();
    assert_eq!(p.upn, "ada@contoso.com");
    assert_eq!(p.display_name, "Ada Lovelace");
    assert_eq!(p.enabled, None, "not sent");
    assert_eq!(p.time_zone.as_deref(), Some("Europe/Berlin"));
    assert_eq!(p.start_date, NaiveDate::from_ymd_opt(2027, 1, 4));
    assert!(!p.profile.contains_key("password"), "no password is kept");
    for bad in [
        json!({"schemas": [USER]}),
        json!({"schemas": [GROUP], "userName": "a@b.c"}),
        json!({"userName": "not an account"}),
        json!({"userName": "a@b.c", "active": "yes"}),
        json!({"userName": "a@b.c", TAPIN: {"startDate": "soon"}}),
        json!({"userName": "a@b.c", "title": "x".repeat(20_000)}),
    ] {
        assert!(DirectoryPerson::read(&bad).is_err(), "{bad}");
    }
}

#[test]
fn etags() {
    assert_eq!(if_match(&etag(7)).unwrap(), Some(7));
    assert_eq!(if_match("\"7\"").unwrap(), Some(7));
    assert_eq!(if_match("*").unwrap(), None);
    assert!(if_match("W/\"x\"").is_err());
}
