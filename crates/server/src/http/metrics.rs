//! Prometheus metrics (the `metrics` facade and its Prometheus exporter),
//! served on their own address (`--metrics-addr`), never on the public one:
//! request counts and latencies per route, sign-in outcomes, lockouts, the
//! pass-check queue and the outbox backlog. Without `--metrics-addr` no
//! recorder is installed and every `metrics::` call is a no-op.

use super::AppState;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

pub const REQUESTS: &str = "tapin_http_requests_total";
pub const LATENCY: &str = "tapin_http_request_duration_seconds";
pub const SIGNINS: &str = "tapin_signins_total";
pub const HASH_QUEUE: &str = "tapin_hash_queue_depth";
pub const OUTBOX: &str = "tapin_outbox_backlog";

static INSTALLED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Whether a recorder takes the figures (otherwise every figure is dropped,
/// and the edge need not build its labels).
pub fn installed() -> bool {
    INSTALLED.load(std::sync::atomic::Ordering::Relaxed)
}

/// Installs the process's recorder.
pub fn install() -> Result<PrometheusHandle, String> {
    let handle = PrometheusBuilder::new()
        .set_buckets_for_metric(
            Matcher::Full(LATENCY.into()),
            &[
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
            ],
        )
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| e.to_string())?;
    INSTALLED.store(true, std::sync::atomic::Ordering::Relaxed);
    Ok(handle)
}

/// Serves `GET /metrics` until the process ends.
pub async fn serve(
    listener: tokio::net::TcpListener,
    handle: PrometheusHandle,
    state: AppState,
) -> std::io::Result<()> {
    let app = axum::Router::new()
        .route("/metrics", axum::routing::get(render))
        .with_state((handle, state));
    axum::serve(listener, app).await
}

async fn render(State((handle, state)): State<(PrometheusHandle, AppState)>) -> Response {
    metrics::gauge!(HASH_QUEUE).set(state.pool.admitted() as f64);
    let tapin = state.tapin.clone();
    let backlog = tokio::task::spawn_blocking(move || tapin.outbox().map(|o| o.len()))
        .await
        .ok()
        .and_then(Result::ok);
    if let Some(n) = backlog {
        metrics::gauge!(OUTBOX).set(n as f64);
    }
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        handle.render(),
    )
        .into_response()
}

/// Counts a sign-in by method and outcome (`success` or the error code).
pub fn sign_in<T>(method: &'static str, result: &Result<T, super::error::ApiError>) {
    let outcome = match result {
        Ok(_) => "success".to_string(),
        Err(e) => e.code_str(),
    };
    metrics::counter!(SIGNINS, "method" => method, "outcome" => outcome).increment(1);
}
