//! The Graph-shaped admin API under `/graph/v1.0/`: Microsoft Graph v1.0's
//! authentication-methods resources (names, types, statuses and the
//! `{"error": {"code", "message"}}` shape), calling the same domain
//! operations as the command line and the admin pages.

use super::caller::HelpDesk;
use super::error::ApiError;
use super::{domain, ApiJson, AppState};
use crate::domain::{Actor, Error, IssueOptions, PassView, PolicyChange, Tapin, Target, User};
use crate::domain::{Policy, StoredMethod, UserSearch};
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::Utc;
use std::collections::HashMap;
use tapin_api::graph::{
    AuthenticationMethod, Collection, GraphError, GraphErrorDetail, GraphInnerError, GraphUser,
    MethodTarget, NewTemporaryAccessPass, TemporaryAccessPassConfiguration,
    TemporaryAccessPassConfigurationPatch, TemporaryAccessPassMethod,
};
use tapin_api::wire::{ErrorCode, MethodKind};

pub const BASE: &str = "/graph/v1.0";
const POLICY: &str = "/graph/v1.0/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass";

pub fn routes() -> Router<AppState> {
    let methods = "/graph/v1.0/users/{id}/authentication";
    Router::new()
        .route("/graph/v1.0/users", get(list_users))
        .route("/graph/v1.0/users/{id}", get(get_user))
        .route(&format!("{methods}/methods"), get(list_methods))
        .route(
            &format!("{methods}/temporaryAccessPassMethods"),
            get(list_passes).post(create_pass),
        )
        .route(
            &format!("{methods}/temporaryAccessPassMethods/{{method_id}}"),
            get(get_pass).delete(delete_pass),
        )
        .route(
            &format!("{methods}/fido2Methods/{{method_id}}"),
            delete(delete_fido2),
        )
        .route(
            &format!("{methods}/softwareOathMethods/{{method_id}}"),
            delete(delete_oath),
        )
        .route(
            &format!("{methods}/phoneMethods/{{method_id}}"),
            delete(delete_phone),
        )
        .route(
            &format!("{methods}/emailMethods/{{method_id}}"),
            delete(delete_email),
        )
        .route(
            "/graph/v1.0/users/{id}/revokeSignInSessions",
            post(revoke_sessions),
        )
        .route(POLICY, get(get_policy).patch(patch_policy))
        .route("/graph/{*rest}", axum::routing::any(no_such_resource))
}

async fn no_such_resource() -> GraphFailure {
    GraphFailure(ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::NotFound,
        "There is no such resource: tapin serves the Temporary Access Pass and authentication-method resources of Graph v1.0.",
    ))
}

// ---- errors -----------------------------------------------------------------

/// A failure in Graph's shape; tapin's own code rides along in `innerError`.
pub struct GraphFailure(pub ApiError);

impl<E: Into<ApiError>> From<E> for GraphFailure {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

/// Graph's `error.code` for a status.
fn graph_code(status: StatusCode) -> &'static str {
    match status.as_u16() {
        400 => "badRequest",
        401 => "InvalidAuthenticationToken",
        403 => "accessDenied",
        404 => "Request_ResourceNotFound",
        405 => "methodNotAllowed",
        408 => "timeout",
        409 => "conflict",
        413 => "requestTooLarge",
        415 => "unsupportedMediaType",
        429 => "tooManyRequests",
        503 => "serviceNotAvailable",
        _ => "generalException",
    }
}

impl GraphFailure {
    pub fn into_graph(self) -> Response {
        let ApiError {
            status,
            body,
            retry_after_seconds,
            ..
        } = self.0;
        let inner = serde_json::to_value(body.code)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_else(|| "internal".into());
        let error = GraphError {
            error: GraphErrorDetail {
                code: graph_code(status).into(),
                message: body.message,
                inner_error: GraphInnerError {
                    code: inner,
                    field: body.field,
                    date: Utc::now(),
                },
            },
        };
        let mut res = (status, Json(error)).into_response();
        if let Some(secs) = retry_after_seconds {
            if let Ok(v) = header::HeaderValue::from_str(&secs.to_string()) {
                res.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        if status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer realm=\"tapin\""),
            );
        }
        res
    }
}

impl IntoResponse for GraphFailure {
    fn into_response(self) -> Response {
        self.into_graph()
    }
}

fn bad(message: impl Into<String>, field: &'static str) -> GraphFailure {
    let mut err = ApiError::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidInput, message);
    err.body.field = Some(field.into());
    GraphFailure(err)
}

