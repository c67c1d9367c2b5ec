//! What the servers report: one event per DHCP exchange, TFTP transfer and
//! HTTP request of a boot endpoint, with what the wire said about the
//! machine. Built on the hot paths from data those paths already have; the
//! recorder ties each to a machine later, off those paths.

use std::borrow::Cow;
use std::hash::{Hash, Hasher};
use std::net::{IpAddr, Ipv4Addr};

/// Milliseconds since the Unix epoch (the recorder has no clock: every
/// event carries its time).
pub type Millis = u64;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub at: Millis,
    /// The replica that saw it (empty for a single server).
    pub replica: String,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    Dhcp(Dhcp),
    Tftp(Tftp),
    Http(Http),
}

/// What a DHCP request told about its client.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Firmware {
    /// kindling's classification: `bios`, `uefi-x64`, `uefi-http`, `ipxe`,
    /// `grub`, `plain`, …
    pub kind: String,
    /// Option 93, as sent.
    pub arch_codes: Vec<u16>,
    /// Option 60.
    pub vendor_class: Option<String>,
    /// Option 77 (each class, joined with commas).
    pub user_class: Option<String>,
    /// Option 175 present: iPXE, with these sub-option codes (its features).
    pub ipxe_features: Option<Vec<u8>>,
    /// Option 97, as a UUID string.
    pub uuid: Option<String>,
}

/// One DHCP exchange (a request and the answer, or why there was none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dhcp {
    /// The client hardware address (chaddr).
    pub hw: Vec<u8>,
    pub xid: u32,
    /// `DISCOVER`, `REQUEST`, …
    pub request: String,
    /// `OFFER`, `ACK`, `NAK`, or `None` when not answered.
    pub reply: Option<String>,
    /// The address offered, acknowledged or released.
    pub ip: Option<Ipv4Addr>,
    pub firmware: Firmware,
    /// Option 12.
    pub hostname: Option<String>,
    /// The boot file or URL given.
    pub boot_file: Option<String>,
    /// Why it was not answered (`address pool exhausted`, …).
    pub ignored: Option<String>,
    pub detail: Option<String>,
}

/// One TFTP read transfer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tftp {
    pub client: IpAddr,
    pub file: String,
    pub size: u64,
    pub blocks: u64,
    pub retransmissions: u64,
    /// `None`: complete; else how it ended (`timed-out`, `aborted-by-client:
    /// …`, `refused: not found`).
    pub failure: Option<String>,
}

/// One HTTP request of a boot endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Http {
    pub client: Option<IpAddr>,
    /// The route: `/boot.ipxe`, `/ipxe`, `/grub`, `/ignition`, `/cloud`,
    /// `/generic`, `/metadata`, `/assets/`, or `bootfile` (a boot program
    /// by name, as UEFI HTTP Boot fetches it).
    pub route: String,
    /// The path asked for (for assets and boot files).
    pub path: String,
    /// The labels of the query (`mac`, `uuid`, `os`, …), in order; with
    /// redacted queries only the keys, with empty values.
    pub labels: Vec<(String, String)>,
    /// The query as it came, when the request path left splitting it into
    /// `labels` to the recorder (which does so before anything else).
    pub raw_query: Option<String>,
    pub status: u16,
    /// The failure's reason code (`no-matching-group`, …) and detail.
    pub reason: Option<String>,
    pub detail: Option<String>,
    /// The group and profile the labels selected, filled in by the recorder.
    pub selection: Option<Selection>,
    /// A hash of the query as it came (0: not known), so that a repeat is
    /// told without splitting the query again.
    pub query_hash: u64,
}

/// What selection decided for a request, and the profile's boot files (to
/// tell the kernel from the initrd among later asset requests).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Selection {
    pub group: String,
    pub profile: String,
    pub kernel: Option<String>,
    pub initrd: Vec<String>,
}

