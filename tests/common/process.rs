//! Starting an external server process on loopback and stopping it by its own PID.
//!
//! A server is up when a TCP connect to its address succeeds; if the process exits first or the
//! deadline passes, the error carries its stderr/stdout. Output goes to files in the server's
//! temp dir, never to pipes (a chatty server would block on a full pipe).

use std::fs::File;
use std::net::{SocketAddr, TcpListener, TcpStream};
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
    /// SIGKILL to the child's PID.
    Pid,
    /// SIGKILL to the process group the child leads (it was spawned with `process_group(0)`), for
    /// wrappers that start several processes (the GnuTLS namespace).
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
    /// Spawns `cmd` (stdout/stderr to files in `dir`) and waits until `addr` accepts TCP.
    pub fn start(
        name: &str,
        cmd: Command,
        addr: SocketAddr,
        dir: TempDir,
        kill: KillMode,
        deadline: Duration,
    ) -> Result<ServerProcess, ServerError> {
        let probe = move || TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok();
        ServerProcess::start_until(name, cmd, addr, dir, kill, deadline, &probe)
    }

    /// Like [`ServerProcess::start`], with another test of "up" (a unix socket appearing).
    pub fn start_until(
        name: &str,
        mut cmd: Command,
        addr: SocketAddr,
        dir: TempDir,
        kill: KillMode,
        deadline: Duration,
        ready: &dyn Fn() -> bool,
    ) -> Result<ServerProcess, ServerError> {
        let out = File::create(dir.path().join("stdout.log")).map_err(|e| failed("log file", e))?;
        let err = File::create(dir.path().join("stderr.log")).map_err(|e| failed("log file", e))?;
        cmd.stdin(Stdio::null()).stdout(out).stderr(err);
        if kill == KillMode::Group {
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

    /// The child's PID.
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

    fn wait_until_up(
        &mut self,
        deadline: Duration,
        ready: &dyn Fn() -> bool,
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
            if ready() {
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
        if self.kill == KillMode::Group {
            // The child leads its own group (process_group(0)), so -PID names only processes we
            // started. The shell's builtin kill: a fresh Debian has no /usr/bin/kill (procps).
            let _ = Command::new("sh")
                .args(["-c", &format!("kill -9 -{}", self.child.id())])
                .stderr(Stdio::null())
                .status();
        }
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
