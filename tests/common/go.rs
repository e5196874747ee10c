//! Go crypto/tls servers built from `testdata/go/`: `kubeserve` (kube-apiserver's TLS flags),
//! plain and BoringCrypto (`GOEXPERIMENT=boringcrypto` + `crypto/tls/fipsonly`), and `unixrelay`,
//! with Debian's Go 1.19 (`golang-go`) or the backports' Go 1.23 (`golang-1.23-go`). The Go 1.23
//! build uses `testdata/go/kubeserve/go123.mod` (`go 1.23`) through `-modfile`: the go.mod's
//! version sets the binary's DefaultGODEBUG, and the 1.19 go.mod would give a Go 1.23 binary
//! the old TLS defaults (`tls10server=1,tls3des=1,tlsrsakex=1,tlskyber=0`), not what a current
//! control plane serves.
//!
//! `go build` is slow (the BoringCrypto build takes about 30 s cold), so each binary is built once
//! into `CARGO_TARGET_TMPDIR/go-bin/`, named by a hash of its sources, with a persistent GOCACHE
//! next to it. Builds never touch the network (`GOPROXY=off`; standard library only).

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use fipsprobe::demo::KeyKind;

use super::certs::{CertFiles, CertSource};
use super::process::{failed, require_binary, temp_dir, KillMode, ServerError, ServerProcess};

/// Which Go crypto backend the program is built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoCrypto {
    /// Go's own crypto: what a stock kube-apiserver or etcd runs.
    Standard,
    /// BoringCrypto with `crypto/tls/fipsonly`: what a FIPS build looks like on the network.
    BoringFips,
}

/// Which Go toolchain builds the program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GoToolchain {
    /// Debian 12's `golang-go` (Go 1.19), with the program's own go.mod (`go 1.19`).
    Go119,
    /// Debian 12 backports' `golang-1.23-go`, with the program's `go123.mod` (`go 1.23`).
    Go123,
}

impl GoToolchain {
    fn binary(self) -> Result<PathBuf, ServerError> {
        match self {
            GoToolchain::Go119 => require_binary("go", "golang-go"),
            GoToolchain::Go123 => {
                let go = PathBuf::from("/usr/lib/go-1.23/bin/go");
                if go.is_file() {
                    Ok(go)
                } else {
                    Err(ServerError::Missing {
                        binary: "/usr/lib/go-1.23/bin/go",
                        package: "golang-1.23-go (bookworm-backports)",
                    })
                }
            }
        }
    }

    fn tag(self) -> &'static str {
        match self {
            GoToolchain::Go119 => "go119",
            GoToolchain::Go123 => "go123",
        }
    }
}

/// The CIS Kubernetes Benchmark's strong-cipher list for `--tls-cipher-suites` (1.6 edition,
/// check 1.2.35), in its order. Go ignores it for TLS 1.3.
pub const CIS_CIPHER_SUITES: &str = "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,\
TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305,\
TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305,\
TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384";

/// What Go 1.19's server accepts with default settings and one RSA certificate in TLS 1.0 and
/// 1.1 (IANA codes), in Go's preference order with AES-GCM hardware
/// (`cipherSuitesPreferenceOrder` minus `disabledCipherSuites` in crypto/tls/cipher_suites.go).
/// 3DES is still a default in 1.19. nmap agrees (see `tests/servers.rs`).
///
/// Go (1.17+) ignores the order of `--tls-cipher-suites` and always uses its own preference
/// order, filtered to the configured list. Go's order quirk: when the first suite of the client's list that Go knows is not AES-GCM, Go
/// switches to `cipherSuitesPreferenceOrderNoAES`, which puts ChaCha20 first. So a scanner that
/// removes accepted suites one by one sees ChaCha20 "move up" once the AES-GCM suites are gone:
/// that is not client order.
pub const GO119_DEFAULT_RSA_TLS10: [u16; 6] = [0xC013, 0xC014, 0x002F, 0x0035, 0xC012, 0x000A];

/// Like [`GO119_DEFAULT_RSA_TLS10`] for TLS 1.2.
pub const GO119_DEFAULT_RSA_TLS12: [u16; 11] = [
    0xC02F, 0xC030, 0xCCA8, 0xC013, 0xC014, 0x009C, 0x009D, 0x002F, 0x0035, 0xC012, 0x000A,
];

