//! fipsprobe's own cryptography: which rustls provider it runs on, and whether that provider
//! is the FIPS-validated aws-lc module (cargo feature `fips`).

use std::sync::Arc;

use rustls::crypto::CryptoProvider;

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
