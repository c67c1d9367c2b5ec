//! Events as JSON: how they are stored on disk and exchanged between
//! replicas. Readable, and tolerant: a field kindling does not know is
//! ignored, and a record that does not decode is skipped.

use recorder::{Dhcp, Event, EventKind, Firmware, Http, Selection, Tftp};
use serde_json::{Map, Value, json};

fn opt<T: Into<Value>>(v: Option<T>) -> Value {
    v.map(Into::into).unwrap_or(Value::Null)
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

pub fn selection_json(s: &Selection) -> Value {
    json!({"group": s.group, "profile": s.profile, "kernel": s.kernel, "initrd": s.initrd})
}

pub fn firmware_json(f: &Firmware) -> Value {
    json!({
        "kind": f.kind,
        "arch": f.arch_codes,
        "vendor_class": f.vendor_class,
        "user_class": f.user_class,
        "ipxe_features": f.ipxe_features,
        "uuid": f.uuid,
    })
}

pub fn event_json(e: &Event) -> Value {
    let mut m = Map::new();
    m.insert("at".into(), e.at.into());
    if !e.replica.is_empty() {
        m.insert("replica".into(), e.replica.clone().into());
    }
    match &e.kind {
        EventKind::Dhcp(d) => {
            m.insert("type".into(), "dhcp".into());
            m.insert("hw".into(), hex(&d.hw).into());
            m.insert("xid".into(), d.xid.into());
            m.insert("request".into(), d.request.clone().into());
            m.insert("reply".into(), opt(d.reply.clone()));
            m.insert("ip".into(), opt(d.ip.map(|i| i.to_string())));
            m.insert("firmware".into(), firmware_json(&d.firmware));
            m.insert("hostname".into(), opt(d.hostname.clone()));
            m.insert("boot_file".into(), opt(d.boot_file.clone()));
            m.insert("ignored".into(), opt(d.ignored.clone()));
            m.insert("detail".into(), opt(d.detail.clone()));
        }
        EventKind::Tftp(t) => {
            m.insert("type".into(), "tftp".into());
            m.insert("client".into(), t.client.to_string().into());
            m.insert("file".into(), t.file.clone().into());
            m.insert("size".into(), t.size.into());
            m.insert("blocks".into(), t.blocks.into());
            m.insert("retransmissions".into(), t.retransmissions.into());
            m.insert("failure".into(), opt(t.failure.clone()));
        }
        EventKind::Http(h) => {
            m.insert("type".into(), "http".into());
            m.insert("client".into(), opt(h.client.map(|c| c.to_string())));
            m.insert("route".into(), h.route.clone().into());
            m.insert("path".into(), h.path.clone().into());
            m.insert(
                "labels".into(),
                Value::Array(h.labels.iter().map(|(k, v)| json!([k, v])).collect()),
            );
            m.insert("status".into(), h.status.into());
            m.insert("reason".into(), opt(h.reason.clone()));
            m.insert("detail".into(), opt(h.detail.clone()));
            m.insert(
                "selection".into(),
                h.selection.as_ref().map(selection_json).unwrap_or(Value::Null),
            );
        }
    }
    Value::Object(m)
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

fn firmware(v: &Value) -> Firmware {
    Firmware {
        kind: s(v, "kind").unwrap_or_default(),
        arch_codes: v
            .get("arch")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_u64().map(|n| n as u16)).collect())
            .unwrap_or_default(),
        vendor_class: s(v, "vendor_class"),
        user_class: s(v, "user_class"),
        ipxe_features: v
            .get("ipxe_features")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_u64().map(|n| n as u8)).collect()),
        uuid: s(v, "uuid"),
    }
}

fn selection(v: &Value) -> Option<Selection> {
    Some(Selection {
        group: s(v, "group")?,
        profile: s(v, "profile").unwrap_or_default(),
        kernel: s(v, "kernel"),
        initrd: v
            .get("initrd")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(|x| x.as_str().map(str::to_owned)).collect())
            .unwrap_or_default(),
    })
}

