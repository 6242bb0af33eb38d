//! The project's own extractors: axum's `Json`, `Query`, `Path` and `Form` with every rejection
//! turned into an `AppError` (JSON under `/api/`, the Chinese error page elsewhere), and role
//! guards that refuse a caller before any input is read.
//!
//! `clippy.toml` bans axum's raw extractors so that a new handler cannot answer axum's plain text.
#![expect(
    clippy::disallowed_types,
    reason = "the one place that wraps axum's extractors"
)]

use super::auth::Viewer;
use super::error::{AppError, Rejected};
use crate::curation::Actor;
use crate::domain::Role;
use axum::extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, OptionalFromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// A JSON body (`Content-Type: application/json`), and a JSON answer.
#[derive(Debug, Clone, Copy, Default)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Json<T> {
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<Json<T>, Rejected> {
        let path = req.uri().path().to_string();
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Json(v)),
            Err(e) => Err(Rejected::at(&path, json_error(e))),
        }
    }
}

impl<T: Serialize> IntoResponse for Json<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}

/// Parameters of the query string, typed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for Query<T> {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Query<T>, Rejected> {
        match <axum::extract::Query<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
        {
            Ok(axum::extract::Query(v)) => Ok(Query(v)),
            Err(e) => Err(Rejected::at(parts.uri.path(), query_error(e))),
        }
    }
}

/// Parameters of the path (`/indicators/{code}`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Path<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for Path<T> {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Path<T>, Rejected> {
        match <axum::extract::Path<T> as FromRequestParts<S>>::from_request_parts(parts, state)
            .await
        {
            Ok(axum::extract::Path(v)) => Ok(Path(v)),
            Err(e) => Err(Rejected::at(parts.uri.path(), path_error(e))),
        }
    }
}

/// A route served with and without the parameter (`/proposals/new` and `/indicators/{code}/edit`).
impl<T: DeserializeOwned + Send + 'static, S: Send + Sync> OptionalFromRequestParts<S> for Path<T> {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Option<Path<T>>, Rejected> {
        match <axum::extract::Path<T> as OptionalFromRequestParts<S>>::from_request_parts(
            parts, state,
        )
        .await
        {
            Ok(v) => Ok(v.map(|axum::extract::Path(v)| Path(v))),
            Err(e) => Err(Rejected::at(parts.uri.path(), path_error(e))),
        }
    }
}

/// A urlencoded form body (or, for `GET`, the query string).
#[derive(Debug, Clone, Copy, Default)]
pub struct Form<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for Form<T> {
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<Form<T>, Rejected> {
        let path = req.uri().path().to_string();
        match axum::Form::<T>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(Form(v)),
            Err(e) => Err(Rejected::at(&path, form_error(e))),
        }
    }
}

/// The signed-in caller has at least the role `R`: 401 when nobody is signed in, 403 for a
/// lesser role. Put it before the extractors that read input, so that an anonymous caller is
/// told to sign in whatever it sent, and nothing it sent is parsed. It holds the caller as the
/// services record them (`Require(actor, _)`), so a handler checks the role once, here.
pub struct Require<R>(pub Actor, pub PhantomData<R>);

/// A role a guard asks for.
pub trait Needed {
    const ROLE: Role;
}

pub enum Editor {}
pub enum Reviewer {}
pub enum Admin {}

impl Needed for Editor {
    const ROLE: Role = Role::Editor;
}
impl Needed for Reviewer {
    const ROLE: Role = Role::Reviewer;
}
impl Needed for Admin {
    const ROLE: Role = Role::Admin;
}

impl<R: Needed, S: Send + Sync> FromRequestParts<S> for Require<R> {
    type Rejection = Rejected;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Require<R>, Rejected> {
        let viewer = Viewer::from_request_parts(parts, state)
            .await
            .map_err(|e| Rejected::at(parts.uri.path(), e.0))?;
        viewer
            .require(R::ROLE)
            .map(|actor| Require(actor, PhantomData))
            .map_err(|e| Rejected::at(parts.uri.path(), e))
    }
}

/// A rejection's own detail (serde's words: field names and what was expected), cut short.
fn detail(text: String) -> String {
    let text = text
        .split_once(": ")
        .map_or(text.as_str(), |(_, rest)| rest)
        .to_string();
    text.chars().take(200).collect()
}

