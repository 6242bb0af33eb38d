//! The frame every HTML page shares: the header's `Nav` and the error page.

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
