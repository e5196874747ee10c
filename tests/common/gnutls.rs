//! GnuTLS `gnutls-serv` on loopback, isolated in its own network namespace.
//!
//! gnutls-serv has no bind-address option: it listens on every interface. So it runs inside a
//! fresh network namespace (`unshare --net`, where only `lo` exists), and two `unixrelay`s carry
//! the bytes out: inside the namespace unix socket -> 127.0.0.1:5556, outside
//! 127.0.0.1:PORT -> unix socket (unix sockets live in the shared filesystem). Nothing but the
//! host's loopback can reach it. Needs root (or user namespaces) and `ip` to bring `lo` up.

use std::net::SocketAddr;
use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::go::{go_binary, GoCrypto};
use super::process::{require_binary, temp_dir, KillMode, ServerError, ServerProcess};

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
            &move || socket_probe.exists(),
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
