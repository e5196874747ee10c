//! Starting an external server process on loopback and stopping it by its own PID.
//!
//! Every server runs under `timeout -s KILL` ([`LIFETIME`]) in a process group of its own, so it
//! stops by itself even when the test process dies, and dropping it kills exactly that group.
//! A server is up when the listening socket on its address belongs to a process of its own
//! group (read from `/proc`): a TCP connect alone could reach another test's server that took
//! the port first. If the process exits first or the deadline passes, the error carries its
//! stderr/stdout. Output goes to files in the server's temp dir, never to pipes (a chatty server
//! would block on a full pipe).

use std::fs::File;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Why a helper could not give a running server.
#[derive(Debug)]
pub enum ServerError {
    /// A binary is not installed: the test fails with this message (a loud skip when
    /// `FIPSPROBE_ALLOW_MISSING_SERVERS=1` is set).
    Missing {
        /// The program looked for.
        binary: &'static str,
        /// The Debian package that provides it.
        package: &'static str,
    },
    /// The server was installed but did not come up (message includes its output).
    Failed(String),
}

impl std::fmt::Display for ServerError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ServerError::Missing { binary, package } => write!(
                f,
                "`{binary}` not found: install it with `apt-get install {package}` \
                 (or run scripts/install-test-deps.sh)"
            ),
            ServerError::Failed(msg) => f.write_str(msg),
        }
    }
}

/// `Failed` from anything displayable, with context.
pub fn failed(context: &str, err: impl std::fmt::Display) -> ServerError {
    ServerError::Failed(format!("{context}: {err}"))
}

/// Reports a server that could not be started: a failure, always, unless the run opted out of
/// the servers it has not installed with `FIPSPROBE_ALLOW_MISSING_SERVERS=1`, when a missing
/// binary is a loud skip. A test that cannot run must not look like a test that passed.
pub fn skip_or_fail(err: ServerError) {
    let required = !std::env::var("FIPSPROBE_ALLOW_MISSING_SERVERS").is_ok_and(|v| v == "1");
    match err {
        ServerError::Missing { .. } if !required => {
            eprintln!("\n**********\n*** SKIPPED: {err}\n**********\n");
        }
        _ => panic!("server did not start: {err}"),
    }
}

/// Evaluates a `Result<T, ServerError>`; on error reports it with [`skip_or_fail`] and returns
/// from the calling test.
#[macro_export]
macro_rules! require_server {
    ($start:expr) => {
        match $start {
            Ok(server) => server,
            Err(err) => {
                $crate::common::skip_or_fail(err);
                return;
            }
        }
    };
}

/// Finds `name` on `PATH`, plus the sbin directories a non-root PATH may lack (nginx lives there).
pub fn find_binary(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/local/sbin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// Like [`find_binary`], as a `Missing` error naming the package.
pub fn require_binary(name: &'static str, package: &'static str) -> Result<PathBuf, ServerError> {
    find_binary(name).ok_or(ServerError::Missing {
        binary: name,
        package,
    })
}

/// A free loopback port (bound and released: another process may grab it before the server does,
/// which [`ServerProcess::start_with_retry`] handles by trying a new port).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding 127.0.0.1:0 must work for any loopback test")
}

/// How long any server lives at most, whatever happens to the test that started it.
pub const LIFETIME: Duration = Duration::from_secs(900);

/// `cmd` run under `timeout -s KILL LIFETIME` (same arguments, environment and directory).
fn bounded(cmd: &Command) -> Result<Command, ServerError> {
    let timeout = require_binary("timeout", "coreutils")?;
    let mut wrapped = Command::new(timeout);
    wrapped
        .args(["-s", "KILL", &LIFETIME.as_secs().to_string()])
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(v) => wrapped.env(key, v),
            None => wrapped.env_remove(key),
        };
    }
    if let Some(dir) = cmd.get_current_dir() {
        wrapped.current_dir(dir);
    }
    Ok(wrapped)
}

