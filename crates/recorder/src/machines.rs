//! Machines and their boots, built from events.
//!
//! A machine is keyed by its hardware address. Its UUID and IP addresses
//! are linked to it as they appear (DHCP option 97 and ACKs, the iPXE
//! query), so that an `/ignition?uuid=…` request, a TFTP transfer or an
//! asset download from an address lands on the machine whose DHCP exchange
//! came before. An event from an address not linked yet waits (bounded) and
//! is attached when the link appears.
//!
//! Each machine keeps its last boots; a boot keeps its events, the first
//! time each stage was reached, and its last failure. A new boot starts
//! when firmware asks DHCP again after the boot got past the boot program
//! (or iPXE after it got past the script), or after a long silence.
//!
//! Everything is bounded: machines (with room kept for machines a group
//! selected: a flood of random MACs evicts the oldest unknown machines
//! first and never the known ones), boots per machine, events per boot,
//! and events waiting for their address.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::net::IpAddr;

use crate::event::{Event, EventKind, Firmware, Millis, Selection};

/// How far a boot got, in order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Stage {
    /// An address and boot information from DHCP.
    Dhcp,
    /// The first program (iPXE, GRUB) over TFTP or HTTP.
    BootProgram,
    /// The boot script (`/boot.ipxe`, `/ipxe`, `/grub`).
    Script,
    Kernel,
    Initrd,
    /// The OS configuration (`/ignition`, `/cloud`, `/generic`, `/metadata`).
    Config,
}

impl Stage {
    pub const ALL: [Stage; 6] = [
        Stage::Dhcp,
        Stage::BootProgram,
        Stage::Script,
        Stage::Kernel,
        Stage::Initrd,
        Stage::Config,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Stage::Dhcp => "dhcp",
            Stage::BootProgram => "boot-program",
            Stage::Script => "script",
            Stage::Kernel => "kernel",
            Stage::Initrd => "initrd",
            Stage::Config => "config",
        }
    }
}

/// Where a boot stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Moving, or not quiet long enough to call it stuck.
    Booting,
    /// Its configuration was fetched.
    Configured,
    /// Nothing happened for longer than the threshold after this stage.
    Stuck { stage: Option<Stage>, quiet: Millis },
    /// The last step failed, with the reason code and what it said.
    Failed { reason: String, detail: String },
}

impl Outcome {
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Booting => "booting",
            Outcome::Configured => "configured",
            Outcome::Stuck { .. } => "stuck",
            Outcome::Failed { .. } => "failed",
        }
    }
}

/// One event in a boot, with the stage it reached and the failure it
/// reported, if any.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub event: Event,
    pub stage: Option<Stage>,
    pub failure: Option<String>,
    /// The same exchange again right after (a client retrying, a loop):
    /// counted here instead of stored again, with the time of the last one.
    pub repeats: u32,
    pub last_at: Millis,
}

