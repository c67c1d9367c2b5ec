//! DHCP leases in etcd, shared by every replica of a prefix.
//!
//! One key per address (`leases/ip/A`, the lease record) and one per client
//! (`leases/client/ID`, the address it holds), written together in one
//! transaction that holds only if neither changed since this replica last
//! saw them (compare-and-swap on their mod revisions). A replica whose view
//! was stale loses the race: nothing is written, the transaction's failure
//! branch returns what the keys hold now, and the DHCP service answers NAK
//! instead of ACK. An ACK is sent only after the transaction committed.
//!
//! Expiry lives in the record (Unix seconds), not in etcd leases, so a
//! lease outlives an etcd outage and a replica's death alike.
//!
//! [`sync`] brings other replicas' records in: a full read at a known
//! revision, then the watch from the next one (again from a full read after
//! a compaction).

use std::collections::HashMap;
use std::net::Ipv4Addr;
use std::sync::Arc;

use dhcp::{Lease, LeaseState};
use dhcp_server::store::BoxFuture;
use dhcp_server::{Commit, LeaseStore, Outcome, RecordKey, Remote, Service};
use etcd::{Error as EtcdError, EventKind, Kv, OpResult, Txn};
use tokio_util::sync::CancellationToken;

use crate::Cluster;
use crate::follow::follow;
use crate::keys::LeaseKey;

/// Commits per transaction: each writes at most three keys (the lease,
/// the client's pointer, its released previous address), compared and read
/// back on failure, so 32 stay within etcd's default of 128 operations.
const COMMITS_PER_TXN: usize = 32;
/// Transactions in flight at once (etcd batches concurrent proposals).
const TXNS_IN_FLIGHT: usize = 8;

/// A lease record as stored: the lease file's fields (readable with
/// `etcdctl get`), and the replica that wrote it.
pub fn encode(l: &Lease, replica: &str) -> Vec<u8> {
    let mut record = dhcp_server::record_json(l);
    record.insert("replica".into(), replica.into());
    serde_json::Value::Object(record).to_string().into_bytes()
}

/// A stored record, or `None` when it is not one (written by hand, or by a
/// newer kindling): such a record blocks nothing and is logged.
pub fn decode(ip: Ipv4Addr, bytes: &[u8]) -> Option<Lease> {
    dhcp_server::record_from_json(ip, &serde_json::from_slice(bytes).ok()?)
}

/// The replica that wrote a record, for `kindling leases` and debugging.
pub fn writer(bytes: &[u8]) -> Option<String> {
    let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
    v.get("replica")?.as_str().map(str::to_owned)
}

/// What a key holds, as the DHCP service takes it.
pub(crate) fn remote(cluster: &Cluster, kind: EventKind, kv: &Kv) -> Option<Remote> {
    let version = kv.mod_revision;
    match cluster.keys.lease(&kv.key)? {
        LeaseKey::Address(ip) => {
            let lease = match kind {
                EventKind::Delete => None,
                EventKind::Put => {
                    let lease = decode(ip, &kv.value);
                    if lease.is_none() {
                        tracing::warn!(%ip, "etcd: skipping a lease record that does not decode");
                    }
                    lease
                }
            };
            Some(Remote::Address { ip, lease, version })
        }
        LeaseKey::Client(client) => {
            let ip = match kind {
                EventKind::Delete => None,
                EventKind::Put => std::str::from_utf8(&kv.value).ok().and_then(|s| s.parse().ok()),
            };
            Some(Remote::Client { client, ip, version })
        }
    }
}

/// The lease store over etcd.
pub struct EtcdLeases {
    cluster: Arc<Cluster>,
}

impl EtcdLeases {
    pub fn new(cluster: Arc<Cluster>) -> EtcdLeases {
        EtcdLeases { cluster }
    }

    fn key(&self, k: &RecordKey) -> Vec<u8> {
        match k {
            RecordKey::Address(ip) => self.cluster.keys.lease_address(*ip),
            RecordKey::Client(c) => self.cluster.keys.lease_client(c),
        }
    }

    /// One transaction for `commits`: every compare, every write, and on
    /// failure a read of every key.
    fn transaction(&self, commits: &[&Commit]) -> Txn {
        let mut txn = Txn::new();
        for c in commits {
            for (k, version) in &c.expected {
                txn = txn.when_mod_revision(&self.key(k), *version);
            }
            for lease in &c.leases {
                txn = txn.and_put(
                    &self.cluster.keys.lease_address(lease.ip),
                    &encode(lease, &self.cluster.replica),
                    0,
                );
            }
            if let Some(first) = c.leases.first()
                && first.state == LeaseState::Active
            {
                txn = txn.and_put(
                    &self.cluster.keys.lease_client(&first.client),
                    first.ip.to_string().as_bytes(),
                    0,
                );
            }
            for (k, _) in &c.expected {
                txn = txn.or_get(&self.key(k));
            }
        }
        txn
    }

