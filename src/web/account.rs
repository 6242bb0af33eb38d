//! Signing in and out, API tokens, user administration and the audit log.

use super::AppState;
use super::auth::{self, CSRF_COOKIE, Nav, SESSION_COOKIE, SESSION_HOURS, Via, Viewer, cookie};
use super::error::{ApiError, AppError, PageError};
use super::extract::{Admin, Form, Json, Query, Require};
use super::throttle::{Guards, too_many};
use crate::domain::{AuditEntry, Role, User};
use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{Value, json};

type Page = Result<Response, PageError>;

fn html<T: Template>(t: &T) -> Page {
    Ok(Html(t.render().map_err(AppError::from)?).into_response())
}

/// Refuses a name or password longer than any account can have, before it is hashed, counted
/// or written anywhere: a 10 MB name costs its parsing and nothing else.
fn check_lengths(app: &AppState, name: &str, password: &str) -> Result<(), AppError> {
    let l = &app.config.limits;
    // Bytes first: a long name is refused without counting its characters.
    let name_too_long =
        name.len() > 4 * l.login_name_chars || name.chars().count() > l.login_name_chars;
    if name_too_long || password.len() > l.login_password_bytes {
        return Err(AppError::bad(
            "login_too_long",
            format!(
                "用户名最多 {} 个字符，密码最多 {} 字节",
                l.login_name_chars, l.login_password_bytes
            ),
        ));
    }
    Ok(())
}

/// Checks a name and password. Failures slow further attempts on the same name (a growing
/// delay, never a lock-out) and from the same client address (a budget per hour). Every
/// attempt is audited (never the password).
async fn check_login(
    app: &AppState,
    guards: &Guards,
    viewer: &Viewer,
    name: &str,
    password: &str,
) -> Result<User, AppError> {
    let name = name.trim();
    check_lengths(app, name, password)?;
    let name = name.to_string();
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
    let user = app.store.user(&name)?;
    let password = password.to_string();
    // Argon2 takes tens of milliseconds by design: off the async workers. An unknown name is
    // checked against a dummy hash so that timing does not tell which names exist.
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    let ok = tokio::task::spawn_blocking(move || match hash {
        Some(h) => auth::verify_password(&h, &password),
        None => {
            let _ = auth::hash_password(&password);
            false
        }
    })
    .await?;
    match user {
        Some(u) if ok && !u.disabled => {
            guards.login_names.clear(&name);
            guards.login_addresses.refund(&key);
            app.store
                .append_audit(viewer_as(viewer, &u).audit("登录", &u.name, "登录成功"))?;
            Ok(u)
        }
        _ => {
            let mut a = viewer.audit("登录失败", &name, "用户名或密码错误");
            a.actor = "访客".into();
            app.store.append_audit(a)?;
            Err(AppError::Unauthorized("用户名或密码错误".into()))
        }
    }
}

fn viewer_as(v: &Viewer, u: &User) -> Viewer {
    Viewer {
        user: Some(u.clone()),
        ..v.clone()
    }
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
            let (token, _) = auth::open_session(&app, &u)?;
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
        app.store.delete_session(hash)?;
        app.store.append_audit(viewer.audit("退出登录", "", ""))?;
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
    let (token, csrf) = auth::open_session(&app, &u)?;
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
    let mut u = app
        .store
        .user(&actor.user)?
        .ok_or_else(|| AppError::Unauthorized("账号不存在".into()))?;
    let token = auth::random_token();
    u.token_hash = Some(auth::sha256_hex(&token));
    app.store
        .put_user(&u, viewer.audit("生成 API 令牌", &u.name, "旧令牌失效"))?;
    Ok(token)
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
    let actor = viewer.require(Role::Editor)?;
    let user = app
        .store
        .user(&actor.user)?
        .ok_or_else(|| AppError::Unauthorized("账号不存在".into()))?;
    html(&AccountPage {
        nav: viewer.nav(),
        user,
        new_token: None,
    })
}

pub async fn account_token_page(State(app): State<AppState>, viewer: Viewer) -> Page {
    let token = issue_token(&app, &viewer)?;
    let user = app
        .store
        .user(&viewer.require(Role::Editor)?.user)?
        .ok_or_else(|| AppError::Unauthorized("账号不存在".into()))?;
    html(&AccountPage {
        nav: viewer.nav(),
        user,
        new_token: Some(token),
    })
}

#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub name: String,
    #[serde(default)]
    pub display: String,
    pub role: String,
    pub password: String,
}

/// Creates a user, or changes the role / password / display name of an existing one.
pub fn save_user(app: &crate::app::App, n: NewUser, audit: AuditEntry) -> Result<User, AppError> {
    save_user_in(&app.store, n, audit)
}

