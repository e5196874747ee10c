//! Entry points for the cargo-fuzz target in `fuzz/` and the property tests: each must return
//! normally for every input; a panic is a bug found.

use std::sync::OnceLock;

use super::goinfo;
use super::host::HostFips;
use super::inspect;
use super::read::SliceSource;
use crate::policy::Policy;

/// Inspects `data` as a file, and decodes it as a Go build-information blob (with the magic
/// put in front, so the decoder's paths are reached), with pointers resolved into the data.
pub fn binary(data: &[u8]) {
    let mut src = SliceSource::new(data);
    let inspection = inspect::inspect(&mut src);
    // Parsed once: the fuzzer calls this millions of times.
    static POLICY: OnceLock<Option<Policy>> = OnceLock::new();
    let policy = POLICY.get_or_init(|| Policy::load(crate::policy::DEFAULT_POLICY).ok());
    if let Some(policy) = policy {
        let _ = super::grade::grade(&inspection, policy, &HostFips::default());
    }
    let mut blob = b"\xff Go buildinf:".to_vec();
    blob.extend_from_slice(data);
    let _ = goinfo::decode(&blob, &mut |addr, len| {
        use super::read::Source;
        let mut s = SliceSource::new(data);
        s.read(addr, len, 1 << 16, "test")
    });
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::indexing_slicing,
        clippy::arithmetic_side_effects
    )]
    use proptest::prelude::*;

    use super::*;
    use crate::model::Verdict;

    /// An ELF64 little-endian header for an executable whose tables sit at `phoff`/`shoff`.
    fn header(phoff: u64, phnum: u16, shoff: u64, shnum: u16, shstrndx: u16) -> Vec<u8> {
        let mut h = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        h.extend(2u16.to_le_bytes());
        h.extend(62u16.to_le_bytes());
        h.extend(1u32.to_le_bytes());
        h.extend(0u64.to_le_bytes());
        h.extend(phoff.to_le_bytes());
        h.extend(shoff.to_le_bytes());
        h.extend(0u32.to_le_bytes());
        h.extend(64u16.to_le_bytes());
        h.extend(56u16.to_le_bytes());
        h.extend(phnum.to_le_bytes());
        h.extend(64u16.to_le_bytes());
        h.extend(shnum.to_le_bytes());
        h.extend(shstrndx.to_le_bytes());
        h
    }

    proptest! {
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..4096)) {
            binary(&data);
        }

        /// A valid header pointing at arbitrary tables: every offset and count is hostile.
        #[test]
        fn hostile_tables_never_panic_nor_pass(
            phnum in 0u16..8,
            shnum in 0u16..8,
            shstrndx in 0u16..10,
            tail in proptest::collection::vec(any::<u8>(), 0..2048),
        ) {
            let mut data = header(64, phnum, 64 + u64::from(phnum) * 56, shnum, shstrndx);
            data.extend(tail);
            binary(&data);
            let policy = Policy::load("fips-140-3").unwrap();
            let b = super::super::inspect_bytes(&data, &policy, &HostFips::default());
            // Random tables never describe a Go program without crypto, nor a validated module.
            prop_assert_ne!(b.verdict, Verdict::Pass);
        }
    }
}
