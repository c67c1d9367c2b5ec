//! Wiring the flight recorder into `kindling serve`: its limits from the
//! flags, selection for HTTP events from the store, its thread, and its
//! last write at shutdown.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use anyhow::Context;
use recorder::{Http, Limits, Selection};
use recorder_server::{Options, Recorder};

use crate::cli::ServeArgs;

pub struct RecorderHandle {
    pub recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
    thread: JoinHandle<()>,
}

impl RecorderHandle {
    /// Stops the thread after a last drain and write.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        let _ = self.thread.join();
    }
}

/// What selection decides for an HTTP event's labels, with the selected
/// profile's kernel and initrds (to tell them apart among later asset
/// requests). Runs on the recorder's thread, not the request's.
fn select(store: &store::Store, h: &mut Http) {
    if !matches!(
        h.route.as_str(),
        "/ipxe" | "/grub" | "/ignition" | "/cloud" | "/generic" | "/metadata"
    ) {
        return;
    }
    let labels = recorder::explain::labels_of(&h.labels);
    let snap = store.snapshot();
    let Some(selected) = snap.select(&labels) else { return };
    let (kernel, initrd) = match &selected.profile {
        Ok(p) => match &p.profile.boot {
            Some(b) => (Some(b.kernel.clone()), b.initrd.clone()),
            None => (None, Vec::new()),
        },
        Err(_) => (None, Vec::new()),
    };
    h.selection = Some(Selection {
        group: selected.group.file_name.clone(),
        profile: selected.group.group.profile.clone(),
        kernel,
        initrd,
    });
}

pub fn start(args: &ServeArgs, store: Arc<store::Store>, replica: Option<String>) -> anyhow::Result<RecorderHandle> {
    let machines = args.recorder_machines.max(10);
    let limits = Limits {
        machines,
        unknown: (machines * 2 / 5).max(1),
        stuck_after: args.stuck_after.saturating_mul(1000),
        ..Limits::default()
    };
    let recorder = Arc::new(Recorder::open(
        Options {
            file: Some(args.recorder_file.clone()),
            limits,
            replica: replica.unwrap_or_default(),
        },
        Box::new(move |h| select(&store, h)),
    ));
    let stop = Arc::new(AtomicBool::new(false));
    let thread = recorder
        .clone()
        .spawn(stop.clone())
        .context("starting the flight recorder's thread")?;
    Ok(RecorderHandle { recorder, stop, thread })
}
