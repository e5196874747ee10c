//! Writing report files whole or not at all: a temporary file in the target's directory,
//! flushed to disk, then renamed over the target (rename is atomic within a file system). A
//! reader (tomorrow's cron `diff`) sees the old file or the new one, never half of one.
//!
//! Only regular files are created or replaced. fipsprobe runs as root from cron, where a
//! rename over `/dev/null` replaces the device node: [`check_target`] refuses anything at the
//! path that is not a regular file (a device, FIFO, socket, directory or symbolic link), and
//! [`write_atomic`] checks again just before its rename.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Distinguishes temp files of one process writing several files at once.
static COUNTER: AtomicU32 = AtomicU32::new(0);

/// Whether `path` may take a report: nothing there yet, or a regular file. Anything else is an
/// `InvalidInput` error naming what is there. A symbolic link is refused too, even to a regular
/// file: following it would let whoever planted it choose what root overwrites.
pub fn check_target(path: &Path) -> io::Result<()> {
    let meta = match fs::symlink_metadata(path) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
        Ok(meta) => meta,
    };
    let kind = meta.file_type();
    if kind.is_file() {
        return Ok(());
    }
    let what = if kind.is_dir() {
        "a directory"
    } else if kind.is_symlink() {
        "a symbolic link"
    } else {
        special_kind(&kind)
    };
    Err(io::Error::new(
        io::ErrorKind::InvalidInput,
        format!("{what}, not a regular file; name a regular file"),
    ))
}

#[cfg(unix)]
fn special_kind(kind: &fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if kind.is_char_device() {
        "a character device"
    } else if kind.is_block_device() {
        "a block device"
    } else if kind.is_fifo() {
        "a FIFO"
    } else if kind.is_socket() {
        "a socket"
    } else {
        "a special file"
    }
}

#[cfg(not(unix))]
fn special_kind(_: &fs::FileType) -> &'static str {
    "a special file"
}

/// Writes `bytes` to `path` atomically: temp file in the same directory, `fsync`, rename, and
/// `fsync` of the directory so the rename itself survives a crash. On any error the temp file
/// is removed and `path` is left as it was. Refuses (see [`check_target`]) a path that holds
/// anything but a regular file.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    check_target(path)?;
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{}: not a file path", path.display()),
        )
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

    let result = write_then_rename(&tmp, path, bytes);
    if result.is_err() {
        // The temp file may or may not exist depending on where it failed; either is fine.
        let _ = fs::remove_file(&tmp);
        return result;
    }
    sync_dir(&dir);
    Ok(())
}

fn write_then_rename(tmp: &Path, path: &Path, bytes: &[u8]) -> io::Result<()> {
    // create_new: never follow or reuse something already at the temp path.
    let mut f = OpenOptions::new().write(true).create_new(true).open(tmp)?;
    // Replacing a file keeps its permissions: a report an admin made private stays private.
    if let Ok(old) = fs::metadata(path) {
        f.set_permissions(old.permissions())?;
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    drop(f);
    // The report may have taken hours: look again right before replacing what is there.
    check_target(path)?;
    fs::rename(tmp, path)
}

/// Best effort: some file systems refuse to open or sync a directory; the data itself is
/// already synced, only the rename's durability is at stake.
fn sync_dir(dir: &Path) {
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_file_and_leaves_no_temp() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        write_atomic(&path, b"old contents that are longer").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[cfg(unix)]
    #[test]
    fn keeps_the_permissions_of_the_file_it_replaces() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("r.json");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&path, b"new").unwrap();
        let mode = fs::metadata(&path).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn only_regular_files_are_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status();
        assert!(made.unwrap().success());
        let link = dir.path().join("link");
        std::os::unix::fs::symlink(dir.path().join("real"), &link).unwrap();
        for (path, what) in [(&fifo, "a FIFO"), (&link, "a symbolic link")] {
            let err = write_atomic(path, b"x").unwrap_err();
            assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
            assert!(err.to_string().starts_with(what), "{err}");
        }
        use std::os::unix::fs::FileTypeExt;
        assert!(fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        let names: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(names.len(), 2, "no temp file left");
        let err = check_target(Path::new("/dev/null")).unwrap_err();
        assert!(err.to_string().starts_with("a character device"), "{err}");
        check_target(&dir.path().join("new.json")).unwrap();
    }

    #[test]
    fn failure_leaves_target_untouched() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("no-such-dir").join("r.json");
        assert!(write_atomic(&missing, b"x").is_err());
        // A directory as the target: rename fails, the directory and no temp remain.
        let target = dir.path().join("d");
        fs::create_dir(&target).unwrap();
        fs::write(target.join("keep"), b"k").unwrap();
        assert!(write_atomic(&target, b"x").is_err());
        assert!(target.is_dir());
        let names: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![std::ffi::OsString::from("d")]);
    }
}
