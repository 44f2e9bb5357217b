//! The review's findings about the OpenID Connect provider: requests bound to
//! their browser, consent, codes, tokens and logout.

use super::*;

#[test]
fn a_waiting_authorization_request_continues_only_in_the_browser_that_made_it() {
    let w = world();
    let (client, _) = wiki(&w, false);
    let Authorize::SignIn { id } = w
        .tapin
        .oidc_authorize(request(&client), None, BROWSER, "192.0.2.1")
        .unwrap()
    else {
        panic!("a request without a session waits for sign-in");
    };
    let victim = pass_session(&w);
    // Another page's request, walked through with the victim's session.
    assert!(matches!(
        w.tapin.continue_authorization(
            &id,
            w.tapin.person(&SessionCookie::new(&victim)).ok().as_ref(),
            "someone else's browser",
            None
        ),
        Err(Error::NotFound(_))
    ));
    assert!(matches!(
        w.tapin.authorization_request(
            &id,
            w.tapin.person(&SessionCookie::new(&victim)).ok().as_ref(),
            ""
        ),
        Err(Error::NotFound(_))
    ));
    let Authorize::Redirect(to) = w
        .tapin
        .continue_authorization(
            &id,
            w.tapin.person(&SessionCookie::new(&victim)).ok().as_ref(),
            BROWSER,
            None,
        )
        .unwrap()
    else {
        panic!("the browser that made it continues");
    };
    assert!(param(&to, "code").is_some());
}

#[test]
fn prompt_consent_asks_and_an_unknown_prompt_is_an_invalid_request() {
    let w = world();
    let (client, _) = wiki(&w, false);
    let token = pass_session(&w);
    let mut req = request(&client);
    req.prompt = Some("consent".into());
    let Authorize::SignIn { id } = w
        .tapin
        .oidc_authorize(
            req,
            w.tapin.person(&SessionCookie::new(&token)).ok().as_ref(),
            BROWSER,
            "192.0.2.1",
        )
        .unwrap()
    else {
        panic!("prompt=consent must not hand out a code without asking");
    };
    assert!(
        w.tapin
            .authorization_request(
                &id,
                w.tapin.person(&SessionCookie::new(&token)).ok().as_ref(),
                BROWSER
            )
            .unwrap()
            .consent
    );
    let Authorize::Redirect(denied) = w
        .tapin
        .continue_authorization(
            &id,
            w.tapin.person(&SessionCookie::new(&token)).ok().as_ref(),
            BROWSER,
            Some(false),
        )
        .unwrap()
    else {
        panic!("a declined consent goes back");
    };
    assert_eq!(param(&denied, "error").as_deref(), Some("access_denied"));

    let mut req = request(&client);
    req.prompt = Some("select_everything".into());
    let Authorize::Redirect(to) = w
        .tapin
        .oidc_authorize(
            req,
            w.tapin.person(&SessionCookie::new(&token)).ok().as_ref(),
            BROWSER,
            "192.0.2.1",
        )
        .unwrap()
    else {
        panic!("an unknown prompt goes back with an error");
    };
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_request"));
}

#[test]
fn a_long_state_or_nonce_is_refused_and_anonymous_starts_are_limited_per_client() {
    let w = world_with(
        Settings {
            starts_per_client: 3,
            ..Settings::default()
        },
        None,
    );
    let (client, _) = wiki(&w, false);
    let mut req = request(&client);
    req.nonce = Some("n".repeat(10_000));
    let Authorize::Redirect(to) = w
        .tapin
        .oidc_authorize(req, None, BROWSER, "192.0.2.1")
        .unwrap()
    else {
        panic!("a long nonce goes back with an error, nothing kept");
    };
    assert_eq!(param(&to, "error").as_deref(), Some("invalid_request"));
    assert_eq!(param(&to, "state"), None, "the long value is not echoed");

    for _ in 0..3 {
        assert!(matches!(
            w.tapin
                .oidc_authorize(request(&client), None, BROWSER, "192.0.2.1"),
            Ok(Authorize::SignIn { .. })
        ));
    }
    let refused = |r: Result<_, Error>| matches!(r, Err(Error::TooManyStarts(_)));
    assert!(refused(
        w.tapin
            .oidc_authorize(request(&client), None, BROWSER, "192.0.2.1")
            .map(|_| ())
    ));
    assert!(refused(
        w.tapin.start_passkey_sign_in("192.0.2.1").map(|_| ())
    ));
    assert!(refused(
        w.tapin.start_webauthn_sign_in(ADA, "192.0.2.1").map(|_| ())
    ));
    // Another client is not held up, and the window passes.
    assert!(w.tapin.start_passkey_sign_in("198.51.100.7").is_ok());
    w.clock.advance(Duration::minutes(16));
    assert!(w.tapin.start_passkey_sign_in("192.0.2.1").is_ok());
}

#[test]
fn a_public_client_cannot_burn_another_clients_code() {
    let w = world();
    let (wiki_id, secret) = wiki(&w, false);
    let (tool_id, _) = wiki(&w, true);
    let token = pass_session(&w);
    let code = code_for(&w, &wiki_id, &token);
    assert!(exchange(&w, &tool_id, None, &code).is_err());
    assert!(
        exchange(&w, &wiki_id, secret.as_deref(), &code).is_ok(),
        "the rightful client still redeems its code"
    );
}

