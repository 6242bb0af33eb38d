//! The web layer: HTML pages (askama) and the JSON API under `/api/v1/`, one router.

pub mod account;
pub mod address;
pub mod api;
mod assets;
pub mod auth;
pub mod curation;
pub mod draft_page;
pub mod drafts;
pub mod error;
pub mod evaluations;
pub mod extract;
pub mod handbook;
pub mod health;
pub mod layout;
pub mod metrics;
pub mod openapi;
pub mod pages;
pub mod params;
pub mod response;
pub mod search;
pub mod state;
pub mod throttle;
pub mod training;
pub mod uploads;

use crate::app::App;
use axum::Router;
use axum::routing::{get, post};
pub use state::{AppState, MAX_BODY_BYTES, local_time};
use std::sync::Arc;

/// The whole route table.
pub fn router(app: AppState) -> Router {
    // Upload forms are read up to the upload limit (multipart answers 413 past it).
    let upload_limit = |limits: crate::ingest::sheet::SheetLimits| {
        axum::extract::DefaultBodyLimit::max(
            usize::try_from(limits.upload_bytes).unwrap_or(usize::MAX),
        )
    };
    let (imports, drafts) = (
        app.config.uploads.sheet,
        app.config.uploads.sheet.for_drafts(),
    );
    Router::new()
        .route("/", get(pages::search))
        .route("/indicators/{code}", get(pages::indicator))
        .route("/indicators/{code}/r/{revision}", get(pages::revision))
        .route("/browse", get(pages::browse))
        .route("/browse/{project_type}", get(pages::browse_type))
        .route("/framework", get(pages::framework))
        .route("/stats", get(pages::stats))
        .route("/drafts/new", get(drafts::new_page))
        .route("/drafts", axum::routing::post(drafts::create_page))
        .route(
            "/drafts/import",
            axum::routing::post(drafts::import_page).layer(upload_limit(drafts)),
        )
        .route("/drafts/{id}", get(drafts::edit).post(drafts::save_page))
        .route("/drafts/{id}/print", get(drafts::print))
        .route("/drafts/{id}/copy", axum::routing::post(drafts::copy_page))
        .route("/drafts/{id}/gap", axum::routing::post(drafts::report_gap))
        .route("/drafts/{id}/export.xlsx", get(drafts::export_xlsx))
        .route("/drafts/{id}/export.csv", get(drafts::export_csv))
        .route(
            "/api/v1/suggest-targets",
            axum::routing::post(drafts::suggest_targets),
        )
        .route("/api/v1/lint", axum::routing::post(drafts::lint_api))
        .route("/api/v1/drafting/suggest", get(drafts::suggest_to_add))
        .route("/api/v1/drafts", axum::routing::post(drafts::create_api))
        .route(
            "/api/v1/drafts/import",
            axum::routing::post(drafts::import_api),
        )
        .route(
            "/api/v1/drafts/{id}",
            get(drafts::get_api).put(drafts::put_api),
        )
        .route("/evaluations", get(evaluations::index))
        .route(
            "/evaluations/import",
            axum::routing::post(evaluations::import_page).layer(upload_limit(imports)),
        )
        .route(
            "/evaluations/template.xlsx",
            get(evaluations::template_xlsx),
        )
        .route("/evaluations/template.csv", get(evaluations::template_csv))
        .route(
            "/evaluations/review",
            get(evaluations::review).post(evaluations::decide_page),
        )
        .route("/evaluations/candidates", get(evaluations::candidates))
        .route(
            "/evaluations/candidates/{id}/propose",
            post(evaluations::propose_candidate_page),
        )
        .route(
            "/api/v1/evaluations/candidates/{id}/propose",
            post(evaluations::propose_candidate_api),
        )
        .route("/evaluations/rows", get(evaluations::rows))
        .route("/evaluations/projects/{id}", get(evaluations::project_page))
        .route(
            "/api/v1/evaluations/import",
            axum::routing::post(evaluations::import_api),
        )
        .route("/api/v1/evaluations", get(evaluations::list_api))
        .route(
            "/api/v1/evaluations/projects/{id}",
            get(evaluations::project_api),
        )
        .route("/api/v1/evaluations/review", get(evaluations::review_api))
        .route(
            "/api/v1/evaluations/decisions",
            axum::routing::post(evaluations::decide_api),
        )
        .route(
            "/api/v1/evaluations/candidates",
            get(evaluations::candidates_api),
        )
        .route(
            "/api/v1/indicators/{code}/stats",
            get(evaluations::stats_api),
        )
        // Training mode: sessions need an account (checked in the handlers); trainees join anonymously.
        .route("/training", get(training::index))
        .route("/training/examples", get(training::examples_page))
        .route(
            "/training/examples/{project_type}",
            get(training::example_page),
        )
        .route("/training/sessions", post(training::create_page))
        .route(
            "/training/sessions/{id}",
            get(training::session_page).post(training::session_submit),
        )
        .route("/training/sessions/{id}/present", get(training::present))
        .route(
            "/training/sessions/{id}/present/{n}",
            get(training::present_slide),
        )
        .route(
            "/training/sessions/{id}/summary",
            get(training::summary_page),
        )
        .route("/training/sessions/{id}/handbook", get(handbook::session))
        .route("/t", get(training::join_form))
        .route("/t/go", get(training::join_lookup))
        .route(
            "/t/{code}",
            get(training::join_page).post(training::start_attempt),
        )
        .route(
            "/t/{code}/a/{id}",
            get(training::attempt_page).post(training::attempt_submit),
        )
        .route("/handbook", get(handbook::library))
        .route("/handbook/{project_type}", get(handbook::project_type))
        .route("/api/v1/training/examples", get(training::examples_api))
        .route(
            "/api/v1/training/examples/{project_type}",
            get(training::example_api),
        )
        .route("/api/v1/training/sessions", post(training::create_api))
        .route("/api/v1/training/sessions/{id}", get(training::get_api))
        .route(
            "/api/v1/training/sessions/{id}/summary",
            get(training::summary_api),
        )
        .route(
            "/api/v1/training/exercises/{code}/attempts",
            post(training::attempt_api),
        )
        .route("/static/app.css", get(assets::css))
        .route("/static/app.js", get(assets::js))
        .route("/static/draft.css", get(assets::draft_css))
        .route("/static/draft.js", get(assets::draft_js))
        .route("/favicon.ico", get(assets::favicon))
        .route("/static/favicon.svg", get(assets::favicon))
        .route("/healthz", get(health::healthz))
        .route("/metrics", get(metrics::serve))
        .route("/api/v1/search", get(api::search))
        .route("/api/v1/suggest", get(api::suggest))
        .route("/api/v1/indicators/{code}", get(api::indicator))
        .route("/api/v1/indicators/{code}/revisions", get(api::revisions))
        .route("/api/v1/project-types", get(api::project_types))
        .route("/api/v1/framework", get(api::framework))
        .route("/api/v1/stats", get(api::stats))
        .route(
            "/api/v1/editions",
            get(api::editions).post(curation::freeze_api),
        )
        .route("/api/v1/editions/{name}", get(curation::edition_api))
        .route(
            "/api/v1/editions/{a}/diff/{b}",
            get(curation::edition_diff_api),
        )
        .route(
            "/api/v1/indicators/{code}/compare",
            get(curation::compare_api),
        )
        // Curation (roles are checked in the handlers; CSRF in the auth layer).
        .route(
            "/api/v1/proposals",
            get(curation::list_api).post(curation::create_api),
        )
        .route(
            "/api/v1/proposals/approve",
            post(curation::approve_batch_api),
        )
        .route("/api/v1/proposals/{id}", get(curation::get_api))
        .route(
            "/api/v1/proposals/{id}/approve",
            post(curation::approve_api),
        )
        .route("/api/v1/proposals/{id}/reject", post(curation::reject_api))
        .route(
            "/api/v1/proposals/{id}/withdraw",
            post(curation::withdraw_api),
        )
        .route("/api/v1/proposals/{id}/fold", post(curation::fold_api))
        .route("/api/v1/import", post(curation::import_api))
        .route("/api/v1/inbox", get(curation::inbox_api))
        .route(
            "/api/v1/session",
            post(account::session_api).delete(account::logout_api),
        )
        .route("/api/v1/me", get(account::me_api))
        .route("/api/v1/tokens", post(account::token_api))
        .route(
            "/api/v1/users",
            get(account::users_api).post(account::add_user_api),
        )
        .route("/api/v1/audit", get(account::audit_api))
        .route("/api/v1/openapi.json", get(openapi::serve))
        .route(
            "/login",
            get(account::login_page).post(account::login_submit),
        )
        .route("/logout", post(account::logout))
        .route("/account", get(account::account_page))
        .route("/account/token", post(account::account_token_page))
        .route(
            "/admin/users",
            get(account::users_page).post(account::users_submit),
        )
        .route("/admin/audit", get(account::audit_page))
        .route("/curation", get(curation::inbox_page))
        .route("/proposals", get(curation::proposals_page))
        .route("/proposals/batch", post(curation::batch_page))
        .route(
            "/proposals/new",
            get(curation::new_form).post(curation::propose_page),
        )
        .route(
            "/proposals/{id}",
            get(curation::proposal_page).post(curation::decide_page),
        )
        .route(
            "/indicators/{code}/edit",
            get(curation::edit_form).post(curation::propose_page),
        )
        .route("/indicators/{code}/compare", get(curation::compare_page))
        .route(
            "/editions",
            get(curation::editions_page).post(curation::freeze_page),
        )
        .route("/editions/{name}", get(curation::edition_page))
        .route(
            "/editions/{name}/indicators/{code}",
            get(pages::edition_indicator),
        )
        .route("/editions/{a}/diff/{b}", get(curation::edition_diff_page))
        .route(
            "/import",
            get(curation::import_form)
                .post(curation::import_page)
                .layer(upload_limit(imports)),
        )
        .route("/import/template.xlsx", get(curation::template_xlsx))
        .route("/import/template.csv", get(curation::template_csv))
        .nest("/api", Router::new().fallback(api::not_found))
        .fallback(pages::not_found)
        // Bodies up to 16 MiB are read in full and answered by our own validation (a clear
        // error naming the field) rather than cut off mid-upload.
        .layer(axum::extract::DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::layer,
        ))
        .layer(axum::Extension(throttle::Guards::new(&app.config.limits)))
        .layer(axum::middleware::from_fn(error::uniform))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            metrics::track,
        ))
        .with_state(app)
}

/// Serves until ctrl-c.
pub async fn serve(app: App) -> anyhow::Result<()> {
    let bind = app.config.bind;
    let listener = tokio::net::TcpListener::bind(bind).await?;
    let addr = listener.local_addr()?;
    tracing::info!("zhibiao 已启动：http://{addr}");
    println!("zhibiao 已启动：http://{addr}");
    serve_on(listener, app, async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await
}

/// Serves on a bound listener until `shutdown` completes; handlers see the client address.
pub async fn serve_on(
    listener: tokio::net::TcpListener,
    app: App,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let app = Arc::new(app);
    drafts::spawn_expiry(app.clone());
    axum::serve(
        listener,
        router(app).into_make_service_with_connect_info::<std::net::SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests;
