//! Accounts: users and their passwords (Argon2id), browser sessions, API tokens, and the audit
//! log of who did what. The web layer turns requests into these calls and keeps its own limits
//! on login attempts (`web::throttle`).

use crate::config::Limits;
use crate::digest::sha256_hex;
use crate::domain::{AuditEntry, Role, Session, User};
use crate::store::{Store, StoreError};
use argon2::Argon2;
use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::Utc;
use serde::Deserialize;

/// A working day: a session left open on a shared office PC does not last until tomorrow.
pub const SESSION_HOURS: i64 = 8;

/// The accounts service, built once by the app.
pub struct Accounts {
    pub store: Store,
    /// The longest name and password a login reads.
    pub limits: Limits,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    /// A name, role or password that breaks a rule (400), with a stable code.
    #[error("{message}")]
    Invalid { code: &'static str, message: String },
    /// Wrong name or password, or an account that no longer exists (401).
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Internal(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

pub type Result<T> = std::result::Result<T, AccountError>;

/// A user to create, or the new role / password / display name of an existing one.
#[derive(Deserialize, utoipa::ToSchema)]
pub struct NewUser {
    pub name: String,
    #[serde(default)]
    pub display: String,
    pub role: String,
    pub password: String,
}

/// 32 random bytes from the OS, hex-encoded.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Argon2id with the crate's default parameters and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> std::result::Result<String, String> {
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
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// An audit entry written now.
pub fn audit_entry(actor: &str, action: &str, target: &str, address: &str) -> AuditEntry {
    AuditEntry {
        seq: 0,
        at: Utc::now(),
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        detail: String::new(),
        address: address.into(),
    }
}

impl Accounts {
    /// Refuses a name or password longer than any account can have, before it is hashed,
    /// counted or written anywhere: a 10 MB name costs its parsing and nothing else.
    pub fn check_lengths(&self, name: &str, password: &str) -> Result<()> {
        let l = &self.limits;
        // Bytes first: a long name is refused without counting its characters.
        let name_too_long =
            name.len() > 4 * l.login_name_chars || name.chars().count() > l.login_name_chars;
        if name_too_long || password.len() > l.login_password_bytes {
            return Err(AccountError::Invalid {
                code: "login_too_long",
                message: format!(
                    "用户名最多 {} 个字符，密码最多 {} 字节",
                    l.login_name_chars, l.login_password_bytes
                ),
            });
        }
        Ok(())
    }

    /// Checks a name and password (blocking: Argon2 takes tens of milliseconds by design) and
    /// audits the attempt, never the password. An unknown name is checked against a dummy hash
    /// so that timing does not tell which names exist.
    pub fn verify(&self, name: &str, password: &str, address: &str) -> Result<User> {
        let user = self.store.user(name)?;
        let ok = match &user {
            Some(u) => verify_password(&u.password_hash, password),
            None => {
                let _ = hash_password(password);
                false
            }
        };
        match user {
            Some(u) if ok && !u.disabled => {
                let mut a = audit_entry(&u.name, "登录", &u.name, address);
                a.detail = "登录成功".into();
                self.store.append_audit(a)?;
                Ok(u)
            }
            _ => {
                let mut a = audit_entry("访客", "登录失败", name, address);
                a.detail = "用户名或密码错误".into();
                self.store.append_audit(a)?;
                Err(AccountError::Unauthorized("用户名或密码错误".into()))
            }
        }
    }

    /// Opens a session for `user`: the cookie value and the session's CSRF token.
    pub fn open_session(&self, user: &User) -> Result<(String, String)> {
        let token = random_token();
        let now = Utc::now();
        let s = Session {
            user: user.name.clone(),
            csrf: random_token(),
            created: now,
            expires: now + chrono::Duration::hours(SESSION_HOURS),
        };
        self.store.put_session(&sha256_hex(&token), &s)?;
        Ok((token, s.csrf))
    }

    /// Ends the session whose token hash is `hash`.
    pub fn end_session(&self, hash: &str, audit: AuditEntry) -> Result<()> {
        self.store.delete_session(hash)?;
        self.store.append_audit(audit)?;
        Ok(())
    }

    /// The user an API token belongs to (`None`: unknown or revoked).
    pub fn by_token(&self, token: &str) -> Result<Option<User>> {
        if token.is_empty() {
            return Ok(None);
        }
        Ok(self.store.user_by_token(&sha256_hex(token))?)
    }

    /// The enabled user of a session cookie, with the session's CSRF token and the hash the
    /// session is kept under.
    pub fn by_session(&self, token: &str) -> Result<Option<(User, String, String)>> {
        let hash = sha256_hex(token);
        let Some(s) = self.store.session(&hash)? else {
            return Ok(None);
        };
        Ok(self
            .store
            .user(&s.user)?
            .filter(|u| !u.disabled)
            .map(|u| (u, s.csrf, hash)))
    }

    /// A signed-in user's account, which may have been deleted since.
    pub fn user(&self, name: &str) -> Result<User> {
        self.store
            .user(name)?
            .ok_or_else(|| AccountError::Unauthorized("账号不存在".into()))
    }

    pub fn users(&self) -> Result<Vec<User>> {
        Ok(self.store.users()?)
    }

    /// Issues (or replaces) the user's API token; it is shown once, only its hash is kept.
    pub fn issue_token(&self, name: &str, audit: AuditEntry) -> Result<String> {
        issue_token(&self.store, self.user(name)?, audit)
    }

    /// Creates a user, or changes the role / password / display name of an existing one.
    pub fn save_user(&self, n: NewUser, audit: AuditEntry) -> Result<User> {
        save_user(&self.store, n, audit)
    }

    /// The audit log, newest first, from `offset`; and how long it is.
    pub fn audit(&self, offset: usize, limit: usize) -> Result<(Vec<AuditEntry>, usize)> {
        Ok((self.store.audit(offset, limit)?, self.store.audit_len()))
    }

    /// The whole audit log as CSV: names and details typed by anonymous callers (a failed
    /// login's name) are neutralised like every CSV cell.
    pub fn audit_csv(&self) -> Result<Vec<u8>> {
        let head = ["序号", "时间", "操作人", "操作", "对象", "详情", "来源地址"].map(String::from);
        let entries = self.store.audit(0, usize::MAX)?;
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
            .map_err(|e| AccountError::Internal(e.to_string()))
    }
}

/// A new API token for `user` (the command line has a store alone).
pub fn issue_token(store: &Store, mut user: User, audit: AuditEntry) -> Result<String> {
    let token = random_token();
    user.token_hash = Some(sha256_hex(&token));
    store.put_user(&user, audit)?;
    Ok(token)
}

/// `Accounts::save_user` on a store alone (the command line opens no index).
pub fn save_user(store: &Store, n: NewUser, audit: AuditEntry) -> Result<User> {
    let invalid = |message: String| AccountError::Invalid {
        code: "invalid_user",
        message,
    };
    let name = n.name.trim().to_string();
    User::check_name(&name).map_err(invalid)?;
    let role = Role::parse(&n.role).map_err(invalid)?;
    let existing = store.user(&name)?;
    let password_hash = match (&existing, n.password.is_empty()) {
        (Some(u), true) => u.password_hash.clone(),
        _ => new_password_hash(&n.password)?,
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

fn new_password_hash(password: &str) -> Result<String> {
    let invalid = |message: String| AccountError::Invalid {
        code: "invalid_user",
        message,
    };
    User::check_password(password).map_err(invalid)?;
    // A longer password could never be used to sign in (`check_lengths`).
    let max = Limits::default().login_password_bytes;
    if password.len() > max {
        return Err(invalid(format!("密码最多 {max} 字节")));
    }
    hash_password(password).map_err(AccountError::Internal)
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
    fn secrets_compare_whole() {
        assert!(same("abc", "abc") && !same("abc", "abd") && !same("ab", "abc"));
        assert_eq!(random_token().len(), 64);
    }
}
