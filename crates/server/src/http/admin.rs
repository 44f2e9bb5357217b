//! The help desk's own endpoints (`/api/v1/admin/`) for what Graph has no
//! resource for: who is acting, a user's whole picture, clearing a lockout,
//! removing a method with a reason, and the audit trail (JSON or CSV).

use super::caller::HelpDesk;
use super::error::ApiError;
use super::graph::graph_pass;
use super::{domain, no_store, ApiJson, AppState};
use crate::domain::helpdesk::Capabilities;
use crate::domain::{Actor, AuditEvent, AuditFilter, Error, Tapin};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::Router;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use tapin_api::admin::{
    AdminMe, AdminSession, AuditEntry, CreatedOidcClient, LockoutState, MethodRemoval,
    NewOidcClient, OidcClientView, UserDetail,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/admin/me", get(me))
        .route("/api/v1/admin/users/{id}", get(user))
        .route("/api/v1/admin/users/{id}/lockout", delete(clear_lockout))
        .route(
            "/api/v1/admin/users/{id}/methods/{method_id}",
            delete(remove_method),
        )
        .route("/api/v1/admin/audit", get(audit))
        .route("/api/v1/admin/clients", get(clients).post(add_client))
        .route("/api/v1/admin/clients/{client_id}", delete(remove_client))
        .route(
            "/api/v1/admin/clients/{client_id}/secret",
            axum::routing::post(rotate_secret),
        )
}

fn client_view(c: crate::domain::oidc::OidcClient) -> OidcClientView {
    OidcClientView {
        public: c.is_public(),
        client_id: c.client_id,
        name: c.name,
        consent: c.consent,
        phishing_resistant: c.phishing_resistant,
        id_token_alg: c.id_token_alg,
        redirect_uris: c.redirect_uris,
        post_logout_uris: c.post_logout_uris,
        created_at: c.created_at,
    }
}

