//! The built web app, loaded once at start and held pre-compressed (brotli
//! and gzip) so every response is served compressed without per-request work.

use axum::body::Body;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

pub struct Asset {
    pub path: String,
    pub mime: &'static str,
    pub raw: Vec<u8>,
    pub gzip: Vec<u8>,
    pub brotli: Vec<u8>,
}

#[derive(Default)]
pub struct Assets {
    files: BTreeMap<String, Asset>,
}

fn mime(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        "woff2" => "font/woff2",
        _ => "application/octet-stream",
    }
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    enc.write_all(data).expect("in-memory write");
    enc.finish().expect("in-memory write")
}

pub fn brotli(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    let params = brotli::enc::BrotliEncoderParams {
        quality: 11,
        lgwin: 22,
        ..Default::default()
    };
    brotli::BrotliCompress(&mut &data[..], &mut out, &params).expect("in-memory write");
    out
}

impl Assets {
    /// Reads every file under `dir`; a missing directory gives an empty set.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        if dir.is_dir() {
            load_dir(dir, dir, &mut files)?;
        }
        Ok(Self { files })
    }

    pub fn get(&self, path: &str) -> Option<&Asset> {
        self.files.get(path)
    }

    pub fn index(&self) -> Option<&Asset> {
        self.files.get("/index.html")
    }

    pub fn all(&self) -> impl Iterator<Item = &Asset> {
        self.files.values()
    }

    /// `page` and every file it pulls in, following names mentioned in
    /// HTML, JavaScript and CSS: what a browser fetches to show that page.
    pub fn load_of(&self, page: &str) -> Vec<&Asset> {
        let mut seen: Vec<&Asset> = Vec::new();
        let mut queue: Vec<&Asset> = self.files.get(page).into_iter().collect();
        while let Some(asset) = queue.pop() {
            if seen.iter().any(|a| a.path == asset.path) {
                continue;
            }
            seen.push(asset);
            if asset.mime.starts_with("text/") {
                let text = String::from_utf8_lossy(&asset.raw);
                for other in self.files.values() {
                    let name = other.path.trim_start_matches('/');
                    if other.path != asset.path && text.contains(name) {
                        queue.push(other);
                    }
                }
            }
        }
        seen.sort_by(|a, b| a.path.cmp(&b.path));
        seen
    }
}

fn load_dir(root: &Path, dir: &Path, files: &mut BTreeMap<String, Asset>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            load_dir(root, &path, files)?;
            continue;
        }
        let rel = path
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let url = format!("/{rel}");
        let raw = std::fs::read(&path)?;
        files.insert(
            url.clone(),
            Asset {
                mime: mime(&url),
                gzip: gzip(&raw),
                brotli: brotli(&raw),
                raw,
                path: url,
            },
        );
    }
    Ok(())
}

/// Serves an asset in the best encoding the client accepts. Hashed file
/// names never change content, so they may be cached for a year; the page
/// itself is revalidated every time.
pub fn respond(asset: &Asset, request: &HeaderMap) -> Response {
    let accepts = |enc: &str| {
        super::header_items(request, header::ACCEPT_ENCODING, ',').any(|part| {
            let mut it = part.split(';');
            it.next() == Some(enc)
                && !it.any(|q| matches!(q.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"))
        })
    };
    let (body, encoding) = if accepts("br") {
        (asset.brotli.clone(), Some("br"))
    } else if accepts("gzip") {
        (asset.gzip.clone(), Some("gzip"))
    } else {
        (asset.raw.clone(), None)
    };
    let mut res = (StatusCode::OK, Body::from(body)).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(asset.mime));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    if let Some(enc) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    let cache = if asset.path.ends_with(".html") {
        "no-cache"
    } else {
        "public, max-age=31536000, immutable"
    };
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}
