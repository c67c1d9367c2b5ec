//! The flight recorder's input: boot events built from untrusted packets
//! and query strings, and other replicas' JSON. None of it may panic, and
//! however many machines and events arrive, the recorder stays within its
//! limits.
#![no_main]

use std::net::{IpAddr, Ipv4Addr};

use libfuzzer_sys::fuzz_target;
use recorder::{Dhcp, Event, EventKind, Firmware, Http, Limits, Machines, Tftp};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fuzz_target!(|data: &[u8]| {
    // Another replica's answer: any JSON, read as an event.
    if let Ok(v) = serde_json::from_slice::<serde_json::Value>(data) {
        let _ = recorder_server::json::event_from_json(&v);
    }
    let limits = Limits {
        machines: 8,
        unknown: 3,
        boots_known: 2,
        boots_unknown: 1,
        events_known: 4,
        events_unknown: 2,
        pending_addresses: 2,
        pending_events: 2,
        ..Limits::default()
    };
    let mut m = Machines::new(limits.clone());
    // Each chunk of 16 bytes is one event; its fields come from the bytes,
    // with few distinct MACs and addresses so that events collide.
    for (i, c) in data.chunks(16).enumerate() {
        if c.len() < 4 {
            break;
        }
        let at = u64::from(c[0]) * 1_000_000 + i as u64;
        let mac = vec![0x52, 0x54, 0, 0, 0, c[1] % 12];
        let ip = IpAddr::V4(Ipv4Addr::new(10, 0, 0, c[2] % 6));
        let rest = &c[4..];
        let kind = match c[3] % 3 {
            0 => EventKind::Dhcp(Dhcp {
                hw: if c[3] & 0x80 != 0 { rest.to_vec() } else { mac },
                xid: u32::from(c[2]),
                request: ["DISCOVER", "REQUEST", "INFORM"][usize::from(c[2]) % 3].into(),
                reply: [None, Some("OFFER".into()), Some("ACK".into())][usize::from(c[1]) % 3].clone(),
                ip: match ip {
                    IpAddr::V4(v4) => Some(v4),
                    IpAddr::V6(_) => None,
                },
                firmware: Firmware {
                    kind: ["plain", "pxe", "ipxe", "grub"][usize::from(c[3] >> 4) % 4].into(),
                    uuid: Some(text(rest)),
                    ..Firmware::default()
                },
                hostname: Some(text(rest)),
                boot_file: None,
                ignored: (c[3] & 0x40 != 0).then(|| "address pool exhausted".into()),
                detail: None,
            }),
            1 => EventKind::Tftp(Tftp {
                client: ip,
                file: text(rest),
                size: u64::from(c[1]) * 512,
                blocks: u64::from(c[1]),
                retransmissions: u64::from(c[2]),
                failure: (c[3] & 0x40 != 0).then(|| text(rest)),
            }),
            _ => {
                let mut h = Http {
                    client: Some(ip),
                    route: ["/boot.ipxe", "/ipxe", "/assets/", "/ignition", "bootfile"][usize::from(c[1]) % 5].into(),
                    path: text(&rest[..rest.len() / 2]),
                    labels: Vec::new(),
                    raw_query: Some(text(rest)),
                    status: if c[3] & 0x40 != 0 { 404 } else { 200 },
                    reason: (c[3] & 0x40 != 0).then(|| "no-matching-group".into()),
                    detail: None,
                    selection: None,
                    query_hash: 0,
                };
                // The recorder's order: hash, count a repeat, else split.
                h.hash_query();
                let before = h.label("mac").map(|v| v.into_owned());
                let mut split = h.clone();
                split.split_query();
                assert_eq!(before, split.label("mac").map(|v| v.into_owned()));
                EventKind::Http(h)
            }
        };
        let mut event = Event {
            at,
            replica: String::new(),
            kind,
        };
        if m.count_repeat(&event, 0, 0).is_none() {
            if let EventKind::Http(h) = &mut event.kind {
                h.split_query();
            }
            let json = recorder_server::json::event_json(&event);
            let _ = recorder_server::json::event_from_json(&json);
            m.apply(event);
        }
        assert!(m.len() <= limits.machines);
        assert!(m.counts().unknown <= limits.unknown);
    }
    for machine in m.iter() {
        assert!(machine.boots.len() <= limits.boots_known.max(limits.boots_unknown));
        for boot in &machine.boots {
            assert!(boot.entries.len() <= limits.events_known.max(limits.events_unknown));
            let _ = boot.outcome(u64::MAX / 2, limits.stuck_after);
        }
        let _ = recorder_server::views::summary(machine, u64::MAX / 2, &limits);
    }
    let _ = m.find(&text(data));
});
