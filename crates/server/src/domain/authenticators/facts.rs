//! What an authenticator told about a key when it was registered: data
//! only, kept with each stored method (`methods.authenticator`), so the
//! method records need nothing else of this room.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an authenticator told about a key when it was registered.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyFacts {
    /// The model's AAGUID, when the authenticator gave one (not all zeros).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aaguid: Option<Uuid>,
    /// The attestation chained to a trusted root vouching for the model.
    pub attested: bool,
    /// Backup eligible: the key may be copied to its holder's other devices.
    pub synced: bool,
    /// The attestation statement's format (`packed`, `tpm`, `none`, ...).
    pub format: String,
}
