//! Crypto libraries of programs that are not Go: the ones they link (`DT_NEEDED`) and the ones
//! they carry inside (a static AWS-LC, BoringSSL, OpenSSL or Mbed TLS leaves its version string
//! in `.rodata`). Markers are whole NUL-terminated strings, so text that merely mentions a
//! library (a help message, an embedded document) does not count.

use super::elf::Elf;
use super::module::CryptoModule;
use super::pclntab::NAME_PREFIX;
use super::read::Source;
use super::InspectError;

/// The largest `.rodata` scanned for embedded version strings; larger sections are scanned up
/// to this many bytes and the scan says so.
pub const MAX_RODATA: u64 = 256 << 20;

/// A crypto module a native program links or embeds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeModule {
    /// Which module.
    pub module: CryptoModule,
    /// Its version, where the evidence carries one (`3` of `libcrypto.so.3`, `5.12.0`).
    pub version: Option<String>,
    /// The evidence: the library name, or the embedded string.
    pub evidence: String,
}

/// What the dynamic section and `.rodata` say.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Native {
    /// Crypto libraries in `DT_NEEDED`.
    pub linked: Vec<NativeModule>,
    /// Crypto libraries found compiled in.
    pub embedded: Vec<NativeModule>,
    /// `.rodata` was scanned whole (false when absent, or cut at [`MAX_RODATA`]).
    pub rodata_scanned: bool,
}

/// The module a `DT_NEEDED` name belongs to, with the version its soname carries.
pub fn library_module(name: &str) -> Option<NativeModule> {
    const TABLE: [(&str, CryptoModule); 14] = [
        ("libcrypto.so", CryptoModule::Openssl),
        ("libssl.so", CryptoModule::Openssl),
        ("libgnutls.so", CryptoModule::Gnutls),
        ("libnss3.so", CryptoModule::Nss),
        ("libssl3.so", CryptoModule::Nss),
        ("libsoftokn3.so", CryptoModule::Nss),
        ("libfreebl3.so", CryptoModule::Nss),
        ("libwolfssl.so", CryptoModule::Wolfssl),
        ("libmbedtls.so", CryptoModule::Mbedtls),
        ("libmbedcrypto.so", CryptoModule::Mbedtls),
        ("libgcrypt.so", CryptoModule::Libgcrypt),
        ("libnettle.so", CryptoModule::Nettle),
        ("libhogweed.so", CryptoModule::Nettle),
        ("libsodium.so", CryptoModule::Libsodium),
    ];
    TABLE.iter().find_map(|(prefix, module)| {
        let rest = name.strip_prefix(prefix)?;
        let version = rest.strip_prefix('.').filter(|v| !v.is_empty());
        (rest.is_empty() || version.is_some()).then(|| NativeModule {
            module: *module,
            version: version.map(str::to_string),
            evidence: name.to_string(),
        })
    })
}

/// Classifies the `DT_NEEDED` names and, when none is a crypto library, scans `.rodata`.
pub fn inspect(elf: &Elf, needed: &[String], src: &mut dyn Source) -> Result<Native, InspectError> {
    let mut out = Native {
        linked: needed.iter().filter_map(|n| library_module(n)).collect(),
        ..Native::default()
    };
    if !out.linked.is_empty() {
        return Ok(out);
    }
    let Some(rodata) = elf.section(".rodata") else {
        return Ok(out);
    };
    let len = rodata.size.min(MAX_RODATA);
    let mut scan = MarkerScan::default();
    src.stream(rodata.offset, len, ".rodata", &mut |chunk| {
        scan.feed(chunk);
        true
    })?;
    scan.finish();
    out.rodata_scanned = len == rodata.size;
    // AWS-LC's FIPS build moves the module's constants, its version string among them, into
    // `.text` (delocation keeps the integrity-checked module contiguous); the rest of AWS-LC
    // leaves strings like "AWS-LC KEM method" in `.rodata`. Only then is `.text` scanned.
    let versioned = scan
        .found
        .iter()
        .any(|m| matches!(m.module, CryptoModule::AwsLc | CryptoModule::AwsLcFips));
    if scan.awslc_hint && !versioned {
        if let Some(text) = elf.section(".text") {
            let mut finder = DelocatedFinder::default();
            src.stream(
                text.offset,
                text.size.min(MAX_RODATA),
                ".text",
                &mut |chunk| {
                    finder.feed(chunk);
                    finder.found.is_none()
                },
            )?;
            scan.found.extend(finder.found);
        }
    }
    out.embedded = scan.found;
    Ok(out)
}