fn created(c: crate::domain::oidc::clients::CreatedClient, status: StatusCode) -> Response {
    super::json_no_store(
        status,
        CreatedOidcClient {
            client_id: c.client_id,
            client_secret: c.client_secret,
        },
    )
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/clients",
    responses(
        (status = 200, description = "The applications that sign people in with tapin, oldest first", body = Vec<OidcClientView>),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Not allowed to read them", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn clients(
    State(state): State<AppState>,
    desk: HelpDesk,
) -> Result<Response, ApiError> {
    let list = acting(&state, desk, |t, a| t.clients_for(a)).await?;
    Ok(json(list.into_iter().map(client_view).collect::<Vec<_>>()))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/clients",
    request_body = NewOidcClient,
    responses(
        (status = 201, description = "Registered: the client id and, unless public, its secret (shown only now)", body = CreatedOidcClient),
        (status = 400, description = "A name or address that is not allowed (field says which)", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Only privileged authentication administrators register applications", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn add_client(
    State(state): State<AppState>,
    desk: HelpDesk,
    ApiJson(body): ApiJson<NewOidcClient>,
) -> Result<Response, ApiError> {
    let new = crate::domain::oidc::NewClient {
        name: body.name,
        redirect_uris: body.redirect_uris,
        post_logout_uris: body.post_logout_uris,
        public: body.public,
        consent: body.consent,
        id_token_alg: None,
        phishing_resistant: body.phishing_resistant,
        offline_access: body.offline_access,
        device_grant: body.device_grant,
        backchannel_logout_uri: body.backchannel_logout_uri,
    };
    let c = acting(&state, desk, move |t, a| t.add_client(a, new)).await?;
    Ok(created(c, StatusCode::CREATED))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/clients/{client_id}",
    params(("client_id" = String, Path, description = "The application's client id")),
    responses(
        (status = 204, description = "Removed; its codes and access tokens stop at once"),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Only privileged authentication administrators remove applications", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such application", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn remove_client(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(client_id): Path<String>,
) -> Result<Response, ApiError> {
    acting(&state, desk, move |t, a| t.remove_client(a, &client_id)).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/clients/{client_id}/secret",
    params(("client_id" = String, Path, description = "The application's client id")),
    responses(
        (status = 200, description = "A new secret (shown only now); the old one stopped", body = CreatedOidcClient),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Only privileged authentication administrators re-key applications", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such application", body = tapin_api::wire::ErrorBody),
        (status = 409, description = "A public application has no secret", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn rotate_secret(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(client_id): Path<String>,
) -> Result<Response, ApiError> {
    let c = acting(&state, desk, move |t, a| {
        t.rotate_client_secret(a, &client_id)
    })
    .await?;
    Ok(created(c, StatusCode::OK))
}

async fn acting<T: Send + 'static>(
    state: &AppState,
    desk: HelpDesk,
    work: impl FnOnce(&Tapin, &Actor) -> crate::domain::Result<T> + Send + 'static,
) -> Result<T, ApiError> {
    domain(state, move |t| t.as_help_desk(&desk.credential, work))
        .await
        .map_err(super::caller::token_refused)
}

fn json<T: serde::Serialize>(v: T) -> Response {
    super::json_no_store(StatusCode::OK, v)
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/me",
    responses(
        (status = 200, description = "The acting administrator and what their roles allow", body = AdminMe),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Not an administrator, or signed in with a pass (a passkey or security key is needed)", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn me(State(_): State<AppState>, desk: HelpDesk) -> Result<Response, ApiError> {
    let actor = desk.actor;
    let Actor::Admin(admin) = &actor else {
        return Err(Error::Forbidden("not an administrator".into()).into());
    };
    let can = Capabilities::of(&actor);
    Ok(json(AdminMe {
        id: admin.object_id.clone(),
        upn: admin.upn.clone(),
        display_name: admin.display_name.clone(),
        roles: admin
            .admin_roles
            .iter()
            .filter_map(|r| serde_json::to_value(r).ok()?.as_str().map(str::to_string))
            .collect(),
        read_users: can.read_users,
        manage_members: can.manage_members,
        manage_admins: can.manage_admins,
        edit_policy: can.edit_policy,
        read_audit: can.read_audit,
        manage_clients: can.manage_clients,
    }))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/users/{id}",
    params(("id" = String, Path, description = "The user's id or account name")),
    responses(
        (status = 200, description = "The user's methods, pass, lockout and sessions", body = UserDetail),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Not allowed to read users", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such user", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn user(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let window = state.tapin.settings().lockout_window.num_minutes() as u32;
    let o = acting(&state, desk, move |t, a| t.overview(a, &id)).await?;
    Ok(json(UserDetail {
        id: o.user.object_id.clone(),
        upn: o.user.upn.clone(),
        display_name: o.user.display_name.clone(),
        role: match o.user.role {
            crate::domain::Role::Admin => "admin".into(),
            crate::domain::Role::Member => "member".into(),
        },
        enabled: o.user.enabled,
        groups: o.user.groups.clone(),
        time_zone: o.user.time_zone.clone(),
        methods: o.views.clone(),
        pass: o.pass.as_ref().map(|p| graph_pass(p, None)),
        lockout: LockoutState {
            locked: o.locked,
            failures: o.lockout.account,
            window_minutes: window,
        },
        sessions: o
            .sessions
            .iter()
            .map(|s| AdminSession {
                id: s.id.clone(),
                created_at: s.created_at,
                expires_at: s.expires_at,
                last_seen_at: s.last_seen_at,
                from_pass: s.pass_id.is_some(),
            })
            .collect(),
        may_manage: o.may_manage,
    }))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{id}/lockout",
    params(("id" = String, Path, description = "The user's id or account name")),
    responses(
        (status = 204, description = "The account's failed attempts are forgotten: it is unlocked everywhere"),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Not allowed for this user (or yourself), or read-only", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such user", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn clear_lockout(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    acting(&state, desk, move |t, a| {
        let user = t.read_user(a, &id)?;
        t.clear_lockout(a, &user.upn)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/users/{id}/methods/{method_id}",
    params(
        ("id" = String, Path, description = "The user's id or account name"),
        ("method_id" = String, Path, description = "The method's id"),
    ),
    request_body = MethodRemoval,
    responses(
        (status = 204, description = "Removed; the user's other channels are told, and the reason is audited"),
        (status = 400, description = "The reason is too long", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Not allowed for this user (or yourself), or read-only", body = tapin_api::wire::ErrorBody),
        (status = 404, description = "No such user or method", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn remove_method(
    State(state): State<AppState>,
    desk: HelpDesk,
    Path((id, method_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<MethodRemoval>,
) -> Result<Response, ApiError> {
    acting(&state, desk, move |t, a| {
        t.remove_method_for(a, &id, &method_id, &[], &body.reason)
    })
    .await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// The newest events the audit page is sent (narrow it with the filters).
pub(crate) const AUDIT_PAGE_ROWS: u32 = 500;
/// The newest events a CSV export holds.
pub(crate) const AUDIT_EXPORT_ROWS: u32 = 100_000;

/// The audit filters, as documented; parsed from the query by hand so
/// every mistake gets tapin's error body.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
struct AuditQuery {
    /// Only events about this account.
    upn: Option<String>,
    /// Only this kind (pass_issued, method_removed, ...).
    event: Option<String>,
    /// From this time (RFC 3339).
    since: Option<DateTime<Utc>>,
    /// Before this time (RFC 3339).
    until: Option<DateTime<Utc>>,
    /// `csv` for a spreadsheet download.
    format: Option<AuditFormat>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[schema(rename_all = "lowercase")]
enum AuditFormat {
    Json,
    Csv,
}

fn time_param(
    q: &HashMap<String, String>,
    name: &'static str,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    q.get(name)
        .map(|v| {
            DateTime::parse_from_rfc3339(v)
                .map(|t| t.with_timezone(&Utc))
                .map_err(|_| {
                    ApiError::from(Error::Invalid(
                        format!("{name} must be a date and time like 2026-01-31T09:00:00Z"),
                        Some(name),
                    ))
                })
        })
        .transpose()
}

/// A CSV field: quoted, quotes doubled, and a leading =, +, - or @ defused
/// so a spreadsheet never runs it as a formula.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_string()
    };
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn csv(events: &[AuditEvent]) -> String {
    let mut out = String::from("at,upn,event,detail,actor,client\r\n");
    for e in events {
        let row = [
            e.at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            e.upn.clone(),
            e.event.clone(),
            e.detail.clone(),
            e.actor.clone(),
            e.client.clone(),
        ];
        out.push_str(
            &row.iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str("\r\n");
    }
    out
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/audit",
    params(AuditQuery),
    responses(
        (status = 200, description = "The newest 500 matching events (100,000 for format=csv), oldest first (JSON, or CSV with format=csv)", body = Vec<AuditEntry>),
        (status = 400, description = "A filter is not right", body = tapin_api::wire::ErrorBody),
        (status = 401, description = "Not signed in", body = tapin_api::wire::ErrorBody),
        (status = 403, description = "Not allowed to read the audit trail", body = tapin_api::wire::ErrorBody),
    ),
    security(("bearer" = []), ("session" = [])),
    tag = "help desk"
)]
pub(crate) async fn audit(
    State(state): State<AppState>,
    desk: HelpDesk,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Response, ApiError> {
    let text = |name: &str| {
        q.get(name)
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    let filter = AuditFilter {
        upn: text("upn"),
        event: text("event"),
        since: time_param(&q, "since")?,
        until: time_param(&q, "until")?,
        // The page shows the newest; an export takes more, never unbounded.
        newest: Some(if text("format").as_deref() == Some("csv") {
            AUDIT_EXPORT_ROWS
        } else {
            AUDIT_PAGE_ROWS
        }),
    };
    let as_csv = match text("format").as_deref() {
        None | Some("json") => false,
        Some("csv") => true,
        Some(_) => {
            return Err(Error::Invalid("format is json or csv".into(), Some("format")).into())
        }
    };
    let events = acting(&state, desk, move |t, a| t.audit_for(a, filter)).await?;
    if as_csv {
        let mut res = csv(&events).into_response();
        let h = res.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        );
        h.insert(
            header::CONTENT_DISPOSITION,
            HeaderValue::from_static("attachment; filename=\"tapin-audit.csv\""),
        );
        return Ok(no_store(res));
    }
    Ok(json(
        events
            .into_iter()
            .map(|e| AuditEntry {
                at: e.at,
                upn: e.upn,
                event: e.event,
                detail: e.detail,
                actor: e.actor,
                client: e.client,
            })
            .collect::<Vec<_>>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        assert_eq!(csv_field("a\"b"), "\"a\"\"b\"");
        assert_eq!(csv_field("=HYPERLINK(1)"), "\"'=HYPERLINK(1)\"");
        assert_eq!(csv_field("ada@contoso.com"), "\"ada@contoso.com\"");
    }
}
