//! A QR code drawn as SVG from text (the otpauth URI), dark on light in
//! both themes so every scanner reads it.

use leptos::prelude::*;
use qrcodegen::{QrCode, QrCodeEcc};

const QUIET_ZONE: i32 = 4;

/// One SVG path of every dark module.
fn path(code: &QrCode) -> String {
    let mut d = String::new();
    for y in 0..code.size() {
        for x in 0..code.size() {
            if code.get_module(x, y) {
                d.push_str(&format!("M{},{}h1v1h-1z", x + QUIET_ZONE, y + QUIET_ZONE));
            }
        }
    }
    d
}

#[component]
pub fn QrSvg(text: String, label: &'static str) -> impl IntoView {
    let Ok(code) = QrCode::encode_text(&text, QrCodeEcc::Medium) else {
        return ().into_any();
    };
    let side = code.size() + 2 * QUIET_ZONE;
    let view_box = format!("0 0 {side} {side}");
    view! {
        <svg class="qr" viewBox=view_box role="img" aria-label=label shape-rendering="crispEdges">
            <rect width="100%" height="100%" fill="#fff"/>
            <path d=path(&code) fill="#000"/>
        </svg>
    }
    .into_any()
}
