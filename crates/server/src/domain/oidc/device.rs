//! The device authorization grant (RFC 8628), for a device without a
//! browser (a kiosk, a shared device, a command-line tool, a TV-style
//! screen): the device shows a short user code; the person opens `/device`
//! on a phone or computer, types it (or follows `verification_uri_complete`,
//! often a QR code), signs in there with any method the application
//! accepts, and approves the named device; the device, polling the token
//! endpoint, then gets tokens once.
//!
//! A client must be registered for it (`--device`): device codes can be
//! phished, so an application that does not need them does not offer them.
//! User codes are 8 letters from 20 consonants (about 2^34.6): guessing is
//! limited per client address like every anonymous start, and a code lasts
//! ten minutes.

use super::*;

pub const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";
/// How long a device code waits for its person.
const DEVICE_TTL_MINUTES: i64 = 10;
/// The least wait between two polls; a poll sooner adds 5 s (RFC 8628 §3.5).
const DEVICE_INTERVAL_SECONDS: i64 = 5;
/// RFC 8628 §6.1: no vowels (no words), no look-alikes.
const USER_CODE_ALPHABET: &[u8] = b"BCDFGHJKLMNPQRSTVWXZ";
const USER_CODE_LENGTH: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeviceStatus {
    Pending,
    Approved,
    Denied,
}

impl DeviceStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "approved" => Self::Approved,
            "denied" => Self::Denied,
            _ => Self::Pending,
        }
    }
}

/// A device code as stored: the hash of the device's secret, and the user
/// code the person types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceGrant {
    pub device_hash: String,
    pub user_code: String,
    pub client_id: String,
    pub scope: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub interval_seconds: i64,
    pub status: DeviceStatus,
    /// Who approved it, from which session, signed in how and when.
    pub user_id: Option<i64>,
    pub session_id: Option<String>,
    pub auth_time: Option<DateTime<Utc>>,
    pub method: Option<SignInMethod>,
}

/// RFC 8628 §3.2's answer.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceAuthorization {
    pub device_code: String,
    pub user_code: String,
    pub verification_uri: String,
    pub verification_uri_complete: String,
    pub expires_in: i64,
    pub interval: i64,
}

fn user_code() -> String {
    use rand::Rng;
    let mut rng = rand::rngs::OsRng;
    (0..USER_CODE_LENGTH)
        .map(|_| USER_CODE_ALPHABET[rng.gen_range(0..USER_CODE_ALPHABET.len())] as char)
        .collect()
}

/// `BCDF-GHJK` for people; stored without the dash.
fn shown(code: &str) -> String {
    format!("{}-{}", &code[..4], &code[4..])
}

/// What the person typed, as stored: letters only, upper case.
pub fn normalize_user_code(typed: &str) -> Option<String> {
    let code: String = typed
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == USER_CODE_LENGTH && code.bytes().all(|b| USER_CODE_ALPHABET.contains(&b)))
        .then_some(code)
}

impl Tapin {
    /// The device authorization endpoint: a new device code for `auth`'s
    /// client. `client_address` is limited like any anonymous start.
    pub fn device_authorization(
        &self,
        auth: &ClientAuth,
        scope: Option<&str>,
        client_address: &str,
    ) -> Result<DeviceAuthorization> {
        let client = self.authenticate_client(auth)?;
        if !client.device_grant {
            return Err(oauth(
                "unauthorized_client",
                "this application is not registered for the device authorization grant",
            ));
        }
        let scopes: Vec<&str> = scope.unwrap_or("openid").split(' ').collect();
        if !scopes.contains(&"openid") {
            return Err(oauth("invalid_scope", "the scope must include openid"));
        }
        let scope = scopes
            .into_iter()
            .filter(|s| {
                matches!(*s, "openid" | "profile" | "email")
                    || (*s == "offline_access" && client.offline_access)
            })
            .collect::<Vec<_>>()
            .join(" ");
        self.reserve_start(client_address)?;
        let now = self.now();
        let device_code = format!("tapin_dc_{}", random_hex(32));
        let code = user_code();
        let grant = DeviceGrant {
            device_hash: hash_token(&device_code),
            user_code: code.clone(),
            client_id: client.client_id.clone(),
            scope,
            created_at: now,
            expires_at: now + Duration::minutes(DEVICE_TTL_MINUTES),
            interval_seconds: DEVICE_INTERVAL_SECONDS,
            status: DeviceStatus::Pending,
            user_id: None,
            session_id: None,
            auth_time: None,
            method: None,
        };
        let audit = super::super::AuditEvent {
            at: now,
            upn: String::new(),
            event: "oidc_device_code_issued".into(),
            detail: format!("device code {} for \"{}\"", shown(&code), client.name),
            actor: format!("client {}", client.client_id),
            client: client_address.to_string(),
        };
        self.store.insert_device(&grant, &audit)?;
        let page = format!("{}/device", self.issuer());
        Ok(DeviceAuthorization {
            device_code,
            verification_uri_complete: with_params(&page, &[("user_code", &shown(&code))]),
            user_code: shown(&code),
            verification_uri: page,
            expires_in: DEVICE_TTL_MINUTES * 60,
            interval: DEVICE_INTERVAL_SECONDS,
        })
    }