/// An event from its JSON, or `None` when it is not one.
pub fn event_from_json(v: &Value) -> Option<Event> {
    let at = v.get("at")?.as_u64()?;
    let replica = s(v, "replica").unwrap_or_default();
    let kind = match v.get("type")?.as_str()? {
        "dhcp" => EventKind::Dhcp(Dhcp {
            hw: unhex(v.get("hw")?.as_str()?)?,
            xid: v.get("xid").and_then(Value::as_u64).unwrap_or(0) as u32,
            request: s(v, "request")?,
            reply: s(v, "reply"),
            ip: s(v, "ip").and_then(|i| i.parse().ok()),
            firmware: v.get("firmware").map(firmware).unwrap_or_default(),
            hostname: s(v, "hostname"),
            boot_file: s(v, "boot_file"),
            ignored: s(v, "ignored"),
            detail: s(v, "detail"),
        }),
        "tftp" => EventKind::Tftp(Tftp {
            client: s(v, "client")?.parse().ok()?,
            file: s(v, "file")?,
            size: v.get("size").and_then(Value::as_u64).unwrap_or(0),
            blocks: v.get("blocks").and_then(Value::as_u64).unwrap_or(0),
            retransmissions: v.get("retransmissions").and_then(Value::as_u64).unwrap_or(0),
            failure: s(v, "failure"),
        }),
        "http" => EventKind::Http(Http {
            client: s(v, "client").and_then(|c| c.parse().ok()),
            route: s(v, "route")?,
            path: s(v, "path").unwrap_or_default(),
            labels: v
                .get("labels")
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|p| Some((p.get(0)?.as_str()?.to_owned(), p.get(1)?.as_str()?.to_owned())))
                        .collect()
                })
                .unwrap_or_default(),
            status: v.get("status").and_then(Value::as_u64).unwrap_or(0) as u16,
            reason: s(v, "reason"),
            detail: s(v, "detail"),
            selection: v.get("selection").and_then(selection),
            raw_query: None,
            query_hash: 0,
        }),
        _ => return None,
    };
    Some(Event { at, replica, kind })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_round_trip() {
        let events = vec![
            Event {
                at: 1,
                replica: "a".into(),
                kind: EventKind::Dhcp(Dhcp {
                    hw: vec![0x52, 0x54, 0, 1, 2, 3],
                    xid: 7,
                    request: "DISCOVER".into(),
                    reply: Some("OFFER".into()),
                    ip: Some("10.0.0.5".parse().unwrap()),
                    firmware: Firmware {
                        kind: "bios".into(),
                        arch_codes: vec![0],
                        vendor_class: Some("PXEClient:Arch:00000:UNDI:002001".into()),
                        user_class: None,
                        ipxe_features: Some(vec![19, 21]),
                        uuid: Some("u".into()),
                    },
                    hostname: None,
                    boot_file: Some("undionly.kpxe".into()),
                    ignored: None,
                    detail: None,
                }),
            },
            Event {
                at: 2,
                replica: String::new(),
                kind: EventKind::Tftp(Tftp {
                    client: "10.0.0.5".parse().unwrap(),
                    file: "undionly.kpxe".into(),
                    size: 100,
                    blocks: 1,
                    retransmissions: 2,
                    failure: Some("timed-out".into()),
                }),
            },
            Event {
                at: 3,
                replica: String::new(),
                kind: EventKind::Http(Http {
                    client: Some("10.0.0.5".parse().unwrap()),
                    route: "/ipxe".into(),
                    path: "/ipxe".into(),
                    labels: vec![("mac".into(), "52-54-00-01-02-03".into())],
                    status: 200,
                    reason: None,
                    detail: None,
                    selection: Some(Selection {
                        group: "g.json".into(),
                        profile: "p".into(),
                        kernel: Some("/k".into()),
                        initrd: vec!["/i".into()],
                    }),
                    raw_query: None,
                    query_hash: 0,
                }),
            },
        ];
        for e in events {
            assert_eq!(event_from_json(&event_json(&e)), Some(e));
        }
        assert_eq!(event_from_json(&json!({"at": 1, "type": "nope"})), None);
        assert_eq!(event_from_json(&json!("x")), None);
    }
}
