//! An Erlang/OTP `ssl` server (`tests/data/erlang/tls_server.escript`, run by `escript`): OTP's
//! own TLS implementation (only the primitives come from OpenSSL's libcrypto), what Erlang and
//! Elixir services (RabbitMQ, CouchDB, Phoenix, ejabberd) serve. It binds 127.0.0.1, halts by
//! itself after [`LIFETIME`], and prints its configured suites in order.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::process::{failed, require_binary, temp_dir, KillMode, ServerError, ServerProcess};

/// How long the server lives at most, whatever happens to the test.
const LIFETIME: Duration = Duration::from_secs(300);

/// A running OTP `ssl` server.
pub struct ErlangServer {
    /// The process (address, temp dir, output).
    pub process: ServerProcess,
    /// The certificate it serves.
    pub cert: CertFiles,
}

/// How the server is configured.
#[derive(Clone, Copy, Debug)]
pub struct ErlangConfig {
    /// `default` (OTP's versions) or a comma list of OTP version names.
    pub versions: &'static str,
    /// `default` (no `ciphers` option) or `all` (`ssl:cipher_suites(all, V)`).
    pub ciphers: &'static str,
    /// `honor_cipher_order`.
    pub honor_order: bool,
    /// The certificate key.
    pub key: KeyKind,
}

impl ErlangServer {
    /// Starts the server with `config`.
    pub fn start(config: ErlangConfig) -> Result<ErlangServer, ServerError> {
        let escript = require_binary("escript", "erlang-base")?;
        if !Path::new("/usr/lib/erlang/lib")
            .read_dir()
            .map_err(|e| failed("reading /usr/lib/erlang/lib", e))?
            .filter_map(Result::ok)
            .any(|d| d.file_name().to_string_lossy().starts_with("ssl-"))
        {
            return Err(ServerError::Missing {
                binary: "the Erlang ssl application",
                package: "erlang-ssl",
            });
        }
        let script =
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/erlang/tls_server.escript");
        let mut cert = None;
        let process = ServerProcess::start_with_retry(
            "erlang ssl",
            KillMode::Pid,
            // The BEAM starts and loads ssl in about a second; more on a loaded machine.
            Duration::from_secs(30),
            |port| {
                let dir = temp_dir("fipsprobe-erlang-")?;
                let files = CertFiles::create(dir.path(), "server", CertSource::Rcgen(config.key))?;
                let mut cmd = Command::new(&escript);
                cmd.arg(&script)
                    .arg(&files.cert)
                    .arg(&files.key)
                    .arg(port.to_string())
                    .arg(config.versions)
                    .arg(config.ciphers)
                    .arg(config.honor_order.to_string())
                    .arg(LIFETIME.as_secs().to_string())
                    // The BEAM's home for its cookie file: the temp dir, not the user's.
                    .env("HOME", dir.path());
                cert = Some(files);
                Ok((cmd, dir))
            },
        )?;
        let cert = cert.ok_or_else(|| ServerError::Failed("no certificate written".into()))?;
        Ok(ErlangServer { process, cert })
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }

    /// The configured suites in OTP's order (IANA names).
    pub fn suites(&self) -> Vec<String> {
        std::fs::read_to_string(self.process.path("stdout.log"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("SUITES "))
            .map(|l| l.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    }
}
