//! Notifications off the request path: a change writes its messages to the
//! outbox (in its own transaction) and the courier delivers them in the
//! background, one thread per route, so a dead SMTP server delays no answer
//! and does not hold up texts. Failed deliveries are retried with doubling
//! waits until the message is no longer useful (a code after it expires).
//! Rows are claimed with a lease, so several instances share one outbox
//! without sending a message twice while the sender is alive.

use super::delivery::{Channel, Delivery, Message, QueuedMessage};
use super::secrets::{row, Keyring};
use super::store::Store;
use super::Clock;
use chrono::Duration;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};

/// How long a claimed message is reserved for its sender: longer than any
/// channel's own timeout, so a live sender never loses its claim.
const LEASE: Duration = Duration::seconds(60);
/// How often an idle route looks for work written by another instance.
const POLL: std::time::Duration = std::time::Duration::from_millis(500);
const BATCH: u32 = 16;
/// The longest wait between two tries.
const MAX_BACKOFF_SECONDS: i64 = 300;

/// The wait before try `tries + 1` after `tries` failures: 1 s, 2 s, 4 s, … 5 min.
pub fn backoff(tries: u32) -> Duration {
    let exp = tries.saturating_sub(1).min(20);
    Duration::seconds((1i64 << exp).min(MAX_BACKOFF_SECONDS))
}

/// Wakes the routes when this instance wrote a message, so codes leave at
/// once instead of at the next poll.
#[derive(Default)]
pub struct Wake {
    generation: Mutex<u64>,
    cv: Condvar,
}

impl Wake {
    pub fn nudge(&self) {
        *self.generation.lock().unwrap_or_else(|p| p.into_inner()) += 1;
        self.cv.notify_all();
    }

    fn current(&self) -> u64 {
        *self.generation.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits until nudged after `seen`, or `timeout` passes.
    fn wait(&self, seen: u64, timeout: std::time::Duration) {
        let guard = self.generation.lock().unwrap_or_else(|p| p.into_inner());
        let _ = self
            .cv
            .wait_timeout_while(guard, timeout, |g| *g == seen)
            .map_err(|p| p.into_inner());
    }
}

/// The channels one sender delivers.
pub struct Route {
    pub name: &'static str,
    pub channels: Vec<Channel>,
    pub sender: Arc<dyn Delivery>,
}

pub struct Courier {
    stop: Arc<AtomicBool>,
    wake: Arc<Wake>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Courier {
    /// Starts one thread per route. Channels without a route wait in the
    /// outbox (for `tapin outbox`).
    pub fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        wake: Arc<Wake>,
        routes: Vec<Route>,
        keys: Keyring,
    ) -> std::io::Result<Self> {
        let stop = Arc::new(AtomicBool::new(false));
        let keys = Arc::new(keys);
        let mut threads = Vec::new();
        for route in routes {
            let (store, clock, wake, stop, keys) = (
                store.clone(),
                clock.clone(),
                wake.clone(),
                stop.clone(),
                keys.clone(),
            );
            let context = Context { store, clock, keys };
            threads.push(
                std::thread::Builder::new()
                    .name(format!("tapin-courier-{}", route.name))
                    .spawn(move || run_route(&route, &context, &wake, &stop))?,
            );
        }
        Ok(Self {
            stop,
            wake,
            threads,
        })
    }

    /// This instance's courier: its store, clock, wake and keys.
    pub fn start_for(tapin: &super::Tapin, routes: Vec<Route>) -> std::io::Result<Self> {
        Self::start(
            tapin.store(),
            tapin.clock(),
            tapin.wake(),
            routes,
            tapin.keyring(),
        )
    }

    /// Stops after one last pass over what is due (a flush), waiting for
    /// each route to finish its current delivery.
    pub fn shutdown(self) {
        self.stop.store(true, Ordering::SeqCst);
        self.wake.nudge();
        for t in self.threads {
            let _ = t.join();
        }
    }
}

/// What every route's thread reads: the outbox, the time and the keys that
/// open a sealed message.
struct Context {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    keys: Arc<Keyring>,
}

fn run_route(route: &Route, context: &Context, wake: &Wake, stop: &AtomicBool) {
    let (store, clock) = (context.store.as_ref(), context.clock.as_ref());
    loop {
        let stopping = stop.load(Ordering::SeqCst);
        let seen = wake.current();
        let now = clock.now();
        let worked = match store.claim_outbox(&route.channels, now, now + LEASE, BATCH) {
            Ok(batch) => {
                let any = !batch.is_empty();
                for m in batch {
                    deliver(route, context, m);
                }
                any
            }
            Err(e) => {
                tracing::warn!(route = route.name, error = %e, "cannot read the outbox");
                false
            }
        };
        if stopping {
            return;
        }
        if !worked {
            wake.wait(seen, POLL);
        }
    }
}

/// The message as it is sent: a sealed body opened (only here, and only in
/// memory).
fn opened(keys: &Keyring, m: &QueuedMessage) -> Result<Message, String> {
    let mut message = m.entry.message.clone();
    if let Some(seal) = &m.entry.sealed_for {
        message.body = keys
            .open(&row("outbox", seal), &message.body)
            .map_err(|e| format!("cannot open the sealed message: {e}"))?;
    }
    Ok(message)
}

fn deliver(route: &Route, context: &Context, m: QueuedMessage) {
    let (store, clock) = (context.store.as_ref(), context.clock.as_ref());
    let channel = m.entry.message.channel.as_str();
    let result =
        opened(&context.keys, &m).and_then(|message| route.sender.send(&message, clock.now()));
    let now = clock.now();
    let recorded = match result {
        Ok(()) => {
            tracing::debug!(channel, tries = m.entry.tries + 1, "delivered");
            store.outbox_delivered(m.id)
        }
        Err(error) => {
            let tries = m.entry.tries + 1;
            let next = now + backoff(tries);
            if next >= m.give_up_at {
                tracing::error!(channel, tries, error = %error, "message given up: it would be useless by the next try");
                store.outbox_failed(m.id, None, &error)
            } else {
                tracing::warn!(channel, tries, error = %error, retry_in_seconds = backoff(tries).num_seconds(), "delivery failed; will retry");
                store.outbox_failed(m.id, Some(next), &error)
            }
        }
    };
    if let Err(e) = recorded {
        // The lease runs out and the message is tried again: at worst twice, never lost.
        tracing::warn!(channel, error = %e, "cannot record the delivery");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_to_five_minutes() {
        let waits: Vec<i64> = (1..=12).map(|t| backoff(t).num_seconds()).collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
        assert_eq!(backoff(u32::MAX).num_seconds(), 300);
    }
}
