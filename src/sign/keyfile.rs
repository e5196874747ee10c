//! `fipsprobe keygen --out KEY.pem`: a new key pair on disk, the private key readable by its
//! owner only (mode 0600), the public key beside it as `KEY.pub.pem`. Neither file is ever
//! overwritten: replacing a signing key by accident would orphan every report it signed.
//!
//! Each file is written whole under a temporary name, then published with a hard link, which
//! fails if the name exists (a rename would silently replace it); the temporary name is then
//! removed. A crash leaves either no key or a whole one, never half a PEM.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::keys::{self, KeyId};
use super::SignError;

/// Distinguishes temporary files of one process.
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// What `keygen` wrote.
#[derive(Debug)]
pub struct KeyFiles {
    /// The private key (PKCS#8 PEM, mode 0600).
    pub private: PathBuf,
    /// The public key (SPKI PEM).
    pub public: PathBuf,
    /// The key id (SHA-256 of the SPKI DER, hex).
    pub id: KeyId,
}

/// `KEY.pem` → `KEY.pub.pem`; a name without `.pem` gets `.pub.pem` appended.
pub fn public_key_path(private: &Path) -> PathBuf {
    let text = private.as_os_str().to_string_lossy();
    match text.strip_suffix(".pem") {
        Some(stem) if !stem.is_empty() && !stem.ends_with('/') => {
            PathBuf::from(format!("{stem}.pub.pem"))
        }
        _ => {
            let mut name = private.as_os_str().to_os_string();
            name.push(".pub.pem");
            PathBuf::from(name)
        }
    }
}

/// Generates a key pair and writes it to `private` and [`public_key_path`]`(private)`.
/// Refuses, before generating anything, when either file exists (a dangling symlink counts).
pub fn write_new_key_pair(private: &Path) -> Result<KeyFiles, SignError> {
    let public = public_key_path(private);
    for path in [private, public.as_path()] {
        if path.symlink_metadata().is_ok() {
            return Err(SignError::Exists {
                path: path.display().to_string(),
            });
        }
    }
    let generated = keys::generate()?;
    publish_new(private, generated.private_pem.as_bytes(), 0o600)?;
    if let Err(e) = publish_new(&public, generated.public_pem.as_bytes(), 0o644) {
        // Half a pair is no use; take back the private key we just created.
        let _ = fs::remove_file(private);
        return Err(e);
    }
    Ok(KeyFiles {
        private: private.to_path_buf(),
        public,
        id: generated.id,
    })
}

/// Writes `bytes` to a new file at `path` with `mode` (on Unix), never replacing anything.
fn publish_new(path: &Path, bytes: &[u8], mode: u32) -> Result<(), SignError> {
    let io = |source| SignError::Io {
        path: path.display().to_string(),
        source,
    };
    let name = path.file_name().ok_or_else(|| {
        io(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a file name",
        ))
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let mut tmp_name = std::ffi::OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}-{n}", std::process::id()));
    let tmp = dir.join(tmp_name);

    let written = write_new(&tmp, bytes, mode);
    let result = written.and_then(|()| match fs::hard_link(&tmp, path) {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(e),
        // A file system without hard links: create the name directly, still exclusively.
        Err(_) => write_new(path, bytes, mode),
        Ok(()) => Ok(()),
    });
    let _ = fs::remove_file(&tmp);
    match result {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => Err(SignError::Exists {
            path: path.display().to_string(),
        }),
        other => other.map_err(io),
    }
}

fn write_new(path: &Path, bytes: &[u8], mode: u32) -> io::Result<()> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut f = options.open(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn public_key_is_named_after_the_private_one() {
        let p = |s: &str| public_key_path(Path::new(s));
        assert_eq!(p("KEY.pem"), PathBuf::from("KEY.pub.pem"));
        assert_eq!(p("/etc/k/sign.pem"), PathBuf::from("/etc/k/sign.pub.pem"));
        assert_eq!(p("signing-key"), PathBuf::from("signing-key.pub.pem"));
        assert_eq!(p("dir/.pem"), PathBuf::from("dir/.pem.pub.pem"));
    }

    #[test]
    fn writes_a_private_key_only_its_owner_reads_and_never_overwrites() {
        let dir = tempfile::tempdir().unwrap();
        let key = dir.path().join("k.pem");
        let files = write_new_key_pair(&key).unwrap();
        assert_eq!(files.public, dir.path().join("k.pub.pem"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&key).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let private = fs::read(&key).unwrap();
        let signer = keys::SigningKey::from_pem(&private, "k").unwrap();
        assert_eq!(signer.id(), &files.id);

        let e = write_new_key_pair(&key).unwrap_err();
        assert!(matches!(e, SignError::Exists { .. }), "{e}");
        assert_eq!(fs::read(&key).unwrap(), private, "the key was replaced");
        // Only the two key files: no temporary left behind.
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 2);

        // The public half alone existing is refused too, and nothing is written.
        let other = dir.path().join("o.pem");
        fs::write(dir.path().join("o.pub.pem"), b"x").unwrap();
        assert!(matches!(
            write_new_key_pair(&other),
            Err(SignError::Exists { .. })
        ));
        assert!(!other.exists());
    }
}
