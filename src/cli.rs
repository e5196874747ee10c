//! The command line (clap). `ScanArgs::into_job` turns arguments into a validated scan; the
//! engine never sees clap. Every error here is a one-line message and exit code 2.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Result};
use clap::builder::RangedU64ValueParser;
use clap::{Args, Parser, Subcommand, ValueEnum};

use fipsprobe::policy::{Policy, Waivers};
use fipsprobe::probe::engine::CONNECT_FACTOR;
use fipsprobe::probe::{ProbeConfig, ScanConfig};
use fipsprobe::protocol::Protocol;
use fipsprobe::report::escape::brief;
use fipsprobe::scan::ScanJob;
use fipsprobe::targets::{self, Resolve, Shard, SystemResolver, TargetSet, TargetSpec};

/// fipsprobe: which TLS cipher suites do your endpoints accept, and do they pass FIPS?
#[derive(Debug, Parser)]
#[command(name = "fipsprobe", version = long_version(), about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

fn long_version() -> &'static str {
    if cfg!(feature = "fips") {
        concat!(
            env!("CARGO_PKG_VERSION"),
            " (crypto: aws-lc-rs FIPS module)"
        )
    } else {
        concat!(env!("CARGO_PKG_VERSION"), " (crypto: aws-lc-rs, not FIPS)")
    }
}

/// The subcommands of the contract (`docs/report.md`).
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan endpoints: enumerate accepted versions and suites, grade against a policy.
    Scan(Box<ScanArgs>),
    /// Start built-in loopback servers (a FIPS kube-apiserver, a non-FIPS etcd) and scan them.
    Demo(DemoArgs),
    /// List the cipher database, graded by a policy.
    Suites(SuitesArgs),
    /// The bundled and user policies.
    #[command(subcommand)]
    Policy(PolicyCommand),
    /// What changed between two reports; exit 1 when anything regressed.
    Diff(DiffArgs),
    /// Join shard reports into one.
    Merge(MergeArgs),
    /// Make a signing key (ECDSA P-256) for --sign: KEY.pem and KEY.pub.pem.
    Keygen(KeygenArgs),
    /// Check REPORT.sig against REPORT: exit 0 when it verifies, 1 when not, 2 on bad input.
    Verify(VerifyArgs),
    /// Which crypto module each binary was built with, graded by the policy.
    Binaries(BinariesArgs),
}

/// Output formats for stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// A table for people.
    Table,
    /// The whole JSON report.
    Json,
    /// One endpoint per line as it finishes, then a summary line.
    Jsonl,
    /// One row per endpoint, version and suite.
    Csv,
    /// JUnit XML for CI: a test case per endpoint.
    Junit,
    /// Prometheus text format for node_exporter's textfile collector.
    Prometheus,
    /// One self-contained HTML page for people (and compliance tickets); prints on A4.
    Html,
}

/// Port profiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Profile {
    /// Adds etcd peer (2380), kubelet (10250), controller-manager (10257), scheduler (10259).
    Kubernetes,
}

/// Output options shared by scan and demo.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// stdout format (default: table on a terminal, json otherwise).
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Also write the JSON report to FILE (written whole or not at all).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Same as -o.
    #[arg(long = "json", value_name = "FILE", conflicts_with = "output")]
    pub json: Option<PathBuf>,
    /// Also write JUnit XML to FILE (written whole or not at all).
    #[arg(long = "junit", value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Also write Prometheus metrics to FILE, e.g. for node_exporter's textfile collector.
    #[arg(long = "prometheus", value_name = "FILE")]
    pub prometheus: Option<PathBuf>,
    /// Also write the HTML report to FILE: one self-contained page (written whole or not at all).
    #[arg(long = "html", value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// Sign the report file with KEY.pem (from `fipsprobe keygen`): writes FILE.sig beside -o FILE.
    #[arg(long = "sign", value_name = "KEY.pem")]
    pub sign: Option<PathBuf>,
    /// Wider table: codes and OpenSSL names, and every endpoint in full (as --details).
    #[arg(long)]
    pub wide: bool,
    /// Table: every endpoint in full, instead of identical endpoints once as a configuration.
    #[arg(long)]
    pub details: bool,
    /// No progress and no report on stdout (files and the exit code still tell).
    #[arg(short, long)]
    pub quiet: bool,
    /// No colours (also when NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,
    /// Policy: fips-140-3 (default), fips-140-2, or a policy file.
    #[arg(long, default_value = "fips-140-3")]
    pub policy: String,
    /// Waiver file: accepted exceptions by finding id and endpoint.
    #[arg(long, value_name = "FILE")]
    pub waivers: Option<PathBuf>,
}

