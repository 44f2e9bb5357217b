//! Real delivery channels for the domain's `Delivery`: email over SMTP
//! (lettre), routed beside the outbox for text and call.

use crate::domain::{Channel, Delivery, Error, Message};
use chrono::{DateTime, Utc};
use lettre::message::header::ContentType;
use lettre::{SmtpTransport, Transport};
use std::sync::Arc;

pub struct Smtp {
    transport: SmtpTransport,
    from: lettre::message::Mailbox,
}

impl Smtp {
    /// `url` as lettre reads it: `smtp://host:port`, `smtps://host`,
    /// `smtp://host?tls=required`, credentials as `user:password@`.
    pub fn new(url: &str, from: &str) -> Result<Self, Error> {
        let transport = SmtpTransport::from_url(url)
            .map_err(|e| Error::invalid(format!("cannot use the SMTP URL: {e}")))?
            .timeout(Some(std::time::Duration::from_secs(15)))
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

/// Email one way, text and call another.
pub struct Routed {
    pub email: Box<dyn Delivery>,
    pub phone: Arc<dyn Delivery>,
}

impl Delivery for Routed {
    fn send(&self, message: &Message, at: DateTime<Utc>) -> Result<(), String> {
        match message.channel {
            Channel::Email => self.email.send(message, at),
            Channel::Text | Channel::Call => self.phone.send(message, at),
        }
    }
}
