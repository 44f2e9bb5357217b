//! Input rules shared by the app (validate as you type) and the server (the
//! authority): account names, pass codes and pass lifetimes.

use std::fmt;

/// Symbols a pass is drawn from: 32 of them, so each carries 5 bits, with the
/// look-alikes 0/O, 1/l/I (and L, to keep lower-case typing unambiguous) left out.
pub const PASS_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ#";
pub const PASS_LENGTH_MIN: usize = 8;
pub const PASS_LENGTH_MAX: usize = 48;
pub const LIFETIME_MIN_MINUTES: u32 = 10;
pub const LIFETIME_MAX_MINUTES: u32 = 43_200;
/// Entra's limit on the length of a user principal name.
pub const UPN_MAX_LEN: usize = 113;
/// Names users give their passkeys and authenticator apps.
pub const METHOD_NAME_MAX_LEN: usize = 64;
/// Verification codes (authenticator app, text, call, email) have this many digits.
pub const CODE_DIGITS: usize = 6;
/// E.164: at most 15 digits including the country code; 8 is the shortest in use.
pub const PHONE_DIGITS_MIN: usize = 8;
pub const PHONE_DIGITS_MAX: usize = 15;

/// Why an input was refused; `code` is stable so each side can word it itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationError {
    pub field: &'static str,
    pub code: ValidationCode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValidationCode {
    Empty,
    TooLong,
    UpnShape,
    PassTooShort,
    PassTooLong,
    PassCharacters,
    LifetimeRange,
    LengthRange,
    PhoneShape,
    EmailShape,
    NameTooLong,
    NameCharacters,
    CodeShape,
    /// The policy's minimum lifetime is above its maximum.
    MinAboveMax,
    /// A lifetime outside the policy's minimum and maximum.
    OutsidePolicy,
    /// Not an IANA time zone name.
    TimeZoneShape,
    /// Not an absolute https address (http only on loopback), or with a fragment.
    RedirectShape,
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self.code {
            ValidationCode::Empty => "is required".to_string(),
            ValidationCode::TooLong => format!(
                "is longer than {} characters",
                match self.field {
                    "email" => EMAIL_MAX_LEN,
                    "upn" => UPN_MAX_LEN,
                    _ => REDIRECT_URI_MAX_LEN,
                }
            ),
            ValidationCode::UpnShape => {
                "must look like name@example.com (your work or school account)".to_string()
            }
            ValidationCode::PassTooShort => {
                format!("is shorter than {PASS_LENGTH_MIN} characters")
            }
            ValidationCode::PassTooLong => format!("is longer than {PASS_LENGTH_MAX} characters"),
            ValidationCode::PassCharacters => {
                "contains characters a Temporary Access Pass never has".to_string()
            }
            ValidationCode::LifetimeRange => {
                format!("must be between {LIFETIME_MIN_MINUTES} and {LIFETIME_MAX_MINUTES} minutes")
            }
            ValidationCode::LengthRange => {
                format!("must be between {PASS_LENGTH_MIN} and {PASS_LENGTH_MAX} characters")
            }
            ValidationCode::PhoneShape => {
                "must be an international number: + then the country code and number, 8 to 15 digits".to_string()
            }
            ValidationCode::EmailShape => "must look like name@example.com".to_string(),
            ValidationCode::NameTooLong => {
                format!("is longer than {METHOD_NAME_MAX_LEN} characters")
            }
            ValidationCode::NameCharacters => "contains control characters".to_string(),
            ValidationCode::CodeShape => format!("must be the {CODE_DIGITS} digits you received"),
            ValidationCode::MinAboveMax => "must not be below the minimum lifetime".to_string(),
            ValidationCode::OutsidePolicy => {
                "must be between the policy's minimum and maximum lifetime".to_string()
            }
            ValidationCode::RedirectShape => {
                "must be an absolute https:// address (http:// only for localhost) with no #fragment or user name".to_string()
            }
            ValidationCode::TimeZoneShape => {
                "must be a time zone's name, such as Europe/Berlin or UTC".to_string()
            }
        };
        write!(f, "{} {}", self.field, text)
    }
}

impl std::error::Error for ValidationError {}

fn err(field: &'static str, code: ValidationCode) -> ValidationError {
    ValidationError { field, code }
}

/// Trims and lower-cases an account name and checks it has the shape
/// `local@domain.tld`. Returns the form the server stores and compares.
pub fn normalize_upn(input: &str) -> Result<String, ValidationError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(err("upn", ValidationCode::Empty));
    }
    if trimmed.chars().count() > UPN_MAX_LEN {
        return Err(err("upn", ValidationCode::TooLong));
    }
    let shape = || err("upn", ValidationCode::UpnShape);
    // Checked before lower-casing: some non-ASCII letters (the Kelvin sign K)
    // lower-case to ASCII ones, and must not name someone else's account.
    if !trimmed.is_ascii() {
        return Err(shape());
    }
    let upn = trimmed.to_ascii_lowercase();
    if address_shaped(&upn) {
        Ok(upn)
    } else {
        Err(shape())
    }
}

