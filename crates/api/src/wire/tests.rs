use super::*;

#[test]
fn error_codes_are_snake_case_on_the_wire() {
    let body = ErrorBody::new(ErrorCode::PassNotYetValid, "later");
    let json = serde_json::to_value(&body).unwrap();
    assert_eq!(json["code"], "pass_not_yet_valid");
    assert!(json.get("expired_at").is_none());
}

#[test]
fn unknown_error_codes_from_a_newer_server_still_parse() {
    let body: ErrorBody =
        serde_json::from_str(r#"{"code":"something_new","message":"m"}"#).unwrap();
    assert_eq!(body.code, ErrorCode::Unknown);
}

#[test]
fn passkeys_and_security_keys_share_one_limit_and_every_other_kind_its_own() {
    use MethodKind::*;
    for kind in MethodKind::ALL {
        assert!(kind.shares_limit_with(kind), "{kind:?}");
    }
    assert!(Passkey.shares_limit_with(SecurityKey));
    assert!(SecurityKey.shares_limit_with(Passkey));
    assert!(!SecurityKey.shares_limit_with(Email));
    assert!(!Email.shares_limit_with(SecurityKey));
    assert!(!Passkey.shares_limit_with(AuthenticatorApp));
    assert!(!AuthenticatorApp.shares_limit_with(Passkey));
    assert!(!Phone.shares_limit_with(AlternatePhone));
    assert_eq!(
        MethodKind::ALL.map(MethodKind::limit),
        [10, 10, 5, 2, 1, 1, 1],
        "in the order of MethodKind::ALL"
    );
}