impl OutputArgs {
    /// The stdout format: as asked, else table on a terminal and JSON in a pipe.
    pub fn format(&self) -> Format {
        self.format.unwrap_or(if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        })
    }

    /// Whether to colour stdout.
    pub fn color(&self) -> bool {
        !self.no_color
            && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            && std::io::stdout().is_terminal()
    }

    /// The report file to write, if any.
    pub fn report_file(&self) -> Option<&PathBuf> {
        self.output.as_ref().or(self.json.as_ref())
    }

    /// Loads the policy and waivers.
    pub fn load_policy(&self) -> Result<(Policy, Waivers)> {
        let policy = Policy::load(&self.policy)?;
        let waivers = match &self.waivers {
            Some(path) => Waivers::load(path)?,
            None => Waivers::none(),
        };
        Ok((policy, waivers))
    }
}

/// `fipsprobe scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Targets: 10.0.0.5, 10.0.0.0/24, 10.0.0.1-50, 2001:db8::/120, host, host:2379, [v6]:6443.
    pub targets: Vec<String>,
    /// Read targets from FILE (`-` for stdin; `#` starts a comment). Also spelled -iL.
    #[arg(long = "input-list", value_name = "FILE")]
    pub input_list: Vec<String>,
    /// Targets to leave out (same forms; comma-separated or repeated).
    #[arg(long, value_delimiter = ',')]
    pub exclude: Vec<String>,
    /// Ports (a target's own :port overrides them).
    #[arg(short, long, default_value = "6443,2379")]
    pub ports: String,
    /// Add a profile's ports.
    #[arg(long, value_enum)]
    pub profile: Option<Profile>,
    /// Endpoints probed at once (1-65536).
    #[arg(long, default_value_t = 256, value_parser = RangedU64ValueParser::<usize>::new().range(1..=65536))]
    pub concurrency: usize,
    /// Connect sweeps at once (1-1048576): addresses that never answer wait here, not in the
    /// --concurrency slots (default: 4 x --concurrency).
    #[arg(long, value_name = "N", value_parser = RangedU64ValueParser::<usize>::new().range(1..=1_048_576))]
    pub connect_concurrency: Option<usize>,
    /// Connections at once to one address (1-256).
    #[arg(long, default_value_t = 4, value_parser = RangedU64ValueParser::<usize>::new().range(1..=256))]
    pub per_host: usize,
    /// TCP connect timeout (e.g. 3s, 500ms).
    #[arg(long, default_value = "3s", value_parser = parse_duration)]
    pub connect_timeout: Duration,
    /// Wait for an answer to one ClientHello to begin, and for each further part of it (a
    /// flight still arriving is read for at most twice this).
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub handshake_timeout: Duration,
    /// Time budget for a whole endpoint.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// New connections per second over the whole scan, 0.001 to 1000000 (default: unlimited).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_rate)]
    pub rate: Option<f64>,
    /// Extra attempts for timeouts and I/O errors, 0-10 (never for refusals or alerts).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(0..=10))]
    pub retries: u32,
    /// SNI to send (default: the host name when the target is a name).
    #[arg(long)]
    pub sni: Option<String>,
    /// Only probe these versions (comma-separated, e.g. TLSv1.2,TLSv1.3).
    #[arg(long = "protocols", value_delimiter = ',')]
    pub protocols: Vec<Protocol>,
    /// Enumerate versions and suites only: skip the group sweeps and the behaviour probes
    /// (EMS enforcement, fallback, compression/OCSP/ticket features, client certificate).
    /// Findings that need those facts are then not raised.
    #[arg(long)]
    pub suites_only: bool,
    /// Scan only shard K of N (1-based) of the target space.
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Compare with an earlier report; exit 1 when anything regressed.
    #[arg(long, value_name = "OLD.json")]
    pub baseline: Option<PathBuf>,
    /// Compare with a baseline graded by another policy (refused otherwise: approvals differ).
    #[arg(long, requires = "baseline")]
    pub allow_policy_change: bool,
    /// Also inspect these binaries (files, or directories walked for executables) and put
    /// them in the same report.
    #[arg(long, value_name = "PATH")]
    pub binaries: Vec<PathBuf>,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

