//! Which authenticators may hold people's keys: passkey profiles asked at
//! registration and at every sign-in, attestation checked against a FIDO
//! metadata BLOB the test signs (and CA certificates the operator adds),
//! with authenticators the test makes (packed attestation from its own CA).

mod common;

use common::keys::{Key, MetadataService, Model, Vendor};
use common::world::*;
use serde_json::Value;
use tapin_api::wire::{KeyRefusal, Method, MethodKind, PasskeySignIn, WebauthnFinish};
use tapin_server::domain::authenticators::{
    KeyRestrictions, PasskeyProfile, PasskeyProfiles, RestrictionMode,
};
use tapin_server::domain::{Actor, AdminRole, Error, IssueOptions, Role, SessionCookie, Target};

struct Estate {
    w: World,
    vendor: Vendor,
    model: Model,
    mds: MetadataService,
}

/// Ada (staff) and Bob (not), a vendor with one model, and a metadata
/// BLOB naming it, imported.
fn estate() -> Estate {
    let w = world();
    add(&w.tapin, "bob@contoso.com", Role::Member, &[], &["sales"]);
    let vendor = Vendor::new("Contoso Keys");
    let model = vendor.model("Contoso Key 5 NFC");
    let mds = MetadataService::new();
    let blob = mds.blob(7, &[(&model, "FIDO_CERTIFIED_L1")]);
    let summary = w
        .tapin
        .import_metadata(&Actor::Operator, &blob, Some(&mds.root_pem()))
        .unwrap();
    assert_eq!((summary.no, summary.models), (7, 1));
    Estate {
        w,
        vendor,
        model,
        mds,
    }
}

fn signed_in_as(w: &World, upn: &str) -> String {
    let code = w
        .tapin
        .issue_pass(&Actor::Operator, upn, IssueOptions::default())
        .unwrap()
        .temporary_access_pass;
    w.tapin
        .sign_in_with_pass(upn, &code, "192.0.2.1")
        .unwrap()
        .token
}

/// Registers `key` as a passkey the way the app does: options, then the answer.
fn register(w: &World, token: &str, key: &mut Key) -> Result<Method, Error> {
    let who = || w.tapin.person(&SessionCookie::new(token));
    let reg = who().and_then(|p| w.tapin.start_webauthn(&p, MethodKind::Passkey))?;
    let credential = key.register(&reg.options);
    who().and_then(|p| {
        w.tapin.finish_webauthn(
            &p,
            WebauthnFinish {
                id: reg.id,
                name: "my key".into(),
                credential,
            },
        )
    })
}

/// Signs in with `key` as a discoverable passkey (no account name typed).
fn passkey_sign_in(w: &World, key: &mut Key) -> Result<String, Error> {
    let challenge = w.tapin.start_passkey_sign_in("192.0.2.9")?;
    let credential = key.sign_in(&challenge.options);
    w.tapin
        .finish_passkey_sign_in(PasskeySignIn {
            id: challenge.id,
            credential,
        })
        .map(|s| s.token)
}

fn profile(id: &str, groups: &[&str]) -> PasskeyProfile {
    PasskeyProfile {
        id: id.into(),
        name: format!("profile {id}"),
        groups: groups
            .iter()
            .map(|g| Target::Group(g.to_string()))
            .collect(),
        ..PasskeyProfile::default_profile()
    }
}

fn set_default(w: &World, edit: impl FnOnce(&mut PasskeyProfile)) {
    let mut profiles = w.tapin.passkey_profiles().unwrap();
    edit(
        profiles
            .profiles
            .iter_mut()
            .find(|p| p.is_default())
            .unwrap(),
    );
    w.tapin
        .set_passkey_profiles(&Actor::Operator, profiles)
        .unwrap();
}

fn restrict(mode: RestrictionMode, aaguids: Vec<uuid::Uuid>) -> KeyRestrictions {
    KeyRestrictions {
        enforced: true,
        mode,
        aaguids,
    }
}

