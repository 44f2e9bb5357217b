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
}

impl ValidationCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Empty => "empty",
            Self::TooLong => "too_long",
            Self::UpnShape => "upn_shape",
            Self::PassTooShort => "pass_too_short",
            Self::PassTooLong => "pass_too_long",
            Self::PassCharacters => "pass_characters",
            Self::LifetimeRange => "lifetime_range",
            Self::LengthRange => "length_range",
        }
    }
}

impl fmt::Display for ValidationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self.code {
            ValidationCode::Empty => "is required".to_string(),
            ValidationCode::TooLong => format!("is longer than {UPN_MAX_LEN} characters"),
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
    let upn = input.trim().to_lowercase();
    if upn.is_empty() {
        return Err(err("upn", ValidationCode::Empty));
    }
    if upn.chars().count() > UPN_MAX_LEN {
        return Err(err("upn", ValidationCode::TooLong));
    }
    let shape = || err("upn", ValidationCode::UpnShape);
    let (local, domain) = upn.split_once('@').ok_or_else(shape)?;
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
    if local_ok && domain_ok {
        Ok(upn)
    } else {
        Err(shape())
    }
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

/// A pass length must lie between 8 and 48 characters.
pub fn validate_pass_length(length: u32) -> Result<u32, ValidationError> {
    if (PASS_LENGTH_MIN as u32..=PASS_LENGTH_MAX as u32).contains(&length) {
        Ok(length)
    } else {
        Err(err("length", ValidationCode::LengthRange))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alphabet_has_32_distinct_symbols_and_no_look_alikes() {
        let mut seen = std::collections::BTreeSet::new();
        for b in PASS_ALPHABET {
            assert!(seen.insert(*b), "duplicate symbol {}", *b as char);
        }
        assert_eq!(seen.len(), 32);
        for look_alike in b"0O1lIL" {
            assert!(!PASS_ALPHABET.contains(look_alike));
        }
    }

    #[test]
    fn pasted_pass_with_spaces_dashes_and_lower_case_is_accepted() {
        assert_eq!(normalize_pass(" abcd-efgh ").unwrap(), "ABCDEFGH");
        assert_eq!(normalize_pass("ab cd\tef–gh").unwrap(), "ABCDEFGH");
    }

    #[test]
    fn pass_with_look_alike_characters_is_refused() {
        let e = normalize_pass("ABCD0FGH").unwrap_err();
        assert_eq!(e.code, ValidationCode::PassCharacters);
    }

    #[test]
    fn pass_length_limits_are_enforced() {
        assert_eq!(
            normalize_pass("ABCDEFG").unwrap_err().code,
            ValidationCode::PassTooShort
        );
        assert_eq!(
            normalize_pass(&"A".repeat(49)).unwrap_err().code,
            ValidationCode::PassTooLong
        );
        assert!(normalize_pass(&"A".repeat(48)).is_ok());
        assert_eq!(
            normalize_pass("  - ").unwrap_err().code,
            ValidationCode::Empty
        );
    }

    #[test]
    fn upn_is_trimmed_and_lower_cased() {
        assert_eq!(
            normalize_upn("  Ada.Lovelace@Contoso.COM ").unwrap(),
            "ada.lovelace@contoso.com"
        );
    }

    #[test]
    fn malformed_upns_are_refused() {
        for bad in [
            "ada",
            "ada@",
            "@contoso.com",
            "ada@contoso",
            "a da@contoso.com",
            "ada@-x.com",
            ".ada@x.com",
            "a..b@x.com",
        ] {
            assert_eq!(
                normalize_upn(bad).unwrap_err().code,
                ValidationCode::UpnShape,
                "{bad}"
            );
        }
        assert_eq!(
            normalize_upn("   ").unwrap_err().code,
            ValidationCode::Empty
        );
        let long = format!("{}@contoso.com", "a".repeat(110));
        assert_eq!(
            normalize_upn(&long).unwrap_err().code,
            ValidationCode::TooLong
        );
    }

    #[test]
    fn lifetimes_outside_ten_minutes_to_thirty_days_are_refused() {
        assert!(validate_lifetime("lifetime", 9).is_err());
        assert!(validate_lifetime("lifetime", 10).is_ok());
        assert!(validate_lifetime("lifetime", 43_200).is_ok());
        assert!(validate_lifetime("lifetime", 43_201).is_err());
        assert!(validate_pass_length(7).is_err());
        assert!(validate_pass_length(48).is_ok());
    }
}
