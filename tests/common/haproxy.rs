//! HAProxy 2.6 terminating TLS (Debian `haproxy`), the load balancer in front of many fleets,
//! from a config of our own: `ssl-default-bind-ciphers`, `ssl-default-bind-ciphersuites` and
//! `ssl-default-bind-options` as an operator writes them. OpenSSL underneath, with HAProxy's
//! semantics: the server's order by default (`prefer-client-ciphers` turns it off), TLS 1.2 as
//! the default minimum. It answers every request itself (`http-request return`), binds
//! 127.0.0.1 only and runs in the foreground (`-db`).

use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::process::{require_binary, temp_dir, write_file, KillMode, ServerError, ServerProcess};

/// A running HAProxy.
pub struct HaproxyServer {
    /// The process (address, temp dir, output).
    pub process: ServerProcess,
    /// The certificate it serves.
    pub cert: CertFiles,
}

impl HaproxyServer {
    /// HAProxy with `global_lines` in its `global` section (the `ssl-default-bind-*` settings)
    /// and `bind_options` on its one TLS bind line.
    pub fn start(global_lines: &str, bind_options: &str) -> Result<HaproxyServer, ServerError> {
        let haproxy = require_binary("haproxy", "haproxy")?;
        let mut cert = None;
        let process = ServerProcess::start_with_retry(
            "haproxy",
            KillMode::Group,
            Duration::from_secs(15),
            |port| {
                let dir = temp_dir("fipsprobe-haproxy-")?;
                let files =
                    CertFiles::create(dir.path(), "server", CertSource::Rcgen(KeyKind::Rsa2048))?;
                // HAProxy wants the certificate and its key in one PEM file.
                let mut pem = std::fs::read(&files.cert).unwrap_or_default();
                pem.extend(std::fs::read(&files.key).unwrap_or_default());
                let crt = write_file(dir.path(), "server.pem", &pem)?;
                let conf = format!(
                    "global
    maxconn 256
{global_lines}
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend tls
    bind 127.0.0.1:{port} ssl crt {crt} {bind_options}
    http-request return status 200 content-type text/plain string fipsprobe-haproxy
",
                    crt = crt.display(),
                );
                let path = write_file(dir.path(), "haproxy.cfg", conf.as_bytes())?;
                let mut cmd = Command::new(&haproxy);
                cmd.arg("-db").arg("-f").arg(&path);
                cert = Some(files);
                Ok((cmd, dir))
            },
        )?;
        let cert = cert.ok_or_else(|| ServerError::Failed("no certificate written".into()))?;
        Ok(HaproxyServer { process, cert })
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }
}
