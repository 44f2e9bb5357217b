//! `tapin group`: the directory's groups from the server's shell, for an
//! organisation without SCIM (the pass policy's `group:NAME` names them).

use super::*;

#[derive(Subcommand)]
pub(super) enum GroupCommand {
    /// Creates a group, with members by account name.
    Add {
        name: String,
        #[arg(long = "member")]
        members: Vec<String>,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// Every group with its members.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Removes a group (its members stay, out of it).
    Remove {
        name: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// Grants the group's members administrator roles while they are in
    /// it (repeatable; none: no roles). Whoever manages its members (SCIM,
    /// `group members`) then makes administrators.
    Roles {
        name: String,
        #[arg(long = "admin-role", value_enum)]
        admin_roles: Vec<AdminRoleArg>,
    },
    /// Adds and removes members.
    Members {
        name: String,
        #[arg(long)]
        add: Vec<String>,
        #[arg(long)]
        remove: Vec<String>,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

pub(super) fn group(t: &Tapin, cmd: GroupCommand) -> Result<(), Error> {
    match cmd {
        GroupCommand::Add {
            name,
            members,
            as_admin,
        } => {
            let g = t.add_group(&t.actor(as_admin.as_deref())?, &name, &members)?;
            println!(
                "added group {} ({} members)",
                g.display_name,
                g.members.len()
            );
        }
        GroupCommand::List { json } => {
            let groups = t.directory_groups(&Actor::Operator)?;
            for g in groups {
                let members: Vec<&str> = g.members.iter().map(|(_, upn)| upn.as_str()).collect();
                if json {
                    print_json(&serde_json::json!({
                        "id": g.object_id,
                        "name": g.display_name,
                        "externalId": g.external_id,
                        "members": members,
                        "adminRoles": g.admin_roles,
                    }));
                } else {
                    println!("{}\t{}", g.display_name, members.join(","));
                }
            }
        }
        GroupCommand::Remove { name, as_admin } => {
            t.remove_group(&t.actor(as_admin.as_deref())?, &name)?;
            println!("removed group {name}");
        }
        GroupCommand::Roles { name, admin_roles } => {
            let roles: Vec<AdminRole> = admin_roles.into_iter().map(admin_role).collect();
            let g = t.set_group_roles(&name, &roles)?;
            println!(
                "{}: its members hold {} administrator roles",
                g.display_name,
                g.admin_roles.len()
            );
        }
        GroupCommand::Members {
            name,
            add,
            remove,
            as_admin,
        } => {
            let g = t.change_members(&t.actor(as_admin.as_deref())?, &name, &add, &remove)?;
            println!("{}: {} members", g.display_name, g.members.len());
        }
    }
    Ok(())
}
