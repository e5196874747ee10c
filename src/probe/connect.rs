//! The connect sweep: the first contact with an endpoint is one TCP connect, before any hello,
//! so that closed and filtered addresses cost a SYN and no more. The engine runs it as a stage
//! of its own (`probe::engine`) and hands the open connection to the probe.
//!
//! Each attempt waits what the scan's connect figures say (`probe::rtt`): the host's, its
//! network's or the scan's SRTT + 4·RTTVAR, twice as long on each retry, never longer than
//! `--connect-timeout`, and asked again while it waits, so that a connect begun before anything
//! had answered is cut short once something has. A timeout is never a refusal: it ends as
//! `timeout` (`ConnError::ConnectTimeout`), a gap, after `--retries` retries (more on a path
//! where connects have needed retries to get through: `probe::rtt`). When nothing is
//! known, the wait is the full limit, and then, as before these figures, a member of a range
//! gets no retry (a silent address there is normal, and a second full wait would double the
//! cost of every filtered one) while a target named explicitly gets its retries.

use std::future::Future;
use std::io;

use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

use crate::model::ConnError;
use crate::probe::conn;
use crate::probe::endpoint::ProbeConfig;
use crate::probe::limits::HostHandle;
use crate::probe::retry;
use crate::probe::rtt::Leg;

/// What the connect stage found before the probe began.
#[derive(Debug)]
pub enum Opened {
    /// Nothing yet: the probe runs the connect sweep itself.
    NotYet,
    /// The sweep's connection, open, its slot parked on the endpoint's host handle.
    Stream(TcpStream),
    /// The port answered, but its connection was closed unused while the endpoint waited
    /// for a probe slot: the first hello opens a new one.
    Answered,
}

/// Connects to the endpoint at `port` of `host`; on success the connection's slot stays
/// parked on `host` (`HostHandle::park`) for the first hello.
pub async fn sweep(
    port: u16,
    explicit: bool,
    cfg: &ProbeConfig,
    host: &HostHandle,
    abort: &CancellationToken,
) -> Result<TcpStream, ConnError> {
    let addr = std::net::SocketAddr::new(host.ip(), port);
    let stream = sweep_with(explicit, cfg, host, abort, || conn::dial(addr)).await?;
    conn::ready(&stream);
    Ok(stream)
}

