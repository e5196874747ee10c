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
    BinariesArgs, Cli, Command, DemoArgs, DiffArgs, Format, KeygenArgs, MergeArgs, OutputArgs,
    PolicyCommand, ScanArgs, SuitesArgs, VerifyArgs,
};
use fipsprobe::binaries;
use fipsprobe::demo;
use fipsprobe::model::{Endpoint, PolicyRef, Report, Status, Verdict};
use fipsprobe::policy::{self, Policy};
use fipsprobe::probe::{ScanConfig, Stop};
use fipsprobe::report::{csv, diff, file, html, json, jsonl, junit, merge, prometheus, table};
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
                print_err(&format!("fipsprobe: {} (see --help)\n", clap_one_line(&e)));
            }
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match run(cli, argv) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            print_err(&format!("fipsprobe: {}\n", one_line(&e)));
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
    let line = match lines.next() {
        Some(next) if first.ends_with(':') => format!("{first} {next}"),
        _ => first.to_string(),
    };
    fipsprobe::report::escape::brief_words(&line, LONGEST_WORD)
}

/// Writes to stdout. A closed pipe (`| head`) is a quiet stop, not an error; any other failure
/// (`> /dev/full`, a full disk) is: a truncated report must not pass for a verdict.
fn print_out(text: &str) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    let written = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush());
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(stdout_error(&e)),
        _ => Ok(()),
    }
}

fn stdout_error(e: &std::io::Error) -> anyhow::Error {
    anyhow::anyhow!("writing to stdout: {e}")
}

/// Writes to stderr, ignoring failure: there is nowhere left to report it (`eprint!` would
/// panic instead).
fn print_err(text: &str) {
    let mut stderr = std::io::stderr().lock();
    let _ = stderr.write_all(text.as_bytes());
    let _ = stderr.flush();
}

/// The error and its causes on one line, leaving out a cause that the message before it
/// already quotes (many error types print their source in their own message). Control
/// characters (from a file name, a list, a server) are shown escaped, never sent raw.
fn one_line(e: &anyhow::Error) -> String {
    fipsprobe::report::escape::brief_words(&chain_line(e), LONGEST_WORD)
}

/// Longest word an error line quotes whole (a path fits; a 10 MB token does not).
const LONGEST_WORD: usize = 256;

fn chain_line(e: &anyhow::Error) -> String {
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
        Command::Binaries(args) => binaries_command(&args, argv),
    }
}

/// `fipsprobe binaries PATH...`: a report with a `binaries` array and no endpoints, written
/// to stdout and the output files as a scan's is (`emit`), with the binaries' table and exit
/// code.
fn binaries_command(args: &BinariesArgs, argv: Vec<String>) -> Result<u8> {
    if args.out.waivers.is_some() {
        bail!("--waivers apply to endpoints; binaries take no waivers");
    }
    let format = args.out.format();
    if matches!(format, Format::Csv | Format::Jsonl) {
        bail!(
            "binaries prints table, json, html, junit or prometheus, not {}",
            format_name(format)
        );
    }
    let (policy, _) = args.out.load_policy()?;
    check_writable(args.out.report_file().map(|p| p.as_path()))?;
    let signer = prepare_outputs(&args.out)?;
    let started_at = scan::now_rfc3339();
    let options = binaries::Options {
        hash: !args.no_hash,
        ..binaries::Options::default()
    };
    let run = binaries::run(&args.paths, &policy, &options)?;
    let mut report = Report {
        schema_version: fipsprobe::model::SCHEMA_VERSION,
        tool: scan::tool(),
        policy: policy.reference(),
        started_at,
        finished_at: scan::now_rfc3339(),
        args: argv,
        complete: !run
            .binaries
            .iter()
            .any(|b| b.verdict == Verdict::NotAssessed),
        summary: fipsprobe::model::Summary::default(),
        endpoints: Vec::new(),
        binaries: Vec::new(),
    };
    binaries::attach(&mut report, run);
    emit(&report, &args.out, signer.as_ref(), Half::Binaries)
}

