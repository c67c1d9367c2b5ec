//! The snapshot: an immutable, fully parsed view of the configuration.
//!
//! Requests read one snapshot from start to finish, so they never see a
//! half-applied change. A change to one object builds the next snapshot from
//! the current one ([`Snapshot::apply`], in `apply.rs`): every table is a
//! persistent map, so the clone is O(1) and the change costs O(log n),
//! whatever the number of objects. Everything a request needs is
//! precomputed here: the selection index, the iPXE and GRUB bodies of every
//! profile, parsed templates and the serialized Ignition of raw configs.

use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use model::{GroupSet, Profile};

/// One kind of object stored in the data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    Group,
    Profile,
    Ignition,
    Cloud,
    Generic,
}

impl Kind {
    /// The directory under the data path holding this kind.
    pub fn dir(self) -> &'static str {
        match self {
            Kind::Group => "groups",
            Kind::Profile => "profiles",
            Kind::Ignition => "ignition",
            Kind::Cloud => "cloud",
            Kind::Generic => "generic",
        }
    }

    pub fn noun(self) -> &'static str {
        match self {
            Kind::Group => "group",
            Kind::Profile => "profile",
            Kind::Ignition => "ignition config",
            Kind::Cloud => "cloud config",
            Kind::Generic => "generic template",
        }
    }

    pub fn from_dir(dir: &str) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.dir() == dir)
    }

    pub const ALL: [Kind; 5] = [Kind::Group, Kind::Profile, Kind::Ignition, Kind::Cloud, Kind::Generic];
}

/// One object: its kind and its key in that kind's table. A group's key is
/// its file name (`node1.json`), a profile's its id (`node1` for
/// `profiles/node1.json`), a template's its path under the kind directory
/// (`sub/worker.yaml`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ObjectKey {
    pub kind: Kind,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: Kind, name: impl Into<String>) -> ObjectKey {
        ObjectKey {
            kind,
            name: name.into(),
        }
    }

    /// The object an API name stands for: group and profile ids get the
    /// `.json` of their file for groups (whose key is the file name).
    pub fn from_api(kind: Kind, name: &str) -> ObjectKey {
        match kind {
            Kind::Group => ObjectKey::new(kind, format!("{name}.json")),
            _ => ObjectKey::new(kind, name),
        }
    }

    /// The name the API uses for this object (a group's id, without `.json`).
    pub fn api_name(&self) -> &str {
        match self.kind {
            Kind::Group => self.name.strip_suffix(".json").unwrap_or(&self.name),
            _ => &self.name,
        }
    }

    /// The object stored at `path`, relative to the data directory
    /// (`groups/node1.json`), with the loader's rules: groups are `*.json`
    /// one level down, profiles `*.json` at any depth, templates any file;
    /// no path segment may start with a dot (those are ignored). `None` for
    /// anything that is not an object.
    pub fn from_relative(path: &str) -> Option<ObjectKey> {
        let (dir, rest) = path.split_once('/')?;
        let kind = Kind::from_dir(dir)?;
        if rest.is_empty() || rest.split('/').any(|s| s.is_empty() || s.starts_with('.')) {
            return None;
        }
        let name = match kind {
            Kind::Group if !rest.contains('/') && rest.ends_with(".json") => rest.to_owned(),
            Kind::Group => return None,
            Kind::Profile => rest.strip_suffix(".json")?.to_owned(),
            _ => rest.to_owned(),
        };
        Some(ObjectKey { kind, name })
    }

    /// The path relative to the data directory (`profiles/node1.json`).
    pub fn relative(&self) -> String {
        match self.kind {
            Kind::Profile => format!("profiles/{}.json", self.name),
            _ => format!("{}/{}", self.kind.dir(), self.name),
        }
    }
}

impl std::fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.relative())
    }
}

/// A change to one object, as a source reports it: its new bytes (or why
/// they could not be read), or its removal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    Put(ObjectKey, Result<Bytes, String>),
    Delete(ObjectKey),
}

impl Change {
    pub fn key(&self) -> &ObjectKey {
        match self {
            Change::Put(k, _) | Change::Delete(k) => k,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Warning,
    Error,
}

/// A problem found while loading: the file is skipped (error) or served with
/// a caveat (warning). `kindling validate` prints these; the server logs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    pub severity: Severity,
    /// Path relative to the data directory, e.g. `groups/node1.json`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Issue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{level}: {}: {}", self.path, self.message)
    }
}

/// A profile with its boot scripts rendered once.
#[derive(Debug)]
pub struct LoadedProfile {
    pub profile: Profile,
    /// `/ipxe` and `/grub` bodies; `None` when the profile has no `boot`.
    pub ipxe: Option<Bytes>,
    pub grub: Option<Bytes>,
}

/// A template file (cloud, generic, or a Butane Ignition template).
#[derive(Debug)]
pub struct TemplateFile {
    pub source: Bytes,
    /// The parse error text when the template does not parse.
    pub template: Result<template::Template, String>,
}

