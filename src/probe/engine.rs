//! The scan engine: pulls planned endpoints from the lazy target stream, probes up to
//! `concurrency` of them at once, and streams each result as it finishes. It never prints;
//! `main` decides where results go.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;

use tokio::sync::{mpsc, Semaphore};
use tokio_util::sync::CancellationToken;

use crate::model::{ConnError, EndpointId, Observation};
use crate::probe::endpoint::{self, ProbeConfig};
use crate::probe::limits::Limits;
use crate::targets::Planned;

/// Engine settings.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Per-endpoint timeouts, retries and versions.
    pub probe: ProbeConfig,
    /// Endpoints probed at once.
    pub concurrency: usize,
    /// Connections at once to one address.
    pub per_host: usize,
    /// New connections per second over the whole scan (None: unlimited).
    pub rate: Option<f64>,
}

impl Default for ScanConfig {
    fn default() -> Self {
        ScanConfig {
            probe: ProbeConfig::default(),
            concurrency: 256,
            per_host: 4,
            rate: None,
        }
    }
}

/// How a scan is stopped: `drain` stops taking new endpoints and lets the running ones
/// finish; `abort` makes the running ones stop at their next step and report what they have.
#[derive(Clone, Debug, Default)]
pub struct Stop {
    /// Take no new endpoints.
    pub drain: CancellationToken,
    /// Abandon in-flight endpoints.
    pub abort: CancellationToken,
}

/// Raises the soft open-files limit to the hard one and caps `concurrency` so that every
/// endpoint's connections fit, leaving room for the resolver and output files.
pub fn fit_concurrency(concurrency: usize, per_host: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let usable = usize::try_from(limit.saturating_sub(64)).unwrap_or(usize::MAX);
    concurrency.min((usable / per_host.max(1)).max(1)).max(1)
}

/// Starts the engine; results arrive on the returned channel in completion order, and the
/// channel closes when every planned endpoint is done (or the scan was stopped).
pub fn spawn(
    mut targets: mpsc::Receiver<Planned>,
    cfg: ScanConfig,
    stop: Stop,
) -> mpsc::Receiver<Observation> {
    let (tx, rx) = mpsc::channel(1024);
    tokio::spawn(async move {
        let limits = Limits::new(cfg.per_host, cfg.rate);
        let slots = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
        let probe_cfg = Arc::new(cfg.probe);
        loop {
            let planned = tokio::select! {
                biased;
                () = stop.drain.cancelled() => break,
                p = targets.recv() => p,
            };
            let Some(planned) = planned else { break };
            let permit = tokio::select! {
                biased;
                () = stop.drain.cancelled() => break,
                p = Arc::clone(&slots).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
            };
            match planned {
                Planned::Unresolved {
                    target,
                    port,
                    error,
                } => {
                    drop(permit);
                    if tx.send(unresolved(target, port, error)).await.is_err() {
                        break;
                    }
                }
                Planned::Endpoint(spec) => {
                    let host = limits.host(spec.ip);
                    let tx = tx.clone();
                    let probe_cfg = Arc::clone(&probe_cfg);
                    let abort = stop.abort.clone();
                    tokio::spawn(async move {
                        let result = endpoint::probe(&spec, &probe_cfg, &host, &abort).await;
                        drop(host);
                        // The slot is held until the result is handed over, so a slow
                        // consumer slows the scan instead of piling up results in memory.
                        let _ = tx.send(result).await;
                        drop(permit);
                    });
                }
            }
        }
    });
    rx
}

/// A named target that did not resolve: reported, and it makes the scan incomplete.
fn unresolved(target: String, port: u16, error: String) -> Observation {
    let id = EndpointId {
        explicit: true,
        service: crate::targets::service_for_port(port).map(str::to_string),
        // The report keeps `ip` a plain address; an unresolved name has none.
        ..EndpointId::new(
            target.clone(),
            target,
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            port,
        )
    };
    Observation::failed(id, ConnError::Unresolved(error))
}
