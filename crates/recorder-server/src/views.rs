//! The recorder's JSON views, as `/api/machines` serves them and as
//! replicas exchange them to show one merged view.

use recorder::{Boot, Event, Limits, Machine, Machines, Outcome, explain};
use serde_json::{Value, json};

use crate::json::{event_from_json, event_json, firmware_json, selection_json};

fn outcome_fields(o: &Outcome) -> (Value, Value) {
    match o {
        Outcome::Failed { reason, detail } => (json!(reason), json!(detail)),
        Outcome::Stuck { quiet, .. } => (Value::Null, json!(format!("quiet for {} s", quiet / 1000))),
        _ => (Value::Null, Value::Null),
    }
}

/// One line of the machine list.
pub fn summary(m: &Machine, now: u64, limits: &Limits) -> Value {
    let boot = m.current();
    let outcome = boot.map(|b| b.outcome(now, limits.stuck_after));
    let (reason, detail) = outcome
        .as_ref()
        .map(outcome_fields)
        .unwrap_or((Value::Null, Value::Null));
    json!({
        "mac": m.mac_text(),
        "uuid": m.uuid,
        "ips": m.ips.iter().map(|i| i.to_string()).collect::<Vec<_>>(),
        "hostname": m.hostname,
        "firmware": firmware_json(&m.firmware),
        "known": m.known,
        "group": m.selection.as_ref().map(|s| s.group.clone()),
        "profile": m.selection.as_ref().map(|s| s.profile.clone()),
        "labels": m.labels.iter().map(|(k, v)| json!([k, v])).collect::<Vec<_>>(),
        "first_seen": m.first_seen,
        "last_seen": m.last_seen,
        "boots": m.boots.len(),
        "stage": boot.and_then(Boot::stage).map(|s| s.name()),
        "state": outcome.as_ref().map(Outcome::name),
        "reason": reason,
        "detail": detail,
    })
}

fn boot_json(b: &Boot, now: u64, limits: &Limits) -> Value {
    let outcome = b.outcome(now, limits.stuck_after);
    let (reason, detail) = outcome_fields(&outcome);
    let spent: std::collections::HashMap<_, _> = b.durations().into_iter().collect();
    json!({
        "started": b.started,
        "last": b.last,
        "stage": b.stage().map(|s| s.name()),
        "state": outcome.name(),
        "reason": reason,
        "detail": detail,
        "truncated": b.truncated,
        "stages": b.reached.iter().map(|(s, at)| json!({
            "stage": s.name(), "at": at, "spent_ms": spent.get(s).copied().unwrap_or(0),
        })).collect::<Vec<_>>(),
        "events": b.entries.iter().map(|e| json!({
            "at": e.event.at,
            "repeats": e.repeats,
            "last_at": e.last_at,
            "stage": e.stage.map(|s| s.name()),
            "failure": e.failure,
            "summary": e.event.describe(),
            "replica": e.event.replica,
            "event": event_json(&e.event),
        })).collect::<Vec<_>>(),
    })
}

/// One machine: its summary, its boots with their events, and what to do
/// when the last one failed or stalled (with the nearest group, given the
/// groups).
pub fn detail(m: &Machine, now: u64, limits: &Limits, groups: Option<&model::GroupSet>) -> Value {
    let mut v = summary(m, now, limits);
    let advice = m
        .current()
        .and_then(|b| explain::advice(m, &b.outcome(now, limits.stuck_after), groups));
    if let Value::Object(o) = &mut v {
        o.insert(
            "selection".into(),
            m.selection.as_ref().map(selection_json).unwrap_or(Value::Null),
        );
        o.insert(
            "boots_detail".into(),
            Value::Array(m.boots.iter().map(|b| boot_json(b, now, limits)).collect()),
        );
        o.insert("advice".into(), advice.map(Value::from).unwrap_or(Value::Null));
    }
    v
}

