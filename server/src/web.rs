//! The web server: Leptos pages and server functions over axum, plus the background jobs.

use crate::config::Settings;
use crate::same_origin;
use app::domain::{auth, clock::SystemClock, store, AppState};
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, LeptosRoutes};
use std::sync::Arc;
use tower::Layer;
use tower_http::compression::predicate::{DefaultPredicate, NotForContentType, Predicate};
use tower_http::compression::CompressionLayer;
use tower_http::services::ServeDir;
use tower_http::set_header::SetResponseHeaderLayer;

/// Builds the state and the router; used by `serve` and by the integration tests.
pub async fn build(settings: &Settings, leptos_options: LeptosOptions) -> ServeResult<(AppState, Router)> {
    std::fs::create_dir_all(&settings.app.data_dir).map_err(|e| format!("cannot create the data dir {}: {e}", settings.app.data_dir.display()))?;
    let db = store::connect(&settings.database_url).await.map_err(|e| e.to_string())?;
    let state = AppState::new(db, settings.app.clone(), Arc::new(SystemClock));
    match auth::unlock_at_startup(&state).await {
        Ok(true) => tracing::info!("encryption keys unlocked with the server key"),
        Ok(false) => tracing::info!("encryption keys locked until setup or the next login"),
        Err(e) => tracing::warn!("could not unlock the encryption keys at start-up: {e}"),
    }
    let routes = generate_route_list(app::App);
    let ctx_state = state.clone();
    // The bundle, served from the .br/.gz files the build wrote at maximum compression (brotli 11
    // is too slow to run per request); the files themselves when those are absent. Its names
    // carry no hash, so the browser must ask each time: "no-cache" makes it revalidate with the
    // ETag ServeDir sends (per file, per encoding), and an unchanged file costs a 304, not the
    // whole bundle; a rebuilt one has a new ETag and is fetched at once.
    let pkg = format!("/{}", leptos_options.site_pkg_dir);
    let pkg_dir = std::path::Path::new(leptos_options.site_root.as_ref()).join(leptos_options.site_pkg_dir.as_ref());
    let pkg_files = SetResponseHeaderLayer::if_not_present(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-cache"))
        .layer(ServeDir::new(pkg_dir).precompressed_br().precompressed_gzip());
    let router = Router::new()
        .nest_service(&pkg, pkg_files)
        .leptos_routes_with_context(&leptos_options, routes, move || provide_context(ctx_state.clone()), {
            let options = leptos_options.clone();
            move || app::shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler(app::shell))
        .with_state(leptos_options)
        // Before any server function: state-changing requests from other sites are refused.
        .layer(axum::middleware::from_fn_with_state(Arc::new(settings.app.base_url.as_deref().and_then(same_origin::origin_of)), same_origin::guard))
        // gzip/brotli for pages and JSON (responses already encoded pass through untouched);
        // encrypted backups are incompressible.
        .layer(CompressionLayer::new().compress_when(DefaultPredicate::new().and(NotForContentType::const_new("application/octet-stream"))));
    Ok((state, router))
}

pub async fn serve() -> ServeResult<()> {
    let settings = Settings::from_env().map_err(|e| e.to_string())?;
    let leptos_options = leptos_options()?;
    let addr = leptos_options.site_addr;
    let (state, router) = build(&settings, leptos_options).await?;
    app::domain::backup::upload::clean_leftovers(&state);
    match app::domain::backup::run::close_interrupted_runs(&state).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!("{n} backup run(s) were cut off by the last stop; recorded as failed"),
        Err(e) => tracing::warn!("could not close interrupted backup runs: {e}"),
    }
    // Scheduled backups run in the background, logged in or not.
    tokio::spawn(app::domain::backup::scheduler::run_forever(state.clone()));
    let listener = tokio::net::TcpListener::bind(addr).await.map_err(|e| format!("cannot listen on {addr}: {e}"))?;
    tracing::info!("Tracker Tracker listening on http://{addr} (data in {})", settings.app.data_dir.display());
    axum::serve(listener, router.into_make_service()).with_graceful_shutdown(shutdown_signal()).await.map_err(|e| format!("server error: {e}"))?;
    Ok(())
}

/// Leptos site settings: Leptos.toml in the working directory when present, else the LEPTOS_*
/// environment (as cargo-leptos sets it). LEPTOS_* variables override the file either way.
pub fn leptos_options() -> ServeResult<LeptosOptions> {
    let conf = if std::path::Path::new("Leptos.toml").exists() { get_configuration(Some("Leptos.toml")) } else { get_configuration(None) }
        .map_err(|e| format!("cannot read the Leptos site settings: {e}"))?;
    Ok(conf.leptos_options)
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

/// Errors at this level are sentences for the operator.
pub type ServeResult<T> = Result<T, String>;
