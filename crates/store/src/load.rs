//! Reading the data directory into a [`Snapshot`].
//!
//! The layout and tolerance are matchbox's: `groups/*.json` (one level),
//! `profiles/<id>.json`, and template files under `ignition/`, `cloud/` and
//! `generic/` named by their path. A file that cannot be read or parsed is
//! recorded as an [`Issue`] and skipped; loading itself never fails.
//!
//! Deliberate differences: only regular `*.json` files are groups (D15);
//! dotfiles are ignored (editor and Kubernetes ConfigMap bookkeeping); a
//! symlink that leads out of its kind directory is refused (D5).

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Instant, SystemTime};

use bytes::Bytes;
use model::{Group, GroupSet, LoadedGroup, Profile};

use crate::compile::compile_raw_ignition;
use crate::snapshot::{Entry, IgnitionFile, Issue, Kind, LoadedProfile, Severity, Snapshot, TemplateFile};

/// Files larger than this are refused: the data directory holds configs, not
/// images (those belong under the assets path).
pub const MAX_FILE_SIZE: u64 = 64 * 1024 * 1024;

/// Deepest directory nesting followed under a template or profile directory.
const MAX_DEPTH: usize = 16;

/// Loads the data directory at `root`. Never fails: problems become issues.
pub fn load(root: &Path, generation: u64) -> Snapshot {
    let started = Instant::now();
    let mut loader = Loader { issues: Vec::new() };
    let mut snap = Snapshot {
        generation,
        root: root.to_path_buf(),
        ..Default::default()
    };

    match loader.list_groups(root) {
        Ok(groups) => {
            let set = GroupSet::new(groups);
            for tie in set.ties() {
                let sel = if tie.selector.is_empty() {
                    "{} (default groups)".to_owned()
                } else {
                    tie.selector.clone()
                };
                loader.issues.push(Issue {
                    severity: Severity::Warning,
                    path: format!("groups/{}", tie.files[1..].join(", groups/")),
                    message: format!(
                        "identical selector {sel} as groups/{}, which wins because its file name sorts first; this group is never selected",
                        tie.files[0]
                    ),
                });
            }
            snap.groups = set;
        }
        Err(reason) => {
            loader.issues.push(Issue {
                severity: Severity::Error,
                path: "groups".into(),
                message: reason.clone(),
            });
            snap.groups_dir_error = Some(reason);
        }
    }

    snap.profiles = loader.load_kind(root, Kind::Profile, |_, bytes| {
        let profile = Profile::from_json(bytes).map_err(|e| e.to_string())?;
        let ipxe = profile
            .boot
            .as_ref()
            .map(|b| Bytes::from(model::bootscript::render_ipxe(b)));
        let grub = profile
            .boot
            .as_ref()
            .map(|b| Bytes::from(model::bootscript::render_grub(b)));
        Ok((LoadedProfile { profile, ipxe, grub }, None))
    });
    snap.ignition = loader.load_kind(root, Kind::Ignition, |name, bytes| {
        Ok(if is_raw_ignition(name) {
            let raw = compile_raw_ignition(bytes);
            let problem = raw.body.as_ref().err().cloned();
            (IgnitionFile::Raw(raw), problem)
        } else {
            let (t, problem) = template_entry(bytes);
            (IgnitionFile::Template(t), problem)
        })
    });
    snap.cloud = loader.load_kind(root, Kind::Cloud, |_, bytes| Ok(template_entry(bytes)));
    snap.generic = loader.load_kind(root, Kind::Generic, |_, bytes| Ok(template_entry(bytes)));

    snap.group_profiles = snap
        .groups
        .ranked()
        .iter()
        .map(|g| {
            if g.group.profile.is_empty() {
                Err(crate::LookupError::Unset { noun: "profile" })
            } else {
                snap.profile(&g.group.profile).cloned()
            }
        })
        .collect();
    loader.cross_check(&snap);
    snap.issues = loader.issues;
    snap.issues
        .sort_by(|a, b| a.path.cmp(&b.path).then(b.severity.cmp(&a.severity)));
    snap.loaded_at = Some(SystemTime::now());
    snap.load_duration = started.elapsed();
    snap
}

/// matchbox's test: a case-sensitive `.ign` or `.ignition` suffix means raw
/// Ignition, anything else is a Butane template.
pub fn is_raw_ignition(name: &str) -> bool {
    name.ends_with(".ign") || name.ends_with(".ignition")
}

/// A template file and, when it does not parse, the problem to report. The
/// file stays in the table so requests get the parse error, not "not found".
fn template_entry(bytes: &[u8]) -> (TemplateFile, Option<String>) {
    let t = compile_template(bytes);
    let problem = t.template.as_ref().err().cloned();
    (t, problem)
}

