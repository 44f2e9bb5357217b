//! The review's findings about signing in: methods removed, code sign-in
//! turned off, key files, decoys, key rotation and the audit trail.

use super::*;

#[test]
fn removing_a_lost_method_ends_the_sessions_it_opened() {
    let w = world();
    let seed = authenticator_app(&w);
    let thief = w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 1), "203.0.113.9")
        .unwrap()
        .token;
    let other = pass_session(&w);
    let app = w
        .tapin
        .person(&SessionCookie::new(&other))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods
        .into_iter()
        .find(|m| m.kind == MethodKind::AuthenticatorApp)
        .unwrap();
    w.tapin
        .person(&SessionCookie::new(&other))
        .and_then(|who| w.tapin.delete_method(&who, &app.id))
        .unwrap();
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&thief))
            .and_then(|who| w.tapin.security_info(&who)),
        Err(Error::NotSignedIn)
    ));
    assert!(
        w.tapin
            .person(&SessionCookie::new(&other))
            .and_then(|who| w.tapin.security_info(&who))
            .is_ok(),
        "other sessions stay"
    );
}

#[test]
fn a_hundred_wrong_codes_in_a_row_turn_code_sign_in_off_until_a_pass_signs_in() {
    let w = world();
    let seed = authenticator_app(&w);
    let good = app_code(&w, &seed, 1);
    let wrong = if good == "000000" { "111111" } else { "000000" };
    for i in 0..100 {
        // Spread out, as a patient guesser would: no sliding window catches it.
        if i % 9 == 0 {
            w.clock.advance(Duration::minutes(16));
        }
        let client = format!("203.0.113.{}", i % 200);
        assert!(matches!(
            w.tapin.sign_in_with_code(ADA, wrong, &client),
            Err(Error::SignInCodeInvalid)
        ));
    }
    let good = app_code(&w, &seed, 0);
    assert!(matches!(
        w.tapin.sign_in_with_code(ADA, &good, "192.0.2.1"),
        Err(Error::CodeSignInOff)
    ));
    let audit = w.tapin.audit_events(Default::default()).unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|e| e.event == "code_sign_in_off")
            .count(),
        1
    );
    // The help desk turns it back on.
    w.tapin.clear_lockout(&Actor::Operator, ADA).unwrap();
    assert!(w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 1), "192.0.2.1")
        .is_ok());
    // So does a pass: 100 more wrong codes, then a pass sign-in.
    for i in 0..100 {
        if i % 9 == 0 {
            w.clock.advance(Duration::minutes(16));
        }
        let _ = w
            .tapin
            .sign_in_with_code(ADA, wrong, &format!("198.51.100.{}", i % 200));
    }
    assert!(matches!(
        w.tapin
            .sign_in_with_code(ADA, &app_code(&w, &seed, 0), "192.0.2.1"),
        Err(Error::CodeSignInOff)
    ));
    pass_session(&w);
    assert!(w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 1), "192.0.2.1")
        .is_ok());
}

#[test]
fn a_key_file_others_may_read_is_refused_at_start() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("tapin.db");
    let tapin = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_tapin"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .unwrap()
    };
    assert!(tapin(&["user", "list"]).status.success());
    let key = dir.path().join("tapin.db.key");
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    std::fs::set_permissions(&key, std::fs::Permissions::from_mode(0o644)).unwrap();
    let refused = tapin(&["user", "list"]);
    assert!(!refused.status.success());
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains("chmod 600"), "{said}");
}

#[test]
fn unknown_names_each_have_their_own_send_bucket_and_a_mask_drawn_from_a_digest() {
    let w = world_with(
        Settings {
            sign_in_codes: true,
            ..Settings::default()
        },
        None,
    );
    let mut masks = Vec::new();
    for i in 0..12 {
        let sent = w
            .tapin
            .send_sign_in_code(
                &format!("made.up.{i}@contoso.com"),
                SignInChoice::Email,
                &format!("198.51.100.{i}"),
            )
            .unwrap_or_else(|e| panic!("send {i} refused: {e}"));
        assert!(!sent.sent_to.ends_with("@contoso.com"), "{}", sent.sent_to);
        masks.push(sent.sent_to);
    }
    let again = w
        .tapin
        .send_sign_in_code("made.up.0@contoso.com", SignInChoice::Email, "198.51.100.0")
        .unwrap();
    assert_eq!(again.sent_to, masks[0], "the same name, the same mask");
}

