//! Registering and managing sign-in methods as the person: authenticator
//! apps, email and phone codes, limits, the passwordless window, the default,
//! sign out everywhere, and notices that commit with their change.

mod common;

use chrono::Duration;
use common::world::*;
use tapin_api::wire::{CodeFinish, EmailStart, MethodKind, PhoneChannel, PhoneStart, TotpFinish};
use tapin_server::domain::methods::{base32_decode, hotp};
use tapin_server::domain::SessionCookie;
use tapin_server::domain::{AuditFilter, Error, IssueOptions};

#[test]
fn an_authenticator_app_needs_a_current_code_and_a_sixth_is_refused() {
    let w = world();
    let token = signed_in(&w);
    let reg = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    assert!(reg
        .uri
        .starts_with("otpauth://totp/tapin:ada@contoso.com?secret="));
    let wrong = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
        w.tapin.finish_totp(
            &who,
            TotpFinish {
                id: reg.id.clone(),
                name: "Phone app".into(),
                code: "000000".into(),
            },
        )
    });
    assert!(matches!(wrong, Err(Error::CodeInvalid(4))), "{wrong:?}");
    assert!(w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods
        .is_empty());
    // A code from ten minutes ago is not current.
    let stale = hotp(
        &base32_decode(&reg.secret).unwrap(),
        (w.tapin.now().timestamp() / 30 - 20) as u64,
    );
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: reg.id.clone(),
                    name: "x".into(),
                    code: stale
                }
            )),
        Err(Error::CodeInvalid(3))
    ));
    let code = totp_now(&w, &reg.secret);
    let m = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: reg.id,
                    name: "Phone app".into(),
                    code,
                },
            )
        })
        .unwrap();
    assert_eq!(
        (m.kind, m.name.as_deref(), m.is_default),
        (MethodKind::AuthenticatorApp, Some("Phone app"), true)
    );
    for i in 2..=5 {
        add_authenticator(&w, &token, &format!("app {i}")).unwrap();
    }
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.start_totp(&who)),
        Err(Error::LimitReached(MethodKind::AuthenticatorApp, 5))
    ));
    assert_eq!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.security_info(&who))
            .unwrap()
            .methods
            .len(),
        5
    );
}

#[test]
fn the_limit_holds_when_registrations_race_past_the_start_check() {
    let w = world();
    let token = signed_in(&w);
    for i in 1..=4 {
        add_authenticator(&w, &token, &format!("app {i}")).unwrap();
    }
    let a = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    let b = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
        .unwrap();
    let finish = |r: tapin_api::wire::TotpRegistration| {
        let code = totp_now(&w, &r.secret);
        w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
            w.tapin.finish_totp(
                &who,
                TotpFinish {
                    id: r.id,
                    name: "late".into(),
                    code,
                },
            )
        })
    };
    finish(a).unwrap();
    assert!(matches!(finish(b), Err(Error::LimitReached(_, 5))));
    assert_eq!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.security_info(&who))
            .unwrap()
            .methods
            .len(),
        5
    );
}

#[test]
fn an_email_code_has_five_tries_and_ten_minutes() {
    let w = world();
    let token = signed_in(&w);
    let sent = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.start_email(
                &who,
                EmailStart {
                    address: "Ada@Example.ORG".into(),
                },
                "192.0.2.1",
            )
        })
        .unwrap();
    assert_eq!(sent.sent_to, "A•••@example.org");
    let code = code_sent_to(&w, "Ada@example.org");
    let wrong = if code == "111111" { "222222" } else { "111111" };
    for left in (1..=4).rev() {
        let r = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
            w.tapin.verify_code(
                &who,
                CodeFinish {
                    id: sent.id.clone(),
                    code: wrong.into(),
                },
            )
        });
        assert!(
            matches!(r, Err(Error::CodeInvalid(l)) if l == left),
            "{r:?}"
        );
    }
    let r = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
        w.tapin.verify_code(
            &who,
            CodeFinish {
                id: sent.id.clone(),
                code: wrong.into(),
            },
        )
    });
    assert!(matches!(r, Err(Error::CodeExpired)));
    // The right code no longer helps once the tries are spent.
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id: sent.id, code })),
        Err(Error::CodeExpired)
    ));

    let (id, code) = email_code(&w, &token, "ada@example.org");
    w.clock.advance(Duration::minutes(10));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code })),
        Err(Error::CodeExpired)
    ));

    let (id, code) = email_code(&w, &token, "ada@example.org");
    let m = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }))
        .unwrap();
    assert_eq!(
        (m.kind, m.detail.as_str()),
        (MethodKind::Email, "a•••@example.org")
    );
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.start_email(
                &who,
                EmailStart {
                    address: "b@example.org".into()
                },
                "192.0.2.1"
            )),
        Err(Error::LimitReached(MethodKind::Email, 1))
    ));
}