fn refusal(e: Error) -> (KeyRefusal, String) {
    match e {
        Error::KeyRefused { refusal, .. } => (refusal, e.to_string()),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

fn keys_of(w: &World, token: &str) -> Vec<Method> {
    w.tapin
        .person(&SessionCookie::new(token))
        .and_then(|p| w.tapin.security_info(&p))
        .unwrap()
        .methods
}

#[test]
fn an_allowed_attested_model_registers_shows_its_name_and_signs_in() {
    let e = estate();
    let w = &e.w;
    set_default(w, |p| {
        p.attestation_enforced = true;
        p.key_restrictions = restrict(RestrictionMode::Allow, vec![e.model.aaguid]);
    });
    let token = signed_in(w);
    // The profile asks which model it is: the options ask for attestation.
    let options = w
        .tapin
        .person(&SessionCookie::new(&token))
        .and_then(|p| w.tapin.start_webauthn(&p, MethodKind::Passkey))
        .unwrap()
        .options;
    assert_eq!(options["publicKey"]["attestation"], "direct");

    let mut key = Key::of(&e.model, false);
    let method = register(w, &token, &mut key).unwrap();
    let info = method.authenticator.unwrap();
    assert_eq!(info.model.as_deref(), Some("Contoso Key 5 NFC"));
    assert!(info.attested && !info.synced && info.refused.is_none());
    assert_eq!(info.aaguid, Some(e.model.aaguid.to_string()));
    assert!(passkey_sign_in(w, &mut key).is_ok());
    assert!(named_sign_in(w, "ada@contoso.com", &mut key).is_ok());
}

#[test]
fn a_blocked_model_is_refused_by_name_and_nothing_is_kept() {
    let e = estate();
    let w = &e.w;
    set_default(w, |p| {
        p.key_restrictions = restrict(RestrictionMode::Block, vec![e.model.aaguid]);
    });
    let token = signed_in(w);
    let who = || w.tapin.person(&SessionCookie::new(&token));
    let reg = who()
        .and_then(|p| w.tapin.start_webauthn(&p, MethodKind::Passkey))
        .unwrap();
    let mut key = Key::of(&e.model, false);
    let answer = key.register(&reg.options);
    let finish = |credential: Value| {
        who().and_then(|p| {
            w.tapin.finish_webauthn(
                &p,
                WebauthnFinish {
                    id: reg.id.clone(),
                    name: "blocked".into(),
                    credential,
                },
            )
        })
    };
    let (why, message) = refusal(finish(answer.clone()).unwrap_err());
    assert_eq!(why, KeyRefusal::ModelBlocked);
    assert!(
        message.contains("Contoso Key 5 NFC") && message.contains("blocked"),
        "{message}"
    );
    // The challenge is spent, nothing was stored, and the refusal is audited.
    assert!(matches!(finish(answer), Err(Error::WebauthnFailed(m)) if m.contains("already used")));
    assert!(keys_of(w, &token).is_empty());
    assert_eq!(audit_of(w, "passkey_refused_by_profile").len(), 1);
    // Another model still registers.
    let other = e.vendor.model("Contoso Key 6");
    assert!(register(w, &token, &mut Key::of(&other, false)).is_ok());
}

#[test]
fn an_unattested_key_is_refused_where_attestation_is_enforced_until_its_ca_is_trusted() {
    let e = estate();
    let w = &e.w;
    set_default(w, |p| p.attestation_enforced = true);
    let token = signed_in(w);
    // No attestation at all, claiming a trusted model's AAGUID.
    let (why, message) =
        refusal(register(w, &token, &mut Key::unattested(e.model.aaguid, false)).unwrap_err());
    assert_eq!(why, KeyRefusal::NotAttested);
    assert!(message.contains("could not prove which model"), "{message}");
    // Attested by a vendor neither the metadata nor the operator trusts.
    let stranger = Vendor::new("Fabrikam Tokens");
    let theirs = stranger.model("Fabrikam Token");
    let (why, _) = refusal(register(w, &token, &mut Key::of(&theirs, false)).unwrap_err());
    assert_eq!(why, KeyRefusal::NotAttested);
    // The operator adds Fabrikam's CA: the same kind of key now registers.
    w.tapin
        .add_attestation_ca(&Actor::Operator, &stranger.root_pem())
        .unwrap();
    let method = register(w, &token, &mut Key::of(&theirs, false)).unwrap();
    assert!(method.authenticator.unwrap().attested);
    // The imported model registers as before.
    assert!(register(w, &token, &mut Key::of(&e.model, false)).is_ok());
}

#[test]
fn a_synced_passkey_is_refused_where_only_device_bound_keys_are_allowed() {
    let e = estate();
    let w = &e.w;
    // Staff may only use keys that stay on one device; everyone else may sync.
    let mut staff = profile("5d1b3c1e-8a52-4c44-9d3b-6a1f1d0c2b11", &["staff"]);
    staff.synced = false;
    let profiles = PasskeyProfiles {
        profiles: vec![PasskeyProfile::default_profile(), staff],
    };
    w.tapin
        .set_passkey_profiles(&Actor::Operator, profiles)
        .unwrap();
    let ada = signed_in(w);
    let (why, message) = refusal(register(w, &ada, &mut Key::of(&e.model, true)).unwrap_err());
    assert_eq!(why, KeyRefusal::Synced);
    assert!(message.contains("synced"), "{message}");
    let method = register(w, &ada, &mut Key::of(&e.model, false)).unwrap();
    assert!(!method.authenticator.unwrap().synced);
    let bob = signed_in_as(w, "bob@contoso.com");
    let method = register(w, &bob, &mut Key::of(&e.model, true)).unwrap();
    assert!(method.authenticator.unwrap().synced);
}

#[test]
fn a_key_blocked_after_registration_no_longer_signs_in_and_its_owner_and_the_help_desk_see_why() {
    let e = estate();
    let w = &e.w;
    let token = signed_in(w);
    let mut key = Key::of(&e.model, false);
    register(w, &token, &mut key).unwrap();
    assert!(passkey_sign_in(w, &mut key).is_ok());

    set_default(w, |p| {
        p.key_restrictions = restrict(RestrictionMode::Block, vec![e.model.aaguid]);
    });
    let (why, message) = refusal(passkey_sign_in(w, &mut key).unwrap_err());
    assert_eq!(why, KeyRefusal::ModelBlocked);
    assert!(message.contains("Contoso Key 5 NFC"), "{message}");
    let (why, _) = refusal(named_sign_in(w, "ada@contoso.com", &mut key).unwrap_err());
    assert_eq!(why, KeyRefusal::ModelBlocked);
    assert_eq!(audit_of(w, "passkey_refused_by_profile").len(), 2);

    let shown = keys_of(w, &token).remove(0).authenticator.unwrap();
    assert_eq!(shown.refused, Some(KeyRefusal::ModelBlocked));
    let desk = w
        .tapin
        .overview(&Actor::Operator, "ada@contoso.com")
        .unwrap();
    assert_eq!(
        desk.views[0].authenticator.as_ref().unwrap().refused,
        Some(KeyRefusal::ModelBlocked)
    );
    // Lifting the block lets it sign in again.
    set_default(w, |p| p.key_restrictions.enforced = false);
    assert!(passkey_sign_in(w, &mut key).is_ok());
}

#[test]
fn a_model_the_metadata_later_revokes_stops_signing_in_and_an_older_blob_cannot_undo_it() {
    let e = estate();
    let w = &e.w;
    let token = signed_in(w);
    let mut key = Key::of(&e.model, false);
    register(w, &token, &mut key).unwrap();
    let newer = e.mds.blob(8, &[(&e.model, "REVOKED")]);
    let summary = w
        .tapin
        .import_metadata(&Actor::Operator, &newer, Some(&e.mds.root_pem()))
        .unwrap();
    assert_eq!(summary.compromised, 1);
    let (why, _) = refusal(passkey_sign_in(w, &mut key).unwrap_err());
    assert_eq!(why, KeyRefusal::Compromised);
    let (why, _) = refusal(register(w, &token, &mut Key::of(&e.model, false)).unwrap_err());
    assert_eq!(why, KeyRefusal::Compromised);
    // Replaying the older BLOB is refused: the revocation stands.
    let older = e.mds.blob(7, &[(&e.model, "FIDO_CERTIFIED_L1")]);
    assert!(matches!(
        w.tapin
            .import_metadata(&Actor::Operator, &older, Some(&e.mds.root_pem())),
        Err(Error::Conflict(_))
    ));
}

#[test]
fn a_blob_not_signed_under_the_trust_root_or_altered_is_refused_and_changes_nothing() {
    let e = estate();
    let w = &e.w;
    let before = w.tapin.metadata().unwrap();
    let other = MetadataService::new();
    let foreign = other.blob(9, &[(&e.model, "REVOKED")]);
    // Signed under another root; and the default trust root (FIDO's) too.
    for root in [Some(e.mds.root_pem()), None] {
        let err = w
            .tapin
            .import_metadata(&Actor::Operator, &foreign, root.as_deref())
            .unwrap_err();
        assert!(err.to_string().contains("trust root"), "{err}");
    }
    // A payload changed after signing.
    let good = e.mds.blob(9, &[(&e.model, "FIDO_CERTIFIED_L1")]);
    let mut parts: Vec<String> = good.split('.').map(String::from).collect();
    let revoked = e.mds.blob(9, &[(&e.model, "REVOKED")]);
    parts[1] = revoked.split('.').nth(1).unwrap().to_string();
    let err = w
        .tapin
        .import_metadata(&Actor::Operator, &parts.join("."), Some(&e.mds.root_pem()))
        .unwrap_err();
    assert!(err.to_string().contains("signature"), "{err}");
    assert!(w
        .tapin
        .import_metadata(&Actor::Operator, "not a blob", None)
        .is_err());
    assert_eq!(w.tapin.metadata().unwrap(), before);
}

#[test]
fn only_an_authentication_policy_administrator_edits_profiles_and_trust() {
    let e = estate();
    let w = &e.w;
    add(
        &w.tapin,
        "desk@contoso.com",
        Role::Admin,
        &[AdminRole::AuthenticationAdministrator],
        &[],
    );
    add(
        &w.tapin,
        "policy@contoso.com",
        Role::Admin,
        &[AdminRole::AuthenticationPolicyAdministrator],
        &[],
    );
    let desk = w.tapin.actor(Some("desk@contoso.com")).unwrap();
    let policy = w.tapin.actor(Some("policy@contoso.com")).unwrap();
    let profiles = w.tapin.passkey_profiles().unwrap();
    let blob = e.mds.blob(8, &[(&e.model, "FIDO_CERTIFIED_L1")]);
    let root = e.mds.root_pem();
    let ca = e.vendor.root_pem();
    for actor in [&desk, &Actor::User("ada@contoso.com".into())] {
        assert!(matches!(
            w.tapin.set_passkey_profiles(actor, profiles.clone()),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            w.tapin.import_metadata(actor, &blob, Some(&root)),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            w.tapin.add_attestation_ca(actor, &ca),
            Err(Error::Forbidden(_))
        ));
    }
    assert!(w.tapin.set_passkey_profiles(&policy, profiles).is_ok());
    assert!(w.tapin.add_attestation_ca(&policy, &ca).is_ok());
    assert!(matches!(
        w.tapin.add_attestation_ca(&policy, &ca),
        Err(Error::Conflict(_))
    ));
    // A profile that lets no key in, or a second default, is refused whole.
    let mut none = w.tapin.passkey_profiles().unwrap();
    none.profiles[0].synced = false;
    none.profiles[0].device_bound = false;
    assert!(matches!(
        w.tapin.set_passkey_profiles(&policy, none),
        Err(Error::Invalid(..))
    ));
    let two = PasskeyProfiles {
        profiles: vec![
            PasskeyProfile::default_profile(),
            PasskeyProfile::default_profile(),
        ],
    };
    assert!(matches!(
        w.tapin.set_passkey_profiles(&policy, two),
        Err(Error::Invalid(..))
    ));
    assert_eq!(audit_of(w, "passkey_profiles_changed").len(), 1);
}

#[test]
fn a_change_made_while_another_was_being_made_is_refused_not_lost() {
    let e = estate();
    let w = &e.w;
    let blocked = e.model.aaguid;
    let outcome = w
        .tapin
        .change_passkey_profiles(&Actor::Operator, |mut held| {
            // Someone else blocks the model while this change is being made.
            set_default(w, |p| {
                p.key_restrictions = restrict(RestrictionMode::Block, vec![blocked]);
            });
            held.profiles[0].attestation_enforced = true;
            Ok(held)
        });
    assert!(matches!(outcome, Err(Error::Conflict(_))), "{outcome:?}");
    let now = w.tapin.passkey_profiles().unwrap();
    assert!(now.profiles[0].key_restrictions.aaguids.contains(&blocked));
    assert!(!now.profiles[0].attestation_enforced);
    assert_eq!(audit_of(w, "passkey_profiles_changed").len(), 1);
}
