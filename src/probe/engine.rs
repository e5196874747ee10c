//! The scan engine: pulls planned endpoints from the lazy target stream and runs each through
//! two stages, streaming each result as it finishes. It never prints; `main` decides where
//! results go.
//!
//! - the connect stage (`connect_concurrency` at once) runs the connect sweep
//!   (`probe::connect`). Closed and filtered addresses end here, so addresses that never answer
//!   hold only connect slots, never the slots of endpoints that do;
//! - the probe stage (`concurrency` at once) probes the endpoints that answered, on the
//!   connection the sweep opened when a probe slot is free at once. Otherwise that connection
//!   is closed (the first hello opens another) and the endpoint waits for a slot, keeping its
//!   connect slot so that the stages stay bounded: no server holds an idle connection of ours
//!   while we wait, and no wait holds a slot of the per-host cap.
//!
//! Memory is bounded by the two caps and the channels between them: a /16 is never held.

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

use crate::model::{ConnError, EndpointId, Observation};
use crate::probe::connect::{self, Opened};
use crate::probe::endpoint::{self, ProbeConfig};
use crate::probe::limits::{HostHandle, Limits};
use crate::targets::{EndpointSpec, Planned};

/// Connect sweeps at once per endpoint probed at once, by default.
pub const CONNECT_FACTOR: usize = 4;

/// Engine settings.
#[derive(Clone, Debug)]
pub struct ScanConfig {
    /// Per-endpoint timeouts, retries and versions.
    pub probe: ProbeConfig,
    /// Endpoints probed at once.
    pub concurrency: usize,
    /// Connect sweeps at once (the connect stage).
    pub connect_concurrency: usize,
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
            connect_concurrency: 256 * CONNECT_FACTOR,
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

/// Caps the connect stage so that its connections fit beside the probe stage's (`concurrency`
/// endpoints of `per_host` connections each) within the open-files limit.
pub fn fit_connect_concurrency(connect: usize, concurrency: usize, per_host: usize) -> usize {
    let limit = rlimit::increase_nofile_limit(u64::MAX).unwrap_or(1024);
    let usable = usize::try_from(limit.saturating_sub(64)).unwrap_or(usize::MAX);
    let probing = concurrency.saturating_mul(per_host.max(1));
    connect.min(usable.saturating_sub(probing).max(1)).max(1)
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
        let connects = Arc::new(Semaphore::new(cfg.connect_concurrency.max(1)));
        let probes = Arc::new(Semaphore::new(cfg.concurrency.max(1)));
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
                p = Arc::clone(&connects).acquire_owned() => match p {
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
                    let stages = Stages {
                        host: limits.host(spec.ip),
                        spec,
                        cfg: Arc::clone(&probe_cfg),
                        abort: stop.abort.clone(),
                        probes: Arc::clone(&probes),
                        tx: tx.clone(),
                    };
                    tokio::spawn(stages.run(permit));
                }
            }
        }
    });
    rx
}

/// One endpoint on its way through the two stages.
struct Stages {
    spec: EndpointSpec,
    host: HostHandle,
    cfg: Arc<ProbeConfig>,
    abort: CancellationToken,
    probes: Arc<Semaphore>,
    tx: mpsc::Sender<Observation>,
}

impl Stages {
    async fn run(self, connect_slot: OwnedSemaphorePermit) {
        let started = Instant::now();
        let swept = connect::sweep(
            self.spec.port,
            self.spec.explicit,
            &self.cfg,
            &self.host,
            &self.abort,
        )
        .await;
        let connecting = started.elapsed();
        let stream = match swept {
            Ok(stream) => stream,
            Err(e) => {
                let result = endpoint::connect_failed(&self.spec, &self.cfg, e, connecting);
                drop(self.host);
                // The connect slot is held until the result is handed over, so a slow
                // consumer slows the scan instead of piling up results in memory.
                let _ = self.tx.send(result).await;
                drop(connect_slot);
                return;
            }
        };
        let (opened, probe_slot) = match Arc::clone(&self.probes).try_acquire_owned() {
            Ok(slot) => (Opened::Stream(stream), Some(slot)),
            Err(_) => {
                // The probe stage is full: the connection is closed, and its slot of the
                // per-host cap given back, before waiting (an endpoint being probed on the
                // same address may need that slot to finish and free a probe slot).
                drop(stream);
                self.host.unpark();
                (Opened::Answered, self.probe_slot().await)
            }
        };
        drop(connect_slot);
        // Boxed: the probe's state is large (its sweeps' buffers), and a task of the connect
        // stage should not carry room for it while it only connects.
        Box::pin(self.finish(opened, connecting)).await;
        drop(probe_slot);
    }

    /// Waits for a probe slot; none only when the scan is being aborted.
    async fn probe_slot(&self) -> Option<OwnedSemaphorePermit> {
        let slots = Arc::clone(&self.probes);
        tokio::select! {
            s = slots.acquire_owned() => s.ok(),
            () = self.abort.cancelled() => None,
        }
    }

    async fn finish(self, opened: Opened, connecting: Duration) {
        let result = endpoint::probe_opened(
            &self.spec,
            &self.cfg,
            &self.host,
            &self.abort,
            opened,
            connecting,
        )
        .await;
        drop(self.host);
        let _ = self.tx.send(result).await;
    }
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

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::SocketAddr;

    use super::*;
    use crate::demo;
    use crate::model::Status;

    fn spec(addr: SocketAddr) -> Planned {
        Planned::Endpoint(EndpointSpec {
            target: addr.to_string().into(),
            host: addr.ip().to_string().into(),
            ip: addr.ip(),
            port: addr.port(),
            sni: None,
            explicit: true,
        })
    }

    /// One probe slot and one connection per host, three endpoints on one address: the
    /// connections the connect stage opened must not starve the endpoint being probed of its
    /// host's only connection while they wait for the probe slot.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn one_probe_slot_and_one_connection_per_host_still_finish() {
        let spec_tls = demo::kube_apiserver_fips();
        let mut servers = Vec::new();
        for _ in 0..3 {
            servers.push(
                demo::spawn(&spec_tls, "127.0.0.1:0".parse().unwrap())
                    .await
                    .unwrap(),
            );
        }
        let (tx, rx) = mpsc::channel(8);
        for s in &servers {
            tx.send(spec(s.addr)).await.unwrap();
        }
        drop(tx);
        let cfg = ScanConfig {
            probe: ProbeConfig {
                extras: false,
                ..ProbeConfig::default()
            },
            concurrency: 1,
            connect_concurrency: 4,
            per_host: 1,
            rate: None,
        };
        let mut results = spawn(rx, cfg, Stop::default());
        let mut seen = Vec::new();
        let all = async {
            while let Some(obs) = results.recv().await {
                seen.push((obs.id.port, obs.status));
            }
        };
        tokio::time::timeout(Duration::from_secs(60), all)
            .await
            .expect("the engine finishes");
        seen.sort_unstable_by_key(|(port, _)| *port);
        let mut want: Vec<(u16, Status)> = servers
            .iter()
            .map(|s| (s.addr.port(), Status::Tls))
            .collect();
        want.sort_unstable_by_key(|(port, _)| *port);
        assert_eq!(seen, want);
    }
}