/// Splits a byte stream into NUL-terminated strings and keeps the library version strings.
#[derive(Default)]
pub struct MarkerScan {
    current: Vec<u8>,
    overflow: bool,
    /// Markers found, first occurrence of each module only.
    pub found: Vec<NativeModule>,
    /// Some whole string starts with `AWS-LC ` (AWS-LC is compiled in).
    pub awslc_hint: bool,
}

impl MarkerScan {
    /// Feeds the next bytes.
    pub fn feed(&mut self, chunk: &[u8]) {
        for (part, terminated) in super::read::split_nul(chunk) {
            self.push(part);
            if terminated {
                self.done();
            }
        }
    }

    /// Ends the stream.
    pub fn finish(&mut self) {
        self.done();
    }

    fn push(&mut self, part: &[u8]) {
        // Version strings are short; a longer run is data, not a marker.
        const LONGEST: usize = 80;
        if self.overflow {
            return;
        }
        if self.current.len().saturating_add(part.len()) > LONGEST.min(NAME_PREFIX) {
            self.overflow = true;
            self.current.clear();
            return;
        }
        self.current.extend_from_slice(part);
    }

    fn done(&mut self) {
        if !self.overflow && !self.current.is_empty() {
            self.awslc_hint |= self.current.starts_with(b"AWS-LC ");
            if let Some(m) = std::str::from_utf8(&self.current).ok().and_then(marker) {
                if !self.found.iter().any(|f| f.module == m.module) {
                    self.found.push(m);
                }
            }
        }
        self.current.clear();
        self.overflow = false;
    }
}

/// Finds `AWS-LC FIPS x.y.z\0` / `AWS-LC x.y.z\0` inside code, where the string follows
/// instructions rather than a NUL: the byte before it must not be printable text.
#[derive(Default)]
struct DelocatedFinder {
    carry: Vec<u8>,
    found: Option<NativeModule>,
}

impl DelocatedFinder {
    /// Bytes kept from one chunk for the next, so a marker split by a chunk edge is found.
    const OVERLAP: usize = 64;

    fn feed(&mut self, chunk: &[u8]) {
        let mut buf = std::mem::take(&mut self.carry);
        buf.extend_from_slice(chunk);
        let mut at = 0usize;
        while let Some(i) = buf
            .get(at..)
            .and_then(|rest| rest.windows(7).position(|w| w == b"AWS-LC "))
        {
            let start = at.saturating_add(i);
            at = start.saturating_add(1);
            let before_ok = start
                .checked_sub(1)
                .and_then(|p| buf.get(p))
                .is_none_or(|b| !(b.is_ascii_graphic() || *b == b' '));
            let Some(rest) = buf.get(start..) else { break };
            let Some(end) = rest.iter().take(Self::OVERLAP).position(|b| *b == 0) else {
                continue;
            };
            let candidate = rest.get(..end).and_then(|s| std::str::from_utf8(s).ok());
            if let (true, Some(m)) = (before_ok, candidate.and_then(marker)) {
                self.found = Some(m);
                return;
            }
        }
        let keep = buf.len().saturating_sub(Self::OVERLAP);
        self.carry = buf.get(keep..).unwrap_or_default().to_vec();
    }
}