impl ScanArgs {
    /// Parses and validates everything before a packet is sent.
    pub fn to_job(&self, args: Vec<String>) -> Result<ScanJob> {
        let mut includes: Vec<TargetSpec> = Vec::new();
        for t in &self.targets {
            includes.extend(targets::parse_target_list(t)?);
        }
        for list in &self.input_list {
            includes.extend(TargetSet::read_list_path(list)?);
        }
        if includes.is_empty() {
            bail!("no targets: name at least one target, or a list with -iL FILE");
        }
        let mut excludes = Vec::new();
        for e in &self.exclude {
            excludes.extend(targets::parse_target_list(e)?);
        }
        let mut ports = targets::parse_ports(&self.ports)?;
        if self.profile == Some(Profile::Kubernetes) {
            ports = targets::merge_ports(ports, targets::KUBERNETES_PROFILE_PORTS);
        }
        if self.concurrency == 0 || self.per_host == 0 || self.connect_concurrency == Some(0) {
            bail!("--concurrency, --connect-concurrency and --per-host must be at least 1");
        }
        let (policy, waivers) = self.out.load_policy()?;
        let resolver: Arc<dyn Resolve> = Arc::new(SystemResolver::new()?);
        let versions = if self.protocols.is_empty() {
            Protocol::ALL.to_vec()
        } else {
            self.protocols.clone()
        };
        let per_host = self.per_host;
        let concurrency = fipsprobe::probe::fit_concurrency(self.concurrency, per_host);
        let connect_concurrency = fipsprobe::probe::fit_connect_concurrency(
            self.connect_concurrency
                .unwrap_or_else(|| self.concurrency.saturating_mul(CONNECT_FACTOR)),
            concurrency,
            per_host,
        );
        Ok(ScanJob {
            targets: TargetSet::new(includes, excludes, ports, self.shard),
            resolver,
            config: ScanConfig {
                probe: ProbeConfig {
                    connect_timeout: self.connect_timeout,
                    handshake_timeout: self.handshake_timeout,
                    endpoint_timeout: self.timeout,
                    retries: self.retries,
                    sni: self.sni.clone(),
                    versions,
                    extras: !self.suites_only,
                },
                concurrency,
                connect_concurrency,
                per_host,
                rate: self.rate,
            },
            policy,
            waivers,
            args,
        })
    }
}

/// `fipsprobe binaries`.
#[derive(Debug, Args)]
pub struct BinariesArgs {
    /// Files, and directories walked recursively for executables.
    #[arg(required = true, value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Do not hash the binaries (sha256 is then null): only the parts inspected are read.
    #[arg(long)]
    pub no_hash: bool,
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `fipsprobe demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Output options.
    #[command(flatten)]
    pub out: OutputArgs,
}

/// `fipsprobe suites`.
#[derive(Debug, Args)]
pub struct SuitesArgs {
    /// Policy to grade by.
    #[arg(long, default_value = "fips-140-3")]
    pub policy: String,
    /// table, json or csv.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Only suites the policy approves.
    #[arg(long)]
    pub approved: bool,
    /// Only suites negotiable in this version (e.g. TLSv1.2).
    #[arg(long)]
    pub version: Option<Protocol>,
}

/// `fipsprobe policy ...`.
#[derive(Debug, Subcommand)]
pub enum PolicyCommand {
    /// The bundled policies.
    List,
    /// Every rule of a policy with its severity and source.
    Show {
        /// A bundled id or a policy file.
        policy: String,
        /// table or json.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
}

/// `fipsprobe diff`.
#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The earlier report.
    pub old: PathBuf,
    /// The later report.
    pub new: PathBuf,
    /// table or json.
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// No colours.
    #[arg(long)]
    pub no_color: bool,
    /// Compare reports graded by different policies (refused otherwise: approvals differ).
    #[arg(long)]
    pub allow_policy_change: bool,
    /// Refuse either report unless REPORT.sig verifies with this public key.
    #[arg(long = "verify-key", value_name = "PUB.pem")]
    pub verify_key: Option<PathBuf>,
}

/// `fipsprobe merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Shard reports.
    #[arg(required = true)]
    pub reports: Vec<PathBuf>,
    /// Where to write the merged report (stdout when absent).
    #[arg(short = 'o', long = "output", value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Sign the merged report with KEY.pem: writes FILE.sig beside -o FILE.
    #[arg(long = "sign", value_name = "KEY.pem")]
    pub sign: Option<PathBuf>,
    /// Refuse any input report unless REPORT.sig verifies with this public key.
    #[arg(long = "verify-key", value_name = "PUB.pem")]
    pub verify_key: Option<PathBuf>,
}