/// [`sweep`] over any connector (tests script one).
pub async fn sweep_with<S, F, Fut>(
    explicit: bool,
    cfg: &ProbeConfig,
    host: &HostHandle,
    abort: &CancellationToken,
    mut connector: F,
) -> Result<S, ConnError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = io::Result<S>>,
{
    let ip = host.ip();
    let limit = cfg.connect_timeout;
    let mut attempt = 0u32;
    loop {
        if abort.is_cancelled() {
            return Err(ConnError::Aborted);
        }
        let permit = tokio::select! {
            p = host.connection() => p,
            () = abort.cancelled() => return Err(ConnError::Aborted),
        };
        let waits = || host.rtt().connect_timeout(ip, attempt, limit);
        let timed = tokio::select! {
            t = conn::connect_with(connector(), waits) => t,
            () = abort.cancelled() => return Err(ConnError::Aborted),
        };
        let e = match timed {
            Ok((stream, took)) => {
                host.rtt().record(ip, Leg::Connect, took);
                host.rtt().connected_on(attempt);
                host.park(permit);
                return Ok(stream);
            }
            Err((ConnError::Refused, took)) => {
                // A reset is an answer too: the path's round trip.
                host.rtt().record(ip, Leg::Connect, took);
                return Err(ConnError::Refused);
            }
            Err((e, _)) => e,
        };
        drop(permit);
        // A wait shorter than the limit was the figures' guess; the next one doubles, and a
        // lossy path buys guesses more retries (`probe::rtt`).
        let guessed = matches!(e, ConnError::ConnectTimeout(waited) if waited < limit);
        let retries = if guessed {
            host.rtt().connect_retries(cfg.retries)
        } else {
            cfg.retries
        };
        let again = e.is_transient() && attempt < retries && (explicit || guessed);
        if !again {
            return Err(e);
        }
        attempt += 1;
        if !guessed {
            retry::backoff(attempt).await;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::IpAddr;
    use std::time::Duration;

    use tokio::time::Instant;

    use super::*;
    use crate::probe::limits::Limits;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    /// A connector that answers after `delay`, or never when `None`.
    fn scripted(
        delay: Option<Duration>,
    ) -> impl FnMut() -> std::pin::Pin<Box<dyn Future<Output = io::Result<()>>>> {
        move || {
            Box::pin(async move {
                match delay {
                    Some(d) => {
                        tokio::time::sleep(d).await;
                        Ok(())
                    }
                    None => std::future::pending().await,
                }
            })
        }
    }

    fn cfg() -> ProbeConfig {
        ProbeConfig::default()
    }

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([10, 0, 0, last])
    }

    #[tokio::test(start_paused = true)]
    async fn a_filtered_neighbour_of_a_20ms_network_is_given_up_in_300ms() {
        let limits = Limits::new(4, None);
        let never = CancellationToken::new();
        for h in 1..=8 {
            let host = limits.host(ip(h));
            let r = sweep_with(false, &cfg(), &host, &never, scripted(Some(ms(20)))).await;
            assert!(r.is_ok());
        }
        let filtered = limits.host(ip(200));
        let start = Instant::now();
        let r = sweep_with(false, &cfg(), &filtered, &never, scripted(None)).await;
        // Two attempts: 100 ms (the floor above 20 ms + 4·RTTVAR), then 200 ms.
        assert_eq!(r, Err(ConnError::ConnectTimeout(ms(200))));
        assert_eq!(start.elapsed(), ms(300));
        // Named explicitly, the same.
        let start = Instant::now();
        let r = sweep_with(true, &cfg(), &filtered, &never, scripted(None)).await;
        assert!(r.is_err());
        assert_eq!(start.elapsed(), ms(300));
    }

    #[tokio::test(start_paused = true)]
    async fn nothing_known_waits_the_limit_once_in_a_range_and_retries_when_named() {
        let limits = Limits::new(4, None);
        let never = CancellationToken::new();
        let host = limits.host(ip(1));
        let start = Instant::now();
        let r = sweep_with(false, &cfg(), &host, &never, scripted(None)).await;
        assert_eq!(r, Err(ConnError::ConnectTimeout(ms(3000))));
        assert_eq!(start.elapsed(), ms(3000));
        let start = Instant::now();
        let r = sweep_with(true, &cfg(), &host, &never, scripted(None)).await;
        assert!(r.is_err());
        // Two full waits and the 100 ms back-off between them.
        assert_eq!(start.elapsed(), ms(6100));
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_begun_in_ignorance_is_cut_short_by_what_is_learned_meanwhile() {
        let limits = Limits::new(4, None);
        let never = CancellationToken::new();
        let filtered = limits.host(ip(9));
        let learn = async {
            tokio::time::sleep(ms(500)).await;
            limits.rtt().record(ip(1), Leg::Connect, ms(20));
        };
        let start = Instant::now();
        let cfg = cfg();
        let (r, ()) = tokio::join!(
            sweep_with(false, &cfg, &filtered, &never, scripted(None)),
            learn
        );
        assert!(r.is_err());
        // At 500 ms the network's figures appear: the first wait (100 ms) is long over, so it
        // ends at the next check (50 ms later at most); the retry waits 200 ms.
        let took = start.elapsed();
        assert!(took >= ms(700) && took <= ms(750), "{took:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_host_is_found_by_the_doubling_retry_and_raises_its_figures() {
        let limits = Limits::new(4, None);
        let never = CancellationToken::new();
        for h in 1..=8 {
            let host = limits.host(ip(h));
            assert!(
                sweep_with(false, &cfg(), &host, &never, scripted(Some(ms(20))))
                    .await
                    .is_ok()
            );
        }
        // 150 ms away: the first 100 ms wait is too short, the second (200 ms) is not.
        let slow = limits.host(ip(50));
        let mut calls = 0;
        let r = sweep_with(false, &cfg(), &slow, &never, || {
            calls += 1;
            scripted(Some(ms(150)))()
        })
        .await;
        assert!(r.is_ok());
        assert_eq!(calls, 2);
        let (scope, estimate) = limits.rtt().best(ip(50), Leg::Connect).unwrap();
        assert_eq!(scope, crate::probe::rtt::Scope::Host);
        assert_eq!(estimate.srtt(), ms(150));
    }

    #[tokio::test(start_paused = true)]
    async fn a_path_that_lost_a_syn_gives_every_connect_a_third_attempt() {
        let limits = Limits::new(4, None);
        let never = CancellationToken::new();
        for h in 1..=8 {
            let host = limits.host(ip(h));
            assert!(
                sweep_with(false, &cfg(), &host, &never, scripted(Some(ms(20))))
                    .await
                    .is_ok()
            );
        }
        // A live host whose first SYN was lost: it answers the second attempt.
        let lossy = limits.host(ip(30));
        let mut calls = 0;
        let r = sweep_with(false, &cfg(), &lossy, &never, || {
            calls += 1;
            scripted(if calls == 1 { None } else { Some(ms(20)) })()
        })
        .await;
        assert!(r.is_ok());
        // Now a filtered address gets 100 + 200 + 400 ms, and a live one that loses two SYNs
        // in a row is still found.
        let filtered = limits.host(ip(200));
        let start = Instant::now();
        let r = sweep_with(false, &cfg(), &filtered, &never, scripted(None)).await;
        assert!(r.is_err());
        assert_eq!(start.elapsed(), ms(700));
        let unlucky = limits.host(ip(31));
        let mut calls = 0;
        let r = sweep_with(false, &cfg(), &unlucky, &never, || {
            calls += 1;
            scripted(if calls <= 2 { None } else { Some(ms(20)) })()
        })
        .await;
        assert!(r.is_ok());
        assert_eq!(calls, 3);
    }

    #[tokio::test(start_paused = true)]
    async fn a_refusal_is_final_and_teaches_the_round_trip() {
        let limits = Limits::new(4, None);
        let never = CancellationToken::new();
        let host = limits.host(ip(3));
        let r: Result<(), _> = sweep_with(true, &cfg(), &host, &never, || async {
            tokio::time::sleep(ms(5)).await;
            Err(io::Error::from(io::ErrorKind::ConnectionRefused))
        })
        .await;
        assert_eq!(r, Err(ConnError::Refused));
        assert!(limits.rtt().best(ip(4), Leg::Connect).is_some());
    }
}