/// `csv`, as `--format` spells it.
fn format_name(format: Format) -> String {
    use clap::ValueEnum;
    format
        .to_possible_value()
        .map_or_else(|| format!("{format:?}"), |v| v.get_name().to_string())
}

/// The binaries part of the table, empty when the report has none.
fn binaries_table(report: &Report, verdict_line: bool) -> String {
    match &report.summary.binaries {
        Some(summary) => binaries::table::render(
            &report.binaries,
            summary,
            &report.policy.id,
            terminal_width(),
            verdict_line,
        ),
        None => String::new(),
    }
}

fn scan_command(args: &ScanArgs, argv: Vec<String>) -> Result<u8> {
    let job = args.to_job(argv)?;
    let baseline = match &args.baseline {
        Some(path) => {
            let old = load_report(path)?;
            let now = job.policy.reference();
            same_policy(
                &old.policy,
                path,
                &now,
                "this scan",
                args.allow_policy_change,
            )?;
            Some(old)
        }
        None => None,
    };
    check_writable(args.out.report_file().map(|p| p.as_path()))?;
    let signer = prepare_outputs(&args.out)?;
    // The binary half first: a bad path is bad input (exit 2) before any packet is sent.
    let binaries_run = if args.binaries.is_empty() {
        None
    } else {
        Some(binaries::run(
            &args.binaries,
            &job.policy,
            &binaries::Options::default(),
        )?)
    };
    let (mut report, stream_error) = runtime()?.block_on(run_with_signals(job, &args.out))?;
    if let Some(run) = binaries_run {
        if run.binaries.is_empty() && !args.out.quiet {
            print_err("fipsprobe: --binaries found no ELF executable to inspect\n");
        }
        if matches!(args.out.format(), Format::Csv | Format::Jsonl) && !args.out.quiet {
            print_err(&format!("fipsprobe: the binaries are in the table, the JSON report (-o FILE), HTML, JUnit and Prometheus, not in {}\n", format_name(args.out.format())));
        }
        binaries::attach(&mut report, run);
    }
    let mut code = emit(&report, &args.out, signer.as_ref(), Half::Scan)?;
    if let Some(e) = stream_error {
        return Err(stdout_error(&e));
    }
    if !args.binaries.is_empty() && report.binaries.is_empty() && code == 0 {
        code = 3;
    }
    if let Some(old) = baseline {
        let d = diff::diff(&old, &report);
        if !args.out.quiet {
            // The report owns stdout; the comparison goes to stderr so pipes stay parseable.
            print_err(&d.render_table(args.out.color()));
        }
        if d.regressed() {
            code = 1;
        }
    }
    Ok(code)
}

/// Refuses to compare reports graded by different policies (a policy change is not a clean
/// run: fips-140-3 to fips-140-2 would look like progress), unless `allow` says the user
/// knows.
fn same_policy(
    old: &PolicyRef,
    old_name: &Path,
    new: &PolicyRef,
    new_name: &str,
    allow: bool,
) -> Result<()> {
    if old == new || allow {
        return Ok(());
    }
    bail!(
        "{} was graded with policy {} (sha256 {}) but {new_name} with {} (sha256 {}): approvals are not comparable; pass --allow-policy-change to compare anyway",
        old_name.display(),
        old.id,
        old.sha256.get(..12).unwrap_or(&old.sha256),
        new.id,
        new.sha256.get(..12).unwrap_or(&new.sha256),
    )
}