    /// The `/device` page's step: the code the person typed becomes a
    /// sign-in request (as `/authorize` makes one) that asks them to
    /// approve the device. Each try counts against the client address.
    pub fn start_device_approval(
        &self,
        typed: &str,
        browser: &str,
        client_address: &str,
    ) -> Result<Authorize> {
        self.reserve_start(client_address)?;
        let unknown = || {
            Error::NotFound(
                "That code is not one tapin is waiting for, or it expired. Check the code on the device, or start again there.".into(),
            )
        };
        let code = normalize_user_code(typed).ok_or_else(unknown)?;
        let now = self.now();
        let grant = self
            .store
            .device_by_user_code(&code)?
            .filter(|g| g.status == DeviceStatus::Pending && g.expires_at > now)
            .ok_or_else(unknown)?;
        let client = self.store.client(&grant.client_id)?.ok_or_else(unknown)?;
        let checked = Checked {
            client_id: client.client_id.clone(),
            redirect_uri: String::new(),
            scope: grant.scope.clone(),
            state: None,
            nonce: None,
            code_challenge: None,
            fresh_after: None,
            phishing_resistant: client.phishing_resistant,
            // The person always says yes or no to a device.
            consent: true,
            browser: hash_token(browser),
            device: Some(grant.device_hash.clone()),
        };
        let state = serde_json::to_string(&checked).map_err(|e| Error::Storage(e.to_string()))?;
        let id = self.request_ceremony(state, grant.expires_at)?;
        Ok(Authorize::SignIn { id })
    }

    /// The person's answer for the device: approved with this session, or
    /// denied. Either way the browser goes to `/device` to be told.
    pub(super) fn decide_for_device(
        &self,
        checked: &Checked,
        device_hash: &str,
        user: &User,
        record: &SessionRecord,
        approved: bool,
    ) -> Result<Authorize> {
        let now = self.now();
        let client_name = self
            .store
            .client(&checked.client_id)?
            .map(|c| c.name)
            .unwrap_or_default();
        let decided = DeviceGrant {
            device_hash: device_hash.to_string(),
            user_code: String::new(),
            client_id: checked.client_id.clone(),
            scope: checked.scope.clone(),
            created_at: now,
            expires_at: now,
            interval_seconds: 0,
            status: if approved {
                DeviceStatus::Approved
            } else {
                DeviceStatus::Denied
            },
            user_id: Some(user.id),
            session_id: Some(record.id.clone()),
            auth_time: Some(record.created_at),
            method: Some(record.method),
        };
        let audit = self.event(
            &super::super::Actor::User(user.upn.clone()),
            &user.upn,
            if approved {
                "oidc_device_approved"
            } else {
                "oidc_device_denied"
            },
            &format!("\"{client_name}\" (client {})", checked.client_id),
            "",
        );
        if !self.store.decide_device(&decided, now, &audit)? {
            return Err(Error::NotFound(
                "This device's code expired or was already answered. Start again on the device."
                    .into(),
            ));
        }
        Ok(Authorize::Redirect(format!(
            "/device?{}",
            if approved { "approved" } else { "denied" }
        )))
    }

    /// `grant_type=urn:ietf:params:oauth:grant-type:device_code`: the
    /// device's poll, answered as RFC 8628 §3.5 says.
    pub(super) fn device_token(&self, client: &OidcClient, req: &TokenRequest) -> Result<Tokens> {
        let code = req
            .device_code
            .as_deref()
            .filter(|c| !c.is_empty())
            .ok_or_else(|| oauth("invalid_request", "device_code is missing"))?;
        let now = self.now();
        let polled = self
            .store
            .poll_device(&hash_token(code), &client.client_id, now)?
            .ok_or_else(|| oauth("invalid_grant", "the device code is not one tapin issued"))?;
        let g = &polled.grant;
        if g.expires_at <= now {
            return Err(oauth(
                "expired_token",
                "the device code expired; start again",
            ));
        }
        if polled.too_soon {
            return Err(oauth(
                "slow_down",
                format!("poll every {} seconds at most", g.interval_seconds),
            ));
        }
        match g.status {
            DeviceStatus::Pending => Err(oauth(
                "authorization_pending",
                "the person has not answered yet",
            )),
            DeviceStatus::Denied => Err(oauth("access_denied", "the person said no")),
            DeviceStatus::Approved if !polled.taken => {
                Err(oauth("invalid_grant", "the device code was already used"))
            }
            DeviceStatus::Approved => {
                let (Some(user_id), Some(session_id), Some(auth_time), Some(method)) =
                    (g.user_id, g.session_id.clone(), g.auth_time, g.method)
                else {
                    return Err(oauth("invalid_grant", "the approval is incomplete"));
                };
                let ended = || oauth("invalid_grant", "the person who approved it has signed out");
                let user = self.account_by_id(user_id)?.ok_or_else(ended)?;
                if !self.session_lives(user.id, Some(&session_id))? {
                    return Err(ended());
                }
                let code = AuthCode {
                    code_hash: g.device_hash.clone(),
                    client_id: client.client_id.clone(),
                    user_id,
                    session_id,
                    redirect_uri: String::new(),
                    scope: g.scope.clone(),
                    nonce: None,
                    code_challenge: None,
                    auth_time,
                    method,
                    expires_at: now,
                };
                self.issue_tokens(client, &user, &code, now)
            }
        }
    }
}
