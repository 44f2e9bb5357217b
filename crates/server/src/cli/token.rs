//! `tapin token`: API tokens for the Graph-shaped API, created by the
//! operator for an administrator, shown once and stored hashed.

use super::*;
use crate::domain::helpdesk::token_state;

#[derive(Subcommand)]
pub(super) enum TokenCommand {
    /// Creates a token acting with ADMIN's roles (or, with --provisioning,
    /// one for the organisation's directory) and prints it (only this once).
    Create {
        /// The administrator the token acts for.
        #[arg(
            long = "as",
            required_unless_present = "provisioning",
            conflicts_with = "provisioning"
        )]
        as_admin: Option<String>,
        /// A provisioning token: it opens /scim/v2 (people and groups) and nothing else.
        #[arg(long, conflicts_with = "read_only")]
        provisioning: bool,
        /// What the token is for (shown in `token list`).
        #[arg(long, default_value = "api")]
        name: String,
        /// Days until it stops working (1 to 730; 90 by default).
        #[arg(long)]
        expires: Option<u32>,
        /// Only reads, as a global reader, whatever ADMIN's roles.
        #[arg(long)]
        read_only: bool,
        /// Print {"id":...,"token":...}.
        #[arg(long)]
        json: bool,
    },
    /// Every token: id, administrator, name, read-only, state, expiry.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Stops a token at once.
    Revoke { id: String },
}

pub(super) fn token(t: &Tapin, cmd: TokenCommand) -> Result<(), Error> {
    match cmd {
        TokenCommand::Create {
            as_admin: None,
            name,
            expires,
            json,
            ..
        } => {
            let created = t.create_provisioning_token(&name, expires)?;
            if json {
                print_json(&serde_json::json!({
                    "id": created.stored.id,
                    "token": created.token,
                    "expiresAt": created.stored.expires_at,
                }));
            } else {
                println!("token id: {}", created.stored.id);
                println!("token:    {}", created.token);
                println!(
                    "It opens /scim/v2 for the organisation's directory until {}, and nothing else. It is shown only now: store it in your secret manager.",
                    created.stored.expires_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            Ok(())
        }
        TokenCommand::Create {
            as_admin: Some(as_admin),
            name,
            expires,
            read_only,
            json,
            ..
        } => {
            let created = t.create_token(&as_admin, &name, expires, read_only)?;
            if json {
                print_json(&serde_json::json!({
                    "id": created.stored.id,
                    "token": created.token,
                    "expiresAt": created.stored.expires_at,
                }));
            } else {
                println!("token id: {}", created.stored.id);
                println!("token:    {}", created.token);
                println!(
                    "It acts as {as_admin}{} until {}. It is shown only now: store it in your secret manager.",
                    if read_only { " (read-only)" } else { "" },
                    created.stored.expires_at.format("%Y-%m-%d %H:%M UTC")
                );
            }
            Ok(())
        }
        TokenCommand::List { json } => {
            let now = t.now();
            let tokens = t.tokens()?;
            if json {
                let list: Vec<_> = tokens
                    .iter()
                    .map(|(tok, user)| {
                        serde_json::json!({
                            "id": tok.id,
                            "admin": user.upn,
                            "name": tok.name,
                            "readOnly": tok.read_only,
                            "state": token_state(tok, now),
                            "createdAt": tok.created_at,
                            "expiresAt": tok.expires_at,
                            "revokedAt": tok.revoked_at,
                        })
                    })
                    .collect();
                print_json(&list);
            } else if tokens.is_empty() {
                println!("no tokens");
            } else {
                for (tok, user) in &tokens {
                    println!(
                        "{}  {}  {}{}  {}  expires {}",
                        tok.id,
                        user.upn,
                        tok.name,
                        if tok.read_only { " (read-only)" } else { "" },
                        token_state(tok, now),
                        tok.expires_at.format("%Y-%m-%d %H:%M UTC")
                    );
                }
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            t.revoke_token(&id)?;
            println!("token {id} revoked");
            Ok(())
        }
    }
}
