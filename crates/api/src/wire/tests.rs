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
