//! Writing the data directory (the gRPC API's side), safely:
//!
//! * a name is one file name: no `/` or `\`, no NUL, not `.` or `..`, not a
//!   dotfile (the loader ignores those), at most 255 bytes; anything else is
//!   refused before the disk is touched;
//! * a write goes to a temporary dotfile in the same directory, is fsynced,
//!   renamed over the target and the directory fsynced, so a reader (the
//!   loader, or another process) sees the old file or the new one, never a
//!   torn or empty one, and a crash keeps one of the two;
//! * the caller then reloads the snapshot, so HTTP answers change at once.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::snapshot::Kind;

/// Longest file name (Linux NAME_MAX).
pub const MAX_FILE_NAME: usize = 255;

#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error("invalid name {name:?}: {why}")]
    InvalidName { name: String, why: &'static str },
    #[error("{path} does not exist")]
    NotFound { path: String },
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
}

/// Checks a name given by an API client (a group or profile id, or a
/// template file name): the data files' own rule for ids
/// ([`model::names::check_id`]: one file name, no NUL, `\`, `.` or `..`),
/// plus what a new file needs: at most 255 bytes (Linux NAME_MAX), and no
/// leading dot (the loader ignores dotfiles, so it would never be served).
pub fn check_name(name: &str) -> Result<(), WriteError> {
    use model::names::NameError;
    let why = if name.len() > MAX_FILE_NAME {
        Some("longer than 255 bytes")
    } else {
        match model::names::check_id(name) {
            Err(NameError::Empty) => Some("the name is empty"),
            Err(NameError::Nul(_)) => Some("contains a NUL byte"),
            Err(NameError::Backslash(_) | NameError::Nested(_) | NameError::Absolute(_)) => {
                Some("contains a path separator; a name is a single file name in its directory")
            }
            Err(NameError::BadSegment(_)) => Some("names cannot be . or .."),
            Err(NameError::TooLong { .. }) => Some("longer than 255 bytes"),
            Ok(()) if name.starts_with('.') => Some("starts with a dot; dotfiles are ignored in the data directory"),
            Ok(()) => None,
        }
    };
    match why {
        Some(why) => Err(WriteError::InvalidName {
            name: name.chars().take(300).collect(),
            why,
        }),
        None => Ok(()),
    }
}

/// The file a kind's object is kept in: `groups/<id>.json`, `ignition/<name>`.
pub fn object_path(root: &Path, kind: Kind, name: &str) -> Result<PathBuf, WriteError> {
    let file = match kind {
        Kind::Group | Kind::Profile => format!("{name}.json"),
        _ => name.to_owned(),
    };
    check_name(&file)?;
    check_name(name)?;
    Ok(root.join(kind.dir()).join(file))
}

fn relative(root: &Path, path: &Path) -> String {
    path.strip_prefix(root).unwrap_or(path).display().to_string()
}

static COUNTER: AtomicU64 = AtomicU64::new(0);

/// Whether `path` is a temporary file of this process's writes
/// (`.NAME.tmp-PID-N`): no one else makes those, and the loader ignores them.
pub fn is_own_temporary(path: &Path) -> bool {
    let marker = format!(".tmp-{}-", std::process::id());
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| n.starts_with('.') && n.contains(&marker))
}

/// Writes `bytes` as `kind`'s object `name`, atomically.
pub fn write(root: &Path, kind: Kind, name: &str, bytes: &[u8]) -> Result<(), WriteError> {
    let path = object_path(root, kind, name)?;
    let dir = root.join(kind.dir());
    let io = |path: &Path, source| WriteError::Io {
        path: relative(root, path),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let tmp = dir.join(format!(
        ".{}.tmp-{}-{}",
        path.file_name().and_then(|n| n.to_str()).unwrap_or("object"),
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)?;
        std::fs::File::open(&dir)?.sync_all()
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&path, e));
    }
    Ok(())
}

/// Reads `kind`'s object `name`.
pub fn read(root: &Path, kind: Kind, name: &str) -> Result<Vec<u8>, WriteError> {
    let path = object_path(root, kind, name)?;
    match std::fs::read(&path) {
        Ok(b) => Ok(b),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(WriteError::NotFound {
            path: relative(root, &path),
        }),
        Err(e) => Err(WriteError::Io {
            path: relative(root, &path),
            source: e,
        }),
    }
}

