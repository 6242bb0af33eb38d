//! Signing in and out, API tokens, user administration and the audit log.

use super::auth::{CSRF_COOKIE, Nav, SESSION_COOKIE, SESSION_HOURS, Via, Viewer, cookie};
use super::error::{ApiError, AppError};
use super::extract::{Admin, Form, Json, JsonBody, Query, Require};
use super::layout::People;
use super::response::{Page, attachment, blocking, html};
use super::state::AppState;
use super::throttle::{Guards, too_many};
use crate::accounts::NewUser;
use crate::domain::{AuditEntry, Role, User};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::{Value, json};

/// Checks a name and password. Failures slow further attempts on the same name (a growing
/// delay, never a lock-out) and from the same client address (a budget per hour).
async fn check_login(
    app: &AppState,
    guards: &Guards,
    viewer: &Viewer,
    name: &str,
    password: &str,
) -> Result<User, AppError> {
    let name = name.trim().to_string();
    app.accounts.check_lengths(&name, password)?;
    let key = viewer.limit_key();
    let throttled = |wait| {
        too_many(
            "login_throttled",
            "登录失败次数过多，为保护账号，每次失败后需等待更久",
            wait,
        )
    };
    // Counted as a failure from the start and given back on success, so that requests sent
    // at once cannot all pass before the first failure is counted.
    guards.login_addresses.take(&key).map_err(throttled)?;
    if let Err(wait) = guards.login_names.attempt(&name) {
        guards.login_addresses.refund(&key);
        return Err(throttled(wait));
    }
    let (app2, password, address) = (app.clone(), password.to_string(), viewer.address.clone());
    let n = name.clone();
    let user = blocking(move || Ok(app2.accounts.verify(&n, &password, &address)?)).await?;
    guards.login_names.clear(&name);
    guards.login_addresses.refund(&key);
    Ok(user)
}

#[derive(Template)]
#[template(path = "login.html")]
pub struct LoginPage {
    pub nav: Nav,
    pub error: Option<String>,
    pub name: String,
}

