//! The sign-in review's findings, each as an attacker or a user would meet
//! it, against a real store (SQLite, and PostgreSQL in the store contract):
//! one test per finding, each failing on the build before the fix.

mod common;

use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;
use tapin_api::wire::{MethodKind, SignInChoice, TotpFinish};
use tapin_server::domain::methods::{base32_decode, hotp};
use tapin_server::domain::oidc::{
    AuthorizationRequest, Authorize, ClientAuth, NewClient, TokenRequest, Tokens,
};
use tapin_server::domain::{
    Actor, Clock, Error, IssueOptions, Keyring, ManualClock, NewUser, PolicyChange, Role, Settings,
    Tapin,
};
use tapin_server::domain::{BearerToken, SessionCookie};

const ADA: &str = "ada@contoso.com";
const RP: &str = "https://wiki.contoso.com/cb";
const BROWSER: &str = "the browser of the person signing in";

struct World {
    tapin: Arc<Tapin>,
    clock: Arc<ManualClock>,
    dir: tempfile::TempDir,
}

fn world_with(settings: Settings, keys: Option<Keyring>) -> World {
    let dir = tempfile::tempdir().unwrap();
    world_in(dir, settings, keys)
}

fn world_in(dir: tempfile::TempDir, settings: Settings, keys: Option<Keyring>) -> World {
    let store = common::store_at(&dir.path().join("tapin.db"));
    let clock = Arc::new(ManualClock::new(
        Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap(),
    ));
    let mut tapin =
        Tapin::new(store, clock.clone(), settings).with_issuer("https://tapin.contoso.com");
    if let Some(keys) = keys {
        tapin = tapin.with_keyring(keys);
    }
    let tapin = Arc::new(tapin);
    tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                enabled: Some(true),
                ..Default::default()
            },
        )
        .unwrap();
    if tapin.user(ADA).is_err() {
        tapin
            .add_user(NewUser {
                upn: ADA.into(),
                display_name: "Ada Lovelace".into(),
                role: Role::Member,
                admin_roles: vec![],
                groups: vec![],
                time_zone: None,
            })
            .unwrap();
    }
    tapin.ensure_signing_keys().unwrap();
    World { tapin, clock, dir }
}

fn world() -> World {
    world_with(Settings::default(), None)
}

fn pass_session(w: &World) -> String {
    let pass = w
        .tapin
        .issue_pass(&Actor::Operator, ADA, IssueOptions::default())
        .unwrap();
    w.tapin
        .sign_in_with_pass(ADA, &pass.temporary_access_pass, "192.0.2.1")
        .unwrap()
        .token
}

/// Registers an authenticator app with a pass session; its seed.
fn authenticator_app(w: &World) -> Vec<u8> {
    let token = pass_session(w);
    let reg = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    let seed = base32_decode(&reg.secret).unwrap();
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: reg.id,
                    name: "Phone".into(),
                    code: app_code(w, &seed, 0),
                },
            )
        })
        .unwrap();
    seed
}

fn app_code(w: &World, seed: &[u8], steps_ahead: i64) -> String {
    hotp(seed, (w.clock.now().timestamp() / 30 + steps_ahead) as u64)
}

fn wiki(w: &World, public: bool) -> (String, Option<String>) {
    let c = w
        .tapin
        .add_client(
            &Actor::Operator,
            NewClient {
                name: if public { "Tool" } else { "Wiki" }.into(),
                redirect_uris: vec![RP.into()],
                public,
                ..Default::default()
            },
        )
        .unwrap();
    (c.client_id, c.client_secret)
}

fn request(client_id: &str) -> AuthorizationRequest {
    AuthorizationRequest {
        response_type: Some("code".into()),
        client_id: Some(client_id.into()),
        redirect_uri: Some(RP.into()),
        scope: Some("openid profile".into()),
        state: Some("s".into()),
        ..Default::default()
    }
}

fn param(url: &str, name: &str) -> Option<String> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

fn code_for(w: &World, client_id: &str, token: &str) -> String {
    match w
        .tapin
        .oidc_authorize(
            request(client_id),
            w.tapin.person(&SessionCookie::new(token)).ok().as_ref(),
            BROWSER,
            "192.0.2.1",
        )
        .unwrap()
    {
        Authorize::Redirect(to) => param(&to, "code").expect("a code"),
        other => panic!("expected a code, got {other:?}"),
    }
}

/// The token endpoint, as client `id` presenting `code` (and a verifier).
fn redeem(
    w: &World,
    id: &str,
    secret: Option<&str>,
    code: &str,
    verifier: Option<&str>,
) -> Result<Tokens, Error> {
    w.tapin.exchange_code(
        &ClientAuth {
            client_id: Some(id.into()),
            client_secret: secret.map(str::to_string),
        },
        &TokenRequest {
            grant_type: Some("authorization_code".into()),
            code: Some(code.into()),
            redirect_uri: Some(RP.into()),
            code_verifier: verifier.map(str::to_string),
        },
    )
}

fn exchange(w: &World, id: &str, secret: Option<&str>, code: &str) -> Result<String, Error> {
    redeem(w, id, secret, code, None).map(|t| t.access_token)
}

/// The tokens an application gets for the person signed in with `session`.
fn signed_in_app(w: &World, id: &str, secret: Option<&str>, session: &str) -> Tokens {
    redeem(w, id, secret, &code_for(w, id, session), None).unwrap()
}

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
}

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
    assert!(!creds.is_empty() && creds.iter().all(|c| c.get("transports").is_some()));
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
            Some(&tokens.id_token),
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
