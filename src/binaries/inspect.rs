//! One file, from its bytes alone: what it is and which crypto module it was built with. Go
//! binaries are decided from their build information and function table, in the order the
//! binary-inspecting tools use (openshift/check-payload, rsc/goversion, go-fips-test; see
//! docs/binaries.md); other ELF programs from the libraries they link or embed. Nothing is
//! graded here.

use super::elf::{self, Elf};
use super::goinfo::{self, BuildInfo};
use super::model::{GoBuild, Kind};
use super::module::CryptoModule;
use super::native;
use super::pclntab::{self, Functions};
use super::read::Source;
use super::InspectError;
use crate::model::Severity;

/// A crypto module found in a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Detected {
    /// Which.
    pub module: CryptoModule,
    /// Its version, where known.
    pub version: Option<String>,
    /// TLS restricted to FIPS settings; `None` where that does not apply or is unknown.
    pub fips_only: Option<bool>,
    /// What showed it, for the finding.
    pub evidence: String,
}

/// A fact worth a finding, decided during inspection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// Finding id.
    pub id: &'static str,
    /// Severity.
    pub severity: Severity,
    /// One line.
    pub message: String,
}

/// Everything learnt about one file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Inspection {
    /// What it is.
    pub kind: Kind,
    /// Go build facts.
    pub go: Option<GoBuild>,
    /// Crypto modules, the deciding one first; empty when the file could not be inspected.
    pub modules: Vec<Detected>,
    /// Crypto libraries linked.
    pub libraries: Vec<String>,
    /// Facts for findings.
    pub notes: Vec<Note>,
    /// Why the file could not be inspected (then `modules` is empty).
    pub error: Option<String>,
}

impl Inspection {
    fn failed(kind: Kind, error: String) -> Inspection {
        Inspection {
            kind,
            go: None,
            modules: Vec::new(),
            libraries: Vec::new(),
            notes: Vec::new(),
            error: Some(error),
        }
    }

    /// True for an ELF executable (Go or not), whatever its state: what a directory walk
    /// reports.
    pub fn is_executable(&self) -> bool {
        matches!(self.kind, Kind::Go | Kind::Elf)
    }
}

/// Inspects one input.
pub fn inspect(src: &mut dyn Source) -> Inspection {
    if src.size() == 0 {
        return Inspection::failed(Kind::Empty, "empty file".into());
    }
    let head = match src.read_up_to(0, 4, 4, "file header") {
        Ok(h) => h,
        Err(e) => return Inspection::failed(Kind::Unreadable, e.to_string()),
    };
    if head.starts_with(b"#!") {
        return Inspection::failed(
            Kind::Script,
            "a script, not an ELF executable: inspect the interpreter it runs".into(),
        );
    }
    if !elf::is_elf(&head) {
        return Inspection::failed(Kind::NotElf, "not an ELF file".into());
    }
    match inspect_elf(src) {
        Ok(i) => i,
        Err(e) => Inspection::failed(Kind::Elf, e.to_string()),
    }
}

fn inspect_elf(src: &mut dyn Source) -> Result<Inspection, InspectError> {
    let elf = Elf::parse(src)?;
    let dynamic = elf.dynamic(src)?;
    if !elf.is_executable(&dynamic) {
        return Ok(Inspection::failed(
            Kind::ElfLibrary,
            "an ELF shared library or object, not an executable".into(),
        ));
    }
    let libraries: Vec<String> = dynamic
        .needed
        .iter()
        .filter(|n| native::library_module(n).is_some())
        .cloned()
        .collect();
    if let Some(info) = goinfo::read(&elf, src)? {
        let functions = pclntab::read(&elf, src)?;
        let mut inspection = classify_go(&info, functions.as_ref(), elf.has_interp());
        inspection.libraries = libraries;
        return Ok(inspection);
    }
    let found = native::inspect(&elf, &dynamic.needed, src)?;
    let mut notes = Vec::new();
    let mut modules: Vec<Detected> = found
        .linked
        .iter()
        .map(|m| Detected {
            module: m.module,
            version: m.version.clone(),
            fips_only: None,
            evidence: format!("links {}", m.evidence),
        })
        .chain(found.embedded.iter().map(|m| Detected {
            module: m.module,
            version: m.version.clone(),
            fips_only: None,
            evidence: format!("embeds {:?}", m.evidence),
        }))
        .collect();
    // One entry per module: libcrypto and libssl are the same OpenSSL.
    modules.dedup_by(|a, b| a.module == b.module);
    if modules.is_empty() {
        let scanned = if found.rodata_scanned {
            "no crypto library linked, and no known library's version string in .rodata"
        } else {
            "no crypto library linked; .rodata absent or too large to scan whole"
        };
        notes.push(Note {
            id: "crypto_not_found",
            severity: Severity::Info,
            message: scanned.into(),
        });
        modules.push(Detected {
            module: CryptoModule::Unknown,
            version: None,
            fips_only: None,
            evidence: scanned.into(),
        });
    }
    Ok(Inspection {
        kind: Kind::Elf,
        go: None,
        modules,
        libraries,
        notes,
        error: None,
    })
}

