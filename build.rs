//! The lazy bundles keep their relocations: `cargo xtask build` splits them
//! at their `#[wasm_split]` functions (wasm-split reads which code calls
//! which from them), so a page loads only what its first view runs.

fn main() {
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("wasm32") {
        for bin in ["tapin-methods", "tapin-admin", "tapin-signin"] {
            println!("cargo:rustc-link-arg-bin={bin}=--emit-relocs");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");
}
