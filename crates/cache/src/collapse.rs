//! Request collapsing: concurrent misses on one key make one upstream request.
//!
//! The first caller of [`Collapser::join`] for a key becomes the leader and gets a
//! [`LeaderGuard`]; later callers become followers and get a [`FollowerWait`]. The leader
//! fetches, stores what is storable, then reports with [`LeaderGuard::finish`] (or simply
//! drops the guard, which counts as "nothing stored"). Followers wake up then: after
//! [`FlightOutcome::Stored`] they look the key up again; otherwise they go upstream
//! themselves, so a non-storable answer never makes them wait for nothing or forever.
//!
//! A caller that becomes leader should look the key up once more before fetching: a
//! previous flight may have ended (and stored) between its lookup and its join.
//!
//! The collapser holds no lock across an `.await`; waiting uses `tokio::sync::watch`.
//! A follower that must not wait longer than some bound wraps [`FollowerWait::wait`] in
//! its own timeout.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use tokio::sync::watch;

/// What the leader's fetch produced, as seen by followers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FlightOutcome {
    /// The leader stored a response: look the key up again.
    Stored,
    /// Nothing usable was stored (not storable, error, or leader gone): go upstream.
    NotStored,
}

type Flights = Arc<Mutex<HashMap<String, watch::Receiver<Option<FlightOutcome>>>>>;

/// Tracks in-flight fetches by key.
#[derive(Debug, Clone, Default)]
pub struct Collapser {
    flights: Flights,
}

/// Result of [`Collapser::join`].
#[derive(Debug)]
pub enum Join {
    /// No fetch for this key is in flight: this caller fetches.
    Leader(LeaderGuard),
    /// Another caller is fetching: wait for it.
    Follower(FollowerWait),
}

/// Held by the leader while it fetches. Dropping it without [`LeaderGuard::finish`] reports
/// [`FlightOutcome::NotStored`].
#[derive(Debug)]
pub struct LeaderGuard {
    key: String,
    flights: Flights,
    sender: Option<watch::Sender<Option<FlightOutcome>>>,
}

/// A follower's handle on the leader's fetch.
#[derive(Debug)]
pub struct FollowerWait {
    receiver: watch::Receiver<Option<FlightOutcome>>,
}

fn lock(flights: &Flights) -> MutexGuard<'_, HashMap<String, watch::Receiver<Option<FlightOutcome>>>> {
    flights.lock().unwrap_or_else(|e| e.into_inner())
}

impl Collapser {
    /// A collapser with nothing in flight.
    pub fn new() -> Self {
        Self::default()
    }

    /// Joins the fetch for `key` (normally the primary cache key), becoming its leader if
    /// none is in flight.
    pub fn join(&self, key: &str) -> Join {
        let mut flights = lock(&self.flights);
        if let Some(receiver) = flights.get(key) {
            // A finished flight whose guard is being dropped right now cannot be joined.
            if receiver.borrow().is_none() && receiver.has_changed().is_ok() {
                return Join::Follower(FollowerWait {
                    receiver: receiver.clone(),
                });
            }
        }
        let (sender, receiver) = watch::channel(None);
        flights.insert(key.to_owned(), receiver);
        Join::Leader(LeaderGuard {
            key: key.to_owned(),
            flights: self.flights.clone(),
            sender: Some(sender),
        })
    }

    /// Number of fetches in flight.
    pub fn in_flight(&self) -> usize {
        lock(&self.flights).len()
    }
}

impl LeaderGuard {
    /// Reports the outcome to the followers and ends the flight.
    pub fn finish(mut self, outcome: FlightOutcome) {
        self.end(outcome);
    }

    fn end(&mut self, outcome: FlightOutcome) {
        if let Some(sender) = self.sender.take() {
            // Remove first, so that a caller arriving after the outcome starts a new flight.
            lock(&self.flights).remove(&self.key);
            // No receiver left is fine: nobody was waiting.
            let _ = sender.send(Some(outcome));
        }
    }
}

impl Drop for LeaderGuard {
    fn drop(&mut self) {
        self.end(FlightOutcome::NotStored);
    }
}

impl FollowerWait {
    /// Waits for the leader's outcome. A leader that disappears counts as
    /// [`FlightOutcome::NotStored`].
    pub async fn wait(mut self) -> FlightOutcome {
        loop {
            if let Some(outcome) = *self.receiver.borrow_and_update() {
                return outcome;
            }
            if self.receiver.changed().await.is_err() {
                return (*self.receiver.borrow()).unwrap_or(FlightOutcome::NotStored);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn many_concurrent_misses_make_one_leader() {
        let collapser = Collapser::new();
        let upstream = Arc::new(AtomicUsize::new(0));
        let barrier = Arc::new(tokio::sync::Barrier::new(50));
        let mut tasks = Vec::new();
        for _ in 0..50 {
            let c = collapser.clone();
            let up = upstream.clone();
            let b = barrier.clone();
            tasks.push(tokio::spawn(async move {
                b.wait().await;
                match c.join("http://h/x") {
                    Join::Leader(guard) => {
                        up.fetch_add(1, Ordering::SeqCst);
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        guard.finish(FlightOutcome::Stored);
                        "leader"
                    }
                    Join::Follower(w) => {
                        assert_eq!(w.wait().await, FlightOutcome::Stored);
                        "follower"
                    }
                }
            }));
        }
        let mut leaders = 0;
        for t in tasks {
            if t.await.unwrap() == "leader" {
                leaders += 1;
            }
        }
        assert_eq!(leaders, 1);
        assert_eq!(upstream.load(Ordering::SeqCst), 1);
        assert_eq!(collapser.in_flight(), 0);
    }

    #[tokio::test]
    async fn dropped_leader_releases_followers_as_not_stored() {
        let c = Collapser::new();
        let Join::Leader(guard) = c.join("k") else { panic!("first caller must lead") };
        let Join::Follower(w) = c.join("k") else { panic!("second caller must follow") };
        let waiter = tokio::spawn(w.wait());
        drop(guard);
        assert_eq!(waiter.await.unwrap(), FlightOutcome::NotStored);
        // The flight is over: the next caller leads again.
        assert!(matches!(c.join("k"), Join::Leader(_)));
    }

    #[tokio::test]
    async fn different_keys_do_not_collapse() {
        let c = Collapser::new();
        let a = c.join("a");
        let b = c.join("b");
        assert!(matches!(a, Join::Leader(_)) && matches!(b, Join::Leader(_)));
        assert_eq!(c.in_flight(), 2);
    }

    #[tokio::test]
    async fn follower_joining_after_finish_sees_outcome_or_leads() {
        let c = Collapser::new();
        let Join::Leader(g) = c.join("k") else { panic!() };
        let Join::Follower(w) = c.join("k") else { panic!() };
        g.finish(FlightOutcome::NotStored);
        assert_eq!(w.wait().await, FlightOutcome::NotStored);
    }
}
