//! The API document, generated from the handlers' annotations and the wire
//! types, so it cannot drift from what the server does. What every route
//! shares (the Origin check, the body cap, the timeout, JSON-only bodies)
//! is added here once, from the layers that cause it.

use super::BODY_LIMIT_BYTES;
use tapin_api::graph::GraphError;
use tapin_api::wire::ErrorBody;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "tapin",
        description = "Self-service sign-in with a Temporary Access Pass: sign in with the pass, then register passkeys, security keys, authenticator apps, phones and email. Errors are `{code, message, ...}`; `code` is stable.",
        license(name = "Apache-2.0")
    ),
    paths(
        super::sign_in_with_pass,
        super::session,
        super::sign_out,
        super::openapi,
        super::healthz,
        super::readyz,
        super::methods::list,
        super::methods::webauthn_start,
        super::methods::webauthn_finish,
        super::methods::totp_start,
        super::methods::totp_finish,
        super::methods::phone_start,
        super::methods::email_start,
        super::methods::verify,
        super::methods::rename,
        super::methods::remove,
        super::methods::make_default,
        super::methods::sign_out_everywhere,
        super::methods::passkey_start,
        super::methods::passkey_finish,
        super::signin::options,
        super::signin::webauthn_start,
        super::signin::webauthn_finish,
        super::signin::code,
        super::signin::recovery,
        super::signin::send,
        super::signin::sent,
        super::methods::recovery_codes,
        super::graph::list_users,
        super::graph::list_groups,
        super::graph::get_user,
        super::graph::patch_user,
        super::graph::delete_user,
        super::graph::list_methods,
        super::graph::list_passes,
        super::graph::create_pass,
        super::graph::get_pass,
        super::graph::delete_pass,
        super::graph::delete_fido2,
        super::graph::get_fido2_method,
        super::graph::create_fido2_method,
        super::graph::delete_oath,
        super::graph::delete_phone,
        super::graph::delete_email,
        super::graph::revoke_sessions,
        super::graph::get_policy,
        super::graph::patch_policy,
        super::graph::get_fido2,
        super::graph::patch_fido2,
        super::admin::me,
        super::admin::user,
        super::admin::clear_lockout,
        super::admin::remove_method,
        super::admin::audit,
        super::admin::clients,
        super::admin::add_client,
        super::admin::remove_client,
        super::admin::rotate_secret,
    ),
    components(schemas(ErrorBody, GraphError)),
    modifiers(&SharedAnswers)
)]
struct ApiDoc;

pub fn document() -> Document {
    ApiDoc::openapi()
}

struct SharedAnswers;

fn error(description: &str, graph: bool) -> utoipa::openapi::Response {
    let schema = if graph {
        GraphError::name()
    } else {
        ErrorBody::name()
    };
    ResponseBuilder::new()
        .description(description)
        .content(
            "application/json",
            ContentBuilder::new()
                .schema(Some(Ref::from_schema_name(schema)))
                .build(),
        )
        .build()
}

impl Modify for SharedAnswers {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
                super::SESSION_COOKIE,
                "The session cookie a sign-in sets (HttpOnly; a browser sends it itself).",
            ))),
        );
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                utoipa::openapi::security::HttpBuilder::new()
                    .scheme(utoipa::openapi::security::HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from `tapin token create`; it acts with its administrator's roles.",
                    ))
                    .build(),
            ),
        );
        for item in doc.paths.paths.values_mut() {
            // The error shape is the audience's: Graph's routes carry its tag.
            let add = |op: &mut Operation, status: &str, description: &str| {
                let graph = op
                    .tags
                    .as_ref()
                    .is_some_and(|t| t.iter().any(|t| t == "graph"));
                op.responses
                    .responses
                    .entry(status.to_string())
                    .or_insert_with(|| error(description, graph).into());
            };
            let ops = [
                (&mut item.get, false),
                (&mut item.post, true),
                (&mut item.patch, true),
                (&mut item.delete, true),
            ];
            for (op, changes_state) in ops {
                let Some(op) = op.as_mut() else { continue };
                if changes_state {
                    add(
                        op,
                        "403",
                        "The request's Origin is not tapin's, so it was refused",
                    );
                    add(
                        op,
                        "413",
                        &format!("The request body is larger than {BODY_LIMIT_BYTES} bytes"),
                    );
                }
                if op.request_body.is_some() {
                    add(op, "415", "The body was not sent as application/json");
                    add(
                        op,
                        "400",
                        "The body is not valid JSON of the expected shape",
                    );
                }
                add(op, "408", "The request took too long");
                add(op, "500", "Something went wrong on the server");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_bodies_refuse_unknown_fields_and_carry_their_limits() {
        let json = serde_json::to_value(document()).unwrap();
        let schemas = &json["components"]["schemas"];
        assert_eq!(schemas["PassSignIn"]["additionalProperties"], false);
        assert_eq!(schemas["PassSignIn"]["properties"]["upn"]["maxLength"], 113);
        assert_eq!(schemas["Rename"]["properties"]["name"]["maxLength"], 64);
        let sign_in = &json["paths"]["/api/v1/signin/pass"]["post"]["responses"];
        for status in [
            "200", "400", "401", "403", "408", "413", "415", "429", "500", "503",
        ] {
            assert!(sign_in.get(status).is_some(), "sign-in documents {status}");
        }
    }
}