#[test]
fn webauthn_sign_in_options_for_an_unknown_account_carry_no_discoverable_fields() {
    let w = world();
    let ghost = w
        .tapin
        .start_webauthn_sign_in("ghost@contoso.com", "192.0.2.1")
        .unwrap();
    assert!(
        ghost.options.get("mediation").is_none(),
        "{}",
        ghost.options
    );
    let public_key = &ghost.options["publicKey"];
    assert!(public_key.get("extensions").is_none(), "{public_key}");
    let creds = public_key["allowCredentials"].as_array().unwrap();
    assert!(!creds.is_empty());
    // Real keys come with their transports or without (an authenticator
    // that reports none): made-up names' stand-ins come both ways too.
    let with: Vec<bool> = (0..40)
        .flat_map(|i| {
            let o = w
                .tapin
                .start_webauthn_sign_in(&format!("ghost{i}@contoso.com"), "192.0.2.1")
                .unwrap()
                .options;
            o["publicKey"]["allowCredentials"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.get("transports").is_some())
                .collect::<Vec<_>>()
        })
        .collect();
    assert!(with.contains(&true) && with.contains(&false), "{with:?}");
}

#[test]
fn rotating_the_secret_key_keeps_recovery_codes_and_unknown_accounts_answers() {
    let settings = || Settings {
        recovery_codes: true,
        ..Settings::default()
    };
    let old = Keyring::generate();
    let w = world_with(settings(), Some(old.clone()));
    let token = pass_session(&w);
    let codes = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.make_recovery_codes(&who))
        .unwrap();
    let ghost_before = w.tapin.sign_in_options("ghost@contoso.com").unwrap();
    let World { dir, .. } = w;
    // `tapin secrets rotate`: a new key, the old one's MAC key kept.
    let rotated = Keyring::parse(&old.with_new_key().newest_only().to_text()).unwrap();
    let w = world_in(dir, settings(), Some(rotated));
    assert_eq!(
        w.tapin.sign_in_options("ghost@contoso.com").unwrap(),
        ghost_before
    );
    assert!(w
        .tapin
        .sign_in_with_recovery_code(ADA, &codes[0], "192.0.2.1")
        .is_ok());
}

#[test]
fn free_text_that_reaches_the_audit_cannot_forge_a_line() {
    let w = world();
    let seed = authenticator_app(&w);
    let _ = seed;
    let token = pass_session(&w);
    let app = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods
        .into_iter()
        .find(|m| m.kind == MethodKind::AuthenticatorApp)
        .unwrap();
    let forged = "lost\n2026-12-01T09:00:00Z admin@contoso.com lockout_cleared";
    assert!(matches!(
        w.tapin
            .remove_method_for(&Actor::Operator, ADA, &app.id, &[], forged),
        Err(Error::Invalid(_, Some("reason")))
    ));
    assert!(matches!(
        w.tapin.add_client(
            &Actor::Operator,
            NewClient {
                name: "Wiki\u{202E}kiW".into(),
                redirect_uris: vec![RP.into()],
                ..Default::default()
            }
        ),
        Err(Error::Invalid(_, Some("name")))
    ));
}

#[test]
fn a_code_already_sent_to_a_removed_phone_no_longer_signs_in() {
    let w = world_with(
        Settings {
            sign_in_codes: true,
            ..Settings::default()
        },
        None,
    );
    let token = pass_session(&w);
    let reg = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.start_email(
                &who,
                tapin_api::wire::EmailStart {
                    address: "ada@example.org".into(),
                },
                "192.0.2.1",
            )
        })
        .unwrap();
    let code_in = || -> String {
        let outbox = w.tapin.outbox().unwrap();
        let m = outbox.last().expect("a message");
        m.message.body.split("code is ").nth(1).unwrap()[..6].to_string()
    };
    let email = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.verify_code(
                &who,
                tapin_api::wire::CodeFinish {
                    id: reg.id,
                    code: code_in(),
                },
            )
        })
        .unwrap();
    let sent = w
        .tapin
        .send_sign_in_code(ADA, SignInChoice::Email, "203.0.113.9")
        .unwrap();
    let code = code_in();
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.delete_method(&who, &email.id))
        .unwrap();
    assert!(w
        .tapin
        .sign_in_with_sent_code(ADA, &sent.id, &code, "203.0.113.9")
        .is_err());
}

/// A person is resolved before their request's body arrives; a session
/// ended in between (the help desk, sign out everywhere) changes nothing.
#[test]
fn a_session_ended_while_a_change_is_on_its_way_changes_nothing() {
    let w = world();
    let token = pass_session(&w);
    let who = w.tapin.person(&SessionCookie::new(&token)).unwrap();
    w.tapin
        .revoke_sessions(&Actor::Operator, ADA, None)
        .unwrap();
    assert!(matches!(w.tapin.start_totp(&who), Err(Error::NotSignedIn)));
    assert!(matches!(
        w.tapin.start_webauthn(&who, MethodKind::Passkey),
        Err(Error::NotSignedIn)
    ));
    assert!(w.tapin.security_info(&who).is_err());
}