type GraphResult = Result<Response, GraphFailure>;

// ---- who is asking -------------------------------------------------------------

/// Runs domain work as the caller.
async fn acting<T: Send + 'static>(
    state: &AppState,
    actor: Actor,
    work: impl FnOnce(&Tapin, &Actor) -> crate::domain::Result<T> + Send + 'static,
) -> Result<T, GraphFailure> {
    Ok(domain(state, move |t| work(t, &actor)).await?)
}

use super::json_no_store as json;

/// A JSON body, its rejections in Graph's shape.
pub struct GraphJson<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> axum::extract::FromRequest<S>
    for GraphJson<T>
{
    type Rejection = GraphFailure;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        ApiJson::<T>::from_request(req, state)
            .await
            .map(|ApiJson(v)| Self(v))
            .map_err(GraphFailure)
    }
}

// ---- shapes -----------------------------------------------------------------

pub fn graph_user(u: &User) -> GraphUser {
    GraphUser {
        id: u.id.to_string(),
        user_principal_name: u.upn.clone(),
        display_name: u.display_name.clone(),
        role: match u.role {
            crate::domain::Role::Admin => "admin".into(),
            crate::domain::Role::Member => "member".into(),
        },
    }
}

pub fn graph_pass(p: &PassView, code: Option<String>) -> TemporaryAccessPassMethod {
    TemporaryAccessPassMethod {
        odata_type: "#microsoft.graph.temporaryAccessPassAuthenticationMethod".into(),
        id: p.id.clone(),
        temporary_access_pass: code,
        created_date_time: p.created_at,
        start_date_time: p.start_at,
        lifetime_in_minutes: p.lifetime_in_minutes,
        is_usable_once: p.is_usable_once,
        is_usable: p.is_usable,
        method_usability_reason: format!("{:?}", p.method_usability_reason),
    }
}

fn graph_method(m: &StoredMethod) -> AuthenticationMethod {
    let view = m.view();
    let mut out = AuthenticationMethod {
        odata_type: String::new(),
        id: m.id.clone(),
        display_name: m.name.clone(),
        created_date_time: Some(m.created_at),
        model: None,
        phone_number: None,
        phone_type: None,
        email_address: None,
    };
    let kind = match m.kind {
        MethodKind::Passkey | MethodKind::SecurityKey => {
            out.model = Some(
                if m.kind == MethodKind::Passkey {
                    "passkey"
                } else {
                    "securityKey"
                }
                .into(),
            );
            "fido2AuthenticationMethod"
        }
        MethodKind::AuthenticatorApp => "softwareOathAuthenticationMethod",
        MethodKind::Phone | MethodKind::AlternatePhone | MethodKind::OfficePhone => {
            out.phone_number = Some(view.detail);
            out.phone_type = Some(
                match m.kind {
                    MethodKind::Phone => "mobile",
                    MethodKind::AlternatePhone => "alternateMobile",
                    _ => "office",
                }
                .into(),
            );
            "phoneAuthenticationMethod"
        }
        MethodKind::Email => {
            out.email_address = Some(view.detail);
            "emailAuthenticationMethod"
        }
    };
    out.odata_type = format!("#microsoft.graph.{kind}");
    out
}

pub fn graph_policy(p: &Policy) -> TemporaryAccessPassConfiguration {
    let target = |t: &Target, include: bool| MethodTarget {
        target_type: if matches!(t, Target::User(_)) {
            "user"
        } else {
            "group"
        }
        .into(),
        id: match t {
            Target::All => "all_users".into(),
            Target::User(u) => u.clone(),
            Target::Group(g) => g.clone(),
        },
        is_registration_required: include.then_some(p.require_registration),
    };
    TemporaryAccessPassConfiguration {
        odata_type: "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration".into(),
        id: "TemporaryAccessPass".into(),
        state: if p.enabled { "enabled" } else { "disabled" }.into(),
        default_lifetime_in_minutes: p.default_lifetime_minutes,
        default_length: p.length,
        minimum_lifetime_in_minutes: p.min_lifetime_minutes,
        maximum_lifetime_in_minutes: p.max_lifetime_minutes,
        is_usable_once: p.one_time,
        include_targets: p.include.iter().map(|t| target(t, true)).collect(),
        exclude_targets: p.exclude.iter().map(|t| target(t, false)).collect(),
    }
}

