//! `GET /metrics` (Prometheus text format) and the layer that times every request by its route
//! template.
//!
//! Who may read it: clients whose address is in `Config::metrics_allow` (default: this machine
//! only), and signed-in administrators. A request forwarded by a proxy the app does not trust
//! is never taken for a local one: behind nginx on the same machine every request comes from
//! 127.0.0.1, so without `ZHIBIAO_TRUSTED_PROXIES` a forwarded request is refused.

use super::auth::Viewer;
use super::error::{ApiError, AppError};
use super::state::AppState;
use crate::domain::Role;
use crate::ops::metrics::State as Figures;
use axum::extract::{ConnectInfo, MatchedPath, Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use std::net::SocketAddr;
use std::time::Instant;

/// Route label of requests no route matched (404s of every kind): one series, not one per path.
const UNMATCHED: &str = "unmatched";

/// Times and counts every request by method, route template and status.
pub async fn track(State(app): State<AppState>, req: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or(UNMATCHED, MatchedPath::as_str)
        .to_string();
    // Any token is a valid method and is answered 405: only the standard ones get a label of
    // their own, so callers cannot add series.
    let method = ["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]
        .into_iter()
        .find(|m| *m == req.method().as_str())
        .unwrap_or("other");
    let res = next.run(req).await;
    let took = started.elapsed();
    let status = res.status().as_u16();
    app.metrics
        .request(method, &route, status, took.as_secs_f64());
    tracing::debug!(target: "zhibiao::access", method = %method, route = %route, status,
        ms = took.as_secs_f64() * 1000.0, "request");
    res
}

fn forwarded(req_headers: &axum::http::HeaderMap) -> bool {
    ["x-forwarded-for", "forwarded", "x-real-ip"]
        .iter()
        .any(|h| req_headers.contains_key(*h))
}

/// `GET /metrics`.
pub async fn serve(
    State(app): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    viewer: Viewer,
    headers: axum::http::HeaderMap,
) -> Result<Response, ApiError> {
    let admin = viewer
        .user
        .as_ref()
        .is_some_and(|u| u.role.allows(Role::Admin));
    let limits = &app.config.limits;
    let peer_trusted = limits
        .trusted_proxies
        .iter()
        .any(|n| n.contains(&peer.ip()));
    // `viewer.ip` is the forwarded client when the peer is a trusted proxy, else the peer.
    let allowed_address = (peer_trusted || !forwarded(&headers))
        && viewer
            .ip
            .is_some_and(|ip| app.config.metrics_allow.iter().any(|n| n.contains(&ip)));
    if !admin && !allowed_address {
        return Err(ApiError(AppError::Forbidden {
            code: "metrics_forbidden",
            message: "监控指标只对本机（或 ZHIBIAO_METRICS_ALLOW 所列地址）和管理员开放".into(),
        }));
    }
    let work = app.clone();
    let text = tokio::task::spawn_blocking(move || work.metrics.render(figures(&work)))
        .await
        .map_err(|e| ApiError(AppError::Internal(e.to_string())))?;
    Ok((
        StatusCode::OK,
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        text,
    )
        .into_response())
}

/// Counts an evaluation import by its outcome (`None`: refused before a report).
pub fn evaluation_import(app: &AppState, report: Option<&crate::evaluations::ImportReport>) {
    let (outcome, rows) = match report {
        Some(r) if r.already_imported => ("duplicate", 0),
        Some(r) if r.written => ("written", r.rows),
        Some(r) if r.dry_run && r.errors.is_empty() => ("dry_run", 0),
        _ => ("refused", 0),
    };
    app.metrics.evaluation_import(outcome, rows);
}

/// Counts a library spreadsheet import by its outcome.
pub fn library_import(app: &AppState, dry_run: bool, proposed: bool) {
    app.metrics.library_import(match (dry_run, proposed) {
        (true, _) => "dry_run",
        (false, true) => "proposed",
        (false, false) => "refused",
    });
}

fn dir_bytes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| match e.metadata() {
                    Ok(m) if m.is_dir() => dir_bytes(&e.path()),
                    Ok(m) => m.len(),
                    Err(_) => 0,
                })
                .sum()
        })
        .unwrap_or(0)
}

fn figures(app: &AppState) -> Figures {
    let health = app.health();
    Figures {
        index_generation: app.search.generation(),
        index_documents: app.search.len() as u64,
        index_bytes: dir_bytes(&app.config.index_dir()),
        index_stale: health.index.is_some(),
        store_generation: app.store.generation().unwrap_or(0),
        store_bytes: app.store.size_on_disk(),
        store_fault: health.store.is_some(),
    }
}
