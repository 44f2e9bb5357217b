//! SCIM's discovery (RFC 7644 §4): what this service provider supports,
//! its resource types and the schemas of their attributes. Open to a
//! provisioning token only, like the rest of `/scim/v2`.

use super::*;
use crate::domain::directory::resources::{ENTERPRISE, GROUP, TAPIN, USER};
use crate::domain::directory::scim_groups::MEMBERS_MAX;
use axum::extract::Path;

fn attribute(
    name: &str,
    kind: &str,
    multi: bool,
    required: bool,
    mutability: &str,
    uniqueness: &str,
) -> Value {
    json!({
        "name": name, "type": kind, "multiValued": multi, "required": required,
        "caseExact": matches!(name, "id" | "externalId"), "mutability": mutability,
        "returned": if name == "id" { "always" } else { "default" }, "uniqueness": uniqueness,
    })
}

/// A complex attribute; its sub-attributes are strings but `primary`
/// (a boolean) and `$ref` (a reference).
fn complex(name: &str, multi: bool, subs: &[&str]) -> Value {
    let mut a = attribute(name, "complex", multi, false, "readWrite", "none");
    a["subAttributes"] = Value::Array(
        subs.iter()
            .map(|s| {
                let kind = match *s {
                    "primary" => "boolean",
                    "$ref" => "reference",
                    _ => "string",
                };
                attribute(s, kind, false, false, "readWrite", "none")
            })
            .collect(),
    );
    a
}

fn all_schemas() -> Vec<Value> {
    let meta = |id: &str, name: &str, attributes: Vec<Value>| {
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": id, "name": name, "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": format!("{BASE}/Schemas/{id}")},
        })
    };
    vec![
        meta(
            USER,
            "User",
            vec![
                attribute("id", "string", false, false, "readOnly", "server"),
                attribute("externalId", "string", false, false, "readWrite", "none"),
                attribute("userName", "string", false, true, "readWrite", "server"),
                complex(
                    "name",
                    false,
                    &[
                        "formatted",
                        "familyName",
                        "givenName",
                        "middleName",
                        "honorificPrefix",
                        "honorificSuffix",
                    ],
                ),
                attribute("displayName", "string", false, false, "readWrite", "none"),
                attribute("title", "string", false, false, "readWrite", "none"),
                attribute(
                    "preferredLanguage",
                    "string",
                    false,
                    false,
                    "readWrite",
                    "none",
                ),
                attribute("active", "boolean", false, false, "readWrite", "none"),
                complex("emails", true, &["value", "type", "primary", "display"]),
                complex(
                    "phoneNumbers",
                    true,
                    &["value", "type", "primary", "display"],
                ),
            ],
        ),
        meta(
            ENTERPRISE,
            "EnterpriseUser",
            vec![
                attribute(
                    "employeeNumber",
                    "string",
                    false,
                    false,
                    "readWrite",
                    "none",
                ),
                attribute("department", "string", false, false, "readWrite", "none"),
                attribute("costCenter", "string", false, false, "readWrite", "none"),
                attribute("organization", "string", false, false, "readWrite", "none"),
                attribute("division", "string", false, false, "readWrite", "none"),
                complex("manager", false, &["value", "displayName"]),
            ],
        ),
        meta(
            TAPIN,
            "tapin",
            vec![
                attribute("timeZone", "string", false, false, "readWrite", "none"),
                attribute("startDate", "string", false, false, "readWrite", "none"),
            ],
        ),
        meta(
            GROUP,
            "Group",
            vec![
                attribute("id", "string", false, false, "readOnly", "server"),
                attribute("externalId", "string", false, false, "readWrite", "none"),
                attribute("displayName", "string", false, true, "readWrite", "server"),
                complex("members", true, &["value", "display", "type", "$ref"]),
            ],
        ),
    ]
}

fn all_resource_types() -> Vec<Value> {
    vec![
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "User", "name": "User", "endpoint": "/Users", "schema": USER,
            "schemaExtensions": [{"schema": ENTERPRISE, "required": false}, {"schema": TAPIN, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User")},
        }),
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": "Group", "name": "Group", "endpoint": "/Groups", "schema": GROUP,
            "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/Group")},
        }),
    ]
}

fn list(items: Vec<Value>) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({"schemas": [LIST_SCHEMA], "totalResults": items.len(), "startIndex": 1, "itemsPerPage": items.len(), "Resources": items}),
    )
}

pub(super) async fn config(_: Provisioner) -> Response {
    scim_json(
        StatusCode::OK,
        &json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": true},
            "bulk": {"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": true, "maxResults": super::handlers::PAGE_MAX},
            "changePassword": {"supported": false},
            "sort": {"supported": false},
            "etag": {"supported": true},
            "authenticationSchemes": [{
                "type": "oauthbearertoken", "name": "Provisioning token",
                "description": format!("A token from `tapin token create --provisioning`, as Authorization: Bearer. A group holds at most {MEMBERS_MAX} members."),
                "primary": true,
            }],
            "meta": {"resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig")},
        }),
    )
}

pub(super) async fn resource_types(_: Provisioner) -> Response {
    list(all_resource_types())
}

pub(super) async fn resource_type(
    _: Provisioner,
    Path(name): Path<String>,
) -> Result<Response, ScimFailure> {
    all_resource_types()
        .into_iter()
        .find(|t| {
            t["id"]
                .as_str()
                .is_some_and(|id| id.eq_ignore_ascii_case(&name))
        })
        .map(|t| scim_json(StatusCode::OK, &t))
        .ok_or_else(|| {
            ScimFailure::new(
                StatusCode::NOT_FOUND,
                None,
                format!("there is no resource type {name}"),
            )
        })
}

pub(super) async fn schemas(_: Provisioner) -> Response {
    list(all_schemas())
}

pub(super) async fn schema(
    _: Provisioner,
    Path(id): Path<String>,
) -> Result<Response, ScimFailure> {
    all_schemas()
        .into_iter()
        .find(|s| {
            s["id"]
                .as_str()
                .is_some_and(|x| x.eq_ignore_ascii_case(&id))
        })
        .map(|s| scim_json(StatusCode::OK, &s))
        .ok_or_else(|| {
            ScimFailure::new(
                StatusCode::NOT_FOUND,
                None,
                format!("there is no schema {id}"),
            )
        })
}