#[test]
fn ending_sessions_ends_the_tokens_and_codes_they_issued() {
    let w = world();
    let (client, secret) = wiki(&w, false);
    let token = pass_session(&w);
    let access = signed_in_app(&w, &client, secret.as_deref(), &token).access_token;
    assert!(w.tapin.userinfo(&BearerToken::new(&access)).is_ok());
    let unredeemed = code_for(&w, &client, &token);
    w.tapin
        .revoke_sessions(&Actor::Operator, ADA, None)
        .unwrap();
    assert!(
        w.tapin.userinfo(&BearerToken::new(&access)).is_err(),
        "userinfo after the session ended"
    );
    assert!(exchange(&w, &client, secret.as_deref(), &unredeemed).is_err());

    // Signing out does the same.
    let token = pass_session(&w);
    let access = signed_in_app(&w, &client, secret.as_deref(), &token).access_token;
    w.tapin.sign_out(&SessionCookie::new(&token)).unwrap();
    assert!(w.tapin.userinfo(&BearerToken::new(&access)).is_err());

    // So does revoking the pass that opened the session.
    let token = pass_session(&w);
    let access = signed_in_app(&w, &client, secret.as_deref(), &token).access_token;
    let unredeemed = code_for(&w, &client, &token);
    w.tapin.revoke_pass(&Actor::Operator, ADA).unwrap();
    assert!(
        w.tapin.userinfo(&BearerToken::new(&access)).is_err(),
        "userinfo after the pass was revoked"
    );
    assert!(exchange(&w, &client, secret.as_deref(), &unredeemed).is_err());

    // And removing the lost method that opened it.
    let seed = authenticator_app(&w);
    let thief = w
        .tapin
        .sign_in_with_code(ADA, &app_code(&w, &seed, 1), "203.0.113.9")
        .unwrap()
        .token;
    let access = signed_in_app(&w, &client, secret.as_deref(), &thief).access_token;
    assert!(w.tapin.userinfo(&BearerToken::new(&access)).is_ok());
    let owner = pass_session(&w);
    let who = w.tapin.person(&SessionCookie::new(&owner)).unwrap();
    let app = w
        .tapin
        .security_info(&who)
        .unwrap()
        .methods
        .into_iter()
        .find(|m| m.kind == MethodKind::AuthenticatorApp)
        .unwrap();
    w.tapin.delete_method(&who, &app.id).unwrap();
    assert!(
        w.tapin.userinfo(&BearerToken::new(&access)).is_err(),
        "userinfo after the method that opened the session was removed"
    );
}

#[test]
fn a_leaked_code_cannot_be_burned_by_its_own_public_client_without_the_verifier() {
    let w = world();
    let (tool, _) = wiki(&w, true);
    let token = pass_session(&w);
    let verifier = "dBjftJeZ4CVP-mJ92K9uDp1RKa5dS0b5iamf1A3cOMM";
    let mut req = request(&tool);
    req.code_challenge = Some("kKx_Rld_f9YKYeA-AXl4kMbhzY7ALeonsLcb_3MAy_w".into());
    req.code_challenge_method = Some("S256".into());
    let Authorize::Redirect(to) = w
        .tapin
        .oidc_authorize(
            req,
            w.tapin.person(&SessionCookie::new(&token)).ok().as_ref(),
            BROWSER,
            "192.0.2.1",
        )
        .unwrap()
    else {
        panic!("a code");
    };
    let code = param(&to, "code").unwrap();
    let present = |verifier: Option<&str>| redeem(&w, &tool, None, &code, verifier);
    assert!(present(None).is_err(), "no verifier");
    assert!(
        present(Some(&"x".repeat(43))).is_err(),
        "a guessed verifier"
    );
    assert!(
        present(Some(verifier)).is_ok(),
        "the code was left for the application that holds the verifier"
    );
}

#[test]
fn an_id_token_of_another_session_does_not_sign_this_browser_out_unasked() {
    let w = world();
    let (client, secret) = wiki(&w, false);
    let attacker = pass_session(&w);
    let tokens = signed_in_app(&w, &client, secret.as_deref(), &attacker);
    let victim = pass_session(&w);
    let out = w
        .tapin
        .end_session(
            tokens.id_token.as_deref(),
            None,
            None,
            None,
            Some(&SessionCookie::new(&victim)),
            false,
        )
        .unwrap();
    assert!(out.confirm, "the person is asked first");
    assert!(w
        .tapin
        .person(&SessionCookie::new(&victim))
        .and_then(|who| w.tapin.security_info(&who))
        .is_ok());
    // Without any ID token, too; and once confirmed, the session ends.
    assert!(
        w.tapin
            .end_session(
                None,
                None,
                None,
                None,
                Some(&SessionCookie::new(&victim)),
                false
            )
            .unwrap()
            .confirm
    );
    assert!(w
        .tapin
        .person(&SessionCookie::new(&victim))
        .and_then(|who| w.tapin.security_info(&who))
        .is_ok());
    w.tapin
        .end_session(
            None,
            None,
            None,
            None,
            Some(&SessionCookie::new(&victim)),
            true,
        )
        .unwrap();
    assert!(w
        .tapin
        .person(&SessionCookie::new(&victim))
        .and_then(|who| w.tapin.security_info(&who))
        .is_err());
}