/// `local@domain.tld` in ASCII: a local part of at most 64 characters,
/// without leading, trailing or double dots; two or more domain labels of
/// at most 63 letters, digits and inner dashes. The shape of an account
/// name and of an email address alike; their lengths differ.
fn address_shaped(address: &str) -> bool {
    let Some((local, domain)) = address.split_once('@') else {
        return false;
    };
    let local_ok = !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._%+-'!#^~&".contains(c));
    let labels: Vec<&str> = domain.split('.').collect();
    let domain_ok = labels.len() >= 2
        && labels.iter().all(|l| {
            !l.is_empty()
                && l.len() <= 63
                && !l.starts_with('-')
                && !l.ends_with('-')
                && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    local_ok && domain_ok
}

/// The longest email address (RFC 5321's path limit less its brackets).
pub const EMAIL_MAX_LEN: usize = 254;

/// Puts a phone number into E.164 form (`+4915112345678`). Spaces, dashes,
/// dots and brackets people type or paste are dropped; a leading `00` counts
/// as `+`.
pub fn normalize_phone(input: &str) -> Result<String, ValidationError> {
    let compact: String = input
        .chars()
        .filter(|c| {
            !c.is_whitespace()
                && !matches!(c, '-' | '.' | '(' | ')' | '/' | '\u{2010}'..='\u{2015}')
        })
        .collect();
    if compact.is_empty() {
        return Err(err("phone", ValidationCode::Empty));
    }
    let digits = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))
        .ok_or_else(|| err("phone", ValidationCode::PhoneShape))?;
    let ok = digits.bytes().all(|b| b.is_ascii_digit())
        && (PHONE_DIGITS_MIN..=PHONE_DIGITS_MAX).contains(&digits.len())
        && !digits.starts_with('0');
    if ok {
        Ok(format!("+{digits}"))
    } else {
        Err(err("phone", ValidationCode::PhoneShape))
    }
}

/// Trims an email address and lower-cases its domain; the shape rules are
/// those of an account name, which is an address too.
pub fn normalize_email(input: &str) -> Result<String, ValidationError> {
    let trimmed = input.trim();
    if trimmed.is_empty() {
        return Err(err("email", ValidationCode::Empty));
    }
    let (local, domain) = trimmed
        .split_once('@')
        .ok_or_else(|| err("email", ValidationCode::EmailShape))?;
    // ASCII before lower-casing, as for an account name (the Kelvin sign).
    if !trimmed.is_ascii() {
        return Err(err("email", ValidationCode::EmailShape));
    }
    let address = format!("{local}@{}", domain.to_ascii_lowercase());
    if address.len() > EMAIL_MAX_LEN {
        return Err(err("email", ValidationCode::TooLong));
    }
    if address_shaped(&address) {
        Ok(address)
    } else {
        Err(err("email", ValidationCode::EmailShape))
    }
}

/// The name of a passkey, security key or authenticator app: trimmed, 1 to
/// 64 characters, no control characters.
pub fn normalize_method_name(input: &str) -> Result<String, ValidationError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(err("name", ValidationCode::Empty));
    }
    if name.chars().count() > METHOD_NAME_MAX_LEN {
        return Err(err("name", ValidationCode::NameTooLong));
    }
    check_free_text("name", name)?;
    Ok(name.to_string())
}

/// Whether `c` could forge or disguise a line of the audit trail: control
/// characters (newlines among them), line and paragraph separators, and
/// the bidirectional overrides and isolates.
pub fn is_forging_character(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Free text that reaches the audit trail (a reason, a name): refused when
/// it holds a character that could forge a line.
pub fn check_free_text(field: &'static str, input: &str) -> Result<(), ValidationError> {
    if input.chars().any(is_forging_character) {
        return Err(err(field, ValidationCode::NameCharacters));
    }
    Ok(())
}

/// A typed verification code: spaces dropped, exactly six digits.
pub fn normalize_code(input: &str) -> Result<String, ValidationError> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .collect();
    if code.is_empty() {
        return Err(err("code", ValidationCode::Empty));
    }
    if code.len() != CODE_DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(err("code", ValidationCode::CodeShape));
    }
    Ok(code)
}

/// Puts a typed or pasted pass into canonical form: spaces and dashes dropped,
/// letters upper-cased. Fails when the result cannot be a pass at all.
pub fn normalize_pass(input: &str) -> Result<String, ValidationError> {
    let code: String = input
        .chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '-' | '\u{2010}'..='\u{2015}'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    if code.is_empty() {
        return Err(err("pass", ValidationCode::Empty));
    }
    if !code.bytes().all(|b| PASS_ALPHABET.contains(&b)) {
        return Err(err("pass", ValidationCode::PassCharacters));
    }
    if code.len() < PASS_LENGTH_MIN {
        return Err(err("pass", ValidationCode::PassTooShort));
    }
    if code.len() > PASS_LENGTH_MAX {
        return Err(err("pass", ValidationCode::PassTooLong));
    }
    Ok(code)
}

