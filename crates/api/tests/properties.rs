//! Every validator and every request body under arbitrary input: nothing
//! panics, a normalised value is accepted again unchanged (so what the app
//! sends after validating as you type is exactly what the server accepts),
//! input of a valid shape is accepted (so the valid branch is reached, not
//! left to chance), and every request body has the documented wire shape.

use proptest::prelude::*;
use tapin_api::validate::*;
use tapin_api::wire::*;

/// Any text, weighted towards the characters the rules are about.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[ a-zA-Z0-9@._%+'!#^~&()/-]{0,130}",
        "[ 0-9+().-]{0,24}",
        "[ 2-9A-Za-z#-]{0,60}",
        "[\\PC]{0,80}",
    ]
}

/// Account names of a valid shape, as people type them: any case, with
/// spaces around.
fn upn() -> impl Strategy<Value = String> {
    "[ ]{0,2}[a-zA-Z0-9]{1,10}([._%+'-][a-zA-Z0-9]{1,10}){0,2}@[a-zA-Z0-9]{1,10}(-[a-zA-Z0-9]{1,5})?\\.[a-zA-Z]{2,6}[ ]{0,2}"
}

/// International numbers as typed: `+` or `00`, spaces and dashes between.
fn phone() -> impl Strategy<Value = String> {
    "(\\+|00)[1-9]([ -]?[0-9]){7,14}"
}

fn method_name() -> impl Strategy<Value = String> {
    "[ ]{0,3}[a-zA-Z0-9]{1,30}( [a-zA-Z0-9äöüé]{1,10}){0,2}[ ]{0,3}"
}

fn code() -> impl Strategy<Value = String> {
    "[ ]?[0-9]{3}[ -]?[0-9]{3}[ ]?"
}

/// Passes from the alphabet, in any case, with dashes people copy.
fn pass() -> impl Strategy<Value = String> {
    (
        prop::collection::vec(
            prop::sample::select(PASS_ALPHABET.to_vec()),
            PASS_LENGTH_MIN..=PASS_LENGTH_MAX,
        ),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(bytes, lower, dashed)| {
            let mut s = String::from_utf8(bytes).unwrap();
            if lower {
                s = s.to_lowercase();
            }
            if dashed {
                s.insert(4, '-');
            }
            s
        })
}

macro_rules! idempotent {
    ($name:ident, $f:path, $valid:expr) => {
        proptest! {
            #[test]
            fn $name(input in prop_oneof![text(), $valid]) {
                if let Ok(once) = $f(&input) {
                    prop_assert_eq!($f(&once), Ok(once.clone()));
                }
            }
        }
    };
}

idempotent!(
    an_account_name_once_normalised_is_accepted_as_it_is,
    normalize_upn,
    upn()
);
idempotent!(
    a_phone_number_once_normalised_is_accepted_as_it_is,
    normalize_phone,
    phone()
);
idempotent!(
    an_email_once_normalised_is_accepted_as_it_is,
    normalize_email,
    upn()
);
idempotent!(
    a_method_name_once_normalised_is_accepted_as_it_is,
    normalize_method_name,
    method_name()
);
idempotent!(
    a_code_once_normalised_is_accepted_as_it_is,
    normalize_code,
    code()
);
idempotent!(
    a_pass_once_normalised_is_accepted_as_it_is,
    normalize_pass,
    pass()
);

proptest! {
    /// Without this, a validator that refused everything would pass every
    /// property above.
    #[test]
    fn input_of_a_valid_shape_is_accepted(
        upn in upn(), phone in phone(), name in method_name(), code in code(), pass in pass()
    ) {
        prop_assert_eq!(normalize_upn(&upn), Ok(upn.trim().to_ascii_lowercase()));
        let address = normalize_email(&upn).unwrap();
        let (local, domain) = upn.trim().split_once('@').unwrap();
        prop_assert_eq!(address, format!("{local}@{}", domain.to_lowercase()));
        let digits: String = phone.chars().filter(char::is_ascii_digit).collect();
        let digits = if phone.starts_with("00") { &digits[2..] } else { &digits[..] };
        prop_assert_eq!(normalize_phone(&phone), Ok(format!("+{digits}")));
        prop_assert_eq!(normalize_method_name(&name), Ok(name.trim().to_string()));
        let six: String = code.chars().filter(char::is_ascii_digit).collect();
        prop_assert_eq!(normalize_code(&code), Ok(six));
        prop_assert_eq!(normalize_pass(&pass), Ok(pass.replace('-', "").to_uppercase()));
    }
}

