//! The directory's rules against a real store (SQLite, and PostgreSQL in
//! the store contract): only a provisioning token acts through SCIM; a
//! change made for a version is made once when two race; a group named by
//! the pass policy takes effect at the next request.

mod common;

use serde_json::{json, Value};
use tapin_server::domain::directory::patch::operations;
use tapin_server::domain::{Actor, BearerToken, Error, IssueOptions, PolicyChange, Target};

use common::world::World;

fn world() -> World {
    common::world::builder().build()
}

fn provisioner(w: &World) -> Actor {
    let token = w
        .tapin
        .create_provisioning_token("entra", None)
        .unwrap()
        .token;
    w.tapin.provisioner(&BearerToken::new(&token)).unwrap()
}

fn joan(w: &World, a: &Actor) -> Value {
    w.tapin
        .scim_create_user(
            a,
            &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "joan@contoso.com", "displayName": "Joan"}),
        )
        .unwrap()
}

#[test]
fn only_a_provisioning_token_acts_through_scim() {
    let w = world();
    let a = provisioner(&w);
    let doc = joan(&w, &a);
    let id = doc["id"].as_str().unwrap();
    for other in [Actor::Operator, Actor::User("joan@contoso.com".into())] {
        assert!(matches!(
            w.tapin.scim_user(&other, id),
            Err(Error::Forbidden(_))
        ));
        assert!(matches!(
            w.tapin.scim_delete_user(&other, id, None),
            Err(Error::Forbidden(_))
        ));
    }
    // A revoked token is no provisioner.
    let created = w.tapin.create_provisioning_token("old", None).unwrap();
    w.tapin.revoke_token(&created.stored.id).unwrap();
    assert!(matches!(
        w.tapin.provisioner(&BearerToken::new(&created.token)),
        Err(Error::NotSignedIn)
    ));
    // Nor is it a help-desk token, nor an API token a provisioner.
    assert!(w
        .tapin
        .help_desk(&tapin_server::domain::HelpDeskCredential::Bearer(
            BearerToken::new(&w.tapin.create_provisioning_token("x", None).unwrap().token)
        ))
        .is_err());
}

#[test]
fn two_changes_made_for_the_same_version_are_made_once() {
    let w = world();
    let a = provisioner(&w);
    let doc = joan(&w, &a);
    let id = doc["id"].as_str().unwrap().to_string();
    let version: i64 = doc["meta"]["version"]
        .as_str()
        .unwrap()
        .trim_start_matches("W/")
        .trim_matches('"')
        .parse()
        .unwrap();
    let outcomes: Vec<Result<Value, Error>> = std::thread::scope(|s| {
        let racers: Vec<_> = (0..6)
            .map(|i| {
                let (t, a, id) = (&w.tapin, &a, &id);
                s.spawn(move || {
                    let ops = operations(&json!({"Operations": [{"op": "replace", "path": "displayName", "value": format!("Joan {i}")}]})).unwrap();
                    t.scim_patch_user(a, id, &ops, Some(version))
                })
            })
            .collect();
        racers.into_iter().map(|r| r.join().unwrap()).collect()
    });
    assert_eq!(outcomes.len(), 6);
    let made = outcomes.iter().filter(|o| o.is_ok()).count();
    let stale = outcomes
        .iter()
        .filter(|o| matches!(o, Err(Error::Stale(_))))
        .count();
    assert_eq!((made, stale), (1, 5), "{outcomes:?}");
}

#[test]
fn a_group_the_policy_names_takes_effect_at_the_next_request() {
    let w = world();
    let a = provisioner(&w);
    let doc = joan(&w, &a);
    let id = doc["id"].as_str().unwrap().to_string();
    w.tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                include: Some(vec![Target::parse("group:Joiners").unwrap()]),
                ..Default::default()
            },
        )
        .unwrap();
    let issue = || {
        w.tapin.issue_pass(
            &Actor::Operator,
            "joan@contoso.com",
            IssueOptions::default(),
        )
    };
    assert!(
        matches!(issue(), Err(Error::Forbidden(_))),
        "not in scope yet"
    );
    let group = w
        .tapin
        .scim_create_group(
            &a,
            &json!({"displayName": "Joiners", "members": [{"value": id}]}),
        )
        .unwrap();
    assert!(issue().is_ok(), "a member of Joiners is in scope");
    let gid = group["id"].as_str().unwrap();
    let ops = operations(
        &json!({"Operations": [{"op": "Remove", "path": format!("members[value eq \"{id}\"]")}]}),
    )
    .unwrap();
    w.tapin.scim_patch_group(&a, gid, &ops, None).unwrap();
    assert!(
        matches!(issue(), Err(Error::Forbidden(_))),
        "out of the group, out of scope"
    );
    // A member that names no one is refused, and nothing is written.
    let bad = w.tapin.scim_create_group(
        &a,
        &json!({"displayName": "Ghosts", "members": [{"value": "00000000-0000-4000-8000-000000000000"}]}),
    );
    assert!(bad.is_err());
    assert_eq!(w.tapin.scim_groups(&a, None).unwrap().len(), 1);
}