/// Whether a summary passes the list's filters: `state` (booting,
/// configured, stuck, failed, unknown for machines no group selected) and
/// `q` (a part of the MAC, UUID, hostname or an address).
pub fn matches(summary: &Value, state: Option<&str>, q: Option<&str>) -> bool {
    if let Some(state) = state.filter(|s| !s.is_empty()) {
        let ok = match state {
            "unknown" => summary["known"] == false,
            "known" => summary["known"] == true,
            s => summary["state"] == s,
        };
        if !ok {
            return false;
        }
    }
    let Some(q) = q.map(str::to_ascii_lowercase).filter(|q| !q.is_empty()) else {
        return true;
    };
    let text = |k: &str| summary[k].as_str().unwrap_or("").to_ascii_lowercase();
    let q_mac = q.replace('-', ":");
    text("mac").contains(&q_mac)
        || text("uuid").contains(&q)
        || text("hostname").contains(&q)
        || summary["ips"]
            .as_array()
            .is_some_and(|ips| ips.iter().any(|i| i.as_str().unwrap_or("").contains(&q)))
}

/// The list merged from several replicas' lists: one line per machine, the
/// one seen last.
pub fn merge_summaries(lists: Vec<Vec<Value>>) -> Vec<Value> {
    let mut by_mac: std::collections::BTreeMap<String, Value> = Default::default();
    for list in lists {
        for s in list {
            let Some(mac) = s["mac"].as_str().map(str::to_owned) else {
                continue;
            };
            let newer = by_mac
                .get(&mac)
                .is_none_or(|old| s["last_seen"].as_u64() > old["last_seen"].as_u64());
            if newer {
                by_mac.insert(mac, s);
            }
        }
    }
    let mut out: Vec<Value> = by_mac.into_values().collect();
    out.sort_by(|a, b| b["last_seen"].as_u64().cmp(&a["last_seen"].as_u64()));
    out
}

/// One recorded entry as views carry it: the event, how many times it
/// repeated after the first, and when it last did.
pub type Recorded = (Event, u32, u64);

/// The entries of a detail view (to merge a machine seen by several
/// replicas).
pub fn entries_of_detail(detail: &Value) -> Vec<Recorded> {
    detail["boots_detail"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["events"].as_array().into_iter().flatten())
        .filter_map(|e| {
            let event = event_from_json(&e["event"])?;
            let repeats = e["repeats"].as_u64().map_or(0, |r| r.min(u64::from(u32::MAX)) as u32);
            let last_at = e["last_at"].as_u64().unwrap_or(event.at);
            Some((event, repeats, last_at))
        })
        .collect()
}

/// One machine as all replicas saw it: their entries together, in time
/// order, told again by the model's rules (repeat counts kept).
pub fn merge_machine(mac: &[u8], entries: Vec<Recorded>, limits: &Limits) -> Option<Machines> {
    let mut entries = entries;
    entries.sort_by_key(|e| e.0.at);
    entries.dedup_by(|a, b| a.0 == b.0);
    let mut m = Machines::new(Limits {
        machines: 1_000,
        unknown: 1_000,
        ..limits.clone()
    });
    for (event, repeats, last_at) in entries {
        m.apply_repeated(event, repeats, last_at);
    }
    m.get_mac(mac)?;
    Some(m)
}

/// A JSON value as text for tables and pages: strings without quotes,
/// null as nothing.
pub fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The time of day (UTC) of a time in milliseconds since the epoch:
/// `14:03:07.250`.
pub fn clock(ms: u64) -> String {
    let secs = ms / 1000;
    format!(
        "{:02}:{:02}:{:02}.{:03}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60,
        ms % 1000
    )
}

/// How long ago `at` was, roughly: `12 s`, `5 min`, `3 h`, `2 d`.
pub fn age(now: u64, at: u64) -> String {
    let s = now.saturating_sub(at) / 1000;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        3600..=86_399 => format!("{} h", s / 3600),
        _ => format!("{} d", s / 86_400),
    }
}
