//! Where the traces are: on a network share or on a local disk.
//!
//! The answer picks the default number of reader threads. On a share each read is a round
//! trip, and the time goes to waiting: 64 requests in flight read a simulated SMB share at a
//! 10 ms round trip within 5 % of its bandwidth where 8 took more than twice as long. On a
//! local disk the time goes to the CPU, and past a few threads per core more only cost memory:
//! scanning 1 GB from a warm cache took 0.25 s with 4 to 16 threads and 0.28 s with 64, which
//! held 33 MiB of read buffers against 12 (`benches/e2e.sh`, two cores).
//!
//! So a root counts as local only when the system says so: on Linux, a file system that is
//! not a network or FUSE one (`statfs`); on Windows, a fixed or RAM disk drive (a mapped
//! network drive letter is remote, as is any `\\server\share`). Anything else, and any path
//! that cannot be asked about, counts as a share, whose default was the only one before.

use std::path::{Path, PathBuf};

use crate::discover::Root;

/// True when any root may be on a network share (see the module documentation).
pub fn any_remote(roots: &[Root], is_remote: fn(&Path) -> bool) -> bool {
    roots.iter().any(|root| is_remote(&folder_of(root)))
}

/// The folder a root's traces are in, or below: a file's folder, a pattern's folders before its
/// first wildcard.
fn folder_of(root: &Root) -> PathBuf {
    match root {
        Root::Dir(path) => path.clone(),
        Root::File(path) => match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder.to_path_buf(),
            _ => PathBuf::from("."),
        },
        Root::Pattern(pattern) => crate::discover::pattern_base(pattern),
    }
}

/// True unless the system says `path` is on a local disk.
pub fn is_remote(path: &Path) -> bool {
    !system::is_local(path)
}

#[cfg(target_os = "linux")]
mod system {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    use std::path::Path;

    /// `statfs` magic numbers of the file systems that reach over a network (or, for FUSE,
    /// may: sshfs, rclone, and the simulated share of `benches/share.sh`), from
    /// `linux/magic.h` and the file systems' sources.
    const REMOTE: &[u64] = &[
        0x6969,      // NFS
        0x517B,      // SMB (smbfs)
        0xFF53_4D42, // CIFS
        0xFE53_4D42, // SMB2 (cifs.ko for SMB 2 and 3)
        0x6573_5546, // FUSE
        0x0102_1997, // 9P (WSL's drvfs among them)
        0x7375_7245, // Coda
        0x5346_414F, // AFS
        0x6B41_4653, // kAFS
        0x00C3_6400, // Ceph
        0x0116_1970, // GFS2
        0x7461_636F, // OCFS2
        0x0BD0_0BD0, // Lustre
    ];

    pub(super) fn is_local(path: &Path) -> bool {
        let Ok(c_path) = CString::new(path.as_os_str().as_bytes()) else {
            return false;
        };
        // SAFETY: `statfs` fills the zeroed struct it is given and reads the NUL-terminated
        // path; both outlive the call.
        let mut info: libc::statfs = unsafe { std::mem::zeroed() };
        if unsafe { libc::statfs(c_path.as_ptr(), &mut info) } != 0 {
            return false;
        }
        // The field's type differs between architectures; the magic numbers are 32-bit.
        #[allow(clippy::unnecessary_cast)]
        let kind = (info.f_type as u64) & 0xFFFF_FFFF;
        !REMOTE.contains(&kind)
    }
}

#[cfg(windows)]
mod system {
    use std::path::{Component, Path, Prefix};

    /// `GetDriveTypeW`'s answers for a local fixed disk and a RAM disk (`winbase.h`).
    const DRIVE_FIXED: u32 = 3;
    const DRIVE_RAMDISK: u32 = 6;

    pub(super) fn is_local(path: &Path) -> bool {
        let Ok(absolute) = std::path::absolute(path) else {
            return false;
        };
        match absolute.components().next() {
            Some(Component::Prefix(prefix)) => match prefix.kind() {
                Prefix::Disk(letter) | Prefix::VerbatimDisk(letter) => drive_is_local(letter),
                // `\\server\share`, `\\?\UNC\...`, devices: not a local disk as far as we know.
                _ => false,
            },
            _ => false,
        }
    }

    fn drive_is_local(letter: u8) -> bool {
        // `X:\`, NUL-terminated, in UTF-16: the drive letter is ASCII.
        let root = [u16::from(letter), u16::from(b':'), u16::from(b'\\'), 0];
        // SAFETY: `root` is a NUL-terminated UTF-16 string that outlives the call.
        let kind = unsafe { windows_sys::Win32::Storage::FileSystem::GetDriveTypeW(root.as_ptr()) };
        matches!(kind, DRIVE_FIXED | DRIVE_RAMDISK)
    }
}

#[cfg(not(any(target_os = "linux", windows)))]
mod system {
    /// Not asked on other systems: every root counts as a share.
    pub(super) fn is_local(_path: &std::path::Path) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_is_looked_at_in_its_folder() {
        let dir = |p: &str| folder_of(&Root::Pattern(p.into()));
        assert_eq!(
            dir(r"\\web01\logs$\W3SVC*\fr*.xml"),
            PathBuf::from(r"\\web01\logs$\")
        );
        assert_eq!(dir("logs/W3SVC1/fr*.xml"), PathBuf::from("logs/W3SVC1/"));
        assert_eq!(dir("fr*.xml"), PathBuf::from("."));
        // The `?` of a verbatim prefix is not a wildcard.
        assert_eq!(
            dir(r"\\?\UNC\web01\logs$\W3SVC*\fr*.xml"),
            PathBuf::from(r"\\web01\logs$\")
        );
        assert_eq!(
            folder_of(&Root::File("logs/fr000001.xml".into())),
            PathBuf::from("logs")
        );
        assert_eq!(
            folder_of(&Root::File("fr000001.xml".into())),
            PathBuf::from(".")
        );
        assert_eq!(folder_of(&Root::Dir("logs".into())), PathBuf::from("logs"));
    }

    #[test]
    fn one_remote_root_makes_the_run_remote() {
        let remote_if_share = |p: &Path| p.starts_with("share");
        let local = Root::Dir("local".into());
        let share = Root::Dir("share".into());
        assert!(!any_remote(std::slice::from_ref(&local), remote_if_share));
        assert!(any_remote(&[local, share], remote_if_share));
    }

    #[test]
    fn a_unc_path_is_a_share() {
        // Windows reads the prefix without asking the network; elsewhere the path does not
        // exist, and a path that cannot be asked about counts as a share too.
        assert!(is_remote(Path::new(r"\\web01\logs$\W3SVC1")));
        assert!(is_remote(Path::new(r"\\?\UNC\web01\logs$\W3SVC1")));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_path_that_cannot_be_asked_about_counts_as_a_share() {
        // On Windows a relative path that does not exist is on the current drive, which is
        // asked about instead.
        assert!(is_remote(Path::new("no such folder/anywhere")));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn a_local_file_system_is_local() {
        // procfs is in every Linux system's memory.
        assert!(!is_remote(Path::new("/proc")));
    }
}
