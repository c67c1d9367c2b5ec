//! The configuration (groups, profiles, templates) as an immutable
//! [`Snapshot`] that requests share, kept current one change at a time.
//!
//! Where the objects live is a [`Backend`]: the data directory in
//! matchbox's layout ([`DirBackend`], watched with inotify by [`watch`]),
//! or etcd (in the `cluster` crate). A backend reports changes to single
//! objects; [`Store::apply`] turns each into the next snapshot in time that
//! does not grow with the number of objects, and swaps it in. Nothing here
//! knows about HTTP, gRPC or which backend is in use beyond the trait.

mod apply;
mod compile;
mod load;
mod snapshot;
mod watch;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use arc_swap::ArcSwap;

pub use compile::compile_raw_ignition;
pub use load::{MAX_FILE_SIZE, Reread, build, describe_dir, is_raw_ignition, load, read_all, read_object};
pub use snapshot::{
    Change, Entry, IgnitionFile, Issue, Kind, LoadedProfile, LookupError, ObjectKey, RawIgnition, Selected, Severity,
    Snapshot, TemplateFile,
};
pub use watch::{MAX_DELAY, QUIET, WatchGuard, watch};
pub use write::WriteError;

/// Called with every new snapshot and the issues its change raised (all of
/// them after a full load), for logs and metrics.
pub type ReloadHook = Box<dyn Fn(&Snapshot, &[Issue]) + Send + Sync>;

/// Where a backend's write becomes visible.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The write is stored; the caller applies the change to the snapshot
    /// itself (a data directory: nothing else would report it promptly).
    Apply,
    /// The write is stored at this revision, and will come back through the
    /// backend's change stream; the caller waits for the snapshot to reach it.
    AtRevision(u64),
}

/// Where objects are stored: the data directory, or etcd. Blocking calls;
/// the gRPC API runs them on a blocking thread.
pub trait Backend: Send + Sync + std::fmt::Debug {
    /// For logs and `/healthz`: `data directory /var/lib/matchbox`.
    fn describe(&self) -> String;
    /// Stores `bytes` as the object, atomically.
    fn put(&self, key: &ObjectKey, bytes: &[u8]) -> Result<Written, WriteError>;
    /// Removes the object; `NotFound` when it does not exist.
    fn delete(&self, key: &ObjectKey) -> Result<Written, WriteError>;
    /// The object's stored bytes, read from the backend (not the snapshot).
    fn get(&self, key: &ObjectKey) -> Result<Vec<u8>, WriteError>;
    /// Every object of a kind with its bytes, sorted by name.
    fn get_all(&self, kind: Kind) -> Result<Vec<(ObjectKey, Vec<u8>)>, WriteError>;
}

/// The data directory as a backend: atomic file writes ([`write`]).
#[derive(Debug, Clone)]
pub struct DirBackend {
    root: PathBuf,
}