/// A whole string that is a crypto library's version string.
fn marker(s: &str) -> Option<NativeModule> {
    fn version_only(v: &str) -> bool {
        v.starts_with(|c: char| c.is_ascii_digit())
            && v.chars().all(|c| c.is_ascii_digit() || c == '.')
    }
    let found = |module, version: &str| NativeModule {
        module,
        version: Some(version.to_string()),
        evidence: s.to_string(),
    };
    // AWS-LC's OpenSSL_version(): "AWS-LC FIPS " or "AWS-LC " and the version
    // (include/openssl/service_indicator.h, AWSLC_VERSION_STRING).
    if let Some(v) = s.strip_prefix("AWS-LC FIPS ").filter(|v| version_only(v)) {
        return Some(found(CryptoModule::AwsLcFips, v));
    }
    if let Some(v) = s.strip_prefix("AWS-LC ").filter(|v| version_only(v)) {
        return Some(found(CryptoModule::AwsLc, v));
    }
    // BoringSSL's OpenSSL_version(OPENSSL_VERSION) is the bare name.
    if s == "BoringSSL" {
        return Some(NativeModule {
            module: CryptoModule::Boringssl,
            version: None,
            evidence: s.to_string(),
        });
    }
    // OpenSSL's OPENSSL_VERSION_TEXT: "OpenSSL 3.0.15 3 Sep 2024", "OpenSSL 1.1.1w  11 Sep 2023".
    if let Some(rest) = s.strip_prefix("OpenSSL ") {
        let v = rest.split_whitespace().next().unwrap_or("");
        let dated = rest.split_whitespace().count() >= 4;
        if v.starts_with(|c: char| c.is_ascii_digit()) && dated && !rest.contains("compatible") {
            return Some(found(CryptoModule::OpensslStatic, v));
        }
    }
    // Mbed TLS's MBEDTLS_VERSION_STRING_FULL.
    for prefix in ["Mbed TLS ", "mbed TLS "] {
        if let Some(v) = s.strip_prefix(prefix).filter(|v| version_only(v)) {
            return Some(found(CryptoModule::Mbedtls, v));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::indexing_slicing)]
    use super::*;

    fn scan(bytes: &[u8]) -> Vec<NativeModule> {
        let mut s = MarkerScan::default();
        for chunk in bytes.chunks(3) {
            s.feed(chunk);
        }
        s.finish();
        s.found
    }

    #[test]
    fn whole_strings_only() {
        let found = scan(b"x\0AWS-LC FIPS 3.0.0\0mentions AWS-LC FIPS 3.0.0 in text\0");
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].module, CryptoModule::AwsLcFips);
        assert_eq!(found[0].version.as_deref(), Some("3.0.0"));
        assert!(scan(b"\0the AWS-LC 5.12.0 module\0").is_empty());
        assert_eq!(scan(b"\0AWS-LC 5.12.0\0")[0].module, CryptoModule::AwsLc);
        assert_eq!(
            scan(b"\0OpenSSL 3.0.15 3 Sep 2024\0")[0].module,
            CryptoModule::OpensslStatic
        );
        assert!(scan(b"\0OpenSSL 1.1.1 (compatible; BoringSSL)\0").is_empty());
        assert_eq!(scan(b"\0BoringSSL\0")[0].module, CryptoModule::Boringssl);
    }

    #[test]
    fn delocated_version_string_inside_code() {
        let mut f = DelocatedFinder::default();
        let code = b"\x5d\xc3AWS-LC FIPS 4.2.0\0\x55\x48";
        // Split inside the marker: the overlap carries it over.
        f.feed(&code[..8]);
        f.feed(&code[8..]);
        let m = f.found.unwrap();
        assert_eq!(
            (m.module, m.version.as_deref()),
            (CryptoModule::AwsLcFips, Some("4.2.0"))
        );
        let mut f = DelocatedFinder::default();
        f.feed(b"see AWS-LC FIPS 4.2.0\0");
        assert!(f.found.is_none(), "inside text is not a marker");
    }

    #[test]
    fn sonames() {
        let m = library_module("libcrypto.so.3").unwrap();
        assert_eq!(
            (m.module, m.version.as_deref()),
            (CryptoModule::Openssl, Some("3"))
        );
        assert_eq!(
            library_module("libgnutls.so.30").unwrap().module,
            CryptoModule::Gnutls
        );
        assert!(library_module("libcryptsetup.so.12").is_none());
        assert!(library_module("libssl3.so").is_some_and(|m| m.module == CryptoModule::Nss));
        assert!(library_module("libc.so.6").is_none());
    }
}
