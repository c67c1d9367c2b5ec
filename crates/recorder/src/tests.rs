//! Boots as real firmware makes them, told as events.

use std::net::{IpAddr, Ipv4Addr};

use crate::*;

const MAC: [u8; 6] = [0x52, 0x54, 0, 0x89, 0xd8, 0x10];
const IP: Ipv4Addr = Ipv4Addr::new(10, 99, 0, 100);

fn ev(at: Millis, kind: EventKind) -> Event {
    Event {
        at,
        replica: String::new(),
        kind,
    }
}

fn dhcp(at: Millis, mac: &[u8], kind: &str, request: &str, reply: Option<&str>) -> Event {
    ev(
        at,
        EventKind::Dhcp(Dhcp {
            hw: mac.to_vec(),
            xid: 1,
            request: request.into(),
            reply: reply.map(Into::into),
            ip: reply.map(|_| IP),
            firmware: Firmware {
                kind: kind.into(),
                uuid: Some("a1b2c3d4-0000-0000-0000-000000000001".into()),
                ..Default::default()
            },
            hostname: None,
            boot_file: None,
            ignored: None,
            detail: None,
        }),
    )
}

fn http(at: Millis, route: &str, path: &str, query: &[(&str, &str)], status: u16) -> Event {
    ev(
        at,
        EventKind::Http(Http {
            client: Some(IpAddr::V4(IP)),
            route: route.into(),
            path: path.into(),
            labels: query.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            status,
            reason: (status >= 400).then(|| "no-matching-group".into()),
            detail: None,
            selection: None,
            raw_query: None,
            query_hash: 0,
        }),
    )
}

fn tftp(at: Millis, failure: Option<&str>) -> Event {
    ev(
        at,
        EventKind::Tftp(Tftp {
            client: IpAddr::V4(IP),
            file: "undionly.kpxe".into(),
            size: 70_000,
            blocks: 137,
            retransmissions: 0,
            failure: failure.map(Into::into),
        }),
    )
}

/// BIOS PXE → TFTP undionly.kpxe → iPXE DHCP → /boot.ipxe → /ipxe → kernel
/// → initrd → /ignition: one boot, every stage in order, configured.
fn chain_boot(m: &mut Machines, t0: Millis) {
    m.apply(dhcp(t0, &MAC, "bios", "DISCOVER", Some("OFFER")));
    m.apply(dhcp(t0 + 10, &MAC, "bios", "REQUEST", Some("ACK")));
    m.apply(tftp(t0 + 500, None));
    m.apply(dhcp(t0 + 2_000, &MAC, "ipxe", "DISCOVER", Some("OFFER")));
    m.apply(dhcp(t0 + 2_010, &MAC, "ipxe", "REQUEST", Some("ACK")));
    m.apply(http(t0 + 3_000, "/boot.ipxe", "/boot.ipxe", &[], 200));
    let mut ipxe = http(
        t0 + 3_100,
        "/ipxe",
        "/ipxe",
        &[
            ("uuid", "a1b2c3d4-0000-0000-0000-000000000001"),
            ("mac", "52-54-00-89-d8-10"),
        ],
        200,
    );
    if let EventKind::Http(h) = &mut ipxe.kind {
        h.selection = Some(Selection {
            group: "node1.json".into(),
            profile: "fcos".into(),
            kernel: Some("/assets/fcos/k".into()),
            initrd: vec!["/assets/fcos/i.img".into()],
        });
    }
    m.apply(ipxe);
    m.apply(http(t0 + 4_000, "/assets/", "/assets/fcos/k", &[], 200));
    m.apply(http(t0 + 6_000, "/assets/", "/assets/fcos/i.img", &[], 200));
    m.apply(http(
        t0 + 20_000,
        "/ignition",
        "/ignition",
        &[("uuid", "a1b2c3d4-0000-0000-0000-000000000001")],
        200,
    ));
}

#[test]
fn a_chainloaded_boot_reaches_every_stage_in_order() {
    let mut m = Machines::new(Limits::default());
    chain_boot(&mut m, 1_000);
    let machine = m.find("52:54:00:89:d8:10").expect("machine");
    assert_eq!(machine.boots.len(), 1, "iPXE's own DHCP continues the boot");
    let boot = machine.current().unwrap();
    let stages: Vec<Stage> = boot.reached.iter().map(|(s, _)| *s).collect();
    assert_eq!(stages, Stage::ALL);
    assert_eq!(boot.outcome(30_000, 300_000), Outcome::Configured);
    assert!(machine.known);
    assert_eq!(machine.selection.as_ref().unwrap().profile, "fcos");
    // The UUID and the address lead to the same machine.
    assert_eq!(m.find("A1B2C3D4-0000-0000-0000-000000000001").unwrap().mac, MAC);
    assert_eq!(m.find("10.99.0.100").unwrap().mac, MAC);
    let d = boot.durations();
    assert_eq!(d[0], (Stage::Dhcp, 500), "until the boot program came");
    assert_eq!(d.last().unwrap().0, Stage::Config);

    // Firmware asking again after all that: a second boot.
    m.apply(dhcp(100_000, &MAC, "bios", "DISCOVER", Some("OFFER")));
    assert_eq!(m.find("52:54:00:89:d8:10").unwrap().boots.len(), 2);
}

