//! OpenSSL `s_server` on loopback, with the presets the enumeration and certificate tests need.
//!
//! `s_server` serves one connection at a time; further connections wait in the listen backlog, so
//! rapid successive scans work as long as each client closes (no `-naccept`, which would make it
//! exit). `-www` answers `GET /` with a status page.

use std::process::Command;
use std::time::Duration;

use fipsprobe::demo::KeyKind;
use fipsprobe::protocol::Protocol;

use super::certs::{CertFiles, CertSource};
use super::process::{
    failed, require_binary, temp_dir, write_file, KillMode, ServerError, ServerProcess,
};

/// A 1024-bit DH group (`openssl dhparam 1024`, generated once; public parameters) for the
/// weak-DHE test. Embedded because generating one costs a fraction of a second per test.
pub const DH1024_PEM: &str = "-----BEGIN DH PARAMETERS-----
MIGHAoGBANktiWXUiUfIlwfF8ujGsytUwm1lDgh7lpt3G8hHqJbIeR+gobeL5170
Yo2Ef6jdeaXvQcXPwoJha27ypjeYEIIpmGPkyDRkDN2i1MPQ9iXvrxROR3voa2mE
iPWjmVWISe/W22OEVcjJMu3IY68fMtdgQzRTbxOmxR2B9da0b4/PAgEC
-----END DH PARAMETERS-----
";

/// The OPENSSL_CONF that turns off extended master secret (OpenSSL 3.0 has no `-no_ems` flag,
/// but its SSL_CONF `Options = -ExtendedMasterSecret` does the same for every SSL_CTX).
const NO_EMS_CONF: &str = "openssl_conf = default_conf
[default_conf]
ssl_conf = ssl_sect
[ssl_sect]
system_default = system_default_sect
[system_default_sect]
Options = -ExtendedMasterSecret
";

/// A running `openssl s_server`.
pub struct OpensslServer {
    /// The process (address, temp dir, output).
    pub process: ServerProcess,
    /// The certificate it serves.
    pub cert: CertFiles,
}

/// Options beyond the command-line arguments.
#[derive(Clone, Copy, Debug, Default)]
pub struct Extra {
    /// Write the 1024-bit DH group and pass `-dhparam`.
    pub dh1024: bool,
    /// Disable extended master secret through OPENSSL_CONF.
    pub no_ems: bool,
    /// Require a client certificate (`-Verify 1`, trusting the server's own certificate).
    pub require_client_cert: bool,
}

impl OpensslServer {
    /// `openssl s_server -accept 127.0.0.1:PORT -cert .. -key .. -www ARGS` with an rcgen
    /// certificate for `key`.
    pub fn start(args: &[&str], key: KeyKind) -> Result<OpensslServer, ServerError> {
        OpensslServer::start_with(args, CertSource::Rcgen(key), Extra::default())
    }

    /// The general form: any certificate source and the extra options.
    pub fn start_with(
        args: &[&str],
        cert: CertSource,
        extra: Extra,
    ) -> Result<OpensslServer, ServerError> {
        let openssl = require_binary("openssl", "openssl")?;
        let mut cert_files = None;
        let process = ServerProcess::start_with_retry(
            "openssl s_server",
            KillMode::Pid,
            Duration::from_secs(10),
            |port| {
                let dir = temp_dir("fipsprobe-openssl-")?;
                let files = CertFiles::create(dir.path(), "server", cert)?;
                let mut cmd = Command::new(&openssl);
                cmd.current_dir(dir.path())
                    .arg("s_server")
                    .args(["-accept", &format!("127.0.0.1:{port}")])
                    .arg("-cert")
                    .arg(&files.cert)
                    .arg("-key")
                    .arg(&files.key)
                    .arg("-www");
                if extra.dh1024 {
                    let dh = write_file(dir.path(), "dh1024.pem", DH1024_PEM.as_bytes())?;
                    cmd.arg("-dhparam").arg(dh);
                }
                if extra.no_ems {
                    let conf = write_file(dir.path(), "no-ems.cnf", NO_EMS_CONF.as_bytes())?;
                    cmd.env("OPENSSL_CONF", conf);
                }
                if extra.require_client_cert {
                    cmd.args(["-Verify", "1", "-verify_return_error", "-verifyCAfile"])
                        .arg(&files.cert);
                }
                cmd.args(args);
                cert_files = Some(files);
                Ok((cmd, dir))
            },
        )?;
        let cert =
            cert_files.ok_or_else(|| ServerError::Failed("no certificate written".into()))?;
        Ok(OpensslServer { process, cert })
    }

    /// Every suite OpenSSL has (CBC, static RSA, DHE, CAMELLIA, ARIA, anonymous), TLS 1.0 to 1.3,
    /// RSA-2048 certificate; `server_pref` adds `-serverpref`.
    pub fn legacy(server_pref: bool) -> Result<OpensslServer, ServerError> {
        let mut args = vec!["-cipher", "ALL:@SECLEVEL=0", "-min_protocol", "TLSv1"];
        if server_pref {
            args.push("-serverpref");
        }
        OpensslServer::start(&args, KeyKind::Rsa2048)
    }

    /// TLS 1.3 only, default TLS 1.3 suites, RSA-2048.
    pub fn tls13_only() -> Result<OpensslServer, ServerError> {
        OpensslServer::start(&["-tls1_3"], KeyKind::Rsa2048)
    }

