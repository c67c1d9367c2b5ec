//! The data directory in matchbox's layout, loaded into an immutable
//! [`Snapshot`] that requests share, and swapped for a new one when files
//! change (inotify) or when the API writes.
//!
//! Reading the disk happens only when a snapshot is built, never per request.
//! Nothing here knows about HTTP.

mod compile;
mod load;
mod snapshot;
mod watch;
pub mod write;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arc_swap::ArcSwap;

pub use compile::compile_raw_ignition;
pub use load::{MAX_FILE_SIZE, is_raw_ignition, load};
pub use snapshot::{
    Entry, IgnitionFile, Issue, Kind, LoadedProfile, LookupError, RawIgnition, Selected, Severity, Snapshot,
    TemplateFile,
};
pub use watch::{MAX_DELAY, QUIET, WatchGuard, watch};

/// Called after every reload with the new snapshot (for logs and metrics).
pub type ReloadHook = Box<dyn Fn(&Snapshot) + Send + Sync>;

/// The current snapshot of one data directory.
pub struct Store {
    root: PathBuf,
    current: ArcSwap<Snapshot>,
    generation: AtomicU64,
    reload_lock: std::sync::Mutex<()>,
    on_reload: Option<ReloadHook>,
    /// Writes finished on disk (see [`Store::reload_after_write`]).
    writes: AtomicU64,
    /// Writes that a completed reload has seen.
    writes_loaded: AtomicU64,
    /// Files this process just wrote or removed through [`Store::write`] and
    /// [`Store::delete`], with when: the watcher skips their events, since
    /// `reload_after_write` already loads them (a second full rebuild per
    /// write halved single-writer throughput).
    own_writes: std::sync::Mutex<std::collections::HashMap<PathBuf, std::time::Instant>>,
}

/// How long a write of our own hides its file's change events from the
/// watcher. One atomic rename yields several events naming the file (moved
/// to, and moved from+to), delivered within milliseconds; an operator's own
/// edit of that same file inside this window is picked up by the next change.
const OWN_WRITE_WINDOW: std::time::Duration = std::time::Duration::from_millis(500);

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("root", &self.root)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Loads the directory once; `on_reload` is also called for this first load.
    pub fn open(root: &Path, on_reload: Option<ReloadHook>) -> Store {
        let snapshot = load(root, 1);
        if let Some(hook) = &on_reload {
            hook(&snapshot);
        }
        Store {
            root: root.to_path_buf(),
            current: ArcSwap::from_pointee(snapshot),
            generation: AtomicU64::new(1),
            reload_lock: std::sync::Mutex::new(()),
            on_reload,
            writes: AtomicU64::new(0),
            writes_loaded: AtomicU64::new(0),
            own_writes: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The snapshot to answer one request from.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Rebuilds the snapshot from disk and swaps it in. Concurrent callers
    /// are serialized so generations only increase.
    pub fn reload(&self) -> Arc<Snapshot> {
        let _guard = self.reload_lock.lock().unwrap_or_else(|e| e.into_inner());
        self.reload_locked()
    }

    /// Writes `kind`'s object `name` atomically ([`write::write`]); call
    /// [`Store::reload_after_write`] next.
    pub fn write(&self, kind: Kind, name: &str, bytes: &[u8]) -> Result<(), write::WriteError> {
        let path = write::object_path(&self.root, kind, name)?;
        self.note_own_write(path);
        write::write(&self.root, kind, name, bytes)
    }

    /// Removes `kind`'s object `name` ([`write::delete`]); call
    /// [`Store::reload_after_write`] next.
    pub fn delete(&self, kind: Kind, name: &str) -> Result<(), write::WriteError> {
        let path = write::object_path(&self.root, kind, name)?;
        self.note_own_write(path);
        write::delete(&self.root, kind, name)
    }

    /// Recorded before the file changes, so that its event can never come first.
    fn note_own_write(&self, path: PathBuf) {
        let mut own = self.own_writes.lock().unwrap_or_else(|e| e.into_inner());
        let now = std::time::Instant::now();
        own.retain(|_, at| now.duration_since(*at) < OWN_WRITE_WINDOW);
        own.insert(path, now);
    }

    /// Whether a change event on `path` is one of this process's own writes
    /// (a file written within the window, or a temporary file of ours).
    pub(crate) fn is_own_write(&self, path: &Path) -> bool {
        if write::is_own_temporary(path) {
            return true;
        }
        let own = self.own_writes.lock().unwrap_or_else(|e| e.into_inner());
        own.get(path).is_some_and(|at| at.elapsed() < OWN_WRITE_WINDOW)
    }

    /// Called after a write is on disk; returns once a snapshot that
    /// includes it is current. Writers that arrive while a reload runs are
    /// covered together by the next one (group commit), so many concurrent
    /// writes cost a few reloads, not one each.
    pub fn reload_after_write(&self) -> Arc<Snapshot> {
        let mine = self.writes.fetch_add(1, Ordering::SeqCst) + 1;
        let _guard = self.reload_lock.lock().unwrap_or_else(|e| e.into_inner());
        if self.writes_loaded.load(Ordering::SeqCst) >= mine {
            return self.snapshot();
        }
        // Every write counted so far finished on disk before it was counted.
        let upto = self.writes.load(Ordering::SeqCst);
        let snapshot = self.reload_locked();
        self.writes_loaded.store(upto, Ordering::SeqCst);
        snapshot
    }

    fn reload_locked(&self) -> Arc<Snapshot> {
        let generation = self.generation.fetch_add(1, Ordering::SeqCst) + 1;
        let snapshot = Arc::new(load(&self.root, generation));
        if let Some(hook) = &self.on_reload {
            hook(&snapshot);
        }
        self.current.store(snapshot.clone());
        snapshot
    }
}
