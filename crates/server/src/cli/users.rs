//! `tapin user`: joiners added, movers renamed, leavers disabled or
//! removed, from the server's shell (the same rules as SCIM and Graph).

use super::*;

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum RoleArg {
    Member,
    Admin,
}

#[derive(Clone, Copy, ValueEnum)]
pub(super) enum AdminRoleArg {
    PrivilegedAuthenticationAdministrator,
    AuthenticationAdministrator,
    GlobalReader,
    AuthenticationPolicyAdministrator,
}

#[derive(Subcommand)]
pub(super) enum UserCommand {
    Add {
        upn: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum, default_value = "member")]
        role: RoleArg,
        /// An administrator role (repeatable; needs --role admin).
        #[arg(long = "admin-role", value_enum)]
        admin_roles: Vec<AdminRoleArg>,
        /// A group the user belongs to (repeatable).
        #[arg(long = "group")]
        groups: Vec<String>,
        /// Where the user lives (IANA name, e.g. Europe/Berlin): the help desk shows a pass's start on their clock.
        #[arg(long)]
        time_zone: Option<String>,
    },
    List {
        #[arg(long)]
        json: bool,
    },
    /// Renames a user (every method stays theirs; the old name stops
    /// signing in), or changes their display name or time zone.
    Update {
        /// The user's account name or id.
        user: String,
        /// A new account name.
        #[arg(long)]
        upn: Option<String>,
        #[arg(long)]
        name: Option<String>,
        /// An IANA time zone, or `none`.
        #[arg(long)]
        time_zone: Option<String>,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// Disables a user (a leaver): every session, pass and token of theirs
    /// ends at once on every instance, and nothing of theirs signs in.
    Disable {
        user: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// Enables a disabled user: their methods sign in again.
    Enable {
        user: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// Adds or updates people from a CSV file with a header row (columns
    /// upn, name, time_zone, groups as "a;b"), upserted by account name.
    /// Every bad row is reported with its line; while any is, nothing is written.
    Import {
        file: std::path::PathBuf,
        /// Check the file and say what would change, changing nothing.
        #[arg(long)]
        dry_run: bool,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
    /// Removes a user with their methods, pass and sessions; the audit
    /// trail keeps what happened.
    Remove {
        user: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

pub(super) fn user(t: &Tapin, cmd: UserCommand) -> Result<(), Error> {
    match cmd {
        UserCommand::Add {
            upn,
            name,
            role,
            admin_roles,
            groups,
            time_zone,
        } => {
            let user = t.add_user(NewUser {
                upn,
                display_name: name,
                role: match role {
                    RoleArg::Member => Role::Member,
                    RoleArg::Admin => Role::Admin,
                },
                admin_roles: admin_roles.into_iter().map(admin_role).collect(),
                groups,
                time_zone,
            })?;
            println!("added {} ({})", user.upn, user.display_name);
        }
        UserCommand::List { json } => {
            let users = t.users()?;
            if json {
                print_json(&users);
            } else {
                for u in users {
                    let role = match u.role {
                        Role::Admin => "admin",
                        Role::Member => "member",
                    };
                    println!(
                        "{}\t{}\t{}\t{}{}",
                        u.upn,
                        u.display_name,
                        role,
                        u.groups.join(","),
                        if u.enabled { "" } else { "\tdisabled" }
                    );
                }
            }
        }
        UserCommand::Update {
            user,
            upn,
            name,
            time_zone,
            as_admin,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let update = crate::domain::UserUpdate {
                upn,
                display_name: name,
                time_zone: time_zone.map(|tz| Some(tz).filter(|tz| tz != "none")),
            };
            let u = t.update_user(&actor, &user, update)?;
            println!("updated {} ({})", u.upn, u.display_name);
        }
        UserCommand::Disable { user, as_admin } => {
            let u = t.set_user_enabled(&t.actor(as_admin.as_deref())?, &user, false)?;
            println!(
                "disabled {}: their sessions, pass and tokens have ended",
                u.upn
            );
        }
        UserCommand::Enable { user, as_admin } => {
            let u = t.set_user_enabled(&t.actor(as_admin.as_deref())?, &user, true)?;
            println!("enabled {}", u.upn);
        }
        UserCommand::Import {
            file,
            dry_run,
            as_admin,
        } => {
            let text = std::fs::read_to_string(&file).map_err(|e| {
                Error::Invalid(format!("cannot read {}: {e}", file.display()), Some("file"))
            })?;
            let report = t.import_users(&t.actor(as_admin.as_deref())?, &text, dry_run)?;
            let verb = if dry_run { "would add" } else { "added" };
            for upn in &report.added {
                println!("{verb} {upn}");
            }
            for upn in &report.updated {
                println!("{} {upn}", if dry_run { "would update" } else { "updated" });
            }
            println!(
                "{} added, {} updated, {} unchanged{}",
                report.added.len(),
                report.updated.len(),
                report.unchanged,
                if dry_run {
                    " (a dry run: nothing was written)"
                } else {
                    ""
                }
            );
        }
        UserCommand::Remove { user, as_admin } => {
            t.remove_user(&t.actor(as_admin.as_deref())?, &user)?;
            println!("removed {user}");
        }
    }
    Ok(())
}

pub(super) fn admin_role(r: AdminRoleArg) -> AdminRole {
    match r {
        AdminRoleArg::PrivilegedAuthenticationAdministrator => {
            AdminRole::PrivilegedAuthenticationAdministrator
        }
        AdminRoleArg::AuthenticationAdministrator => AdminRole::AuthenticationAdministrator,
        AdminRoleArg::GlobalReader => AdminRole::GlobalReader,
        AdminRoleArg::AuthenticationPolicyAdministrator => {
            AdminRole::AuthenticationPolicyAdministrator
        }
    }
}
