//! Schemas the derive cannot say by itself: fields that take only some
//! values of a shared enum.

use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
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
