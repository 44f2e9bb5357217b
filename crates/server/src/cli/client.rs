//! `tapin client`: the applications that sign people in with tapin
//! (OpenID Connect relying parties); `tapin keys`: the ID-token signing keys.

use super::*;
use crate::domain::oidc::NewClient;

#[derive(Subcommand)]
pub(super) enum ClientCommand {
    /// Registers an application and prints its client id and, unless it is
    /// public, its secret (only this once).
    Add {
        /// The application's name, shown on the sign-in page.
        name: String,
        /// Where tapin may send the browser back with a code; matched exactly (repeatable).
        #[arg(long = "redirect-uri", required = true, num_args = 1..)]
        redirect_uris: Vec<String>,
        /// Where tapin may send the browser after signing out (repeatable).
        #[arg(long = "post-logout-uri", num_args = 1..)]
        post_logout_uris: Vec<String>,
        /// A single-page or native app: no secret, PKCE (S256) required.
        #[arg(long)]
        public: bool,
        /// Ask the person before the first sign-in to this application.
        #[arg(long)]
        consent: bool,
        /// Only a passkey or security key signs in to it (acr phishing-resistant).
        #[arg(long)]
        phishing_resistant: bool,
        /// May ask for offline_access: refresh tokens that outlive the tapin session.
        #[arg(long)]
        offline_access: bool,
        /// May use the device authorization grant (RFC 8628): kiosks, TVs, command-line tools.
        #[arg(long)]
        device: bool,
        /// Where tapin posts a logout token when a session it signed in with ends.
        #[arg(long = "backchannel-logout-uri")]
        backchannel_logout_uri: Option<String>,
        /// Sign its ID tokens with RS256 instead of ES256 (older clients).
        #[arg(long, value_parser = ["ES256", "RS256"])]
        id_token_alg: Option<String>,
        /// Print {"client_id":...,"client_secret":...}.
        #[arg(long)]
        json: bool,
    },
    /// Every application: id, name, kind, redirect addresses.
    List {
        #[arg(long)]
        json: bool,
    },
    /// Removes an application; its codes and access tokens stop at once.
    Remove { client_id: String },
    /// A new secret for a confidential application; the old one stops at once.
    RotateSecret {
        client_id: String,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
pub(super) enum SigningKeysCommand {
    /// New ID-token signing keys; the old ones stay published until the
    /// tokens they signed expire.
    Rotate,
}

fn print_secret(created: &crate::domain::oidc::clients::CreatedClient, json: bool) {
    if json {
        print_json(created);
        return;
    }
    println!("client id:     {}", created.client_id);
    match &created.client_secret {
        Some(secret) => {
            println!("client secret: {secret}");
            println!("The secret is shown only now: store it in the application's configuration.");
        }
        None => println!("A public client: it has no secret and must use PKCE (S256)."),
    }
}

pub(super) fn client(t: &Tapin, cmd: ClientCommand) -> Result<(), Error> {
    match cmd {
        ClientCommand::Add {
            name,
            redirect_uris,
            post_logout_uris,
            public,
            consent,
            phishing_resistant,
            offline_access,
            device,
            backchannel_logout_uri,
            id_token_alg,
            json,
        } => {
            let created = t.add_client(
                &Actor::Operator,
                NewClient {
                    name,
                    redirect_uris,
                    post_logout_uris,
                    public,
                    consent,
                    id_token_alg,
                    phishing_resistant,
                    offline_access,
                    device_grant: device,
                    backchannel_logout_uri,
                },
            )?;
            print_secret(&created, json);
        }
        ClientCommand::List { json } => {
            let clients = t.clients()?;
            if json {
                let list: Vec<_> = clients
                    .iter()
                    .map(|c| {
                        serde_json::json!({
                            "client_id": c.client_id,
                            "name": c.name,
                            "public": c.is_public(),
                            "consent": c.consent,
                            "phishing_resistant": c.phishing_resistant,
                            "offline_access": c.offline_access,
                            "device_grant": c.device_grant,
                            "backchannel_logout_uri": c.backchannel_logout_uri,
                            "id_token_alg": c.id_token_alg,
                            "redirect_uris": c.redirect_uris,
                            "post_logout_uris": c.post_logout_uris,
                            "created_at": c.created_at,
                        })
                    })
                    .collect();
                print_json(&list);
            } else if clients.is_empty() {
                println!(
                    "no applications; add one with `tapin client add NAME --redirect-uri URI`"
                );
            } else {
                for c in clients {
                    println!(
                        "{}  {}  {}  {}",
                        c.client_id,
                        c.name,
                        if c.is_public() {
                            "public"
                        } else {
                            "confidential"
                        },
                        c.redirect_uris.join(" ")
                    );
                }
            }
        }
        ClientCommand::Remove { client_id } => {
            t.remove_client(&Actor::Operator, &client_id)?;
            println!("removed {client_id}");
        }
        ClientCommand::RotateSecret { client_id, json } => {
            let created = t.rotate_client_secret(&Actor::Operator, &client_id)?;
            print_secret(&created, json);
        }
    }
    Ok(())
}

pub(super) fn signing_keys(t: &Tapin, cmd: SigningKeysCommand) -> Result<(), Error> {
    match cmd {
        SigningKeysCommand::Rotate => {
            let kids = t.rotate_signing_keys()?;
            println!(
                "new signing keys {}; the old ones stay in the JWKS for {} minutes, until the ID tokens they signed expire",
                kids.join(", "),
                crate::domain::oidc::ID_TOKEN_TTL_MINUTES + 1
            );
        }
    }
    Ok(())
}
