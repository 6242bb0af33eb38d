//! The frame every HTML page shares: the header's `Nav`, the error page, and people's names.

use crate::domain::Role;
use askama::Template;

/// What the page header shows.
#[derive(Debug, Clone, Default)]
pub struct Nav {
    pub user: Option<String>,
    pub role: Option<Role>,
    pub csrf: String,
}

impl Nav {
    pub fn can(&self, role: &Role) -> bool {
        self.role.is_some_and(|r| r.allows(*role))
    }

    pub fn is_curator(&self) -> bool {
        self.can(&Role::Editor)
    }

    pub fn is_reviewer(&self) -> bool {
        self.can(&Role::Reviewer)
    }

    pub fn is_admin(&self) -> bool {
        self.can(&Role::Admin)
    }
}

#[derive(Template)]
#[template(path = "error.html")]
pub struct ErrorPage {
    pub nav: Nav,
    pub status: u16,
    pub message: String,
}

/// Curators' display names (姓名) by login, for the pages that name who did what: revision
/// logs, proposals and the audit log record the login, which stays the key; people read names.
#[derive(Debug, Clone, Default)]
pub struct People(std::collections::HashMap<String, String>);

impl People {
    pub fn load(store: &crate::store::Store) -> Result<People, crate::store::StoreError> {
        Ok(People(
            store
                .users()?
                .into_iter()
                .filter(|u| !u.display.trim().is_empty())
                .map(|u| (u.name.clone(), u.display))
                .collect(),
        ))
    }

    /// "张三（zhangsan）" for a login with a display name; the login itself otherwise
    /// (the command line, a removed account).
    pub fn shown(&self, login: &str) -> String {
        match self.0.get(login) {
            Some(d) => format!("{d}（{login}）"),
            None => login.to_string(),
        }
    }
}
