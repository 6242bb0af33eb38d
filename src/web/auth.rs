//! Who is asking: session cookies for browsers, per-user tokens for API clients, anti-CSRF
//! tokens on every write, and the client's address (`address`), which the limits key on.
//!
//! One middleware resolves the caller into a `Viewer` for every request and refuses writes that
//! fail the CSRF check, so no handler can forget it. Roles are checked by the handlers with
//! `Viewer::require`, server-side, for pages and API alike.

use super::AppState;
use super::error::{ApiError, AppError, PageError};
pub use super::layout::Nav;
use crate::curation::Actor;
use crate::domain::{AuditEntry, Role, Session, User};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

pub const SESSION_COOKIE: &str = "zb_session";
pub const CSRF_COOKIE: &str = "zb_csrf";
pub const CSRF_FIELD: &str = "csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// A working day: a session left open on a shared office PC does not last until tomorrow.
pub const SESSION_HOURS: i64 = 8;
/// The anonymous CSRF cookie lives as long as a session and is renewed with every page, so a
/// page left open is refused at most after a working day of disuse.
pub const CSRF_COOKIE_SECS: i64 = SESSION_HOURS * 3600;
const MAX_BODY: usize = 16 * 1024 * 1024;

/// 32 random bytes from the OS, hex-encoded.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub fn sha256_hex(s: &str) -> String {
    format!("{:x}", Sha256::digest(s.as_bytes()))
}

/// Argon2id with the crate's default parameters and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("密码加密失败：{e}"))
}

pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false)
}

/// Compares secrets in time independent of where they differ.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

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

/// Resolves the caller, enforces CSRF on writes, and hands out the anonymous CSRF cookie.
pub async fn layer(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let path = req.uri().path().to_string();
    let is_api = path.starts_with("/api/");
    let fail = |e: AppError| -> Response {
        if is_api {
            ApiError(e).into_response()
        } else {
            PageError(e).into_response()
        }
    };
    let ip = client_ip(&req, &app.config.limits.trusted_proxies);
    let jar = cookies(req.headers());
    let mut via = Via::Anonymous;
    let mut user = None;
    let mut csrf = None;
    if let Some(auth) = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
    {
        let token = auth.strip_prefix("Bearer ").unwrap_or("").trim();
        match app.store.user_by_token(&sha256_hex(token)) {
            Ok(Some(u)) if !token.is_empty() => {
                user = Some(u);
                via = Via::Token;
            }
            Ok(_) => {
                return fail(AppError::Unauthorized(
                    "API 令牌无效或已撤销（Authorization: Bearer <令牌>）".into(),
                ));
            }
            Err(e) => return fail(e.into()),
        }
    } else if let Some(token) = jar.get(SESSION_COOKIE).filter(|t| is_token(t)) {
        let hash = sha256_hex(token);
        match app.store.session(&hash) {
            Ok(Some(s)) => match app.store.user(&s.user) {
                Ok(Some(u)) if !u.disabled => {
                    user = Some(u);
                    csrf = Some(s.csrf);
                    via = Via::Session(hash);
                }
                Ok(_) => {}
                Err(e) => return fail(e.into()),
            },
            Ok(None) => {}
            Err(e) => return fail(e.into()),
        }
    }
    let mut new_cookie = false;
    let csrf = match csrf {
        Some(c) => c,
        None => match jar.get(CSRF_COOKIE).filter(|t| is_token(t)) {
            Some(c) => c.clone(),
            None => {
                new_cookie = true;
                random_token()
            }
        },
    };
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let mut req = req;
    if !safe && via != Via::Token {
        let header_token = req
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let provided = if is_api {
            // API calls without a session carry no ambient authority: nothing to forge.
            if !matches!(via, Via::Session(_)) {
                Some(csrf.clone())
            } else {
                header_token
            }
        } else if header_token.is_some() {
            header_token
        } else {
            let (parts, body) = req.into_parts();
            let bytes = match axum::body::to_bytes(body, MAX_BODY).await {
                Ok(b) => b,
                Err(_) => {
                    return fail(AppError::bad(
                        "body_too_large",
                        "上传内容过大（最大 16 MiB）",
                    ));
                }
            };
            let found = csrf_in_body(&parts.headers, &bytes).await;
            req = Request::from_parts(parts, Body::from(bytes));
            found
        };
        if !provided.is_some_and(|p| same(&p, &csrf)) {
            return fail(AppError::Forbidden {
                code: "csrf_failed",
                message: "安全校验失败（CSRF 令牌缺失或不符）：请刷新页面后重新提交；API 调用请在 X-CSRF-Token 头中携带令牌，或改用 API 令牌。".into(),
            });
        }
    }
    let anonymous = via == Via::Anonymous;
    req.extensions_mut().insert(Viewer {
        user,
        csrf: csrf.clone(),
        address: ip.map_or_else(|| "-".to_string(), |ip| ip.to_string()),
        ip,
        via,
    });
    let mut res = next.run(req).await;
    let is_page = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    // A new token goes out with any page; a known one is renewed with each page to anonymous
    // callers, whose forms it signs.
    if !is_api && (new_cookie || (anonymous && is_page)) {
        res.headers_mut().append(
            header::SET_COOKIE,
            cookie(
                CSRF_COOKIE,
                &csrf,
                CSRF_COOKIE_SECS,
                false,
                app.config.secure_cookies,
            ),
        );
    }
    res
}

/// Opens a session for `user`: the cookie value and the session's CSRF token.
pub fn open_session(app: &AppState, user: &User) -> Result<(String, String), AppError> {
    let token = random_token();
    let now = Utc::now();
    let s = Session {
        user: user.name.clone(),
        csrf: random_token(),
        created: now,
        expires: now + chrono::Duration::hours(SESSION_HOURS),
    };
    app.store.put_session(&sha256_hex(&token), &s)?;
    Ok((token, s.csrf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_with_salt_and_verify() {
        let a = hash_password("正确的密码 horse battery").unwrap();
        let b = hash_password("正确的密码 horse battery").unwrap();
        assert_ne!(a, b, "salted");
        assert!(a.starts_with("$argon2id$"));
        assert!(!a.contains("horse"));
        assert!(verify_password(&a, "正确的密码 horse battery"));
        assert!(!verify_password(&a, "wrong"));
        assert!(!verify_password("not a hash", "x"));
    }

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
