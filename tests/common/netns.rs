//! Servers that cannot choose their bind address (NSS `selfserv`, `botan tls_server` listen on
//! every interface) run inside a private network namespace of their own, reached from the test
//! through two `unixrelay`s: inside, unix socket -> 127.0.0.1:[`INNER_PORT`]; outside,
//! 127.0.0.1:PORT -> unix socket. Nothing they open is reachable from any network. The inside
//! relay creates its socket only once the server accepts, so the socket appearing means "up".

use std::ffi::OsString;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use tempfile::TempDir;

use super::go::{go_binary, GoCrypto};
use super::process::{require_binary, temp_dir, KillMode, ServerError, ServerProcess};

/// The port the server listens on inside its namespace.
pub const INNER_PORT: u16 = 5556;

/// A server in its own network namespace and the relay in front of it.
pub struct NetnsServer {
    /// The outside relay: its address is where to connect. Dropped first.
    pub relay: ServerProcess,
    /// The server and the inside relay, one process group in the namespace.
    pub inner: ServerProcess,
}

impl NetnsServer {
    /// Starts `program args` (which must listen on [`INNER_PORT`]) in a new network namespace,
    /// with `envs`, its files in `dir`, waiting `deadline` for it to accept.
    pub fn start(
        name: &str,
        program: &PathBuf,
        args: &[OsString],
        envs: &[(&str, OsString)],
        dir: TempDir,
        deadline: Duration,
    ) -> Result<NetnsServer, ServerError> {
        let unshare = require_binary("unshare", "util-linux")?;
        let ip = require_binary("ip", "iproute2")?;
        let relay = go_binary("unixrelay", GoCrypto::Standard)?;
        let socket = dir.path().join("server.sock");
        let script = r#"set -e
"$IP" link set lo up
"$@" &
exec "$RELAY" -wait -listen "unix:$SOCK" -to "tcp:127.0.0.1:$INNER""#;
        let mut cmd = Command::new(unshare);
        if !is_root() {
            // Unprivileged: a user namespace maps us to root inside, which may create the netns.
            cmd.arg("--map-root-user");
        }
        cmd.args(["--net", "--", "sh", "-c", script, "netns"])
            .arg(program)
            .args(args)
            .current_dir(dir.path())
            .env("IP", ip)
            .env("INNER", INNER_PORT.to_string())
            .env("RELAY", &relay)
            .env("SOCK", &socket);
        for (key, value) in envs {
            cmd.env(key, value);
        }
        let probe = socket.clone();
        let inner = ServerProcess::start_until(
            &format!("{name} (in netns)"),
            cmd,
            SocketAddr::from(([127, 0, 0, 1], 0)),
            dir,
            KillMode::Group,
            deadline,
            &move |_| probe.exists(),
        )?;
        let relay = ServerProcess::start_with_retry(
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
        Ok(NetnsServer { relay, inner })
    }

    /// Where to connect.
    pub fn addr(&self) -> SocketAddr {
        self.relay.addr
    }

    /// The server's output so far.
    pub fn output(&self) -> String {
        self.inner.output()
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
