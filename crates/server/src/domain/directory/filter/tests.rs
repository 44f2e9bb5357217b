//! The filter grammar and its evaluation, case by case.
use super::*;
use serde_json::json;

fn ada() -> Value {
    json!({
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "E-1",
        "userName": "Ada@Contoso.com",
        "displayName": "Ada Lovelace",
        "active": true,
        "emails": [
            {"value": "ada@contoso.com", "type": "work", "primary": true},
            {"value": "ada@home.example", "type": "home"}
        ],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
            "department": "Engineering",
            "manager": {"value": "m-1"}
        },
        "meta": {"lastModified": "2026-11-30T10:00:00Z"}
    })
}

fn yes(f: &str) -> bool {
    parse(f)
        .unwrap_or_else(|e| panic!("{f}: {e}"))
        .matches(&ada())
}

#[test]
fn each_operator_and_attribute_the_directory_filters_on() {
    let cases = [
        (r#"userName eq "ada@contoso.com""#, true),
        (r#"USERNAME Eq "ADA@CONTOSO.COM""#, true),
        (r#"userName ne "ada@contoso.com""#, false),
        (r#"displayName co "love""#, true),
        (r#"displayName sw "Ada""#, true),
        (r#"displayName ew "lace""#, true),
        (r#"displayName ew "Ada""#, false),
        (r#"externalId eq "E-1""#, true),
        (r#"externalId eq "e-1""#, false),
        (r#"emails.value eq "ada@home.example""#, true),
        (r#"emails[type eq "work" and value co "contoso"]"#, true),
        (r#"emails[type eq "work" and value co "home"]"#, false),
        (r#"meta.lastModified gt "2026-11-30T09:00:00Z""#, true),
        (r#"meta.lastModified ge "2026-11-30T11:00:00+01:00""#, true),
        (r#"meta.lastModified lt "2026-11-30T10:00:00Z""#, false),
        (r#"meta.lastModified le "2026-11-30T10:00:00Z""#, true),
        ("title pr", false),
        ("emails pr", true),
        ("active eq true", true),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engineering""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "m-1""#,
            true,
        ),
        (
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "ada""#,
            true,
        ),
        (r#"not (userName eq "ada@contoso.com")"#, false),
    ];
    assert_eq!(cases.len(), 23);
    for (f, want) in cases {
        assert_eq!(yes(f), want, "{f}");
    }
}

#[test]
fn and_binds_tighter_than_or_and_parentheses_group() {
    // false and false or true: (false and false) or true.
    assert!(yes(
        r#"userName eq "x" and displayName eq "y" or active eq true"#
    ));
    assert!(!yes(
        r#"userName eq "x" and (displayName eq "y" or active eq true)"#
    ));
    assert!(yes(
        r#"active eq true or userName eq "x" and displayName eq "y""#
    ));
    assert!(yes(
        r#"not (userName eq "x") and (active eq false or emails pr)"#
    ));
}

#[test]
fn a_quote_inside_a_string_is_read_as_one() {
    let f = parse(r#"displayName eq "Ada \"the Countess\" Lovelace""#).unwrap();
    assert_eq!(
        f,
        Filter::Compare(
            path("displayName").unwrap(),
            Op::Eq,
            json!("Ada \"the Countess\" Lovelace")
        )
    );
}

#[test]
fn malformed_filters_are_refused() {
    for bad in [
        "",
        "userName",
        r#"userName eq"#,
        r#"userName zz "a""#,
        r#"userName eq "a" and"#,
        r#"(userName eq "a""#,
        r#"emails[type eq "work""#,
        r#"userName eq "unterminated"#,
        r#"not userName eq "a""#,
        r#"userName eq "a" userName"#,
        "1abc eq 1",
    ] {
        assert!(parse(bad).is_err(), "{bad:?} should be refused");
    }
    let deep = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
    assert!(parse(&deep).is_err());
}

#[test]
fn patch_paths() {
    let p = parse_patch_path(r#"emails[type eq "work"].value"#).unwrap();
    assert_eq!(p.path.attr, "emails");
    assert_eq!(p.sub.as_deref(), Some("value"));
    assert!(p.filter.unwrap().matches(&json!({"type": "work"})));
    let m = parse_patch_path(r#"members[value eq "2819c223"]"#).unwrap();
    assert_eq!(m.path.attr, "members");
    assert!(m.sub.is_none());
    let e = parse_patch_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager")
        .unwrap();
    assert_eq!(
        e.path.schema.as_deref(),
        Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User")
    );
    assert_eq!(e.path.attr, "manager");
    assert_eq!(
        parse_patch_path("name.givenName")
            .unwrap()
            .path
            .sub
            .as_deref(),
        Some("givenName")
    );
    for bad in ["", "emails[", "emails[type eq \"work\"]x", "a b"] {
        assert!(parse_patch_path(bad).is_err(), "{bad:?}");
    }
}
