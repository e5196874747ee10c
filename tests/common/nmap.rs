//! nmap's `ssl-enum-ciphers` script as an independent reference for the conformance
//! cross-check. It names TLS 1.0–1.2 suites by their IANA names; for TLS 1.3 it prints
//! `TLS_AKE_WITH_*` draft names (an nmap limitation the cross-check must map or ignore).

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::process::Command;

use super::process::{failed, require_binary, ServerError};

/// What nmap found for one protocol version.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NmapVersion {
    /// Suite names in nmap's order (the server's order when it enforces one).
    pub ciphers: Vec<String>,
    /// nmap's verdict on the order: `server`, `client` or `indeterminate`.
    pub preference: Option<String>,
}

/// nmap's findings per version label (`TLSv1.0` … `TLSv1.3`, `SSLv3`).
#[derive(Clone, Debug, Default)]
pub struct NmapResult {
    /// Per version.
    pub versions: BTreeMap<String, NmapVersion>,
    /// nmap's full normal output, for assertion messages.
    pub raw: String,
}

/// Runs `nmap -Pn -n -sT -p PORT --script ssl-enum-ciphers IP` (a TCP connect scan of one
/// loopback port: no raw packets, no host discovery, no DNS).
pub fn ssl_enum_ciphers(addr: SocketAddr) -> Result<NmapResult, ServerError> {
    assert!(
        addr.ip().is_loopback(),
        "tests scan loopback only, not {addr}"
    );
    let nmap = require_binary("nmap", "nmap")?;
    let output = Command::new(nmap)
        .args(["-Pn", "-n", "-sT", "--script", "ssl-enum-ciphers", "-p"])
        .arg(addr.port().to_string())
        .arg(addr.ip().to_string())
        .output()
        .map_err(|e| failed("running nmap", e))?;
    let raw = String::from_utf8_lossy(&output.stdout).into_owned();
    if !output.status.success() {
        return Err(ServerError::Failed(format!(
            "nmap failed: {}\n{raw}",
            String::from_utf8_lossy(&output.stderr)
        )));
    }
    Ok(parse(&raw))
}

/// Parses the script's section of nmap's normal output:
///
/// ```text
/// | ssl-enum-ciphers:
/// |   TLSv1.2:
/// |     ciphers:
/// |       TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (secp256r1) - A
/// |     compressors:
/// |       NULL
/// |     cipher preference: server
/// |_  least strength: A
/// ```
pub fn parse(raw: &str) -> NmapResult {
    let mut result = NmapResult {
        raw: raw.to_string(),
        ..NmapResult::default()
    };
    let mut current: Option<String> = None;
    let mut in_ciphers = false;
    for line in raw.lines() {
        let Some(body) = line.strip_prefix('|') else {
            continue;
        };
        let text = body.trim_start_matches('_').trim();
        let indent = body.len() - body.trim_start().len();
        if indent == 3
            && (text.starts_with("TLSv") || text.starts_with("SSLv"))
            && text.ends_with(':')
        {
            let label = text.trim_end_matches(':').to_string();
            result.versions.entry(label.clone()).or_default();
            current = Some(label);
            in_ciphers = false;
        } else if indent == 3 {
            current = None;
        } else if let Some(version) = current.as_ref().and_then(|v| result.versions.get_mut(v)) {
            if indent == 5 {
                in_ciphers = text == "ciphers:";
                if let Some(pref) = text.strip_prefix("cipher preference:") {
                    version.preference = Some(pref.trim().to_string());
                }
            } else if indent == 7 && in_ciphers {
                if let Some(name) = text.split_whitespace().next() {
                    version.ciphers.push(name.to_string());
                }
            }
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_versions_ciphers_and_preference() {
        let raw = "PORT      STATE SERVICE\n14440/tcp open  unknown\n| ssl-enum-ciphers: \n|   TLSv1.2: \n|     ciphers: \n|       TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384 (ecdh_x25519) - A\n|       TLS_RSA_WITH_AES_128_CBC_SHA (rsa 2048) - A\n|     compressors: \n|       NULL\n|     cipher preference: server\n|   TLSv1.3: \n|     ciphers: \n|       TLS_AKE_WITH_AES_128_GCM_SHA256 (ecdh_x25519) - A\n|     cipher preference: client\n|_  least strength: A\n";
        let got = parse(raw);
        assert_eq!(got.versions.len(), 2);
        assert_eq!(
            got.versions["TLSv1.2"].ciphers,
            [
                "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
                "TLS_RSA_WITH_AES_128_CBC_SHA"
            ]
        );
        assert_eq!(
            got.versions["TLSv1.2"].preference.as_deref(),
            Some("server")
        );
        assert_eq!(
            got.versions["TLSv1.3"].ciphers,
            ["TLS_AKE_WITH_AES_128_GCM_SHA256"]
        );
        assert_eq!(
            got.versions["TLSv1.3"].preference.as_deref(),
            Some("client")
        );
    }
}
