//! The files boot clients fetch by name, over TFTP and over HTTP (UEFI HTTP
//! Boot): the user's TFTP root first, then the iPXE binaries of the
//! installed `ipxe` package (`undionly.kpxe`, `ipxe.efi`, `snponly.efi`,
//! `ipxe.pxe`, …), with dnsmasq's `.0` alias (`undionly.kpxe.0`).
//!
//! Names are confined: `\` is read as `/`, a `..` segment is refused, an
//! absolute path must lie inside a root, and a symlink in the TFTP root that
//! leads outside it is refused. Symlinks in the iPXE package directory are
//! followed: Debian's `ipxe` package itself links `ipxe.efi` and `ipxe.lkrn`
//! to `/boot`, and only root can write there. Files are read once and shared by every transfer
//! (a cache checked against size and mtime on each open), so thousands of
//! concurrent transfers of the same binary hold one copy.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use bytes::Bytes;

/// Where Debian, Ubuntu, Fedora and Arch install iPXE's binaries.
pub const IPXE_DIRS: &[&str] = &["/usr/lib/ipxe", "/usr/share/ipxe"];

/// Total bytes kept in the cache before it is emptied and refilled.
pub const CACHE_LIMIT: u64 = 512 * 1024 * 1024;

/// Why a name was not served. The message is safe to send to the client.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("file not found")]
    NotFound,
    #[error("access violation: {0}")]
    Denied(&'static str),
    #[error("cannot read the file: {0}")]
    Io(String),
}

/// A file ready to send.
#[derive(Debug, Clone)]
pub struct File {
    pub data: Bytes,
    /// The name served (for Content-Type by extension).
    pub name: String,
    pub modified: Option<SystemTime>,
    /// Which root it came from, for logs.
    pub source: &'static str,
}

struct Cached {
    len: u64,
    modified: Option<SystemTime>,
    data: Bytes,
}

pub struct BootFiles {
    /// (label, canonical directory, confine symlinks), searched in order.
    roots: Vec<(&'static str, PathBuf, bool)>,
    cache: Mutex<(HashMap<PathBuf, Cached>, u64)>,
}

impl std::fmt::Debug for BootFiles {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BootFiles").field("roots", &self.roots).finish()
    }
}

/// The first iPXE directory that exists on this machine.
pub fn find_ipxe_dir() -> Option<PathBuf> {
    IPXE_DIRS
        .iter()
        .map(PathBuf::from)
        .find(|d| d.join("undionly.kpxe").is_file() || d.join("ipxe.efi").is_file())
}

impl BootFiles {
    /// `tftp_root` first, then `ipxe_dir`. Either may be absent; a given
    /// directory that does not exist is an error naming it.
    pub fn new(tftp_root: Option<&Path>, ipxe_dir: Option<&Path>) -> std::io::Result<BootFiles> {
        let mut roots = Vec::new();
        for (label, dir, confine) in [("tftp-root", tftp_root, true), ("ipxe", ipxe_dir, false)] {
            if let Some(d) = dir {
                let canonical = std::fs::canonicalize(d)
                    .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", d.display())))?;
                if !canonical.is_dir() {
                    return Err(std::io::Error::other(format!("{} is not a directory", d.display())));
                }
                roots.push((label, canonical, confine));
            }
        }
        Ok(BootFiles {
            roots,
            cache: Mutex::new((HashMap::new(), 0)),
        })
    }

    pub fn roots(&self) -> impl Iterator<Item = (&'static str, &Path)> {
        self.roots.iter().map(|(l, p, _)| (*l, p.as_path()))
    }

    /// Finds and reads `requested` (a TFTP file name or an HTTP path
    /// without its leading `/`). Blocking: call it off the async threads
    /// when the file may not be cached.
    pub fn open(&self, requested: &str) -> Result<File, LookupError> {
        let relative = self.clean(requested)?;
        let mut candidates = vec![relative.clone()];
        // dnsmasq appends ".0" to PXE boot file names ("undionly.kpxe.0").
        if let Some(stem) = relative.to_str().and_then(|s| s.strip_suffix(".0")) {
            candidates.push(PathBuf::from(stem));
        }
        for candidate in &candidates {
            for (label, root, confine) in &self.roots {
                let path = root.join(candidate);
                let Ok(meta) = std::fs::metadata(&path) else { continue };
                let real = std::fs::canonicalize(&path).map_err(|e| LookupError::Io(e.to_string()))?;
                if *confine && !real.starts_with(root) {
                    return Err(LookupError::Denied("the name leads outside the boot file directories"));
                }
                if !meta.is_file() {
                    continue;
                }
                let data = self.read(&real, &meta)?;
                return Ok(File {
                    data,
                    name: candidate.to_string_lossy().into_owned(),
                    modified: meta.modified().ok(),
                    source: label,
                });
            }
        }
        Err(LookupError::NotFound)
    }

    /// A relative path with no `..`: `\` as `/`, leading `/` and `.`
    /// dropped; an absolute path inside a root is made relative to it.
    fn clean(&self, requested: &str) -> Result<PathBuf, LookupError> {
        if requested.contains('\0') {
            return Err(LookupError::Denied("a file name cannot contain NUL"));
        }
        let unified = requested.replace('\\', "/");
        let mut text = unified.as_str();
        if text.starts_with('/') {
            for (_, root, _) in &self.roots {
                if let Some(rest) = root
                    .to_str()
                    .and_then(|r| text.strip_prefix(r))
                    .filter(|r| r.starts_with('/'))
                {
                    text = rest;
                    break;
                }
            }
        }
        let mut out = PathBuf::new();
        for c in Path::new(text).components() {
            match c {
                Component::Normal(seg) => out.push(seg),
                Component::RootDir | Component::CurDir => {}
                Component::ParentDir => return Err(LookupError::Denied("a file name cannot contain \"..\"")),
                Component::Prefix(_) => return Err(LookupError::Denied("a file name cannot have a prefix")),
            }
        }
        if out.as_os_str().is_empty() {
            return Err(LookupError::NotFound);
        }
        Ok(out)
    }

