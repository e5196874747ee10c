//! How hard we press: connections at once to one address, and new connections per second.
//! The global caps (connects and endpoints at once) are the engine's; these two are taken per
//! connection. The scan's round-trip figures ([`RttTable`]) live here too, since every
//! connection of the scan passes through.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;

use crate::probe::rtt::RttTable;

/// Connection limits shared by every endpoint of a scan.
#[derive(Debug)]
pub struct Limits {
    per_host: usize,
    hosts: Mutex<HashMap<IpAddr, HostSlot>>,
    rate: Option<RateLimiter>,
    rtt: RttTable,
}

#[derive(Debug)]
struct HostSlot {
    semaphore: Arc<Semaphore>,
    users: usize,
}

impl Limits {
    /// `per_host` connections at once to one address (at least 1); `rate` new connections
    /// per second over the whole scan (None: unlimited).
    pub fn new(per_host: usize, rate: Option<f64>) -> Arc<Limits> {
        Arc::new(Limits {
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
            rate: rate.filter(|r| *r > 0.0).map(RateLimiter::new),
            rtt: RttTable::default(),
        })
    }

    /// Registers an endpoint's use of `ip`; the slot is dropped when the last user goes, so
    /// the map holds only addresses being probed right now, never the whole range.
    pub fn host(self: &Arc<Self>, ip: IpAddr) -> HostHandle {
        let mut hosts = self.hosts.lock().unwrap_or_else(PoisonError::into_inner);
        let slot = hosts.entry(ip).or_insert_with(|| HostSlot {
            semaphore: Arc::new(Semaphore::new(self.per_host)),
            users: 0,
        });
        slot.users += 1;
        HostHandle {
            limits: Arc::clone(self),
            ip,
            semaphore: Arc::clone(&slot.semaphore),
            parked: Mutex::new(None),
        }
    }

    /// The scan's round-trip figures.
    pub fn rtt(&self) -> &RttTable {
        &self.rtt
    }

    /// Addresses currently registered (for tests and the memory benchmark).
    pub fn active_hosts(&self) -> usize {
        self.hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

/// One endpoint's claim on an address.
#[derive(Debug)]
pub struct HostHandle {
    limits: Arc<Limits>,
    ip: IpAddr,
    semaphore: Arc<Semaphore>,
    /// The slot of the connection the connect sweep opened and handed on, still open: the
    /// first hello sent on it takes this slot instead of a new one.
    parked: Mutex<Option<OwnedSemaphorePermit>>,
}

impl HostHandle {
    /// Waits for a connection slot on this address, then for a rate token. A parked slot
    /// ([`Self::park`]) is taken first: its connection is already open and counted.
    pub async fn connection(&self) -> OwnedSemaphorePermit {
        let parked = self
            .parked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(permit) = parked {
            return permit;
        }
        let permit = Arc::clone(&self.semaphore)
            .acquire_owned()
            .await
            // The semaphore is never closed: it lives as long as this handle.
            .expect("host semaphore is never closed");
        if let Some(rate) = &self.limits.rate {
            rate.wait().await;
        }
        permit
    }

    /// Keeps the slot of a connection that stays open for the endpoint's first hello, so
    /// that the cap counts it while it waits to be used.
    pub fn park(&self, permit: OwnedSemaphorePermit) {
        *self.parked.lock().unwrap_or_else(PoisonError::into_inner) = Some(permit);
    }

    /// Gives back a parked slot whose connection was closed unused.
    pub fn unpark(&self) {
        drop(
            self.parked
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take(),
        );
    }

    /// The address.
    pub fn ip(&self) -> IpAddr {
        self.ip
    }

    /// The scan's round-trip figures.
    pub fn rtt(&self) -> &RttTable {
        &self.limits.rtt
    }
}

impl Drop for HostHandle {
    fn drop(&mut self) {
        let mut hosts = self
            .limits
            .hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = hosts.get_mut(&self.ip) {
            slot.users = slot.users.saturating_sub(1);
            if slot.users == 0 {
                hosts.remove(&self.ip);
            }
        }
    }
}

/// Spaces new connections evenly: each caller is given the next free slot in time.
#[derive(Debug)]
struct RateLimiter {
    period: Duration,
    next: Mutex<Option<Instant>>,
}

impl RateLimiter {
    fn new(per_second: f64) -> RateLimiter {
        RateLimiter {
            period: Duration::from_secs_f64(1.0 / per_second),
            next: Mutex::new(None),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.period);
            slot
        };
        tokio::time::sleep_until(slot).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn host_slots_are_dropped_with_their_last_user() {
        let limits = Limits::new(2, None);
        let a = limits.host("127.0.0.1".parse().unwrap_or(IpAddr::from([127, 0, 0, 1])));
        let b = limits.host(IpAddr::from([127, 0, 0, 1]));
        let c = limits.host(IpAddr::from([127, 0, 0, 2]));
        assert_eq!(limits.active_hosts(), 2);
        drop(a);
        drop(c);
        assert_eq!(limits.active_hosts(), 1);
        drop(b);
        assert_eq!(limits.active_hosts(), 0);
    }

    #[tokio::test]
    async fn per_host_cap_holds() {
        let limits = Limits::new(2, None);
        let h = limits.host(IpAddr::from([127, 0, 0, 1]));
        let _p1 = h.connection().await;
        let _p2 = h.connection().await;
        let third = tokio::time::timeout(Duration::from_millis(50), h.connection()).await;
        assert!(third.is_err(), "a third connection must wait");
    }

    #[tokio::test]
    async fn a_parked_slot_is_the_next_connection() {
        let limits = Limits::new(1, None);
        let h = limits.host(IpAddr::from([127, 0, 0, 1]));
        h.park(h.connection().await);
        // The only slot is parked: the next connection gets it at once, and the one after
        // waits for it.
        let first = tokio::time::timeout(Duration::from_millis(50), h.connection()).await;
        assert!(first.is_ok(), "the parked slot is handed out");
        let second = tokio::time::timeout(Duration::from_millis(50), h.connection()).await;
        assert!(second.is_err(), "the cap still holds");
        drop(first);
        h.park(h.connection().await);
        h.unpark();
        let third = tokio::time::timeout(Duration::from_millis(50), h.connection()).await;
        assert!(third.is_ok(), "an unparked slot is free again");
    }

    #[tokio::test(start_paused = true)]
    async fn rate_spaces_connections() {
        let limits = Limits::new(10, Some(10.0));
        let h = limits.host(IpAddr::from([127, 0, 0, 1]));
        let start = Instant::now();
        for _ in 0..5 {
            drop(h.connection().await);
        }
        // Five tokens at 10/s: the fifth is granted 400 ms after the first.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
    }
}