/// Go's TLS 1.3 suites (not configurable; AES-GCM first with AES hardware).
pub const GO119_TLS13: [u16; 3] = [0x1301, 0x1302, 0x1303];

/// What the BoringCrypto build with `crypto/tls/fipsonly` accepts with an RSA certificate:
/// TLS 1.2 only (Go 1.19's fipsonly has no TLS 1.3), AES-GCM with ECDHE *and* static RSA.
pub const GO119_BORING_RSA_TLS12: [u16; 4] = [0xC02F, 0xC030, 0x009C, 0x009D];

/// Serializes builds inside one test process (tests run in parallel threads).
static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Builds `testdata/go/{program}` with Go 1.19 (once per source hash and backend) and returns
/// the binary.
pub fn go_binary(program: &str, crypto: GoCrypto) -> Result<PathBuf, ServerError> {
    go_binary_with(program, GoToolchain::Go119, crypto)
}

/// Builds `testdata/go/{program}` with `toolchain` (once per source hash, toolchain and
/// backend) and returns the binary. A failed build is a failure, never a skip.
pub fn go_binary_with(
    program: &str,
    toolchain: GoToolchain,
    crypto: GoCrypto,
) -> Result<PathBuf, ServerError> {
    let go = toolchain.binary()?;
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/go")
        .join(program);
    let hash = source_hash(&source)?;
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-bin");
    let suffix = match crypto {
        GoCrypto::Standard => "std",
        GoCrypto::BoringFips => "boring",
    };
    let tag = toolchain.tag();
    let binary = cache.join(format!("{program}-{tag}-{suffix}-{hash:016x}"));
    let _guard = BUILD_LOCK
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if binary.is_file() {
        return Ok(binary);
    }
    std::fs::create_dir_all(&cache).map_err(|e| failed("creating go-bin dir", e))?;
    // Build under a private name and rename, so another test process never runs half a binary.
    let partial = cache.join(format!(".{program}-{tag}-{suffix}-{}", std::process::id()));
    let mut cmd = Command::new(go);
    cmd.current_dir(&source).arg("build");
    if toolchain == GoToolchain::Go123 {
        cmd.arg("-modfile=go123.mod");
    }
    cmd.arg("-o")
        .arg(&partial)
        .arg(".")
        // Never fetch another toolchain because a go.mod asks for a newer one.
        .env("GOTOOLCHAIN", "local")
        .env("GOCACHE", cache.join("gocache"))
        .env("GOPATH", cache.join("gopath"))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GO111MODULE", "on");
    match crypto {
        GoCrypto::Standard => cmd.env_remove("GOEXPERIMENT"),
        // BoringCrypto links a C module: it needs cgo (gcc is present wherever cargo builds).
        GoCrypto::BoringFips => cmd
            .env("GOEXPERIMENT", "boringcrypto")
            .env("CGO_ENABLED", "1"),
    };
    let output = cmd.output().map_err(|e| failed("running go build", e))?;
    if !output.status.success() {
        return Err(ServerError::Failed(format!(
            "go build {program} ({toolchain:?}, {crypto:?}) failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    std::fs::rename(&partial, &binary).map_err(|e| failed("moving go binary", e))?;
    Ok(binary)
}

fn source_hash(dir: &Path) -> Result<u64, ServerError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| failed(&format!("reading {}", dir.display()), e))?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "go" || x == "mod"))
        .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    for file in files {
        file.file_name().hash(&mut hasher);
        std::fs::read(&file)
            .map_err(|e| failed(&format!("reading {}", file.display()), e))?
            .hash(&mut hasher);
    }
    Ok(hasher.finish())
}

/// A running `kubeserve`.
pub struct GoTlsServer {
    /// The process (address, temp dir, output).
    pub process: ServerProcess,
    /// The certificates it serves, in the order given.
    pub certs: Vec<CertFiles>,
}

impl GoTlsServer {
    /// Starts `kubeserve` with one certificate per entry of `keys` (RSA and ECDSA side by side
    /// when both are given) and the extra kube-apiserver flags `args`
    /// (`--tls-cipher-suites`, `--tls-min-version`, ...).
    pub fn start(
        crypto: GoCrypto,
        keys: &[KeyKind],
        args: &[&str],
    ) -> Result<GoTlsServer, ServerError> {
        let sources: Vec<CertSource> = keys.iter().map(|k| CertSource::Rcgen(*k)).collect();
        GoTlsServer::start_built(GoToolchain::Go119, crypto, &sources, args)
    }

