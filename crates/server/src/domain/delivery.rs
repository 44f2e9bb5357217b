//! How codes and notifications leave tapin (DESIGN.md §5). The domain only
//! knows this trait; SMTP and webhooks live in `crate::delivery`.

use super::store::Store;
use chrono::{DateTime, Utc};
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Text,
    Call,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Text => "text",
            Self::Call => "call",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Email, Self::Text, Self::Call]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub channel: Channel,
    pub to: String,
    pub subject: String,
    pub body: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub at: DateTime<Utc>,
    pub message: Message,
}

pub trait Delivery: Send + Sync {
    /// Hands the message to its channel; an error says why it could not.
    fn send(&self, message: &Message, at: DateTime<Utc>) -> Result<(), String>;
}

/// The embedded default: messages wait in the database for `tapin outbox`.
pub struct Outbox(pub Arc<dyn Store>);

impl Delivery for Outbox {
    fn send(&self, message: &Message, at: DateTime<Utc>) -> Result<(), String> {
        self.0
            .push_outbox(&OutboxEntry {
                at,
                message: message.clone(),
            })
            .map_err(|e| e.to_string())
    }
}
