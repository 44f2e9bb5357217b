//! The baseline for `cargo xtask bench`: a bare axum server answering
//! "hello" on the same runtime, build profile and machine as tapin, so
//! tapin's figures are read as a share of it rather than as absolute times.

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:0".into());
    let app = axum::Router::new()
        .route("/", axum::routing::get(|| async { "hello" }))
        .route("/healthz", axum::routing::get(|| async { "ok" }));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app).await
}