fn too_large() -> AppError {
    AppError::Refused {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "body_too_large",
        message: format!(
            "上传内容过大（最大 {} MiB）",
            super::state::MAX_BODY_BYTES >> 20
        ),
    }
}

fn unsupported(expected: &str) -> AppError {
    AppError::Refused {
        status: StatusCode::UNSUPPORTED_MEDIA_TYPE,
        code: "unsupported_media_type",
        message: format!("请求内容类型不对：应为 Content-Type: {expected}"),
    }
}

fn unreadable_body(status: StatusCode, text: String) -> AppError {
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        too_large()
    } else {
        AppError::bad(
            "invalid_body",
            format!("请求内容未能完整读取：{}", detail(text)),
        )
    }
}

fn json_error(e: JsonRejection) -> AppError {
    match e {
        JsonRejection::MissingJsonContentType(_) => unsupported("application/json"),
        JsonRejection::BytesRejection(b) => unreadable_body(b.status(), b.body_text()),
        e @ (JsonRejection::JsonSyntaxError(_) | JsonRejection::JsonDataError(_)) => AppError::bad(
            "invalid_json",
            format!("请求内容无法解析：{}", detail(e.body_text())),
        ),
        e => AppError::bad(
            "invalid_json",
            format!("请求内容无法解析：{}", detail(e.body_text())),
        ),
    }
}

fn query_error(e: QueryRejection) -> AppError {
    AppError::bad(
        "invalid_parameter",
        format!("查询参数无效：{}", detail(e.body_text())),
    )
}

fn path_error(e: PathRejection) -> AppError {
    match e {
        PathRejection::FailedToDeserializePathParams(e) => AppError::bad(
            "invalid_path",
            format!("路径中的参数无效：{}", detail(e.body_text())),
        ),
        e => AppError::Internal(format!("path parameters: {}", e.body_text())),
    }
}

fn form_error(e: FormRejection) -> AppError {
    match e {
        FormRejection::InvalidFormContentType(_) => {
            unsupported("application/x-www-form-urlencoded")
        }
        FormRejection::BytesRejection(b) => unreadable_body(b.status(), b.body_text()),
        e => AppError::bad(
            "invalid_form",
            format!("表单内容无效：{}", detail(e.body_text())),
        ),
    }
}

/// A JSON body whose fields are all optional (a decision's comment, a new user): an empty body
/// is `{}` and no `Content-Type` is asked for, so `curl -X POST` with no body is a plain call.
#[derive(Debug, Clone, Copy, Default)]
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for JsonBody<T> {
    type Rejection = Rejected;

    async fn from_request(req: Request, state: &S) -> Result<JsonBody<T>, Rejected> {
        let path = req.uri().path().to_string();
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|b| Rejected::at(&path, unreadable_body(b.status(), b.body_text())))?;
        let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) {
            b"{}"
        } else {
            &bytes
        };
        serde_json::from_slice(bytes).map(JsonBody).map_err(|e| {
            let e = AppError::bad("invalid_json", format!("请求体不是有效的 JSON：{e}"));
            Rejected::at(&path, e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn details_drop_axums_english_lead_and_stay_short() {
        assert_eq!(
            detail("Failed to deserialize query string: a: invalid digit found in string".into()),
            "a: invalid digit found in string"
        );
        assert_eq!(detail("x".repeat(500)).chars().count(), 200);
    }

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Comment {
        #[serde(default)]
        comment: String,
    }

    async fn json_body(body: &'static str) -> Result<Comment, Rejected> {
        let req = Request::post("/api/v1/proposals/1/approve")
            .body(axum::body::Body::from(body))
            .unwrap();
        JsonBody::<Comment>::from_request(req, &())
            .await
            .map(|b| b.0)
    }

    #[tokio::test]
    async fn an_empty_json_body_is_an_empty_object_and_needs_no_content_type() {
        assert_eq!(json_body("").await.unwrap().comment, "");
        assert_eq!(json_body(" \n").await.unwrap().comment, "");
        assert_eq!(
            json_body(r#"{"comment":"好"}"#).await.unwrap().comment,
            "好"
        );
    }

    #[tokio::test]
    async fn a_body_that_is_not_json_answers_the_api_code() {
        let e = json_body("comment=好").await.unwrap_err();
        assert!(e.api);
        assert_eq!(e.error.code(), "invalid_json");
        assert!(
            e.error.message().contains("不是有效的 JSON"),
            "{}",
            e.error.message()
        );
    }
}
