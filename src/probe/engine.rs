//! The scan engine: pulls planned endpoints from the lazy target stream and runs each through
//! two stages, streaming each result as it finishes. It never prints; `main` decides where
//! results go.
//!
//! - the connect stage (`connect_concurrency` at once) runs the connect sweep
//!   (`probe::connect`). Closed and filtered addresses end here, so addresses that never answer
//!   hold only connect slots, never the slots of endpoints that do;
//! - the probe stage (`concurrency` at once) probes the endpoints that answered, on the
//!   connection the sweep opened. An endpoint keeps its connect slot until a probe slot is
//!   free, so the stages stay bounded; its connection is kept open for [`HANDOFF_FRESH`] at
//!   most, then closed (its first hello opens another), so that no server holds an idle
//!   connection of ours for long, and its slot of the per-host cap is not held by a wait.
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

/// How long a connection the connect sweep opened may wait for a probe slot before it is
/// closed: well inside the idle timeouts servers give a client that has sent nothing (nginx
/// 60 s, Go's TLS handshake 10 s).
pub const HANDOFF_FRESH: Duration = Duration::from_secs(1);

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
        let (opened, probe_slot) = match self.probe_slot().await {
            (Some(slot), true) => (Opened::Stream(stream), Some(slot)),
            (slot, _) => {
                drop(stream);
                self.host.unpark();
                (Opened::Answered, slot)
            }
        };
        drop(connect_slot);
        // Boxed: the probe's state is large (its sweeps' buffers), and a task of the connect
        // stage should not carry room for it while it only connects.
        Box::pin(self.finish(opened, connecting)).await;
        drop(probe_slot);
    }

    /// Waits for a probe slot; `true` when it came while the sweep's connection is still
    /// fresh. No slot only when the scan is being aborted.
    async fn probe_slot(&self) -> (Option<OwnedSemaphorePermit>, bool) {
        let slots = Arc::clone(&self.probes);
        if let Ok(Ok(slot)) = tokio::time::timeout(HANDOFF_FRESH, slots.acquire_owned()).await {
            return (Some(slot), true);
        }
        let slots = Arc::clone(&self.probes);
        tokio::select! {
            s = slots.acquire_owned() => (s.ok(), false),
            () = self.abort.cancelled() => (None, false),
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
