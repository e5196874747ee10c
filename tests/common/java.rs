//! An OpenJDK (JSSE) TLS server: `tests/data/java/TlsServer.java`, run in source-file mode with a
//! keytool-made RSA-2048 key, on 127.0.0.1. JSSE is the one TLS stack on this machine that never
//! implemented TLS_FALLBACK_SCSV (RFC 7507) on the server side, and it has no Encrypt-then-MAC:
//! a real server for what OpenSSL, GnuTLS and Go all do right. The program exits by itself after
//! [`LIFETIME`] and is killed by its PID when dropped.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::process::{failed, require_binary, temp_dir, KillMode, ServerError, ServerProcess};

/// How long the server lives at most, whatever happens to the test.
const LIFETIME: Duration = Duration::from_secs(180);

/// The PKCS#12 keystore password (a throwaway key in a temp dir).
const PASSWORD: &str = "fipsprobe";

/// A running JSSE server.
pub struct JavaTlsServer {
    /// The process (address, temp dir, output).
    pub process: ServerProcess,
}

/// A key for the server's keystore.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JavaKey {
    /// RSA-2048 (`keytool -keyalg RSA -keysize 2048`).
    Rsa2048,
    /// ECDSA P-256 (`keytool -keyalg EC -groupname secp256r1`).
    EcP256,
}

impl JavaTlsServer {
    /// Starts the server with exactly `protocols` enabled (JSSE names: `TLSv1`, `TLSv1.1`,
    /// `TLSv1.2`, `TLSv1.3`) and JSSE's default suites, RSA-2048.
    pub fn start(protocols: &[&str]) -> Result<JavaTlsServer, ServerError> {
        JavaTlsServer::start_with(protocols, &[JavaKey::Rsa2048])
    }

    /// Like [`JavaTlsServer::start`] with one key per entry of `keys` in the keystore.
    pub fn start_with(protocols: &[&str], keys: &[JavaKey]) -> Result<JavaTlsServer, ServerError> {
        let java = require_binary("java", "openjdk-17-jdk-headless")?;
        // Source-file mode compiles in memory with the JDK's compiler: a JRE alone is not enough.
        require_binary("javac", "openjdk-17-jdk-headless")?;
        let keytool = require_binary("keytool", "openjdk-17-jdk-headless")?;
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/java/TlsServer.java");
        let protocols = protocols.join(",");
        let process = ServerProcess::start_with_retry(
            "java TlsServer",
            KillMode::Pid,
            // The JVM compiles the source first: seconds on a loaded two-core machine.
            Duration::from_secs(60),
            |port| {
                let dir = temp_dir("fipsprobe-java-")?;
                let keystore = dir.path().join("server.p12");
                for (i, key) in keys.iter().enumerate() {
                    let alg: &[&str] = match key {
                        JavaKey::Rsa2048 => &["-keyalg", "RSA", "-keysize", "2048"],
                        JavaKey::EcP256 => &["-keyalg", "EC", "-groupname", "secp256r1"],
                    };
                    let out = Command::new(&keytool)
                        .args(["-genkeypair", "-alias", &format!("server{i}")])
                        .args(alg)
                        .args(["-validity", "365"])
                        .args(["-dname", "CN=localhost", "-storetype", "PKCS12"])
                        .args(["-storepass", PASSWORD, "-keypass", PASSWORD, "-keystore"])
                        .arg(&keystore)
                        .output()
                        .map_err(|e| failed("running keytool", e))?;
                    if !out.status.success() {
                        return Err(ServerError::Failed(format!(
                            "keytool: {}",
                            String::from_utf8_lossy(&out.stderr)
                        )));
                    }
                }
                let mut cmd = Command::new(&java);
                cmd.arg(&source)
                    .arg(&keystore)
                    .arg(PASSWORD)
                    .arg(port.to_string())
                    .arg(&protocols)
                    .arg(LIFETIME.as_secs().to_string());
                Ok((cmd, dir))
            },
        )?;
        Ok(JavaTlsServer { process })
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }

    /// The suites the server has enabled, in its order (IANA names, as JSSE prints them).
    pub fn enabled_suites(&self) -> Vec<String> {
        self.banner("SUITES ")
            .map(|l| l.split(',').map(str::to_string).collect())
            .unwrap_or_default()
    }

    /// Whether JSSE applies its own order (`SSLParameters.getUseCipherSuitesOrder`).
    pub fn server_order(&self) -> Option<bool> {
        self.banner("SERVER_ORDER ").map(|v| v == "true")
    }

    fn banner(&self, prefix: &str) -> Option<String> {
        std::fs::read_to_string(self.process.path("stdout.log"))
            .ok()?
            .lines()
            .find_map(|l| l.strip_prefix(prefix).map(str::to_string))
    }
}
