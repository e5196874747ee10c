//! Whether the host fipsprobe runs on provides a FIPS module for the libraries a binary links
//! at run time: the kernel's FIPS switch, OpenSSL 3's FIPS provider (`fips.so`, activated by
//! the OpenSSL configuration with `fips=yes` as the default property), and the integrity files
//! of GnuTLS, NSS and libgcrypt. Read once per run; every file read is capped.

use std::path::{Path, PathBuf};

use super::module::CryptoModule;

/// The most of an OpenSSL configuration file read (and of each file it includes).
pub const MAX_CONFIG: u64 = 256 * 1024;
/// `.include` levels followed.
const MAX_INCLUDE_DEPTH: usize = 4;

/// Library directories searched (Debian multiarch, RHEL, plain).
const LIB_DIRS: [&str; 6] = [
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib/aarch64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/lib64",
    "/usr/local/lib64",
];

/// OpenSSL configuration files tried when `OPENSSL_CONF` is not set.
const OPENSSL_CONFS: [&str; 3] = [
    "/usr/lib/ssl/openssl.cnf",
    "/etc/pki/tls/openssl.cnf",
    "/etc/ssl/openssl.cnf",
];

/// What the host says about FIPS.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostFips {
    /// `/proc/sys/crypto/fips_enabled` is 1 (`None` when it could not be read).
    pub kernel: Option<bool>,
    /// OpenSSL 3's FIPS provider module, where found.
    pub openssl_provider: Option<PathBuf>,
    /// The OpenSSL configuration read, where one was found.
    pub openssl_config: Option<PathBuf>,
    /// The configuration activates the `fips` provider.
    pub config_activates_fips: bool,
    /// The configuration makes `fips=yes` the default property (no non-FIPS fallback).
    pub config_default_fips: bool,
    /// GnuTLS's, NSS's and libgcrypt's integrity files, where found.
    pub integrity_files: Vec<PathBuf>,
}

impl HostFips {
    /// Reads the host.
    pub fn probe() -> HostFips {
        let kernel = std::fs::read_to_string("/proc/sys/crypto/fips_enabled")
            .ok()
            .map(|s| s.trim() == "1");
        let mut modules_dirs: Vec<PathBuf> = std::env::var_os("OPENSSL_MODULES")
            .map(PathBuf::from)
            .into_iter()
            .collect();
        modules_dirs.extend(LIB_DIRS.iter().map(|d| Path::new(d).join("ossl-modules")));
        let openssl_provider = modules_dirs
            .into_iter()
            .map(|d| d.join("fips.so"))
            .find(|p| p.is_file());
        let config = std::env::var_os("OPENSSL_CONF")
            .map(PathBuf::from)
            .into_iter()
            .chain(OPENSSL_CONFS.iter().map(PathBuf::from))
            .find(|p| p.is_file());
        let mut host = HostFips {
            kernel,
            openssl_provider,
            ..HostFips::default()
        };
        if let Some(path) = &config {
            let mut text = String::new();
            read_config(path, 0, &mut text);
            let (activates, default_fips) = openssl_config_enables_fips(&text);
            host.config_activates_fips = activates;
            host.config_default_fips = default_fips;
        }
        host.openssl_config = config;
        for name in [
            ".libgnutls.so.30.hmac",
            "libsoftokn3.chk",
            ".libgcrypt.so.20.hmac",
        ] {
            host.integrity_files.extend(
                LIB_DIRS
                    .iter()
                    .map(|d| Path::new(d).join(name))
                    .filter(|p| p.is_file()),
            );
        }
        host
    }

    /// Whether the host runs `module` (linked at `version`) as a FIPS module, with the facts
    /// that decided, in one line.
    pub fn provides(&self, module: CryptoModule, version: Option<&str>) -> (bool, String) {
        let kernel = match self.kernel {
            Some(true) => "kernel FIPS mode on",
            Some(false) => "kernel FIPS mode off (/proc/sys/crypto/fips_enabled = 0)",
            None => "kernel FIPS mode unknown (/proc/sys/crypto/fips_enabled unreadable)",
        };
        match module {
            CryptoModule::Openssl | CryptoModule::GoOpenssl => {
                if module == CryptoModule::Openssl && version.is_some_and(|v| !v.starts_with('3')) {
                    return (
                        false,
                        format!(
                            "OpenSSL {} has no FIPS provider to check (only OpenSSL 3 is checked)",
                            version.unwrap_or("")
                        ),
                    );
                }
                let Some(provider) = &self.openssl_provider else {
                    return (
                        false,
                        format!("no OpenSSL FIPS provider (fips.so) on this host; {kernel}"),
                    );
                };
                let configured = self.config_activates_fips && self.config_default_fips;
                let on = configured || self.kernel == Some(true);
                let config = match (&self.openssl_config, configured) {
                    (Some(p), true) => format!("{} activates it with fips=yes", p.display()),
                    (Some(p), false) => {
                        format!("{} does not activate it with fips=yes", p.display())
                    }
                    (None, _) => "no OpenSSL configuration found".to_string(),
                };
                (
                    on,
                    format!("FIPS provider {}; {config}; {kernel}", provider.display()),
                )
            }
            CryptoModule::Gnutls | CryptoModule::Nss | CryptoModule::Libgcrypt => {
                let marker = match module {
                    CryptoModule::Gnutls => ".libgnutls.so.30.hmac",
                    CryptoModule::Nss => "libsoftokn3.chk",
                    _ => ".libgcrypt.so.20.hmac",
                };
                let file = self
                    .integrity_files
                    .iter()
                    .find(|p| p.file_name().is_some_and(|n| n == marker));
                match file {
                    Some(f) if self.kernel == Some(true) => {
                        (true, format!("{kernel}; integrity file {}", f.display()))
                    }
                    Some(f) => (false, format!("{kernel}; integrity file {}", f.display())),
                    None => (false, format!("no {marker} FIPS integrity file; {kernel}")),
                }
            }
            _ => (
                false,
                "the host provides no FIPS build of this module".to_string(),
            ),
        }
    }
}