/// Decides a Go binary's module from its build information and (when present) its function
/// table. `dynamic` says whether the program has an interpreter (the OpenSSL-backed
/// toolchains need one to load libcrypto).
pub fn classify_go(info: &BuildInfo, functions: Option<&Functions>, dynamic: bool) -> Inspection {
    let experiments = info.experiments();
    let has_experiment = |names: &[&str]| experiments.iter().any(|e| names.contains(&e.as_str()));
    let gofips140 = info.setting("GOFIPS140").map(str::to_string);
    let godebug_fips = info.default_godebug("fips140").map(str::to_string);
    let fips_mode = matches!(godebug_fips.as_deref(), Some("on" | "only"));
    // RKE2's and Google's older GoBoring toolchains mark the version `go1.15.5b5`.
    let boring_version = info.go_version().rsplit_once('b').is_some_and(|(head, n)| {
        head.contains('.') && !n.is_empty() && n.chars().all(|c| c.is_ascii_digit())
    });
    let boring_build = has_experiment(&["boringcrypto"]) || boring_version;
    let openssl_build = has_experiment(&["opensslcrypto", "systemcrypto", "strictfipsruntime"]);
    let tags: Vec<String> = info.tags().iter().map(|t| t.to_string()).collect();
    let mut notes = Vec::new();
    let mut frozen = None;

    let (module, version, fips_only, evidence) = match functions {
        Some(f) if f.openssl_backend || (openssl_build && f.crypto) => (
            CryptoModule::GoOpenssl,
            None,
            None,
            "function table: an OpenSSL backend (golang-fips/openssl or DLOPEN_OPENSSL)"
                .to_string(),
        ),
        Some(f) if f.boring_sig || f.goboringcrypto_cfunc => (
            CryptoModule::GoBoringcrypto,
            None,
            Some(f.fips_only),
            "function table: crypto/internal/boring/sig.BoringCrypto".to_string(),
        ),
        Some(f) if fips_mode && f.fips140 => {
            let version = f
                .fips140_snapshot
                .clone()
                .or_else(|| gofips140.clone())
                .unwrap_or_else(|| "latest".into());
            if let (Some(setting), Some(snapshot)) = (&gofips140, &f.fips140_snapshot) {
                if setting != snapshot && setting != "latest" {
                    notes.push(Note {
                        id: "gofips140_mismatch",
                        severity: Severity::Warn,
                        message: format!(
                            "GOFIPS140={setting} but the function table holds snapshot {snapshot}"
                        ),
                    });
                }
            }
            frozen = Some(f.fips140_snapshot.is_some());
            (
                CryptoModule::GoFips140,
                Some(version),
                Some(godebug_fips.as_deref() == Some("only")),
                format!(
                    "DefaultGODEBUG fips140={}",
                    godebug_fips.as_deref().unwrap_or("")
                ),
            )
        }
        Some(f) if !f.crypto => (
            CryptoModule::None,
            None,
            None,
            format!(
                "function table: {} functions, none in a crypto package",
                f.names
            ),
        ),
        Some(f) => {
            if boring_build {
                notes.push(Note {
                    id: "boringcrypto_not_linked",
                    severity: Severity::Warn,
                    message: "built with GOEXPERIMENT=boringcrypto, but the function table has no BoringCrypto".into(),
                });
            }
            if f.fips140 && gofips140.as_deref().is_some_and(|v| v != "off") && !fips_mode {
                notes.push(Note {
                    id: "fips140_off_by_default",
                    severity: Severity::Warn,
                    message: format!(
                        "GOFIPS140={} is set but the default GODEBUG leaves fips140 off",
                        gofips140.as_deref().unwrap_or("")
                    ),
                });
            }
            (
                CryptoModule::GoStandard,
                None,
                None,
                "function table: Go's own crypto, not in FIPS mode".to_string(),
            )
        }
        None => {
            notes.push(Note {
                id: "function_table_missing",
                severity: Severity::Info,
                message:
                    "no Go function table (.gopclntab): decided from the build information alone"
                        .into(),
            });
            if openssl_build {
                (
                    CryptoModule::GoOpenssl,
                    None,
                    None,
                    format!("GOEXPERIMENT {}", experiments.join(",")),
                )
            } else if boring_build {
                (
                    CryptoModule::GoBoringcrypto,
                    None,
                    None,
                    format!("version {}", info.version),
                )
            } else if fips_mode {
                frozen = Some(gofips140.as_deref().is_some_and(|v| v != "latest"));
                (
                    CryptoModule::GoFips140,
                    Some(gofips140.clone().unwrap_or_else(|| "latest".into())),
                    Some(godebug_fips.as_deref() == Some("only")),
                    format!(
                        "DefaultGODEBUG fips140={}",
                        godebug_fips.as_deref().unwrap_or("")
                    ),
                )
            } else {
                (
                    CryptoModule::Unknown,
                    None,
                    None,
                    "without a function table it cannot be told whether crypto is linked"
                        .to_string(),
                )
            }
        }
    };
    if module == CryptoModule::GoOpenssl {
        if tags.iter().any(|t| t == "no_openssl") {
            notes.push(Note {
                id: "openssl_disabled",
                severity: Severity::Fail,
                message: "built with the no_openssl tag: the OpenSSL backend is compiled out"
                    .into(),
            });
        }
        if info.setting("CGO_ENABLED") == Some("0") || !dynamic {
            notes.push(Note {
                id: "openssl_not_loadable",
                severity: Severity::Fail,
                message: "the OpenSSL backend needs cgo and a dynamic executable to load libcrypto"
                    .into(),
            });
        }
    }
    let go = GoBuild {
        version: info.version.clone(),
        experiments,
        gofips140,
        godebug_fips140: godebug_fips,
        cgo_enabled: info.setting("CGO_ENABLED").map(str::to_string),
        tags,
        path: info.path.clone(),
        main_module: info.main_module.as_ref().map(|(p, _)| p.clone()),
        main_version: info.main_module.as_ref().map(|(_, v)| v.clone()),
        function_table: functions.map(|f| f.format.to_string()),
        fips140_frozen: frozen,
    };
    Inspection {
        kind: Kind::Go,
        go: Some(go),
        modules: vec![Detected {
            module,
            version,
            fips_only,
            evidence,
        }],
        libraries: Vec::new(),
        notes,
        error: None,
    }
}