/// The PIDs of the live (not zombie) processes in process group `pgid` (from `/proc/*/stat`).
pub fn group_pids(pgid: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // `pid (comm) state ppid pgrp ...`: comm may hold spaces, so split after ')'.
                    let rest: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
                    let live = *rest.first()? != "Z";
                    Some(live && rest.get(2)?.parse::<u32>().ok()? == pgid)
                })
                .unwrap_or(false)
        })
        .collect()
}

/// The inode of the TCP socket listening on `addr`, from `/proc/net/tcp` and, for the IPv6
/// sockets a JVM opens for IPv4 addresses (`::ffff:127.0.0.1`), `/proc/net/tcp6`.
fn listening_inode(addr: SocketAddr) -> Option<u64> {
    let SocketAddr::V4(v4) = addr else {
        return None;
    };
    let port = format!("{:04X}", v4.port());
    let ip4 = format!("{:08X}", u32::from_le_bytes(v4.ip().octets()));
    // /proc/net/tcp6 prints the 16 bytes as four little-endian words.
    let wanted = [
        format!("{ip4}:{port}"),
        format!("00000000:{port}"),
        format!("0000000000000000FFFF0000{ip4}:{port}"),
        format!("{}:{port}", "0".repeat(32)),
    ];
    ["/proc/net/tcp", "/proc/net/tcp6"]
        .iter()
        .find_map(|table| {
            let table = std::fs::read_to_string(table).ok()?;
            table.lines().skip(1).find_map(|line| {
                let fields: Vec<&str> = line.split_whitespace().collect();
                let (local, state, inode) = (fields.get(1)?, fields.get(3)?, fields.get(9)?);
                (wanted.iter().any(|w| w == local) && *state == "0A")
                    .then(|| inode.parse().ok())
                    .flatten()
            })
        })
}

/// Whether a process of group `pgid` holds the socket listening on `addr`: the server we
/// started is the one that answers there.
pub fn owns_listener(pgid: u32, addr: SocketAddr) -> bool {
    let Some(inode) = listening_inode(addr) else {
        return false;
    };
    let link = format!("socket:[{inode}]");
    group_pids(pgid).into_iter().any(|pid| {
        std::fs::read_dir(format!("/proc/{pid}/fd"))
            .map(|fds| {
                fds.filter_map(Result::ok).any(|fd| {
                    std::fs::read_link(fd.path()).is_ok_and(|l| l.as_os_str() == link.as_str())
                })
            })
            .unwrap_or(false)
    })
}

/// A new temp dir for a server's files.
pub fn temp_dir(prefix: &str) -> Result<TempDir, ServerError> {
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir()
        .map_err(|e| failed("creating temp dir", e))
}

/// How to stop the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KillMode {
    /// SIGKILL to the child's PID and the process group it leads (every server is spawned with
    /// `process_group(0)` under `timeout`, so the group holds only what it started).
    Pid,
    /// The same; kept for the helpers that start several processes (the GnuTLS namespace).
    Group,
}

/// A running external server. Killed (by PID or its own process group) when dropped; its temp
/// dir is removed after.
pub struct ServerProcess {
    /// Where it accepts TLS.
    pub addr: SocketAddr,
    /// Its working dir (configs, certs, logs).
    pub dir: TempDir,
    child: Child,
    kill: KillMode,
    name: String,
}

impl ServerProcess {
    /// Spawns `cmd` (stdout/stderr to files in `dir`) and waits until a process of its group
    /// listens on `addr`.
    pub fn start(
        name: &str,
        cmd: Command,
        addr: SocketAddr,
        dir: TempDir,
        kill: KillMode,
        deadline: Duration,
    ) -> Result<ServerProcess, ServerError> {
        ServerProcess::start_until(name, cmd, addr, dir, kill, deadline, &|pgid| {
            owns_listener(pgid, addr)
        })
    }

