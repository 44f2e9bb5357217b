//! Embeds the built app when `TAPIN_EMBED` names a directory written by
//! `tapin assets --pack DIR` (raw, brotli and gzip copies of every file,
//! compressed once there, so neither this build nor the server compresses).
//! Without it the list is empty and `tapin serve` reads `--dist`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

fn main() {
    println!("cargo:rerun-if-env-changed=TAPIN_EMBED");
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    // (path, raw, gzip, brotli)
    let mut code = String::from(
        "pub type File = (&'static str, &'static [u8], &'static [u8], &'static [u8]);\npub static EMBEDDED: &[File] = &[\n",
    );
    if let Some(dir) = std::env::var_os("TAPIN_EMBED") {
        let dir = PathBuf::from(dir);
        println!("cargo:rerun-if-changed={}", dir.display());
        let mut files = Vec::new();
        walk(&dir, &mut files);
        assert!(
            !files.is_empty(),
            "TAPIN_EMBED={} holds no packed app",
            dir.display()
        );
        files.sort();
        for raw in files {
            let rel = raw
                .strip_prefix(&dir)
                .expect("under the pack")
                .to_string_lossy()
                .replace('\\', "/");
            let url = format!("/{}", rel.trim_end_matches(".raw"));
            let sibling = |ext: &str| raw.with_extension(ext).display().to_string();
            writeln!(
                code,
                "    ({url:?}, include_bytes!({:?}), include_bytes!({:?}), include_bytes!({:?})),",
                raw.display().to_string(),
                sibling("gz"),
                sibling("br"),
            )
            .expect("write to a string");
        }
    }
    code.push_str("];\n");
    std::fs::write(out.join("embedded.rs"), code).expect("write embedded.rs");
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read the pack") {
        let path = entry.expect("read the pack").path();
        if path.is_dir() {
            walk(&path, files);
        } else if path.extension().is_some_and(|e| e == "raw") {
            files.push(path);
        }
    }
}