/// `fipsprobe keygen`.
#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The private key to write (PKCS#8 PEM, mode 0600); the public key goes to KEY.pub.pem.
    /// Existing files are never overwritten.
    #[arg(long = "out", value_name = "KEY.pem")]
    pub out: PathBuf,
}

/// `fipsprobe verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The report file.
    pub report: PathBuf,
    /// The public key (KEY.pub.pem from `fipsprobe keygen`).
    #[arg(long = "key", value_name = "PUB.pem")]
    pub key: PathBuf,
    /// The signature envelope (default: REPORT.sig).
    #[arg(long = "signature", value_name = "FILE")]
    pub signature: Option<PathBuf>,
}

/// `--rate`: a finite number of connections per second within the limiter's range.
pub fn parse_rate(s: &str) -> Result<f64, String> {
    let range = fipsprobe::probe::limits::RATE_RANGE;
    match s.trim().parse::<f64>() {
        Ok(r) if range.contains(&r) => Ok(r),
        _ => Err(format!(
            "must be a number of connections per second from {} to {}",
            range.start(),
            range.end()
        )),
    }
}

/// Shortest and longest duration any option takes: below a millisecond nothing can answer,
/// and past a day a scan is not waiting, it is stuck.
const DURATION_RANGE: (Duration, Duration) =
    (Duration::from_millis(1), Duration::from_secs(24 * 3600));

/// Accepts `3`, `3s`, `500ms`, `2m`, `1.5s`, from 1ms to 24h.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.find(|c: char| !(c.is_ascii_digit() || c == '.')) {
        Some(i) => s.split_at(i),
        None => (s, "s"),
    };
    let value: f64 = num
        .parse()
        .map_err(|_| format!("invalid duration {:?} (try 3s or 500ms)", brief(s)))?;
    let secs = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" => value * 60.0,
        "h" => value * 3600.0,
        _ => {
            return Err(format!(
                "invalid duration unit in {:?} (use ms, s, m or h)",
                brief(s)
            ))
        }
    };
    let (min, max) = DURATION_RANGE;
    match Duration::try_from_secs_f64(secs) {
        Ok(d) if (min..=max).contains(&d) => Ok(d),
        _ => Err(format!("duration {:?} out of range (1ms to 24h)", brief(s))),
    }
}

/// nmap spells the input list `-iL`; clap's short options are one letter, so it is renamed
/// before parsing (`-iL FILE` and `-iLFILE`). The program path becomes its file name: the
/// report records the command line, and a compliance ticket has no use for a build directory.
pub fn normalize_args(args: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut out = Vec::new();
    let mut args = args.into_iter();
    if let Some(program) = args.next() {
        let name = std::path::Path::new(&program)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(program);
        out.push(name);
    }
    for a in args {
        if a == "-iL" {
            out.push("--input-list".to_string());
        } else if let Some(rest) = a.strip_prefix("-iL") {
            out.push(format!("--input-list={rest}"));
        } else {
            out.push(a);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("3"), Ok(Duration::from_secs(3)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("0s").is_err());
        for bad in [
            "0.0001ms",
            "25h",
            "1e300",
            "99999999999999999999999h",
            "NaN",
            "inf",
            "-1s",
        ] {
            assert!(parse_duration(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_duration("24h"), Ok(Duration::from_secs(86400)));
    }

    #[test]
    fn rates() {
        assert_eq!(parse_rate("0.5"), Ok(0.5));
        for bad in ["1e-300", "0", "-1", "NaN", "inf", "1e7", "fast"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn il_is_renamed() {
        let a = normalize_args(["/usr/bin/x", "-iL", "f", "-iLg", "-iL"].map(String::from));
        assert_eq!(
            a,
            ["x", "--input-list", "f", "--input-list=g", "--input-list"]
        );
    }
}
