//! The `fipsprobe` binary: parse arguments, run, map the outcome to exit code 0/1/2/3.
//! This is the only place that exits; everything it reports on failure is one line.

mod cli;

use std::io::{IsTerminal, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context, Result};
use clap::Parser;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use cli::{
    Cli, Command, DemoArgs, DiffArgs, Format, KeygenArgs, MergeArgs, OutputArgs, PolicyCommand,
    ScanArgs, SuitesArgs, VerifyArgs,
};
use fipsprobe::demo;
use fipsprobe::model::{Endpoint, Report, Status, Verdict};
use fipsprobe::policy::{self, Policy};
use fipsprobe::probe::{ScanConfig, Stop};
use fipsprobe::report::{csv, diff, file, json, jsonl, junit, merge, prometheus, table};
use fipsprobe::scan::{self, ScanJob};
use fipsprobe::sign::{self, SignError, SigningKey, VerifyingKey};
use fipsprobe::targets::{self, StaticResolver, TargetSet};

/// Exit code for bad invocation or input.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let argv = cli::normalize_args(std::env::args());
    let cli = match Cli::try_parse_from(&argv) {
        Ok(c) => c,
        Err(e) => {
            // --help and --version print to stdout and succeed; a bare `fipsprobe` shows the
            // help on stderr. Every other usage error is one line, like the rest of our errors.
            use clap::error::ErrorKind;
            if !e.use_stderr() || e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
                let _ = e.print();
            } else {
                eprintln!("fipsprobe: {} (see --help)", clap_one_line(&e));
            }
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match run(cli, argv) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("fipsprobe: {}", one_line(&e));
            ExitCode::from(EXIT_USAGE)
        }
    }
}

/// The first line of a clap error without its `error: ` prefix (the rest is usage and tips);
/// a first line ending in `:` ("required arguments were not provided:") takes the next one.
fn clap_one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let first = lines.next().unwrap_or("invalid arguments");
    let first = first.strip_prefix("error: ").unwrap_or(first);
    match lines.next() {
        Some(next) if first.ends_with(':') => format!("{first} {next}"),
        _ => first.to_string(),
    }
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth a panic or an exit code.
fn print_out(text: &str) {
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(text.as_bytes());
    let _ = stdout.flush();
}

/// The error and its causes on one line, leaving out a cause that the message before it
/// already quotes (many error types print their source in their own message).
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string().replace('\n', " ");
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

fn runtime() -> Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")
}

fn run(cli: Cli, argv: Vec<String>) -> Result<u8> {
    // A FIPS build that is not running on the validated module must not pretend to be one.
    fipsprobe::fips::check()?;
    match cli.command {
        Command::Scan(args) => scan_command(&args, argv),
        Command::Demo(args) => demo_command(&args, argv),
        Command::Suites(args) => suites_command(&args),
        Command::Policy(cmd) => policy_command(&cmd),
        Command::Diff(args) => diff_command(&args),
        Command::Merge(args) => merge_command(&args, argv),
        Command::Keygen(args) => keygen_command(&args),
        Command::Verify(args) => verify_command(&args),
    }
}

fn scan_command(args: &ScanArgs, argv: Vec<String>) -> Result<u8> {
    let job = args.to_job(argv)?;
    let baseline = match &args.baseline {
        Some(path) => Some(load_report(path)?),
        None => None,
    };
    check_writable(args.out.report_file().map(|p| p.as_path()))?;
    let signer = prepare_outputs(&args.out)?;
    let report = runtime()?.block_on(run_with_signals(job, &args.out))?;
    let mut code = emit(&report, &args.out, signer.as_ref())?;
    if let Some(old) = baseline {
        let d = diff::diff(&old, &report);
        if !args.out.quiet {
            // The report owns stdout; the comparison goes to stderr so pipes stay parseable.
            eprint!("{}", d.render_table(args.out.color()));
        }
        if d.regressed() {
            code = 1;
        }
    }
    Ok(code)
}

/// Runs a scan with Ctrl-C/SIGTERM handling and a progress bar on a terminal.
async fn run_with_signals(job: ScanJob, out: &OutputArgs) -> Result<Report> {
    let stop = Stop::default();
    let signals = tokio::spawn(watch_signals(stop.clone(), out.quiet));
    let progress = Progress::new(out.quiet, job.targets.size_hint());
    let stream = out.format() == Format::Jsonl && !out.quiet;
    let reader_gone = stop.clone();
    let report = scan::run(job, stop, |_, e, reported| {
        progress.update(e);
        if stream && reported {
            let mut stdout = std::io::stdout().lock();
            let written =
                writeln!(stdout, "{}", jsonl::endpoint_line(e)).and_then(|()| stdout.flush());
            if matches!(&written, Err(err) if err.kind() == std::io::ErrorKind::BrokenPipe) {
                // Nobody reads the stream any more (`| head -5`): stop, as a second Ctrl-C
                // would, instead of scanning a /16 for no one.
                reader_gone.drain.cancel();
                reader_gone.abort.cancel();
            }
        }
    })
    .await;
    progress.finish();
    signals.abort();
    Ok(report)
}

