//! The help desk's client: the Graph-shaped API for users, passes, sessions
//! and the policy; `/api/v1/admin/` for the rest. Both answer errors with
//! tapin's stable code (Graph's `innerError.code`), which the pages word.

use crate::api::Failure;
use crate::http::{Request, RequestBuilder, Response};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tapin_api::admin::{AdminMe, AuditEntry, MethodRemoval, UserDetail};
use tapin_api::graph::fido2::{Fido2Configuration, Fido2ConfigurationPatch};
use tapin_api::graph::{
    Collection, GraphError, GraphGroup, GraphUser, NewTemporaryAccessPass,
    TemporaryAccessPassConfiguration, TemporaryAccessPassConfigurationPatch,
    TemporaryAccessPassMethod,
};
use tapin_api::wire::{ErrorBody, ErrorCode};

const GRAPH: &str = "/graph/v1.0";

async fn failure(response: Response) -> Failure {
    let Ok(text) = response.text().await else {
        return Failure::Network;
    };
    if let Ok(body) = serde_json::from_str::<ErrorBody>(&text) {
        return Failure::Api(body);
    }
    match serde_json::from_str::<GraphError>(&text) {
        Ok(g) => {
            let code = serde_json::from_value::<ErrorCode>(serde_json::Value::String(
                g.error.inner_error.code,
            ))
            .unwrap_or(ErrorCode::Internal);
            let mut body = ErrorBody::new(code, g.error.message);
            body.field = g.error.inner_error.field;
            Failure::Api(body)
        }
        Err(_) => Failure::Network,
    }
}

async fn read<T: DeserializeOwned>(
    sent: Result<Response, crate::http::Error>,
) -> Result<T, Failure> {
    let response = sent.map_err(|_| Failure::Network)?;
    if response.ok() {
        response.json::<T>().await.map_err(|_| Failure::Network)
    } else {
        Err(failure(response).await)
    }
}

async fn done(sent: Result<Response, crate::http::Error>) -> Result<(), Failure> {
    let response = sent.map_err(|_| Failure::Network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(failure(response).await)
    }
}

async fn with_body<B: Serialize>(request: RequestBuilder, body: &B) -> Result<Response, Failure> {
    let request = request.json(body).map_err(|_| Failure::Network)?;
    request.send().await.map_err(|_| Failure::Network)
}

fn encode(s: &str) -> String {
    String::from(js_sys::encode_uri_component(s))
}

pub async fn me() -> Result<AdminMe, Failure> {
    read(Request::get("/api/v1/admin/me").send().await).await
}

/// Users whose account name, or any word of whose name, starts with `q`.
pub async fn search(q: &str) -> Result<Vec<GraphUser>, Failure> {
    let q = q.trim().replace('"', "");
    let url = if q.is_empty() {
        format!("{GRAPH}/users?$top=25")
    } else {
        let term = |property: &str| format!("\"{property}:{q}\"");
        let search = [term("displayName"), term("userPrincipalName")].join(" OR ");
        format!("{GRAPH}/users?$top=25&$search={}", encode(&search))
    };
    read::<Collection<GraphUser>>(Request::get(&url).send().await)
        .await
        .map(|c| c.value)
}

pub async fn user(id: &str) -> Result<UserDetail, Failure> {
    read(
        Request::get(&format!("/api/v1/admin/users/{}", encode(id)))
            .send()
            .await,
    )
    .await
}

pub async fn issue(
    id: &str,
    pass: &NewTemporaryAccessPass,
) -> Result<TemporaryAccessPassMethod, Failure> {
    let url = format!(
        "{GRAPH}/users/{}/authentication/temporaryAccessPassMethods",
        encode(id)
    );
    let response = with_body(Request::post(&url), pass).await?;
    read(Ok(response)).await
}

pub async fn revoke_pass(id: &str, pass_id: &str) -> Result<(), Failure> {
    let url = format!(
        "{GRAPH}/users/{}/authentication/temporaryAccessPassMethods/{}",
        encode(id),
        encode(pass_id)
    );
    done(Request::delete(&url).send().await).await
}

pub async fn remove_method(id: &str, method_id: &str, reason: String) -> Result<(), Failure> {
    let url = format!(
        "/api/v1/admin/users/{}/methods/{}",
        encode(id),
        encode(method_id)
    );
    done(Ok(with_body(
        Request::delete(&url),
        &MethodRemoval { reason },
    )
    .await?))
    .await
}

/// Graph's creation options for a key to enrol for `id`, as the browser takes them.
pub async fn creation_options(id: &str) -> Result<serde_json::Value, Failure> {
    let url = format!(
        "{GRAPH}/users/{}/authentication/fido2Methods/creationOptions",
        encode(id)
    );
    let options: serde_json::Value = read(Request::get(&url).send().await).await?;
    Ok(serde_json::json!({ "publicKey": options["publicKey"] }))
}

