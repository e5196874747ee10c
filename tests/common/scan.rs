//! One way for every test to scan an endpoint: probe it with the library, grade it under a
//! bundled policy, and join the report entry exactly as a scan does (`model::Endpoint::new`).
//! Tests read the report entry (what users see) and regrade the observation when they need
//! another policy.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use fipsprobe::model::{Endpoint, Observation, Severity};
use fipsprobe::policy::{grade, Policy, Waivers};
use fipsprobe::probe::limits::Limits;
use fipsprobe::probe::{probe, ProbeConfig};
use fipsprobe::protocol::Protocol;
use fipsprobe::targets::EndpointSpec;
use tokio_util::sync::CancellationToken;

/// An explicitly named endpoint at `addr`, with `sni` if given.
pub fn spec(addr: SocketAddr, sni: Option<&str>) -> EndpointSpec {
    EndpointSpec {
        target: addr.to_string().into(),
        host: sni
            .map_or_else(|| addr.ip().to_string(), str::to_string)
            .into(),
        ip: addr.ip(),
        port: addr.port(),
        sni: sni.map(Into::into),
        explicit: true,
    }
}

/// Probes `addr` with `cfg` and `per_host` connections at once; returns the observation and
/// the wall time.
pub async fn observe_with(
    addr: SocketAddr,
    cfg: &ProbeConfig,
    per_host: usize,
) -> (Observation, Duration) {
    let limits = Limits::new(per_host, None);
    let started = Instant::now();
    let obs = probe(
        &spec(addr, None),
        cfg,
        &limits.host(addr.ip()),
        &CancellationToken::new(),
    )
    .await;
    (obs, started.elapsed())
}

/// Probes `addr` with the default settings.
pub async fn observe(addr: SocketAddr) -> Observation {
    observe_with(addr, &ProbeConfig::default(), 4).await.0
}

/// The report entry of `obs` graded under the bundled policy `policy` (no waivers, today).
pub fn graded(obs: &Observation, policy: &str) -> Endpoint {
    let policy = Policy::load(policy).expect("bundled policy");
    let today = time::OffsetDateTime::now_utc().date();
    let grade = grade(&policy, obs, &Waivers::none(), today);
    Endpoint::new(obs.clone(), grade)
}

/// Probes `addr` with the default settings and grades it under fips-140-3.
pub async fn scan(addr: SocketAddr) -> Endpoint {
    graded(&observe(addr).await, "fips-140-3")
}

/// [`scan`] on a runtime of its own, for tests that start blocking servers.
pub fn scan_blocking(addr: SocketAddr) -> Endpoint {
    runtime().block_on(scan(addr))
}

/// [`observe`] on a runtime of its own.
pub fn observe_blocking(addr: SocketAddr) -> Observation {
    runtime().block_on(observe(addr))
}

/// A multi-threaded runtime, as the binary uses.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// The accepted suite codes of version `v`, in the order reported.
pub fn codes(e: &Endpoint, v: Protocol) -> Vec<u16> {
    e.protocols
        .get(&v)
        .map(|p| {
            p.suites
                .iter()
                .map(|s| u16::try_from(s.code.0).expect("two-byte suite"))
                .collect()
        })
        .unwrap_or_default()
}

/// The finding ids, in order.
pub fn ids(e: &Endpoint) -> Vec<&str> {
    e.findings.iter().map(|f| f.id.as_str()).collect()
}

/// `(id, severity, item)` of every finding.
pub fn findings(e: &Endpoint) -> Vec<(String, Severity, Option<String>)> {
    e.findings
        .iter()
        .map(|f| (f.id.clone(), f.severity, f.item.clone()))
        .collect()
}

/// The report entry as JSON (what a user reads), for checks by key.
pub fn json(e: &Endpoint) -> serde_json::Value {
    serde_json::to_value(e).expect("endpoint serialises")
}

/// What the signature-scheme sweeps cost by `src/probe/schemes.rs`'s plan, from the schemes
/// the scan found (the conformance tests check those lists against the one-scheme-per-hello
/// reference; here only the plan's cost is checked): in TLS 1.2 with a signed suite, one hello
/// per scheme found, a final refusal per key type of the signed suites, and the hello without
/// signature_algorithms; in TLS 1.3, one per scheme found and the final refusal, less the one
/// the certificate handshake already made when no TLS 1.2 or older flight showed the chain.
pub fn scheme_hellos(e: &Endpoint) -> u32 {
    use fipsprobe::protocol::Protocol;
    let db = fipsprobe::cipher_db::db();
    let found = |v: Protocol| {
        e.extensions
            .signature_schemes_by_version
            .get(&v)
            .map_or(0, |l| l.len() as u32)
    };
    let mut cost = 0;
    if let Some(p) = e.protocols.get(&Protocol::Tls12) {
        let codes: Vec<u16> = p.suites.iter().filter_map(|s| s.code.two_byte()).collect();
        let signed = fipsprobe::probe::schemes::signed_suites(&codes);
        if !signed.is_empty() {
            let kinds: std::collections::BTreeSet<String> = signed
                .iter()
                .filter_map(|c| db.suite(*c).map(|s| format!("{:?}", s.auth)))
                .collect();
            cost += found(Protocol::Tls12) + kinds.len() as u32 + 1;
        }
    }
    if e.protocols.contains_key(&Protocol::Tls13) {
        let cleartext = e.protocols.keys().any(|v| *v < Protocol::Tls13);
        cost += found(Protocol::Tls13) + 1 - u32::from(!cleartext);
    }
    cost
}

/// What the credential recheck costs by `src/probe/plan.rs`'s rule, from the report: one hello
/// per version from SSLv3 to TLS 1.2 whose sweep ended on an alert other than protocol_version
/// to a hello mixing credential suites (PSK, SRP, ...: offered last, never accepted by these
/// servers) with ordinary ones, unless the server follows the client's order. A version with
/// suites ends on such an alert once they are exhausted (every stack tested answers
/// handshake_failure then), so: every accepted version in server order, and, unless some
/// version of the endpoint is in client order, every version with one suite and every version
/// refused by such an alert. The credential suites' own hello, made only when the recheck
/// found suites the mixed refusal hid, is each such test's to count.
pub fn credential_rechecks(e: &Endpoint) -> u32 {
    use fipsprobe::protocol::Protocol;
    let client_order = e.protocols.values().any(|p| p.server_order == Some(false));
    let mut cost = 0;
    for v in [
        Protocol::Ssl3,
        Protocol::Tls10,
        Protocol::Tls11,
        Protocol::Tls12,
    ] {
        let due = if let Some(p) = e.protocols.get(&v) {
            match p.server_order {
                Some(true) => true,
                Some(false) => false,
                None => !client_order,
            }
        } else if let Some(why) = e.refused.get(&v) {
            why.starts_with("alert ") && why != "alert protocol_version" && !client_order
        } else {
            false
        };
        cost += u32::from(due);
    }
    cost
}