proptest! {
    #[test]
    fn normalised_values_keep_their_documented_shape(input in prop_oneof![text(), upn(), phone(), method_name(), code(), pass()]) {
        if let Ok(upn) = normalize_upn(&input) {
            prop_assert!(upn.chars().count() <= UPN_MAX_LEN);
            prop_assert_eq!(upn.clone(), upn.to_lowercase());
            prop_assert_eq!(upn.matches('@').count(), 1);
        }
        if let Ok(pass) = normalize_pass(&input) {
            prop_assert!((PASS_LENGTH_MIN..=PASS_LENGTH_MAX).contains(&pass.len()));
            prop_assert!(pass.bytes().all(|b| PASS_ALPHABET.contains(&b)));
        }
        if let Ok(phone) = normalize_phone(&input) {
            prop_assert!(phone.starts_with('+'));
            prop_assert!((PHONE_DIGITS_MIN..=PHONE_DIGITS_MAX).contains(&(phone.len() - 1)));
        }
        if let Ok(code) = normalize_code(&input) {
            prop_assert_eq!(code.len(), CODE_DIGITS);
        }
        if let Ok(name) = normalize_method_name(&input) {
            prop_assert!(name.chars().count() <= METHOD_NAME_MAX_LEN);
            prop_assert!(!name.chars().any(char::is_control));
        }
        if let Ok(email) = normalize_email(&input) {
            prop_assert!(email.len() <= 254);
        }
    }

    #[test]
    fn refusals_name_the_field_they_are_about(input in prop_oneof![text(), upn(), phone(), method_name(), code(), pass()]) {
        for (result, field) in [
            (normalize_upn(&input).err(), "upn"),
            (normalize_phone(&input).err(), "phone"),
            (normalize_email(&input).err(), "email"),
            (normalize_method_name(&input).err(), "name"),
            (normalize_code(&input).err(), "code"),
            (normalize_pass(&input).err(), "pass"),
        ] {
            if let Some(e) = result {
                prop_assert_eq!(e.field, field);
                prop_assert!(!e.to_string().is_empty());
            }
        }
    }

    #[test]
    fn lifetimes_and_lengths_are_accepted_exactly_in_their_ranges(n in any::<u32>()) {
        prop_assert_eq!(
            validate_lifetime("lifetime", n).is_ok(),
            (LIFETIME_MIN_MINUTES..=LIFETIME_MAX_MINUTES).contains(&n)
        );
        prop_assert_eq!(
            validate_pass_length(n).is_ok(),
            (PASS_LENGTH_MIN as u32..=PASS_LENGTH_MAX as u32).contains(&n)
        );
    }

    /// Each body against its documented wire shape, written out here by
    /// hand rather than derived from the type: a renamed field, a changed
    /// casing or an extra field in the type fails, both ways.
    #[test]
    fn request_bodies_have_the_documented_wire_shape(
        a in text(), b in text(), c in text(), kind in 0usize..7, call in any::<bool>()
    ) {
        let kind = MethodKind::ALL[kind];
        let kind_name = kind.as_str();
        let channel = if call { PhoneChannel::Call } else { PhoneChannel::Text };
        let channel_name = if call { "call" } else { "text" };
        fn same<T: serde::Serialize + serde::de::DeserializeOwned>(
            v: &T,
            documented: serde_json::Value,
        ) -> Result<(), TestCaseError> {
            prop_assert_eq!(&serde_json::to_value(v).unwrap(), &documented, "as the app sends it");
            let read: T = serde_json::from_value(documented.clone())
                .map_err(|e| TestCaseError::fail(format!("the server refuses {documented}: {e}")))?;
            prop_assert_eq!(serde_json::to_value(read).unwrap(), documented, "as the server reads it");
            Ok(())
        }
        same(&PassSignIn { upn: a.clone(), pass: b.clone() }, serde_json::json!({"upn": a, "pass": b}))?;
        same(&WebauthnStart { kind }, serde_json::json!({"kind": kind_name}))?;
        same(
            &TotpFinish { id: a.clone(), name: b.clone(), code: c.clone() },
            serde_json::json!({"id": a, "name": b, "code": c}),
        )?;
        same(
            &PhoneStart { kind, number: a.clone(), channel },
            serde_json::json!({"kind": kind_name, "number": a, "channel": channel_name}),
        )?;
        same(&EmailStart { address: a.clone() }, serde_json::json!({"address": a}))?;
        same(&CodeFinish { id: a.clone(), code: b.clone() }, serde_json::json!({"id": a, "code": b}))?;
        same(&Rename { name: c.clone() }, serde_json::json!({"name": c}))?;
    }

    #[test]
    fn arbitrary_json_never_panics_any_request_body(json in any::<String>(), a in text()) {
        let _ = serde_json::from_str::<PassSignIn>(&json);
        let _ = serde_json::from_str::<PhoneStart>(&json);
        let _ = serde_json::from_str::<TotpFinish>(&json);
        let _ = serde_json::from_str::<WebauthnFinish>(&json);
        let _ = serde_json::from_str::<PasskeySignIn>(&json);
        let wrapped = serde_json::json!({"upn": a, "pass": json, "extra": 1}).to_string();
        prop_assert!(serde_json::from_str::<PassSignIn>(&wrapped).is_err(), "unknown fields are refused");
    }
}
