//! The directory's rules against a real store (SQLite, and PostgreSQL in
//! the store contract): only a provisioning token acts through SCIM; a
//! change made for a version is made once when two race; a group named by
//! the pass policy takes effect at the next request.

mod common;

use serde_json::{json, Value};
use tapin_server::domain::directory::patch::operations;
use tapin_server::domain::{Actor, BearerToken, Error, IssueOptions, PolicyChange, Target};

use common::world::World;

/// Ada (a member, named "ada") and the pass policy on.
fn world() -> World {
    common::world::world()
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

#[test]
fn the_policy_names_a_directory_group_by_its_id_so_a_rename_keeps_it() {
    let w = world();
    let a = provisioner(&w);
    let joan_id = joan(&w, &a)["id"].as_str().unwrap().to_string();
    let group = w
        .tapin
        .scim_create_group(
            &a,
            &json!({"displayName": "Joiners", "members": [{"value": joan_id}]}),
        )
        .unwrap();
    let gid = group["id"].as_str().unwrap().to_string();
    // Ada carries a label of the same name, typed at `user add`: not the group.
    common::world::add(
        &w.tapin,
        "lab@contoso.com",
        tapin_server::domain::Role::Member,
        &[],
        &["joiners"],
    );
    let policy = w
        .tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                include: Some(vec![Target::parse("group:joiners").unwrap()]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(
        policy.include,
        [Target::Group(gid.clone())],
        "named, kept by id"
    );
    assert_eq!(
        w.tapin.describe_target(&policy.include[0]).unwrap(),
        format!("group:Joiners ({gid})")
    );
    let issue = |upn: &str| {
        w.tapin
            .issue_pass(&Actor::Operator, upn, IssueOptions::default())
    };
    assert!(issue("joan@contoso.com").is_ok());
    assert!(
        matches!(issue("lab@contoso.com"), Err(Error::Forbidden(_))),
        "a label of the same name is not the group"
    );
    // Renamed in the directory: still the policy's group, shown by its new name.
    let ops = operations(
        &json!({"Operations": [{"op": "replace", "path": "displayName", "value": "New starters"}]}),
    )
    .unwrap();
    w.tapin.scim_patch_group(&a, &gid, &ops, None).unwrap();
    assert!(
        issue("joan@contoso.com").is_ok(),
        "the rename keeps her in scope"
    );
    assert_eq!(
        w.tapin
            .describe_target(&w.tapin.policy().unwrap().include[0])
            .unwrap(),
        format!("group:New starters ({gid})")
    );
    // Named by any spelling of its id, it is the same group.
    let upper = w
        .tapin
        .set_policy(
            &Actor::Operator,
            PolicyChange {
                exclude: Some(vec![Target::Group(gid.to_uppercase())]),
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(upper.exclude, [Target::Group(gid)]);
    assert!(matches!(
        issue("joan@contoso.com"),
        Err(Error::Forbidden(_))
    ));
}

#[test]
fn an_import_with_a_bad_row_says_which_and_writes_nothing() {
    let w = world();
    let before = w.tapin.users().unwrap().len();
    let bad = "upn,name,time_zone\n\
               grace@contoso.com,Grace Hopper,America/New_York\n\
               not an account,Nobody,\n\
               ada@contoso.com,Ada Lovelace,not a zone\n\
               hedy@contoso.com,,\n\
               grace@contoso.com,Grace again,\n\
               \"lamarr@contoso.com\",\"Lamarr, Hedy\",Europe/Vienna\n";
    let e = w
        .tapin
        .import_users(&Actor::Operator, bad, false)
        .unwrap_err();
    let Error::Invalid(message, _) = e else {
        panic!("expected 400, got {e:?}");
    };
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 4, "{message}");
    for (line, says) in [
        (3, "upn"),
        (4, "time_zone"),
        (5, "needs a name"),
        (6, "earlier line"),
    ] {
        assert!(
            lines
                .iter()
                .any(|l| l.starts_with(&format!("line {line}: ")) && l.contains(says)),
            "line {line} is reported for {says}: {message}"
        );
    }
    assert_eq!(w.tapin.users().unwrap().len(), before, "nothing written");
    assert!(w.tapin.user("grace@contoso.com").is_err());

    let unknown = w.tapin.import_users(
        &Actor::Operator,
        "upn,name,title\na@contoso.com,A,CEO\n",
        false,
    );
    assert!(
        matches!(unknown, Err(Error::Invalid(m, _)) if m.starts_with("line 1: unknown column 'title'"))
    );
}

#[test]
fn an_import_upserts_by_account_name_and_a_dry_run_changes_nothing() {
    let w = world();
    let file = "UPN,Name,Time_Zone,Groups\n\
                grace@contoso.com,Grace Hopper,America/New_York,staff;navy\n\
                ada@contoso.com,Ada King,,\n\
                \"lamarr@contoso.com\",\"Lamarr, Hedy\",Europe/Vienna,\n";
    let planned = w.tapin.import_users(&Actor::Operator, file, true).unwrap();
    assert_eq!(planned.added, ["grace@contoso.com", "lamarr@contoso.com"]);
    assert_eq!(planned.updated, ["ada@contoso.com"]);
    assert!(
        w.tapin.user("grace@contoso.com").is_err(),
        "a dry run writes nothing"
    );
    assert_eq!(w.tapin.user("ada@contoso.com").unwrap().display_name, "ada");

    let done = w.tapin.import_users(&Actor::Operator, file, false).unwrap();
    assert_eq!(done, planned);
    let grace = w.tapin.user("grace@contoso.com").unwrap();
    assert_eq!(grace.time_zone.as_deref(), Some("America/New_York"));
    assert_eq!(grace.groups, ["staff", "navy"]);
    assert_eq!(
        w.tapin.user("lamarr@contoso.com").unwrap().display_name,
        "Lamarr, Hedy"
    );
    assert_eq!(
        w.tapin.user("ada@contoso.com").unwrap().display_name,
        "Ada King"
    );
    let again = w.tapin.import_users(&Actor::Operator, file, false).unwrap();
    assert_eq!(
        (again.added.len(), again.updated.len(), again.unchanged),
        (0, 0, 3)
    );
}

#[test]
fn groups_without_scim_under_the_help_desks_roles() {
    use tapin_server::domain::{AdminRole, Role};
    let w = world();
    common::world::add(
        &w.tapin,
        "gil@contoso.com",
        Role::Admin,
        &[AdminRole::GlobalReader],
        &[],
    );
    let gil = w.tapin.actor(Some("gil@contoso.com")).unwrap();
    assert!(matches!(
        w.tapin.add_group(&gil, "Night shift", &[]),
        Err(Error::Forbidden(_))
    ));
    let g = w
        .tapin
        .add_group(&Actor::Operator, "Night shift", &["ada@contoso.com".into()])
        .unwrap();
    assert_eq!(g.members.len(), 1);
    assert!(w
        .tapin
        .user("ada@contoso.com")
        .unwrap()
        .groups
        .contains(&"Night shift".to_string()));
    assert!(matches!(
        w.tapin.add_group(&Actor::Operator, "Night shift", &[]),
        Err(Error::Conflict(_))
    ));
    assert!(matches!(
        w.tapin.change_members(
            &Actor::Operator,
            "Night shift",
            &["nobody@contoso.com".into()],
            &[]
        ),
        Err(Error::NotFound(_))
    ));
    let g = w
        .tapin
        .change_members(
            &Actor::Operator,
            "Night shift",
            &[],
            &["ada@contoso.com".into()],
        )
        .unwrap();
    assert!(g.members.is_empty());
    assert!(!w
        .tapin
        .user("ada@contoso.com")
        .unwrap()
        .groups
        .contains(&"Night shift".to_string()));
    w.tapin
        .remove_group(&Actor::Operator, "Night shift")
        .unwrap();
    assert!(
        w.tapin.directory_groups(&gil).unwrap().is_empty(),
        "a reader reads"
    );
}

#[test]
fn a_group_that_grants_a_role_makes_its_members_administrators_while_they_are_in_it() {
    use tapin_server::domain::AdminRole;
    let w = world();
    let a = provisioner(&w);
    let ada = w.tapin.user("ada@contoso.com").unwrap();
    assert!(matches!(
        w.tapin.actor(Some("ada@contoso.com")),
        Err(Error::Forbidden(_))
    ));
    let desk = w
        .tapin
        .scim_create_group(
            &a,
            &json!({"displayName": "Help desk", "members": [{"value": ada.object_id}]}),
        )
        .unwrap();
    assert!(
        w.tapin.actor(Some("ada@contoso.com")).is_err(),
        "membership alone grants nothing"
    );
    w.tapin
        .set_group_roles("Help desk", &[AdminRole::AuthenticationAdministrator])
        .unwrap();
    let Actor::Admin(admin) = w.tapin.actor(Some("ada@contoso.com")).unwrap() else {
        panic!("an administrator");
    };
    assert_eq!(admin.admin_roles, [AdminRole::AuthenticationAdministrator]);
    // Provisioning her out of the group ends it at the next request.
    let id = desk["id"].as_str().unwrap();
    let ops = operations(&json!({"Operations": [{"op": "remove", "path": "members"}]})).unwrap();
    w.tapin.scim_patch_group(&a, id, &ops, None).unwrap();
    assert!(matches!(
        w.tapin.actor(Some("ada@contoso.com")),
        Err(Error::Forbidden(_))
    ));
}

#[test]
fn a_disable_is_never_written_over_by_a_patch_that_read_before_it() {
    let w = world();
    let a = provisioner(&w);
    let id = joan(&w, &a)["id"].as_str().unwrap().to_string();
    let ops = operations(
        &json!({"Operations": [{"op": "replace", "path": "title", "value": "Engineer"}]}),
    )
    .unwrap();
    for round in 0..10 {
        w.tapin
            .set_user_enabled(&Actor::Operator, "joan@contoso.com", true)
            .unwrap();
        std::thread::scope(|s| {
            let patching = s.spawn(|| w.tapin.scim_patch_user(&a, &id, &ops, None));
            w.tapin
                .set_user_enabled(&Actor::Operator, "joan@contoso.com", false)
                .unwrap();
            patching.join().unwrap().unwrap();
        });
        assert!(
            !w.tapin.user("joan@contoso.com").unwrap().enabled,
            "round {round}: the disable stands"
        );
    }
    // A PUT that leaves active out leaves her disabled.
    let put = w
        .tapin
        .scim_replace_user(&a, &id, &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "joan@contoso.com", "title": "Engineer"}), None)
        .unwrap();
    assert_eq!(put["active"], false);
}

#[test]
fn a_member_named_by_any_spelling_of_their_id_is_a_member() {
    let w = world();
    let a = provisioner(&w);
    let id = joan(&w, &a)["id"].as_str().unwrap().to_uppercase();
    let ada = w.tapin.user("ada@contoso.com").unwrap().object_id;
    let g = w
        .tapin
        .scim_create_group(&a, &json!({"displayName": "Spellings", "members": [{"value": id}, {"value": format!("urn:uuid:{ada}")}]}))
        .unwrap();
    assert_eq!(g["members"].as_array().unwrap().len(), 2, "{g}");
}

#[test]
fn the_directory_cannot_change_an_administrator_of_tapins_own() {
    use tapin_server::domain::{AdminRole, Role};
    let w = world();
    let a = provisioner(&w);
    common::world::add(
        &w.tapin,
        "pat@contoso.com",
        Role::Admin,
        &[AdminRole::PrivilegedAuthenticationAdministrator],
        &[],
    );
    let pat = w.tapin.user("pat@contoso.com").unwrap().object_id;
    let off =
        operations(&json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]}))
            .unwrap();
    assert!(matches!(
        w.tapin.scim_patch_user(&a, &pat, &off, None),
        Err(Error::Forbidden(_))
    ));
    assert!(matches!(
        w.tapin.scim_delete_user(&a, &pat, None),
        Err(Error::Forbidden(_))
    ));
    assert!(w.tapin.user("pat@contoso.com").unwrap().enabled);
    // Someone who is an administrator through a group is the directory's.
    let ada = w.tapin.user("ada@contoso.com").unwrap().object_id;
    w.tapin
        .scim_create_group(
            &a,
            &json!({"displayName": "Help desk", "members": [{"value": ada}]}),
        )
        .unwrap();
    w.tapin
        .set_group_roles("Help desk", &[AdminRole::AuthenticationAdministrator])
        .unwrap();
    w.tapin.scim_patch_user(&a, &ada, &off, None).unwrap();
    assert!(!w.tapin.user("ada@contoso.com").unwrap().enabled);
}

