//! Apache httpd 2.4 with mod_ssl (Debian `apache2-bin`), from a config of our own
//! (`-f httpd.conf -DFOREGROUND`): `SSLProtocol`, `SSLCipherSuite` and `SSLHonorCipherOrder`
//! as an operator writes them. mod_ssl is OpenSSL underneath, but with its own semantics: DHE
//! works without a dhparam file (automatic DH parameters, unlike nginx), and the client's order
//! wins unless `SSLHonorCipherOrder on`. Binds 127.0.0.1 only.

use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::process::{
    failed, require_binary, temp_dir, write_file, KillMode, ServerError, ServerProcess,
};

const MODULES: &str = "/usr/lib/apache2/modules";

/// A running Apache.
pub struct ApacheServer {
    /// The process (address, temp dir, output).
    pub process: ServerProcess,
    /// The certificate it serves.
    pub cert: CertFiles,
}

impl ApacheServer {
    /// Apache with `SSLProtocol protocol`, `SSLCipherSuite ciphers` and
    /// `SSLHonorCipherOrder` on or off, an RSA-2048 certificate.
    pub fn start(
        protocol: &str,
        ciphers: &str,
        honor_order: bool,
    ) -> Result<ApacheServer, ServerError> {
        let apache = require_binary("apache2", "apache2-bin")?;
        let mut cert = None;
        let process = ServerProcess::start_with_retry(
            "apache2",
            KillMode::Group,
            Duration::from_secs(15),
            |port| {
                let dir = temp_dir("fipsprobe-apache-")?;
                let files =
                    CertFiles::create(dir.path(), "server", CertSource::Rcgen(KeyKind::Rsa2048))?;
                let d = dir.path().display();
                let honor = if honor_order { "on" } else { "off" };
                let conf = format!(
                    "ServerRoot {d}
LoadModule mpm_event_module {MODULES}/mod_mpm_event.so
LoadModule authz_core_module {MODULES}/mod_authz_core.so
LoadModule socache_shmcb_module {MODULES}/mod_socache_shmcb.so
LoadModule ssl_module {MODULES}/mod_ssl.so
User nobody
Group nogroup
ServerName localhost
Listen 127.0.0.1:{port} https
PidFile {d}/httpd.pid
ErrorLog {d}/error.log
LogLevel warn
Mutex file:{d} default
DocumentRoot {d}
StartServers 1
ServerLimit 2
ThreadsPerChild 16
MaxRequestWorkers 32
SSLSessionCache shmcb:{d}/ssl_scache(512000)
<VirtualHost 127.0.0.1:{port}>
    SSLEngine on
    SSLCertificateFile {cert}
    SSLCertificateKeyFile {key}
    SSLProtocol {protocol}
    SSLCipherSuite {ciphers}
    SSLHonorCipherOrder {honor}
</VirtualHost>
",
                    cert = files.cert.display(),
                    key = files.key.display(),
                );
                let path = write_file(dir.path(), "httpd.conf", conf.as_bytes())?;
                // The unprivileged workers read nothing from the dir after start, but the
                // mutex and cache files live there.
                let _ = Command::new("chmod").arg("755").arg(dir.path()).status();
                let mut cmd = Command::new(&apache);
                cmd.arg("-f").arg(&path).arg("-DFOREGROUND");
                cert = Some(files);
                Ok((cmd, dir))
            },
        )
        .map_err(|e| match e {
            ServerError::Failed(m) => failed("apache2", m),
            other => other,
        })?;
        let cert = cert.ok_or_else(|| ServerError::Failed("no certificate written".into()))?;
        Ok(ApacheServer { process, cert })
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }
}
