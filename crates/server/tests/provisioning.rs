//! Enrolling a passkey for someone else (Graph's fido2 provisioning): the
//! help desk's key answers the creation options, the person signs in with
//! it without a pass; the rules of who may, once, for that person only.

mod common;

use common::keys::{Key, MetadataService, Vendor};
use common::world::*;
use serde_json::{json, Value};
use tapin_api::wire::{KeyRefusal, MethodKind, PasskeySignIn};
use tapin_server::domain::authenticators::{KeyRestrictions, RestrictionMode};
use tapin_server::domain::{Actor, AdminRole, Error, Role};

const ADA: &str = "ada@contoso.com";
const DESK: &str = "desk@contoso.com";

struct Desk {
    w: World,
    desk: Actor,
    model: common::keys::Model,
}

fn desk() -> Desk {
    let w = world();
    add(&w.tapin, "bob@contoso.com", Role::Member, &[], &["staff"]);
    add(
        &w.tapin,
        DESK,
        Role::Admin,
        &[AdminRole::AuthenticationAdministrator],
        &[],
    );
    add(
        &w.tapin,
        "root@contoso.com",
        Role::Admin,
        &[AdminRole::GlobalReader],
        &[],
    );
    let vendor = Vendor::new("Contoso Keys");
    let model = vendor.model("Contoso Key 5 NFC");
    let mds = MetadataService::new();
    w.tapin
        .import_metadata(
            &Actor::Operator,
            &mds.blob(1, &[(&model, "FIDO_CERTIFIED_L1")]),
            Some(&mds.root_pem()),
        )
        .unwrap();
    let desk = w.tapin.actor(Some(DESK)).unwrap();
    Desk { w, desk, model }
}

/// The creation options, as `navigator.credentials.create()` takes them.
fn options(d: &Desk, actor: &Actor, upn: &str) -> Result<Value, Error> {
    let o = d.w.tapin.provisioning_options(actor, upn, None)?;
    Ok(json!({ "publicKey": o.public_key }))
}

fn enrol(d: &Desk, upn: &str, key: &mut Key) -> Result<tapin_api::wire::Method, Error> {
    let options = options(d, &d.desk, upn)?;
    let answer = key.register(&options);
    d.w.tapin
        .provision_passkey(&d.desk, upn, "Ada's key", &answer)
}

#[test]
fn the_help_desk_enrols_a_key_and_the_person_signs_in_with_it_without_a_pass() {
    let d = desk();
    let w = &d.w;
    // Ada has an email address on file, where she is told.
    let token = signed_in(w);
    let (id, code) = email_code(w, &token, "ada@example.org");
    w.tapin
        .person(&tapin_server::domain::SessionCookie::new(&token))
        .and_then(|p| {
            w.tapin
                .verify_code(&p, tapin_api::wire::CodeFinish { id, code })
        })
        .unwrap();

    let options = options(&d, &d.desk, ADA).unwrap();
    let public_key = &options["publicKey"];
    assert_eq!(public_key["attestation"], "direct");
    assert_eq!(
        public_key["authenticatorSelection"]["residentKey"],
        "required"
    );
    assert_eq!(
        public_key["authenticatorSelection"]["authenticatorAttachment"],
        "cross-platform"
    );
    assert_eq!(public_key["user"]["name"], ADA);
    let mut key = Key::of(&d.model, false);
    let answer = key.register(&options);
    let method = w
        .tapin
        .provision_passkey(&d.desk, ADA, "Ada's key", &answer)
        .unwrap();
    assert_eq!(method.kind, MethodKind::Passkey);
    let info = method.authenticator.unwrap();
    assert_eq!(info.model.as_deref(), Some("Contoso Key 5 NFC"));
    assert!(info.attested && !info.synced);
    // Audited as the help desk's act, and Ada told where she can read it.
    let audit = audit_of(w, "passkey_provisioned");
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].upn.as_str(), audit[0].actor.as_str()),
        (ADA, DESK)
    );
    assert_eq!(
        notices_to(w, "ada@example.org"),
        vec!["A sign-in method was added to your account"]
    );
    // The same answer again is spent.
    assert!(matches!(
        w.tapin.provision_passkey(&d.desk, ADA, "again", &answer),
        Err(Error::WebauthnFailed(m)) if m.contains("already used")
    ));
    // Ada signs in with the key, typing her name or not.
    assert!(named_sign_in(w, ADA, &mut key).is_ok());
    let challenge = w.tapin.start_passkey_sign_in("192.0.2.9").unwrap();
    let credential = key.sign_in(&challenge.options);
    let signed = w
        .tapin
        .finish_passkey_sign_in(PasskeySignIn {
            id: challenge.id,
            credential,
        })
        .unwrap();
    assert_eq!(signed.session.upn, ADA);
}

#[test]
fn a_key_made_for_one_person_cannot_be_posted_for_another() {
    let d = desk();
    let options = options(&d, &d.desk, ADA).unwrap();
    let answer = Key::of(&d.model, false).register(&options);
    assert!(matches!(
        d.w.tapin.provision_passkey(&d.desk, "bob@contoso.com", "Bob's key", &answer),
        Err(Error::WebauthnFailed(m)) if m.contains("already used or has expired")
    ));
    // A made-up answer to no options at all is refused the same way.
    let mut stray = Key::of(&d.model, false);
    let made_up = stray.register(&json!({ "publicKey": {
        "challenge": "bm90LWlzc3VlZC1ieS10YXBpbg",
        "user": { "id": "AAAA" },
    }}));
    assert!(matches!(
        d.w.tapin.provision_passkey(&d.desk, ADA, "stray", &made_up),
        Err(Error::WebauthnFailed(_))
    ));
    // Ada's own options still work once.
    assert!(d
        .w
        .tapin
        .provision_passkey(&d.desk, ADA, "Ada's key", &answer)
        .is_ok());
}

#[test]
fn only_those_who_may_change_the_person_enrol_and_the_profile_still_decides() {
    let d = desk();
    let w = &d.w;
    let reader = w.tapin.actor(Some("root@contoso.com")).unwrap();
    for (actor, upn) in [
        (&reader, ADA),
        (&d.desk, "root@contoso.com"), // an administrator: privileged only
        (&d.desk, DESK),               // yourself
    ] {
        assert!(
            matches!(options(&d, actor, upn), Err(Error::Forbidden(_))),
            "{} for {upn}",
            actor.name()
        );
    }
    assert!(matches!(
        w.tapin.provisioning_options(&d.desk, ADA, Some(4)),
        Err(Error::Invalid(..))
    ));
    assert!(w
        .tapin
        .provisioning_options(&d.desk, ADA, Some(43200))
        .is_ok());
    // A model the profile blocks is refused for Ada even from the help desk.
    w.tapin
        .change_passkey_profiles(&Actor::Operator, |mut p| {
            p.profiles[0].key_restrictions = KeyRestrictions {
                enforced: true,
                mode: RestrictionMode::Block,
                aaguids: vec![d.model.aaguid],
            };
            Ok(p)
        })
        .unwrap();
    match enrol(&d, ADA, &mut Key::of(&d.model, false)) {
        Err(Error::KeyRefused { refusal, .. }) => assert_eq!(refusal, KeyRefusal::ModelBlocked),
        other => panic!("{other:?}"),
    }
    assert_eq!(audit_of(w, "passkey_refused_by_profile").len(), 1);
    assert!(audit_of(w, "passkey_provisioned").is_empty());
}