    /// Default suites, client certificate required.
    pub fn client_cert_required() -> Result<OpensslServer, ServerError> {
        OpensslServer::start_with(
            &[],
            CertSource::Rcgen(KeyKind::Rsa2048),
            Extra {
                require_client_cert: true,
                ..Extra::default()
            },
        )
    }

    /// Default suites with an ECDSA certificate (P-256 or P-384).
    pub fn ecdsa(key: KeyKind) -> Result<OpensslServer, ServerError> {
        OpensslServer::start(&[], key)
    }

    /// TLS 1.2 only, DHE suites only, 1024-bit DH group.
    pub fn dhe_1024() -> Result<OpensslServer, ServerError> {
        OpensslServer::start_with(
            &["-cipher", "kDHE:@SECLEVEL=0", "-tls1_2"],
            CertSource::Rcgen(KeyKind::Rsa2048),
            Extra {
                dh1024: true,
                ..Extra::default()
            },
        )
    }

    /// An RSA-1024 certificate (served at `@SECLEVEL=0`), TLS 1.2 and 1.3.
    pub fn rsa1024_cert() -> Result<OpensslServer, ServerError> {
        OpensslServer::start_with(
            &["-cipher", "ALL:@SECLEVEL=0"],
            CertSource::OpensslRsa1024,
            Extra::default(),
        )
    }

    /// A SHA-1-signed RSA-2048 certificate, TLS 1.2 and 1.3.
    pub fn sha1_cert() -> Result<OpensslServer, ServerError> {
        OpensslServer::start_with(
            &["-cipher", "ALL:@SECLEVEL=0"],
            CertSource::OpensslSha1,
            Extra::default(),
        )
    }

    /// An expired RSA-2048 certificate.
    pub fn expired_cert() -> Result<OpensslServer, ServerError> {
        OpensslServer::start_with(&[], CertSource::Expired(KeyKind::Rsa2048), Extra::default())
    }

    /// Key exchange limited to `groups` (OpenSSL names, colon-separated: `x25519`, `P-384`).
    pub fn groups(groups: &str) -> Result<OpensslServer, ServerError> {
        OpensslServer::start(&["-groups", groups], KeyKind::Rsa2048)
    }

    /// TLS 1.2 only without extended master secret.
    pub fn tls12_no_ems() -> Result<OpensslServer, ServerError> {
        OpensslServer::start_with(
            &["-tls1_2"],
            CertSource::Rcgen(KeyKind::Rsa2048),
            Extra {
                no_ems: true,
                ..Extra::default()
            },
        )
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }
}

/// One suite an OpenSSL server configuration accepts, as `openssl ciphers` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectedSuite {
    /// IANA code.
    pub code: u16,
    /// IANA (RFC) name.
    pub iana: String,
    /// OpenSSL name.
    pub openssl: String,
}

/// The suites an `s_server -cipher CIPHER [-ciphersuites TLS13]` with a `key` certificate accepts
/// in `version`, in OpenSSL's order (the server's order under `-serverpref`), from
/// `openssl ciphers -V -stdname -s`. Suites whose authentication the certificate cannot do
/// (ECDSA suites with an RSA key, DSS) are left out; anonymous suites stay. Empty for SSL
/// versions (Debian's OpenSSL 3 has none).
pub fn expected_suites(
    cipher: &str,
    tls13_suites: Option<&str>,
    version: Protocol,
    key: KeyKind,
) -> Result<Vec<ExpectedSuite>, ServerError> {
    let flag = match version {
        Protocol::Ssl2 | Protocol::Ssl3 => return Ok(Vec::new()),
        Protocol::Tls10 => "-tls1",
        Protocol::Tls11 => "-tls1_1",
        Protocol::Tls12 => "-tls1_2",
        Protocol::Tls13 => "-tls1_3",
    };
    let openssl = require_binary("openssl", "openssl")?;
    let mut cmd = Command::new(openssl);
    cmd.args(["ciphers", "-V", "-stdname", "-s", flag]);
    if let Some(suites) = tls13_suites {
        cmd.args(["-ciphersuites", suites]);
    }
    let output = cmd
        .arg(cipher)
        .output()
        .map_err(|e| failed("running openssl ciphers", e))?;
    if !output.status.success() {
        return Err(ServerError::Failed(format!(
            "openssl ciphers {cipher:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    let usable_auth = if key.is_rsa() { "Au=RSA" } else { "Au=ECDSA" };
    let mut suites = Vec::new();
    for line in String::from_utf8_lossy(&output.stdout).lines() {
        // `0xC0,0x30 - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 - ECDHE-RSA-AES256-GCM-SHA384 TLSv1.2 Kx=ECDH Au=RSA ...`
        let mut parts = line.split(" - ").map(str::trim);
        let (Some(hex), Some(iana), Some(rest)) = (parts.next(), parts.next(), parts.next()) else {
            continue;
        };
        let bytes: Vec<u8> = hex
            .split(',')
            .filter_map(|b| u8::from_str_radix(b.trim_start_matches("0x"), 16).ok())
            .collect();
        let [high, low] = bytes[..] else { continue };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let auth_ok = fields
            .iter()
            .any(|f| *f == "Au=any" || *f == "Au=None" || *f == usable_auth);
        if auth_ok {
            suites.push(ExpectedSuite {
                code: u16::from_be_bytes([high, low]),
                iana: iana.to_string(),
                openssl: fields.first().copied().unwrap_or_default().to_string(),
            });
        }
    }
    Ok(suites)
}
