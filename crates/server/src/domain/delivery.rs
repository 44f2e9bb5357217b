//! How codes and notifications leave tapin . The domain only
//! knows this trait; SMTP and webhooks live in `crate::delivery`, and the
//! courier (`super::courier`) hands them what the outbox holds.

use chrono::{DateTime, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    Email,
    Text,
    Call,
    /// A logout token for an application's back channel: `to` is its
    /// `backchannel_logout_uri`.
    Logout,
}

impl Channel {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Email => "email",
            Self::Text => "text",
            Self::Call => "call",
            Self::Logout => "logout",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Email, Self::Text, Self::Call, Self::Logout]
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

/// A message not yet delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEntry {
    pub at: DateTime<Utc>,
    pub message: Message,
    /// Failed tries so far.
    pub tries: u32,
    /// Why the last try failed.
    pub last_error: Option<String>,
    /// Given up: it would have been useless by the next try.
    pub failed: bool,
    /// When set, `message.body` is sealed for `secrets::row("outbox", it)`
    /// and opened only to be sent.
    pub sealed_for: Option<String>,
}

impl OutboxEntry {
    pub fn new(at: DateTime<Utc>, message: Message) -> Self {
        Self {
            at,
            message,
            tries: 0,
            last_error: None,
            failed: false,
            sealed_for: None,
        }
    }
}

/// A message a change writes to the outbox, in its transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outgoing {
    pub at: DateTime<Utc>,
    pub message: Message,
    /// After this it is not worth sending (a code that has expired).
    pub give_up_at: DateTime<Utc>,
    /// The body is sealed for `secrets::row("outbox", it)` (a pass on its
    /// way); `None` for a body kept as written.
    pub sealed_for: Option<String>,
}

/// A message claimed for delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueuedMessage {
    pub id: i64,
    pub entry: OutboxEntry,
    /// After this it is not worth sending (a code that has expired).
    pub give_up_at: DateTime<Utc>,
}

pub trait Delivery: Send + Sync {
    /// Hands the message to its channel; an error says why it could not.
    fn send(&self, message: &Message, at: DateTime<Utc>) -> Result<(), String>;
}