/// First signal: take no new endpoints, give running ones five seconds. Second: abandon them.
async fn watch_signals(stop: Stop, quiet: bool) {
    const GRACE: Duration = Duration::from_secs(5);
    if wait_signal().await.is_err() {
        return;
    }
    if !quiet {
        eprintln!("fipsprobe: interrupted; finishing endpoints in flight for up to {GRACE:?} (again to abort)");
    }
    stop.drain.cancel();
    tokio::select! {
        _ = wait_signal() => {}
        () = tokio::time::sleep(GRACE) => {}
    }
    stop.abort.cancel();
}

async fn wait_signal() -> std::io::Result<()> {
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            r = tokio::signal::ctrl_c() => r,
            _ = term.recv() => Ok(()),
        }
    }
    #[cfg(not(unix))]
    {
        tokio::signal::ctrl_c().await
    }
}

/// Prints the report in the chosen format and writes the report file (and its signature, and
/// the JUnit and Prometheus files when asked); returns the exit code.
fn emit(report: &Report, out: &OutputArgs, signer: Option<&SigningKey>) -> Result<u8> {
    if let Some(path) = out.report_file() {
        let bytes = json::to_json(report).into_bytes();
        file::write_atomic(path, &bytes)
            .with_context(|| format!("writing report {}", path.display()))?;
        if let Some(key) = signer {
            write_signature(path, &bytes, key)?;
        }
    }
    write_evidence_files(report, out)?;
    if !out.quiet {
        let text = match out.format() {
            Format::Table => table::render(
                report,
                &table::TableOptions {
                    color: out.color(),
                    wide: out.wide,
                    width: terminal_width(),
                    ..Default::default()
                },
            ),
            Format::Json => json::to_json(report),
            Format::Jsonl => format!(
                "{}\n",
                jsonl::summary_line(&report.summary, report.complete)
            ),
            Format::Csv => csv::to_csv(report),
            Format::Junit => junit::to_junit(report),
            Format::Prometheus => prometheus::to_prometheus(report),
        };
        print_out(&text);
    }
    let code = scan::outcome(report).exit_code();
    Ok(u8::try_from(code).unwrap_or(EXIT_USAGE))
}

fn terminal_width() -> Option<u16> {
    if !std::io::stdout().is_terminal() {
        return None;
    }
    std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok())
}

/// Fails before the scan, not after it, when the report file could not be written: a missing
/// directory, a directory given as the file, or a directory we may not write to.
fn check_writable(path: Option<&Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    if !dir.is_dir() {
        bail!(
            "cannot write report {}: no directory {}",
            path.display(),
            dir.display()
        );
    }
    if path.is_dir() || path.file_name().is_none() {
        bail!(
            "cannot write report {}: it is a directory; name a file",
            path.display()
        );
    }
    // The atomic write puts a temp file next to the report, so the directory must take one.
    let probe = dir.join(format!(".fipsprobe-write-test-{}", std::process::id()));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .with_context(|| format!("cannot write report {}", path.display()))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

fn load_report(path: &Path) -> Result<Report> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(json::from_json(&text, &path.display().to_string())?)
}

/// Progress on stderr, only on a terminal, so cron mail stays clean.
struct Progress {
    bar: Option<ProgressBar>,
    stats: std::sync::Mutex<(u64, u64, u64)>,
}

impl Progress {
    fn new(quiet: bool, total: u128) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            );
            if let Ok(style) = ProgressStyle::with_template(
                "{bar:24} {pos}/{len} endpoints  {msg}  {per_sec}  ETA {eta}",
            ) {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Progress {
            bar,
            stats: std::sync::Mutex::new((0, 0, 0)),
        }
    }

    fn update(&self, e: &Endpoint) {
        let Some(bar) = &self.bar else { return };
        let mut s = self
            .stats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if e.status != Status::Closed {
            s.0 += 1;
        }
        if e.status == Status::Tls {
            s.1 += 1;
        }
        if e.verdict == Verdict::Fail {
            s.2 += 1;
        }
        bar.set_message(format!("open {}  TLS {}  failing {}", s.0, s.1, s.2));
        bar.inc(1);
        // A shard's total is its expected share of the hash split, not an exact count.
        if bar.length().is_some_and(|len| bar.position() > len) {
            bar.set_length(bar.position());
        }
    }

    fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

