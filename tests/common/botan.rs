//! Botan's `botan tls_server` (Debian `botan`, Botan 2.19): a TLS stack of its own, used in
//! appliances and embedded products, with named policies (`default`, `strict`, `suiteb_128`,
//! `bsi` for BSI TR-02102-2, `datagram`, `all`) or a policy file. It listens on every
//! interface, so it runs in a network namespace of its own (`netns.rs`).

use std::ffi::OsString;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::netns::{NetnsServer, INNER_PORT};
use super::process::{require_binary, temp_dir, ServerError};

/// A running `botan tls_server`.
pub struct BotanServer {
    /// The server in its namespace and the relay in front.
    pub server: NetnsServer,
    /// The certificate it serves.
    pub cert: CertFiles,
}

impl BotanServer {
    /// `botan tls_server CERT KEY --port=5556 --policy=POLICY` with a `key` certificate.
    /// `policy` is a built-in name, or policy-file text (written to the server's dir) when it
    /// contains a newline.
    pub fn start(policy: &str, key: KeyKind) -> Result<BotanServer, ServerError> {
        let botan = require_binary("botan", "botan")?;
        let dir = temp_dir("fipsprobe-botan-")?;
        let cert = CertFiles::create(dir.path(), "server", CertSource::Rcgen(key))?;
        let policy_arg = if policy.contains('\n') {
            let path = super::process::write_file(dir.path(), "policy.txt", policy.as_bytes())?;
            format!("--policy={}", path.display())
        } else {
            format!("--policy={policy}")
        };
        let argv: Vec<OsString> = vec![
            "tls_server".into(),
            cert.cert.clone().into(),
            cert.key.clone().into(),
            format!("--port={INNER_PORT}").into(),
            policy_arg.into(),
        ];
        let server = NetnsServer::start(
            "botan tls_server",
            &botan,
            &argv,
            &[],
            dir,
            Duration::from_secs(15),
        )?;
        Ok(BotanServer { server, cert })
    }

    /// Where to connect.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.server.addr()
    }
}