    async fn commit_all(self: Arc<Self>, batch: Vec<Commit>) -> Vec<Outcome> {
        let mut outcomes: Vec<Option<Outcome>> = vec![None; batch.len()];
        let mut open: Vec<usize> = (0..batch.len()).collect();
        // Each failed round settles at least one conflict, so this ends.
        while !open.is_empty() {
            let commits: Vec<&Commit> = open.iter().map(|&i| &batch[i]).collect();
            let txn = self.transaction(&commits);
            match self.cluster.client.txn(&txn).await {
                Ok(done) if done.succeeded => {
                    self.cluster.lease_lag.wrote(done.revision);
                    for &i in &open {
                        let versions = batch[i]
                            .expected
                            .iter()
                            .map(|(k, _)| (k.clone(), done.revision))
                            .collect();
                        outcomes[i] = Some(Outcome::Stored { versions });
                    }
                    open.clear();
                }
                Ok(failed) => {
                    metrics::counter!("kindling_etcd_cas_conflicts_total").increment(1);
                    // What each key holds now, from the failure branch.
                    let mut now: HashMap<Vec<u8>, Kv> = HashMap::new();
                    for r in failed.results {
                        if let OpResult::Get(kvs) = r {
                            for kv in kvs {
                                now.insert(kv.key.clone(), kv);
                            }
                        }
                    }
                    let mut still_open = Vec::new();
                    for &i in &open {
                        let c = &batch[i];
                        let moved = c
                            .expected
                            .iter()
                            .any(|(k, v)| now.get(&self.key(k)).map(|kv| kv.mod_revision).unwrap_or(0) != *v);
                        if !moved {
                            still_open.push(i);
                            continue;
                        }
                        let current = c
                            .expected
                            .iter()
                            .map(|(k, _)| {
                                let key = self.key(k);
                                match now.get(&key) {
                                    Some(kv) => remote(&self.cluster, EventKind::Put, kv),
                                    None => Some(match k {
                                        RecordKey::Address(ip) => Remote::Address {
                                            ip: *ip,
                                            lease: None,
                                            version: 0,
                                        },
                                        RecordKey::Client(client) => Remote::Client {
                                            client: client.clone(),
                                            ip: None,
                                            version: 0,
                                        },
                                    }),
                                }
                            })
                            .collect::<Option<Vec<_>>>()
                            .unwrap_or_default();
                        outcomes[i] = Some(Outcome::Conflict { current });
                    }
                    if still_open.len() == open.len() {
                        // Nothing identified (cannot happen with an honest
                        // answer): do not loop, report every commit failed.
                        for &i in &open {
                            outcomes[i] = Some(Outcome::Failed {
                                reason: "the transaction failed but no key had changed".into(),
                            });
                        }
                        open.clear();
                    } else {
                        open = still_open;
                    }
                }
                Err(e) => {
                    if e.is_unavailable() {
                        self.cluster.health.failed(&e);
                    }
                    for &i in &open {
                        outcomes[i] = Some(Outcome::Failed { reason: e.to_string() });
                    }
                    open.clear();
                }
            }
        }
        outcomes
            .into_iter()
            .map(|o| {
                o.unwrap_or(Outcome::Failed {
                    reason: "not attempted".into(),
                })
            })
            .collect()
    }
}

impl LeaseStore for EtcdLeases {
    fn describe(&self) -> String {
        format!("{} (leases/)", self.cluster.describe())
    }

    fn limits(&self) -> (usize, usize) {
        (COMMITS_PER_TXN, TXNS_IN_FLIGHT)
    }

    fn commit(self: Arc<Self>, batch: Vec<Commit>) -> BoxFuture<'static, Vec<Outcome>> {
        Box::pin(self.commit_all(batch))
    }
}

/// Every lease key at one revision, as the DHCP service takes them.
pub async fn load(cluster: &Cluster) -> Result<(Vec<Remote>, i64), EtcdError> {
    let (kvs, revision) = cluster
        .client
        .get_prefix(&cluster.keys.leases_prefix(), None, 5000, |_| {})
        .await?;
    let records = kvs
        .iter()
        .filter_map(|kv| remote(cluster, EventKind::Put, kv))
        .collect();
    Ok((records, revision))
}

/// Keeps the service's view of the leases current from the watch, after
/// `revision` (that of the records it was built from), until `stop`.
pub async fn sync(cluster: Arc<Cluster>, service: Arc<Service>, revision: i64, stop: CancellationToken) {
    let apply = |batch: etcd::WatchBatch| {
        let records = batch
            .events
            .iter()
            .filter_map(|e| remote(&cluster, e.kind, &e.kv))
            .collect();
        service.apply_remote(records);
        cluster.lease_lag.applied("leases", batch.revision);
    };
    let reload = || async {
        let (records, revision) = load(&cluster).await?;
        service.reset(records);
        Ok(revision)
    };
    let prefix = cluster.keys.leases_prefix();
    follow(&cluster, "leases", prefix, revision, &stop, apply, reload).await;
}

#[cfg(test)]
mod tests {
    use super::*;
    use dhcp::ClientKey;

    #[test]
    fn records_round_trip_and_bad_ones_do_not_decode() {
        let l = Lease {
            ip: Ipv4Addr::new(10, 0, 0, 5),
            client: ClientKey(vec![1, 2, 3]),
            hw: vec![2, 3],
            hostname: Some("n1".into()),
            expires: 123,
            state: LeaseState::Released,
        };
        let bytes = encode(&l, "kindling-a");
        assert_eq!(decode(l.ip, &bytes), Some(l.clone()));
        assert_eq!(writer(&bytes).as_deref(), Some("kindling-a"));
        assert_eq!(decode(l.ip, b"{}"), None);
        assert_eq!(decode(l.ip, b"\xff"), None);
        assert_eq!(decode(l.ip, br#"{"client":"0","expires":1,"state":"active"}"#), None);
    }
}
