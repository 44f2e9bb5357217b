//! Graph's fido2 provisioning: `GET .../fido2Methods/creationOptions` (and
//! `creationOptions(challengeTimeoutInMinutes=N)`), then `POST
//! .../fido2Methods` with what the key made. The same domain operation as
//! the help desk's enrolment page.

use super::*;

#[derive(serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewFido2Method {
    #[serde(rename = "@odata.type", default)]
    pub odata_type: Option<String>,
    pub display_name: String,
    /// What `navigator.credentials.create()` answered: `id`, `response`
    /// (`clientDataJSON`, `attestationObject`), `clientExtensionResults`.
    #[schema(value_type = Object)]
    pub public_key_credential: serde_json::Value,
}

/// `creationOptions` or `creationOptions(challengeTimeoutInMinutes=N)`.
fn creation_options_call(segment: &str) -> Option<Result<Option<u32>, GraphFailure>> {
    let rest = segment.strip_prefix("creationOptions")?;
    if rest.is_empty() {
        return Some(Ok(None));
    }
    let arg = rest
        .strip_prefix("(challengeTimeoutInMinutes=")
        .and_then(|r| r.strip_suffix(')'));
    Some(arg.and_then(|n| n.parse().ok()).map(Some).ok_or_else(|| {
        bad(
            "write creationOptions(challengeTimeoutInMinutes=N), N minutes from 5 to 43200",
            "challengeTimeoutInMinutes",
        )
    }))
}

#[utoipa::path(
    get,
    path = "/graph/v1.0/users/{id}/authentication/fido2Methods/{method_id}",
    params(
        ("id" = String, Path, description = "The user's id or account name"),
        ("method_id" = String, Path, description = "A passkey's id, or `creationOptions` (optionally `creationOptions(challengeTimeoutInMinutes=N)`) to start enrolling one"),
    ),
    responses(
        (status = 200, description = "The passkey, or `webauthnCredentialCreationOptions` for a key to enrol for the user"),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Not allowed for this user (or yourself)", body = GraphError),
        (status = 400, description = "challengeTimeoutInMinutes outside 5 to 43200", body = GraphError),
        (status = 404, description = "No such user, or no such passkey", body = GraphError),
        (status = 409, description = "The user is disabled, or already has as many passkeys as allowed", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn get_fido2_method(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path((id, method_id)): Path<(String, String)>,
) -> GraphResult {
    if let Some(call) = creation_options_call(&method_id) {
        let minutes = call?;
        let o = acting(&state, desk, move |t, a| {
            t.provisioning_options(a, &id, minutes)
        })
        .await?;
        return Ok(json(
            StatusCode::OK,
            serde_json::json!({
                "@odata.type": "#microsoft.graph.webauthnCredentialCreationOptions",
                "challengeTimeoutDateTime": o.expires_at,
                "publicKey": o.public_key,
            }),
        ));
    }
    let o = acting(&state, desk, move |t, a| t.overview(a, &id)).await?;
    let found = o
        .methods
        .iter()
        .zip(&o.views)
        .find(|(m, _)| m.id == method_id && m.kind.is_passwordless())
        .map(|(m, v)| graph_method(m, v))
        .ok_or_else(|| {
            GraphFailure(ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::NotFound,
                "the user has no such passkey or security key",
            ))
        })?;
    Ok(json(StatusCode::OK, found))
}

#[utoipa::path(
    post,
    path = "/graph/v1.0/users/{id}/authentication/fido2Methods",
    params(("id" = String, Path, description = "The user's id or account name")),
    request_body = NewFido2Method,
    responses(
        (status = 201, description = "Enrolled for the user: audited, and the user's other channels told", body = AuthenticationMethod),
        (status = 400, description = "The key's answer did not verify, or its challenge was not issued for this user or was used", body = GraphError),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Not allowed for this user (or yourself), read-only, or the passkey profile refuses the key", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
        (status = 409, description = "The user is disabled, or already has as many passkeys as allowed", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn create_fido2_method(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
    GraphJson(body): GraphJson<NewFido2Method>,
) -> GraphResult {
    own_type(
        body.odata_type.as_deref(),
        &["#microsoft.graph.fido2AuthenticationMethod"],
    )?;
    // Graph's publicKeyCredential, as WebAuthn's JSON for the key.
    let c = &body.public_key_credential;
    let credential = serde_json::json!({
        "id": c["id"],
        "rawId": c.get("rawId").unwrap_or(&c["id"]),
        "type": "public-key",
        "response": c["response"],
        "extensions": c.get("clientExtensionResults").cloned().unwrap_or_else(|| serde_json::json!({})),
    });
    let name = body.display_name;
    let (stored, view) = acting(&state, desk, move |t, a| {
        let view = t.provision_passkey(a, &id, &name, &credential)?;
        let o = t.overview(a, &id)?;
        let stored = o
            .methods
            .into_iter()
            .find(|m| m.id == view.id)
            .ok_or_else(|| Error::Storage("the enrolled key vanished".into()))?;
        Ok((stored, view))
    })
    .await?;
    Ok(json(StatusCode::CREATED, graph_method(&stored, &view)))
}