/// A pass lifetime must lie in the range Entra allows, 10 minutes to 30 days.
pub fn validate_lifetime(field: &'static str, minutes: u32) -> Result<u32, ValidationError> {
    if (LIFETIME_MIN_MINUTES..=LIFETIME_MAX_MINUTES).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(err(field, ValidationCode::LifetimeRange))
    }
}

/// The policy's lifetimes, as the command line, the API and the policy
/// page check them: each in range, the minimum not above the maximum, the
/// default between them.
pub fn validate_policy_lifetimes(min: u32, max: u32, default: u32) -> Result<(), ValidationError> {
    validate_lifetime("min_lifetime_minutes", min)?;
    validate_lifetime("max_lifetime_minutes", max)?;
    validate_lifetime("default_lifetime_minutes", default)?;
    if min > max {
        return Err(err("max_lifetime_minutes", ValidationCode::MinAboveMax));
    }
    validate_issue_lifetime("default_lifetime_minutes", default, min, max).map(|_| ())
}

/// A pass's lifetime under a policy allowing `min` to `max` minutes.
pub fn validate_issue_lifetime(
    field: &'static str,
    minutes: u32,
    min: u32,
    max: u32,
) -> Result<u32, ValidationError> {
    if (min..=max).contains(&minutes) {
        Ok(minutes)
    } else {
        Err(err(field, ValidationCode::OutsidePolicy))
    }
}

/// A time zone's IANA name (`Europe/Berlin`, `America/Argentina/Salta`,
/// `UTC`): its shape, since the zone database lives in the browser.
pub fn normalize_time_zone(zone: &str) -> Result<String, ValidationError> {
    let zone = zone.trim();
    let shaped = (1..=64).contains(&zone.len())
        && zone.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "_+-".contains(c))
        })
        && zone.starts_with(|c: char| c.is_ascii_uppercase());
    if shaped {
        Ok(zone.to_string())
    } else {
        Err(err("time_zone", ValidationCode::TimeZoneShape))
    }
}

/// The longest redirect address tapin keeps.
pub const REDIRECT_URI_MAX_LEN: usize = 512;

/// An address tapin may send a browser back to (RFC 9700 §2.6, RFC 8252
/// §8.3): absolute `https://`, or `http://` on the loopback interface only;
/// no fragment, no user name, nothing but printable ASCII. Kept exactly as
/// given: redirect addresses are compared as exact strings.
pub fn normalize_redirect_uri(field: &'static str, uri: &str) -> Result<String, ValidationError> {
    let uri = uri.trim();
    if uri.is_empty() {
        return Err(err(field, ValidationCode::Empty));
    }
    if uri.len() > REDIRECT_URI_MAX_LEN {
        return Err(err(field, ValidationCode::TooLong));
    }
    let bad = || err(field, ValidationCode::RedirectShape);
    if !uri.bytes().all(|b| b.is_ascii_graphic()) || uri.contains('#') {
        return Err(bad());
    }
    let (secure, rest) = match (uri.strip_prefix("https://"), uri.strip_prefix("http://")) {
        (Some(rest), _) => (true, rest),
        (None, Some(rest)) => (false, rest),
        _ => return Err(bad()),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    if authority.contains('@') || authority.is_empty() {
        return Err(bad());
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6
            .split(']')
            .next()
            .map(|h| format!("[{h}]"))
            .unwrap_or_default(),
        None => authority
            .split(':')
            .next()
            .unwrap_or_default()
            .to_ascii_lowercase(),
    };
    let port_ok = match authority
        .rsplit_once(']')
        .map_or(authority.split_once(':'), |(_, p)| p.split_once(':'))
    {
        Some((_, port)) => {
            port.bytes().all(|b| b.is_ascii_digit()) && port.parse::<u16>().is_ok_and(|p| p > 0)
        }
        None => true,
    };
    let host_ok = !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-.[]:".contains(&b));
    let loopback = matches!(host.as_str(), "localhost" | "127.0.0.1" | "[::1]");
    if !host_ok || !port_ok || !(secure || loopback) {
        return Err(bad());
    }
    Ok(uri.to_string())
}

/// A pass length must lie between 8 and 48 characters.
pub fn validate_pass_length(length: u32) -> Result<u32, ValidationError> {
    if (PASS_LENGTH_MIN as u32..=PASS_LENGTH_MAX as u32).contains(&length) {
        Ok(length)
    } else {
        Err(err("length", ValidationCode::LengthRange))
    }
}

#[cfg(test)]
mod tests;