fn compile_template(bytes: &[u8]) -> TemplateFile {
    let source = Bytes::copy_from_slice(bytes);
    let template = match std::str::from_utf8(bytes) {
        Ok(text) => template::Template::parse(text).map_err(|e| e.to_string()),
        Err(e) => Err(format!("the file is not UTF-8 text ({e})")),
    };
    TemplateFile { source, template }
}

struct Loader {
    issues: Vec<Issue>,
}

impl Loader {
    fn issue(&mut self, severity: Severity, path: impl Into<String>, message: impl Into<String>) {
        self.issues.push(Issue {
            severity,
            path: path.into(),
            message: message.into(),
        });
    }

    /// `groups/*.json`, one level, in file-name order.
    fn list_groups(&mut self, root: &Path) -> Result<Vec<LoadedGroup>, String> {
        let dir = root.join(Kind::Group.dir());
        let confine = fs::canonicalize(&dir).map_err(|e| {
            format!(
                "cannot read the groups directory {}: {e}; no machine can match until it exists",
                dir.display()
            )
        })?;
        let mut names = read_dir_sorted(&dir).map_err(|e| format!("cannot list {}: {e}", dir.display()))?;
        names.retain(|n| n.ends_with(".json") && !n.starts_with('.'));
        let mut groups = Vec::with_capacity(names.len());
        for name in names {
            let rel = format!("groups/{name}");
            let path = dir.join(&name);
            match read_confined(&path, &confine) {
                Ok(Some(bytes)) => match Group::from_json(&bytes) {
                    Ok(group) => groups.push(LoadedGroup { file_name: name, group }),
                    Err(e) => self.issue(Severity::Error, rel, format!("skipped: {e}")),
                },
                Ok(None) => {}
                Err(e) => self.issue(Severity::Error, rel, format!("skipped: {e}")),
            }
        }
        Ok(groups)
    }

    /// Every file under a kind directory, recursively, keyed by its path
    /// relative to that directory (profiles without their `.json`).
    fn load_kind<T>(
        &mut self,
        root: &Path,
        kind: Kind,
        mut compile: impl FnMut(&str, &[u8]) -> Result<(T, Option<String>), String>,
    ) -> HashMap<String, Entry<T>> {
        let dir = root.join(kind.dir());
        let mut table = HashMap::new();
        let Ok(confine) = fs::canonicalize(&dir) else {
            // A missing kind directory is normal (many installs have no cloud/).
            return table;
        };
        let mut files = Vec::new();
        let mut visited = HashSet::new();
        visited.insert(confine.clone());
        self.walk(&dir, &confine, "", 0, &mut visited, &mut files, kind);
        for (rel, path) in files {
            let key = match kind {
                Kind::Profile => match rel.strip_suffix(".json") {
                    Some(id) => id.to_owned(),
                    None => continue,
                },
                _ => rel.clone(),
            };
            let shown = format!("{}/{rel}", kind.dir());
            let entry = match read_confined(&path, &confine) {
                Ok(Some(bytes)) => compile(&key, &bytes),
                Ok(None) => continue,
                Err(e) => Err(e),
            };
            let entry = match entry {
                Ok((value, problem)) => {
                    if let Some(problem) = problem {
                        self.issue(Severity::Error, shown, problem);
                    }
                    Ok(Arc::new(value))
                }
                Err(reason) => {
                    self.issue(Severity::Error, shown, reason.clone());
                    Err(reason)
                }
            };
            table.insert(key, entry);
        }
        table
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

    fn cross_check(&mut self, snap: &Snapshot) {
        for (g, profile) in snap.groups.ranked().iter().zip(&snap.group_profiles) {
            let path = format!("groups/{}", g.file_name);
            match profile {
                Ok(_) => {}
                Err(crate::LookupError::Unset { .. }) => self.issue(
                    Severity::Warning,
                    path,
                    "the group names no profile: machines it selects get 404 on every endpoint but /metadata",
                ),
                Err(e) => self.issue(Severity::Error, path, format!("profile: {e}")),
            }
        }
        let mut ids: Vec<&String> = snap.profiles.keys().collect();
        ids.sort();
        for id in ids {
            let Some(Ok(p)) = snap.profiles.get(id) else { continue };
            let path = format!("profiles/{id}.json");
            let p = &p.profile;
            for (field, name, result) in [
                ("ignition_id", &p.ignition_id, snap.ignition(&p.ignition_id).map(|_| ())),
                ("cloud_id", &p.cloud_id, snap.cloud(&p.cloud_id).map(|_| ())),
                ("generic_id", &p.generic_id, snap.generic(&p.generic_id).map(|_| ())),
            ] {
                if name.is_empty() {
                    continue;
                }
                if let Err(e) = result {
                    self.issue(Severity::Error, path.clone(), format!("{field}: {e}"));
                }
            }
            if p.boot.is_none() {
                self.issue(
                    Severity::Warning,
                    path.clone(),
                    "no \"boot\" section: /ipxe and /grub answer 404 for machines with this profile",
                );
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
