//! The sign-in strength rule at every door, against a real store (SQLite,
//! and PostgreSQL in the store contract): every way of signing in × every
//! protected action → allowed, or refused with a code the app words.

mod common;

use chrono::{Duration, TimeZone, Utc};
use std::sync::Arc;
use tapin_api::wire::{EmailStart, MethodKind, PhoneChannel, PhoneStart};
use tapin_server::domain::methods::{hash_token, random_hex};
use tapin_server::domain::oidc::{AuthorizationRequest, Authorize, NewClient, SignInMethod};
use tapin_server::domain::store::SendLimits;
use tapin_server::domain::Clock;
use tapin_server::domain::SessionCookie;
use tapin_server::domain::{
    Actor, AdminRole, Error, ManualClock, Role, SessionRecord, Settings, Tapin,
};

const RP: &str = "https://wiki.contoso.com/cb";
const ADMIN: &str = "alex.admin@contoso.com";

struct World {
    tapin: Arc<Tapin>,
    clock: Arc<ManualClock>,
    client_id: String,
    /// Devices (RFC 8628): (client id, secret) of any and of a passkey-only application.
    kiosk: (String, String),
    vault: (String, String),
    _dir: tempfile::TempDir,
}

fn world() -> World {
    let many = (10_000, Duration::hours(1));
    let settings = Settings {
        send_limits: SendLimits {
            per_destination: many,
            per_user: many,
            per_client: many,
        },
        ..Settings::default()
    };
    let common::world::World { tapin, clock, dir } = common::world::builder()
        .at(Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap())
        .settings(settings)
        .issuer("https://tapin.contoso.com")
        .user(common::world::person(
            ADMIN,
            "Alex Admin",
            Role::Admin,
            &[
                AdminRole::PrivilegedAuthenticationAdministrator,
                AdminRole::AuthenticationPolicyAdministrator,
            ],
            &[],
        ))
        .signing_keys()
        .build();
    let client_id = tapin
        .add_client(
            &Actor::Operator,
            NewClient {
                name: "Wiki".into(),
                redirect_uris: vec![RP.into()],
                ..Default::default()
            },
        )
        .unwrap()
        .client_id;
    let device_client = |name: &str, phishing_resistant: bool| {
        let c = tapin
            .add_client(
                &Actor::Operator,
                NewClient {
                    name: name.into(),
                    redirect_uris: vec![RP.into()],
                    device_grant: true,
                    phishing_resistant,
                    ..Default::default()
                },
            )
            .unwrap();
        (c.client_id, c.client_secret.unwrap())
    };
    let kiosk = device_client("Kiosk", false);
    let vault = device_client("Vault", true);
    World {
        tapin,
        clock,
        client_id,
        kiosk,
        vault,
        _dir: dir,
    }
}

/// A session opened `how`, `age` ago, written to the real store as a
/// sign-in would write it.
fn session(w: &World, how: SignInMethod, age: Duration) -> String {
    let user = w.tapin.user(ADMIN).unwrap();
    let token = random_hex(32);
    let opened = w.clock.now() - age;
    w.tapin
        .store()
        .start_session(
            &SessionRecord {
                id: random_hex(8),
                token_hash: hash_token(&token),
                user_id: user.id,
                created_at: opened,
                expires_at: opened + Duration::hours(8),
                passwordless_deadline: None,
                pass_id: None,
                last_seen_at: w.clock.now(),
                method: how,
                method_id: None,
            },
            None,
        )
        .unwrap();
    token
}

/// Allowed, or refused because the sign-in is not strong or recent enough.
/// Any other answer (a missing method, say) means the rule let it through.
fn allowed<T: std::fmt::Debug>(r: Result<T, Error>) -> bool {
    match r {
        Err(Error::StrongerSignInNeeded(_)) => false,
        Err(Error::Forbidden(m)) => panic!("refused for another reason: {m}"),
        _ => true,
    }
}

type Door = fn(&World, &str) -> bool;