/// Removes `kind`'s object `name` (and syncs the directory).
pub fn delete(root: &Path, kind: Kind, name: &str) -> Result<(), WriteError> {
    let path = object_path(root, kind, name)?;
    match std::fs::remove_file(&path) {
        Ok(()) => {
            if let Ok(d) = std::fs::File::open(root.join(kind.dir())) {
                let _ = d.sync_all();
            }
            Ok(())
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(WriteError::NotFound {
            path: relative(root, &path),
        }),
        Err(e) => Err(WriteError::Io {
            path: relative(root, &path),
            source: e,
        }),
    }
}

/// The objects of a kind, sorted by file name: regular files, no dotfiles
/// (and, for groups and profiles, `*.json` only, with the suffix removed).
pub fn list(root: &Path, kind: Kind) -> Result<Vec<String>, WriteError> {
    let dir = root.join(kind.dir());
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(WriteError::Io {
                path: relative(root, &dir),
                source: e,
            });
        }
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| !n.starts_with('.'))
        .filter_map(|n| match kind {
            Kind::Group | Kind::Profile => n.strip_suffix(".json").map(str::to_owned),
            _ => Some(n),
        })
        .collect();
    names.sort();
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_single_file_names() {
        for bad in [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "/etc/passwd",
            "a\\b",
            "a\0b",
            ".hidden",
            &"x".repeat(256),
        ] {
            assert!(check_name(bad).is_err(), "{bad:?}");
        }
        for good in ["node1", "fcos.ign", "a..b", "x y", "ünïcode", &"x".repeat(250)] {
            assert!(check_name(good).is_ok(), "{good:?}");
        }
        // The .json suffix counts against the length.
        let root = Path::new("/data");
        assert!(object_path(root, Kind::Group, &"g".repeat(250)).is_ok());
        assert!(object_path(root, Kind::Group, &"g".repeat(251)).is_err());
    }

    #[test]
    fn write_read_list_delete() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(root, Kind::Group, "b", b"{}").unwrap();
        write(root, Kind::Group, "a", b"{\"id\":\"a\"}").unwrap();
        write(root, Kind::Group, "a", b"{\"id\":\"a2\"}").unwrap();
        std::fs::write(root.join("groups/README.md"), "x").unwrap();
        assert_eq!(read(root, Kind::Group, "a").unwrap(), b"{\"id\":\"a2\"}");
        assert_eq!(list(root, Kind::Group).unwrap(), ["a", "b"]);
        let leftovers: Vec<_> = std::fs::read_dir(root.join("groups"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name().to_string_lossy().starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "no temporary files left");
        delete(root, Kind::Group, "a").unwrap();
        assert!(matches!(read(root, Kind::Group, "a"), Err(WriteError::NotFound { .. })));
        assert!(matches!(
            delete(root, Kind::Group, "a"),
            Err(WriteError::NotFound { .. })
        ));
        assert!(matches!(
            write(root, Kind::Ignition, "../profiles/x.json", b"x"),
            Err(WriteError::InvalidName { .. })
        ));
        assert!(!root.join("profiles").exists(), "nothing written outside");
    }
}

#[cfg(test)]
mod reload_tests {
    use super::*;
    use crate::Store;

    /// Every writer gets back a snapshot that holds its own write, however
    /// the concurrent reloads were grouped.
    #[test]
    fn reload_after_write_always_covers_the_callers_write() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("groups")).unwrap();
        let store = Store::open(&root, None);
        std::thread::scope(|scope| {
            for t in 0..8 {
                let (store, root) = (&store, &root);
                scope.spawn(move || {
                    for i in 0..20 {
                        let id = format!("t{t}-{i}");
                        let json = format!(r#"{{"id":"{id}","profile":"p","selector":{{"os":"{id}"}}}}"#);
                        write(root, Kind::Group, &id, json.as_bytes()).unwrap();
                        let snap = store.reload_after_write();
                        let labels = model::Labels::from_pairs([("os", id.as_str())]);
                        assert!(
                            snap.select(&labels).is_some(),
                            "{id} missing from the snapshot returned after its write"
                        );
                    }
                });
            }
        });
        assert_eq!(store.snapshot().groups.len(), 160);
    }
}

#[cfg(test)]
mod watch_tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::Store;

    fn wait_for(mut f: impl FnMut() -> bool) -> bool {
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// A write through the store is loaded once, by the writer; the watcher
    /// does not rebuild again for it. Someone else's edit is still seen.
    #[test]
    fn the_watcher_skips_the_stores_own_writes_but_not_others() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("groups")).unwrap();
        let store = Arc::new(Store::open(&root, None));
        let _watch = crate::watch(store.clone()).unwrap();
        store
            .write(
                Kind::Group,
                "own",
                br#"{"id":"own","profile":"p","selector":{"os":"own"}}"#,
            )
            .unwrap();
        let after_write = store.reload_after_write().generation;
        // Longer than the watcher's quiet period and debounce.
        std::thread::sleep(crate::MAX_DELAY + Duration::from_millis(500));
        assert_eq!(
            store.snapshot().generation,
            after_write,
            "no second rebuild for our own write"
        );
        std::fs::write(
            root.join("groups/other.json"),
            r#"{"id":"other","profile":"p","selector":{"os":"other"}}"#,
        )
        .unwrap();
        assert!(
            wait_for(|| store.snapshot().groups.len() == 2),
            "an edit by someone else is picked up"
        );
    }
}