/// A raw Ignition config (`*.ign`, `*.ignition`), answered without templating.
#[derive(Debug)]
pub struct RawIgnition {
    /// Exactly what matchbox serves: the config re-serialized at spec 3.4.0,
    /// or the empty zero config when it does not parse as ≤ 3.4.0 (D1 compat).
    pub compat_body: Bytes,
    /// What kindling serves by default: the 3.4.0 body, the config at its own
    /// newer spec, or the reason it is invalid.
    pub body: Result<Bytes, String>,
    /// For a valid config newer than 3.4: its 3.4.0 form when 3.4 can
    /// express it (for clients whose Accept header names 3.4.0), else `None`.
    pub newer: Option<(ignition::Spec, Option<Bytes>)>,
}

#[derive(Debug)]
pub enum IgnitionFile {
    Raw(RawIgnition),
    Template(TemplateFile),
}

/// An entry in a per-kind table: parsed, or the reason it could not be.
pub type Entry<T> = Result<Arc<T>, String>;

/// What an issue is about, so that a change replaces exactly the issues it
/// makes stale.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum IssueKey {
    /// Found while listing the directory (unreadable entries, symlinks that
    /// leave their directory); replaced by the next full load.
    Walk(String),
    /// The object itself: unreadable, unparseable, or served with a caveat.
    Object(ObjectKey),
    /// What the object references: a group's profile, a profile's templates.
    Refs(ObjectKey),
    /// Groups with identical selectors, by selector string.
    Tie(String),
}

#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    /// Increases by one with every change applied; 0 for an empty placeholder.
    pub generation: u64,
    /// The source's revision this snapshot includes (etcd's revision), or 0
    /// for a data directory, which has none.
    pub revision: u64,
    /// Where the objects come from, for logs and `/healthz`.
    pub source: Arc<str>,
    /// When the last change was applied, and how long applying it took (a
    /// full load's duration after a load).
    pub loaded_at: Option<SystemTime>,
    pub load_duration: Duration,
    pub groups: GroupSet,
    /// Set when `groups/` is missing or unreadable: nothing can match then.
    pub groups_dir_error: Option<String>,
    pub(crate) profiles: imbl::HashMap<String, Entry<LoadedProfile>>,
    pub(crate) ignition: imbl::HashMap<String, Entry<IgnitionFile>>,
    pub(crate) cloud: imbl::HashMap<String, Entry<TemplateFile>>,
    pub(crate) generic: imbl::HashMap<String, Entry<TemplateFile>>,
    /// A digest of each object's bytes, so that a source repeating what the
    /// snapshot already holds (the watcher re-reading a file the API just
    /// wrote) changes nothing.
    pub(crate) digests: imbl::OrdMap<ObjectKey, u64>,
    /// Referenced object → the objects that reference it (a profile → its
    /// groups, a template → its profiles), to refresh their issues when it
    /// appears, breaks or goes.
    pub(crate) users: imbl::OrdMap<ObjectKey, imbl::OrdSet<ObjectKey>>,
    pub(crate) issues: imbl::OrdMap<IssueKey, Arc<[Issue]>>,
    pub(crate) errors: usize,
}

/// Why an object could not be returned; messages name the file to look at.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LookupError {
    #[error("{noun} {name:?} is referenced but {dir}/{name}{ext} does not exist")]
    NotFound {
        noun: &'static str,
        dir: &'static str,
        name: String,
        ext: &'static str,
    },
    #[error("{noun} name {name:?} is not allowed: {reason}")]
    InvalidName {
        noun: &'static str,
        name: String,
        reason: String,
    },
    #[error("{dir}/{name}{ext} could not be loaded: {reason}")]
    Invalid {
        dir: &'static str,
        name: String,
        ext: &'static str,
        reason: String,
    },
    #[error("no {noun} is set in the profile")]
    Unset { noun: &'static str },
}

/// The group a request selected, with its profile (or why it has none).
#[derive(Debug, Clone)]
pub struct Selected<'s> {
    pub group: &'s Arc<model::LoadedGroup>,
    pub profile: Result<&'s Arc<LoadedProfile>, LookupError>,
}

impl Snapshot {
    /// An empty snapshot of a source.
    pub fn empty(source: &str) -> Snapshot {
        Snapshot {
            source: Arc::from(source),
            ..Default::default()
        }
    }