impl DirBackend {
    pub fn new(root: &Path) -> DirBackend {
        DirBackend {
            root: root.to_path_buf(),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
}

impl Backend for DirBackend {
    fn describe(&self) -> String {
        describe_dir(&self.root)
    }

    fn put(&self, key: &ObjectKey, bytes: &[u8]) -> Result<Written, WriteError> {
        write::write(&self.root, key.kind, key.api_name(), bytes)?;
        Ok(Written::Apply)
    }

    fn delete(&self, key: &ObjectKey) -> Result<Written, WriteError> {
        write::delete(&self.root, key.kind, key.api_name())?;
        Ok(Written::Apply)
    }

    fn get(&self, key: &ObjectKey) -> Result<Vec<u8>, WriteError> {
        write::read(&self.root, key.kind, key.api_name())
    }

    fn get_all(&self, kind: Kind) -> Result<Vec<(ObjectKey, Vec<u8>)>, WriteError> {
        let mut out = Vec::new();
        for name in write::list(&self.root, kind)? {
            match write::read(&self.root, kind, &name) {
                Ok(bytes) => out.push((ObjectKey::from_api(kind, &name), bytes)),
                // Removed between the listing and the read.
                Err(WriteError::NotFound { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(out)
    }
}

/// The current snapshot and the backend it comes from.
pub struct Store {
    backend: Box<dyn Backend>,
    current: ArcSwap<Snapshot>,
    /// Serializes changes, so that each builds on the one before.
    apply_lock: std::sync::Mutex<()>,
    /// Signalled whenever a snapshot is swapped in (writers wait on it for
    /// their revision).
    swapped: std::sync::Condvar,
    on_reload: Option<ReloadHook>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend)
            .finish_non_exhaustive()
    }
}

/// How long a write waits for the backend's change stream to bring it back
/// into the snapshot before the write is reported as not yet visible.
pub const WRITE_VISIBLE_TIMEOUT: Duration = Duration::from_secs(10);

impl Store {
    /// Loads a data directory once; `on_reload` is also called for this first load.
    pub fn open(root: &Path, on_reload: Option<ReloadHook>) -> Store {
        Store::with_snapshot(Box::new(DirBackend::new(root)), load(root), on_reload)
    }

    /// A store over any backend, starting from `first` (announced to `on_reload`).
    pub fn with_snapshot(backend: Box<dyn Backend>, first: Snapshot, on_reload: Option<ReloadHook>) -> Store {
        if let Some(hook) = &on_reload {
            hook(&first, &first.issues());
        }
        Store {
            backend,
            current: ArcSwap::from_pointee(first),
            apply_lock: std::sync::Mutex::new(()),
            swapped: std::sync::Condvar::new(),
            on_reload,
        }
    }

    pub fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// The snapshot to answer one request from.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Applies changes reported by the backend (and, for etcd, the revision
    /// they bring the snapshot to). A change that changes nothing (the same
    /// bytes again) makes no new snapshot unless the revision moves.
    pub fn apply(&self, changes: Vec<Change>, revision: Option<u64>) -> Arc<Snapshot> {
        let guard = self.apply_lock.lock().unwrap_or_else(|e| e.into_inner());
        let started = Instant::now();
        let current = self.current.load_full();
        let mut next = (*current).clone();
        let mut raised = Vec::new();
        let changed = next.apply_all(changes, &mut raised) > 0;
        let moved = revision.is_some_and(|r| r != current.revision);
        if !changed && !moved {
            return current;
        }
        if let Some(r) = revision {
            next.revision = r;
        }
        if changed {
            next.loaded_at = Some(SystemTime::now());
            next.load_duration = started.elapsed();
        }
        self.swap_locked(next, &raised, guard)
    }

    /// Replaces the whole snapshot (a full load), keeping generations increasing.
    pub fn replace(&self, next: Snapshot) -> Arc<Snapshot> {
        let guard = self.apply_lock.lock().unwrap_or_else(|e| e.into_inner());
        let raised = next.issues();
        self.swap_locked(next, &raised, guard)
    }

    fn swap_locked(&self, mut next: Snapshot, raised: &[Issue], guard: std::sync::MutexGuard<'_, ()>) -> Arc<Snapshot> {
        next.generation = self.current.load().generation + 1;
        if let Some(hook) = &self.on_reload {
            hook(&next, raised);
        }
        let next = Arc::new(next);
        self.current.store(next.clone());
        drop(guard);
        self.swapped.notify_all();
        next
    }

    /// Loads a data directory store again from disk (the watcher's answer
    /// to changes it cannot attribute to single files).
    pub fn reload_dir(&self, root: &Path) -> Arc<Snapshot> {
        self.replace(load(root))
    }

    /// Waits until the snapshot includes `revision`; false on timeout.
    pub fn wait_for_revision(&self, revision: u64, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let mut guard = self.apply_lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if self.current.load().revision >= revision {
                return true;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return false;
            }
            guard = self
                .swapped
                .wait_timeout(guard, left)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }

    /// Stores an object through the backend and returns once the snapshot
    /// serves it. `name` is the API's name (a group id without `.json`).
    pub fn put(&self, kind: Kind, name: &str, bytes: &[u8]) -> Result<Arc<Snapshot>, WriteError> {
        let key = checked_key(kind, name)?;
        let written = self.backend.put(&key, bytes)?;
        self.settle(written, Change::Put(key, Ok(bytes::Bytes::copy_from_slice(bytes))))
    }

    /// Removes an object through the backend and returns once the snapshot
    /// no longer serves it.
    pub fn delete(&self, kind: Kind, name: &str) -> Result<Arc<Snapshot>, WriteError> {
        let key = checked_key(kind, name)?;
        let written = self.backend.delete(&key)?;
        self.settle(written, Change::Delete(key))
    }

    fn settle(&self, written: Written, change: Change) -> Result<Arc<Snapshot>, WriteError> {
        match written {
            Written::Apply => Ok(self.apply(vec![change], None)),
            Written::AtRevision(r) => {
                if self.wait_for_revision(r, WRITE_VISIBLE_TIMEOUT) {
                    Ok(self.snapshot())
                } else {
                    Err(WriteError::NotVisible {
                        revision: r,
                        waited: WRITE_VISIBLE_TIMEOUT,
                    })
                }
            }
        }
    }

    /// The stored bytes of an object (from the backend, as matchbox reads the disk).
    pub fn get(&self, kind: Kind, name: &str) -> Result<Vec<u8>, WriteError> {
        self.backend.get(&checked_key(kind, name)?)
    }

    /// The API names of a kind's objects, sorted.
    pub fn list(&self, kind: Kind) -> Result<Vec<String>, WriteError> {
        Ok(self
            .backend
            .get_all(kind)?
            .into_iter()
            .map(|(k, _)| k.api_name().to_owned())
            .collect())
    }

    /// Every object of a kind with its bytes, by API name, sorted.
    pub fn get_all(&self, kind: Kind) -> Result<Vec<(String, Vec<u8>)>, WriteError> {
        Ok(self
            .backend
            .get_all(kind)?
            .into_iter()
            .map(|(k, b)| (k.api_name().to_owned(), b))
            .collect())
    }
}

/// The key of an API name, after the name checks every write gets.
fn checked_key(kind: Kind, name: &str) -> Result<ObjectKey, WriteError> {
    write::check_name(name)?;
    let key = ObjectKey::from_api(kind, name);
    if matches!(kind, Kind::Group | Kind::Profile) {
        write::check_name(&format!("{name}.json"))?;
    }
    Ok(key)
}
