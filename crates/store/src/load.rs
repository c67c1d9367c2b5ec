//! Reading the data directory: all of it into a [`Snapshot`] ([`load`]), or
//! one object again after it changed ([`read_object`]).
//!
//! The layout and tolerance are matchbox's: `groups/*.json` (one level),
//! `profiles/<id>.json`, and template files under `ignition/`, `cloud/` and
//! `generic/` named by their path. A file that cannot be read or parsed is
//! recorded as an [`Issue`] and skipped; loading itself never fails.
//!
//! Deliberate differences: only regular `*.json` files are groups (D15);
//! dotfiles are ignored (editor and Kubernetes ConfigMap bookkeeping); a
//! symlink that leads out of its kind directory is refused (D5).

use std::collections::HashSet;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime};

use bytes::Bytes;

use crate::snapshot::{Change, Issue, IssueKey, Kind, ObjectKey, Severity, Snapshot};

/// Files larger than this are refused: the data directory holds configs, not
/// images (those belong under the assets path).
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Deepest directory nesting followed under a template or profile directory.
const MAX_DEPTH: usize = 16;

/// How a data directory is named in logs and `/healthz`.
pub fn describe_dir(root: &Path) -> String {
    format!("data directory {}", root.display())
}

/// Loads the data directory at `root`. Never fails: problems become issues.
pub fn load(root: &Path) -> Snapshot {
    let started = Instant::now();
    let (changes, walk_issues, groups_dir_error) = read_all(root);
    let mut snap = build(&describe_dir(root), changes, walk_issues, 0);
    snap.groups_dir_error = groups_dir_error;
    snap.load_duration = started.elapsed();
    snap
}

/// A snapshot of every object of a source (`changes`, one per object), with
/// the problems found while listing them (`problems`: entries that are not
/// objects, unreadable directories), at the source's `revision`.
pub fn build(source: &str, changes: Vec<Change>, problems: Vec<Issue>, revision: u64) -> Snapshot {
    let started = Instant::now();
    let mut snap = Snapshot::empty(source);
    let mut raised = Vec::new();
    snap.apply_all(changes, &mut raised);
    for issue in problems {
        let key = IssueKey::Walk(issue.path.clone());
        let mut found = snap.issues.get(&key).map(|v| v.to_vec()).unwrap_or_default();
        found.push(issue);
        snap.set_issues(key, found, &mut raised);
    }
    snap.generation = 1;
    snap.revision = revision;
    snap.loaded_at = Some(SystemTime::now());
    snap.load_duration = started.elapsed();
    snap
}

/// Every object of the directory as a change, the problems found while
/// listing it, and why `groups/` cannot be read (if it cannot).
pub fn read_all(root: &Path) -> (Vec<Change>, Vec<Issue>, Option<String>) {
    let mut walker = Walker {
        issues: Vec::new(),
        changes: Vec::new(),
    };
    let mut groups_dir_error = None;
    if let Err(reason) = walker.list_groups(root) {
        walker.issue(Severity::Error, "groups", reason.clone());
        groups_dir_error = Some(reason);
    }
    for kind in [Kind::Profile, Kind::Ignition, Kind::Cloud, Kind::Generic] {
        walker.load_kind(root, kind);
    }
    (walker.changes, walker.issues, groups_dir_error)
}

/// matchbox's test: a case-sensitive `.ign` or `.ignition` suffix means raw
/// Ignition, anything else is a Butane template.
pub fn is_raw_ignition(name: &str) -> bool {
    name.ends_with(".ign") || name.ends_with(".ignition")
}

/// What a changed path under the data directory means now.
#[derive(Debug, PartialEq, Eq)]
pub enum Reread {
    /// The object's new content (or why it cannot be read), or its removal.
    Change(Change),
    /// Not an object (a dotfile, a README under groups/): nothing to do.
    Nothing,
    /// A directory appeared, went or was renamed, or the path is not one
    /// this reader can judge alone: load everything again.
    Everything,
}

