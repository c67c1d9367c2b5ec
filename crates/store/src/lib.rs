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
}

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
