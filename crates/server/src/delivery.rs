//! Real delivery channels for the domain's `Delivery`: email over SMTP
//! (lettre), routed beside the outbox for text and call.

use crate::domain::{Delivery, Error, Message};
use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::{SmtpTransport, Transport};

pub struct Smtp {
    transport: SmtpTransport,
    from: lettre::message::Mailbox,
}

impl Smtp {
    /// `url` as lettre reads it: `smtp://host:port`, `smtps://host`,
    /// `smtp://host?tls=required`, credentials as `user:password@`.
    pub fn new(url: &str, from: &str, timeout: std::time::Duration) -> Result<Self, Error> {
        let transport = SmtpTransport::from_url(url)
            .map_err(|e| Error::invalid(format!("cannot use the SMTP URL: {e}")))?
            .timeout(Some(timeout))
            .build();
        let from = from
            .parse()
            .map_err(|e| Error::invalid(format!("the sender address {from} is not valid: {e}")))?;
        Ok(Self { transport, from })
    }
}

impl Delivery for Smtp {
    fn send(&self, message: &Message, _at: DateTime<Utc>) -> Result<(), String> {
        let to = message
            .to
            .parse()
            .map_err(|e| format!("the address is not deliverable: {e}"))?;
        let mail = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&message.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.clone())
            .map_err(|e| e.to_string())?;
        self.transport
            .send(&mail)
            .map(|_| ())
            .map_err(|e| format!("SMTP: {e}"))
    }
}

/// Text and call through an HTTP webhook that an SMS/voice provider or a
/// gateway implements: a JSON POST of `{channel, to, message}`; any 2xx
/// answer counts as accepted.
pub struct Webhook {
    url: String,
    agent: ureq::Agent,
}

impl Webhook {
    pub fn new(url: &str) -> Result<Self, Error> {
        let parsed = url::Url::parse(url)
            .map_err(|e| Error::invalid(format!("the webhook URL is not valid: {e}")))?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(Error::invalid(
                "the webhook URL must be http:// or https://",
            ));
        }
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(15)))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .provider(ureq::tls::TlsProvider::NativeTls)
                    .build(),
            )
            .build();
        Ok(Self {
            url: url.to_string(),
            agent: config.into(),
        })
    }
}

impl Delivery for Webhook {
    fn send(&self, message: &Message, _at: DateTime<Utc>) -> Result<(), String> {
        let body = serde_json::json!({
            "channel": message.channel.as_str(),
            "to": message.to,
            "message": message.body,
        });
        self.agent
            .post(&self.url)
            .send_json(&body)
            .map(|_| ())
            // The error names the host and status, never the message.
            .map_err(|e| format!("webhook: {e}"))
    }
}

/// OpenID Connect Back-Channel Logout: the logout token, form-encoded as
/// `logout_token`, POSTed to the application's `backchannel_logout_uri`.
/// A 2xx answer counts as delivered; anything else is retried.
pub struct BackChannel {
    agent: ureq::Agent,
}

impl BackChannel {
    pub fn new() -> Self {
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(std::time::Duration::from_secs(10)))
            // An application that answers with a redirect has not logged
            // anyone out: it is a failure, not something to follow.
            .max_redirects(0)
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .provider(ureq::tls::TlsProvider::NativeTls)
                    .build(),
            )
            .build();
        Self {
            agent: config.into(),
        }
    }
}

impl Default for BackChannel {
    fn default() -> Self {
        Self::new()
    }
}

impl Delivery for BackChannel {
    fn send(&self, message: &Message, _at: DateTime<Utc>) -> Result<(), String> {
        match self
            .agent
            .post(&message.to)
            .send_form([("logout_token", message.body.as_str())])
        {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => Err(format!("back-channel logout: answered {}", r.status())),
            // The error names the host and status, never the token.
            Err(e) => Err(format!("back-channel logout: {e}")),
        }
    }
}
