//! Idle kept-alive connections to one upstream.
//!
//! The most recently used connection is taken first (its peer is the least likely to have
//! closed it, and it is warm). A connection is checked before reuse: one that turned
//! readable while idle was closed by upstream (or sent octets nobody asked for) and is
//! dropped. Connections idle longer than [`POOL_IDLE`] are closed by a sweep, so an idle
//! gateway does not hold sockets its upstream has long given up on.

use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use super::client::Conn;

/// How long an idle connection is kept.
pub const POOL_IDLE: Duration = Duration::from_secs(60);
/// Most idle connections kept per upstream (each holds a socket and a small buffer).
const MAX_IDLE: usize = 1024;

/// The idle connections of one upstream.
#[derive(Debug, Default)]
pub struct Pool {
    idle: Mutex<Vec<(Conn, Instant)>>,
    /// A sweep task runs (started with the first idle connection).
    sweeping: std::sync::atomic::AtomicBool,
}

impl Pool {
    /// A usable idle connection, if there is one.
    pub fn take(&self) -> Option<Conn> {
        let mut dead = Vec::new();
        let found = {
            let Ok(mut idle) = self.idle.lock() else { return None };
            let mut found = None;
            while let Some((conn, since)) = idle.pop() {
                if since.elapsed() < POOL_IDLE && conn.is_alive() {
                    found = Some(conn);
                    break;
                }
                dead.push(conn);
            }
            found
        };
        // Closed outside the lock.
        drop(dead);
        found
    }

    /// Keeps a connection whose last response ended cleanly.
    pub fn put(self: &Arc<Self>, mut conn: Conn) {
        conn.rest();
        let Ok(mut idle) = self.idle.lock() else { return };
        if idle.len() >= MAX_IDLE {
            return;
        }
        idle.push((conn, Instant::now()));
        drop(idle);
        if !self.sweeping.swap(true, std::sync::atomic::Ordering::Relaxed) {
            self.start_sweep();
        }
    }

    /// Closes connections idle too long or closed by upstream, every half [`POOL_IDLE`],
    /// for as long as the pool exists.
    fn start_sweep(self: &Arc<Self>) {
        let Ok(rt) = tokio::runtime::Handle::try_current() else {
            self.sweeping.store(false, std::sync::atomic::Ordering::Relaxed);
            return;
        };
        let pool: Weak<Pool> = Arc::downgrade(self);
        rt.spawn(async move {
            let mut tick = tokio::time::interval(POOL_IDLE / 2);
            tick.tick().await;
            loop {
                tick.tick().await;
                let Some(pool) = pool.upgrade() else { return };
                pool.sweep();
            }
        });
    }

    fn sweep(&self) {
        let gone: Vec<(Conn, Instant)> = {
            let Ok(mut idle) = self.idle.lock() else { return };
            let (keep, gone) = std::mem::take(&mut *idle).into_iter().partition(|(conn, since)| since.elapsed() < POOL_IDLE && conn.is_alive());
            *idle = keep;
            gone
        };
        drop(gone);
    }

    /// Idle connections now (for tests).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.idle.lock().map(|i| i.len()).unwrap_or(0)
    }
}
