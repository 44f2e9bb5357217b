//! The bounded pool that pass checks (Argon2id) run on: a fixed set of
//! threads, and a fixed number of requests admitted to use them. A request
//! that finds every place taken is refused at once, before any other work,
//! so a flood costs the server neither memory nor the latency of everyone
//! already admitted.
//!
//! Only the hash runs on the pool's threads; an admitted request's database
//! work runs beside it, so the threads hash without pause. Why not
//! `spawn_blocking` behind a semaphore: each check takes 19 MiB, and glibc
//! keeps such blocks in per-thread arenas; tokio's blocking pool spreads the
//! work over up to 512 threads, and resident memory under a flood grew to
//! 7.9 GB. A few long-lived threads keep it at a few of those blocks.

use crate::domain::pass::{code_matches, PassCheck};
use crate::domain::{Error, Result};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, Sender};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// Every place is taken: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overloaded;

pub struct HashPool {
    jobs: Mutex<Sender<Job>>,
    admitted: Arc<AtomicUsize>,
    workers: usize,
    capacity: usize,
}

impl HashPool {
    /// `workers` threads; up to `queue` admitted requests wait for one.
    pub fn new(workers: usize, queue: usize) -> std::io::Result<Self> {
        let workers = workers.max(1);
        // Unbounded here, bounded by admission: never more than `capacity` jobs.
        let (tx, rx) = channel::<Job>();
        let rx = Arc::new(Mutex::new(rx));
        for i in 0..workers {
            let rx = rx.clone();
            std::thread::Builder::new()
                .name(format!("tapin-hash-{i}"))
                .spawn(move || loop {
                    let job = {
                        let rx = rx.lock().unwrap_or_else(|p| p.into_inner());
                        match rx.recv() {
                            Ok(job) => job,
                            Err(_) => return,
                        }
                    };
                    // A panicking job must not take its worker with it.
                    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(job));
                })?;
        }
        Ok(Self {
            jobs: Mutex::new(tx),
            admitted: Arc::new(AtomicUsize::new(0)),
            workers,
            capacity: workers + queue,
        })
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    /// Requests admitted now: hashing or waiting for a thread.
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::Acquire)
    }

    /// A place for one request, or `Overloaded` at once when none is free.
    pub fn admit(self: &Arc<Self>) -> std::result::Result<Ticket, Overloaded> {
        self.admitted
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < self.capacity).then_some(n + 1)
            })
            .map_err(|_| Overloaded)?;
        Ok(Ticket { pool: self.clone() })
    }

    fn run_blocking<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Option<T> {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        let sent = self
            .jobs
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(job);
        sent.ok()?;
        // A dropped sender means the job panicked.
        rx.recv().ok()
    }
}

/// One admitted request's place; given back when dropped.
pub struct Ticket {
    pool: Arc<HashPool>,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.pool.admitted.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Ticket {
    /// Runs `work` on a pool thread and waits for it (call from a blocking context).
    pub fn run<T: Send + 'static>(&self, work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
        self.pool.run_blocking(work)
    }
}

impl PassCheck for Ticket {
    fn matches(&self, code: &str, phc: &str) -> Result<bool> {
        let (code, phc) = (code.to_string(), phc.to_string());
        self.run(move || code_matches(&code, &phc))
            .ok_or_else(|| Error::Storage("a pass check failed on its thread".into()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_beyond_the_workers_and_the_queue_are_refused_until_a_place_is_free() {
        let pool = Arc::new(HashPool::new(1, 2).unwrap());
        let a = pool.admit().unwrap();
        let b = pool.admit().unwrap();
        let c = pool.admit().unwrap();
        assert!(matches!(pool.admit(), Err(Overloaded)));
        drop(b);
        let d = pool.admit().unwrap();
        assert_eq!(a.run(|| 6 * 7), Some(42));
        drop((a, c, d));
        assert!(pool.admit().is_ok());
    }

    #[test]
    fn a_panicking_job_is_reported_and_the_worker_survives() {
        let pool = Arc::new(HashPool::new(1, 1).unwrap());
        let t = pool.admit().unwrap();
        assert_eq!(t.run(|| -> u8 { panic!("boom") }), None);
        assert_eq!(t.run(|| 1), Some(1));
    }

    #[test]
    fn a_pass_is_checked_on_the_pool() {
        let pool = Arc::new(HashPool::new(2, 0).unwrap());
        let phc = crate::domain::pass::hash_code("ABCDEFGH").unwrap();
        let t = pool.admit().unwrap();
        assert!(t.matches("ABCDEFGH", &phc).unwrap());
        assert!(!t.matches("ABCDEFGJ", &phc).unwrap());
    }
}