impl Entry {
    /// Whether `event` is this entry's exchange again, with the same result.
    fn same_as(&self, event: &Event, stage: Option<Stage>, failure: &Option<String>) -> bool {
        if self.stage != stage || self.failure != *failure {
            return false;
        }
        match (&self.event.kind, &event.kind) {
            (EventKind::Dhcp(a), EventKind::Dhcp(b)) => {
                a.request == b.request && a.reply == b.reply && a.ip == b.ip && a.ignored == b.ignored
            }
            (EventKind::Tftp(a), EventKind::Tftp(b)) => a.file == b.file && a.failure == b.failure,
            (EventKind::Http(a), EventKind::Http(b)) => {
                a.route == b.route && a.path == b.path && a.status == b.status && a.same_query(b)
            }
            _ => false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub at: Millis,
    pub reason: String,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Boot {
    pub started: Millis,
    pub last: Millis,
    pub entries: Vec<Entry>,
    /// Events left out to keep the boot within its bound.
    pub truncated: u64,
    /// The first time each stage was reached, in stage order.
    pub reached: Vec<(Stage, Millis)>,
    /// The last failure not followed by progress.
    pub failure: Option<Failure>,
    /// The boot files of the profile that answered the script, to tell the
    /// kernel from the initrd among the asset requests that follow.
    kernel: Option<String>,
    initrd: Vec<String>,
}

impl Boot {
    fn new(at: Millis) -> Boot {
        Boot {
            started: at,
            last: at,
            entries: Vec::new(),
            truncated: 0,
            reached: Vec::new(),
            failure: None,
            kernel: None,
            initrd: Vec::new(),
        }
    }

    /// The furthest stage reached.
    pub fn stage(&self) -> Option<Stage> {
        self.reached.iter().map(|(s, _)| *s).max()
    }

    pub fn outcome(&self, now: Millis, stuck_after: Millis) -> Outcome {
        if let Some(f) = &self.failure {
            return Outcome::Failed {
                reason: f.reason.clone(),
                detail: f.detail.clone(),
            };
        }
        if self.stage() == Some(Stage::Config) {
            return Outcome::Configured;
        }
        let quiet = now.saturating_sub(self.last);
        if quiet > stuck_after {
            return Outcome::Stuck {
                stage: self.stage(),
                quiet,
            };
        }
        Outcome::Booting
    }

    /// Time spent in each stage reached: until the next stage was reached,
    /// or until the boot's last event for the furthest one.
    pub fn durations(&self) -> Vec<(Stage, Millis)> {
        let mut out = Vec::new();
        for (i, (stage, at)) in self.reached.iter().enumerate() {
            let end = self.reached.get(i + 1).map(|(_, t)| *t).unwrap_or(self.last);
            out.push((*stage, end.saturating_sub(*at)));
        }
        out
    }

    fn reach(&mut self, stage: Stage, at: Millis) {
        if !self.reached.iter().any(|(s, _)| *s == stage) {
            self.reached.push((stage, at));
            self.reached.sort_by_key(|(s, _)| *s);
        }
    }

    fn push(&mut self, entry: Entry, cap: usize) {
        if let Some(last) = self.entries.last_mut()
            && last.event.at <= entry.event.at
            && last.same_as(&entry.event, entry.stage, &entry.failure)
        {
            last.repeats = last.repeats.saturating_add(1 + entry.repeats);
            last.last_at = last.last_at.max(entry.last_at);
            self.last = self.last.max(entry.last_at);
            return;
        }
        if self.entries.len() >= cap {
            // Keep the milestones: drop the oldest event that reached no stage.
            let victim = self.entries.iter().position(|e| e.stage.is_none()).unwrap_or(0);
            self.entries.remove(victim);
            self.truncated += 1;
        }
        self.last = self.last.max(entry.last_at);
        self.started = self.started.min(entry.event.at);
        // In time order: events that waited for their address come late.
        let at = self.entries.partition_point(|e| e.event.at <= entry.event.at);
        self.entries.insert(at, entry);
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// The hardware address (the key).
    pub mac: Vec<u8>,
    pub uuid: Option<String>,
    /// The addresses it used, the latest first (at most four).
    pub ips: Vec<IpAddr>,
    pub hostname: Option<String>,
    /// What its firmware said in DHCP (the latest netboot request).
    pub firmware: Firmware,
    pub first_seen: Millis,
    pub last_seen: Millis,
    /// Whether a group has ever selected it.
    pub known: bool,
    /// What selection decided last, and the labels it decided on.
    pub selection: Option<Selection>,
    pub labels: Vec<(String, String)>,
    /// Its last boots, oldest first.
    pub boots: VecDeque<Boot>,
    /// When it was last used, and its place in eviction order (which a
    /// counted repeat leaves behind: `evict` moves it then).
    touched: u64,
    lru_at: u64,
    /// Counted repeats not written yet.
    repeat_unwritten: bool,
}

impl Machine {
    /// `52:54:00:89:d8:10`.
    pub fn mac_text(&self) -> String {
        mac_text(&self.mac)
    }

    pub fn current(&self) -> Option<&Boot> {
        self.boots.back()
    }

    fn remember_ip(&mut self, ip: IpAddr) {
        self.ips.retain(|i| *i != ip);
        self.ips.insert(0, ip);
        self.ips.truncate(4);
    }
}

pub fn mac_text(mac: &[u8]) -> String {
    let mut s = String::with_capacity(mac.len() * 3);
    for (i, b) in mac.iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// The bounds, and the thresholds that decide boots and outcomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limits {
    /// Machines kept in all.
    pub machines: usize,
    /// Of which machines no group selected (the rest is kept for known ones).
    pub unknown: usize,
    pub boots_known: usize,
    pub boots_unknown: usize,
    pub events_known: usize,
    pub events_unknown: usize,
    /// Addresses with events waiting for their machine, and events each.
    pub pending_addresses: usize,
    pub pending_events: usize,
    /// Quiet for this long: a boot that is not configured is stuck.
    pub stuck_after: Millis,
    /// Quiet for this long: the next event starts a new boot.
    pub boot_gap: Millis,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            machines: 10_000,
            unknown: 4_000,
            boots_known: 8,
            boots_unknown: 2,
            events_known: 64,
            events_unknown: 16,
            pending_addresses: 1_024,
            pending_events: 8,
            stuck_after: 5 * 60 * 1000,
            boot_gap: 30 * 60 * 1000,
        }
    }
}

/// Counts for metrics and the UI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub known: usize,
    pub unknown: usize,
    pub evicted_known: u64,
    pub evicted_unknown: u64,
    /// Events that never found their machine (their address was never linked).
    pub unattributed: u64,
}

/// Every machine seen, bounded.
#[derive(Debug, Default)]
pub struct Machines {
    limits: Limits,
    machines: HashMap<Vec<u8>, Machine>,
    by_uuid: HashMap<String, Vec<u8>>,
    by_ip: HashMap<IpAddr, Vec<u8>>,
    /// Eviction order per class: touched → key; [0] unknown, [1] known.
    lru: [BTreeMap<u64, Vec<u8>>; 2],
    pending: HashMap<IpAddr, Vec<Event>>,
    pending_order: VecDeque<IpAddr>,
    clock: u64,
    counts: Counts,
    dirty: HashSet<Vec<u8>>,
    /// Machines changed only by counted repeats (written less often).
    repeated: HashSet<Vec<u8>>,
    removed: HashSet<Vec<u8>>,
}

impl Machines {
    pub fn new(limits: Limits) -> Machines {
        Machines {
            limits,
            ..Default::default()
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    pub fn len(&self) -> usize {
        self.machines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.machines.is_empty()
    }

    pub fn counts(&self) -> Counts {
        Counts {
            known: self.lru[1].len(),
            unknown: self.lru[0].len(),
            ..self.counts
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Machine> {
        self.machines.values()
    }

    pub fn get_mac(&self, mac: &[u8]) -> Option<&Machine> {
        self.machines.get(mac)
    }

    /// A machine by MAC (any notation), UUID or IP address.
    pub fn find(&self, id: &str) -> Option<&Machine> {
        if let Ok(mac) = model::Mac::parse(id) {
            return self.machines.get(mac.octets());
        }
        if let Some(key) = self.by_uuid.get(&id.to_ascii_lowercase()) {
            return self.machines.get(key);
        }
        let ip: IpAddr = id.parse().ok()?;
        self.by_ip.get(&ip).and_then(|k| self.machines.get(k))
    }

    /// Machines changed and removed since the last call (for storage);
    /// with `repeats`, also those changed only by counted repeats.
    pub fn take_changes_with(&mut self, repeats: bool) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        if repeats {
            for key in self.repeated.drain() {
                if let Some(m) = self.machines.get_mut(&key) {
                    m.repeat_unwritten = false;
                }
                self.dirty.insert(key);
            }
        }
        self.take_changes()
    }

    /// Machines changed and removed since the last call (for storage).
    pub fn take_changes(&mut self) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let removed: Vec<Vec<u8>> = self.removed.drain().collect();
        let dirty: Vec<Vec<u8>> = self.dirty.drain().filter(|k| self.machines.contains_key(k)).collect();
        (dirty, removed)
    }

    /// Every entry of a machine, oldest first (what storage keeps: the
    /// machine is rebuilt by applying them again).
    pub fn entries_of(&self, mac: &[u8]) -> Vec<Entry> {
        self.machines
            .get(mac)
            .map(|m| m.boots.iter().flat_map(|b| b.entries.iter().cloned()).collect())
            .unwrap_or_default()
    }

    /// Every event of a machine, oldest first.
    pub fn events_of(&self, mac: &[u8]) -> Vec<Event> {
        self.entries_of(mac).into_iter().map(|e| e.event).collect()
    }

    /// Ties an event to its machine and its boot. Returns the machine's key,
    /// or `None` when the event waits for its address to be linked (or
    /// carries nothing to tie it to).
    pub fn apply(&mut self, event: Event) -> Option<Vec<u8>> {
        self.apply_repeated(event, 0, 0)
    }

    /// Whether `event` repeats the last event of its machine's current boot
    /// (same exchange, same result): applying it then only counts it, and a
    /// caller can skip work that only matters for new events.
    pub fn is_repeat(&self, event: &Event) -> bool {
        self.key_of(event).is_some_and(|k| self.repeats_last(&k, event))
    }

    fn repeats_last(&self, key: &[u8], event: &Event) -> bool {
        let Some(m) = self.machines.get(key) else { return false };
        let Some(boot) = m.boots.back() else { return false };
        if event.at.saturating_sub(boot.last) > self.limits.boot_gap || starts_boot(event, boot) {
            return false;
        }
        let (stage, failure) = classify(m, event);
        boot.entries
            .last()
            .is_some_and(|last| last.event.at <= event.at && last.same_as(event, stage, &failure))
    }

    /// The machine an event names, if it can be told now.
    fn key_of(&self, event: &Event) -> Option<Vec<u8>> {
        match &event.kind {
            EventKind::Dhcp(d) => {
                if d.hw.is_empty() || d.hw.len() > 20 || d.hw.iter().all(|b| *b == 0) {
                    return None;
                }
                Some(d.hw.clone())
            }
            EventKind::Http(h) => h
                .label("mac")
                .and_then(|m| model::Mac::parse(&m).ok())
                .map(|m| m.octets().to_vec())
                .or_else(|| {
                    h.label("uuid")
                        .filter(|u| is_real_uuid(u))
                        .and_then(|u| self.by_uuid.get(&u.to_ascii_lowercase()).cloned())
                })
                .or_else(|| h.client.and_then(|ip| self.by_ip.get(&ip).cloned())),
            EventKind::Tftp(t) => self.by_ip.get(&t.client).cloned(),
        }
    }

    /// [`Machines::apply`] for an event that happened `1 + repeats` times,
    /// the last at `last_at` (as storage keeps coalesced entries).
    pub fn apply_repeated(&mut self, event: Event, repeats: u32, last_at: Millis) -> Option<Vec<u8>> {
        let key = self.key_of(&event);
        let Some(key) = key else {
            self.park(event);
            return None;
        };
        self.apply_to(key.clone(), event, repeats, last_at);
        Some(key)
    }

    /// An event whose machine is not known yet waits for its address.
    fn park(&mut self, event: Event) {
        let ip = match &event.kind {
            EventKind::Http(h) => h.client,
            EventKind::Tftp(t) => Some(t.client),
            EventKind::Dhcp(_) => None,
        };
        let Some(ip) = ip else {
            self.counts.unattributed += 1;
            return;
        };
        if !self.pending.contains_key(&ip) {
            if self.pending_order.len() >= self.limits.pending_addresses
                && let Some(old) = self.pending_order.pop_front()
                && let Some(lost) = self.pending.remove(&old)
            {
                self.counts.unattributed += lost.len() as u64;
            }
            self.pending_order.push_back(ip);
        }
        let waiting = self.pending.entry(ip).or_default();
        if waiting.len() < self.limits.pending_events {
            waiting.push(event);
        } else {
            self.counts.unattributed += 1;
        }
    }

    fn link_ip(&mut self, ip: IpAddr, key: &[u8]) {
        if ip.is_unspecified() {
            return;
        }
        self.by_ip.insert(ip, key.to_vec());
        if let Some(waiting) = self.pending.remove(&ip) {
            self.pending_order.retain(|i| *i != ip);
            for e in waiting {
                self.apply_to(key.to_vec(), e, 0, 0);
            }
        }
    }

    /// Counts `event` when it repeats the last event of its machine's boot
    /// (a client retrying, a loop): nothing else about the machine changes,
    /// and it need not be written again at once. Returns the machine's key
    /// then; `None` when the event is new (apply it).
    pub fn count_repeat(&mut self, event: &Event, repeats: u32, last_at: Millis) -> Option<Vec<u8>> {
        let key = self.key_of(event)?;
        if !self.repeats_last(&key, event) {
            return None;
        }
        let m = self.machines.get_mut(&key)?;
        m.last_seen = m.last_seen.max(event.at);
        let boot = m.boots.back_mut()?;
        let last = boot.entries.last_mut()?;
        last.repeats = last.repeats.saturating_add(1 + repeats);
        last.last_at = last.last_at.max(event.at).max(last_at);
        boot.last = boot.last.max(last.last_at);
        // Eviction order is brought up to date lazily (see `evict`).
        self.clock += 1;
        m.touched = self.clock;
        if !m.repeat_unwritten {
            m.repeat_unwritten = true;
            self.repeated.insert(key.clone());
        }
        Some(key)
    }

    fn apply_to(&mut self, key: Vec<u8>, event: Event, repeats: u32, last_at: Millis) {
        if self.count_repeat(&event, repeats, last_at).is_some() {
            return;
        }
        let limits = self.limits.clone();
        if !self.machines.contains_key(&key) {
            self.machines.insert(
                key.clone(),
                Machine {
                    mac: key.clone(),
                    uuid: None,
                    ips: Vec::new(),
                    hostname: None,
                    firmware: Firmware::default(),
                    first_seen: event.at,
                    last_seen: event.at,
                    known: false,
                    selection: None,
                    labels: Vec::new(),
                    boots: VecDeque::new(),
                    touched: 0,
                    lru_at: 0,
                    repeat_unwritten: false,
                },
            );
        }
        let mut links: Vec<IpAddr> = Vec::new();
        let mut uuid_link = None;
        {
            let m = self.machines.get_mut(&key).expect("inserted above");
            let (stage, failure) = classify(m, &event);
            // Identity and discovery facts.
            match &event.kind {
                EventKind::Dhcp(d) => {
                    if let Some(u) = &d.firmware.uuid {
                        m.uuid = Some(u.clone());
                        uuid_link = Some(u.clone());
                    }
                    if d.hostname.is_some() {
                        m.hostname = d.hostname.clone();
                    }
                    if d.firmware.kind != "plain" || m.firmware.kind.is_empty() {
                        m.firmware = d.firmware.clone();
                    }
                    if d.reply.as_deref() == Some("ACK")
                        && let Some(ip) = d.ip
                    {
                        links.push(IpAddr::V4(ip));
                    }
                }
                EventKind::Http(h) => {
                    if let Some(u) = h.label("uuid").filter(|u| is_real_uuid(u)) {
                        let u = u.to_ascii_lowercase();
                        m.uuid = Some(u.clone());
                        uuid_link = Some(u);
                    }
                    if let Some(host) = h.label("hostname") {
                        m.hostname = Some(host.into_owned());
                    }
                    if let Some(ip) = h.client {
                        links.push(ip);
                    }
                    if !h.labels.is_empty() && m.labels != h.labels {
                        m.labels = h.labels.clone();
                    }
                    if let Some(sel) = &h.selection {
                        m.known = true;
                        if m.selection.as_ref() != Some(sel) {
                            m.selection = Some(sel.clone());
                        }
                    }
                }
                EventKind::Tftp(_) => {}
            }
            for ip in &links {
                m.remember_ip(*ip);
            }
            m.first_seen = m.first_seen.min(event.at);
            m.last_seen = m.last_seen.max(event.at);
            // The boot it belongs to.
            let new_boot = match m.boots.back() {
                None => true,
                Some(b) => event.at.saturating_sub(b.last) > limits.boot_gap || starts_boot(&event, b),
            };
            let (boots_cap, events_cap) = if m.known {
                (limits.boots_known, limits.events_known)
            } else {
                (limits.boots_unknown, limits.events_unknown)
            };
            if new_boot {
                m.boots.push_back(Boot::new(event.at));
                while m.boots.len() > boots_cap {
                    m.boots.pop_front();
                }
            }
            let boot = m.boots.back_mut().expect("a boot exists");
            if let EventKind::Http(h) = &event.kind
                && let Some(sel) = &h.selection
                && sel.kernel.is_some()
                && boot.kernel != sel.kernel
            {
                boot.kernel = sel.kernel.clone();
                boot.initrd = sel.initrd.clone();
            }
            match (&failure, stage) {
                (Some(reason), _) => {
                    boot.failure = Some(Failure {
                        at: event.at,
                        reason: reason.clone(),
                        detail: failure_detail(&event),
                    });
                }
                (None, Some(s)) => {
                    boot.reach(s, event.at);
                    boot.failure = None;
                }
                (None, None) => {}
            }
            let at = event.at;
            boot.push(
                Entry {
                    event,
                    stage,
                    failure,
                    repeats,
                    last_at: at.max(last_at),
                },
                events_cap,
            );
        }
        self.touch(&key);
        if let Some(u) = uuid_link {
            self.by_uuid.insert(u, key.clone());
        }
        for ip in links {
            self.link_ip(ip, &key);
        }
        self.dirty.insert(key);
        self.evict();
    }

    fn touch(&mut self, key: &[u8]) {
        self.clock += 1;
        let clock = self.clock;
        let Some(m) = self.machines.get_mut(key) else { return };
        let class = m.known as usize;
        let old = self.lru[0].remove(&m.lru_at).or_else(|| self.lru[1].remove(&m.lru_at));
        m.touched = clock;
        m.lru_at = clock;
        self.lru[class].insert(clock, old.unwrap_or_else(|| key.to_vec()));
    }

    fn evict(&mut self) {
        loop {
            let victim = if self.lru[0].len() > self.limits.unknown
                || (self.machines.len() > self.limits.machines && !self.lru[0].is_empty())
            {
                self.lru[0].pop_first().map(|v| (v, false))
            } else if self.machines.len() > self.limits.machines {
                self.lru[1].pop_first().map(|v| (v, true))
            } else {
                None
            };
            let Some(((at, key), known)) = victim else { return };
            // Used since (a counted repeat): it goes back in its new place.
            if let Some(m) = self.machines.get_mut(&key)
                && m.touched > at
            {
                m.lru_at = m.touched;
                self.lru[m.known as usize].insert(m.touched, key);
                continue;
            }
            if let Some(m) = self.machines.remove(&key) {
                if let Some(u) = &m.uuid
                    && self.by_uuid.get(u) == Some(&key)
                {
                    self.by_uuid.remove(u);
                }
                for ip in &m.ips {
                    if self.by_ip.get(ip) == Some(&key) {
                        self.by_ip.remove(ip);
                    }
                }
            }
            if known {
                self.counts.evicted_known += 1;
            } else {
                self.counts.evicted_unknown += 1;
            }
            self.dirty.remove(&key);
            self.repeated.remove(&key);
            self.removed.insert(key);
        }
    }
}

/// Whether a UUID names a machine: not the all-zero or all-ones value of
/// firmware without one (which would tie every such machine together).
fn is_real_uuid(u: &str) -> bool {
    let digits: Vec<char> = u.chars().filter(|c| *c != '-').collect();
    !(digits.iter().all(|c| *c == '0') || digits.iter().all(|c| c.eq_ignore_ascii_case(&'f')))
}

/// Whether `event` begins a new boot after `current`: firmware asking DHCP
/// again once the boot got past its boot program (a PXE ROM or UEFI), or
/// iPXE (or GRUB) asking again once the boot got to its kernel or failed.
/// A chainloaded iPXE's own DHCP (after TFTP, or after a script that
/// chains another iPXE) continues the boot that loaded it.
fn starts_boot(event: &Event, current: &Boot) -> bool {
    let EventKind::Dhcp(d) = &event.kind else {
        return false;
    };
    if d.request != "DISCOVER" {
        return false;
    }
    let reached = current.stage();
    match d.firmware.kind.as_str() {
        "plain" => false,
        "ipxe" | "grub" => reached >= Some(Stage::Kernel) || current.failure.is_some(),
        _ => reached >= Some(Stage::BootProgram),
    }
}

/// The stage an event reaches and the failure it reports.
fn classify(m: &Machine, event: &Event) -> (Option<Stage>, Option<String>) {
    match &event.kind {
        EventKind::Dhcp(d) => {
            if matches!(d.reply.as_deref(), Some("OFFER" | "ACK")) {
                return (Some(Stage::Dhcp), None);
            }
            let significant = d.ignored.as_deref().is_some_and(|r| {
                [
                    "exhausted",
                    "reserved address",
                    "unavailable",
                    "no boot answer",
                    "no subnet",
                ]
                .iter()
                .any(|s| r.contains(s))
            });
            if significant && d.firmware.kind != "plain" {
                let reason = d.ignored.clone().unwrap_or_default().replace(' ', "-");
                return (None, Some(format!("dhcp-{reason}")));
            }
            (None, None)
        }
        EventKind::Tftp(t) => match &t.failure {
            None => (Some(Stage::BootProgram), None),
            Some(f) => {
                let code = f.split(':').next().unwrap_or(f).trim().replace(' ', "-");
                (None, Some(format!("tftp-{code}")))
            }
        },
        EventKind::Http(h) => {
            if h.status >= 400 {
                let reason = h.reason.clone().unwrap_or_else(|| format!("http-{}", h.status));
                return (None, Some(reason));
            }
            let stage = match h.route.as_str() {
                "/boot.ipxe" | "/ipxe" | "/grub" => Some(Stage::Script),
                // /metadata too: provisioning scripts read it as their configuration.
                "/ignition" | "/cloud" | "/generic" | "/metadata" => Some(Stage::Config),
                "bootfile" => Some(Stage::BootProgram),
                "/assets/" => asset_stage(m.boots.back(), &h.path),
                _ => None,
            };
            (stage, None)
        }
    }
}

/// Kernel or initrd: by the profile's boot files when known, else by name.
fn asset_stage(boot: Option<&Boot>, path: &str) -> Option<Stage> {
    let matches = |want: &str| {
        let want = want.split('?').next().unwrap_or(want);
        !want.is_empty() && (path == want || want.ends_with(path) || path.ends_with(want))
    };
    if let Some(b) = boot {
        if b.kernel.as_deref().is_some_and(matches) {
            return Some(Stage::Kernel);
        }
        if b.initrd.iter().any(|i| matches(i)) {
            return Some(Stage::Initrd);
        }
    }
    let name = path.rsplit('/').next().unwrap_or(path).to_ascii_lowercase();
    if name.contains("vmlinuz") || name.contains("kernel") || name.starts_with("linux") {
        Some(Stage::Kernel)
    } else if name.contains("initrd") || name.contains("initramfs") || name.contains("cpio") || name.ends_with(".img") {
        Some(Stage::Initrd)
    } else {
        None
    }
}

fn failure_detail(event: &Event) -> String {
    match &event.kind {
        EventKind::Dhcp(d) => d.detail.clone().or(d.ignored.clone()).unwrap_or_default(),
        EventKind::Tftp(t) => format!(
            "{} ({} of {} blocks sent, {} retransmitted): {}",
            t.file,
            t.blocks,
            t.size.div_ceil(512).max(1),
            t.retransmissions,
            t.failure.as_deref().unwrap_or("")
        ),
        EventKind::Http(h) => h
            .detail
            .clone()
            .unwrap_or_else(|| format!("{} answered {}", h.route, h.status)),
    }
}