/// Graph's configuration patch as a change of the policy; what it cannot mean is refused.
pub fn policy_change(
    patch: TemporaryAccessPassConfigurationPatch,
) -> Result<PolicyChange, GraphFailure> {
    fn targets(list: &[MethodTarget], field: &'static str) -> Result<Vec<Target>, GraphFailure> {
        list.iter()
            .map(|t| match (t.target_type.as_str(), t.id.as_str()) {
                ("group", "all_users") => Ok(Target::All),
                ("group", g) => {
                    Target::parse(&format!("group:{g}")).map_err(|e| bad(e.to_string(), field))
                }
                ("user", u) => {
                    Target::parse(&format!("user:{u}")).map_err(|e| bad(e.to_string(), field))
                }
                (other, _) => Err(bad(
                    format!("targetType '{other}' is not one of group, user"),
                    field,
                )),
            })
            .collect()
    }
    if let Some(t) = &patch.odata_type {
        if t != "#microsoft.graph.temporaryAccessPassAuthenticationMethodConfiguration" {
            return Err(bad(
                format!("@odata.type '{t}' is not this configuration's"),
                "@odata.type",
            ));
        }
    }
    let enabled = match patch.state.as_deref() {
        None => None,
        Some("enabled") => Some(true),
        Some("disabled") => Some(false),
        Some(other) => {
            return Err(bad(
                format!("state '{other}' is not one of enabled, disabled"),
                "state",
            ))
        }
    };
    let include = patch
        .include_targets
        .as_deref()
        .map(|l| targets(l, "includeTargets"))
        .transpose()?;
    let require_registration = patch.include_targets.as_deref().and_then(|l| {
        l.iter()
            .filter_map(|t| t.is_registration_required)
            .reduce(|a, b| a || b)
    });
    let exclude = patch
        .exclude_targets
        .as_deref()
        .map(|l| targets(l, "excludeTargets"))
        .transpose()?;
    if exclude.as_ref().is_some_and(|l| l.contains(&Target::All)) {
        return Err(bad(
            "everyone cannot be excluded; set state to disabled instead",
            "excludeTargets",
        ));
    }
    Ok(PolicyChange {
        enabled,
        include,
        exclude,
        min_lifetime_minutes: patch.minimum_lifetime_in_minutes,
        max_lifetime_minutes: patch.maximum_lifetime_in_minutes,
        default_lifetime_minutes: patch.default_lifetime_in_minutes,
        one_time: patch.is_usable_once,
        length: patch.default_length,
        require_registration,
    })
}

/// `startswith(userPrincipalName,'a')`, `startswith(displayName,'a')`,
/// joined by `or`; `$search="displayName:a" OR "userPrincipalName:a"`
/// (words of the name, as Graph's search). Anything else is refused.
fn user_search(q: &HashMap<String, String>) -> Result<UserSearch, GraphFailure> {
    let mut search = UserSearch {
        top: 100,
        ..Default::default()
    };
    if let Some(top) = q.get("$top") {
        search.top = top
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=crate::domain::helpdesk::SEARCH_TOP_MAX).contains(n))
            .ok_or_else(|| bad("$top must be a whole number from 1 to 999", "$top"))?;
    }
    let unsupported = |f: &'static str| {
        bad(
            "only startswith(userPrincipalName,'…') and startswith(displayName,'…'), joined by 'or', are supported",
            f,
        )
    };
    if let Some(filter) = q.get("$filter") {
        for clause in filter.split(" or ") {
            let inner = clause
                .trim()
                .strip_prefix("startswith(")
                .and_then(|c| c.strip_suffix(')'))
                .ok_or_else(|| unsupported("$filter"))?;
            let (property, value) = inner
                .split_once(',')
                .ok_or_else(|| unsupported("$filter"))?;
            let value = value
                .trim()
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .ok_or_else(|| unsupported("$filter"))?
                .replace("''", "'");
            match property.trim() {
                "userPrincipalName" => search.upn_prefix = Some(value),
                "displayName" => search.name_prefix = Some(value),
                _ => return Err(unsupported("$filter")),
            }
        }
    }
    if let Some(terms) = q.get("$search") {
        for term in terms.split(" OR ") {
            let term = term
                .trim()
                .strip_prefix('"')
                .and_then(|t| t.strip_suffix('"'))
                .ok_or_else(|| bad("$search takes \"displayName:…\" or \"userPrincipalName:…\" terms joined by OR", "$search"))?;
            match term.split_once(':') {
                Some(("displayName", v)) => {
                    search.name_prefix = Some(v.into());
                    search.name_words = true;
                }
                Some(("userPrincipalName", v)) => search.upn_prefix = Some(v.into()),
                _ => return Err(bad(
                    "$search takes \"displayName:…\" or \"userPrincipalName:…\" terms joined by OR",
                    "$search",
                )),
            }
        }
    }
    Ok(search)
}