#[test]
fn an_unmatched_machine_fails_with_the_reason_and_the_nearest_group() {
    let mut m = Machines::new(Limits::default());
    m.apply(dhcp(0, &MAC, "ipxe", "DISCOVER", Some("OFFER")));
    m.apply(http(
        100,
        "/ipxe",
        "/ipxe",
        &[("mac", "52-54-00-89-d8-10"), ("os", "live")],
        404,
    ));
    let machine = m.find("52-54-00-89-D8-10").unwrap();
    let boot = machine.current().unwrap();
    let outcome = boot.outcome(200, 300_000);
    assert!(matches!(&outcome, Outcome::Failed { reason, .. } if reason == "no-matching-group"));
    assert!(!machine.known);
    let groups = model::GroupSet::new(vec![
        model::LoadedGroup {
            file_name: "worker.json".into(),
            group: model::Group::from_json(br#"{"id":"worker","selector":{"os":"installed","region":"a"}}"#).unwrap(),
        },
        model::LoadedGroup {
            file_name: "far.json".into(),
            group: model::Group::from_json(
                br#"{"id":"far","selector":{"mac":"52:54:00:00:00:01","os":"x","zone":"z"}}"#,
            )
            .unwrap(),
        },
    ]);
    let advice = explain::advice(machine, &outcome, Some(&groups)).unwrap();
    assert!(
        advice.contains("no group matches labels mac=52:54:00:89:d8:10, os=live")
            || advice.contains("no group matches labels"),
        "{advice}"
    );
    assert!(
        advice.contains("`worker`") && advice.contains("os=installed (it sent os=live)"),
        "{advice}"
    );
    // Fixed: a later success clears the failure.
    m.apply(http(500, "/ipxe", "/ipxe", &[("mac", "52-54-00-89-d8-10")], 200));
    let boot = m.find("52:54:00:89:d8:10").unwrap().current().unwrap();
    assert_eq!(boot.outcome(600, 300_000), Outcome::Booting);
    assert_eq!(boot.outcome(400_000, 300_000).name(), "stuck");
}

#[test]
fn events_from_an_address_wait_for_the_dhcp_exchange_that_names_it() {
    let mut m = Machines::new(Limits::default());
    // The TFTP transfer and the script request come before anything links
    // the address (a proxy setup, or events drained out of order).
    assert_eq!(m.apply(tftp(100, None)), None);
    assert_eq!(m.apply(http(200, "/boot.ipxe", "/boot.ipxe", &[], 200)), None);
    m.apply(dhcp(50, &MAC, "bios", "REQUEST", Some("ACK")));
    let boot = m.find("52:54:00:89:d8:10").unwrap().current().unwrap();
    assert_eq!(boot.entries.len(), 3);
    assert_eq!(boot.stage(), Some(Stage::Script));
    assert_eq!(m.counts().unattributed, 0);
}

#[test]
fn a_failed_transfer_is_the_boots_failure() {
    let mut m = Machines::new(Limits::default());
    m.apply(dhcp(0, &MAC, "uefi-x64", "REQUEST", Some("ACK")));
    m.apply(tftp(100, Some("timed-out")));
    let boot = m.find("52:54:00:89:d8:10").unwrap().current().unwrap();
    assert!(matches!(boot.outcome(200, 300_000), Outcome::Failed { reason, .. } if reason == "tftp-timed-out"));
}

/// 100,000 random MACs (a DHCP starvation attempt) stay within the bounds,
/// are counted as evicted, and do not push out a machine a group selected.
#[test]
fn a_flood_of_random_macs_evicts_unknown_machines_only() {
    let limits = Limits {
        machines: 1_000,
        unknown: 400,
        ..Limits::default()
    };
    let mut m = Machines::new(limits);
    chain_boot(&mut m, 0);
    let mut seed: u64 = 0x9e3779b97f4a7c15;
    for i in 0..100_000u64 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mac = seed.to_be_bytes()[2..8].to_vec();
        m.apply(dhcp(30_000 + i, &mac, "plain", "DISCOVER", None));
    }
    let c = m.counts();
    assert!(m.len() <= 1_000);
    assert!(c.unknown <= 400, "{c:?}");
    assert_eq!(c.known, 1);
    assert!(c.evicted_unknown >= 99_000, "{c:?}");
    assert_eq!(c.evicted_known, 0);
    assert!(m.find("52:54:00:89:d8:10").is_some(), "the known machine survives");
    let (_, removed) = m.take_changes();
    assert!(removed.len() >= 99_000);
}