#[test]
fn the_help_desk_finds_a_renamed_person_by_their_new_name_only() {
    let w = world();
    let a = provisioner(&w);
    let id = joan(&w, &a)["id"].as_str().unwrap().to_string();
    let find = |name: &str| {
        w.tapin
            .find_users(
                &Actor::Operator,
                tapin_server::domain::UserSearch {
                    name_prefix: Some(name.into()),
                    name_words: true,
                    top: 10,
                    ..Default::default()
                },
            )
            .unwrap()
            .into_iter()
            .map(|u| u.upn)
            .collect::<Vec<_>>()
    };
    assert_eq!(find("jo"), ["joan@contoso.com"]);
    let ops = operations(
        &json!({"Operations": [{"op": "replace", "value": {"displayName": "Joan Émilie Clarke", "userName": "jclarke@contoso.com"}}]}),
    )
    .unwrap();
    w.tapin.scim_patch_user(&a, &id, &ops, None).unwrap();
    assert_eq!(
        find("émi"),
        ["jclarke@contoso.com"],
        "a later word, in any case"
    );
    assert_eq!(find("CLAR"), ["jclarke@contoso.com"]);
    assert!(find("joan j").is_empty());
    let by_upn = w
        .tapin
        .find_users(
            &Actor::Operator,
            tapin_server::domain::UserSearch {
                upn_prefix: Some("jcl".into()),
                top: 10,
                ..Default::default()
            },
        )
        .unwrap();
    assert_eq!(by_upn.len(), 1);
    assert_eq!(
        w.tapin
            .find_users(
                &Actor::Operator,
                tapin_server::domain::UserSearch {
                    upn_prefix: Some("joan".into()),
                    top: 10,
                    ..Default::default()
                },
            )
            .unwrap()
            .len(),
        0,
        "the old name finds no one"
    );
}