/// The query of `GET /users`, as documented (parsed by `user_search`).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct UsersQuery {
    /// `startswith(userPrincipalName,'x')` and/or `startswith(displayName,'x')`, joined by ` or `.
    #[param(
        rename = "$filter",
        pattern = "^startswith\\((userPrincipalName|displayName),'[^']*'\\)( or startswith\\((userPrincipalName|displayName),'[^']*'\\))?$"
    )]
    filter: Option<String>,
    /// `"displayName:x"` (the start of any word of the name) and/or `"userPrincipalName:x"`, joined by ` OR `.
    #[param(
        rename = "$search",
        pattern = "^\"(displayName|userPrincipalName):[^\"]*\"( OR \"(displayName|userPrincipalName):[^\"]*\")?$"
    )]
    search: Option<String>,
    /// At most this many (1 to 999; 100 by default).
    #[param(rename = "$top", minimum = 1, maximum = 999)]
    top: Option<u32>,
}

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
    HelpDesk(actor): HelpDesk,
    Query(q): Query<HashMap<String, String>>,
) -> GraphResult {
    let search = user_search(&q)?;
    let users = acting(&state, actor, move |t, a| t.find_users(a, search)).await?;
    Ok(json(
        StatusCode::OK,
        Collection {
            value: users.iter().map(graph_user).collect(),
        },
    ))
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
    HelpDesk(actor): HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    let user = acting(&state, actor, move |t, a| t.read_user(a, &id)).await?;
    Ok(json(StatusCode::OK, graph_user(&user)))
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
    HelpDesk(actor): HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    let o = acting(&state, actor, move |t, a| t.overview(a, &id)).await?;
    let mut value: Vec<AuthenticationMethod> = o.methods.iter().map(graph_method).collect();
    if let Some(p) = &o.pass {
        value.push(AuthenticationMethod {
            odata_type: "#microsoft.graph.temporaryAccessPassAuthenticationMethod".into(),
            id: p.id.clone(),
            display_name: None,
            created_date_time: Some(p.created_at),
            model: None,
            phone_number: None,
            phone_type: None,
            email_address: None,
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
    HelpDesk(actor): HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    let o = acting(&state, actor, move |t, a| t.overview(a, &id)).await?;
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
    HelpDesk(actor): HelpDesk,
    Path(id): Path<String>,
    GraphJson(body): GraphJson<NewTemporaryAccessPass>,
) -> GraphResult {
    let issued = acting(&state, actor, move |t, a| {
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
    HelpDesk(actor): HelpDesk,
    Path((id, method_id)): Path<(String, String)>,
) -> GraphResult {
    let o = acting(&state, actor, move |t, a| t.overview(a, &id)).await?;
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
    HelpDesk(actor): HelpDesk,
    Path((id, method_id)): Path<(String, String)>,
) -> GraphResult {
    acting(&state, actor, move |t, a| {
        let user = t.read_user(a, &id)?;
        t.revoke_pass_by_id(a, &user.upn, Some(&method_id))
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn delete_typed(
    state: AppState,
    actor: Actor,
    id: String,
    method_id: String,
    kinds: &'static [MethodKind],
) -> GraphResult {
    acting(&state, actor, move |t, a| {
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
            HelpDesk(actor): HelpDesk,
            Path((id, method_id)): Path<(String, String)>,
        ) -> GraphResult {
            delete_typed(state, actor, id, method_id, $kinds).await
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
    HelpDesk(actor): HelpDesk,
    Path(id): Path<String>,
) -> GraphResult {
    acting(&state, actor, move |t, a| {
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
pub(crate) async fn get_policy(
    State(state): State<AppState>,
    HelpDesk(actor): HelpDesk,
) -> GraphResult {
    let policy = acting(&state, actor, |t, _| t.policy()).await?;
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
    HelpDesk(actor): HelpDesk,
    GraphJson(patch): GraphJson<TemporaryAccessPassConfigurationPatch>,
) -> GraphResult {
    let change = policy_change(patch)?;
    acting(&state, actor, move |t, a| t.set_policy(a, change)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
