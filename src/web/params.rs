//! Query-string parsing that never rejects with axum's plain-text errors: malformed encodings
//! are decoded leniently, and each bad value becomes an `AppError` naming the parameter.

use super::error::AppError;
use crate::search::{Filters, MAX_LIMIT, SearchRequest};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use std::convert::Infallible;

pub struct Params(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Params, Infallible> {
        let q = parts.uri.query().unwrap_or("");
        Ok(Params(
            form_urlencoded::parse(q.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

/// Longest value accepted for any parameter (a query is checked more tightly by the search).
const MAX_VALUE_CHARS: usize = 10_000;

impl Params {
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// A non-empty value, trimmed.
    pub fn text(&self, key: &str) -> Option<String> {
        self.get(key)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    pub fn number(&self, key: &str, default: usize) -> Result<usize, AppError> {
        match self.text(key) {
            None => Ok(default),
            Some(v) => v.parse::<usize>().map_err(|_| {
                AppError::bad(
                    "invalid_parameter",
                    format!("参数 {key} 应为非负整数，收到“{}”", truncate(&v)),
                )
            }),
        }
    }

    pub fn flag(&self, key: &str) -> bool {
        matches!(self.get(key), Some("1" | "true" | "on" | "yes"))
    }

    pub fn search_request(&self, default_limit: usize) -> Result<SearchRequest, AppError> {
        if let Some((k, _)) = self
            .0
            .iter()
            .find(|(_, v)| v.chars().count() > MAX_VALUE_CHARS)
        {
            return Err(AppError::bad(
                "query_too_long",
                format!("参数 {k} 过长（最多 {MAX_VALUE_CHARS} 个字符）"),
            ));
        }
        let limit = self.number("limit", default_limit)?;
        if limit == 0 || limit > MAX_LIMIT {
            return Err(AppError::bad(
                "invalid_parameter",
                format!("每页条数 limit 应在 1–{MAX_LIMIT} 之间，收到 {limit}"),
            ));
        }
        Ok(SearchRequest {
            q: self.get("q").unwrap_or("").to_string(),
            limit,
            offset: self.number("offset", 0)?,
            filters: Filters {
                level1: self.text("level1"),
                level2: self.text("level2"),
                project_type: self.text("project_type"),
                sector: self.text("sector"),
                scope: self.text("scope"),
                core: self.flag("core"),
            },
            explain: self.flag("explain"),
            facets: self.flag("facets"),
            ..SearchRequest::new("")
        })
    }
}

fn truncate(s: &str) -> String {
    s.chars().take(20).collect()
}
