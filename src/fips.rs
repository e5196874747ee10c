//! fipsprobe's own cryptography: which rustls provider it runs on, and whether that provider
//! is the FIPS-validated aws-lc module (cargo feature `fips`).
//!
//! A `fips` build must really run in FIPS mode: [`check`] is called at start-up and refuses to
//! go on otherwise, so a report can never claim `fips_mode: true` from a module that failed
//! its power-on self tests.
//!
//! What the FIPS provider changes: rustls drops ChaCha20-Poly1305 and X25519 from its defaults
//! and requires extended master secret in TLS 1.2. The scanner's own hellos are hand-built and
//! unaffected; its full handshakes ([`crate::probe::tls13`]) turn `require_ems` off so that
//! they can still read the certificate of a server without EMS (an audit, not data to protect).

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

/// Why fipsprobe refuses to run.
#[derive(Debug, thiserror::Error)]
pub enum FipsError {
    /// Built with `fips`, but the module is not in FIPS mode.
    #[error("built with the `fips` feature, but the AWS-LC FIPS module is not in FIPS mode: {0}")]
    NotInFipsMode(String),
}

/// The provider full handshakes (TLS 1.3 certificate retrieval, demo servers) run on.
pub fn provider() -> Arc<CryptoProvider> {
    #[cfg(feature = "fips")]
    {
        Arc::new(rustls::crypto::default_fips_provider())
    }
    #[cfg(not(feature = "fips"))]
    {
        Arc::new(rustls::crypto::aws_lc_rs::default_provider())
    }
}

/// The provider the scanner's own full handshakes use: [`provider`] with every suite and
/// key-exchange group it implements (pure ML-KEM and the hybrids included), so that a server
/// configured with only one of them still shows its certificate. A `fips` build keeps to the
/// FIPS module's approved ones: it never steps outside the module to read a certificate.
pub fn scanner_provider() -> Arc<CryptoProvider> {
    use rustls::crypto::aws_lc_rs::{ALL_CIPHER_SUITES, ALL_KX_GROUPS};
    let base = provider();
    let fips = cfg!(feature = "fips");
    Arc::new(CryptoProvider {
        cipher_suites: ALL_CIPHER_SUITES
            .iter()
            .filter(|s| !fips || s.fips())
            .copied()
            .collect(),
        kx_groups: ALL_KX_GROUPS
            .iter()
            .filter(|g| !fips || g.fips())
            .copied()
            .collect(),
        ..(*base).clone()
    })
}

/// The provider's name as the report records it.
pub fn provider_name() -> &'static str {
    if cfg!(feature = "fips") {
        "aws-lc-rs (AWS-LC FIPS module)"
    } else {
        "aws-lc-rs"
    }
}

/// True when built with `fips` and the provider reports FIPS mode.
pub fn enabled() -> bool {
    cfg!(feature = "fips") && provider().fips()
}

/// The start-up check: `Ok` for a default build, and for a `fips` build whose module is in
/// FIPS mode (self tests passed) with a provider that reports FIPS; an error naming the cause
/// otherwise. `main` calls it before anything else.
pub fn check() -> Result<(), FipsError> {
    if !cfg!(feature = "fips") {
        return Ok(());
    }
    aws_lc_rs::try_fips_mode().map_err(|e| FipsError::NotInFipsMode(e.to_string()))?;
    if !provider().fips() {
        return Err(FipsError::NotInFipsMode(
            "the rustls provider does not report FIPS".into(),
        ));
    }
    Ok(())
}

/// One line for `--version` and logs: the provider and whether it is in FIPS mode.
pub fn describe() -> String {
    if enabled() {
        format!("{} in FIPS mode", provider_name())
    } else if cfg!(feature = "fips") {
        format!("{} NOT in FIPS mode", provider_name())
    } else {
        format!("{}, not FIPS", provider_name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_check_matches_the_build() {
        // A default build always passes and never claims FIPS; a `fips` build must be in FIPS
        // mode on this machine (the module's self tests pass), and say so.
        assert!(check().is_ok());
        assert_eq!(enabled(), cfg!(feature = "fips"));
        assert_eq!(describe().contains("in FIPS mode"), cfg!(feature = "fips"));
    }

    #[test]
    fn the_fips_provider_drops_chacha_and_x25519() {
        let p = provider();
        let has_chacha = p
            .cipher_suites
            .iter()
            .any(|s| s.suite().as_str().is_some_and(|n| n.contains("CHACHA20")));
        let has_x25519 = p
            .kx_groups
            .iter()
            .any(|g| g.name() == rustls::NamedGroup::X25519);
        assert_eq!(has_chacha, !cfg!(feature = "fips"));
        assert_eq!(has_x25519, !cfg!(feature = "fips"));
    }
}
