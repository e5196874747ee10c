//! How hard we press: connections at once to one address, and new connections per second.
//! The global caps (connects and endpoints at once) are the engine's; these two are taken per
//! connection. Waiting for either counts against the endpoint's time budget:
//! [`HostHandle::connection_until`] gives up at the endpoint's deadline, and a rate slot that
//! would fall after it is not taken. The scan's round-trip figures ([`RttTable`]) live here
//! too, since every connection of the scan passes through.

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
        if let Some(permit) = self.unparked() {
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

    /// [`HostHandle::connection`], but not past `deadline`: `None` when the slot or the rate
    /// token would come later (and then no rate token is used up).
    pub async fn connection_until(&self, deadline: Instant) -> Option<OwnedSemaphorePermit> {
        if let Some(permit) = self.unparked() {
            return Some(permit);
        }
        let semaphore = Arc::clone(&self.semaphore);
        let permit = tokio::time::timeout_at(deadline, semaphore.acquire_owned())
            .await
            .ok()?
            .ok()?;
        if let Some(rate) = &self.limits.rate {
            if !rate.wait_until(deadline).await {
                return None;
            }
        }
        Some(permit)
    }

    /// Keeps the slot of a connection that stays open for the endpoint's first hello, so
    /// that the cap counts it while it waits to be used.
    pub fn park(&self, permit: OwnedSemaphorePermit) {
        *self.parked.lock().unwrap_or_else(PoisonError::into_inner) = Some(permit);
    }

    /// Gives back a parked slot whose connection was closed unused.
    pub fn unpark(&self) {
        drop(self.unparked());
    }

    /// The parked slot, if any, taken.
    fn unparked(&self) -> Option<OwnedSemaphorePermit> {
        self.parked
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take()
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

/// The rates a [`RateLimiter`] keeps to (per second): what the command line accepts
/// (`--rate`), enforced here too so that no rate a library caller passes can panic.
pub const RATE_RANGE: std::ops::RangeInclusive<f64> = 0.001..=1_000_000.0;

impl RateLimiter {
    fn new(per_second: f64) -> RateLimiter {
        let per_second = per_second.clamp(*RATE_RANGE.start(), *RATE_RANGE.end());
        RateLimiter {
            period: Duration::try_from_secs_f64(1.0 / per_second)
                .unwrap_or(Duration::from_secs(1000)),
            next: Mutex::new(None),
        }
    }

    async fn wait(&self) {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            *next = slot.checked_add(self.period).or(Some(slot));
            slot
        };
        tokio::time::sleep_until(slot).await;
    }

    /// Takes the next free slot if it comes before `deadline` and waits for it; false (no
    /// slot taken) otherwise.
    async fn wait_until(&self, deadline: Instant) -> bool {
        let slot = {
            let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
            let now = Instant::now();
            let slot = next.map_or(now, |n| n.max(now));
            if slot > deadline {
                return false;
            }
            *next = slot.checked_add(self.period).or(Some(slot));
            slot
        };
        tokio::time::sleep_until(slot).await;
        true
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

    #[tokio::test(start_paused = true)]
    async fn absurd_rates_are_clamped_not_panicked() {
        for rate in [1e-300, f64::MIN_POSITIVE, 1e300, f64::INFINITY] {
            let limits = Limits::new(1, Some(rate));
            let h = limits.host(IpAddr::from([127, 0, 0, 1]));
            drop(h.connection().await);
            drop(h.connection().await);
        }
        // NaN is no rate at all.
        assert!(Limits::new(1, Some(f64::NAN)).rate.is_none());
    }

    #[tokio::test(start_paused = true)]
    async fn a_rate_slot_past_the_deadline_is_refused_and_not_spent() {
        let limits = Limits::new(10, Some(0.5));
        let h = limits.host(IpAddr::from([127, 0, 0, 1]));
        let start = Instant::now();
        let deadline = start + Duration::from_secs(3);
        // Slots at 0 s and 2 s fit; the one at 4 s does not, and is refused at once.
        assert!(h.connection_until(deadline).await.is_some());
        assert!(h.connection_until(deadline).await.is_some());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        assert!(h.connection_until(deadline).await.is_none());
        assert_eq!(start.elapsed(), Duration::from_secs(2));
        // The refused slot was not taken: the next caller with time gets 4 s, not 6 s.
        assert!(h
            .connection_until(start + Duration::from_secs(9))
            .await
            .is_some());
        assert_eq!(start.elapsed(), Duration::from_secs(4));
    }

    #[tokio::test(start_paused = true)]
    async fn a_host_slot_is_not_awaited_past_the_deadline() {
        let limits = Limits::new(1, None);
        let h = limits.host(IpAddr::from([127, 0, 0, 1]));
        let _held = h.connection().await;
        let start = Instant::now();
        let got = h.connection_until(start + Duration::from_secs(1)).await;
        assert!(got.is_none());
        assert_eq!(start.elapsed(), Duration::from_secs(1));
    }
}
