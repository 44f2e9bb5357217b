//! Same-origin requests with JSON bodies through the browser's `fetch`, for
//! the app's API clients and catalogs.
//!
//! Why not gloo-net, which the app used before: for the four verbs and JSON
//! bodies used here it brought `wasm-streams`, the `http` crate's method
//! type and std's I/O error texts into every bundle. Measured with
//! `cargo xtask size` (brotli, as served): the first load 96.7 -> 94.5 KB,
//! security info 173.9 -> 171.4 KB, the help desk 243.1 -> 239.5 KB, the
//! sign-in page 137.4 -> 134.9 KB.

use serde::de::DeserializeOwned;
use serde::Serialize;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;

/// The request could not be sent, or its answer not read as asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Error;

/// Where a request starts: its verb and address.
pub struct Request;

impl Request {
    pub fn get(url: &str) -> RequestBuilder {
        RequestBuilder::new("GET", url)
    }
    pub fn post(url: &str) -> RequestBuilder {
        RequestBuilder::new("POST", url)
    }
    pub fn patch(url: &str) -> RequestBuilder {
        RequestBuilder::new("PATCH", url)
    }
    pub fn delete(url: &str) -> RequestBuilder {
        RequestBuilder::new("DELETE", url)
    }
}

/// A request to send, with a JSON body or none.
pub struct RequestBuilder {
    method: &'static str,
    url: String,
    body: Option<String>,
}

impl RequestBuilder {
    fn new(method: &'static str, url: &str) -> Self {
        Self {
            method,
            url: url.to_string(),
            body: None,
        }
    }

    /// `body` as JSON, sent as `application/json`.
    pub fn json<B: Serialize + ?Sized>(mut self, body: &B) -> Result<Self, Error> {
        self.body = Some(serde_json::to_string(body).map_err(|_| Error)?);
        Ok(self)
    }

    pub async fn send(self) -> Result<Response, Error> {
        let init = web_sys::RequestInit::new();
        init.set_method(self.method);
        if let Some(body) = &self.body {
            let headers = web_sys::Headers::new().map_err(|_| Error)?;
            headers
                .set("content-type", "application/json")
                .map_err(|_| Error)?;
            init.set_headers(&headers);
            init.set_body(&JsValue::from_str(body));
        }
        let window = web_sys::window().ok_or(Error)?;
        let answer = JsFuture::from(window.fetch_with_str_and_init(&self.url, &init))
            .await
            .map_err(|_| Error)?;
        answer
            .dyn_into::<web_sys::Response>()
            .map(Response)
            .map_err(|_| Error)
    }
}

/// An answer: its status and its body, read once.
pub struct Response(web_sys::Response);

impl Response {
    /// A 2xx status.
    pub fn ok(&self) -> bool {
        self.0.ok()
    }

    pub async fn text(&self) -> Result<String, Error> {
        let promise = self.0.text().map_err(|_| Error)?;
        let text = JsFuture::from(promise).await.map_err(|_| Error)?;
        text.as_string().ok_or(Error)
    }

    pub async fn json<T: DeserializeOwned>(&self) -> Result<T, Error> {
        serde_json::from_str(&self.text().await?).map_err(|_| Error)
    }
}
