//! nginx on loopback with its own config, pid file and logs in a temp dir
//! (`daemon off; master_process off;`, so the process we spawn is the one serving).
//! Without `ssl_dhparam` nginx cannot negotiate DHE suites, even when `ssl_ciphers` lists them.

use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::process::{require_binary, temp_dir, write_file, KillMode, ServerError, ServerProcess};

/// A running nginx.
pub struct NginxServer {
    /// The process (address, temp dir, output).
    pub process: ServerProcess,
    /// The certificate it serves.
    pub cert: CertFiles,
}

impl NginxServer {
    /// nginx with `ssl_ciphers CIPHERS; ssl_protocols PROTOCOLS; ssl_prefer_server_ciphers on|off;`
    /// (`protocols` as nginx spells them: `"TLSv1.2 TLSv1.3"`), RSA-2048 certificate.
    pub fn start(
        ssl_ciphers: &str,
        protocols: &str,
        prefer_server_ciphers: bool,
    ) -> Result<NginxServer, ServerError> {
        NginxServer::start_with(
            ssl_ciphers,
            protocols,
            prefer_server_ciphers,
            KeyKind::Rsa2048,
            "",
        )
    }

    /// The general form: certificate key and extra `server { }` directives.
    pub fn start_with(
        ssl_ciphers: &str,
        protocols: &str,
        prefer_server_ciphers: bool,
        key: KeyKind,
        extra_directives: &str,
    ) -> Result<NginxServer, ServerError> {
        let nginx = require_binary("nginx", "nginx")?;
        let mut cert_files = None;
        let process = ServerProcess::start_with_retry(
            "nginx",
            KillMode::Pid,
            Duration::from_secs(10),
            |port| {
                let dir = temp_dir("fipsprobe-nginx-")?;
                let files = CertFiles::create(dir.path(), "server", CertSource::Rcgen(key))?;
                let root = dir.path().display().to_string();
                let prefer = if prefer_server_ciphers { "on" } else { "off" };
                let conf = format!(
                    r#"daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log stderr info;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    server {{
        listen 127.0.0.1:{port} ssl;
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_protocols {protocols};
        ssl_ciphers '{ssl_ciphers}';
        ssl_prefer_server_ciphers {prefer};
        {extra_directives}
        location / {{ return 200 "nginx $ssl_protocol $ssl_cipher\n"; }}
    }}
}}
"#,
                    cert = files.cert.display(),
                    key = files.key.display(),
                );
                let conf_path = write_file(dir.path(), "nginx.conf", conf.as_bytes())?;
                let mut cmd = Command::new(&nginx);
                cmd.arg("-p")
                    .arg(dir.path())
                    .arg("-c")
                    .arg(&conf_path)
                    .arg("-e")
                    .arg(dir.path().join("error.log"));
                cert_files = Some(files);
                Ok((cmd, dir))
            },
        )?;
        let cert =
            cert_files.ok_or_else(|| ServerError::Failed("no certificate written".into()))?;
        Ok(NginxServer { process, cert })
    }

    /// An ingress-style nginx that serves only `server_name`: its default server refuses every
    /// handshake (`ssl_reject_handshake on`, an `unrecognized_name` alert), the named server has
    /// `ssl_ciphers`; `ssl_protocols` and `http_directives` go in the `http` block, for the
    /// settings nginx 1.22 takes from the default server whatever the name (`ssl_protocols`,
    /// `ssl_ecdh_curve`); RSA-2048.
    pub fn sni_only(
        server_name: &str,
        ssl_ciphers: &str,
        protocols: &str,
        http_directives: &str,
    ) -> Result<NginxServer, ServerError> {
        let nginx = require_binary("nginx", "nginx")?;
        let mut cert_files = None;
        let process = ServerProcess::start_with_retry(
            "nginx (SNI only)",
            KillMode::Pid,
            Duration::from_secs(10),
            |port| {
                let dir = temp_dir("fipsprobe-nginx-sni-")?;
                let files =
                    CertFiles::create(dir.path(), "server", CertSource::Rcgen(KeyKind::Rsa2048))?;
                let root = dir.path().display().to_string();
                let conf = format!(
                    r#"daemon off;
master_process off;
worker_processes 1;
pid {root}/nginx.pid;
error_log stderr info;
events {{ worker_connections 512; }}
http {{
    access_log off;
    client_body_temp_path {root}/client_body;
    proxy_temp_path {root}/proxy;
    fastcgi_temp_path {root}/fastcgi;
    uwsgi_temp_path {root}/uwsgi;
    scgi_temp_path {root}/scgi;
    ssl_protocols {protocols};
    {http_directives}
    server {{
        listen 127.0.0.1:{port} ssl default_server;
        ssl_reject_handshake on;
    }}
    server {{
        listen 127.0.0.1:{port} ssl;
        server_name {server_name};
        ssl_certificate {cert};
        ssl_certificate_key {key};
        ssl_ciphers '{ssl_ciphers}';
        ssl_prefer_server_ciphers on;
        location / {{ return 200 "nginx $ssl_server_name\n"; }}
    }}
}}
"#,
                    cert = files.cert.display(),
                    key = files.key.display(),
                );
                let path = write_file(dir.path(), "nginx.conf", conf.as_bytes())?;
                let mut cmd = Command::new(&nginx);
                cmd.arg("-p")
                    .arg(dir.path())
                    .arg("-c")
                    .arg(&path)
                    .arg("-e")
                    .arg(dir.path().join("error.log"));
                cert_files = Some(files);
                Ok((cmd, dir))
            },
        )?;
        let cert =
            cert_files.ok_or_else(|| ServerError::Failed("no certificate written".into()))?;
        Ok(NginxServer { process, cert })
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }

    /// nginx's error log (it logs to stderr, captured in the temp dir).
    pub fn error_log(&self) -> String {
        self.process.output()
    }
}
