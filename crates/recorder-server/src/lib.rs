//! The flight recorder's service. The DHCP, TFTP and HTTP servers push
//! events into its [`EventSink`] and go on; a thread of its own drains the
//! sink every 50 ms, completes HTTP events with what selection decided
//! (off the request path), ties them to machines ([`recorder::Machines`]),
//! publishes a line per event for live views, counts them by stage, and
//! every two seconds writes the machines that changed to an embedded
//! database, so that their history survives a restart.
//!
//! Storage keeps each machine's events (bounded like the model); loading
//! applies them again, so the model's rules are the only place boots and
//! stages are decided.

pub mod json;
mod store;
pub mod views;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use recorder::{EventKind, EventSink, Http, Limits, Machines, Stage};
use tokio::sync::broadcast;

pub use store::{RecorderDb, RecorderDbError};

/// How often the sink is drained.
pub const DRAIN_EVERY: Duration = Duration::from_millis(50);
/// How often changed machines are written to disk.
pub const WRITE_EVERY: Duration = Duration::from_secs(2);

/// Milliseconds since the Unix epoch: the time servers stamp events with.
pub fn now_millis() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Completes an HTTP event with what selection decides for its labels.
pub type Enrich = Box<dyn Fn(&mut Http) + Send + Sync>;

pub struct Options {
    /// Where history is kept; `None`: in memory only.
    pub file: Option<PathBuf>,
    pub limits: Limits,
    /// This replica's name (stamped on its events), empty for one server.
    pub replica: String,
}

/// Counters by stage, registered once (a registry lookup per event would
/// cost more than recording it).
struct StageCounters {
    by_stage: Vec<metrics::Counter>,
    failure: metrics::Counter,
    other: metrics::Counter,
}

impl StageCounters {
    fn new() -> StageCounters {
        StageCounters {
            by_stage: recorder::Stage::ALL
                .iter()
                .map(|s| metrics::counter!("kindling_recorder_events_total", "stage" => s.name()))
                .collect(),
            failure: metrics::counter!("kindling_recorder_events_total", "stage" => "failure"),
            other: metrics::counter!("kindling_recorder_events_total", "stage" => "other"),
        }
    }
}

