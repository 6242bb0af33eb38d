//! Accounts of the finance staff who curate the library, and their roles.
//! Visitors (budget units) need no account: they search, browse and draft anonymously.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Roles are ordered: each one may do everything the ones below it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Role {
    /// 编辑: proposes changes.
    #[serde(rename = "编辑", alias = "editor")]
    Editor,
    /// 审核: approves or rejects other people's proposals.
    #[serde(rename = "审核", alias = "reviewer")]
    Reviewer,
    /// 管理员: users, editions, settings.
    #[serde(rename = "管理员", alias = "admin")]
    Admin,
}

impl Role {
    pub const ALL: &'static [Role] = &[Role::Editor, Role::Reviewer, Role::Admin];

    pub fn label(self) -> &'static str {
        match self {
            Role::Editor => "编辑",
            Role::Reviewer => "审核",
            Role::Admin => "管理员",
        }
    }

    /// Accepts the Chinese label or the English word (for the command line).
    pub fn parse(s: &str) -> Result<Role, String> {
        match s.trim() {
            "编辑" | "editor" => Ok(Role::Editor),
            "审核" | "reviewer" => Ok(Role::Reviewer),
            "管理员" | "admin" => Ok(Role::Admin),
            other => Err(format!(
                "角色“{other}”无效（可选：编辑/editor、审核/reviewer、管理员/admin）"
            )),
        }
    }

    pub fn allows(self, needed: Role) -> bool {
        self >= needed
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct User {
    /// Login name: letters, digits, `_`, `-`, `.`; 2..=32 characters.
    pub name: String,
    /// Shown in revision logs, e.g. 张三（预算科）.
    pub display: String,
    pub role: Role,
    /// Argon2id PHC string; the password itself is never stored.
    pub password_hash: String,
    /// SHA-256 of the API token, when one was issued; the token is shown once.
    #[serde(default)]
    pub token_hash: Option<String>,
    pub created: DateTime<Utc>,
    #[serde(default)]
    pub disabled: bool,
}

impl User {
    pub fn check_name(name: &str) -> Result<(), String> {
        let n = name.chars().count();
        if !(2..=32).contains(&n) {
            return Err(format!("用户名长度应为 2–32 个字符（现为 {n} 个）"));
        }
        if let Some(c) = name
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
        {
            return Err(format!(
                "用户名含有不允许的字符“{c}”（只允许字母、数字、_、-、.）"
            ));
        }
        Ok(())
    }

    pub fn check_password(password: &str) -> Result<(), String> {
        if password.chars().count() < 10 {
            return Err("密码至少 10 个字符".into());
        }
        Ok(())
    }

    /// How the user appears in logs: the display name, or the login name.
    pub fn shown(&self) -> String {
        if self.display.trim().is_empty() {
            self.name.clone()
        } else {
            format!("{}（{}）", self.display, self.name)
        }
    }
}

/// A logged-in browser. The token itself is only in the cookie; the store keys sessions by its hash.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Session {
    pub user: String,
    /// Anti-CSRF token that forms and API calls made with this session must echo.
    pub csrf: String,
    pub created: DateTime<Utc>,
    pub expires: DateTime<Utc>,
}

/// One write, for the append-only audit log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Sequence number, increasing.
    #[serde(default)]
    pub seq: u64,
    pub at: DateTime<Utc>,
    /// Login name, or `访客` for anonymous writes.
    pub actor: String,
    pub action: String,
    /// What was written: an indicator code, a proposal id, an edition ...
    pub target: String,
    pub detail: String,
    /// Client address.
    pub address: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_include_the_ones_below() {
        assert!(Role::Admin.allows(Role::Reviewer));
        assert!(Role::Reviewer.allows(Role::Editor));
        assert!(!Role::Editor.allows(Role::Reviewer));
        assert_eq!(Role::parse("admin").unwrap(), Role::Admin);
        assert!(Role::parse("root").unwrap_err().contains("可选"));
    }

    #[test]
    fn names_and_passwords_are_checked() {
        assert!(User::check_name("zhang.san").is_ok());
        assert!(User::check_name("张三").is_err());
        assert!(User::check_name("a").is_err());
        assert!(User::check_password("short").is_err());
        assert!(User::check_password("long enough 1").is_ok());
    }
}
