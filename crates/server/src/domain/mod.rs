//! The rules of tapin in plain Rust: no HTTP, SQL or browser types here.

pub mod authenticators;
pub mod caller;
pub mod clock;
pub mod courier;
pub mod delivery;
pub mod directory;
pub mod error;
pub mod followup;
pub mod helpdesk;
pub mod methods;
pub mod model;
pub mod oidc;
pub mod operations;
pub mod pass;
pub mod policy;
pub mod recovery;
pub mod secrets;
pub mod selfservice;
pub mod service;
pub mod signin;
pub mod store;
pub mod strength;

pub use caller::{BearerToken, HelpDeskCredential, Person, SessionCookie};
pub use clock::{Clock, ManualClock, SystemClock};
pub use delivery::{Channel, Delivery, Message, OutboxEntry, Outgoing, QueuedMessage};
pub use error::{Error, Result};
pub use methods::{AuditEvent, AuditFilter, Pending, StoredMethod};
pub use model::{Actor, AdminRole, NewUser, Role, User, UserUpdate};
pub use pass::{IssueOptions, IssuedPass, PassView, Usability};
pub use policy::{Policy, PolicyChange, Target};
pub use secrets::Keyring;
pub use service::{normalize_origin, Settings, SignedIn, Tapin};
pub use store::{ApiToken, SessionRecord, Store, StoreError, StoredPass, UserSearch};