fn demo_command(args: &DemoArgs, argv: Vec<String>) -> Result<u8> {
    let (policy, waivers) = args.out.load_policy()?;
    let out = &args.out;
    check_writable(out.report_file().map(|p| p.as_path()))?;
    let signer = prepare_outputs(out)?;
    runtime()?.block_on(async {
        // Well-known ports on their own loopback addresses, so the table names the services;
        // any free port if those are taken.
        let kube = spawn_demo(&demo::kube_apiserver_fips(), "127.0.0.2:6443").await?;
        let etcd = spawn_demo(&demo::etcd_non_fips(), "127.0.0.3:2379").await?;
        let includes = [kube.addr, etcd.addr]
            .iter()
            .map(|a| targets::parse_target(&a.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        let job = ScanJob {
            targets: TargetSet::new(includes, Vec::new(), targets::DEFAULT_PORTS.to_vec(), None),
            resolver: Arc::new(StaticResolver::default()),
            config: ScanConfig::default(),
            policy,
            waivers,
            args: argv,
        };
        let report = run_with_signals(job, out).await?;
        emit(&report, out, signer.as_ref())?;
        let verdict_of = |addr: SocketAddr| {
            report
                .endpoints
                .iter()
                .find(|e| e.ip == addr.ip() && e.port == addr.port())
                .map(|e| e.verdict)
        };
        let as_expected = verdict_of(kube.addr) == Some(Verdict::Pass) && verdict_of(etcd.addr) == Some(Verdict::Fail);
        if !out.quiet {
            eprintln!(
                "demo: {} (the FIPS-configured kube-apiserver should pass, the non-FIPS etcd should fail)",
                if as_expected { "as expected" } else { "UNEXPECTED RESULT" }
            );
        }
        Ok(if as_expected { 0 } else { 1 })
    })
}

async fn spawn_demo(spec: &demo::ServerSpec, preferred: &str) -> Result<demo::RunningServer> {
    let preferred: SocketAddr = preferred.parse().context("demo address")?;
    match demo::spawn(spec, preferred).await {
        Ok(s) => Ok(s),
        Err(_) => demo::spawn(spec, SocketAddr::from(([127, 0, 0, 1], 0)))
            .await
            .context("starting demo server"),
    }
}

fn suites_command(args: &SuitesArgs) -> Result<u8> {
    let policy = Policy::load(&args.policy)?;
    let filter = policy::SuiteFilter {
        approved_only: args.approved,
        version: args.version,
    };
    let format = list_format(args.format)?;
    print_out(&policy::suites_listing(
        fipsprobe::cipher_db::db(),
        &policy,
        &filter,
        format,
    ));
    Ok(0)
}

fn list_format(f: Format) -> Result<policy::ListFormat> {
    Ok(match f {
        Format::Table => policy::ListFormat::Table,
        Format::Json => policy::ListFormat::Json,
        Format::Csv => policy::ListFormat::Csv,
        Format::Jsonl => bail!("--format jsonl is for scans; use json"),
        Format::Junit | Format::Prometheus => {
            bail!("--format junit and prometheus are for scans; use json")
        }
    })
}

fn policy_command(cmd: &PolicyCommand) -> Result<u8> {
    match cmd {
        PolicyCommand::List => print_out(&policy::policy_list()),
        PolicyCommand::Show { policy: p, format } => {
            let p = Policy::load(p)?;
            print_out(&policy::policy_show(&p, list_format(*format)?));
        }
    }
    Ok(0)
}

fn diff_command(args: &DiffArgs) -> Result<u8> {
    let key = load_verify_key(args.verify_key.as_deref())?;
    let old = load_input(&args.old, key.as_ref())?;
    let new = load_input(&args.new, key.as_ref())?;
    let d = diff::diff(&old, &new);
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let color =
        !args.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    match format {
        Format::Table => print_out(&d.render_table(color)),
        Format::Json => print_out(&d.to_json()),
        other => bail!("diff prints table or json, not {other:?}"),
    }
    Ok(if d.regressed() { 1 } else { 0 })
}

fn merge_command(args: &MergeArgs, _argv: Vec<String>) -> Result<u8> {
    let key = load_verify_key(args.verify_key.as_deref())?;
    let signer = match &args.sign {
        Some(_) if args.output.is_none() => {
            bail!("--sign needs a report file to sign: add -o FILE")
        }
        Some(path) => Some(sign::read_signing_key(path)?),
        None => None,
    };
    let mut reports = Vec::new();
    for path in &args.reports {
        reports.push((path.display().to_string(), load_input(path, key.as_ref())?));
    }
    let merged = merge::merge(reports)?;
    let text = json::to_json(&merged);
    match &args.output {
        Some(path) => {
            file::write_atomic(path, text.as_bytes())
                .with_context(|| format!("writing {}", path.display()))?;
            if let Some(key) = &signer {
                write_signature(path, text.as_bytes(), key)?;
            }
        }
        None => print_out(&text),
    }
    Ok(0)
}

/// Checks, before anything is scanned, that `--junit`, `--prometheus` and the signature can be
/// written, and reads the signing key of `--sign`: an unreadable key, or one that is not ECDSA
/// P-256, is a usage error, not a lost night's scan.
fn prepare_outputs(out: &OutputArgs) -> Result<Option<SigningKey>> {
    check_writable(out.junit.as_deref())?;
    check_writable(out.prometheus.as_deref())?;
    let Some(path) = &out.sign else {
        return Ok(None);
    };
    let Some(report) = out.report_file() else {
        bail!("--sign needs a report file to sign: add -o FILE");
    };
    let key = sign::read_signing_key(path)?;
    check_writable(Some(&sign::signature_path(report)))?;
    Ok(Some(key))
}

/// `REPORT.sig` for the bytes just written to `report`. Written after the report, so a
/// signature never describes a file that is not there yet; on failure, a stale signature of an
/// earlier report is removed rather than left to contradict the new file.
fn write_signature(report: &Path, bytes: &[u8], key: &SigningKey) -> Result<()> {
    let sig_path = sign::signature_path(report);
    let written = sign::sign_report(bytes, key)
        .map_err(anyhow::Error::from)
        .and_then(|envelope| {
            file::write_atomic(&sig_path, envelope.as_bytes()).map_err(anyhow::Error::from)
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(&sig_path);
        return Err(e.context(format!(
            "wrote report {} but could not sign it ({})",
            report.display(),
            sig_path.display()
        )));
    }
    Ok(())
}

/// `--junit FILE` and `--prometheus FILE`, each written whole or not at all.
fn write_evidence_files(report: &Report, out: &OutputArgs) -> Result<()> {
    if let Some(path) = &out.junit {
        file::write_atomic(path, junit::to_junit(report).as_bytes())
            .with_context(|| format!("writing JUnit file {}", path.display()))?;
    }
    if let Some(path) = &out.prometheus {
        file::write_atomic(path, prometheus::to_prometheus(report).as_bytes())
            .with_context(|| format!("writing Prometheus file {}", path.display()))?;
    }
    Ok(())
}

fn load_verify_key(path: Option<&Path>) -> Result<Option<VerifyingKey>> {
    Ok(match path {
        Some(p) => Some(sign::read_verifying_key(p)?),
        None => None,
    })
}

/// An input report of `merge` or `diff`; with `--verify-key`, only when `REPORT.sig` is that
/// key's signature over the file's exact bytes (which are then the bytes parsed). A refused
/// input is bad input: exit 2, one line.
fn load_input(path: &Path, key: Option<&VerifyingKey>) -> Result<Report> {
    let Some(key) = key else {
        return load_report(path);
    };
    let bytes = sign::verify_file(path, &sign::signature_path(path), key)
        .context("refusing an input report without a valid signature")?;
    let text = String::from_utf8(bytes)
        .map_err(|_| anyhow::anyhow!("{}: not UTF-8 text", path.display()))?;
    Ok(json::from_json(&text, &path.display().to_string())?)
}

fn keygen_command(args: &KeygenArgs) -> Result<u8> {
    let files = sign::keyfile::write_new_key_pair(&args.out)?;
    print_out(&format!(
        "wrote private key {} (keep it secret) and public key {}\nkey id {}\n",
        files.private.display(),
        files.public.display(),
        files.id
    ));
    Ok(0)
}

/// Exit 0 when the signature verifies, 1 (one line on stderr saying why) when it does not,
/// 2 for input that cannot be checked at all (a missing file, a key or envelope that does not
/// parse).
fn verify_command(args: &VerifyArgs) -> Result<u8> {
    let key = sign::read_verifying_key(&args.key)?;
    let sig_path = args
        .signature
        .clone()
        .unwrap_or_else(|| sign::signature_path(&args.report));
    match sign::verify_file(&args.report, &sig_path, &key) {
        Ok(_) => {
            print_out(&format!(
                "{}: signature verified (key id {})\n",
                args.report.display(),
                key.id()
            ));
            Ok(0)
        }
        Err(e @ SignError::Rejected { .. }) => {
            eprintln!("fipsprobe: {e}");
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}
