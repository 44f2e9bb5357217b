//! Every validator and every request body under arbitrary input: nothing
//! panics, a normalised value is accepted again unchanged (so what the app
//! sends after validating as you type is exactly what the server accepts),
//! and a body the app serialises is the body the server reads.

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

macro_rules! idempotent {
    ($name:ident, $f:path) => {
        proptest! {
            #[test]
            fn $name(input in text()) {
                if let Ok(once) = $f(&input) {
                    prop_assert_eq!($f(&once), Ok(once.clone()));
                }
            }
        }
    };
}

idempotent!(
    an_account_name_once_normalised_is_accepted_as_it_is,
    normalize_upn
);
idempotent!(
    a_phone_number_once_normalised_is_accepted_as_it_is,
    normalize_phone
);
idempotent!(
    an_email_once_normalised_is_accepted_as_it_is,
    normalize_email
);
idempotent!(
    a_method_name_once_normalised_is_accepted_as_it_is,
    normalize_method_name
);
idempotent!(a_code_once_normalised_is_accepted_as_it_is, normalize_code);
idempotent!(a_pass_once_normalised_is_accepted_as_it_is, normalize_pass);

proptest! {
    #[test]
    fn normalised_values_keep_their_documented_shape(input in text()) {
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
    fn refusals_name_the_field_they_are_about(input in text()) {
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

    #[test]
    fn request_bodies_the_app_sends_are_the_bodies_the_server_reads(
        a in text(), b in text(), c in text(), kind in 0usize..7, call in any::<bool>()
    ) {
        let kind = MethodKind::ALL[kind];
        let channel = if call { PhoneChannel::Call } else { PhoneChannel::Text };
        fn round<T: serde::Serialize + serde::de::DeserializeOwned>(v: &T) -> serde_json::Value {
            let json = serde_json::to_string(v).unwrap();
            let back: T = serde_json::from_str(&json).unwrap();
            serde_json::to_value(back).unwrap()
        }
        let bodies = [
            serde_json::to_value(PassSignIn { upn: a.clone(), pass: b.clone() }).unwrap(),
            serde_json::to_value(WebauthnStart { kind }).unwrap(),
            serde_json::to_value(TotpFinish { id: a.clone(), name: b.clone(), code: c.clone() }).unwrap(),
            serde_json::to_value(PhoneStart { kind, number: a.clone(), channel }).unwrap(),
            serde_json::to_value(EmailStart { address: a.clone() }).unwrap(),
            serde_json::to_value(CodeFinish { id: a.clone(), code: b.clone() }).unwrap(),
            serde_json::to_value(Rename { name: c.clone() }).unwrap(),
        ];
        prop_assert_eq!(&bodies[0], &round(&PassSignIn { upn: a.clone(), pass: b.clone() }));
        prop_assert_eq!(&bodies[1], &round(&WebauthnStart { kind }));
        prop_assert_eq!(&bodies[2], &round(&TotpFinish { id: a.clone(), name: b.clone(), code: c.clone() }));
        prop_assert_eq!(&bodies[3], &round(&PhoneStart { kind, number: a.clone(), channel }));
        prop_assert_eq!(&bodies[4], &round(&EmailStart { address: a.clone() }));
        prop_assert_eq!(&bodies[5], &round(&CodeFinish { id: a.clone(), code: b.clone() }));
        prop_assert_eq!(&bodies[6], &round(&Rename { name: c.clone() }));
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