    /// The group these labels select, and its profile.
    pub fn select(&self, labels: &model::Labels) -> Option<Selected<'_>> {
        let group = self.groups.select(labels)?;
        Some(Selected {
            group,
            profile: self.group_profile(&group.group),
        })
    }

    /// A group's profile, or why it has none.
    pub fn group_profile(&self, group: &model::Group) -> Result<&Arc<LoadedProfile>, LookupError> {
        if group.profile.is_empty() {
            Err(LookupError::Unset { noun: "profile" })
        } else {
            self.profile(&group.profile)
        }
    }

    pub fn profile(&self, id: &str) -> Result<&Arc<LoadedProfile>, LookupError> {
        lookup(Kind::Profile, &self.profiles, id, ".json")
    }

    pub fn ignition(&self, name: &str) -> Result<&Arc<IgnitionFile>, LookupError> {
        lookup(Kind::Ignition, &self.ignition, name, "")
    }

    pub fn cloud(&self, name: &str) -> Result<&Arc<TemplateFile>, LookupError> {
        lookup(Kind::Cloud, &self.cloud, name, "")
    }

    pub fn generic(&self, name: &str) -> Result<&Arc<TemplateFile>, LookupError> {
        lookup(Kind::Generic, &self.generic, name, "")
    }

    /// Whether `key` names a loaded object that a reference can use (present
    /// and readable), with the error a reference to it gets otherwise.
    pub(crate) fn usable(&self, key: &ObjectKey) -> Result<(), LookupError> {
        match key.kind {
            Kind::Group => Ok(()),
            Kind::Profile => self.profile(&key.name).map(|_| ()),
            Kind::Ignition => self.ignition(&key.name).map(|_| ()),
            Kind::Cloud => self.cloud(&key.name).map(|_| ()),
            Kind::Generic => self.generic(&key.name).map(|_| ()),
        }
    }

    /// Names of loaded objects of a kind, sorted (for validate and tests).
    pub fn names(&self, kind: Kind) -> Vec<&str> {
        let mut names: Vec<&str> = match kind {
            Kind::Group => self.groups.ranked().map(|g| g.file_name.as_str()).collect(),
            Kind::Profile => self.profiles.keys().map(String::as_str).collect(),
            Kind::Ignition => self.ignition.keys().map(String::as_str).collect(),
            Kind::Cloud => self.cloud.keys().map(String::as_str).collect(),
            Kind::Generic => self.generic.keys().map(String::as_str).collect(),
        };
        names.sort_unstable();
        names
    }

    pub fn profile_count(&self) -> usize {
        self.profiles.len()
    }

    /// Every problem of the snapshot, sorted by path (errors first within a
    /// path). O(number of problems).
    pub fn issues(&self) -> Vec<Issue> {
        let mut all: Vec<Issue> = self.issues.values().flat_map(|v| v.iter().cloned()).collect();
        all.sort_by(|a, b| a.path.cmp(&b.path).then(b.severity.cmp(&a.severity)));
        all
    }

    /// Problems that make something unservable; maintained with every change.
    pub fn error_count(&self) -> usize {
        self.errors
    }
}

fn lookup<'a, T>(
    kind: Kind,
    table: &'a imbl::HashMap<String, Entry<T>>,
    name: &str,
    ext: &'static str,
) -> Result<&'a Arc<T>, LookupError> {
    if name.is_empty() {
        return Err(LookupError::Unset { noun: kind.noun() });
    }
    model::names::check_template_name(name).map_err(|e| LookupError::InvalidName {
        noun: kind.noun(),
        name: name.to_owned(),
        reason: e.to_string(),
    })?;
    match table.get(name) {
        Some(Ok(v)) => Ok(v),
        Some(Err(reason)) => Err(LookupError::Invalid {
            dir: kind.dir(),
            name: name.to_owned(),
            ext,
            reason: reason.clone(),
        }),
        None => Err(LookupError::NotFound {
            noun: kind.noun(),
            dir: kind.dir(),
            name: name.to_owned(),
            ext,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_keys_follow_the_loaders_layout() {
        let k = |p: &str| ObjectKey::from_relative(p);
        assert_eq!(k("groups/node1.json"), Some(ObjectKey::new(Kind::Group, "node1.json")));
        assert_eq!(k("groups/sub/node1.json"), None, "groups are one level");
        assert_eq!(k("groups/README.md"), None);
        assert_eq!(k("groups/.node1.json"), None);
        assert_eq!(k("profiles/a/b.json"), Some(ObjectKey::new(Kind::Profile, "a/b")));
        assert_eq!(k("profiles/a.yaml"), None);
        assert_eq!(k("ignition/x/y.yaml"), Some(ObjectKey::new(Kind::Ignition, "x/y.yaml")));
        assert_eq!(k("ignition/.x/y.yaml"), None);
        assert_eq!(k("ignition//y"), None);
        assert_eq!(k("assets/x"), None);
        assert_eq!(k("ignition"), None);
        for p in ["groups/a.json", "profiles/a/b.json", "generic/t.tmpl", "cloud/c"] {
            assert_eq!(k(p).unwrap().relative(), p);
        }
        let g = ObjectKey::from_api(Kind::Group, "node1");
        assert_eq!((g.name.as_str(), g.api_name()), ("node1.json", "node1"));
        assert_eq!(ObjectKey::from_api(Kind::Profile, "p").relative(), "profiles/p.json");
    }
}