/// Reads an OpenSSL configuration and the files it `.include`s, capped.
fn read_config(path: &Path, depth: usize, out: &mut String) {
    use std::io::Read;
    let Ok(file) = std::fs::File::open(path) else {
        return;
    };
    let mut text = String::new();
    if file.take(MAX_CONFIG).read_to_string(&mut text).is_err() {
        return;
    }
    for line in text.lines() {
        let trimmed = line.trim();
        let include = trimmed
            .strip_prefix(".include")
            .map(|r| r.trim_start_matches([' ', '=']).trim());
        match include {
            Some(target) if depth < MAX_INCLUDE_DEPTH && !target.is_empty() => {
                let target = Path::new(target);
                let target = if target.is_relative() {
                    path.parent().unwrap_or(Path::new("/")).join(target)
                } else {
                    target.to_path_buf()
                };
                if target.is_dir() {
                    let Ok(entries) = std::fs::read_dir(&target) else {
                        continue;
                    };
                    let mut files: Vec<PathBuf> = entries
                        .filter_map(|e| e.ok().map(|e| e.path()))
                        .filter(|p| p.extension().is_some_and(|x| x == "cnf" || x == "conf"))
                        .collect();
                    files.sort();
                    for f in files.iter().take(64) {
                        read_config(f, depth.saturating_add(1), out);
                    }
                } else {
                    read_config(&target, depth.saturating_add(1), out);
                }
            }
            _ => {
                out.push_str(line);
                out.push('\n');
            }
        }
    }
}

/// Whether a configuration (includes inlined) activates the `fips` provider and sets
/// `default_properties = fips=yes` (fips_config(5), config(5)).
pub fn openssl_config_enables_fips(text: &str) -> (bool, bool) {
    // name = value lines per [section].
    let mut sections: Vec<(String, Vec<(String, String)>)> = vec![(String::new(), Vec::new())];
    for line in text.lines() {
        let line = line.split('#').next().unwrap_or("").trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            sections.push((name.trim().to_string(), Vec::new()));
        } else if let Some((k, v)) = line.split_once('=') {
            if let Some((_, entries)) = sections.last_mut() {
                entries.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    let value = |name: &str, key: &str| {
        sections
            .iter()
            .filter(|(n, _)| n == name)
            .flat_map(|(_, e)| e.iter())
            .filter(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .next_back()
    };
    let Some(init) = value("", "openssl_conf") else {
        return (false, false);
    };
    let providers = value(&init, "providers");
    let fips_section = providers.as_deref().and_then(|p| value(p, "fips"));
    let activates = fips_section
        .as_deref()
        .and_then(|s| value(s, "activate"))
        .is_some_and(|v| matches!(v.as_str(), "1" | "yes" | "true" | "on"));
    let default_fips = value(&init, "alg_section")
        .and_then(|s| value(&s, "default_properties"))
        .is_some_and(|v| v.replace(' ', "").contains("fips=yes"));
    (activates, default_fips)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    #[test]
    fn fips_config_is_recognised() {
        let on = "openssl_conf = init\n[init]\nproviders = prov\nalg_section = algs\n\
                  [prov]\nfips = fips_sect\nbase = base_sect\n[fips_sect]\nactivate = 1\n\
                  [algs]\ndefault_properties = fips=yes\n";
        assert_eq!(openssl_config_enables_fips(on), (true, true));
        let debian = "openssl_conf = openssl_init\n[openssl_init]\nproviders = provider_sect\n\
                      [provider_sect]\ndefault = default_sect\n# fips = fips_sect\n\
                      [default_sect]\nactivate = 1\n";
        assert_eq!(openssl_config_enables_fips(debian), (false, false));
    }

    #[test]
    fn missing_provider_is_not_fips() {
        let host = HostFips {
            kernel: Some(false),
            ..HostFips::default()
        };
        let (on, why) = host.provides(CryptoModule::Openssl, Some("3"));
        assert!(!on);
        assert!(why.contains("no OpenSSL FIPS provider"), "{why}");
        let (on, _) = host.provides(CryptoModule::Gnutls, Some("30"));
        assert!(!on);
    }
}
