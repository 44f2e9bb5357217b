//! The bounded pool that expensive work (Argon2id pass checks) runs on: a
//! fixed set of threads behind a fixed-length queue. A request that finds
//! the queue full is refused at once instead of waiting, so a flood costs
//! the server neither memory nor the latency of everyone already queued.
//!
//! Why not `spawn_blocking` behind a semaphore: each Argon2id check takes
//! 19 MiB, and glibc keeps such blocks in per-thread arenas; tokio's blocking
//! pool spreads the work over up to 512 threads, and the measured resident
//! memory under a flood grew to 7.9 GB. A few long-lived threads keep it at
//! a few of those blocks.

use std::sync::mpsc::{sync_channel, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};

type Job = Box<dyn FnOnce() + Send>;

/// The queue was full: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Overloaded;

pub struct HashPool {
    queue: SyncSender<Job>,
    workers: usize,
    capacity: usize,
}

impl HashPool {
    /// `workers` threads, and up to `queue` jobs waiting for one.
    pub fn new(workers: usize, queue: usize) -> std::io::Result<Self> {
        let workers = workers.max(1);
        // The channel holds what waits; each worker holds one it is running.
        let (tx, rx) = sync_channel::<Job>(queue);
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
            queue: tx,
            workers,
            capacity: queue,
        })
    }

    /// Defaults: one worker per core, four queued jobs per worker.
    pub fn for_this_machine() -> std::io::Result<Self> {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self::new(cores, 4 * cores)
    }

    pub fn workers(&self) -> usize {
        self.workers
    }

    pub fn queue_capacity(&self) -> usize {
        self.capacity
    }

    /// Runs `work` on the pool, or refuses at once when the queue is full.
    pub async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, PoolError> {
        let (tx, rx) = tokio::sync::oneshot::channel();
        let job: Job = Box::new(move || {
            let _ = tx.send(work());
        });
        match self.queue.try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => return Err(PoolError::Overloaded(Overloaded)),
            Err(TrySendError::Disconnected(_)) => return Err(PoolError::Gone),
        }
        // A dropped sender means the job panicked.
        rx.await.map_err(|_| PoolError::Gone)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PoolError {
    Overloaded(Overloaded),
    /// The job panicked or the pool stopped.
    Gone,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_beyond_the_workers_and_the_queue_is_refused_at_once() {
        let pool = Arc::new(HashPool::new(1, 2).unwrap());
        let (release, hold) = std::sync::mpsc::channel::<()>();
        let hold = Arc::new(Mutex::new(hold));
        let started = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..3 {
            let (pool, hold, started) = (pool.clone(), hold.clone(), started.clone());
            tasks.push(tokio::spawn(async move {
                pool.run(move || {
                    started.fetch_add(1, Ordering::SeqCst);
                    let _ = hold.lock().unwrap().recv();
                })
                .await
            }));
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        // One running, two waiting: the fourth is refused without waiting.
        let refused = pool.run(|| ()).await;
        assert_eq!(refused, Err(PoolError::Overloaded(Overloaded)));
        assert_eq!(started.load(Ordering::SeqCst), 1);
        for _ in 0..3 {
            release.send(()).unwrap();
        }
        for t in tasks {
            assert_eq!(t.await.unwrap(), Ok(()));
        }
        assert_eq!(pool.run(|| 7).await, Ok(7));
    }

    #[tokio::test]
    async fn a_panicking_job_is_reported_and_the_worker_survives() {
        let pool = HashPool::new(1, 1).unwrap();
        assert_eq!(
            pool.run(|| -> u8 { panic!("boom") }).await,
            Err(PoolError::Gone)
        );
        assert_eq!(pool.run(|| 1).await, Ok(1));
    }
}
