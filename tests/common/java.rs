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

impl JavaTlsServer {
    /// Starts the server with exactly `protocols` enabled (JSSE names: `TLSv1`, `TLSv1.1`,
    /// `TLSv1.2`, `TLSv1.3`) and JSSE's default suites.
    pub fn start(protocols: &[&str]) -> Result<JavaTlsServer, ServerError> {
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
                let out = Command::new(&keytool)
                    .args(["-genkeypair", "-alias", "server", "-keyalg", "RSA"])
                    .args(["-keysize", "2048", "-validity", "365"])
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
}
