//! Writing the data directory (the gRPC API's side), safely:
//!
//! * a name is one file name: no `/` or `\`, no NUL, not `.` or `..`, not a
//!   dotfile (the loader ignores those), at most 255 bytes; anything else is
//!   refused before the disk is touched;
//! * a write goes to a temporary dotfile in the same directory, is fsynced,
//!   renamed over the target and the directory fsynced, so a reader (the
//!   loader, or another process) sees the old file or the new one, never a
//!   torn or empty one, and a crash keeps one of the two;
//! * the caller ([`crate::Store::put`]) then applies the change to the
//!   snapshot, so HTTP answers change at once.

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
    /// The backend cannot take writes now (etcd without quorum).
    #[error("the configuration store is unavailable: {reason}")]
    Unavailable { reason: String },
    /// The write is stored but this server's snapshot has not caught up.
    #[error(
        "stored at revision {revision}, but this server had not applied it after {waited:?}; other replicas may serve it already, and this one will once its watch catches up"
    )]
    NotVisible { revision: u64, waited: std::time::Duration },
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
mod store_tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::*;
    use crate::Store;

    /// Every writer gets back a snapshot that holds its own write, whatever
    /// the other writers do meanwhile.
    #[test]
    fn a_write_is_served_when_it_returns() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("groups")).unwrap();
        let store = Store::open(&root, None);
        std::thread::scope(|scope| {
            for t in 0..8 {
                let store = &store;
                scope.spawn(move || {
                    for i in 0..20 {
                        let id = format!("t{t}-{i}");
                        let json = format!(r#"{{"id":"{id}","profile":"p","selector":{{"os":"{id}"}}}}"#);
                        let snap = store.put(Kind::Group, &id, json.as_bytes()).unwrap();
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
        assert_eq!(store.list(Kind::Group).unwrap().len(), 160);
        store.delete(Kind::Group, "t0-0").unwrap();
        assert_eq!(store.snapshot().groups.len(), 159);
        assert!(matches!(
            store.delete(Kind::Group, "t0-0"),
            Err(WriteError::NotFound { .. })
        ));
        assert!(matches!(
            store.put(Kind::Group, "../x", b"{}"),
            Err(WriteError::InvalidName { .. })
        ));
    }

    fn wait_for(mut f: impl FnMut() -> bool) -> bool {
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_secs(5) {
            if f() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    /// A write through the store is in the snapshot when it returns, and
    /// the watcher, re-reading the same bytes, makes no new snapshot.
    /// Edits by others are picked up file by file, as are removals.
    #[test]
    fn the_watcher_applies_edits_one_file_at_a_time() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().to_path_buf();
        std::fs::create_dir_all(root.join("groups")).unwrap();
        let store = Arc::new(Store::open(&root, None));
        let _watch = crate::watch(store.clone(), &root).unwrap();
        let after_write = store
            .put(
                Kind::Group,
                "own",
                br#"{"id":"own","profile":"p","selector":{"os":"own"}}"#,
            )
            .unwrap()
            .generation;
        std::thread::sleep(crate::MAX_DELAY + Duration::from_millis(300));
        assert_eq!(
            store.snapshot().generation,
            after_write,
            "re-reading our own write changes nothing"
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
        std::fs::remove_file(root.join("groups/own.json")).unwrap();
        assert!(wait_for(|| store.snapshot().groups.len() == 1), "a removal too");
        // A new kind directory is seen (a full load), and files in it.
        std::fs::create_dir_all(root.join("profiles")).unwrap();
        std::thread::sleep(crate::MAX_DELAY + Duration::from_millis(100));
        std::fs::write(root.join("profiles/p.json"), r#"{"id":"p","boot":{"kernel":"k"}}"#).unwrap();
        assert!(
            wait_for(|| store.snapshot().profile("p").is_ok()),
            "a profile in a new directory"
        );
        assert_eq!(store.snapshot().error_count(), 0, "{:?}", store.snapshot().issues());
    }
}