/// `save_user` on a store alone (the command line opens no index).
pub fn save_user_in(
    store: &crate::store::Store,
    n: NewUser,
    audit: AuditEntry,
) -> Result<User, AppError> {
    let name = n.name.trim().to_string();
    User::check_name(&name).map_err(|m| AppError::bad("invalid_user", m))?;
    let role = Role::parse(&n.role).map_err(|m| AppError::bad("invalid_user", m))?;
    let existing = store.user(&name)?;
    let password_hash = match (&existing, n.password.is_empty()) {
        (Some(u), true) => u.password_hash.clone(),
        _ => {
            User::check_password(&n.password).map_err(|m| AppError::bad("invalid_user", m))?;
            // A longer password could never be used to sign in (`check_lengths`).
            let max = crate::config::Limits::default().login_password_bytes;
            if n.password.len() > max {
                return Err(AppError::bad(
                    "invalid_user",
                    format!("密码最多 {max} 字节"),
                ));
            }
            auth::hash_password(&n.password).map_err(AppError::Internal)?
        }
    };
    let user = User {
        display: if n.display.trim().is_empty() {
            existing
                .as_ref()
                .map(|u| u.display.clone())
                .unwrap_or_default()
        } else {
            n.display.trim().to_string()
        },
        role,
        password_hash,
        token_hash: existing.as_ref().and_then(|u| u.token_hash.clone()),
        created: existing.as_ref().map_or_else(Utc::now, |u| u.created),
        disabled: false,
        name,
    };
    let mut audit = audit;
    audit.target = user.name.clone();
    audit.detail = format!(
        "{}，角色：{}{}",
        if existing.is_some() {
            "修改用户"
        } else {
            "新增用户"
        },
        role.label(),
        if n.password.is_empty() {
            ""
        } else {
            "，已设置密码"
        }
    );
    store.put_user(&user, audit)?;
    if existing.is_some() && !n.password.is_empty() {
        store.delete_sessions_of(&user.name)?;
    }
    Ok(user)
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
    let users: Vec<Value> = app.store.users()?.iter().map(public).collect();
    Ok(Json(json!({ "users": users })))
}

pub async fn add_user_api(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Admin>,
    body: axum::body::Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    viewer.require(Role::Admin)?;
    let n: NewUser = super::curation::json_body(&body)?;
    let audit = viewer.audit("保存用户", "", "");
    let u = tokio::task::spawn_blocking(move || save_user(&app, n, audit))
        .await
        .map_err(AppError::from)??;
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
        users: app.store.users()?,
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
    viewer.require(Role::Admin)?;
    let audit = viewer.audit("保存用户", "", "");
    let app2 = app.clone();
    match tokio::task::spawn_blocking(move || save_user(&app2, n, audit))
        .await
        .map_err(AppError::from)?
    {
        Ok(_) => Ok(Redirect::to("/admin/users").into_response()),
        Err(e @ AppError::BadRequest { .. }) => {
            let page = UsersPage {
                nav: viewer.nav(),
                users: app.store.users()?,
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

/// The audit log as CSV: names and details typed by anonymous callers (a failed login's name)
/// are neutralised like every CSV cell.
fn audit_csv(entries: &[AuditEntry]) -> Result<Vec<u8>, AppError> {
    let head = ["序号", "时间", "操作人", "操作", "对象", "详情", "来源地址"].map(String::from);
    let rows = entries.iter().map(|a| {
        [
            a.seq.to_string(),
            a.at.to_rfc3339(),
            a.actor.clone(),
            a.action.clone(),
            a.target.clone(),
            a.detail.clone(),
            a.address.clone(),
        ]
    });
    crate::ingest::csv_safe::to_bytes(std::iter::once(head).chain(rows))
        .map_err(|e| AppError::Internal(e.to_string()))
}

/// `GET /api/v1/audit?offset=&limit=&format=csv` (admin): newest first; CSV exports it all.
pub async fn audit_api(
    State(app): State<AppState>,
    viewer: Viewer,
    _: Require<Admin>,
    Query(q): Query<AuditQuery>,
) -> Result<Response, ApiError> {
    viewer.require(Role::Admin)?;
    if q.format.as_deref() == Some("csv") {
        let all = app.store.audit(0, usize::MAX)?;
        return Ok(super::curation::attachment(
            audit_csv(&all)?,
            "text/csv; charset=utf-8",
            "审计日志.csv",
        ));
    }
    let limit = q.limit.unwrap_or(100).min(1000);
    let entries = app.store.audit(q.offset, limit)?;
    Ok(
        Json(json!({ "total": app.store.audit_len(), "offset": q.offset, "entries": entries }))
            .into_response(),
    )
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub nav: Nav,
    pub entries: Vec<AuditEntry>,
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
    viewer.require(Role::Admin)?;
    let entries = app.store.audit(q.offset, 100)?;
    let total = app.store.audit_len();
    html(&AuditPage {
        nav: viewer.nav(),
        next: (q.offset + 100 < total).then_some(q.offset + 100),
        entries,
        total,
        offset: q.offset,
    })
}
