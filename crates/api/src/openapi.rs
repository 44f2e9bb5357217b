//! Schemas the derive cannot say by itself: fields that take only some
//! values of a shared enum.

use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::RefOr;

fn one_of(values: &[&str], description: &str) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .enum_values(Some(values.iter().copied()))
        .description(Some(description))
        .into()
}

/// `kind` of `POST /api/v1/methods/webauthn/start`.
pub fn passwordless_kind() -> RefOr<Schema> {
    one_of(
        &["passkey", "security_key"],
        "A passkey (this device or phone) or a security key (USB or NFC).",
    )
}

/// `kind` of `POST /api/v1/methods/phone/start`.
pub fn phone_kind() -> RefOr<Schema> {
    one_of(
        &["phone", "alternate_phone", "office_phone"],
        "Which phone slot the number goes in.",
    )
}

/// Canonical unpadded base64url, as WebAuthn's binary fields travel.
const BASE64URL: &str =
    "^([A-Za-z0-9_-]{4})*([A-Za-z0-9_-][AQgw]|[A-Za-z0-9_-]{2}[AEIMQUYcgkosw048])?$";

fn string(pattern: Option<&str>) -> ObjectBuilder {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::String))
        .pattern(pattern)
}

fn credential(response: &[&str], optional: &[&str], description: &str) -> RefOr<Schema> {
    let mut body = ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .additional_properties(Some(AdditionalProperties::FreeForm(false)));
    for field in response {
        body = body
            .property(*field, string(Some(BASE64URL)))
            .required(*field);
    }
    for field in optional {
        body = body.property(*field, string(Some(BASE64URL)));
    }
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Object))
        .description(Some(description))
        .property("id", string(Some("^[A-Za-z0-9_-]+$")))
        .property("rawId", string(Some(BASE64URL)))
        .property("response", body)
        .property("type", string(None).enum_values(Some(["public-key"])))
        .required("id")
        .required("rawId")
        .required("response")
        .required("type")
        .additional_properties(Some(AdditionalProperties::FreeForm(false)))
        .into()
}

/// What `navigator.credentials.create` returned, base64url-encoded.
pub fn registration_credential() -> RefOr<Schema> {
    credential(
        &["attestationObject", "clientDataJSON"],
        &[],
        "The PublicKeyCredential navigator.credentials.create returned, binary fields base64url-encoded.",
    )
}

/// What `navigator.credentials.get` returned, base64url-encoded.
pub fn assertion_credential() -> RefOr<Schema> {
    credential(
        &["authenticatorData", "clientDataJSON", "signature"],
        &["userHandle"],
        "The PublicKeyCredential navigator.credentials.get returned, binary fields base64url-encoded.",
    )
}

/// An account name in its canonical form (the server also forgives case and
/// surrounding spaces).
pub fn account_name() -> RefOr<Schema> {
    string(Some(
        "^[a-z0-9_%+'-]{1,40}(\\.[a-z0-9_%+'-]{1,20})?@[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?){1,2}$",
    ))
    .max_length(Some(crate::validate::UPN_MAX_LEN))
    .examples(["ada@contoso.com"])
    .into()
}

/// The id a start request returned: 128 random bits as hex.
pub fn issued_id() -> RefOr<Schema> {
    string(Some("^[0-9a-f]{32}$")).into()
}

/// What a user calls a passkey, security key or authenticator app.
pub fn method_name() -> RefOr<Schema> {
    string(Some("^[A-Za-z0-9]([A-Za-z0-9 ._-]{0,62}[A-Za-z0-9])?$"))
        .min_length(Some(1))
        .max_length(Some(crate::validate::METHOD_NAME_MAX_LEN))
        .examples(["Work laptop"])
        .into()
}

/// A time on tapin's own API: milliseconds since 1970-01-01T00:00:00Z (UTC),
/// what a browser's `Date` takes (see `wire::millis`).
pub fn millis() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::Type(Type::Integer))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .description(Some("Milliseconds since 1970-01-01T00:00:00Z (UTC)."))
        .examples([1_796_284_800_000_i64])
        .into()
}

/// As `millis`, or null when there is no such time.
pub fn millis_or_null() -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Integer, Type::Null]))
        .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
            utoipa::openapi::KnownFormat::Int64,
        )))
        .description(Some(
            "Milliseconds since 1970-01-01T00:00:00Z (UTC), or null.",
        ))
        .into()
}