impl Http {
    /// Hashes `raw_query` into `query_hash`, if it is still there.
    pub fn hash_query(&mut self) {
        if let Some(q) = &self.raw_query
            && self.query_hash == 0
        {
            let mut h = std::hash::DefaultHasher::new();
            q.hash(&mut h);
            self.query_hash = h.finish().max(1);
        }
    }

    /// Splits `raw_query` into `labels` (at most 32), if it is still there.
    pub fn split_query(&mut self) {
        self.hash_query();
        if let Some(q) = self.raw_query.take() {
            self.labels = model::parse_query(&q).take(32).collect();
        }
    }

    /// The first value of label `key`, unless empty; read from the query
    /// as it came when it is not split yet.
    pub fn label(&self, key: &str) -> Option<Cow<'_, str>> {
        let value = match &self.raw_query {
            None => self
                .labels
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| Cow::Borrowed(v.as_str())),
            Some(q) => raw_label(q, key),
        };
        value.filter(|v| !v.is_empty())
    }

    /// Whether two requests sent the same query.
    pub fn same_query(&self, other: &Http) -> bool {
        if self.query_hash != 0 && other.query_hash != 0 {
            return self.query_hash == other.query_hash;
        }
        self.raw_query.is_none() && other.raw_query.is_none() && self.labels == other.labels
    }
}

/// The first value of `key` in an unsplit query, read as
/// [`model::parse_query`] reads it (pairs with `;` or a bad escape skipped).
fn raw_label<'q>(query: &'q str, key: &str) -> Option<Cow<'q, str>> {
    let plain = |s: &str| !s.bytes().any(|b| b == b'%' || b == b'+');
    for pair in query.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let Some(value) = (if plain(v) {
            Some(Cow::Borrowed(v))
        } else {
            model::query_unescape(v).map(Cow::Owned)
        }) else {
            continue;
        };
        let same = if plain(k) {
            k == key
        } else {
            match model::query_unescape(k) {
                Some(k) => k == key,
                None => continue,
            }
        };
        if same {
            return Some(value);
        }
    }
    None
}

impl Event {
    /// One line saying what happened, for timelines and the live view.
    pub fn describe(&self) -> String {
        match &self.kind {
            EventKind::Dhcp(d) => {
                let mut s = format!("DHCP {}", d.request);
                match &d.reply {
                    Some(r) => s.push_str(&format!(" → {r}")),
                    None => s.push_str(" → no answer"),
                }
                if let Some(ip) = d.ip {
                    s.push_str(&format!(" {ip}"));
                }
                if !d.firmware.kind.is_empty() {
                    s.push_str(&format!(" ({})", d.firmware.kind));
                }
                if let Some(f) = &d.boot_file {
                    s.push_str(&format!(", boot file {f}"));
                }
                if let Some(why) = &d.ignored {
                    s.push_str(&format!(": {why}"));
                }
                s
            }
            EventKind::Tftp(t) => {
                let mut s = format!("TFTP {}: {} bytes in {} blocks", t.file, t.size, t.blocks);
                if t.retransmissions > 0 {
                    s.push_str(&format!(", {} retransmitted", t.retransmissions));
                }
                match &t.failure {
                    None => s.push_str(", complete"),
                    Some(f) => s.push_str(&format!(", {f}")),
                }
                s
            }
            EventKind::Http(h) => {
                let what = if h.route == "/assets/" || h.route == "bootfile" {
                    h.path.clone()
                } else {
                    h.route.clone()
                };
                let mut s = format!("HTTP {what} {}", h.status);
                if let Some(sel) = &h.selection {
                    s.push_str(&format!(" (group {}, profile {})", sel.group, sel.profile));
                }
                if let Some(r) = &h.reason {
                    s.push_str(&format!(": {r}"));
                }
                s
            }
        }
    }

    /// The hardware address, for DHCP events.
    pub fn hw(&self) -> Option<&[u8]> {
        match &self.kind {
            EventKind::Dhcp(d) => Some(&d.hw),
            _ => None,
        }
    }
}
