//! etcd (Debian's etcd-server 3.4, Go crypto/tls) serving its client port with TLS on loopback.
//! The peer port is plain HTTP on another loopback port; the data dir is a temp dir.

use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::process::{free_port, require_binary, temp_dir, KillMode, ServerError, ServerProcess};

/// A running etcd.
pub struct EtcdServer {
    /// The process (client address, temp dir, output).
    pub process: ServerProcess,
    /// The certificate it serves (also its trusted client CA under `--client-cert-auth`, so a
    /// client presenting this same certificate and key is accepted).
    pub cert: CertFiles,
}

impl EtcdServer {
    /// etcd with `--cipher-suites SUITES` (Go names, comma-separated) when given, and
    /// `--client-cert-auth` when asked; RSA-2048 certificate.
    pub fn start(
        cipher_suites: Option<&str>,
        client_cert_auth: bool,
    ) -> Result<EtcdServer, ServerError> {
        EtcdServer::start_with(cipher_suites, client_cert_auth, KeyKind::Rsa2048)
    }

    /// Like [`EtcdServer::start`] with another certificate key.
    pub fn start_with(
        cipher_suites: Option<&str>,
        client_cert_auth: bool,
        key: KeyKind,
    ) -> Result<EtcdServer, ServerError> {
        let etcd = require_binary("etcd", "etcd-server")?;
        let mut cert_files = None;
        let process = ServerProcess::start_with_retry(
            "etcd",
            KillMode::Pid,
            Duration::from_secs(20),
            |port| {
                let dir = temp_dir("fipsprobe-etcd-")?;
                let files = CertFiles::create(dir.path(), "server", CertSource::Rcgen(key))?;
                let peer = format!("http://127.0.0.1:{}", free_port());
                let client = format!("https://127.0.0.1:{port}");
                let mut cmd = Command::new(&etcd);
                cmd.args(["--name", "fipsprobe-test"])
                    .arg("--data-dir")
                    .arg(dir.path().join("data"))
                    .args([
                        "--listen-client-urls",
                        &client,
                        "--advertise-client-urls",
                        &client,
                    ])
                    .args([
                        "--listen-peer-urls",
                        &peer,
                        "--initial-advertise-peer-urls",
                        &peer,
                    ])
                    .args(["--initial-cluster", &format!("fipsprobe-test={peer}")])
                    .arg("--cert-file")
                    .arg(&files.cert)
                    .arg("--key-file")
                    .arg(&files.key)
                    // Debian's unit would set these; keep etcd from looking anywhere else.
                    .env_remove("ETCD_CONFIG_FILE")
                    .env("ETCD_UNSUPPORTED_ARCH", go_arch());
                if client_cert_auth {
                    cmd.arg("--client-cert-auth")
                        .arg("--trusted-ca-file")
                        .arg(&files.cert);
                }
                if let Some(suites) = cipher_suites {
                    cmd.args(["--cipher-suites", suites]);
                }
                cert_files = Some(files);
                Ok((cmd, dir))
            },
        )?;
        let cert =
            cert_files.ok_or_else(|| ServerError::Failed("no certificate written".into()))?;
        Ok(EtcdServer { process, cert })
    }

    /// Where the TLS client port listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }
}

/// etcd 3.4 refuses to start on architectures it does not list (arm64 among them) unless
/// `ETCD_UNSUPPORTED_ARCH` names Go's GOARCH.
fn go_arch() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "powerpc64" => "ppc64le",
        other => other,
    }
}