pub struct Recorder {
    sink: Arc<EventSink>,
    counters: std::sync::OnceLock<StageCounters>,
    last_full_write: Mutex<Instant>,
    machines: Mutex<Machines>,
    db: Option<RecorderDb>,
    live: broadcast::Sender<Arc<str>>,
    enrich: Enrich,
    replica: String,
    file: Option<PathBuf>,
    /// The drained buffer, kept for the next swap (see `EventSink::drain_into`).
    spare: Mutex<Vec<recorder::Event>>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("file", &self.file)
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Opens the history file (a problem with it is logged and the recorder
    /// keeps history in memory only) and applies what it holds.
    pub fn open(opts: Options, enrich: Enrich) -> Recorder {
        let mut machines = Machines::new(opts.limits);
        let db = match &opts.file {
            Some(path) => match RecorderDb::open(path) {
                Ok(db) => Some(db),
                Err(e) => {
                    tracing::warn!(error = %e, "the flight recorder keeps its history in memory only (give --recorder-file a path this process can write)");
                    None
                }
            },
            None => None,
        };
        if let Some(db) = &db {
            let started = Instant::now();
            match db.load() {
                Ok(mut events) => {
                    events.sort_by_key(|(e, _, _)| e.at);
                    let n = events.len();
                    for (e, repeats, last) in events {
                        machines.apply_repeated(e, repeats, last);
                    }
                    let _ = machines.take_changes();
                    tracing::info!(machines = machines.len(), events = n, millis = started.elapsed().as_millis() as u64, path = %db.path().display(), "flight recorder history loaded");
                }
                Err(e) => tracing::warn!(error = %e, "cannot read the flight recorder's history; starting empty"),
            }
        }
        Recorder {
            sink: Arc::new(EventSink::new(recorder::DEFAULT_CAPACITY)),
            counters: std::sync::OnceLock::new(),
            last_full_write: Mutex::new(Instant::now()),
            machines: Mutex::new(machines),
            db,
            live: broadcast::Sender::new(1024),
            enrich,
            replica: opts.replica,
            file: opts.file,
            spare: Mutex::new(Vec::new()),
        }
    }

    /// Keeps a drained (empty) buffer for the next swap.
    fn give_back(&self, mut events: Vec<recorder::Event>) {
        events.clear();
        *self.spare.lock().unwrap_or_else(|e| e.into_inner()) = events;
    }

    /// Where the servers push events.
    pub fn sink(&self) -> Arc<EventSink> {
        self.sink.clone()
    }

    pub fn replica(&self) -> &str {
        &self.replica
    }

    /// Whether history survives a restart.
    pub fn durable(&self) -> bool {
        self.db.is_some()
    }

    /// The machines, for views (hold it briefly: the recorder waits on it).
    pub fn machines(&self) -> MutexGuard<'_, Machines> {
        self.machines.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A line of JSON per event recorded from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<str>> {
        self.live.subscribe()
    }

    /// Applies everything pushed so far (the thread does this every
    /// [`DRAIN_EVERY`]; tests and shutdown call it directly).
    pub fn drain(&self) -> usize {
        let mut events = std::mem::take(&mut *self.spare.lock().unwrap_or_else(|e| e.into_inner()));
        self.sink.drain_into(&mut events);
        let n = events.len();
        if n == 0 {
            return 0;
        }
        let counters = self.counters.get_or_init(StageCounters::new);
        // The live lines are made only while someone watches.
        let watched = self.live.receiver_count() > 0;
        let mut lines = Vec::new();
        {
            let mut machines = self.machines();
            for mut event in events.drain(..) {
                if event.replica.is_empty() {
                    event.replica.clone_from(&self.replica);
                }
                // A repeat is just counted (told by the query's hash, which
                // is cheaper than splitting it); the rest is split, and gets
                // selection, only when new.
                if let EventKind::Http(h) = &mut event.kind {
                    h.hash_query();
                }
                let repeat = machines.count_repeat(&event, 0, 0);
                if repeat.is_none()
                    && let EventKind::Http(h) = &mut event.kind
                {
                    h.split_query();
                    (self.enrich)(h);
                }
                let line = watched.then(|| (event.at, event.describe()));
                let kind = match &event.kind {
                    EventKind::Dhcp(_) => "dhcp",
                    EventKind::Tftp(_) => "tftp",
                    EventKind::Http(_) => "http",
                };
                let key = match repeat {
                    Some(k) => Some(k),
                    None => machines.apply(event),
                };
                let m = key.as_deref().and_then(|k| machines.get_mac(k));
                let entry = m.and_then(|m| m.current()).and_then(|b| b.entries.last());
                let stage = entry.and_then(|e| e.stage);
                let failure = entry.and_then(|e| e.failure.as_deref());
                match (stage, failure) {
                    (_, Some(_)) => counters.failure.increment(1),
                    (Some(s), None) => {
                        counters.by_stage[Stage::ALL.iter().position(|x| *x == s).unwrap_or(0)].increment(1)
                    }
                    (None, None) => counters.other.increment(1),
                }
                if let Some((at, summary)) = line {
                    lines.push(
                        serde_json::json!({
                            "at": at, "type": kind, "mac": m.map(|m| m.mac_text()),
                            "stage": stage.map(|s| s.name()), "failure": failure, "summary": summary,
                        })
                        .to_string(),
                    );
                }
            }
            let c = machines.counts();
            metrics::gauge!("kindling_recorder_machines", "class" => "known").set(c.known as f64);
            metrics::gauge!("kindling_recorder_machines", "class" => "unknown").set(c.unknown as f64);
            metrics::gauge!("kindling_recorder_evicted", "class" => "known").set(c.evicted_known as f64);
            metrics::gauge!("kindling_recorder_evicted", "class" => "unknown").set(c.evicted_unknown as f64);
        }
        metrics::gauge!("kindling_recorder_dropped").set(self.sink.dropped() as f64);
        self.give_back(events);
        for line in lines {
            let _ = self.live.send(Arc::from(line));
        }
        n
    }

    /// Writes the machines that changed since the last write.
    pub fn write(&self) {
        self.write_changes(false);
    }

    fn write_changes(&self, final_write: bool) {
        let Some(db) = &self.db else {
            let _ = self.machines().take_changes_with(true);
            return;
        };
        let (records, removed) = {
            let mut machines = self.machines();
            // Counted repeats are written every half minute, and at the end.
            let repeats = {
                let mut last = self.last_full_write.lock().unwrap_or_else(|e| e.into_inner());
                let due = final_write || last.elapsed() >= Duration::from_secs(30);
                if due {
                    *last = Instant::now();
                }
                due
            };
            let (dirty, removed) = machines.take_changes_with(repeats);
            let records: Vec<(Vec<u8>, Vec<recorder::Entry>)> = dirty
                .into_iter()
                .map(|k| (k.clone(), machines.entries_of(&k)))
                .collect();
            (records, removed)
        };
        if records.is_empty() && removed.is_empty() {
            return;
        }
        if let Err(e) = db.write(&records, &removed) {
            tracing::warn!(error = %e, "cannot write the flight recorder's history");
        }
    }

    /// Runs the recorder's thread until `stop` is set; then drains and
    /// writes one last time.
    pub fn spawn(self: Arc<Self>, stop: Arc<AtomicBool>) -> std::io::Result<std::thread::JoinHandle<()>> {
        std::thread::Builder::new().name("recorder".into()).spawn(move || {
            let mut last_write = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(DRAIN_EVERY);
                self.drain();
                if last_write.elapsed() >= WRITE_EVERY {
                    self.write();
                    last_write = Instant::now();
                }
            }
            self.drain();
            self.write_changes(true);
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use recorder::{Dhcp, Event, Firmware, Selection};

    fn dhcp(at: u64, mac: u8) -> Event {
        Event {
            at,
            replica: String::new(),
            kind: EventKind::Dhcp(Dhcp {
                hw: vec![0x52, 0x54, 0, 0, 0, mac],
                xid: 1,
                request: "DISCOVER".into(),
                reply: Some("OFFER".into()),
                ip: None,
                firmware: Firmware {
                    kind: "bios".into(),
                    ..Default::default()
                },
                hostname: None,
                boot_file: None,
                ignored: None,
                detail: None,
            }),
        }
    }

    fn http(at: u64, mac: u8) -> Event {
        Event {
            at,
            replica: String::new(),
            kind: EventKind::Http(Http {
                client: None,
                route: "/ipxe".into(),
                path: "/ipxe".into(),
                labels: vec![("mac".into(), format!("52:54:00:00:00:{mac:02x}"))],
                status: 200,
                reason: None,
                detail: None,
                selection: None,
                raw_query: None,
                query_hash: 0,
            }),
        }
    }

    /// History written to the file comes back after a restart; HTTP events
    /// are completed with selection on the way in; evicted machines leave
    /// the file too.
    #[test]
    fn history_survives_a_restart_and_stays_bounded_on_disk() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("recorder.redb");
        let opts = || Options {
            file: Some(file.clone()),
            limits: Limits {
                machines: 3,
                unknown: 2,
                ..Limits::default()
            },
            replica: "a".into(),
        };
        let enrich: Enrich = Box::new(|h: &mut Http| {
            h.selection = Some(Selection {
                group: "g.json".into(),
                profile: "p".into(),
                ..Default::default()
            });
        });
        {
            let r = Recorder::open(opts(), enrich);
            let mut live = r.subscribe();
            r.sink().push(dhcp(1, 1));
            r.sink().push(http(2, 1));
            for mac in 2..=6 {
                r.sink().push(dhcp(10 + u64::from(mac), mac));
            }
            assert_eq!(r.drain(), 7);
            r.write();
            let line = live.try_recv().unwrap();
            assert!(line.contains("\"stage\":\"dhcp\""), "{line}");
            let m = r.machines();
            assert_eq!(m.len(), 3, "one known, two unknown");
            assert!(m.find("52:54:00:00:00:01").unwrap().known);
        }
        let r = Recorder::open(opts(), Box::new(|_| {}));
        let m = r.machines();
        assert_eq!(m.len(), 3);
        let known = m.find("52:54:00:00:00:01").unwrap();
        assert_eq!(known.selection.as_ref().unwrap().profile, "p");
        assert_eq!(known.current().unwrap().entries[0].event.replica, "a");
        assert!(m.find("52:54:00:00:00:06").is_some());
        assert!(m.find("52:54:00:00:00:02").is_none(), "evicted, and gone from the file");
    }
}