/// A device's code typed on /device and approved with the session `t`.
fn approve_device(w: &World, (id, secret): &(String, String), t: &str) -> bool {
    let auth = tapin_server::domain::oidc::ClientAuth {
        client_id: Some(id.clone()),
        client_secret: Some(secret.clone()),
    };
    let code = w
        .tapin
        .device_authorization(&auth, None, "192.0.2.9")
        .unwrap();
    let Ok(Authorize::SignIn { id }) =
        w.tapin
            .start_device_approval(&code.user_code, "browser", "192.0.2.9")
    else {
        panic!("the typed code made no sign-in request")
    };
    let who = w.tapin.person(&SessionCookie::new(t)).ok();
    matches!(
        w.tapin.continue_authorization(&id, who.as_ref(), "browser", Some(true)),
        Ok(Authorize::Redirect(to)) if to == "/device?approved"
    )
}

fn doors() -> Vec<(&'static str, Door)> {
    vec![
        ("view security info", |w, t| {
            allowed(
                w.tapin
                    .person(&SessionCookie::new(t))
                    .and_then(|who| w.tapin.security_info(&who)),
            )
        }),
        ("sign out everywhere", |w, t| {
            allowed(
                w.tapin
                    .person(&SessionCookie::new(t))
                    .and_then(|who| w.tapin.sign_out_everywhere(&who)),
            )
        }),
        (
            "help desk (pages, admin API, Graph with a cookie)",
            |w, t| {
                allowed(
                    w.tapin
                        .person(&SessionCookie::new(t))
                        .and_then(|who| w.tapin.admin_by_session(&who)),
                )
            },
        ),
        ("add an OIDC client through the help desk", |w, t| {
            allowed(
                w.tapin
                    .person(&SessionCookie::new(t))
                    .and_then(|who| w.tapin.admin_by_session(&who))
                    .and_then(|actor| {
                        w.tapin.add_client(
                            &actor,
                            NewClient {
                                name: "Intranet".into(),
                                redirect_uris: vec!["https://intranet.contoso.com/cb".into()],
                                ..Default::default()
                            },
                        )
                    }),
            )
        }),
        ("edit the passkey profiles through the help desk", |w, t| {
            allowed(
                w.tapin
                    .person(&SessionCookie::new(t))
                    .and_then(|who| w.tapin.admin_by_session(&who))
                    .and_then(|actor| w.tapin.change_passkey_profiles(&actor, Ok)),
            )
        }),
        ("add a passkey", |w, t| {
            allowed(
                w.tapin
                    .person(&SessionCookie::new(t))
                    .and_then(|who| w.tapin.start_webauthn(&who, MethodKind::Passkey)),
            )
        }),
        ("add a security key", |w, t| {
            allowed(
                w.tapin
                    .person(&SessionCookie::new(t))
                    .and_then(|who| w.tapin.start_webauthn(&who, MethodKind::SecurityKey)),
            )
        }),
        ("add an authenticator app", |w, t| {
            allowed(
                w.tapin
                    .person(&SessionCookie::new(t))
                    .and_then(|who| w.tapin.start_totp(&who)),
            )
        }),
        ("add a phone", |w, t| {
            allowed(w.tapin.person(&SessionCookie::new(t)).and_then(|who| {
                w.tapin.start_phone(
                    &who,
                    PhoneStart {
                        kind: MethodKind::Phone,
                        number: "+442079460958".into(),
                        channel: PhoneChannel::Text,
                    },
                    "192.0.2.1",
                )
            }))
        }),
        ("add an email address", |w, t| {
            allowed(w.tapin.person(&SessionCookie::new(t)).and_then(|who| {
                w.tapin.start_email(
                    &who,
                    EmailStart {
                        address: "alex@example.org".into(),
                    },
                    "192.0.2.1",
                )
            }))
        }),
        ("remove a method", |w, t| {
            allowed(w.tapin.person(&SessionCookie::new(t)).and_then(|who| {
                w.tapin
                    .delete_method(&who, "0123456789abcdef0123456789abcdef")
            }))
        }),
        ("change the default method", |w, t| {
            allowed(w.tapin.person(&SessionCookie::new(t)).and_then(|who| {
                w.tapin
                    .set_default_method(&who, "0123456789abcdef0123456789abcdef")
            }))
        }),
        ("an ID token with acr phishing-resistant", |w, t| {
            let req = AuthorizationRequest {
                response_type: Some("code".into()),
                client_id: Some(w.client_id.clone()),
                redirect_uri: Some(RP.into()),
                scope: Some("openid".into()),
                acr_values: Some("urn:tapin:acr:phishing-resistant".into()),
                ..Default::default()
            };
            matches!(
                w.tapin.oidc_authorize(req, w.tapin.person(&SessionCookie::new(t)).ok().as_ref(), "browser", "192.0.2.1"),
                Ok(Authorize::Redirect(to)) if to.contains("code=")
            )
        }),
        ("approve a device", |w, t| approve_device(w, &w.kiosk, t)),
        ("approve a device for a passkey-only application", |w, t| {
            approve_device(w, &w.vault, t)
        }),
    ]
}