#[test]
fn a_malformed_phone_number_is_refused_and_sends_nothing() {
    let w = world();
    let token = signed_in(&w);
    let before = w.tapin.outbox().unwrap().len();
    let r = w.tapin.person(&SessionCookie::new(&token)).and_then(|who| {
        w.tapin.start_phone(
            &who,
            PhoneStart {
                kind: MethodKind::Phone,
                number: "0151 1234".into(),
                channel: PhoneChannel::Text,
            },
            "192.0.2.1",
        )
    });
    assert!(matches!(r, Err(Error::Invalid(_, Some("phone")))), "{r:?}");
    assert_eq!(w.tapin.outbox().unwrap().len(), before);
}

#[test]
fn passwordless_registration_closes_ten_minutes_after_a_one_time_pass_sign_in() {
    let w = world();
    let code = issue(
        &w,
        IssueOptions {
            one_time: true,
            ..Default::default()
        },
    );
    let token = sign_in(&w, &code).unwrap().token;
    assert!(w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_webauthn(&who, MethodKind::Passkey))
        .is_ok());
    w.clock.advance(Duration::minutes(10));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.start_webauthn(&who, MethodKind::SecurityKey)),
        Err(Error::PasswordlessWindowClosed(_))
    ));
    // Other methods stay open.
    assert!(add_authenticator(&w, &token, "app").is_ok());
}

#[test]
fn deleting_the_default_moves_it_to_the_strongest_remaining_method() {
    let w = world();
    let token = signed_in(&w);
    let sent = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.start_phone(
                &who,
                PhoneStart {
                    kind: MethodKind::Phone,
                    number: "+44 20 7946 0958".into(),
                    channel: PhoneChannel::Text,
                },
                "192.0.2.1",
            )
        })
        .unwrap();
    let phone = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| {
            w.tapin.verify_code(
                &who,
                CodeFinish {
                    id: sent.id,
                    code: code_sent_to(&w, "+442079460958"),
                },
            )
        })
        .unwrap();
    assert!(phone.is_default);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }))
        .unwrap();
    let app = add_authenticator(&w, &token, "app").unwrap();
    assert!(!app.is_default);
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.delete_method(&who, &phone.id))
        .unwrap();
    let methods = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods;
    let default: Vec<_> = methods
        .iter()
        .filter(|m| m.is_default)
        .map(|m| m.kind)
        .collect();
    assert_eq!(default, vec![MethodKind::AuthenticatorApp]);
    // The removal was told to the remaining email address, and audited.
    let last = w.tapin.outbox().unwrap().pop().unwrap();
    assert_eq!(last.message.to, "ada@example.org");
    assert!(last.message.subject.contains("removed"));
    let events: Vec<String> = w
        .tapin
        .audit_events(AuditFilter {
            upn: Some("ada@contoso.com".into()),
            ..Default::default()
        })
        .unwrap()
        .into_iter()
        .map(|e| e.event)
        .collect();
    assert_eq!(
        events,
        [
            "pass_issued",
            "pass_sign_in",
            "method_added",
            "method_added",
            "method_added",
            "method_removed"
        ]
    );
}

#[test]
fn sign_out_everywhere_ends_every_session_of_the_user() {
    let w = world();
    let code = issue(&w, IssueOptions::default());
    let one = sign_in(&w, &code).unwrap().token;
    let two = sign_in(&w, &code).unwrap().token;
    w.tapin
        .person(&SessionCookie::new(&one))
        .and_then(|who| w.tapin.sign_out_everywhere(&who))
        .unwrap();
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&one))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&two))
            .and_then(|who| w.tapin.session(&who)),
        Err(Error::NotSignedIn)
    ));
}

