//! Widgets more than one bundle uses: the QR code of an authenticator
//! app's secret (security info, the help desk) and the bridge to the
//! browser's WebAuthn API (security info, the sign-in page).

pub mod qr;
pub mod webauthn;