/// The strength rule (docs/ARCHITECTURE.md), one column per way of signing in, fresh (5 minutes) and
/// old (20 minutes): `y` allowed, `-` refused.
///                                     passkey  pass/recovery  code
const EXPECTED: [(&str, &str); 15] = [
    ("view security info", "yy yy yy"),
    ("sign out everywhere", "yy yy yy"),
    (
        "help desk (pages, admin API, Graph with a cookie)",
        "yy -- --",
    ),
    ("add an OIDC client through the help desk", "yy -- --"),
    (
        "edit the passkey profiles through the help desk",
        "yy -- --",
    ),
    ("add a passkey", "y- yy --"),
    ("add a security key", "y- yy --"),
    ("add an authenticator app", "y- yy --"),
    ("add a phone", "y- yy --"),
    ("add an email address", "y- yy --"),
    ("remove a method", "y- yy --"),
    ("change the default method", "y- yy --"),
    ("an ID token with acr phishing-resistant", "yy -- --"),
    ("approve a device", "yy yy yy"),
    (
        "approve a device for a passkey-only application",
        "yy -- --",
    ),
];

#[test]
fn every_way_of_signing_in_meets_every_door_as_the_strength_rule_says() {
    let w = world();
    let doors = doors();
    assert_eq!(doors.len(), EXPECTED.len());
    let mut checked = 0;
    for (name, door) in doors {
        let (_, row) = EXPECTED.iter().find(|(n, _)| *n == name).unwrap();
        let cells: Vec<char> = row.chars().filter(|c| !c.is_whitespace()).collect();
        for how in SignInMethod::ALL {
            let column = match how {
                SignInMethod::Passkey | SignInMethod::SecurityKey => 0,
                SignInMethod::Pass | SignInMethod::RecoveryCode => 2,
                _ => 4,
            };
            for (age, offset) in [(Duration::minutes(5), 0), (Duration::minutes(20), 1)] {
                let token = session(&w, how, age);
                let expected = cells[column + offset] == 'y';
                assert_eq!(
                    door(&w, &token),
                    expected,
                    "{name}, signed in with {} {} minutes ago",
                    how.as_str(),
                    age.num_minutes()
                );
                checked += 1;
            }
        }
    }
    assert_eq!(checked, EXPECTED.len() * SignInMethod::ALL.len() * 2);
}

#[test]
fn a_code_session_is_told_what_to_do_instead_and_the_session_says_it_is_no_help_desk() {
    let w = world();
    let token = session(&w, SignInMethod::AuthenticatorApp, Duration::minutes(1));
    let Err(Error::StrongerSignInNeeded(why)) = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|who| w.tapin.start_totp(&who))
    else {
        panic!("a code session added a method");
    };
    assert!(why.contains("passkey"), "{why}");
    assert!(
        !w.tapin
            .person(&SessionCookie::new(&token))
            .and_then(|who| w.tapin.session(&who))
            .unwrap()
            .admin
    );
    let strong = session(&w, SignInMethod::SecurityKey, Duration::minutes(1));
    assert!(
        w.tapin
            .person(&SessionCookie::new(&strong))
            .and_then(|who| w.tapin.session(&who))
            .unwrap()
            .admin
    );
}
