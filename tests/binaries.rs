//! `fipsprobe binaries` on real binaries: Go programs built here with Debian's Go 1.19 and the
//! backports' Go 1.23 (standard crypto, GOEXPERIMENT=boringcrypto with and without
//! crypto/tls/fipsonly, a program without crypto, each also stripped), Debian's etcd, nginx and
//! openssl, fipsprobe itself (default build, and the FIPS build when scripts/check-fips-build.sh
//! has made it), and files that are not executables or are cut short. Go 1.24+'s GOFIPS140
//! cannot be built here (Debian's archive stops at Go 1.23), so those binaries are made from
//! the exact build-information bytes and function-name table such a toolchain writes.
//!
//! Every report is validated against the published schema; each verdict is checked under both
//! bundled policies.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use assert_cmd::cargo::CommandCargoExt;
use serde_json::Value;

use common::{find_binary, ServerError};
use fipsprobe::binaries::{CryptoModule, HostFips};
use fipsprobe::report::schema_text;

// ------------------------------------------------------------------ helpers

/// Runs `fipsprobe binaries --format json ARGS...`; returns the exit code and the report.
fn binaries(args: &[&str]) -> (i32, Value) {
    let out = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args(["binaries", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let code = out.status.code().unwrap_or(-1);
    let text = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&text).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}), exit {code}: {text}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    validate(&report);
    (code, report)
}

fn validate(report: &Value) {
    let schema: Value = serde_json::from_str(schema_text()).unwrap();
    let validator = jsonschema::draft202012::new(&schema).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(report)
        .map(|e| format!("{e} (at {})", e.instance_path))
        .collect();
    assert!(
        errors.is_empty(),
        "report does not match the schema:\n{}",
        errors.join("\n")
    );
}

/// The one binary of a report about one file.
fn only(report: &Value) -> &Value {
    let list = report["binaries"].as_array().expect("binaries array");
    assert_eq!(list.len(), 1, "{report:#}");
    &list[0]
}

fn ids(binary: &Value) -> Vec<String> {
    binary["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_string())
        .collect()
}

/// What a binary must be found to be.
struct Expect {
    module: &'static str,
    fips_only: Option<bool>,
    /// Verdict under fips-140-3 and fips-140-2.
    verdicts: [&'static str; 2],
}

fn check(path: &Path, want: &Expect) -> Value {
    let p = path.to_str().unwrap();
    let mut first = Value::Null;
    for (policy, verdict) in ["fips-140-3", "fips-140-2"].iter().zip(want.verdicts) {
        let (code, report) = binaries(&["--policy", policy, p]);
        let b = only(&report).clone();
        assert_eq!(b["crypto_module"], want.module, "{p} under {policy}: {b:#}");
        assert_eq!(
            b["fips_only"],
            serde_json::json!(want.fips_only),
            "{p}: {b:#}"
        );
        assert_eq!(b["verdict"], verdict, "{p} under {policy}: {b:#}");
        let expected_code = match verdict {
            "pass" => 0,
            "fail" => 1,
            _ => 3,
        };
        assert_eq!(code, expected_code, "{p} under {policy}");
        assert_eq!(b["sha256"].as_str().map(str::len), Some(64));
        assert_eq!(b["size"], std::fs::metadata(path).unwrap().len());
        if first.is_null() {
            first = b;
        }
    }
    first
}

// ------------------------------------------------------------------ Go programs built here

/// A Go toolchain the tests build with.
#[derive(Clone, Copy, Debug)]
enum Toolchain {
    /// Debian bookworm's golang-go (Go 1.19; pclntab magic 0xfffffff0).
    Go119,
    /// bookworm-backports' golang-1.23-go (pclntab magic 0xfffffff1, Go 1.20+).
    Go123,
}

impl Toolchain {
    fn go(self) -> Result<PathBuf, ServerError> {
        let (dir, package) = match self {
            Toolchain::Go119 => ("/usr/lib/go-1.19/bin/go", "golang-go"),
            Toolchain::Go123 => ("/usr/lib/go-1.23/bin/go", "golang-1.23-go"),
        };
        let path = PathBuf::from(dir);
        if path.is_file() {
            return Ok(path);
        }
        match self {
            // Any `go` on PATH that is 1.19 will do for Debian's default.
            Toolchain::Go119 => find_binary("go").ok_or(ServerError::Missing {
                binary: "go",
                package,
            }),
            Toolchain::Go123 => Err(ServerError::Missing {
                binary: "go (1.23)",
                package,
            }),
        }
    }

    fn name(self) -> &'static str {
        match self {
            Toolchain::Go119 => "go1.19",
            Toolchain::Go123 => "go1.23",
        }
    }
}

/// How a program is built.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Variant {
    Standard,
    Boring,
    BoringFipsOnly,
}

static BUILD_LOCK: Mutex<()> = Mutex::new(());