/// Reads the object at `path` (absolute, under `root`) again after a change
/// event, with the same rules as a full load.
pub fn read_object(root: &Path, path: &Path) -> Reread {
    let Ok(rel) = path.strip_prefix(root) else {
        return Reread::Everything;
    };
    let Some(rel) = rel.to_str() else {
        return Reread::Nothing;
    };
    if rel.is_empty() {
        return Reread::Everything;
    }
    let mut segments = rel.split('/');
    let Some(kind) = segments.next().and_then(Kind::from_dir) else {
        return Reread::Nothing;
    };
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return Reread::Nothing;
    };
    if segments.next().is_none() || name.starts_with("..") {
        // A kind directory itself, or Kubernetes' atomic-writer swap
        // (`..data`), which changes every file behind the symlinks at once.
        return Reread::Everything;
    }
    let meta = fs::symlink_metadata(path);
    if meta.as_ref().is_ok_and(|m| m.is_dir()) {
        return Reread::Everything;
    }
    let Some(key) = ObjectKey::from_relative(rel) else {
        return Reread::Nothing;
    };
    if meta.is_err() {
        // Gone: a removed file, or one level of a removed directory (whose
        // own event asks for everything).
        return Reread::Change(Change::Delete(key));
    }
    let dir = root.join(kind.dir());
    let Ok(confine) = fs::canonicalize(&dir) else {
        return Reread::Everything;
    };
    // The file, or a directory on its way, may be a symlink: only what
    // stays inside the kind directory is read, as a full load does.
    match fs::canonicalize(path) {
        Ok(real) if real.starts_with(&confine) => {}
        Ok(real) => {
            return Reread::Change(Change::Put(
                key,
                Err(format!(
                    "symlink leads to {}, outside {}; refusing to follow it",
                    real.display(),
                    confine.display()
                )),
            ));
        }
        Err(e) => return Reread::Change(Change::Put(key, Err(format!("dangling symlink: {e}")))),
    }
    match read_confined(path, &confine) {
        Ok(Some(bytes)) => Reread::Change(Change::Put(key, Ok(Bytes::from(bytes)))),
        Ok(None) => Reread::Change(Change::Delete(key)),
        Err(e) => Reread::Change(Change::Put(key, Err(e))),
    }
}

struct Walker {
    issues: Vec<Issue>,
    changes: Vec<Change>,
}

