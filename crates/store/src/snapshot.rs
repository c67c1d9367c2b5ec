//! The snapshot: an immutable, fully parsed view of the data directory.
//!
//! Requests read one snapshot from start to finish, so they never see a
//! half-applied change; a reload builds a new snapshot and swaps it in
//! atomically. Everything a request needs is precomputed here: the selection
//! index, the iPXE and GRUB bodies of every profile, parsed templates and the
//! serialized Ignition of raw configs.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use bytes::Bytes;
use model::{GroupSet, Profile};

/// One kind of object stored in the data directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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

    pub const ALL: [Kind; 5] = [Kind::Group, Kind::Profile, Kind::Ignition, Kind::Cloud, Kind::Generic];
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

#[derive(Debug, Default)]
pub struct Snapshot {
    /// Increases by one with every reload; 0 for an empty placeholder.
    pub generation: u64,
    pub root: PathBuf,
    pub loaded_at: Option<SystemTime>,
    pub load_duration: Duration,
    pub groups: GroupSet,
    /// The profile of each group, in the order of `groups.ranked()`, looked
    /// up once at load so a request does not repeat it.
    pub(crate) group_profiles: Vec<Result<Arc<LoadedProfile>, LookupError>>,
    /// Set when `groups/` is missing or unreadable: nothing can match then.
    pub groups_dir_error: Option<String>,
    pub(crate) profiles: HashMap<String, Entry<LoadedProfile>>,
    pub(crate) ignition: HashMap<String, Entry<IgnitionFile>>,
    pub(crate) cloud: HashMap<String, Entry<TemplateFile>>,
    pub(crate) generic: HashMap<String, Entry<TemplateFile>>,
    pub issues: Vec<Issue>,
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
#[derive(Debug, Clone, Copy)]
pub struct Selected<'s> {
    pub group: &'s Arc<model::LoadedGroup>,
    pub profile: &'s Result<Arc<LoadedProfile>, LookupError>,
}

impl Snapshot {
    /// The group these labels select, and its profile.
    pub fn select(&self, labels: &model::Labels) -> Option<Selected<'_>> {
        let rank = self.groups.select_rank(labels)?;
        Some(Selected {
            group: &self.groups.ranked()[rank],
            profile: &self.group_profiles[rank],
        })
    }

    pub fn profile(&self, id: &str) -> Result<&Arc<LoadedProfile>, LookupError> {
        self.lookup(Kind::Profile, &self.profiles, id, ".json")
    }

    pub fn ignition(&self, name: &str) -> Result<&Arc<IgnitionFile>, LookupError> {
        self.lookup(Kind::Ignition, &self.ignition, name, "")
    }

    pub fn cloud(&self, name: &str) -> Result<&Arc<TemplateFile>, LookupError> {
        self.lookup(Kind::Cloud, &self.cloud, name, "")
    }

    pub fn generic(&self, name: &str) -> Result<&Arc<TemplateFile>, LookupError> {
        self.lookup(Kind::Generic, &self.generic, name, "")
    }

    fn lookup<'a, T>(
        &'a self,
        kind: Kind,
        table: &'a HashMap<String, Entry<T>>,
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

    /// Names of loaded objects of a kind, sorted (for validate and tests).
    pub fn names(&self, kind: Kind) -> Vec<&str> {
        let mut names: Vec<&str> = match kind {
            Kind::Group => self.groups.ranked().iter().map(|g| g.file_name.as_str()).collect(),
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

    pub fn error_count(&self) -> usize {
        self.issues.iter().filter(|i| i.severity == Severity::Error).count()
    }
}