/// Builds `testdata/go/{program}` once per toolchain, variant and strip setting into
/// `CARGO_TARGET_TMPDIR/go-binaries/`, offline (GOPROXY=off, GOTOOLCHAIN=local).
fn build(
    toolchain: Toolchain,
    program: &str,
    variant: Variant,
    stripped: bool,
) -> Result<PathBuf, ServerError> {
    let go = toolchain.go()?;
    let source = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/go")
        .join(program);
    let cache = Path::new(env!("CARGO_TARGET_TMPDIR")).join("go-binaries");
    let name = format!(
        "{program}-{}-{variant:?}{}-{}",
        toolchain.name(),
        if stripped { "-stripped" } else { "" },
        source_stamp(&source)
    );
    let binary = cache.join(&name);
    let _guard = BUILD_LOCK.lock().unwrap_or_else(|p| p.into_inner());
    if binary.is_file() {
        return Ok(binary);
    }
    std::fs::create_dir_all(&cache).unwrap();
    let partial = cache.join(format!(".{name}-{}", std::process::id()));
    let mut cmd = Command::new(&go);
    cmd.current_dir(&source)
        .arg("build")
        .arg("-o")
        .arg(&partial)
        .env(
            "GOCACHE",
            cache.join(format!("gocache-{}", toolchain.name())),
        )
        .env("GOPATH", cache.join("gopath"))
        .env("GOPROXY", "off")
        .env("GOFLAGS", "-mod=mod")
        .env("GOTOOLCHAIN", "local")
        .env("GO111MODULE", "on");
    if stripped {
        cmd.arg("-ldflags=-s -w");
    }
    match variant {
        Variant::Standard => {
            cmd.env_remove("GOEXPERIMENT");
        }
        Variant::Boring | Variant::BoringFipsOnly => {
            cmd.env("GOEXPERIMENT", "boringcrypto")
                .env("CGO_ENABLED", "1");
        }
    }
    if variant == Variant::BoringFipsOnly {
        cmd.arg("-tags=fipsonly");
    }
    cmd.arg(".");
    let out = cmd
        .output()
        .map_err(|e| ServerError::Failed(format!("running {}: {e}", go.display())))?;
    if !out.status.success() {
        return Err(ServerError::Failed(format!(
            "go build {name} failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    std::fs::rename(&partial, &binary).unwrap();
    Ok(binary)
}

/// A short stamp of the program's sources, so an edit rebuilds.
fn source_stamp(dir: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let mut bytes = Vec::new();
    for f in files {
        bytes.extend(f.file_name().unwrap().as_encoded_bytes());
        bytes.extend(std::fs::read(&f).unwrap());
    }
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, &bytes);
    digest.as_ref()[..6]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every variant of both programs from one toolchain, stripped and not.
fn go_matrix(toolchain: Toolchain, pclntab: &str) {
    let cases = [
        (
            "cryptoprobe",
            Variant::Standard,
            Expect {
                module: "go-standard",
                fips_only: None,
                verdicts: ["fail", "fail"],
            },
        ),
        // BoringCrypto is a FIPS 140-2 module: it passes 140-2 (with a warning when TLS is not
        // restricted by fipsonly) and fails 140-3.
        (
            "cryptoprobe",
            Variant::Boring,
            Expect {
                module: "go-boringcrypto",
                fips_only: Some(false),
                verdicts: ["fail", "pass"],
            },
        ),
        (
            "cryptoprobe",
            Variant::BoringFipsOnly,
            Expect {
                module: "go-boringcrypto",
                fips_only: Some(true),
                verdicts: ["fail", "pass"],
            },
        ),
        (
            "nocrypto",
            Variant::Standard,
            Expect {
                module: "none",
                fips_only: None,
                verdicts: ["pass", "pass"],
            },
        ),
    ];
    for (program, variant, want) in cases {
        for stripped in [false, true] {
            let bin = match build(toolchain, program, variant, stripped) {
                Ok(b) => b,
                Err(e) => {
                    common::skip_or_fail(e);
                    return;
                }
            };
            let b = check(&bin, &want);
            assert_eq!(b["kind"], "go");
            assert!(
                b["go_version"]
                    .as_str()
                    .unwrap()
                    .starts_with(toolchain.name()),
                "{b:#}"
            );
            assert_eq!(
                b["go"]["function_table"],
                pclntab,
                "{}: {b:#}",
                bin.display()
            );
            if variant != Variant::Standard {
                assert!(b["go"]["experiments"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e == "boringcrypto"));
            }
            assert_eq!(b["go"]["main_module"], format!("fipsprobe.test/{program}"));
            if stripped {
                assert!(b["go"]["version"].is_string());
            }
            // Without fipsonly, 140-2 warns that TLS is not restricted.
            if variant == Variant::Boring {
                let (_, r) = binaries(&["--policy", "fips-140-2", bin.to_str().unwrap()]);
                assert!(ids(only(&r)).contains(&"tls_not_fips_only".to_string()));
            }
            if variant == Variant::BoringFipsOnly {
                let (_, r) = binaries(&["--policy", "fips-140-2", bin.to_str().unwrap()]);
                assert!(!ids(only(&r)).contains(&"tls_not_fips_only".to_string()));
            }
        }
    }
}

#[test]
fn go_119_builds_standard_boringcrypto_fipsonly_and_without_crypto() {
    go_matrix(Toolchain::Go119, "go1.18");
}

#[test]
fn go_123_builds_standard_boringcrypto_fipsonly_and_without_crypto() {
    go_matrix(Toolchain::Go123, "go1.20+");
}

// ------------------------------------------------------------------ Debian's binaries

#[test]
fn debian_etcd_is_standard_go_crypto() {
    let Some(etcd) = find_binary("etcd") else {
        common::skip_or_fail(ServerError::Missing {
            binary: "etcd",
            package: "etcd-server",
        });
        return;
    };
    let b = check(
        &etcd,
        &Expect {
            module: "go-standard",
            fips_only: None,
            verdicts: ["fail", "fail"],
        },
    );
    assert!(b["go_version"].as_str().unwrap().starts_with("go1."));
    // Debian strips it: the module comes from the function table all the same.
    assert!(b["go"]["function_table"].is_string());
}

/// nginx and openssl link OpenSSL 3: they pass only where the host runs the FIPS provider.
#[test]
fn debian_nginx_and_openssl_depend_on_the_host_provider() {
    let host_fips = HostFips::probe()
        .provides(CryptoModule::Openssl, Some("3"))
        .0;
    let verdict = if host_fips { "pass" } else { "not_assessed" };
    for (name, package) in [("nginx", "nginx"), ("openssl", "openssl")] {
        let Some(path) = find_binary(name) else {
            common::skip_or_fail(ServerError::Missing {
                binary: "nginx",
                package,
            });
            continue;
        };
        let b = check(
            &path,
            &Expect {
                module: "openssl",
                fips_only: None,
                verdicts: [verdict, verdict],
            },
        );
        assert_eq!(b["kind"], "elf");
        assert_eq!(b["module_version"], "3");
        let libs: Vec<&str> = b["libraries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert!(
            libs.iter()
                .any(|l| l.starts_with("libcrypto.so") || l.starts_with("libssl.so")),
            "{libs:?}"
        );
        if !host_fips {
            assert!(ids(&b).contains(&"module_host_not_fips".to_string()));
        }
    }
}

// ------------------------------------------------------------------ fipsprobe itself

#[test]
fn fipsprobe_default_build_embeds_non_fips_aws_lc() {
    let me = PathBuf::from(env!("CARGO_BIN_EXE_fipsprobe"));
    let b = check(
        &me,
        &Expect {
            module: "aws-lc",
            fips_only: None,
            verdicts: ["fail", "fail"],
        },
    );
    assert!(b["module_version"]
        .as_str()
        .unwrap()
        .starts_with(|c: char| c.is_ascii_digit()));
}

/// The FIPS build (`scripts/check-fips-build.sh`, about 3.5 minutes) embeds AWS-LC FIPS 4.x,
/// whose certificate the policies do not record yet: not assessed. When it has not been built
/// this test says so; the build script itself runs `fipsprobe binaries` on the FIPS binary and
/// fails unless it reports aws-lc-fips, and `native::tests::delocated_version_string_inside_code`
/// covers the marker.
#[test]
fn fipsprobe_fips_build_embeds_aws_lc_fips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let candidates = [
        root.join("target/fips/debug/fipsprobe"),
        root.join("target/fips/release/fipsprobe"),
    ];
    let Some(fips) = candidates.iter().find(|p| p.is_file()) else {
        eprintln!(
            "\n**********\n*** FIPS build not present (target/fips): covered by \
             scripts/check-fips-build.sh, which checks `fipsprobe binaries` reports aws-lc-fips\n**********\n"
        );
        return;
    };
    let b = check(
        fips,
        &Expect {
            module: "aws-lc-fips",
            fips_only: None,
            verdicts: ["not_assessed", "not_assessed"],
        },
    );
    assert!(
        b["module_version"].as_str().unwrap().starts_with("4."),
        "{b:#}"
    );
}

// ------------------------------------------------------------------ not executables, cut short

#[test]
fn scripts_empty_and_truncated_files_are_not_assessed() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("run.sh");
    std::fs::write(&script, "#!/bin/sh\nexec /usr/bin/etcd \"$@\"\n").unwrap();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "").unwrap();
    let magic_only = dir.path().join("magic");
    std::fs::write(&magic_only, b"\x7fELF").unwrap();
    let me = std::fs::read(env!("CARGO_BIN_EXE_fipsprobe")).unwrap();
    // Cut where the section headers are gone (they sit at the end) and inside the headers.
    let half = dir.path().join("half");
    std::fs::write(&half, &me[..me.len() / 2]).unwrap();
    let header = dir.path().join("header");
    std::fs::write(&header, &me[..40]).unwrap();
    for (path, kind, why) in [
        (&script, "script", "script"),
        (&empty, "empty", "empty"),
        (&magic_only, "elf", "truncated"),
        (&half, "elf", "truncated"),
        (&header, "elf", "truncated"),
    ] {
        let (code, report) = binaries(&[path.to_str().unwrap()]);
        let b = only(&report);
        assert_eq!(b["kind"], kind, "{b:#}");
        assert_eq!(b["verdict"], "not_assessed", "{b:#}");
        assert!(b["error"].as_str().unwrap().contains(why), "{b:#}");
        assert_eq!(code, 3);
    }
}

/// Every prefix length of a real Go binary's interesting region: never a panic, never a pass
/// unless the whole binary is there.
#[test]
fn truncated_go_binary_is_never_a_pass() {
    let bin = match build(Toolchain::Go119, "nocrypto", Variant::Standard, false) {
        Ok(b) => b,
        Err(e) => return common::skip_or_fail(e),
    };
    let bytes = std::fs::read(&bin).unwrap();
    let policy = fipsprobe::policy::Policy::load("fips-140-3").unwrap();
    let host = HostFips::default();
    let full = fipsprobe::binaries::inspect_bytes(&bytes, &policy, &host);
    assert_eq!(full.verdict, fipsprobe::model::Verdict::Pass);
    let step = (bytes.len() / 97).max(1);
    for len in (0..bytes.len()).step_by(step) {
        let b = fipsprobe::binaries::inspect_bytes(&bytes[..len], &policy, &host);
        assert_ne!(
            b.verdict,
            fipsprobe::model::Verdict::Pass,
            "cut at {len}: {b:?}"
        );
    }
}

// ------------------------------------------------------------------ directories

#[test]
fn directory_walk_reports_executables_once_and_stays_inside() {
    let bin = match build(Toolchain::Go119, "nocrypto", Variant::Standard, false) {
        Ok(b) => b,
        Err(e) => return common::skip_or_fail(e),
    };
    let outside = tempfile::tempdir().unwrap();
    let outside_bin = outside.path().join("elsewhere");
    std::fs::copy(&bin, &outside_bin).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("sub")).unwrap();
    std::fs::copy(&bin, root.join("sub/app")).unwrap();
    std::fs::write(root.join("tool.sh"), "#!/bin/sh\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(root.join("tool.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::copy(&bin, root.join("not-executable")).unwrap();
    std::fs::set_permissions(
        root.join("not-executable"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    std::os::unix::fs::symlink(&outside_bin, root.join("link-out")).unwrap();
    std::os::unix::fs::symlink(root.join("sub/app"), root.join("link-in")).unwrap();
    std::os::unix::fs::symlink(root, root.join("sub/loop")).unwrap();

    let (code, report) = binaries(&[root.to_str().unwrap()]);
    let paths: Vec<String> = report["binaries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["path"].as_str().unwrap().to_string())
        .collect();
    // link-in comes first in name order and stands for sub/app (same file); link-out leaves
    // the directory; the script is skipped; the non-executable copy is not looked at.
    assert_eq!(
        paths,
        vec![root.join("link-in").display().to_string()],
        "{report:#}"
    );
    assert_eq!(report["summary"]["binaries"]["skipped"], 1, "{report:#}");
    assert_eq!(report["summary"]["binaries"]["pass"], 1);
    assert_eq!(code, 0);
}

#[test]
fn missing_path_is_bad_input() {
    let out = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args(["binaries", "/nonexistent/fipsprobe-test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no such file") && err.lines().count() == 1,
        "{err}"
    );
}

#[test]
fn table_names_module_and_verdict() {
    let etcd = match find_binary("etcd") {
        Some(e) => e,
        None => {
            return common::skip_or_fail(ServerError::Missing {
                binary: "etcd",
                package: "etcd-server",
            })
        }
    };
    let out = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args(["binaries", "--format", "table"])
        .arg(&etcd)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("go-standard") && text.contains("FAIL"),
        "{text}"
    );
    assert!(
        text.lines().last().unwrap().starts_with("Verdict: FAIL"),
        "{text}"
    );
    assert_eq!(out.status.code(), Some(1));
}

// ------------------------------------------------------------------ scan --binaries

#[test]
fn scan_with_binaries_puts_both_halves_in_one_report() {
    let etcd = match find_binary("etcd") {
        Some(e) => e,
        None => {
            return common::skip_or_fail(ServerError::Missing {
                binary: "etcd",
                package: "etcd-server",
            })
        }
    };
    let closed = common::closed_port();
    let out = Command::cargo_bin("fipsprobe")
        .unwrap()
        .args([
            "scan",
            &closed.to_string(),
            "--format",
            "json",
            "--connect-timeout",
            "1s",
            "--binaries",
        ])
        .arg(&etcd)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    validate(&report);
    assert_eq!(report["endpoints"].as_array().unwrap().len(), 1);
    assert_eq!(only(&report)["crypto_module"], "go-standard");
    assert_eq!(report["summary"]["binaries"]["fail"], 1);
    // The closed endpoint alone would be exit 3; the failing binary makes it 1.
    assert_eq!(out.status.code(), Some(1));
}

// ------------------------------------------------------------------ Go 1.24+ GOFIPS140

/// The sentinels `cmd/go` puts around the module information (modload.infoStart/infoEnd).
const INFO_START: [u8; 16] = [
    0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
];
const INFO_END: [u8; 16] = [
    0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
];

fn uvarint(mut v: usize, out: &mut Vec<u8>) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// The `.go.buildinfo` blob Go 1.18+ writes: magic, pointer size 8, flags 2 (strings inline,
/// little-endian), padding to 32 bytes, then the version and the framed module information.
fn buildinfo_blob(version: &str, settings: &[(&str, &str)]) -> Vec<u8> {
    let mut modinfo =
        String::from("path\texample.com/fipsapp\nmod\texample.com/fipsapp\t(devel)\t\n");
    for (k, v) in settings {
        modinfo.push_str(&format!("build\t{k}={v}\n"));
    }
    let mut framed = INFO_START.to_vec();
    framed.extend(modinfo.as_bytes());
    framed.extend(INFO_END);
    let mut blob = b"\xff Go buildinf:".to_vec();
    blob.push(8);
    blob.push(2);
    blob.resize(32, 0);
    uvarint(version.len(), &mut blob);
    blob.extend(version.as_bytes());
    uvarint(framed.len(), &mut blob);
    blob.extend(framed);
    blob
}

/// A Go 1.20+ function table (magic 0xfffffff1) whose name table holds `names`.
fn pclntab(names: &[&str]) -> Vec<u8> {
    let mut table = vec![0xf1, 0xff, 0xff, 0xff, 0, 0, 1, 8];
    let header_len = 8 + 8 * 8;
    let names_bytes: Vec<u8> = names.iter().flat_map(|n| n.bytes().chain([0])).collect();
    let words = [
        names.len(),
        1,
        0x401000,
        header_len,
        header_len + names_bytes.len(),
        header_len + names_bytes.len(),
        header_len + names_bytes.len(),
        header_len + names_bytes.len(),
    ];
    for w in words {
        table.extend((w as u64).to_le_bytes());
    }
    table.extend(names_bytes);
    table
}

/// A minimal static ELF64 executable with `.go.buildinfo` and `.gopclntab` sections.
fn go_elf(buildinfo: &[u8], pclntab: &[u8]) -> Vec<u8> {
    let shstrtab = b"\0.go.buildinfo\0.gopclntab\0.shstrtab\0";
    let mut data = Vec::new();
    let bi_off = 64usize;
    data.extend(buildinfo);
    while data.len() % 16 != 0 {
        data.push(0);
    }
    let pc_off = 64 + data.len();
    data.extend(pclntab);
    let str_off = 64 + data.len();
    data.extend(shstrtab);
    while data.len() % 8 != 0 {
        data.push(0);
    }
    let sh_off = 64 + data.len();
    let mut elf = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    elf.extend(2u16.to_le_bytes()); // ET_EXEC
    elf.extend(62u16.to_le_bytes()); // x86-64
    elf.extend(1u32.to_le_bytes());
    elf.extend(0x401000u64.to_le_bytes()); // entry
    elf.extend(0u64.to_le_bytes()); // phoff
    elf.extend((sh_off as u64).to_le_bytes());
    elf.extend(0u32.to_le_bytes());
    elf.extend(64u16.to_le_bytes());
    elf.extend(56u16.to_le_bytes());
    elf.extend(0u16.to_le_bytes()); // phnum
    elf.extend(64u16.to_le_bytes());
    elf.extend(4u16.to_le_bytes()); // shnum
    elf.extend(3u16.to_le_bytes()); // shstrndx
    elf.extend(data);
    let section = |name: u32, off: usize, size: usize| {
        let mut s = Vec::new();
        s.extend(name.to_le_bytes());
        s.extend(1u32.to_le_bytes()); // PROGBITS
        s.extend(2u64.to_le_bytes()); // ALLOC
        s.extend((0x500000 + off as u64).to_le_bytes());
        s.extend((off as u64).to_le_bytes());
        s.extend((size as u64).to_le_bytes());
        s.extend([0u8; 24]);
        s
    };
    elf.extend([0u8; 64]);
    elf.extend(section(1, bi_off, buildinfo.len()));
    elf.extend(section(15, pc_off, pclntab.len()));
    elf.extend(section(26, str_off, shstrtab.len()));
    elf
}

fn go124(gofips140: Option<&str>, godebug: &str, names: &[&str]) -> Vec<u8> {
    let mut settings = vec![("-buildmode", "exe"), ("-compiler", "gc")];
    let debug = format!("{godebug}tlsmlkem=0");
    settings.push(("DefaultGODEBUG", debug.as_str()));
    settings.extend([("CGO_ENABLED", "1"), ("GOARCH", "amd64")]);
    if let Some(v) = gofips140 {
        settings.push(("GOFIPS140", v));
    }
    settings.extend([("GOOS", "linux"), ("GOAMD64", "v1")]);
    go_elf(&buildinfo_blob("go1.24.4", &settings), &pclntab(names))
}

/// A Go 1.24 binary on the frozen, CMVP-validated Go Cryptographic Module v1.0.0, with
/// `fips140=on` and TLS linked in.
fn frozen_fips_go124() -> Vec<u8> {
    go124(
        Some("v1.0.0-c2097c7c"),
        "fips140=on,",
        &[
            "runtime.main",
            "crypto/internal/fips140/v1.0.0-c2097c7c/aes.New",
            "crypto/tls.(*Conn).Handshake",
        ],
    )
}

fn write_temp(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

#[test]
fn gofips140_snapshot_v1_0_0_is_cmvp_5247() {
    let dir = tempfile::tempdir().unwrap();
    let frozen = frozen_fips_go124();
    let p = write_temp(dir.path(), "frozen", &frozen);
    let b = check(
        &p,
        &Expect {
            module: "go-fips140",
            fips_only: Some(false),
            verdicts: ["pass", "pass"],
        },
    );
    assert_eq!(b["module_version"], "v1.0.0-c2097c7c");
    assert_eq!(b["go"]["fips140_frozen"], true);
    assert_eq!(b["go"]["gofips140"], "v1.0.0-c2097c7c");
    assert_eq!(b["go"]["godebug_fips140"], "on");
    assert!(
        b["findings"][0]["message"]
            .as_str()
            .unwrap()
            .contains("5247"),
        "{b:#}"
    );

    // fips140=only restricts TLS as fipsonly did.
    let only_mode = go124(
        Some("v1.0.0-c2097c7c"),
        "fips140=only,",
        &["crypto/internal/fips140/v1.0.0-c2097c7c/aes.New"],
    );
    let p = write_temp(dir.path(), "only", &only_mode);
    check(
        &p,
        &Expect {
            module: "go-fips140",
            fips_only: Some(true),
            verdicts: ["pass", "pass"],
        },
    );
}

#[test]
fn gofips140_latest_and_off_are_not_validated() {
    let dir = tempfile::tempdir().unwrap();
    let latest = go124(
        Some("latest"),
        "fips140=on,",
        &["crypto/internal/fips140/aes.New", "crypto/tls.Dial"],
    );
    let p = write_temp(dir.path(), "latest", &latest);
    let b = check(
        &p,
        &Expect {
            module: "go-fips140",
            fips_only: Some(false),
            verdicts: ["fail", "fail"],
        },
    );
    assert_eq!(b["module_version"], "latest");
    assert_eq!(b["go"]["fips140_frozen"], false);

    // Go 1.24 without GOFIPS140: the in-tree module, FIPS mode off.
    let off = go124(
        None,
        "",
        &["crypto/internal/fips140/aes.New", "crypto/tls.Dial"],
    );
    let p = write_temp(dir.path(), "off", &off);
    check(
        &p,
        &Expect {
            module: "go-standard",
            fips_only: None,
            verdicts: ["fail", "fail"],
        },
    );
}

#[test]
fn go_openssl_backend_is_a_host_decision() {
    let dir = tempfile::tempdir().unwrap();
    let rh = go124(
        None,
        "",
        &[
            "vendor/github.com/golang-fips/openssl/v2.dlopen",
            "crypto/tls.Dial",
        ],
    );
    let p = write_temp(dir.path(), "redhat", &rh);
    // A static synthetic binary cannot load libcrypto: the finding fails it whatever the host.
    let (_, report) = binaries(&[p.to_str().unwrap()]);
    let b = only(&report);
    assert_eq!(b["crypto_module"], "go-openssl");
    assert!(ids(b).contains(&"openssl_not_loadable".to_string()));
    assert_eq!(b["verdict"], "fail");
}

// ------------------------------------------------------------------ JUnit, Prometheus, --sign

fn fipsprobe(args: &[&str]) -> std::process::Output {
    Command::cargo_bin("fipsprobe")
        .unwrap()
        .args(args)
        .output()
        .unwrap()
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

#[track_caller]
fn assert_code(o: &std::process::Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stderr: {}\nstdout: {}",
        String::from_utf8_lossy(&o.stderr),
        String::from_utf8_lossy(&o.stdout)
    );
}

/// Exit 2, nothing on stdout, one line on stderr that mentions `mentions`.
#[track_caller]
fn assert_refused(o: &std::process::Output, mentions: &str) {
    assert_code(o, 2);
    assert!(
        o.stdout.is_empty(),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(err.lines().count(), 1, "not one line: {err:?}");
    assert!(
        err.starts_with("fipsprobe: ") && err.contains(mentions),
        "{err:?} should mention {mentions:?}"
    );
}

/// Three real ELF executables and a script, one per verdict: a Go 1.24 binary with the frozen
/// Go Cryptographic Module (pass), the same under a name full of markup and a terminal escape
/// (pass), fipsprobe itself, non-FIPS AWS-LC (fail), and a script (not assessed).
struct Fleet {
    _dir: tempfile::TempDir,
    pass: PathBuf,
    hostile: PathBuf,
    fail: PathBuf,
    script: PathBuf,
}

impl Fleet {
    fn new() -> Fleet {
        let dir = tempfile::tempdir().unwrap();
        let frozen = frozen_fips_go124();
        let pass = write_temp(dir.path(), "fips-app", &frozen);
        let hostile = write_temp(dir.path(), "odd<\"&'\u{1b}[2J>", &frozen);
        let fail = dir.path().join("fipsprobe-copy");
        std::fs::copy(env!("CARGO_BIN_EXE_fipsprobe"), &fail).unwrap();
        let script = write_temp(dir.path(), "run.sh", b"#!/bin/sh\nexec /usr/bin/etcd\n");
        Fleet {
            _dir: dir,
            pass,
            hostile,
            fail,
            script,
        }
    }

    fn paths(&self) -> [&str; 4] {
        [
            s(&self.pass),
            s(&self.hostile),
            s(&self.fail),
            s(&self.script),
        ]
    }
}

/// The testcase of `path`, as an XPath step (matched by the safe start of its file name).
fn case_of(path: &Path) -> String {
    let name = path.file_name().unwrap().to_str().unwrap();
    let stem: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || "-.".contains(*c))
        .collect();
    format!("//testcase[contains(@name, '/{stem}')]")
}

#[test]
fn binaries_junit_has_a_testcase_per_binary_as_the_verdicts_say() {
    let fleet = Fleet::new();
    let dir = tempfile::tempdir().unwrap();
    let (xml, json_path) = (dir.path().join("b.xml"), dir.path().join("b.json"));
    let mut args = vec![
        "binaries",
        "--format",
        "junit",
        "--junit",
        s(&xml),
        "-o",
        s(&json_path),
    ];
    args.extend(fleet.paths());
    let o = fipsprobe(&args);
    assert_code(&o, 1);
    // stdout and --junit FILE are the same document, and it validates.
    let text = String::from_utf8(o.stdout.clone()).unwrap();
    assert_eq!(text, std::fs::read_to_string(&xml).unwrap());
    common::evidence::validate_junit(&xml).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let xpath = |expr: &str| common::evidence::xpath(&xml, expr);

    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    validate(&report);
    // Binaries alone: one suite, theirs.
    assert_eq!(xpath("count(//testsuite)"), "1", "{text}");
    assert_eq!(
        xpath("string(//testsuite/@name)"),
        "fipsprobe binaries policy fips-140-3"
    );
    assert_eq!(xpath("count(//testcase)"), "4", "{text}");
    assert_eq!(xpath("string(/testsuites/@tests)"), "4");
    assert_eq!(xpath("string(/testsuites/@failures)"), "1");
    assert_eq!(xpath("string(//testsuite/@failures)"), "1");
    assert_eq!(xpath("string(//testsuite/@skipped)"), "1");
    assert_eq!(
        xpath("string(//property[@name='policy.id']/@value)"),
        "fips-140-3"
    );
    for b in report["binaries"].as_array().unwrap() {
        let path = Path::new(b["path"].as_str().unwrap());
        let case = case_of(path);
        assert_eq!(xpath(&format!("count({case})")), "1", "{case}\n{text}");
        assert_eq!(
            xpath(&format!("string({case}/@classname)")),
            "fipsprobe.binaries"
        );
        let failures = xpath(&format!("count({case}/failure)"));
        let skipped = xpath(&format!("count({case}/skipped)"));
        match b["verdict"].as_str().unwrap() {
            "pass" => {
                assert_eq!((failures.as_str(), skipped.as_str()), ("0", "0"), "{case}");
                // What made it pass is shown beside it.
                let out = xpath(&format!("string({case}/system-out)"));
                assert!(out.contains("INFO module_validated: "), "{out:?}");
            }
            "fail" => {
                assert_eq!((failures.as_str(), skipped.as_str()), ("1", "0"), "{case}");
                let message = xpath(&format!("string({case}/failure/@message)"));
                let body = xpath(&format!("string({case}/failure)"));
                let mut failing = 0;
                for f in b["findings"].as_array().unwrap() {
                    if f["severity"] == "fail" {
                        failing += 1;
                        let id = f["id"].as_str().unwrap();
                        assert!(message.contains(id), "{id} not in {message:?}");
                        let line = format!("FAIL {id}: {}", f["message"].as_str().unwrap());
                        assert!(body.contains(&line), "{line:?} not in {body:?}");
                    }
                }
                assert!(failing > 0, "{b:#}");
            }
            "not_assessed" => {
                assert_eq!((failures.as_str(), skipped.as_str()), ("0", "1"), "{case}");
                let reason = xpath(&format!("string({case}/skipped/@message)"));
                assert!(
                    reason.starts_with("not assessed: ") && reason.contains("script"),
                    "{reason:?}"
                );
            }
            v => panic!("verdict {v}"),
        }
    }
    // The verdicts are the ones these files have.
    let verdict_of = |p: &Path| {
        report["binaries"]
            .as_array()
            .unwrap()
            .iter()
            .find(|b| b["path"] == s(p))
            .map(|b| b["verdict"].as_str().unwrap().to_string())
    };
    assert_eq!(verdict_of(&fleet.pass).as_deref(), Some("pass"));
    assert_eq!(verdict_of(&fleet.hostile).as_deref(), Some("pass"));
    assert_eq!(verdict_of(&fleet.fail).as_deref(), Some("fail"));
    assert_eq!(verdict_of(&fleet.script).as_deref(), Some("not_assessed"));
    // The odd name reads back as itself, with the ESC XML cannot carry shown as an escape.
    let dir_name = fleet.hostile.parent().unwrap().display().to_string();
    assert_eq!(
        xpath(&format!("string({}/@name)", case_of(&fleet.hostile))),
        format!("{dir_name}/odd<\"&'\\x1B[2J>")
    );
    assert!(!text.contains('\u{1b}'));
}

#[test]
fn binaries_prometheus_has_a_verdict_per_binary_and_the_counts() {
    let fleet = Fleet::new();
    let dir = tempfile::tempdir().unwrap();
    let prom = dir.path().join("fipsprobe.prom");
    let mut args = vec!["binaries", "--format", "table", "--prometheus", s(&prom)];
    args.extend(fleet.paths());
    let o = fipsprobe(&args);
    assert_code(&o, 1);
    // stdout stays the table; the file has the metrics.
    assert!(
        String::from_utf8_lossy(&o.stdout).contains("Verdict: FAIL"),
        "{}",
        String::from_utf8_lossy(&o.stdout)
    );
    let text = std::fs::read_to_string(&prom).unwrap();
    common::evidence::promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let samples =
        common::evidence::parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let series =
        |name: &str, labels: &[(&str, &str)]| common::evidence::series(&samples, name, labels);
    let dir_name = fleet.pass.parent().unwrap().display().to_string();
    let hostile_label = format!("{dir_name}/odd<\"&'\u{FFFD}[2J>");
    for (path, verdict) in [
        (s(&fleet.pass), "pass"),
        (hostile_label.as_str(), "pass"),
        (s(&fleet.fail), "fail"),
        (s(&fleet.script), "not_assessed"),
    ] {
        for v in ["pass", "fail", "not_assessed"] {
            assert_eq!(
                series(
                    "fipsprobe_binary_verdict",
                    &[("path", path), ("verdict", v)]
                ),
                Some(if v == verdict { 1.0 } else { 0.0 }),
                "{path} {v}\n{text}"
            );
        }
    }
    assert_eq!(
        series(
            "fipsprobe_binary_info",
            &[
                ("path", s(&fleet.fail)),
                ("kind", "elf"),
                ("crypto_module", "aws-lc")
            ]
        ),
        Some(1.0),
        "{text}"
    );
    for (verdict, n) in [("pass", 2.0), ("fail", 1.0), ("not_assessed", 1.0)] {
        assert_eq!(
            series("fipsprobe_binaries", &[("verdict", verdict)]),
            Some(n),
            "{text}"
        );
    }
    assert_eq!(series("fipsprobe_binaries_skipped", &[]), Some(0.0));
    // A script was not assessed: the run is not complete.
    assert_eq!(series("fipsprobe_scan_complete", &[]), Some(0.0));

    // --format prometheus prints the same series.
    let mut args = vec!["binaries", "--format", "prometheus"];
    args.extend(fleet.paths());
    let o = fipsprobe(&args);
    assert_code(&o, 1);
    let stdout = String::from_utf8(o.stdout).unwrap();
    let again =
        common::evidence::parse_exposition(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}"));
    let verdicts = |m: &std::collections::BTreeMap<common::evidence::Series, f64>| {
        m.iter()
            .filter(|(k, _)| k.name.starts_with("fipsprobe_binar"))
            .map(|(k, v)| (format!("{k:?}"), *v))
            .collect::<Vec<_>>()
    };
    assert_eq!(verdicts(&again), verdicts(&samples));
}

#[test]
fn binaries_sign_writes_a_signature_that_verify_accepts() {
    let fleet = Fleet::new();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let public = dir.path().join("k.pub.pem");
    assert_code(&fipsprobe(&["keygen", "--out", s(&key)]), 0);
    let report = dir.path().join("b.json");
    let o = fipsprobe(&[
        "binaries",
        "-q",
        "-o",
        s(&report),
        "--sign",
        s(&key),
        s(&fleet.pass),
        s(&fleet.fail),
    ]);
    assert_code(&o, 1);
    assert!(o.stdout.is_empty());
    let sig = dir.path().join("b.json.sig");
    assert!(sig.is_file(), "no signature beside the report");
    let o = fipsprobe(&["verify", s(&report), "--key", s(&public)]);
    assert_code(&o, 0);
    assert!(String::from_utf8_lossy(&o.stdout).contains("signature verified"));
    // The signed bytes are the report's: the failing binary edited to pass no longer verifies.
    let text = std::fs::read_to_string(&report).unwrap();
    let parsed: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(parsed["summary"]["binaries"]["fail"], 1);
    let forged = text.replacen("\"verdict\": \"fail\"", "\"verdict\": \"pass\"", 1);
    assert_ne!(forged, text);
    std::fs::write(&report, forged).unwrap();
    let o = fipsprobe(&["verify", s(&report), "--key", s(&public)]);
    assert_code(&o, 1);
}

#[test]
fn binaries_refuses_what_cannot_apply_before_inspecting_anything() {
    let fleet = Fleet::new();
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("k.pem");
    let public = dir.path().join("k.pub.pem");
    assert_code(&fipsprobe(&["keygen", "--out", s(&key)]), 0);
    let out = dir.path().join("b.json");
    let (xml, prom) = (dir.path().join("b.xml"), dir.path().join("b.prom"));
    let no_dir = dir.path().join("no/dir/b.xml");
    let cases: Vec<(Vec<&str>, &str)> = vec![
        (vec!["--format", "csv", "-o", s(&out)], "not csv"),
        (vec!["--format", "jsonl", "-o", s(&out)], "not jsonl"),
        (
            vec!["--sign", s(&key), "--junit", s(&xml)],
            "--sign needs a report file",
        ),
        (
            vec![
                "-o",
                s(&out),
                "--sign",
                s(&public),
                "--prometheus",
                s(&prom),
            ],
            "holds PUBLIC KEY",
        ),
        (
            vec![
                "-o",
                s(&out),
                "--junit",
                s(&no_dir),
                "--prometheus",
                s(&prom),
            ],
            "no/dir",
        ),
        (
            vec![
                "-o",
                s(&out),
                "--junit",
                s(&xml),
                "--prometheus",
                dir.path().to_str().unwrap(),
            ],
            "directory",
        ),
    ];
    for (extra, mentions) in cases {
        let mut args = vec!["binaries"];
        args.extend(extra);
        args.extend(fleet.paths());
        assert_refused(&fipsprobe(&args), mentions);
        for file in [&out, &xml, &prom] {
            assert!(!file.exists(), "{} written", file.display());
        }
        assert!(!dir.path().join("b.json.sig").exists());
    }
}

#[test]
fn scan_with_binaries_puts_the_binaries_in_junit_and_prometheus() {
    let fleet = Fleet::new();
    let dir = tempfile::tempdir().unwrap();
    let (xml, prom) = (dir.path().join("s.xml"), dir.path().join("s.prom"));
    let closed = common::closed_port().to_string();
    let o = fipsprobe(&[
        "scan",
        &closed,
        "-q",
        "--connect-timeout",
        "1s",
        "--junit",
        s(&xml),
        "--prometheus",
        s(&prom),
        "--binaries",
        s(&fleet.pass),
        "--binaries",
        s(&fleet.fail),
    ]);
    // The closed endpoint alone would be exit 3; the failing binary makes it 1.
    assert_code(&o, 1);
    common::evidence::validate_junit(&xml).unwrap();
    let xpath = |expr: &str| common::evidence::xpath(&xml, expr);
    assert_eq!(xpath("count(//testsuite)"), "2");
    assert_eq!(xpath("string(/testsuites/@tests)"), "3");
    assert_eq!(xpath("string(/testsuites/@failures)"), "1");
    // The endpoint suite as before: the closed endpoint, not assessed.
    let endpoints = "//testsuite[@name='fipsprobe policy fips-140-3']";
    assert_eq!(xpath(&format!("count({endpoints}/testcase/skipped)")), "1");
    let binaries = "//testsuite[@name='fipsprobe binaries policy fips-140-3']";
    assert_eq!(xpath(&format!("string({binaries}/@tests)")), "2");
    assert_eq!(xpath(&format!("string({binaries}/@failures)")), "1");
    assert_eq!(
        xpath(&format!(
            "count({binaries}/testcase[@name='{}']/failure)",
            s(&fleet.fail)
        )),
        "1"
    );
    assert_eq!(
        xpath(&format!(
            "count({binaries}/testcase[@name='{}']/*)",
            s(&fleet.pass)
        )),
        "1",
        "a passing binary has its findings in system-out, nothing else"
    );

    let text = std::fs::read_to_string(&prom).unwrap();
    common::evidence::promtool_check(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let samples =
        common::evidence::parse_exposition(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    let series =
        |name: &str, labels: &[(&str, &str)]| common::evidence::series(&samples, name, labels);
    assert_eq!(
        series(
            "fipsprobe_binary_verdict",
            &[("path", s(&fleet.fail)), ("verdict", "fail")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        series(
            "fipsprobe_binary_verdict",
            &[("path", s(&fleet.pass)), ("verdict", "pass")]
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        series("fipsprobe_binaries", &[("verdict", "fail")]),
        Some(1.0)
    );
    // The endpoint half is still there.
    assert!(
        samples.keys().any(|k| k.name == "fipsprobe_endpoints"),
        "{text}"
    );
}
