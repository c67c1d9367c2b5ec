//! Keeping the snapshot current: watch the data directory with inotify and
//! rebuild the snapshot shortly after files change, so an edit on disk is
//! served within a second without a restart (matchbox reads the disk on every
//! request; kindling keeps that observable property, D14).
//!
//! Events are debounced: a reload starts once the directory has been quiet
//! for [`QUIET`], or [`MAX_DELAY`] after the first event at the latest, so a
//! burst of writes costs one reload. When inotify cannot be used, the
//! directory is polled instead.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::Store;

/// How long the directory must be quiet before a reload.
pub const QUIET: Duration = Duration::from_millis(100);
/// Longest delay between a change and the reload it triggers.
pub const MAX_DELAY: Duration = Duration::from_millis(500);
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
    Changed,
    Stop,
}

/// Starts watching the store's data directory on a background thread.
pub fn watch(store: Arc<Store>) -> std::io::Result<WatchGuard> {
    let (tx, rx) = mpsc::channel::<WatchMsg>();
    let root = store.root().to_path_buf();
    let event_tx = tx.clone();
    let own = store.clone();
    let handler = move |res: notify::Result<notify::Event>| match res {
        Ok(event) if is_interesting(&event) => {
            // Changes this process made through Store::write are loaded by
            // the writer itself; a second rebuild would only cost time.
            let all_own = !event.paths.is_empty() && event.paths.iter().all(|p| own.is_own_write(p));
            if !all_own {
                let _ = event_tx.send(WatchMsg::Changed);
            }
        }
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "file watch error; reloading to be safe"),
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
            match rx.recv() {
                Ok(WatchMsg::Changed) => {}
                Ok(WatchMsg::Stop) | Err(_) => return,
            }
            let first = Instant::now();
            loop {
                let left = MAX_DELAY.saturating_sub(first.elapsed());
                if left.is_zero() {
                    break;
                }
                match rx.recv_timeout(QUIET.min(left)) {
                    Ok(WatchMsg::Changed) => continue,
                    Ok(WatchMsg::Stop) | Err(RecvTimeoutError::Disconnected) => return,
                    Err(RecvTimeoutError::Timeout) => break,
                }
            }
            store.reload();
            // Kind directories may have appeared or gone: watch what exists now.
            watched = set_watches(watcher.as_mut(), &root, &watched);
        }
    })?;
    Ok(WatchGuard {
        stop: Some(tx),
        thread: Some(thread),
    })
}

fn is_interesting(event: &notify::Event) -> bool {
    use notify::EventKind;
    !matches!(event.kind, EventKind::Access(_))
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
