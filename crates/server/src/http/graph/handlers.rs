//! The Graph-shaped routes: each resolves its administrator at the door
//! (`HelpDesk`) and calls the help desk's operations.

use super::*;

// ---- handlers -----------------------------------------------------------------

#[utoipa::path(
    get,
    path = "/graph/v1.0/users",
    params(UsersQuery),
    responses(
        (status = 200, description = "Users, by account name", body = Collection<GraphUser>),
        (status = 400, description = "An unsupported $filter, $search or $top", body = GraphError),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "The administrator's roles do not include reading users", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn list_users(
    State(state): State<AppState>,
    desk: HelpDesk,
    Eventual(eventual): Eventual,
    Query(q): Query<HashMap<String, String>>,
) -> GraphResult {
    let search = user_search(&q)?;
    let select = Select::of(&q, USER_PROPERTIES)?;
    let count = match q.get("$count").map(String::as_str) {
        None | Some("false") => false,
        Some("true") if eventual => true,
        Some("true") => {
            return Err(bad(
                "$count on users needs the header ConsistencyLevel: eventual",
                "$count",
            ))
        }
        Some(_) => return Err(bad("$count is true or false", "$count")),
    };
    let (users, total) = acting(&state, desk, move |t, a| {
        let total = count
            .then(|| t.count_users(a, search.clone()))
            .transpose()?;
        Ok((t.find_users(a, search)?, total))
    })
    .await?;
    let mut body = serde_json::json!({
        "value": users.iter().map(|u| select.apply(graph_user(u))).collect::<Vec<_>>(),
    });
    if let Some(n) = total {
        body["@odata.count"] = n.into();
    }
    Ok(json(StatusCode::OK, body))
}

/// The properties of a Graph group, as `$select` may name them.
const GROUP_PROPERTIES: &[&str] = &["id", "displayName"];

#[utoipa::path(
    get,
    path = "/graph/v1.0/groups",
    params(("$select" = Option<String>, Query, description = "Only these properties: id, displayName")),
    responses(
        (status = 200, description = "The directory's groups, by name", body = Collection<GraphGroup>),
        (status = 400, description = "An unknown property in $select", body = GraphError),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "The administrator's roles do not include reading users", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn list_groups(
    State(state): State<AppState>,
    desk: HelpDesk,
    Query(q): Query<HashMap<String, String>>,
) -> GraphResult {
    let select = Select::of(&q, GROUP_PROPERTIES)?;
    let groups = acting(&state, desk, move |t, a| t.directory_groups(a)).await?;
    let value: Vec<_> = groups
        .into_iter()
        .map(|g| {
            select.apply(GraphGroup {
                id: g.object_id,
                display_name: g.display_name,
            })
        })
        .collect();
    Ok(json(StatusCode::OK, serde_json::json!({ "value": value })))
}

#[utoipa::path(
    get,
    path = "/graph/v1.0/users/{id}",
    params(("id" = String, Path, description = "The user's id or account name")),
    responses(
        (status = 200, description = "The user", body = GraphUser),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "The administrator's roles do not include reading users", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn get_user(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> GraphResult {
    let select = Select::of(&q, USER_PROPERTIES)?;
    let user = acting(&state, desk, move |t, a| t.read_user(a, &id)).await?;
    Ok(json(StatusCode::OK, select.apply(graph_user(&user))))
}

#[utoipa::path(
    patch,
    path = "/graph/v1.0/users/{id}",
    params(("id" = String, Path, description = "The user's id or account name")),
    request_body = UserPatch,
    responses(
        (status = 204, description = "Changed: accountEnabled false ends every session, pass and token of the person at once"),
        (status = 400, description = "An unknown property, another @odata.type, or an invalid name", body = GraphError),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Not allowed for this user (or yourself), or read-only", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
        (status = 409, description = "The new account name is taken", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn patch_user(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
    GraphJson(body): GraphJson<UserPatch>,
) -> GraphResult {
    own_type(body.odata_type.as_deref(), &[tapin_api::graph::USER_TYPE])?;
    acting(&state, desk, move |t, a| {
        let user = t.read_user(a, &id)?;
        let update = crate::domain::UserUpdate {
            upn: body.user_principal_name,
            display_name: body.display_name,
            time_zone: None,
        };
        let user = t.update_user(a, &user.object_id, update)?;
        if let Some(enabled) = body.account_enabled {
            t.set_user_enabled(a, &user.object_id, enabled)?;
        }
        Ok(())
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    delete,
    path = "/graph/v1.0/users/{id}",
    params(("id" = String, Path, description = "The user's id or account name")),
    responses(
        (status = 204, description = "Removed, with every method, pass and session; the audit trail stays"),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Not allowed for this user (or yourself), or read-only", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn delete_user(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    acting(&state, desk, move |t, a| t.remove_user(a, &id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    get,
    path = "/graph/v1.0/users/{id}/authentication/methods",
    params(("id" = String, Path, description = "The user's id or account name")),
    responses(
        (status = 200, description = "Every method, each with its @odata.type; the pass too, if there is one", body = Collection<AuthenticationMethod>),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "The administrator's roles do not include reading users", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn list_methods(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    let o = acting(&state, desk, move |t, a| t.overview(a, &id)).await?;
    let mut value: Vec<AuthenticationMethod> = o
        .methods
        .iter()
        .zip(&o.views)
        .map(|(m, v)| graph_method(m, v))
        .collect();
    if let Some(p) = &o.pass {
        value.push(AuthenticationMethod {
            odata_type: "#microsoft.graph.temporaryAccessPassAuthenticationMethod".into(),
            id: p.id.clone(),
            display_name: None,
            created_date_time: Some(p.created_at),
            ..Default::default()
        });
    }
    Ok(json(StatusCode::OK, Collection { value }))
}

#[utoipa::path(
    get,
    path = "/graph/v1.0/users/{id}/authentication/temporaryAccessPassMethods",
    params(("id" = String, Path, description = "The user's id or account name")),
    responses(
        (status = 200, description = "The user's pass, if any (never its code)", body = Collection<TemporaryAccessPassMethod>),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "The administrator's roles do not include reading users", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn list_passes(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    let o = acting(&state, desk, move |t, a| t.overview(a, &id)).await?;
    Ok(json(
        StatusCode::OK,
        Collection {
            value: o.pass.iter().map(|p| graph_pass(p, None)).collect(),
        },
    ))
}

#[utoipa::path(
    post,
    path = "/graph/v1.0/users/{id}/authentication/temporaryAccessPassMethods",
    params(("id" = String, Path, description = "The user's id or account name")),
    request_body = NewTemporaryAccessPass,
    responses(
        (status = 201, description = "The pass, with its code: shown this once", body = TemporaryAccessPassMethod),
        (status = 400, description = "The lifetime is outside the policy, or the body is not right", body = GraphError),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Not allowed for this user (or yourself), read-only, or the policy is disabled or does not include the user", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn create_pass(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
    GraphJson(body): GraphJson<NewTemporaryAccessPass>,
) -> GraphResult {
    own_type(body.odata_type.as_deref(), &[tapin_api::graph::PASS_TYPE])?;
    let issued = acting(&state, desk, move |t, a| {
        let user = t.read_user(a, &id)?;
        t.issue_pass(
            a,
            &user.upn,
            IssueOptions {
                lifetime_minutes: body.lifetime_in_minutes,
                one_time: body.is_usable_once.unwrap_or(false),
                start: body.start_date_time,
            },
        )
    })
    .await?;
    Ok(json(
        StatusCode::CREATED,
        graph_pass(&issued.pass, Some(issued.temporary_access_pass)),
    ))
}

#[utoipa::path(
    get,
    path = "/graph/v1.0/users/{id}/authentication/temporaryAccessPassMethods/{method_id}",
    params(
        ("id" = String, Path, description = "The user's id or account name"),
        ("method_id" = String, Path, description = "The pass's id"),
    ),
    responses(
        (status = 200, description = "The pass (never its code)", body = TemporaryAccessPassMethod),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "The administrator's roles do not include reading users", body = GraphError),
        (status = 404, description = "No such user or pass", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn get_pass(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path((id, method_id)): Path<(String, String)>,
) -> GraphResult {
    let o = acting(&state, desk, move |t, a| t.overview(a, &id)).await?;
    let pass = o
        .pass
        .filter(|p| p.id == method_id)
        .ok_or_else(|| Error::NotFound(format!("{} has no such pass", o.user.upn)))?;
    Ok(json(StatusCode::OK, graph_pass(&pass, None)))
}

#[utoipa::path(
    delete,
    path = "/graph/v1.0/users/{id}/authentication/temporaryAccessPassMethods/{method_id}",
    params(
        ("id" = String, Path, description = "The user's id or account name"),
        ("method_id" = String, Path, description = "The pass's id"),
    ),
    responses(
        (status = 204, description = "Deleted; the sessions it opened are ended"),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Not allowed for this user (or yourself), or read-only", body = GraphError),
        (status = 404, description = "No such user or pass", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn delete_pass(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path((id, method_id)): Path<(String, String)>,
) -> GraphResult {
    acting(&state, desk, move |t, a| {
        let user = t.read_user(a, &id)?;
        t.revoke_pass_by_id(a, &user.upn, Some(&method_id))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub(in crate::http) async fn delete_typed(
    state: AppState,
    desk: HelpDesk,
    id: String,
    method_id: String,
    kinds: &'static [MethodKind],
) -> GraphResult {
    acting(&state, desk, move |t, a| {
        t.remove_method_for(a, &id, &method_id, kinds, "")
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

macro_rules! typed_delete {
    ($name:ident, $collection:literal, $what:literal, $kinds:expr) => {
        #[utoipa::path(
            delete,
            path = concat!("/graph/v1.0/users/{id}/authentication/", $collection, "/{method_id}"),
            params(
                ("id" = String, Path, description = "The user's id or account name"),
                ("method_id" = String, Path, description = concat!("The ", $what, "'s id")),
            ),
            responses(
                (status = 204, description = "Removed; the user's other channels are told, and it is audited"),
                (status = 401, description = "No valid token or administrator session", body = GraphError),
                (status = 403, description = "Not allowed for this user (or yourself), or read-only", body = GraphError),
                (status = 404, description = concat!("No such user, or no such ", $what), body = GraphError),
            ),
            security(("bearer" = []), ("session" = [])),
            tag = "graph"
        )]
        pub(crate) async fn $name(
            State(state): State<AppState>,
            desk: HelpDesk,
            Path((id, method_id)): Path<(String, String)>,
        ) -> GraphResult {
            delete_typed(state, desk, id, method_id, $kinds).await
        }
    };
}

typed_delete!(
    delete_fido2,
    "fido2Methods",
    "passkey or security key",
    &[MethodKind::Passkey, MethodKind::SecurityKey]
);
typed_delete!(
    delete_oath,
    "softwareOathMethods",
    "authenticator app",
    &[MethodKind::AuthenticatorApp]
);
typed_delete!(
    delete_phone,
    "phoneMethods",
    "phone",
    &[
        MethodKind::Phone,
        MethodKind::AlternatePhone,
        MethodKind::OfficePhone
    ]
);
typed_delete!(
    delete_email,
    "emailMethods",
    "email address",
    &[MethodKind::Email]
);

#[utoipa::path(
    post,
    path = "/graph/v1.0/users/{id}/revokeSignInSessions",
    params(("id" = String, Path, description = "The user's id or account name")),
    responses(
        (status = 200, description = "Every session of the user ended", body = Object),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Not allowed for this user (or yourself), or read-only", body = GraphError),
        (status = 404, description = "No such user", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn revoke_sessions(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    acting(&state, desk, move |t, a| {
        let user = t.read_user(a, &id)?;
        t.revoke_sessions(a, &user.upn, None)
    })
    .await?;
    Ok(json(StatusCode::OK, serde_json::json!({ "value": true })))
}

#[utoipa::path(
    get,
    path = "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
    responses(
        (status = 200, description = "The Temporary Access Pass policy", body = TemporaryAccessPassConfiguration),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn get_policy(State(state): State<AppState>, desk: HelpDesk) -> GraphResult {
    let policy = acting(&state, desk, |t, _| t.policy()).await?;
    Ok(json(StatusCode::OK, graph_policy(&policy)))
}

#[utoipa::path(
    patch,
    path = "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass",
    request_body = TemporaryAccessPassConfigurationPatch,
    responses(
        (status = 204, description = "Changed"),
        (status = 400, description = "A value out of range, or minimum above maximum, or the default outside them", body = GraphError),
        (status = 401, description = "No valid token or administrator session", body = GraphError),
        (status = 403, description = "Only an authentication policy administrator may change the policy", body = GraphError),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "graph"
)]
pub(crate) async fn patch_policy(
    State(state): State<AppState>,
    desk: HelpDesk,
    GraphJson(patch): GraphJson<TemporaryAccessPassConfigurationPatch>,
) -> GraphResult {
    let change = policy_change(patch)?;
    acting(&state, desk, move |t, a| t.set_policy(a, change)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