    /// Like [`ServerProcess::start`], with another test of "up" (a unix socket appearing),
    /// given the server's process group.
    pub fn start_until(
        name: &str,
        cmd: Command,
        addr: SocketAddr,
        dir: TempDir,
        kill: KillMode,
        deadline: Duration,
        ready: &dyn Fn(u32) -> bool,
    ) -> Result<ServerProcess, ServerError> {
        let out = File::create(dir.path().join("stdout.log")).map_err(|e| failed("log file", e))?;
        let err = File::create(dir.path().join("stderr.log")).map_err(|e| failed("log file", e))?;
        let mut cmd = bounded(&cmd)?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        {
            use std::os::unix::process::CommandExt;
            cmd.process_group(0);
        }
        let child = cmd
            .spawn()
            .map_err(|e| failed(&format!("spawning {name} ({cmd:?})"), e))?;
        let mut server = ServerProcess {
            addr,
            dir,
            child,
            kill,
            name: name.to_string(),
        };
        server.wait_until_up(deadline, ready)?;
        Ok(server)
    }

    /// Calls `make(port)` for a fresh port and starts what it returns, up to three times when the
    /// process dies early saying the address is taken.
    pub fn start_with_retry(
        name: &str,
        kill: KillMode,
        deadline: Duration,
        mut make: impl FnMut(u16) -> Result<(Command, TempDir), ServerError>,
    ) -> Result<ServerProcess, ServerError> {
        let mut last = None;
        for _ in 0..3 {
            let port = free_port();
            let (cmd, dir) = make(port)?;
            let addr = SocketAddr::from(([127, 0, 0, 1], port));
            match ServerProcess::start(name, cmd, addr, dir, kill, deadline) {
                Ok(server) => return Ok(server),
                Err(ServerError::Failed(msg)) if msg.contains("in use") => {
                    last = Some(ServerError::Failed(msg))
                }
                Err(other) => return Err(other),
            }
        }
        Err(last.unwrap_or_else(|| ServerError::Failed(format!("{name}: no free port"))))
    }

    /// The child's PID (the `timeout` wrapper's, which leads the server's process group).
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The server's stdout and stderr so far.
    pub fn output(&self) -> String {
        let read = |f: &str| std::fs::read_to_string(self.dir.path().join(f)).unwrap_or_default();
        format!(
            "--- {} stderr ---\n{}\n--- stdout ---\n{}",
            self.name,
            read("stderr.log"),
            read("stdout.log")
        )
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// A file path inside the server's dir.
    pub fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// The PIDs of the server's process group (the `timeout` wrapper, the server, its children).
    pub fn pids(&self) -> Vec<u32> {
        group_pids(self.child.id())
    }

    fn wait_until_up(
        &mut self,
        deadline: Duration,
        ready: &dyn Fn(u32) -> bool,
    ) -> Result<(), ServerError> {
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(ServerError::Failed(format!(
                    "{} exited with {status} before accepting on {}\n{}",
                    self.name,
                    self.addr,
                    self.output()
                )));
            }
            if ready(self.child.id()) {
                return Ok(());
            }
            if start.elapsed() > deadline {
                return Err(ServerError::Failed(format!(
                    "{} did not accept on {} within {deadline:?}\n{}",
                    self.name,
                    self.addr,
                    self.output()
                )));
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        // The child leads its own group (process_group(0)), so -PID names only processes we
        // started. The shell's builtin kill: a fresh Debian has no /usr/bin/kill (procps).
        let _ = Command::new("sh")
            .args(["-c", &format!("kill -9 -{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes `contents` to `dir/name` and returns the path.
pub fn write_file(dir: &Path, name: &str, contents: &[u8]) -> Result<PathBuf, ServerError> {
    let path = dir.join(name);
    std::fs::write(&path, contents)
        .map_err(|e| failed(&format!("writing {}", path.display()), e))?;
    Ok(path)
}