impl Walker {
    fn issue(&mut self, severity: Severity, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            severity,
            path: path.into(),
            message: message.into(),
        });
    }

    /// `groups/*.json`, one level.
    fn list_groups(&mut self, root: &Path) -> Result<(), String> {
        let dir = root.join(Kind::Group.dir());
        let confine = fs::canonicalize(&dir).map_err(|e| {
            format!(
                "cannot read the groups directory {}: {e}; no machine can match until it exists",
                dir.display()
            )
        })?;
        let mut names = read_dir_sorted(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        names.retain(|n| n.ends_with(".json") && !n.starts_with('.'));
        for name in names {
            let key = ObjectKey::new(Kind::Group, name.clone());
            match read_confined(&dir.join(&name), &confine) {
                Ok(Some(bytes)) => self.changes.push(Change::Put(key, Ok(Bytes::from(bytes)))),
                Ok(None) => {}
                Err(e) => self.changes.push(Change::Put(key, Err(e))),
            }
        }
        Ok(())
    }

    /// Every file under a kind directory, recursively, keyed by its path
    /// relative to that directory (profiles without their `.json`).
    fn load_kind(&mut self, root: &Path, kind: Kind) {
        let dir = root.join(kind.dir());
        let Ok(confine) = fs::canonicalize(&dir) else {
            // A missing kind directory is normal (many installs have no cloud/).
            return;
        };
        let mut files = Vec::new();
        let mut visited = HashSet::new();
        visited.insert(confine.clone());
        self.walk(&dir, &confine, "", 0, &mut visited, &mut files, kind);
        for (rel, path) in files {
            let name = match kind {
                Kind::Profile => match rel.strip_suffix(".json") {
                    Some(id) => id.to_owned(),
                    None => continue,
                },
                _ => rel.clone(),
            };
            let key = ObjectKey::new(kind, name);
            match read_confined(&path, &confine) {
                Ok(Some(bytes)) => self.changes.push(Change::Put(key, Ok(Bytes::from(bytes)))),
                Ok(None) => {}
                Err(e) => self.changes.push(Change::Put(key, Err(e))),
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &mut self,
        dir: &Path,
        confine: &Path,
        prefix: &str,
        depth: usize,
        visited: &mut HashSet<PathBuf>,
        out: &mut Vec<(String, PathBuf)>,
        kind: Kind,
    ) {
        let names = match read_dir_sorted(dir) {
            Ok(n) => n,
            Err(e) => {
                self.issue(
                    Severity::Error,
                    format!("{}/{prefix}", kind.dir()),
                    format!("cannot list directory: {e}"),
                );
                return;
            }
        };
        for name in names {
            if name.starts_with('.') {
                continue;
            }
            let path = dir.join(&name);
            let rel = format!("{prefix}{name}");
            let Ok(meta) = fs::metadata(&path) else {
                self.issue(
                    Severity::Warning,
                    format!("{}/{rel}", kind.dir()),
                    "skipped: dangling symlink or unreadable entry",
                );
                continue;
            };
            if meta.is_dir() {
                if depth >= MAX_DEPTH {
                    self.issue(
                        Severity::Warning,
                        format!("{}/{rel}", kind.dir()),
                        "skipped: nested too deep",
                    );
                    continue;
                }
                match fs::canonicalize(&path) {
                    Ok(real) if real.starts_with(confine) => {
                        if visited.insert(real) {
                            self.walk(&path, confine, &format!("{rel}/"), depth + 1, visited, out, kind);
                        }
                    }
                    Ok(_) => self.issue(
                        Severity::Error,
                        format!("{}/{rel}", kind.dir()),
                        format!("skipped: symlink leads outside {}/", kind.dir()),
                    ),
                    Err(e) => self.issue(
                        Severity::Error,
                        format!("{}/{rel}", kind.dir()),
                        format!("skipped: {e}"),
                    ),
                }
            } else if meta.is_file() {
                out.push((rel, path));
            }
        }
    }
}

fn read_dir_sorted(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        match entry.file_name().into_string() {
            Ok(name) => names.push(name),
            Err(raw) => tracing::warn!(dir = %dir.display(), name = ?raw, "skipping a file whose name is not UTF-8"),
        }
    }
    names.sort_unstable();
    Ok(names)
}

/// Reads a regular file, refusing a symlink whose target is outside
/// `confine`. `Ok(None)` for entries that are not regular files.
fn read_confined(path: &Path, confine: &Path) -> Result<Option<Vec<u8>>, String> {
    let link = fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if link.file_type().is_symlink() {
        let real = fs::canonicalize(path).map_err(|e| format!("dangling symlink: {e}"))?;
        if !real.starts_with(confine) {
            return Err(format!(
                "symlink leads to {}, outside {}; refusing to follow it",
                real.display(),
                confine.display()
            ));
        }
    }
    let mut file = fs::File::open(path).map_err(|e| e.to_string())?;
    let meta = file.metadata().map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Ok(None);
    }
    if meta.len() > MAX_FILE_SIZE {
        return Err(format!(
            "{} bytes is larger than the {} MiB limit for data files",
            meta.len(),
            MAX_FILE_SIZE >> 20
        ));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes).map_err(|e| e.to_string())?;
    Ok(Some(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reread_judges_each_path_as_a_full_load_would() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for d in ["groups", "profiles/sub", "ignition"] {
            fs::create_dir_all(root.join(d)).unwrap();
        }
        fs::write(root.join("groups/a.json"), "{}").unwrap();
        fs::write(root.join("profiles/sub/p.json"), "{}").unwrap();
        fs::write(root.join("ignition/.swp"), "x").unwrap();
        let put = |rel: &str, body: &str| {
            Reread::Change(Change::Put(
                ObjectKey::from_relative(rel).unwrap(),
                Ok(Bytes::from(body.to_owned())),
            ))
        };
        assert_eq!(
            read_object(root, &root.join("groups/a.json")),
            put("groups/a.json", "{}")
        );
        assert_eq!(
            read_object(root, &root.join("profiles/sub/p.json")),
            put("profiles/sub/p.json", "{}")
        );
        assert_eq!(
            read_object(root, &root.join("groups/gone.json")),
            Reread::Change(Change::Delete(ObjectKey::new(Kind::Group, "gone.json")))
        );
        assert_eq!(read_object(root, &root.join("ignition/.swp")), Reread::Nothing);
        assert_eq!(read_object(root, &root.join("groups/README")), Reread::Nothing);
        assert_eq!(read_object(root, &root.join("profiles/sub")), Reread::Everything);
        assert_eq!(read_object(root, &root.join("groups")), Reread::Everything);
        assert_eq!(read_object(root, &root.join("ignition/..data")), Reread::Everything);
        assert_eq!(read_object(root, &root.join("assets/x")), Reread::Nothing);

        // A file reached through a directory symlink that leaves its kind
        // directory is refused, as the walk refuses the directory.
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("secret"), "s").unwrap();
        std::os::unix::fs::symlink(outside.path(), root.join("ignition/out")).unwrap();
        match read_object(root, &root.join("ignition/out/secret")) {
            Reread::Change(Change::Put(_, Err(e))) => assert!(e.contains("outside"), "{e}"),
            other => panic!("{other:?}"),
        }
    }
}