/// Runs a scan with Ctrl-C/SIGTERM handling and a progress bar on a terminal. Returns the
/// report and, when streaming JSONL to stdout failed for another reason than a closed pipe,
/// that error (the scan stopped there).
async fn run_with_signals(
    job: ScanJob,
    out: &OutputArgs,
) -> Result<(Report, Option<std::io::Error>)> {
    let stop = Stop::default();
    let signals = tokio::spawn(watch_signals(stop.clone(), out.quiet));
    let progress = Progress::new(out.quiet, job.targets.size_hint());
    let stream = out.format() == Format::Jsonl && !out.quiet;
    let reader_gone = stop.clone();
    let stream_error = std::sync::Mutex::new(None);
    let report = scan::run(job, stop, |_, e, reported| {
        progress.update(e);
        if stream && reported {
            let mut stdout = std::io::stdout().lock();
            let written =
                writeln!(stdout, "{}", jsonl::endpoint_line(e)).and_then(|()| stdout.flush());
            if let Err(err) = written {
                // Nobody reads the stream any more (`| head -5`), or nothing can be written:
                // stop, as a second Ctrl-C would, instead of scanning a /16 for no one.
                reader_gone.drain.cancel();
                reader_gone.abort.cancel();
                if err.kind() != std::io::ErrorKind::BrokenPipe {
                    let mut first = stream_error
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner);
                    first.get_or_insert(err);
                }
            }
        }
    })
    .await;
    progress.finish();
    signals.abort();
    let stream_error = stream_error
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    Ok((report, stream_error))
}

/// First signal: take no new endpoints, give running ones five seconds. Second: abandon them.
async fn watch_signals(stop: Stop, quiet: bool) {
    const GRACE: Duration = Duration::from_secs(5);
    if wait_signal().await.is_err() {
        return;
    }
    if !quiet {
        print_err(&format!("fipsprobe: interrupted; finishing endpoints in flight for up to {GRACE:?} (again to abort)\n"));
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

/// What a report is about, for its table and its exit code.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Half {
    /// A scan (or the demo): endpoints, and the binaries of `--binaries` when there are any.
    Scan,
    /// `fipsprobe binaries`: binaries alone.
    Binaries,
}

/// Prints the report in the chosen format and writes the report file (and its signature, and
/// the JUnit, Prometheus and HTML files when asked); returns the exit code.
fn emit(report: &Report, out: &OutputArgs, signer: Option<&SigningKey>, half: Half) -> Result<u8> {
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
            Format::Table if half == Half::Binaries => binaries_table(report, true),
            Format::Table => {
                // The binaries are in the table, with one verdict line for both halves.
                table::render(
                    report,
                    &table::TableOptions {
                        color: out.color(),
                        wide: out.wide,
                        details: out.details,
                        width: terminal_width(),
                        ..Default::default()
                    },
                )
            }
            Format::Json => json::to_json(report),
            Format::Jsonl => format!(
                "{}\n",
                jsonl::summary_line(&report.summary, report.complete)
            ),
            Format::Csv => csv::to_csv(report),
            Format::Junit => junit::to_junit(report),
            Format::Prometheus => prometheus::to_prometheus(report),
            Format::Html => html_page(report, out),
        };
        print_out(&text)?;
    }
    let outcome = match half {
        Half::Scan => scan::outcome(report),
        Half::Binaries => binaries::outcome(&report.binaries),
    };
    Ok(u8::try_from(outcome.exit_code()).unwrap_or(EXIT_USAGE))
}

fn terminal_width() -> Option<u16> {
    table::terminal_width()
}

/// Fails before the scan, not after it, when the report file could not be written: anything
/// but a regular file at the path (a device, FIFO, socket, directory or link: see
/// `file::check_target`), a missing directory, or a directory we may not write to.
fn check_writable(path: Option<&Path>) -> Result<()> {
    let Some(path) = path else { return Ok(()) };
    file::check_target(path).with_context(|| format!("cannot write report {}", path.display()))?;
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
        let (report, stream_error) = run_with_signals(job, out).await?;
        emit(&report, out, signer.as_ref(), Half::Scan)?;
        if let Some(e) = stream_error {
            return Err(stdout_error(&e));
        }
        let verdict_of = |addr: SocketAddr| {
            report
                .endpoints
                .iter()
                .find(|e| e.ip == addr.ip() && e.port == addr.port())
                .map(|e| e.verdict)
        };
        let as_expected = verdict_of(kube.addr) == Some(Verdict::Pass) && verdict_of(etcd.addr) == Some(Verdict::Fail);
        if !out.quiet {
            print_err(&format!(
                "demo: {} (the FIPS-configured kube-apiserver should pass, the non-FIPS etcd should fail)\n",
                if as_expected { "as expected" } else { "UNEXPECTED RESULT" }
            ));
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
    ))?;
    Ok(0)
}