/// Registers what the key made for `id` under `name`.
pub async fn enrol_key(id: &str, name: &str, credential: serde_json::Value) -> Result<(), Failure> {
    let url = format!("{GRAPH}/users/{}/authentication/fido2Methods", encode(id));
    let body = serde_json::json!({ "displayName": name, "publicKeyCredential": credential });
    done(Ok(with_body(Request::post(&url), &body).await?)).await
}

pub async fn clear_lockout(id: &str) -> Result<(), Failure> {
    let url = format!("/api/v1/admin/users/{}/lockout", encode(id));
    done(Request::delete(&url).send().await).await
}

pub async fn sign_out_everywhere(id: &str) -> Result<(), Failure> {
    let url = format!("{GRAPH}/users/{}/revokeSignInSessions", encode(id));
    done(Request::post(&url).send().await).await
}

/// Disables (a leaver: every session and pass ends) or enables a user.
pub async fn set_enabled(id: &str, enabled: bool) -> Result<(), Failure> {
    let url = format!("{GRAPH}/users/{}", encode(id));
    // Graph's `UserPatch` with only this field (its other fields' code
    // would weigh on the help desk's bundle).
    #[derive(Serialize)]
    struct Enabled {
        #[serde(rename = "accountEnabled")]
        account_enabled: bool,
    }
    let body = Enabled {
        account_enabled: enabled,
    };
    done(Ok(with_body(Request::patch(&url), &body).await?)).await
}

const POLICY: &str = "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

/// The policy, its directory groups named (Graph gives their ids; the
/// server takes a name back as the same group).
pub async fn policy() -> Result<TemporaryAccessPassConfiguration, Failure> {
    let mut config: TemporaryAccessPassConfiguration =
        read(Request::get(POLICY).send().await).await?;
    let url = format!("{GRAPH}/groups?$select=id,displayName");
    if let Ok(groups) = read::<Collection<GraphGroup>>(Request::get(&url).send().await).await {
        for t in config
            .include_targets
            .iter_mut()
            .chain(config.exclude_targets.iter_mut())
        {
            if let Some(g) = groups.value.iter().find(|g| g.id == t.id) {
                t.id = g.display_name.clone();
            }
        }
    }
    Ok(config)
}

pub async fn save_policy(patch: &TemporaryAccessPassConfigurationPatch) -> Result<(), Failure> {
    done(Ok(with_body(Request::patch(POLICY), patch).await?)).await
}

const FIDO2: &str =
    "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/fido2";

/// The passkey profiles, their groups by name where the directory has one,
/// and the directory's groups (a save sends ids, never names).
pub async fn passkey_profiles() -> Result<(Fido2Configuration, Vec<GraphGroup>), Failure> {
    let mut config: Fido2Configuration = read(Request::get(FIDO2).send().await).await?;
    let url = format!("{GRAPH}/groups?$select=id,displayName");
    let groups = read::<Collection<GraphGroup>>(Request::get(&url).send().await)
        .await
        .map(|c| c.value)
        .unwrap_or_default();
    for t in &mut config.include_targets {
        if let Some(g) = groups.iter().find(|g| g.id == t.id) {
            t.id = g.display_name.clone();
        }
    }
    Ok((config, groups))
}

pub async fn save_passkey_profiles(patch: &Fido2ConfigurationPatch) -> Result<(), Failure> {
    done(Ok(with_body(Request::patch(FIDO2), patch).await?)).await
}

/// The audit URL for these filters (`csv` for the download link).
pub fn audit_url(filters: &[(&str, String)], csv: bool) -> String {
    let mut query: Vec<String> = filters
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    if csv {
        query.push("format=csv".into());
    }
    format!("/api/v1/admin/audit?{}", query.join("&"))
}

pub async fn audit(url: &str) -> Result<Vec<AuditEntry>, Failure> {
    read(Request::get(url).send().await).await
}

pub async fn clients() -> Result<Vec<tapin_api::admin::OidcClientView>, Failure> {
    read(Request::get("/api/v1/admin/clients").send().await).await
}

pub async fn add_client(
    client: &tapin_api::admin::NewOidcClient,
) -> Result<tapin_api::admin::CreatedOidcClient, Failure> {
    read(Ok(with_body(
        Request::post("/api/v1/admin/clients"),
        client,
    )
    .await?))
    .await
}

pub async fn remove_client(id: &str) -> Result<(), Failure> {
    done(
        Request::delete(&format!("/api/v1/admin/clients/{}", encode(id)))
            .send()
            .await,
    )
    .await
}

pub async fn rotate_client_secret(
    id: &str,
) -> Result<tapin_api::admin::CreatedOidcClient, Failure> {
    read(
        Request::post(&format!("/api/v1/admin/clients/{}/secret", encode(id)))
            .send()
            .await,
    )
    .await
}
