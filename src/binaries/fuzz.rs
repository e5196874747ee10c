//! Entry points for the cargo-fuzz target in `fuzz/` and the property tests: each must return
//! normally for every input; a panic is a bug found.

use super::goinfo;
use super::host::HostFips;
use super::inspect;
use super::read::SliceSource;

/// Inspects `data` as a file, and decodes it as a Go build-information blob (with the magic
/// put in front, so the decoder's paths are reached), with pointers resolved into the data.
pub fn binary(data: &[u8]) {
    let mut src = SliceSource::new(data);
    let inspection = inspect::inspect(&mut src);
    let policy = crate::policy::Policy::load(crate::policy::DEFAULT_POLICY);
    if let Ok(policy) = policy {
        let _ = super::grade::grade(&inspection, &policy, &HostFips::default());
    }
    let mut blob = b"\xff Go buildinf:".to_vec();
    blob.extend_from_slice(data);
    let _ = goinfo::decode(&blob, &mut |addr, len| {
        use super::read::Source;
        let mut s = SliceSource::new(data);
        s.read(addr, len, 1 << 16, "test")
    });
}