fn list_format(f: Format) -> Result<policy::ListFormat> {
    Ok(match f {
        Format::Table => policy::ListFormat::Table,
        Format::Json => policy::ListFormat::Json,
        Format::Csv => policy::ListFormat::Csv,
        Format::Jsonl => bail!("--format jsonl is for scans; use json"),
        Format::Junit | Format::Prometheus | Format::Html => {
            bail!("--format junit, prometheus and html are for scans; use json")
        }
    })
}

fn policy_command(cmd: &PolicyCommand) -> Result<u8> {
    match cmd {
        PolicyCommand::List => print_out(&policy::policy_list())?,
        PolicyCommand::Show { policy: p, format } => {
            let p = Policy::load(p)?;
            print_out(&policy::policy_show(&p, list_format(*format)?))?;
        }
    }
    Ok(0)
}

fn diff_command(args: &DiffArgs) -> Result<u8> {
    let key = load_verify_key(args.verify_key.as_deref())?;
    let old = load_input(&args.old, key.as_ref())?;
    let new = load_input(&args.new, key.as_ref())?;
    let new_name = args.new.display().to_string();
    same_policy(
        &old.policy,
        &args.old,
        &new.policy,
        &new_name,
        args.allow_policy_change,
    )?;
    let d = diff::diff(&old, &new);
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let color =
        !args.no_color && std::env::var_os("NO_COLOR").is_none() && std::io::stdout().is_terminal();
    match format {
        Format::Table => print_out(&d.render_table(color))?,
        Format::Json => print_out(&d.to_json())?,
        other => bail!("diff prints table or json, not {other:?}"),
    }
    Ok(if d.regressed() { 1 } else { 0 })
}

fn merge_command(args: &MergeArgs, _argv: Vec<String>) -> Result<u8> {
    if let Some(path) = &args.output {
        file::check_target(path).with_context(|| format!("cannot write {}", path.display()))?;
    }
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
        None => print_out(&text)?,
    }
    Ok(0)
}

/// Checks, before anything is scanned, that `--junit`, `--prometheus`, `--html` and the
/// signature can be written, and reads the signing key of `--sign`: an unreadable key, or one that is not ECDSA
/// P-256, is a usage error, not a lost night's scan.
fn prepare_outputs(out: &OutputArgs) -> Result<Option<SigningKey>> {
    check_writable(out.junit.as_deref())?;
    check_writable(out.prometheus.as_deref())?;
    check_writable(out.html.as_deref())?;
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

/// `--junit FILE`, `--prometheus FILE` and `--html FILE`, each written whole or not at all.
fn write_evidence_files(report: &Report, out: &OutputArgs) -> Result<()> {
    if let Some(path) = &out.junit {
        file::write_atomic(path, junit::to_junit(report).as_bytes())
            .with_context(|| format!("writing JUnit file {}", path.display()))?;
    }
    if let Some(path) = &out.prometheus {
        file::write_atomic(path, prometheus::to_prometheus(report).as_bytes())
            .with_context(|| format!("writing Prometheus file {}", path.display()))?;
    }
    if let Some(path) = &out.html {
        file::write_atomic(path, html_page(report, out).as_bytes())
            .with_context(|| format!("writing HTML report {}", path.display()))?;
    }
    Ok(())
}

/// The HTML page, with the rules of the policy the scan was graded with (loaded again by the
/// same name; the page leaves the rules out should the file have changed since).
fn html_page(report: &Report, out: &OutputArgs) -> String {
    let policy = Policy::load(&out.policy).ok();
    html::to_html(report, policy.as_ref())
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
    ))?;
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
            ))?;
            Ok(0)
        }
        Err(e @ SignError::Rejected { .. }) => {
            print_err(&format!(
                "fipsprobe: {}\n",
                fipsprobe::report::escape::terminal(&e.to_string())
            ));
            Ok(1)
        }
        Err(e) => Err(e.into()),
    }
}
