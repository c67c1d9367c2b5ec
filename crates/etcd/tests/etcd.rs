//! The client against real etcd members (Debian's etcd-server) on
//! loopback: compare-and-swap, paged reads at one revision, watches and
//! compaction, leases, and failover when members die or lose quorum.

use std::time::{Duration, Instant};

use etcd::testing::EtcdCluster;
use etcd::{Client, Config, Error, EventKind, OpResult, Txn};

fn available() -> bool {
    etcd::testing::available("etcd client tests")
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

fn client(cluster: &EtcdCluster) -> Client {
    let mut cfg = Config::new(cluster.endpoints());
    cfg.request_timeout = Duration::from_millis(1500);
    Client::new(cfg).unwrap()
}

#[test]
fn compare_and_swap_paged_reads_and_deletes() {
    if !available() {
        return;
    }
    let cluster = EtcdCluster::start(1);
    let rt = runtime();
    let _enter = rt.enter();
    let c = client(&cluster);
    rt.block_on(async {
        // Create only if absent: mod revision 0 means "does not exist".
        let create = Txn::new()
            .when_mod_revision(b"/t/a", 0)
            .and_put(b"/t/a", b"1", 0)
            .or_get(b"/t/a");
        let first = c.txn(&create).await.unwrap();
        assert!(first.succeeded);
        let second = c.txn(&create).await.unwrap();
        assert!(!second.succeeded, "a second create must fail");
        let OpResult::Get(kvs) = &second.results[0] else {
            panic!()
        };
        assert_eq!(kvs[0].value, b"1");
        assert_eq!(kvs[0].mod_revision, first.revision);
        // Update against the revision read: wins once, then loses.
        let update = Txn::new()
            .when_mod_revision(b"/t/a", first.revision)
            .and_put(b"/t/a", b"2", 0);
        assert!(c.txn(&update).await.unwrap().succeeded);
        assert!(!c.txn(&update).await.unwrap().succeeded);
        let (kv, _) = c.get(b"/t/a").await.unwrap();
        assert_eq!(kv.unwrap().value, b"2");

        // 25 keys read in pages of 7, all at one revision even while
        // another key is written in between.
        for i in 0..25 {
            c.put(format!("/t/p/{i:02}").as_bytes(), b"x", 0).await.unwrap();
        }
        let mut pages = Vec::new();
        let (kvs, rev) = c.get_prefix(b"/t/p/", None, 7, |n| pages.push(n)).await.unwrap();
        assert_eq!(kvs.len(), 25);
        assert_eq!(pages, [7, 14, 21, 25]);
        c.put(b"/t/p/99", b"late", 0).await.unwrap();
        let (again, rev2) = c.get_prefix(b"/t/p/", Some(rev), 7, |_| {}).await.unwrap();
        assert_eq!(
            (again.len(), rev2),
            (25, rev),
            "a read at a revision ignores later writes"
        );

        let (deleted, _) = c.delete(b"/t/a").await.unwrap();
        assert_eq!(deleted, 1);
        assert_eq!(c.get(b"/t/a").await.unwrap().0, None);
        // etcd refuses a transaction that writes one key twice: an error
        // that another endpoint would repeat, so it is not retried.
        let twice = Txn::new().and_put(b"/t/d", b"1", 0).and_put(b"/t/d", b"2", 0);
        assert!(matches!(c.txn(&twice).await, Err(Error::Rejected { .. })));
    });
}

#[test]
fn watches_deliver_changes_in_order_and_report_compaction() {
    if !available() {
        return;
    }
    let cluster = EtcdCluster::start(1);
    let rt = runtime();
    let _enter = rt.enter();
    let c = client(&cluster);
    rt.block_on(async {
        let start = c.put(b"/w/a", b"1", 0).await.unwrap();
        c.put(b"/w/b", b"2", 0).await.unwrap();
        let end = c.delete(b"/w/a").await.unwrap().1;
        c.put(b"/x/outside", b"-", 0).await.unwrap();
        let mut w = c.watch(b"/w/", &etcd::prefix_end(b"/w/"), start).await.unwrap();
        let mut seen = Vec::new();
        while seen.len() < 3 {
            let batch = tokio::time::timeout(Duration::from_secs(5), w.next())
                .await
                .unwrap()
                .unwrap();
            for e in batch.events {
                seen.push((e.kind, String::from_utf8(e.kv.key).unwrap(), e.kv.mod_revision));
            }
        }
        assert_eq!(seen[0], (EventKind::Put, "/w/a".into(), start));
        assert_eq!(seen[1].0, EventKind::Put);
        assert_eq!(seen[2], (EventKind::Delete, "/w/a".into(), end));
        // A progress report carries the revision reached.
        w.request_progress().await;
        let progress = tokio::time::timeout(Duration::from_secs(5), w.next())
            .await
            .unwrap()
            .unwrap();
        assert!(progress.events.is_empty());
        assert!(progress.revision >= end);

        // History compacted away: the watch says so instead of skipping.
        let now = c.put(b"/w/c", b"3", 0).await.unwrap();
        c.compact(now).await.unwrap();
        // (etcd confirms the watch first, then cancels it.)
        let outcome = match c.watch(b"/w/", &etcd::prefix_end(b"/w/"), start).await {
            Ok(mut w) => tokio::time::timeout(Duration::from_secs(5), w.next())
                .await
                .unwrap()
                .map(|_| ()),
            Err(e) => Err(e),
        };
        match outcome {
            Err(Error::Compacted { compacted, .. }) => assert!(compacted >= now),
            other => panic!("{other:?}"),
        }
    });
}

#[test]
fn leased_keys_live_while_refreshed_and_go_when_revoked() {
    if !available() {
        return;
    }
    let cluster = EtcdCluster::start(1);
    let rt = runtime();
    let _enter = rt.enter();
    let c = client(&cluster);
    rt.block_on(async {
        let id = c.lease_grant(5).await.unwrap();
        c.put(b"/l/member", b"me", id).await.unwrap();
        assert!(c.lease_keep_alive(id).await.unwrap() > 0);
        assert!(c.get(b"/l/member").await.unwrap().0.is_some());
        c.lease_revoke(id).await.unwrap();
        assert!(c.get(b"/l/member").await.unwrap().0.is_none());
        assert_eq!(c.lease_keep_alive(id).await.unwrap(), 0, "an ended lease reports ttl 0");
    });
}

/// With three members: a dead endpoint costs one timeout and requests move
/// to a live one; with two of three dead, the survivor has no leader and
/// refuses at once instead of stalling; when a quorum is back, requests
/// succeed again.
#[test]
fn failover_between_members_and_loss_of_quorum() {
    if !available() {
        return;
    }
    let mut cluster = EtcdCluster::start(3);
    let rt = runtime();
    let _enter = rt.enter();
    let c = client(&cluster);
    rt.block_on(async {
        c.put(b"/f/a", b"1", 0).await.unwrap();
    });
    let preferred = c.preferred_endpoint();
    let idx = cluster.endpoints().iter().position(|e| *e == preferred).unwrap();
    cluster.kill(idx);
    rt.block_on(async {
        // When the killed member led, the other two elect a leader first;
        // on a loaded machine that can outlast one round over the
        // endpoints, so the write is retried as an application would,
        // within the same 10 s bound.
        let began = Instant::now();
        loop {
            match c.put(b"/f/a", b"2", 0).await {
                Ok(_) => break,
                Err(e) if e.is_unavailable() && began.elapsed() < Duration::from_secs(10) => {
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                Err(e) => panic!("no live member took the write within 10 s: {e}"),
            }
        }
        assert!(began.elapsed() < Duration::from_secs(10), "{:?}", began.elapsed());
        assert_ne!(c.preferred_endpoint(), preferred, "moved to a live endpoint");
        // And stays there: the next request does not wait on the dead one.
        let began = Instant::now();
        c.get(b"/f/a").await.unwrap();
        assert!(began.elapsed() < Duration::from_millis(1000), "{:?}", began.elapsed());
    });
    // Kill a second member: no quorum.
    let second = (0..3).find(|&i| i != idx).unwrap();
    cluster.kill(second);
    rt.block_on(async {
        // Let the survivor notice it lost its leader.
        tokio::time::sleep(Duration::from_secs(2)).await;
        let began = Instant::now();
        let err = c.put(b"/f/a", b"3", 0).await.unwrap_err();
        assert!(err.is_unavailable(), "{err}");
        assert!(began.elapsed() < Duration::from_secs(8), "{:?}", began.elapsed());
        let statuses = c.status().await;
        assert_eq!(statuses.iter().filter(|s| s.status.is_ok()).count(), 1);
    });
    cluster.restart(second);
    cluster.wait_ready(Duration::from_secs(30));
    rt.block_on(async {
        c.put(b"/f/a", b"4", 0).await.unwrap();
        assert_eq!(c.get(b"/f/a").await.unwrap().0.unwrap().value, b"4");
    });
}