#[test]
fn boots_and_events_per_machine_are_bounded() {
    let limits = Limits {
        boots_known: 3,
        events_known: 10,
        ..Limits::default()
    };
    let mut m = Machines::new(limits);
    for b in 0..10 {
        chain_boot(&mut m, b * 1_000_000);
    }
    let machine = m.find("52:54:00:89:d8:10").unwrap();
    assert_eq!(machine.boots.len(), 3);
    // The same request in a loop is one entry, counted.
    for _ in 0..50 {
        m.apply(http(
            9_030_000,
            "/boot.ipxe",
            "/boot.ipxe",
            &[("mac", "52:54:00:89:d8:10")],
            404,
        ));
    }
    let boot = m.find("52:54:00:89:d8:10").unwrap().current().unwrap();
    assert_eq!(boot.entries.last().unwrap().repeats, 49);
    // Different requests are each stored, within the bound.
    for i in 0..50 {
        let path = format!("/assets/x{i}");
        m.apply(http(9_030_001, "/assets/", &path, &[("mac", "52:54:00:89:d8:10")], 404));
    }
    let boot = m.find("52:54:00:89:d8:10").unwrap().current().unwrap();
    assert_eq!(boot.entries.len(), 10);
    assert!(boot.truncated >= 40, "{}", boot.truncated);
    assert_eq!(boot.reached.len(), 6, "milestones are kept");
}

fn raw_http(at: Millis, query: &str) -> Event {
    let mut e = http(at, "/ipxe", "/ipxe", &[], 200);
    if let EventKind::Http(h) = &mut e.kind {
        h.raw_query = Some(query.into());
    }
    e
}

/// Reading a label from the query as it came agrees with splitting it.
#[test]
fn labels_read_from_an_unsplit_query_agree_with_the_split_labels() {
    let pieces = [
        "mac",
        "uuid",
        "os",
        "=",
        "&",
        ";",
        "%41",
        "%zz",
        "+",
        "a",
        "",
        "52-54-00-89-d8-10",
        "%6dac",
    ];
    let mut seed: u64 = 0x2545f4914f6cdd1d;
    for _ in 0..20_000 {
        let mut q = String::new();
        for _ in 0..(seed % 9) {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            q.push_str(pieces[(seed % pieces.len() as u64) as usize]);
        }
        let mut raw = Http {
            client: None,
            route: "/ipxe".into(),
            path: String::new(),
            labels: Vec::new(),
            raw_query: Some(q.clone()),
            status: 200,
            reason: None,
            detail: None,
            selection: None,
            query_hash: 0,
        };
        let unsplit: Vec<Option<String>> = ["mac", "uuid", "os", "A"]
            .iter()
            .map(|k| raw.label(k).map(|v| v.into_owned()))
            .collect();
        raw.split_query();
        let split: Vec<Option<String>> = ["mac", "uuid", "os", "A"]
            .iter()
            .map(|k| raw.label(k).map(|v| v.into_owned()))
            .collect();
        assert_eq!(unsplit, split, "query {q:?}");
    }
}

/// The same query is a repeat, told by its hash before it is split; a
/// different one is a new entry.
#[test]
fn a_repeated_query_is_counted_before_it_is_split() {
    let mut m = Machines::new(Limits::default());
    let q = "mac=52-54-00-89-d8-10&os=installed";
    let mut first = raw_http(1_000, q);
    if let EventKind::Http(h) = &mut first.kind {
        h.split_query();
    }
    m.apply(first);
    for i in 0..5 {
        let mut again = raw_http(2_000 + i, q);
        if let EventKind::Http(h) = &mut again.kind {
            h.hash_query();
        }
        assert!(m.count_repeat(&again, 0, 0).is_some());
    }
    let mut other = raw_http(3_000, "mac=52-54-00-89-d8-10&os=other");
    if let EventKind::Http(h) = &mut other.kind {
        h.hash_query();
    }
    assert!(m.count_repeat(&other, 0, 0).is_none());
    let boot = m.find("52:54:00:89:d8:10").unwrap().current().unwrap();
    assert_eq!(boot.entries.len(), 1);
    assert_eq!(boot.entries[0].repeats, 5);
    assert_eq!(boot.entries[0].last_at, 2_004);
}

/// A machine kept busy only by counted repeats is still recently used: a
/// flood evicts the machines that went quiet first.
#[test]
fn counted_repeats_keep_a_machine_from_eviction() {
    let limits = Limits {
        machines: 100,
        unknown: 10,
        ..Limits::default()
    };
    let mut m = Machines::new(limits);
    let busy = [0x02, 0, 0, 0, 0, 0xff];
    m.apply(dhcp(0, &busy, "plain", "DISCOVER", None));
    for i in 0..100u64 {
        let mac = [0x02, 0, 0, 0, (i >> 8) as u8, i as u8];
        m.apply(dhcp(1 + i, &mac, "plain", "DISCOVER", None));
        // The busy machine repeats its DISCOVER between newcomers.
        assert!(
            m.count_repeat(&dhcp(1 + i, &busy, "plain", "DISCOVER", None), 0, 0)
                .is_some()
        );
    }
    assert!(m.get_mac(&busy).is_some(), "the busy machine was evicted");
    assert_eq!(m.counts().unknown, 10);
    assert_eq!(m.counts().evicted_unknown, 91);
}
