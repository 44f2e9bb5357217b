//! What a help desk does from the server's shell: the policy,
//! passes, lockouts and sessions, under the same rules as every other door.

use super::*;

#[derive(Subcommand)]
pub(super) enum PolicyCommand {
    Show {
        #[arg(long)]
        json: bool,
    },
    Set {
        #[arg(long)]
        enabled: Option<bool>,
        /// Who the policy applies to: all, user:UPN or group:NAME (repeatable; replaces the list).
        #[arg(long)]
        include: Vec<String>,
        /// Who is excluded: user:UPN or group:NAME (repeatable; replaces the list), or none.
        #[arg(long)]
        exclude: Vec<String>,
        #[arg(long)]
        min_lifetime: Option<u32>,
        #[arg(long)]
        max_lifetime: Option<u32>,
        #[arg(long)]
        default_lifetime: Option<u32>,
        #[arg(long)]
        one_time: Option<bool>,
        #[arg(long)]
        length: Option<u32>,
        /// Send users in scope into a registration wizard after pass sign-in.
        #[arg(long)]
        require_registration: Option<bool>,
        /// Give each joiner provisioned with a start date and a manager a
        /// one-time pass from 08:00 on their first day, emailed to the manager.
        #[arg(long)]
        joiner_pass: Option<bool>,
        /// Act as this administrator, under its roles.
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum TapCommand {
    Issue {
        upn: String,
        /// Minutes the pass is valid for (the policy's default when omitted).
        #[arg(long)]
        lifetime: Option<u32>,
        #[arg(long)]
        one_time: bool,
        /// When the pass becomes valid, RFC 3339 with the issuer's offset.
        #[arg(long)]
        start: Option<String>,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Show {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    Revoke {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum LockoutCommand {
    /// Failed attempts against the account within the window, per client.
    Show {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Forgets the account's failed attempts, unlocking it everywhere.
    Clear {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

#[derive(Subcommand)]
pub(super) enum SessionCommand {
    /// The user's live sessions.
    List {
        upn: String,
        #[arg(long = "as")]
        as_admin: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Ends one session (by the id `session list` shows) or, with --all, every one.
    Revoke {
        upn: String,
        #[arg(required_unless_present = "all", conflicts_with = "all")]
        id: Option<String>,
        #[arg(long)]
        all: bool,
        #[arg(long = "as")]
        as_admin: Option<String>,
    },
}

pub(super) fn targets(values: &[String]) -> Result<Option<Vec<Target>>, Error> {
    match values {
        [] => Ok(None),
        [only] if only == "none" => Ok(Some(vec![])),
        _ => values
            .iter()
            .map(|v| Target::parse(v))
            .collect::<Result<_, _>>()
            .map(Some),
    }
}

pub(super) fn policy(t: &Tapin, cmd: PolicyCommand) -> Result<(), Error> {
    let show = |json: bool, p: &crate::domain::Policy| {
        if json {
            print_json(p);
        } else {
            let list = |v: &[Target]| {
                if v.is_empty() {
                    "none".to_string()
                } else {
                    v.iter()
                        .map(|target| {
                            t.describe_target(target)
                                .unwrap_or_else(|_| target.to_string())
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            };
            println!("enabled:          {}", p.enabled);
            println!("include:          {}", list(&p.include));
            println!("exclude:          {}", list(&p.exclude));
            println!("minimum lifetime: {} min", p.min_lifetime_minutes);
            println!("maximum lifetime: {} min", p.max_lifetime_minutes);
            println!("default lifetime: {} min", p.default_lifetime_minutes);
            println!("one-time use:     {}", p.one_time);
            println!("length:           {}", p.length);
            println!("require registration: {}", p.require_registration);
            println!("joiner pass:      {}", p.joiner_pass);
        }
    };
    match cmd {
        PolicyCommand::Show { json } => show(json, &t.policy()?),
        PolicyCommand::Set {
            enabled,
            include,
            exclude,
            min_lifetime,
            max_lifetime,
            default_lifetime,
            one_time,
            length,
            require_registration,
            joiner_pass,
            as_admin,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let change = PolicyChange {
                enabled,
                include: targets(&include)?,
                exclude: targets(&exclude)?,
                min_lifetime_minutes: min_lifetime,
                max_lifetime_minutes: max_lifetime,
                default_lifetime_minutes: default_lifetime,
                one_time,
                length,
                require_registration,
                joiner_pass,
            };
            show(false, &t.set_policy(&actor, change)?);
        }
    }
    Ok(())
}

pub(super) fn tap(t: &Tapin, cmd: TapCommand) -> Result<(), Error> {
    match cmd {
        TapCommand::Issue {
            upn,
            lifetime,
            one_time,
            start,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let start = start
                .map(|s| {
                    DateTime::parse_from_rfc3339(&s).map_err(|e| {
                        Error::Invalid(
                            format!(
                                "--start must be RFC 3339, like 2026-11-23T09:00:00+01:00 ({e})"
                            ),
                            Some("start"),
                        )
                    })
                })
                .transpose()?;
            let issued = t.issue_pass(
                &actor,
                &upn,
                IssueOptions {
                    lifetime_minutes: lifetime,
                    one_time,
                    start,
                },
            )?;
            if json {
                print_json(&issued);
            } else {
                println!(
                    "Temporary Access Pass for {upn}: {}",
                    issued.temporary_access_pass
                );
                println!("(shown once; it cannot be displayed again)");
                print_json(&issued.pass);
            }
        }
        TapCommand::Show {
            upn,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let view = t.show_pass(&actor, &upn)?;
            if json {
                print_json(&view);
            } else {
                println!("Temporary Access Pass for {upn} (the code is never shown again):");
                print_json(&view);
            }
        }
        TapCommand::Revoke { upn, as_admin } => {
            let actor = t.actor(as_admin.as_deref())?;
            t.revoke_pass(&actor, &upn)?;
            println!("revoked the Temporary Access Pass of {upn}");
        }
    }
    Ok(())
}

pub(super) fn lockout(t: &Tapin, cmd: LockoutCommand) -> Result<(), Error> {
    match cmd {
        LockoutCommand::Show {
            upn,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let counts = t.lockout_state(&actor, &upn)?;
            let limits = t.settings().lockout;
            if json {
                print_json(&serde_json::json!({
                    "upn": upn,
                    "failures": counts.account,
                    "account_limit": limits.per_pair.max(limits.per_account),
                    "clients": counts.clients.iter().map(|(c, n)| serde_json::json!({"client": c, "failures": n})).collect::<Vec<_>>(),
                }));
            } else {
                println!(
                    "{upn}: {} failed attempts in the last {} minutes",
                    counts.account,
                    t.settings().lockout_window.num_minutes()
                );
                for (client, n) in counts.clients {
                    println!("  {client:<40} {n}");
                }
            }
        }
        LockoutCommand::Clear { upn, as_admin } => {
            let actor = t.actor(as_admin.as_deref())?;
            let n = t.clear_lockout(&actor, &upn)?;
            println!("cleared {n} failed attempts of {upn}; it can sign in again from anywhere");
        }
    }
    Ok(())
}

pub(super) fn session(t: &Tapin, cmd: SessionCommand) -> Result<(), Error> {
    match cmd {
        SessionCommand::List {
            upn,
            as_admin,
            json,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let sessions = t.sessions_of(&actor, &upn)?;
            if json {
                let rows: Vec<_> = sessions
                    .iter()
                    .map(|s| {
                        serde_json::json!({
                            "id": s.id, "created_at": s.created_at, "expires_at": s.expires_at,
                            "last_seen_at": s.last_seen_at, "opened_by": if s.pass_id.is_some() { "pass" } else { "passkey" },
                        })
                    })
                    .collect();
                print_json(&rows);
            } else {
                if sessions.is_empty() {
                    println!("{upn} has no live session");
                }
                for s in sessions {
                    println!(
                        "{}  opened {} by {}, last seen {}, ends {}",
                        s.id,
                        s.created_at.format("%Y-%m-%d %H:%M UTC"),
                        if s.pass_id.is_some() {
                            "pass"
                        } else {
                            "passkey"
                        },
                        s.last_seen_at.format("%H:%M UTC"),
                        s.expires_at.format("%Y-%m-%d %H:%M UTC"),
                    );
                }
            }
        }
        SessionCommand::Revoke {
            upn,
            id,
            all,
            as_admin,
        } => {
            let actor = t.actor(as_admin.as_deref())?;
            let which = if all { None } else { id.as_deref() };
            t.revoke_sessions(&actor, &upn, which)?;
            match which {
                Some(id) => println!("ended session {id} of {upn}"),
                None => println!("ended every session of {upn}"),
            }
        }
    }
    Ok(())
}
