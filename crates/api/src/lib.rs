//! Everything that crosses the wire between the tapin app and server, and the
//! validation both halves run, written once and compiled into both.

pub mod admin;
pub mod countdown;
pub mod graph;
pub mod validate;
pub mod wire;

pub use validate::{
    normalize_code, normalize_email, normalize_method_name, normalize_pass, normalize_phone,
    normalize_redirect_uri, normalize_time_zone, normalize_upn, validate_issue_lifetime,
    validate_lifetime, validate_policy_lifetimes, ValidationError, LIFETIME_MAX_MINUTES,
    LIFETIME_MIN_MINUTES, PASS_ALPHABET, PASS_LENGTH_MAX, PASS_LENGTH_MIN,
};

#[cfg(feature = "openapi")]
pub mod openapi;
