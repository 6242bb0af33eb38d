//! Uploaded files: a body read within its limit, and parsing on the blocking pool with a bounded
//! number of parses at once, so a hostile file costs neither the async workers nor unbounded
//! memory.

use super::error::AppError;
use super::state::AppState;
use crate::ingest::sheet::{LimitError, ReadError, SheetLimits};
use axum::body::{Body, Bytes};
use axum::http::StatusCode;
use std::time::Duration;

/// How long a request waits for a parse slot before it is told to come back (503).
pub const PARSE_WAIT: Duration = Duration::from_secs(10);

impl From<LimitError> for AppError {
    fn from(e: LimitError) -> AppError {
        AppError::Refused {
            status: StatusCode::from_u16(e.status()).unwrap_or(StatusCode::PAYLOAD_TOO_LARGE),
            code: e.code(),
            message: e.to_string(),
        }
    }
}

impl From<ReadError> for AppError {
    fn from(e: ReadError) -> AppError {
        match e {
            ReadError::Limit(l) => l.into(),
            ReadError::NotXlsx(_) => AppError::bad("not_xlsx", e.to_string()),
            ReadError::Csv(_) => AppError::bad("invalid_csv", e.to_string()),
        }
    }
}

/// The body of an upload, refused with 413 `upload_too_large` as soon as it passes
/// `limits.upload_bytes`, without reading further.
pub async fn read_body(body: Body, limits: &SheetLimits) -> Result<Bytes, AppError> {
    use axum::body::HttpBody as _;
    use futures_util::StreamExt;
    // The declared length (capped by the limit) saves doubling the buffer as it fills.
    let declared = body
        .size_hint()
        .upper()
        .unwrap_or(0)
        .min(limits.upload_bytes);
    let mut stream = body.into_data_stream();
    let mut out = Vec::with_capacity(usize::try_from(declared).unwrap_or(0));
    while let Some(chunk) = stream.next().await {
        let chunk =
            chunk.map_err(|e| AppError::bad("invalid_upload", format!("上传内容无法读取：{e}")))?;
        if (out.len() + chunk.len()) as u64 > limits.upload_bytes {
            drop(out);
            drain(stream).await;
            return Err(LimitError::Upload {
                limit: limits.upload_bytes,
            }
            .into());
        }
        out.extend_from_slice(&chunk);
    }
    Ok(out.into())
}

/// Reads and discards what is left of a refused body, for a while: a client still sending
/// when the connection closes sees a reset, not the 413 that explains it.
async fn drain(mut stream: axum::body::BodyDataStream) {
    use futures_util::StreamExt;
    let _ = tokio::time::timeout(DRAIN_TIME, async {
        let mut left = DRAIN_BYTES;
        while let Some(Ok(chunk)) = stream.next().await {
            left = left.saturating_sub(chunk.len());
            if left == 0 {
                break;
            }
        }
    })
    .await;
}

/// How much of a refused body is read and thrown away before the connection is closed.
const DRAIN_BYTES: usize = 64 << 20;
const DRAIN_TIME: Duration = Duration::from_secs(10);

/// A multipart field's failure: 413 `upload_too_large` when the form passed the upload limit.
pub fn multipart_error(
    e: axum::extract::multipart::MultipartError,
    limits: &SheetLimits,
) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        LimitError::Upload {
            limit: limits.upload_bytes,
        }
        .into()
    } else {
        AppError::bad("invalid_upload", format!("上传内容无法读取：{e}"))
    }
}

/// Runs `work` (parsing an upload, and whatever it feeds) on the blocking pool once one of the
/// `ZHIBIAO_MAX_PARALLEL_PARSES` slots is free; after `PARSE_WAIT` without one, 503
/// `uploads_busy`. The slot is held until the work ends, even if the client goes away.
pub async fn parse<T: Send + 'static>(
    app: &AppState,
    work: impl FnOnce() -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let slot = tokio::time::timeout(PARSE_WAIT, app.parses.clone().acquire_owned())
        .await
        .map_err(|_| AppError::Refused {
            status: StatusCode::SERVICE_UNAVAILABLE,
            code: "uploads_busy",
            message: format!(
                "正在处理的上传文件已达上限（同时 {} 个），请稍后再试",
                app.config.uploads.parallel_parses
            ),
        })?
        .map_err(|e| AppError::Internal(format!("parse slots closed: {e}")))?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        work()
    })
    .await?
}
