//! The names of the crypto modules a binary can be found to use: the values of the report's
//! `crypto_module` and of the policies' `[[module]]` rules. No I/O.

use std::fmt;
use std::str::FromStr;

/// Which crypto module a binary was built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CryptoModule {
    /// Go with `GOEXPERIMENT=boringcrypto` (or a dev.boringcrypto toolchain).
    GoBoringcrypto,
    /// Go 1.24+'s native module in FIPS mode (`GOFIPS140`, `fips140=on|only`).
    GoFips140,
    /// Go calling the host's OpenSSL (Red Hat's and Microsoft's toolchains).
    GoOpenssl,
    /// Go's own crypto, not in FIPS mode.
    GoStandard,
    /// A Go program with no crypto linked.
    None,
    /// A dynamically linked OpenSSL (`libcrypto`, `libssl`).
    Openssl,
    /// OpenSSL compiled into the binary.
    OpensslStatic,
    /// AWS-LC built as its FIPS module.
    AwsLcFips,
    /// AWS-LC, not the FIPS build.
    AwsLc,
    /// BoringSSL compiled in.
    Boringssl,
    /// GnuTLS.
    Gnutls,
    /// Mozilla NSS.
    Nss,
    /// wolfSSL.
    Wolfssl,
    /// Mbed TLS.
    Mbedtls,
    /// libgcrypt.
    Libgcrypt,
    /// Nettle.
    Nettle,
    /// libsodium.
    Libsodium,
    /// No known crypto library linked or embedded; the program may still carry its own.
    Unknown,
}

impl CryptoModule {
    /// Every module, in report order.
    pub const ALL: [CryptoModule; 18] = [
        CryptoModule::GoBoringcrypto,
        CryptoModule::GoFips140,
        CryptoModule::GoOpenssl,
        CryptoModule::GoStandard,
        CryptoModule::None,
        CryptoModule::Openssl,
        CryptoModule::OpensslStatic,
        CryptoModule::AwsLcFips,
        CryptoModule::AwsLc,
        CryptoModule::Boringssl,
        CryptoModule::Gnutls,
        CryptoModule::Nss,
        CryptoModule::Wolfssl,
        CryptoModule::Mbedtls,
        CryptoModule::Libgcrypt,
        CryptoModule::Nettle,
        CryptoModule::Libsodium,
        CryptoModule::Unknown,
    ];

    /// The label in reports and policies.
    pub fn label(self) -> &'static str {
        match self {
            CryptoModule::GoBoringcrypto => "go-boringcrypto",
            CryptoModule::GoFips140 => "go-fips140",
            CryptoModule::GoOpenssl => "go-openssl",
            CryptoModule::GoStandard => "go-standard",
            CryptoModule::None => "none",
            CryptoModule::Openssl => "openssl",
            CryptoModule::OpensslStatic => "openssl-static",
            CryptoModule::AwsLcFips => "aws-lc-fips",
            CryptoModule::AwsLc => "aws-lc",
            CryptoModule::Boringssl => "boringssl",
            CryptoModule::Gnutls => "gnutls",
            CryptoModule::Nss => "nss",
            CryptoModule::Wolfssl => "wolfssl",
            CryptoModule::Mbedtls => "mbedtls",
            CryptoModule::Libgcrypt => "libgcrypt",
            CryptoModule::Nettle => "nettle",
            CryptoModule::Libsodium => "libsodium",
            CryptoModule::Unknown => "unknown",
        }
    }
}

impl fmt::Display for CryptoModule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

impl FromStr for CryptoModule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        CryptoModule::ALL
            .into_iter()
            .find(|m| m.label() == s)
            .ok_or_else(|| {
                let known: Vec<&str> = CryptoModule::ALL.iter().map(|m| m.label()).collect();
                format!(
                    "unknown module {s:?} (expected one of: {})",
                    known.join(", ")
                )
            })
    }
}
