//! Who is asking: session cookies for browsers, per-user tokens for API clients, anti-CSRF
//! tokens on every write, and the client's address (`address`), which the limits key on.
//!
//! One middleware resolves the caller into a `Viewer` for every request and refuses writes that
//! fail the CSRF check, so no handler can forget it. Roles are checked by the handlers with
//! `Viewer::require`, server-side, for pages and API alike.

use super::error::{ApiError, AppError, PageError};
pub use super::layout::Nav;
use super::state::AppState;
use crate::accounts::{random_token, same};
use crate::curation::Actor;
use crate::domain::{AuditEntry, Role, User};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

pub const SESSION_COOKIE: &str = "zb_session";
pub const CSRF_COOKIE: &str = "zb_csrf";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub use crate::accounts::SESSION_HOURS;
/// The anonymous CSRF cookie lives as long as a session and is renewed with every page, so a
/// page left open is refused at most after a working day of disuse.
pub const CSRF_COOKIE_SECS: i64 = SESSION_HOURS * 3600;
const MAX_BODY: usize = 16 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq)]
pub enum Via {
    Anonymous,
    /// A browser session (hash of its token).
    Session(String),
    /// An API token in `Authorization: Bearer`.
    Token,
}

/// The caller of one request.
#[derive(Debug, Clone)]
pub struct Viewer {
    pub user: Option<User>,
    /// The anti-CSRF token forms on the page must carry.
    pub csrf: String,
    /// The client's address as the audit log shows it (`-` when unknown).
    pub address: String,
    /// The client's address (`address::client`), for the limits.
    pub ip: Option<IpAddr>,
    pub via: Via,
}

impl Viewer {
    /// The signed-in user with at least `role`: 401 when nobody is signed in, 403 otherwise.
    pub fn require(&self, role: Role) -> Result<Actor, AppError> {
        let Some(u) = &self.user else {
            return Err(AppError::Unauthorized(
                "请先登录（需要“{}”或更高角色）".replace("{}", role.label()),
            ));
        };
        if !u.role.allows(role) {
            return Err(AppError::Forbidden {
                code: "forbidden",
                message: format!(
                    "您的角色是“{}”，此操作需要“{}”或更高角色",
                    u.role.label(),
                    role.label()
                ),
            });
        }
        Ok(Actor {
            user: u.name.clone(),
            shown: u.shown(),
            role: u.role,
            address: self.address.clone(),
        })
    }

    pub fn nav(&self) -> Nav {
        Nav {
            user: self.user.as_ref().map(User::shown),
            role: self.user.as_ref().map(|u| u.role),
            csrf: self.csrf.clone(),
        }
    }

    /// An audit entry for a write by this caller (anonymous writers are `访客`).
    pub fn audit(&self, action: &str, target: &str, detail: impl Into<String>) -> AuditEntry {
        AuditEntry {
            seq: 0,
            at: Utc::now(),
            actor: self
                .user
                .as_ref()
                .map_or_else(|| "访客".to_string(), |u| u.name.clone()),
            action: action.into(),
            target: target.into(),
            detail: detail.into(),
            address: self.address.clone(),
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Viewer, ApiError> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| ApiError(AppError::Internal("the auth layer is not installed".into())))
    }
}

pub fn cookies(headers: &HeaderMap) -> HashMap<String, String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| {
            let (k, v) = kv.trim().split_once('=')?;
            Some((k.trim().to_string(), v.trim().to_string()))
        })
        .collect()
}

fn is_token(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A `Set-Cookie` value; `max_age` 0 deletes the cookie.
pub fn cookie(name: &str, value: &str, max_age: i64, http_only: bool, secure: bool) -> HeaderValue {
    let mut c = format!("{name}={value}; Path=/; SameSite=Lax; Max-Age={max_age}");
    if http_only {
        c.push_str("; HttpOnly");
    }
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).expect("cookie values are hex")
}

/// The `csrf` field of a form body, urlencoded or multipart.
async fn csrf_in_body(headers: &HeaderMap, body: &Bytes) -> Option<String> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if ct.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
    }
    if ct.starts_with("multipart/form-data") {
        let boundary = multer::parse_boundary(ct).ok()?;
        let data = body.clone();
        let stream = futures_util::stream::once(async move { Ok::<Bytes, std::io::Error>(data) });
        let mut mp = multer::Multipart::new(stream, boundary);
        while let Ok(Some(field)) = mp.next_field().await {
            if field.name() == Some(CSRF_FIELD) {
                return field.text().await.ok();
            }
        }
    }
    None
}

