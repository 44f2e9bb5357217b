//! Work after the point of no return: once a one-time pass is spent the
//! request succeeds, and a follow-up write that fails (the audit event,
//! forgetting a counted attempt) is logged and retried in the background.

use super::store::{Store, StoreResult};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

type Job = Box<dyn Fn(&dyn Store) -> StoreResult<()> + Send>;

/// Tries of a failed follow-up, with the wait before each (doubling).
const RETRIES: u32 = 6;
const FIRST_WAIT: Duration = Duration::from_millis(500);

pub struct FollowUps {
    store: Arc<dyn Store>,
    retry: Mutex<mpsc::Sender<(&'static str, Job)>>,
}

impl FollowUps {
    /// Starts the retry thread; it ends when the `FollowUps` is dropped.
    pub fn start(store: Arc<dyn Store>) -> Self {
        let (tx, rx) = mpsc::channel::<(&'static str, Job)>();
        let retry_store = store.clone();
        let spawned = std::thread::Builder::new()
            .name("tapin-followups".into())
            .spawn(move || {
                for (what, job) in rx {
                    let mut wait = FIRST_WAIT;
                    let mut done = false;
                    for attempt in 1..=RETRIES {
                        std::thread::sleep(wait);
                        match job(retry_store.as_ref()) {
                            Ok(()) => {
                                tracing::info!(what, attempt, "follow-up succeeded on retry");
                                done = true;
                                break;
                            }
                            Err(e) => {
                                tracing::warn!(what, attempt, error = %e, "follow-up failed again")
                            }
                        }
                        wait *= 2;
                    }
                    if !done {
                        tracing::error!(what, "follow-up given up after {RETRIES} retries");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the follow-up thread; failed follow-ups will only be logged");
        }
        Self {
            store,
            retry: Mutex::new(tx),
        }
    }

    /// Runs `job` now; if it fails, logs it and retries it in the background.
    pub fn run(
        &self,
        what: &'static str,
        job: impl Fn(&dyn Store) -> StoreResult<()> + Send + 'static,
    ) {
        if let Err(e) = job(self.store.as_ref()) {
            tracing::warn!(what, error = %e, "follow-up failed; retrying in the background");
            let sender = self.retry.lock().unwrap_or_else(|p| p.into_inner());
            if sender.send((what, Box::new(job))).is_err() {
                tracing::error!(what, "follow-up lost: the retry thread has stopped");
            }
        }
    }
}