pub async fn login_page(viewer: Viewer) -> Page {
    if viewer.user.is_some() {
        return Ok(Redirect::to("/curation").into_response());
    }
    html(&LoginPage {
        nav: viewer.nav(),
        error: None,
        name: String::new(),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct LoginForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub password: String,
}

fn session_cookies(app: &AppState, token: &str) -> [(header::HeaderName, header::HeaderValue); 1] {
    [(
        header::SET_COOKIE,
        cookie(
            SESSION_COOKIE,
            token,
            SESSION_HOURS * 3600,
            true,
            app.config.secure_cookies,
        ),
    )]
}

pub async fn login_submit(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Form(f): Form<LoginForm>,
) -> Page {
    match check_login(&app, &guards, &viewer, &f.name, &f.password).await {
        Ok(u) => {
            let (token, _) = app.accounts.open_session(&u)?;
            Ok((session_cookies(&app, &token), Redirect::to("/curation")).into_response())
        }
        Err(
            e
            @ (AppError::Unauthorized(_) | AppError::Refused { .. } | AppError::BadRequest { .. }),
        ) => {
            let status = e.status();
            let mut name = f.name;
            name.truncate(
                name.char_indices()
                    .nth(app.config.limits.login_name_chars)
                    .map_or(name.len(), |(i, _)| i),
            );
            let page = LoginPage {
                nav: viewer.nav(),
                error: Some(e.message()),
                name,
            };
            Ok((status, Html(page.render().map_err(AppError::from)?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

async fn end_session(app: &AppState, viewer: &Viewer) -> Result<Response, AppError> {
    if let Via::Session(hash) = &viewer.via {
        app.accounts
            .end_session(hash, viewer.audit("退出登录", "", ""))?;
    }
    // Appended: an array of headers would keep only the last cookie.
    Ok((
        axum::response::AppendHeaders([
            (
                header::SET_COOKIE,
                cookie(SESSION_COOKIE, "", 0, true, app.config.secure_cookies),
            ),
            (
                header::SET_COOKIE,
                cookie(CSRF_COOKIE, "", 0, false, app.config.secure_cookies),
            ),
        ]),
        Redirect::to("/"),
    )
        .into_response())
}

pub async fn logout(State(app): State<AppState>, viewer: Viewer) -> Page {
    Ok(end_session(&app, &viewer).await?)
}

/// `POST /api/v1/session` `{name, password}`: a session for scripts that prefer cookies; answers
/// the CSRF token to send as `X-CSRF-Token` with every write.
pub async fn session_api(
    State(app): State<AppState>,
    guards: Guards,
    viewer: Viewer,
    Json(f): Json<LoginForm>,
) -> Result<Response, ApiError> {
    let u = check_login(&app, &guards, &viewer, &f.name, &f.password).await?;
    let (token, csrf) = app.accounts.open_session(&u)?;
    Ok((
        session_cookies(&app, &token),
        Json(json!({ "user": u.name, "role": u.role, "csrf": csrf })),
    )
        .into_response())
}

pub async fn logout_api(State(app): State<AppState>, viewer: Viewer) -> Result<Response, ApiError> {
    end_session(&app, &viewer).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

pub async fn me_api(viewer: Viewer) -> Json<Value> {
    Json(json!({
        "user": viewer.user.as_ref().map(|u| &u.name),
        "display": viewer.user.as_ref().map(User::shown),
        "role": viewer.user.as_ref().map(|u| u.role),
        "csrf": viewer.csrf,
    }))
}

/// Issues (or replaces) the caller's API token; it is shown once, only its hash is kept.
fn issue_token(app: &AppState, viewer: &Viewer) -> Result<String, AppError> {
    let actor = viewer.require(Role::Editor)?;
    let audit = viewer.audit("生成 API 令牌", &actor.user, "旧令牌失效");
    Ok(app.accounts.issue_token(&actor.user, audit)?)
}

pub async fn token_api(
    State(app): State<AppState>,
    viewer: Viewer,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let token = issue_token(&app, &viewer)?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "token": token, "usage": "Authorization: Bearer <token>" })),
    ))
}

#[derive(Template)]
#[template(path = "account.html")]
pub struct AccountPage {
    pub nav: Nav,
    pub user: User,
    pub new_token: Option<String>,
}

pub async fn account_page(State(app): State<AppState>, viewer: Viewer) -> Page {
    let user = app.accounts.user(&viewer.require(Role::Editor)?.user)?;
    html(&AccountPage {
        nav: viewer.nav(),
        user,
        new_token: None,
    })
}

pub async fn account_token_page(State(app): State<AppState>, viewer: Viewer) -> Page {
    let token = issue_token(&app, &viewer)?;
    let user = app.accounts.user(&viewer.require(Role::Editor)?.user)?;
    html(&AccountPage {
        nav: viewer.nav(),
        user,
        new_token: Some(token),
    })
}

fn public(u: &User) -> Value {
    json!({ "name": u.name, "display": u.display, "role": u.role, "created": u.created,
            "disabled": u.disabled, "has_token": u.token_hash.is_some() })
}

pub async fn users_api(
    State(app): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Value>, ApiError> {
    viewer.require(Role::Admin)?;
    let users: Vec<Value> = app.accounts.users()?.iter().map(public).collect();
    Ok(Json(json!({ "users": users })))
}

pub async fn add_user_api(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Admin>,
    JsonBody(n): JsonBody<NewUser>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let audit = viewer.audit("保存用户", "", "");
    let u = blocking(move || Ok(app.accounts.save_user(n, audit)?)).await?;
    Ok((StatusCode::CREATED, Json(public(&u))))
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub nav: Nav,
    pub users: Vec<User>,
    pub error: Option<String>,
    pub roles: Vec<Role>,
}

pub async fn users_page(State(app): State<AppState>, viewer: Viewer) -> Page {
    viewer.require(Role::Admin)?;
    html(&UsersPage {
        nav: viewer.nav(),
        users: app.accounts.users()?,
        error: None,
        roles: Role::ALL.to_vec(),
    })
}

pub async fn users_submit(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Admin>,
    Form(n): Form<NewUser>,
) -> Page {
    let audit = viewer.audit("保存用户", "", "");
    let app2 = app.clone();
    match blocking(move || Ok(app2.accounts.save_user(n, audit)?)).await {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ AppError::BadRequest { .. }) => {
            let page = UsersPage {
                nav: viewer.nav(),
                users: app.accounts.users()?,
                error: Some(e.message()),
                roles: Role::ALL.to_vec(),
            };
            Ok((e.status(), Html(page.render().map_err(AppError::from)?)).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    #[serde(default)]
    pub offset: usize,
    #[serde(default)]
    pub limit: Option<usize>,
    #[serde(default)]
    pub format: Option<String>,
}

/// `GET /api/v1/audit?offset=&limit=&format=csv` (admin): newest first; CSV exports it all.
pub async fn audit_api(
    State(app): State<AppState>,
    _: Require<Admin>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    if q.format.as_deref() == Some("csv") {
        return Ok(attachment(
            app.accounts.audit_csv()?,
            "text/csv; charset=utf-8",
            "审计日志.csv",
        ));
    }
    let limit = q.limit.unwrap_or(100).min(1000);
    let (entries, total) = app.accounts.audit(q.offset, limit)?;
    Ok(Json(json!({ "total": total, "offset": q.offset, "entries": entries })).into_response())
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub nav: Nav,
    pub entries: Vec<AuditEntry>,
    pub people: People,
    pub total: usize,
    pub offset: usize,
    pub next: Option<usize>,
}

pub async fn audit_page(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Admin>,
    Query(q): Query<AuditQuery>,
) -> Page {
    let (entries, total) = app.accounts.audit(q.offset, 100)?;
    html(&AuditPage {
        people: People::load(&app.store)?,
        nav: viewer.nav(),
        next: (q.offset + 100 < total).then_some(q.offset + 100),
        entries,
        total,
        offset: q.offset,
    })
}
