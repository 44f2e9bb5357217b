//! The built web app, held pre-compressed (brotli and gzip) so every
//! response is served compressed without per-request work: embedded in the
//! release binary (compressed once, by `tapin assets --pack`, before the
//! build), or read and compressed at start from `--dist` in development.

use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

pub struct Asset {
    pub path: String,
    pub mime: &'static str,
    pub raw: Bytes,
    pub gzip: Bytes,
    pub brotli: Bytes,
    /// A strong validator of the content, for revalidated files.
    pub etag: HeaderValue,
    /// The name carries a content hash: it may be cached for a year.
    pub immutable: bool,
}

impl Asset {
    fn new(path: String, raw: Bytes, gzip: Bytes, brotli: Bytes) -> Self {
        let digest = Sha256::digest(&raw);
        let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..12])))
            .expect("hex is a valid header value");
        Self {
            mime: mime(&path),
            immutable: is_hashed(&path),
            etag,
            raw,
            gzip,
            brotli,
            path,
        }
    }
}

/// Trunk's and our build's names carry a hex content hash
/// (`tapin-app-6397b64adfb68052_bg.wasm`); pages and catalogs do not.
fn is_hashed(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.split(['-', '_', '.'])
        .any(|part| part.len() >= 12 && part.bytes().all(|b| b.is_ascii_hexdigit()))
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
    /// Reads every file under `dir`, compressing each; a missing directory
    /// gives an empty set. A directory `pack` wrote (`index.html.raw` in
    /// it) is read as it is: brotli at quality 11 takes a debug build about
    /// 20 s for the four bundles, which every browser test's server paid.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let mut files = BTreeMap::new();
        if dir.join("index.html.raw").is_file() {
            load_packed(dir, dir, &mut files)?;
        } else if dir.is_dir() {
            load_dir(dir, dir, &mut files)?;
        }
        Ok(Self { files })
    }

    /// The app embedded in this binary (empty when it was built without one).
    pub fn embedded() -> Self {
        let files = embedded::EMBEDDED
            .iter()
            .map(|(path, raw, gz, br)| {
                let asset = Asset::new(
                    path.to_string(),
                    Bytes::from_static(raw),
                    Bytes::from_static(gz),
                    Bytes::from_static(br),
                );
                (asset.path.clone(), asset)
            })
            .collect();
        Self { files }
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Writes every file as `<path>.raw`, `.gz` and `.br` under `dir`, for
    /// the release build to embed (`TAPIN_EMBED=dir`).
    pub fn pack(&self, dir: &Path) -> std::io::Result<()> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        for a in self.files.values() {
            let base = dir.join(a.path.trim_start_matches('/'));
            if let Some(parent) = base.parent() {
                std::fs::create_dir_all(parent)?;
            }
            let with = |ext: &str| {
                let mut name = base.clone().into_os_string();
                name.push(ext);
                std::path::PathBuf::from(name)
            };
            std::fs::write(with(".raw"), &a.raw)?;
            std::fs::write(with(".gz"), &a.gzip)?;
            std::fs::write(with(".br"), &a.brotli)?;
        }
        Ok(())
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

/// What `Assets::pack` wrote: each file as `.raw`, `.gz` and `.br`.
fn load_packed(
    root: &Path,
    dir: &Path,
    files: &mut BTreeMap<String, Asset>,
) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            load_packed(root, &path, files)?;
            continue;
        }
        let Some(base) = path.to_str().and_then(|p| p.strip_suffix(".raw")) else {
            continue;
        };
        let rel = Path::new(base)
            .strip_prefix(root)
            .expect("under root")
            .to_string_lossy()
            .replace('\\', "/");
        let url = format!("/{rel}");
        let asset = Asset::new(
            url.clone(),
            Bytes::from(std::fs::read(&path)?),
            Bytes::from(std::fs::read(format!("{base}.gz"))?),
            Bytes::from(std::fs::read(format!("{base}.br"))?),
        );
        files.insert(url, asset);
    }
    Ok(())
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
        let (gz, br) = (gzip(&raw), brotli(&raw));
        let asset = Asset::new(
            url.clone(),
            Bytes::from(raw),
            Bytes::from(gz),
            Bytes::from(br),
        );
        files.insert(url, asset);
    }
    Ok(())
}

/// Serves an asset in the best encoding the client accepts. Hashed file
/// names never change content, so they may be cached for a year; pages and
/// language catalogs are revalidated every time (304 when unchanged).
pub fn respond(asset: &Asset, request: &HeaderMap) -> Response {
    let cache = if asset.immutable {
        "public, max-age=31536000, immutable"
    } else {
        "no-cache"
    };
    let unchanged = super::header_items(request, header::IF_NONE_MATCH, ',')
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == asset.etag);
    if unchanged {
        let mut res = StatusCode::NOT_MODIFIED.into_response();
        let h = res.headers_mut();
        h.insert(header::ETAG, asset.etag.clone());
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
        h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        return res;
    }
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
    h.insert(header::ETAG, asset.etag.clone());
    if let Some(enc) = encoding {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static(enc));
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

#[cfg(test)]
mod tests {
    use super::is_hashed;

    #[test]
    fn only_names_with_a_content_hash_are_immutable() {
        for hashed in [
            "/tapin-app-6397b64adfb68052_bg.wasm",
            "/boot-ddb4e74c5035806.js",
            "/main-d35c57f03d67c4b6.css",
        ] {
            assert!(is_hashed(hashed), "{hashed}");
        }
        for revalidated in [
            "/index.html",
            "/methods.html",
            "/locales/en.json",
            "/favicon.ico",
        ] {
            assert!(!is_hashed(revalidated), "{revalidated}");
        }
    }
}
