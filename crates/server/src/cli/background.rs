//! What each instance does besides answering: removing expired rows, and
//! telling applications that a session they signed in with has ended.

use crate::domain::Tapin;
use std::sync::Arc;

/// Every second: each application whose session ended is told.
pub(super) fn start_logout_sweep(tapin: Arc<Tapin>) {
    let spawned = std::thread::Builder::new()
        .name("tapin-logouts".into())
        .spawn(move || loop {
            match tapin.queue_backchannel_logouts() {
                Ok(0) => std::thread::sleep(std::time::Duration::from_secs(1)),
                Ok(n) => tracing::debug!(queued = n, "back-channel logouts queued"),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot queue back-channel logouts; trying again");
                    std::thread::sleep(std::time::Duration::from_secs(5));
                }
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the back-channel logout thread");
    }
}

/// Removes expired rows every minute, so nothing outlives its use.
pub(super) fn start_purge(tapin: Arc<Tapin>) {
    let spawned = std::thread::Builder::new()
        .name("tapin-purge".into())
        .spawn(move || loop {
            match tapin.purge() {
                Ok(p) => tracing::debug!(
                    sessions = p.sessions,
                    pending = p.pending,
                    attempts = p.attempts,
                    sends = p.sends,
                    grants = p.grants,
                    "purged"
                ),
                Err(e) => tracing::warn!(error = %e, "purge failed; trying again in a minute"),
            }
            std::thread::sleep(std::time::Duration::from_secs(60));
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the purge thread");
    }
}
