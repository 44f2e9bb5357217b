//! Relying parties: registered by the operator (or an administrator), each
//! with its exact redirect and post-logout addresses; a confidential
//! client's secret is shown once and stored as SHA-256.

use super::super::methods::{hash_token, random_hex};
use super::super::{Actor, Error, Result, Tapin};
use super::{OidcClient, SIGNING_ALGORITHMS};
use crate::domain::helpdesk::Capabilities;

/// A client to register.
#[derive(Debug, Clone, Default)]
pub struct NewClient {
    pub name: String,
    pub redirect_uris: Vec<String>,
    pub post_logout_uris: Vec<String>,
    /// A public client (a single-page or native app) has no secret and must use PKCE.
    pub public: bool,
    pub consent: bool,
    pub id_token_alg: Option<String>,
    /// Only a passkey or security key signs in to it.
    pub phishing_resistant: bool,
    /// May ask for `offline_access` (refresh tokens that outlive the session).
    pub offline_access: bool,
    /// May use the device authorization grant.
    pub device_grant: bool,
    /// Where logout tokens are posted when a session it signed in with ends.
    pub backchannel_logout_uri: Option<String>,
}

/// A registered client: the secret is here once and nowhere else.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CreatedClient {
    pub client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_secret: Option<String>,
}

/// The shared rule (`tapin_api::normalize_redirect_uri`, which the help
/// desk's page runs as it is typed), then a full URL parse.
fn check_uri(uri: &str, field: &'static str) -> Result<String> {
    let uri = tapin_api::normalize_redirect_uri(field, uri)?;
    url::Url::parse(&uri).map_err(|_| {
        Error::Invalid(
            format!("{field} '{uri}' is not an absolute URL"),
            Some(field),
        )
    })?;
    Ok(uri)
}

fn client_secret() -> String {
    format!("tapin_cs_{}", random_hex(32))
}

fn may_manage(actor: &Actor) -> Result<()> {
    if Capabilities::of(actor).manage_clients {
        Ok(())
    } else {
        Err(Error::Forbidden(format!(
            "{} may not change the applications that sign in with tapin (privileged authentication administrators may)",
            actor.name()
        )))
    }
}

impl Tapin {
    /// The applications, for whoever may read the help desk's pages.
    pub fn clients_for(&self, actor: &Actor) -> Result<Vec<OidcClient>> {
        if !Capabilities::of(actor).read_users {
            return Err(Error::Forbidden(format!(
                "{} may not read the applications",
                actor.name()
            )));
        }
        self.clients()
    }

    pub fn add_client(&self, actor: &Actor, new: NewClient) -> Result<CreatedClient> {
        may_manage(actor)?;
        let name = new.name.trim().to_string();
        tapin_api::validate::check_free_text("name", &name)?;
        if name.is_empty() || name.chars().count() > 64 {
            return Err(Error::Invalid(
                "a client's name must be 1 to 64 characters".into(),
                Some("name"),
            ));
        }
        if new.redirect_uris.len() > 10 || new.post_logout_uris.len() > 10 {
            return Err(Error::Invalid(
                "at most 10 redirect and 10 post-logout addresses".into(),
                Some("redirect_uri"),
            ));
        }
        if new.redirect_uris.is_empty() {
            return Err(Error::Invalid(
                "give at least one --redirect-uri".into(),
                Some("redirect_uri"),
            ));
        }
        let redirect_uris = new
            .redirect_uris
            .iter()
            .map(|u| check_uri(u, "redirect_uri"))
            .collect::<Result<Vec<_>>>()?;
        let post_logout_uris = new
            .post_logout_uris
            .iter()
            .map(|u| check_uri(u, "post_logout_uri"))
            .collect::<Result<Vec<_>>>()?;
        let backchannel_logout_uri = new
            .backchannel_logout_uri
            .as_deref()
            .filter(|u| !u.trim().is_empty())
            .map(|u| check_uri(u, "backchannel_logout_uri"))
            .transpose()?;
        let alg = new.id_token_alg.unwrap_or_else(|| "ES256".into());
        if !SIGNING_ALGORITHMS.contains(&alg.as_str()) {
            return Err(Error::Invalid(
                "the ID token algorithm must be ES256 or RS256".into(),
                Some("id_token_alg"),
            ));
        }
        let secret = (!new.public).then(client_secret);
        let client = OidcClient {
            client_id: random_hex(16),
            name,
            secret_hash: secret.as_deref().map(hash_token),
            redirect_uris,
            post_logout_uris,
            consent: new.consent,
            id_token_alg: alg,
            phishing_resistant: new.phishing_resistant,
            created_at: self.now(),
            offline_access: new.offline_access,
            device_grant: new.device_grant,
            backchannel_logout_uri,
        };
        let audit = self.event(
            actor,
            "",
            "oidc_client_added",
            &format!(
                "client {} \"{}\"{}",
                client.client_id,
                client.name,
                if new.public { ", public" } else { "" }
            ),
            "",
        );
        self.store.insert_client(&client, &audit)?;
        Ok(CreatedClient {
            client_id: client.client_id,
            client_secret: secret,
        })
    }

    /// Whether a page at `origin` may call the token, userinfo and JWKS
    /// endpoints: it is the origin of a public client's redirect URI.
    pub fn cors_allows(&self, origin: &str) -> Result<bool> {
        Ok(self.store.clients()?.iter().any(|c| {
            c.is_public()
                && c.redirect_uris.iter().any(|u| {
                    url::Url::parse(u).is_ok_and(|u| u.origin().ascii_serialization() == origin)
                })
        }))
    }

    pub fn clients(&self) -> Result<Vec<OidcClient>> {
        Ok(self.store.clients()?)
    }

    pub fn remove_client(&self, actor: &Actor, client_id: &str) -> Result<()> {
        may_manage(actor)?;
        let audit = self.event(
            actor,
            "",
            "oidc_client_removed",
            &format!("client {client_id}"),
            "",
        );
        if !self.store.remove_client(client_id, &audit)? {
            return Err(Error::NotFound(format!("no client {client_id}")));
        }
        Ok(())
    }

    /// A new secret for a confidential client; the old one stops at once.
    pub fn rotate_client_secret(&self, actor: &Actor, client_id: &str) -> Result<CreatedClient> {
        may_manage(actor)?;
        let client = self
            .store
            .client(client_id)?
            .ok_or_else(|| Error::NotFound(format!("no client {client_id}")))?;
        if client.is_public() {
            return Err(Error::Conflict(format!(
                "{} is a public client: it has no secret",
                client.name
            )));
        }
        let secret = client_secret();
        let audit = self.event(
            actor,
            "",
            "oidc_client_secret_rotated",
            &format!("client {client_id}"),
            "",
        );
        if !self
            .store
            .set_client_secret(client_id, &hash_token(&secret), &audit)?
        {
            return Err(Error::NotFound(format!("no client {client_id}")));
        }
        Ok(CreatedClient {
            client_id: client.client_id,
            client_secret: Some(secret),
        })
    }
}
