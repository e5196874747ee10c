//! NSS's test server `selfserv` (Debian `libnss3-tools`): Mozilla's TLS stack, what Firefox,
//! Thunderbird and RHEL's NSS-linked daemons (389-ds, older Apache mod_nss) speak. It listens on
//! every interface, so it runs in a network namespace of its own (`netns.rs`). The certificate
//! and key are imported into a fresh NSS database (`certutil -N`, `pk12util -i`).

use std::ffi::OsString;
use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::netns::{NetnsServer, INNER_PORT};
use super::process::{failed, require_binary, temp_dir, ServerError};

/// A running `selfserv`.
pub struct NssServer {
    /// The server in its namespace and the relay in front.
    pub server: NetnsServer,
    /// The certificate it serves.
    pub cert: CertFiles,
}

fn run(cmd: &mut Command, what: &str) -> Result<(), ServerError> {
    let out = cmd.output().map_err(|e| failed(what, e))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(ServerError::Failed(format!(
            "{what}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )))
    }
}

impl NssServer {
    /// `selfserv -V RANGE ARGS` with a `key` certificate (`-n` for RSA, `-e` for ECDSA), NSS's
    /// default suites unless `args` restrict them (`-c`).
    pub fn start(range: &str, key: KeyKind, args: &[&str]) -> Result<NssServer, ServerError> {
        let selfserv = require_binary("selfserv", "libnss3-tools")?;
        let certutil = require_binary("certutil", "libnss3-tools")?;
        let pk12util = require_binary("pk12util", "libnss3-tools")?;
        let openssl = require_binary("openssl", "openssl")?;
        let dir = temp_dir("fipsprobe-nss-")?;
        let cert = CertFiles::create(dir.path(), "server", CertSource::Rcgen(key))?;
        let db = format!("sql:{}", dir.path().display());
        run(
            Command::new(&certutil).args(["-N", "-d", &db, "--empty-password"]),
            "certutil -N",
        )?;
        let p12 = dir.path().join("server.p12");
        run(
            Command::new(&openssl)
                .args(["pkcs12", "-export", "-name", "server", "-passout", "pass:"])
                .arg("-in")
                .arg(&cert.cert)
                .arg("-inkey")
                .arg(&cert.key)
                .arg("-out")
                .arg(&p12),
            "openssl pkcs12 -export",
        )?;
        run(
            Command::new(&pk12util)
                .args(["-d", &db, "-W", "", "-i"])
                .arg(&p12),
            "pk12util -i",
        )?;
        let nick = if key.is_rsa() { "-n" } else { "-e" };
        let mut argv: Vec<OsString> = [
            "-d",
            &db,
            nick,
            "server",
            "-p",
            &INNER_PORT.to_string(),
            "-V",
            range,
        ]
        .iter()
        .map(OsString::from)
        .collect();
        argv.extend(args.iter().map(OsString::from));
        let server = NetnsServer::start(
            "selfserv",
            &selfserv,
            &argv,
            &[],
            dir,
            Duration::from_secs(15),
        )?;
        Ok(NssServer { server, cert })
    }

    /// Where to connect.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }
}