    fn read(&self, real: &Path, meta: &std::fs::Metadata) -> Result<Bytes, LookupError> {
        let modified = meta.modified().ok();
        {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = cache.0.get(real)
                && c.len == meta.len()
                && c.modified == modified
            {
                return Ok(c.data.clone());
            }
        }
        let data = Bytes::from(std::fs::read(real).map_err(|e| LookupError::Io(e.to_string()))?);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if cache.1 + data.len() as u64 > CACHE_LIMIT {
            // Simple and bounded: start over. Files in use stay alive
            // through the transfers' own references.
            cache.0.clear();
            cache.1 = 0;
        }
        if let Some(old) = cache.0.insert(
            real.to_path_buf(),
            Cached {
                len: meta.len(),
                modified,
                data: data.clone(),
            },
        ) {
            cache.1 -= old.data.len() as u64;
        }
        cache.1 += data.len() as u64;
        Ok(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (tempfile::TempDir, tempfile::TempDir, tempfile::TempDir, BootFiles) {
        let root = tempfile::tempdir().unwrap();
        let ipxe = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        std::fs::write(root.path().join("custom.efi"), b"custom").unwrap();
        std::fs::create_dir(root.path().join("pxelinux.cfg")).unwrap();
        std::fs::write(root.path().join("pxelinux.cfg/default"), b"menu").unwrap();
        std::fs::write(root.path().join("ipxe.efi"), b"override").unwrap();
        std::fs::write(ipxe.path().join("undionly.kpxe"), b"undi").unwrap();
        std::fs::write(ipxe.path().join("ipxe.efi"), b"stock").unwrap();
        std::fs::write(outside.path().join("secret"), b"secret").unwrap();
        std::fs::write(outside.path().join("packaged.lkrn"), b"lkrn").unwrap();
        std::os::unix::fs::symlink(outside.path().join("secret"), root.path().join("link-out")).unwrap();
        std::os::unix::fs::symlink(outside.path().join("packaged.lkrn"), ipxe.path().join("ipxe.lkrn")).unwrap();
        let files = BootFiles::new(Some(root.path()), Some(ipxe.path())).unwrap();
        (root, ipxe, outside, files)
    }

    fn get(f: &BootFiles, name: &str) -> Result<Vec<u8>, LookupError> {
        f.open(name).map(|x| x.data.to_vec())
    }

    #[test]
    fn search_order_aliases_and_separators() {
        let (root, _ipxe, _o, f) = setup();
        assert_eq!(get(&f, "undionly.kpxe").unwrap(), b"undi");
        assert_eq!(get(&f, "undionly.kpxe.0").unwrap(), b"undi");
        assert_eq!(get(&f, "ipxe.efi").unwrap(), b"override", "the TFTP root wins");
        assert_eq!(get(&f, "/custom.efi").unwrap(), b"custom");
        assert_eq!(get(&f, "pxelinux.cfg\\default").unwrap(), b"menu");
        assert_eq!(get(&f, "./pxelinux.cfg//default").unwrap(), b"menu");
        // The package's own symlinks (Debian: ipxe.efi -> /boot/ipxe.efi) are followed.
        assert_eq!(get(&f, "ipxe.lkrn").unwrap(), b"lkrn");
        let abs = format!("{}/custom.efi", std::fs::canonicalize(root.path()).unwrap().display());
        assert_eq!(get(&f, &abs).unwrap(), b"custom");
    }

    #[test]
    fn refusals() {
        let (_r, _i, outside, f) = setup();
        assert_eq!(get(&f, "autoexec.ipxe"), Err(LookupError::NotFound));
        assert!(matches!(get(&f, "../etc/passwd"), Err(LookupError::Denied(_))));
        assert!(matches!(get(&f, "pxelinux.cfg/../../x"), Err(LookupError::Denied(_))));
        assert!(matches!(get(&f, "..\\..\\etc\\passwd"), Err(LookupError::Denied(_))));
        assert!(matches!(get(&f, "link-out"), Err(LookupError::Denied(_))));
        assert_eq!(
            get(&f, &format!("{}/secret", outside.path().display())),
            Err(LookupError::NotFound)
        );
        assert!(matches!(get(&f, "a\0b"), Err(LookupError::Denied(_))));
        assert_eq!(
            get(&f, "pxelinux.cfg"),
            Err(LookupError::NotFound),
            "directories are not files"
        );
        assert_eq!(get(&f, ""), Err(LookupError::NotFound));
    }

    #[test]
    fn cache_shares_and_notices_changes() {
        let (root, _i, _o, f) = setup();
        let a = f.open("custom.efi").unwrap().data;
        let b = f.open("custom.efi").unwrap().data;
        assert_eq!(a.as_ptr(), b.as_ptr(), "one copy for every transfer");
        std::fs::write(root.path().join("custom.efi"), b"changed!").unwrap();
        assert_eq!(get(&f, "custom.efi").unwrap(), b"changed!");
    }
}