#[test]
fn simultaneous_wrong_codes_are_evaluated_at_most_as_often_as_the_code_has_tries() {
    let w = world();
    let token = signed_in(&w);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let guesses: Vec<_> = (0..40)
        .map(|_| {
            let (t, token, id) = (w.tapin.clone(), token.clone(), id.clone());
            std::thread::spawn(move || {
                t.person(&SessionCookie::new(&token)).and_then(|who| {
                    t.verify_code(
                        &who,
                        CodeFinish {
                            id,
                            code: wrong.into(),
                        },
                    )
                })
            })
        })
        .collect();
    let evaluated = guesses
        .into_iter()
        .map(|g| g.join().unwrap())
        .filter(|r| matches!(r, Err(Error::CodeInvalid(_))))
        .count();
    // Five tries: four answers say how many are left, the fifth ends it.
    assert_eq!(evaluated, 4);
    let right = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }));
    assert!(matches!(right, Err(Error::CodeExpired)));
}

#[test]
fn the_purge_removes_what_has_expired_and_keeps_what_has_not() {
    let w = world();
    let token = signed_in(&w);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    let _ = w
        .tapin
        .sign_in_with_pass("ada@contoso.com", "ZZZZZZZZ", "192.0.2.9");
    let before = w.tapin.purge().unwrap();
    assert_eq!(
        (before.sessions, before.pending, before.attempts),
        (0, 0, 0)
    );
    // An hour later the code has expired, the session has ended with its
    // pass and the failed attempt is out of the lockout window.
    w.clock.advance(Duration::minutes(61));
    let after = w.tapin.purge().unwrap();
    assert_eq!((after.sessions, after.pending, after.attempts), (1, 1, 1));
    assert_eq!(
        after.sends, 0,
        "a send counts against the daily limit for a day"
    );
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code })),
        Err(Error::NotSignedIn)
    ));
}

#[test]
fn the_public_origin_is_normalised_or_refused_with_the_reason() {
    use tapin_server::domain::normalize_origin;
    assert_eq!(
        normalize_origin("HTTPS://Tapin.Contoso.COM:443/").unwrap(),
        "https://tapin.contoso.com"
    );
    assert_eq!(
        normalize_origin("http://localhost:8080").unwrap(),
        "http://localhost:8080"
    );
    for bad in [
        "tapin.contoso.com",
        "ftp://tapin.contoso.com",
        "https://tapin.contoso.com/portal",
        "https://user:pw@tapin.contoso.com",
        "https://tapin.contoso.com/?a=b",
    ] {
        let err = normalize_origin(bad).unwrap_err().to_string();
        assert!(err.contains(bad), "{bad}: {err}");
    }
}

#[test]
fn a_method_change_and_its_notices_commit_together_or_not_at_all() {
    let w = world();
    let token = signed_in(&w);
    let (id, code) = email_code(&w, &token, "ada@example.org");
    w.tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.verify_code(&who, CodeFinish { id, code }))
        .unwrap();
    assert!(
        notices_to(&w, "ada@example.org").is_empty(),
        "the address does not hear of itself"
    );

    // An authenticator app: the address hears of it, through the outbox.
    let app = add_authenticator(&w, &token, "Phone app").unwrap();
    assert_eq!(
        notices_to(&w, "ada@example.org"),
        ["A sign-in method was added to your account"]
    );

    // A refused change (a sixth app) writes no notice.
    for i in 2..=5 {
        add_authenticator(&w, &token, &format!("App {i}")).unwrap();
    }
    assert!(matches!(
        add_authenticator(&w, &token, "Sixth"),
        Err(Error::LimitReached(..))
    ));
    assert_eq!(notices_to(&w, "ada@example.org").len(), 5);

    // When the notice cannot be written, the change is not made either.
    common::stored::break_inserts(&w.dir.path().join("tapin.db"), "outbox");
    assert!(matches!(
        w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.delete_method(&who, &app.id)),
        Err(Error::Storage(_))
    ));
    let kept = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.security_info(&who))
        .unwrap()
        .methods;
    assert!(
        kept.iter().any(|m| m.id == app.id),
        "the method is still there"
    );
    assert_eq!(notices_to(&w, "ada@example.org").len(), 5);
}