fn client_ip(req: &Request, trusted: &[ipnet::IpNet]) -> Option<IpAddr> {
    let peer = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip());
    super::address::client(peer, req.headers(), trusted)
}

/// Who the caller is: an API token, a session cookie, or nobody; and the session's CSRF token.
fn resolve(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<(Option<User>, Option<String>, Via), AppError> {
    if let Some(auth) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = auth.strip_prefix("Bearer ").unwrap_or("").trim();
        return match app.accounts.by_token(token)? {
            Some(u) => Ok((Some(u), None, Via::Token)),
            None => Err(AppError::Unauthorized(
                "API 令牌无效或已撤销（Authorization: Bearer <令牌>）".into(),
            )),
        };
    }
    let jar = cookies(headers);
    if let Some(token) = jar.get(SESSION_COOKIE).filter(|t| is_token(t))
        && let Some((u, csrf, hash)) = app.accounts.by_session(token)?
    {
        return Ok((Some(u), Some(csrf), Via::Session(hash)));
    }
    Ok((None, None, Via::Anonymous))
}

/// The CSRF token a write carries: from its header, or from a form body (read and put back).
async fn provided_csrf(
    req: Request,
    is_api: bool,
    via: &Via,
    csrf: &str,
) -> Result<(Request, Option<String>), AppError> {
    let header_token = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if is_api {
        // API calls without a session carry no ambient authority: nothing to forge.
        let found = if matches!(via, Via::Session(_)) {
            header_token
        } else {
            Some(csrf.to_string())
        };
        return Ok((req, found));
    }
    if header_token.is_some() {
        return Ok((req, header_token));
    }
    let (parts, body) = req.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_BODY)
        .await
        .map_err(|_| AppError::bad("body_too_large", "上传内容过大（最大 16 MiB）"))?;
    let found = csrf_in_body(&parts.headers, &bytes).await;
    Ok((Request::from_parts(parts, Body::from(bytes)), found))
}

/// Resolves the caller, enforces CSRF on writes, and hands out the anonymous CSRF cookie.
pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let is_api = req.uri().path().starts_with("/api/");
    let (mut req, viewer, new_cookie) = match admit(&app, req, is_api).await {
        Ok(admitted) => admitted,
        Err(e) if is_api => return ApiError(e).into_response(),
        Err(e) => return PageError(e).into_response(),
    };
    let (anonymous, csrf) = (viewer.via == Via::Anonymous, viewer.csrf.clone());
    req.extensions_mut().insert(viewer);
    let mut res = next.run(req).await;
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    // A new token goes out with any page; a known one is renewed with each page to anonymous
    // callers, whose forms it signs.
    if !is_api && (new_cookie || (anonymous && is_page)) {
        let c = cookie(
            CSRF_COOKIE,
            &csrf,
            CSRF_COOKIE_SECS,
            false,
            app.config.secure_cookies,
        );
        res.headers_mut().append(header::SET_COOKIE, c);
    }
    res
}

/// Who is asking, with the CSRF token checked on a write; true when the token is new (no cookie
/// had one), so the answer sets it.
async fn admit(
    app: &AppState,
    req: Request,
    is_api: bool,
) -> Result<(Request, Viewer, bool), AppError> {
    let ip = client_ip(&req, &app.config.limits.trusted_proxies);
    let (user, csrf, via) = resolve(app, req.headers())?;
    let known = cookies(req.headers())
        .remove(CSRF_COOKIE)
        .filter(|t| is_token(t));
    let new_cookie = csrf.is_none() && known.is_none();
    let csrf = csrf.or(known).unwrap_or_else(random_token);
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if !safe && via != Via::Token {
        let provided;
        (req, provided) = provided_csrf(req, is_api, &via, &csrf).await?;
        if !provided.is_some_and(|p| same(&p, &csrf)) {
            return Err(AppError::Forbidden {
                code: "csrf_failed",
                message: "安全校验失败（CSRF 令牌缺失或不符）：请刷新页面后重新提交；API 调用请在 X-CSRF-Token 头中携带令牌，或改用 API 令牌。".into(),
            });
        }
    }
    let viewer = Viewer {
        user,
        csrf,
        address: ip.map_or_else(|| "-".to_string(), |ip| ip.to_string()),
        ip,
        via,
    };
    Ok((req, viewer, new_cookie))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse_and_tokens_are_hex() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; zb_csrf=xyz"));
        let c = cookies(&h);
        assert_eq!(c["zb_csrf"], "xyz");
        assert!(is_token(&random_token()));
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("ab", "abc"));
    }
}
