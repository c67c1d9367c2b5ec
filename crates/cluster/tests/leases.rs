//! The shared lease store against a real etcd member: two replicas racing
//! for one address (one wins, the other learns who did), a batch in which
//! one commit lost (the rest still stored), and a stale view (refused).

use std::net::Ipv4Addr;
use std::sync::Arc;

use cluster::{Cluster, EtcdLeases, Settings};
use dhcp::{ClientKey, Lease, LeaseState};
use dhcp_server::{Commit, LeaseStore, Outcome, RecordKey, Remote};
use etcd::testing::EtcdCluster;

fn available() -> bool {
    etcd::testing::available("shared lease store tests")
}

fn lease(ip: Ipv4Addr, client: u8) -> Lease {
    Lease {
        ip,
        client: ClientKey(vec![1, 0x52, 0x54, 0, 0, 0, client]),
        hw: vec![0x52, 0x54, 0, 0, 0, client],
        hostname: None,
        expires: 4_000_000_000,
        state: LeaseState::Active,
    }
}

/// A commit of a fresh lease, expecting both its keys to be absent.
fn fresh(ip: Ipv4Addr, client: u8) -> Commit {
    let l = lease(ip, client);
    let expected = Commit::keys(std::slice::from_ref(&l))
        .into_iter()
        .map(|k| (k, 0))
        .collect();
    Commit {
        leases: vec![l],
        expected,
    }
}

fn store(etcd: &EtcdCluster, rt: &tokio::runtime::Runtime, replica: &str) -> Arc<EtcdLeases> {
    let settings = Settings {
        etcd: etcd::Config::new(etcd.endpoints()),
        prefix: "/kindling/".into(),
        replica: replica.into(),
    };
    let cluster = Cluster::connect(settings, rt.handle().clone()).unwrap();
    Arc::new(EtcdLeases::new(cluster))
}

#[test]
fn racing_replicas_one_address_one_winner() {
    if !available() {
        return;
    }
    let etcd = EtcdCluster::start(1);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (a, b) = (store(&etcd, &rt, "a"), store(&etcd, &rt, "b"));
    let x = Ipv4Addr::new(10, 0, 0, 50);
    rt.block_on(async {
        // Twenty races, each for a new address.
        for i in 0..20u8 {
            let ip = Ipv4Addr::new(10, 0, 1, i);
            let (ra, rb) = tokio::join!(
                a.clone().commit(vec![fresh(ip, 2 * i)]),
                b.clone().commit(vec![fresh(ip, 2 * i + 1)])
            );
            let outcomes = [&ra[0], &rb[0]];
            let won: Vec<_> = outcomes.iter().filter(|o| matches!(o, Outcome::Stored { .. })).collect();
            assert_eq!(won.len(), 1, "exactly one replica wins: {outcomes:?}");
            let winner = if matches!(ra[0], Outcome::Stored { .. }) { 2 * i } else { 2 * i + 1 };
            let lost = outcomes.iter().find(|o| matches!(o, Outcome::Conflict { .. })).unwrap();
            let Outcome::Conflict { current } = lost else { unreachable!() };
            // The loser learns who holds the address now.
            assert!(current.iter().any(|r| matches!(r,
                Remote::Address { ip: got, lease: Some(l), version } if *got == ip && l.client == lease(ip, winner).client && *version > 0)));
        }

        // A batch of five where one address is taken: four stored, one lost.
        let first = a.clone().commit(vec![fresh(x, 100)]).await;
        assert!(matches!(first[0], Outcome::Stored { .. }));
        let batch: Vec<Commit> = (0..5u8)
            .map(|i| if i == 2 { fresh(x, 101) } else { fresh(Ipv4Addr::new(10, 0, 2, i), 110 + i) })
            .collect();
        let out = b.clone().commit(batch).await;
        for (i, o) in out.iter().enumerate() {
            if i == 2 {
                assert!(matches!(o, Outcome::Conflict { .. }), "{o:?}");
            } else {
                assert!(matches!(o, Outcome::Stored { .. }), "{i}: {o:?}");
            }
        }

        // A stale view: renewing with an old version is refused; with the
        // version the store reported, it is stored.
        let Outcome::Stored { versions } = &first[0] else { unreachable!() };
        let v = versions.iter().find(|(k, _)| *k == RecordKey::Address(x)).unwrap().1;
        let mut renew = lease(x, 100);
        renew.expires += 3600;
        let stale = Commit {
            leases: vec![renew.clone()],
            expected: Commit::keys(std::slice::from_ref(&renew)).into_iter().map(|k| (k, v - 1)).collect(),
        };
        assert!(matches!(a.clone().commit(vec![stale]).await[0], Outcome::Conflict { .. }));
        let current = Commit {
            leases: vec![renew.clone()],
            expected: Commit::keys(std::slice::from_ref(&renew)).into_iter().map(|k| (k, v)).collect(),
        };
        assert!(matches!(a.clone().commit(vec![current]).await[0], Outcome::Stored { .. }));
    });
    // Both keys of a lease are in etcd, readable by hand.
    let keys: Vec<String> = etcd
        .get_prefix("/kindling/leases/")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(keys.contains(&"/kindling/leases/ip/10.0.0.50".to_owned()), "{keys:?}");
    assert!(
        keys.contains(&"/kindling/leases/client/01525400000064".to_owned()),
        "{keys:?}"
    );
}