    /// Like [`GoTlsServer::start`] with certificates made by any [`CertSource`] (Go serves
    /// certificates OpenSSL's security levels would refuse).
    pub fn start_with_certs(
        crypto: GoCrypto,
        sources: &[CertSource],
        args: &[&str],
    ) -> Result<GoTlsServer, ServerError> {
        GoTlsServer::start_built(GoToolchain::Go119, crypto, sources, args)
    }

    /// Like [`GoTlsServer::start_with_certs`], built with `toolchain`.
    pub fn start_built(
        toolchain: GoToolchain,
        crypto: GoCrypto,
        sources: &[CertSource],
        args: &[&str],
    ) -> Result<GoTlsServer, ServerError> {
        let binary = go_binary_with("kubeserve", toolchain, crypto)?;
        let mut certs = Vec::new();
        let process = ServerProcess::start_with_retry(
            "kubeserve",
            KillMode::Pid,
            Duration::from_secs(10),
            |port| {
                let dir = temp_dir("fipsprobe-go-")?;
                let mut cmd = Command::new(&binary);
                cmd.args([
                    "--bind-address",
                    "127.0.0.1",
                    "--secure-port",
                    &port.to_string(),
                ]);
                certs.clear();
                for (i, source) in sources.iter().enumerate() {
                    let files = CertFiles::create(dir.path(), &format!("server{i}"), *source)?;
                    cmd.arg("--tls-cert-file").arg(&files.cert);
                    cmd.arg("--tls-private-key-file").arg(&files.key);
                    certs.push(files);
                }
                cmd.args(args);
                Ok((cmd, dir))
            },
        )?;
        Ok(GoTlsServer { process, certs })
    }

    /// Go's defaults (no cipher or version flags), RSA-2048.
    pub fn default_settings(crypto: GoCrypto) -> Result<GoTlsServer, ServerError> {
        GoTlsServer::start(crypto, &[KeyKind::Rsa2048], &[])
    }

    /// The CIS benchmark cipher list with `--tls-min-version VersionTLS12`, RSA-2048.
    pub fn cis_benchmark(crypto: GoCrypto) -> Result<GoTlsServer, ServerError> {
        GoTlsServer::start(
            crypto,
            &[KeyKind::Rsa2048],
            &[
                "--tls-cipher-suites",
                CIS_CIPHER_SUITES,
                "--tls-min-version",
                "VersionTLS12",
            ],
        )
    }

    /// RSA-2048 and ECDSA P-256 certificates side by side, Go's default suites.
    pub fn dual_cert(crypto: GoCrypto) -> Result<GoTlsServer, ServerError> {
        GoTlsServer::start(crypto, &[KeyKind::Rsa2048, KeyKind::EcdsaP256], &[])
    }

    /// Go's defaults, RSA-2048, asking for client certificates signed by the server's own
    /// certificate (`--client-ca-file`): optional as kube-apiserver does (`VerifyClientCertIfGiven`),
    /// or `required` as etcd's `--client-cert-auth` does. A client presenting the server's own
    /// certificate and key is accepted.
    pub fn client_cert(crypto: GoCrypto, required: bool) -> Result<GoTlsServer, ServerError> {
        let binary = go_binary("kubeserve", crypto)?;
        let mut certs = Vec::new();
        let process = ServerProcess::start_with_retry(
            "kubeserve",
            KillMode::Pid,
            Duration::from_secs(10),
            |port| {
                let dir = temp_dir("fipsprobe-go-")?;
                let files =
                    CertFiles::create(dir.path(), "server", CertSource::Rcgen(KeyKind::Rsa2048))?;
                let mut cmd = Command::new(&binary);
                cmd.args([
                    "--bind-address",
                    "127.0.0.1",
                    "--secure-port",
                    &port.to_string(),
                ])
                .arg("--tls-cert-file")
                .arg(&files.cert)
                .arg("--tls-private-key-file")
                .arg(&files.key)
                .arg("--client-ca-file")
                .arg(&files.cert);
                if required {
                    cmd.arg("--require-client-cert");
                }
                certs = vec![files];
                Ok((cmd, dir))
            },
        )?;
        Ok(GoTlsServer { process, certs })
    }

    /// Where it listens.
    pub fn addr(&self) -> std::net::SocketAddr {
        self.process.addr
    }
}
