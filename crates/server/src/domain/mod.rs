//! The rules of tapin in plain Rust: no HTTP, SQL or browser types here.

pub mod clock;
pub mod error;
pub mod model;
pub mod pass;
pub mod policy;
pub mod service;
pub mod store;

pub use clock::{Clock, ManualClock, SystemClock};
pub use error::{Error, Result};
pub use model::{Actor, AdminRole, NewUser, Role, User};
pub use pass::{IssueOptions, IssuedPass, PassView, Usability};
pub use policy::{Policy, PolicyChange, Target};
pub use service::{Settings, SignedIn, Tapin};
pub use store::{SessionRecord, Store, StoreError, StoredPass};
