//! Keeping a data directory's snapshot current: watch it with inotify and
//! apply each changed file to the snapshot on its own, so an edit on disk
//! is served within tens of milliseconds without a restart, whatever the
//! number of objects (matchbox reads the disk on every request; kindling
//! keeps that observable property, D14).
//!
//! Events are gathered briefly: changes are applied once the directory has
//! been quiet for [`QUIET`], or [`MAX_DELAY`] after the first event at the
//! latest, and each changed path is read once. A change the watcher cannot
//! attribute to single files (a directory created, removed or renamed, a
//! Kubernetes ConfigMap swap, lost events) loads the whole directory again.
//! When inotify cannot be used, the directory is polled instead.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::Store;
use crate::load::{Reread, read_object};

/// How long the directory must be quiet before changes are applied.
pub const QUIET: Duration = Duration::from_millis(15);
/// Longest delay between a change and its application.
pub const MAX_DELAY: Duration = Duration::from_millis(150);
/// Poll interval when inotify is unavailable.
pub const POLL_INTERVAL: Duration = Duration::from_secs(1);

/// Stops the watcher thread when dropped.
#[derive(Debug)]
pub struct WatchGuard {
    stop: Option<mpsc::Sender<WatchMsg>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for WatchGuard {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(WatchMsg::Stop);
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

enum WatchMsg {
    Changed(Vec<PathBuf>),
    /// Events were lost or cannot be attributed: load everything.
    Rescan,
    Stop,
}

/// Starts watching the data directory `root` of `store` on a background thread.
pub fn watch(store: Arc<Store>, root: &Path) -> std::io::Result<WatchGuard> {
    let (tx, rx) = mpsc::channel::<WatchMsg>();
    let root = root.to_path_buf();
    let event_tx = tx.clone();
    let handler = move |res: notify::Result<notify::Event>| match res {
        Ok(event) if event.need_rescan() => {
            let _ = event_tx.send(WatchMsg::Rescan);
        }
        Ok(event) if !matches!(event.kind, notify::EventKind::Access(_)) => {
            let _ = event_tx.send(if event.paths.is_empty() {
                WatchMsg::Rescan
            } else {
                WatchMsg::Changed(event.paths)
            });
        }
        Ok(_) => {}
        Err(e) => {
            tracing::warn!(error = %e, "file watch error; loading the data directory again to be safe");
            let _ = event_tx.send(WatchMsg::Rescan);
        }
    };
    let mut watcher: Box<dyn Watcher + Send> = match notify::recommended_watcher(handler.clone()) {
        Ok(w) => Box::new(w),
        Err(e) => {
            tracing::warn!(error = %e, "inotify is unavailable; polling the data directory every second instead");
            Box::new(
                notify::PollWatcher::new(handler, notify::Config::default().with_poll_interval(POLL_INTERVAL))
                    .map_err(std::io::Error::other)?,
            )
        }
    };
    let mut watched = set_watches(watcher.as_mut(), &root, &[]);
    let thread = std::thread::Builder::new().name("store-watch".into()).spawn(move || {
        loop {
            let mut paths = BTreeSet::new();
            let mut rescan = false;
            match rx.recv() {
                Ok(WatchMsg::Changed(p)) => paths.extend(p),
                Ok(WatchMsg::Rescan) => rescan = true,
                Ok(WatchMsg::Stop) | Err(_) => return,
            }
            let first = Instant::now();
            loop {
                let left = MAX_DELAY.saturating_sub(first.elapsed());
                if left.is_zero() {
                    break;
                }
                match rx.recv_timeout(QUIET.min(left)) {
                    Ok(WatchMsg::Changed(p)) => paths.extend(p),
                    Ok(WatchMsg::Rescan) => rescan = true,
                    Ok(WatchMsg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => break,
                }
            }
            let mut changes = Vec::new();
            for path in &paths {
                if rescan {
                    break;
                }
                match read_object(&root, path) {
                    Reread::Change(c) => changes.push(c),
                    Reread::Nothing => {}
                    Reread::Everything => rescan = true,
                }
            }
            if rescan {
                store.reload_dir(&root);
                // Kind directories may have appeared or gone: watch what exists now.
                watched = set_watches(watcher.as_mut(), &root, &watched);
            } else if !changes.is_empty() {
                store.apply(changes, None);
            }
        }
    })?;
    Ok(WatchGuard {
        stop: Some(tx),
        thread: Some(thread),
    })
}

/// Watches the data directory itself (to see kind directories appear) and
/// each kind directory recursively. Returns what is watched.
fn set_watches(watcher: &mut dyn Watcher, root: &Path, old: &[PathBuf]) -> Vec<PathBuf> {
    for p in old {
        let _ = watcher.unwatch(p);
    }
    let mut watched = Vec::new();
    match watcher.watch(root, RecursiveMode::NonRecursive) {
        Ok(()) => watched.push(root.to_path_buf()),
        Err(e) => {
            tracing::warn!(path = %root.display(), error = %e, "cannot watch the data directory; edits need a restart")
        }
    }
    for kind in crate::Kind::ALL {
        let dir = root.join(kind.dir());
        if !dir.is_dir() {
            continue;
        }
        match watcher.watch(&dir, RecursiveMode::Recursive) {
            Ok(()) => watched.push(dir),
            Err(e) => {
                tracing::warn!(path = %dir.display(), error = %e, "cannot watch directory; edits in it need a restart")
            }
        }
    }
    watched
}
