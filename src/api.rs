//! The app's client for the tapin JSON API (same origin, cookie session).

use gloo_net::http::{Request, Response};
use serde::de::DeserializeOwned;
use tapin_api::wire::{ErrorBody, PassSignIn, SessionInfo};

/// Why a call failed: the server's error body, or no usable answer at all.
#[derive(Debug, Clone, PartialEq)]
pub enum Failure {
    Api(ErrorBody),
    Network,
}

async fn read<T: DeserializeOwned>(
    response: Result<Response, gloo_net::Error>,
) -> Result<T, Failure> {
    let response = response.map_err(|_| Failure::Network)?;
    if response.ok() {
        response.json::<T>().await.map_err(|_| Failure::Network)
    } else {
        Err(response
            .json::<ErrorBody>()
            .await
            .map(Failure::Api)
            .unwrap_or(Failure::Network))
    }
}

pub async fn sign_in_with_pass(upn: String, pass: String) -> Result<SessionInfo, Failure> {
    let request = Request::post("/api/v1/signin/pass")
        .json(&PassSignIn { upn, pass })
        .map_err(|_| Failure::Network)?;
    read(request.send().await).await
}

pub async fn session() -> Result<SessionInfo, Failure> {
    read(Request::get("/api/v1/session").send().await).await
}

pub async fn sign_out() -> Result<(), Failure> {
    let response = Request::post("/api/v1/signout")
        .send()
        .await
        .map_err(|_| Failure::Network)?;
    if response.ok() {
        Ok(())
    } else {
        Err(Failure::Network)
    }
}
