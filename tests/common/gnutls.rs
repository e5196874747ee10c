//! GnuTLS `gnutls-serv` on loopback, isolated in its own network namespace.
//!
//! gnutls-serv has no bind-address option: it listens on every interface. So it runs inside a
//! fresh network namespace (`unshare --net`, where only `lo` exists), and two `unixrelay`s carry
//! the bytes out: inside the namespace unix socket -> 127.0.0.1:5556, outside
//! 127.0.0.1:PORT -> unix socket (unix sockets live in the shared filesystem). Nothing but the
//! host's loopback can reach it. Needs root, or unprivileged user namespaces (then
//! `--map-root-user`), and `ip` to bring `lo` up.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;
use fipsprobe::protocol::Protocol;

use super::certs::{CertFiles, CertSource};
use super::go::{go_binary, GoCrypto};
use super::openssl::ExpectedSuite;
use super::process::{failed, require_binary, temp_dir, KillMode, ServerError, ServerProcess};

/// The port gnutls-serv uses inside its private namespace (nothing else is there).
const INNER_PORT: u16 = 5556;

/// A running gnutls-serv and its relays.
pub struct GnutlsServer {
    /// The outside relay: its address is where to connect. Dropped first.
    pub relay: ServerProcess,
    /// gnutls-serv and the inside relay, one process group in the namespace.
    pub inner: ServerProcess,
    /// The certificate it serves.
    pub cert: CertFiles,
}

impl GnutlsServer {
    /// `gnutls-serv --http --priority PRIORITY` with an RSA-2048 certificate.
    pub fn start(priority: &str) -> Result<GnutlsServer, ServerError> {
        GnutlsServer::start_with(priority, KeyKind::Rsa2048, &[])
    }

    /// The general form: certificate key and extra gnutls-serv arguments.
    pub fn start_with(
        priority: &str,
        key: KeyKind,
        extra: &[&str],
    ) -> Result<GnutlsServer, ServerError> {
        let gnutls = require_binary("gnutls-serv", "gnutls-bin")?;
        let unshare = require_binary("unshare", "util-linux")?;
        let ip = require_binary("ip", "iproute2")?;
        let relay = go_binary("unixrelay", GoCrypto::Standard)?;
        let dir = temp_dir("fipsprobe-gnutls-")?;
        let cert = CertFiles::create(dir.path(), "server", CertSource::Rcgen(key))?;
        let socket = dir.path().join("gnutls.sock");

        // Inside the namespace: lo up, gnutls-serv in the background, then the relay, which
        // creates the socket only once gnutls-serv accepts (-wait): the socket means "up".
        let script = r#"set -e
"$IP" link set lo up
"$GNUTLS" --http --priority "$PRIORITY" --x509certfile "$CERT" --x509keyfile "$KEY" -p "$INNER" "$@" &
exec "$RELAY" -wait -listen "unix:$SOCK" -to "tcp:127.0.0.1:$INNER""#;
        let mut cmd = Command::new(unshare);
        if !is_root() {
            // Unprivileged: a user namespace maps us to root inside, which may create the netns.
            cmd.arg("--map-root-user");
        }
        cmd.args(["--net", "--", "sh", "-c", script, "gnutls-ns"])
            .args(extra)
            .env("IP", ip)
            .env("GNUTLS", gnutls)
            .env("PRIORITY", priority)
            .env("CERT", &cert.cert)
            .env("KEY", &cert.key)
            .env("INNER", INNER_PORT.to_string())
            .env("RELAY", &relay)
            .env("SOCK", &socket);
        let socket_probe = socket.clone();
        let inner = ServerProcess::start_until(
            "gnutls-serv (in netns)",
            cmd,
            SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
            KillMode::Group,
            Duration::from_secs(15),
            &move |_| socket_probe.exists(),
        )?;

        let relay_process = ServerProcess::start_with_retry(
            "unixrelay",
            KillMode::Pid,
            Duration::from_secs(10),
            |port| {
                let mut cmd = Command::new(&relay);
                cmd.args(["-listen", &format!("tcp:127.0.0.1:{port}")])
                    .arg("-to")
                    .arg(format!("unix:{}", socket.display()));
                Ok((cmd, temp_dir("fipsprobe-relay-")?))
            },
        )?;
        Ok(GnutlsServer {
            relay: relay_process,
            inner,
            cert,
        })
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.relay.addr
    }
}

/// Whether we run as root (real uid 0), from /proc/self/status (std has no getuid).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|ids| ids.split_whitespace().next().map(|uid| uid == "0"))
        })
        .unwrap_or(false)
}

/// The suites a `gnutls-serv --priority PRIORITY` with a `key` certificate accepts in `version`,
/// in priority order, from `gnutls-cli -l --priority`. Suites the certificate cannot
/// authenticate, and PSK/SRP suites (never configured here), are left out.
pub fn expected_suites(
    priority: &str,
    version: Protocol,
    key: KeyKind,
) -> Result<Vec<ExpectedSuite>, ServerError> {
    let cli = require_binary("gnutls-cli", "gnutls-bin")?;
    let output = Command::new(cli)
        .args(["-l", "--priority", priority])
        .output()
        .map_err(|e| failed("running gnutls-cli -l", e))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(ServerError::Failed(format!(
            "gnutls-cli -l --priority {priority:?} failed: {text}"
        )));
    }
    let wanted = match version {
        Protocol::Ssl2 => return Ok(Vec::new()),
        Protocol::Ssl3 => "VERS-SSL3.0",
        Protocol::Tls10 => "VERS-TLS1.0",
        Protocol::Tls11 => "VERS-TLS1.1",
        Protocol::Tls12 => "VERS-TLS1.2",
        Protocol::Tls13 => "VERS-TLS1.3",
    };
    let enabled = text
        .lines()
        .find_map(|l| l.strip_prefix("Protocols:"))
        .is_some_and(|list| list.split(',').any(|v| v.trim() == wanted));
    if !enabled {
        return Ok(Vec::new());
    }
    let rank = |label: &str| match label {
        "SSL3.0" => Some(Protocol::Ssl3),
        "TLS1.0" => Some(Protocol::Tls10),
        "TLS1.1" => Some(Protocol::Tls11),
        "TLS1.2" => Some(Protocol::Tls12),
        "TLS1.3" => Some(Protocol::Tls13),
        _ => None,
    };
    let mut suites = Vec::new();
    for line in text.lines() {
        // `TLS_ECDHE_RSA_AES_256_GCM_SHA384   \t0xc0, 0x30\tTLS1.2` (the minimum version)
        let fields: Vec<&str> = line.split('\t').map(str::trim).collect();
        let [name, hex, min] = fields[..] else {
            continue;
        };
        let Some(min) = rank(min) else { continue };
        let fits = if version == Protocol::Tls13 {
            min == Protocol::Tls13
        } else {
            min <= version && min != Protocol::Tls13
        };
        let bytes: Vec<u8> = hex
            .split(',')
            .filter_map(|b| u8::from_str_radix(b.trim().trim_start_matches("0x"), 16).ok())
            .collect();
        let [high, low] = bytes[..] else { continue };
        if fits && authenticates(name, key) {
            suites.push(ExpectedSuite {
                code: u16::from_be_bytes([high, low]),
                iana: iana_name(name),
                openssl: String::new(),
            });
        }
    }
    Ok(suites)
}

/// Whether a `key` certificate can serve the GnuTLS-named suite.
fn authenticates(name: &str, key: KeyKind) -> bool {
    if name.contains("_PSK_") || name.contains("_SRP_") {
        return false;
    }
    let tls13 = !name.contains("_RSA_")
        && !name.contains("_ECDSA_")
        && !name.contains("_DSS_")
        && !name.contains("_ANON_");
    tls13
        || name.contains("_ANON_")
        || (key.is_rsa() && name.contains("_RSA_"))
        || (!key.is_rsa() && name.contains("_ECDSA_"))
}

/// GnuTLS drops the `WITH_` of IANA names (`TLS_ECDHE_RSA_AES_256_GCM_SHA384`) and writes
/// `SHA1` for `SHA`; put them back, and spell anonymous suites as IANA does (`TLS_DH_anon_WITH_...`).
fn iana_name(gnutls: &str) -> String {
    let gnutls = match gnutls.strip_suffix("_SHA1") {
        Some(stem) => format!("{stem}_SHA"),
        None => gnutls.to_string(),
    };
    const KX: [&str; 7] = [
        "TLS_ECDHE_ECDSA_",
        "TLS_ECDHE_RSA_",
        "TLS_DHE_RSA_",
        "TLS_DHE_DSS_",
        "TLS_RSA_",
        "TLS_DH_ANON_",
        "TLS_ECDH_ANON_",
    ];
    for kx in KX {
        if let Some(rest) = gnutls.strip_prefix(kx) {
            let kx = kx.replace("_ANON_", "_anon_");
            return format!("{kx}WITH_{rest}");
        }
    }
    gnutls
}
