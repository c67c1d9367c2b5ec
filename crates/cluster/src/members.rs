//! Replicas: each registers itself under `members/NAME` with a short etcd
//! lease that it refreshes, so that the key disappears a few seconds after
//! the replica dies; every replica watches `members/` to know who is alive
//! and gives the DHCP service its share of each range among them.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dhcp_server::Service;
use etcd::{Error as EtcdError, EventKind, Txn};
use store::Store;
use tokio_util::sync::CancellationToken;

use crate::Cluster;
use crate::follow::{follow, sleep_or_stop};

/// Seconds a replica's registration outlives its last refresh.
pub const MEMBER_TTL: i64 = 5;

/// What a replica says about itself in `members/NAME`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRecord {
    pub name: String,
    pub version: String,
    /// Unix seconds.
    pub started: u64,
    /// The HTTP address it serves on.
    pub http: String,
    /// The etcd revision its configuration snapshot has reached.
    pub config_revision: u64,
}

impl MemberRecord {
    pub fn encode(&self) -> Vec<u8> {
        serde_json::json!({
            "name": self.name,
            "version": self.version,
            "started": self.started,
            "http": self.http,
            "config_revision": self.config_revision,
        })
        .to_string()
        .into_bytes()
    }

    pub fn decode(bytes: &[u8]) -> Option<MemberRecord> {
        let v: serde_json::Value = serde_json::from_slice(bytes).ok()?;
        Some(MemberRecord {
            name: v.get("name")?.as_str()?.to_owned(),
            version: v.get("version").and_then(|x| x.as_str()).unwrap_or("").to_owned(),
            started: v.get("started").and_then(|x| x.as_u64()).unwrap_or(0),
            http: v.get("http").and_then(|x| x.as_str()).unwrap_or("").to_owned(),
            config_revision: v.get("config_revision").and_then(|x| x.as_u64()).unwrap_or(0),
        })
    }
}

/// Registers this replica and keeps its registration alive (and its
/// configuration revision current) until `stop`; then removes it.
pub async fn register(cluster: Arc<Cluster>, store: Arc<Store>, http: String, stop: CancellationToken) {
    let key = cluster.keys.member(&cluster.replica);
    let started = dhcp_server::unix_now();
    let record = |revision: u64| MemberRecord {
        name: cluster.replica.clone(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        started,
        http: http.clone(),
        config_revision: revision,
    };
    let mut waiting_logged = false;
    'register: loop {
        let lease = match cluster.client.lease_grant(MEMBER_TTL).await {
            Ok(id) => id,
            Err(e) => {
                cluster.health.failed(&e);
                if sleep_or_stop(&stop, Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        };
        let mut published = store.snapshot().revision;
        // Only if the name is free: a second replica with the same name
        // must not take over the first one's registration.
        let claim = Txn::new()
            .when_version(&key, 0)
            .and_put(&key, &record(published).encode(), lease);
        match cluster.client.txn(&claim).await {
            Ok(done) if done.succeeded => {
                tracing::info!(replica = %cluster.replica, "etcd: registered as a replica");
                waiting_logged = false;
            }
            Ok(_) => {
                let _ = cluster.client.lease_revoke(lease).await;
                if !waiting_logged {
                    tracing::warn!(
                        replica = %cluster.replica,
                        "etcd: another registration holds this replica name; waiting for it to expire (give each replica its own --replica-name)"
                    );
                    waiting_logged = true;
                }
                if sleep_or_stop(&stop, Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
            Err(e) => {
                cluster.health.failed(&e);
                if sleep_or_stop(&stop, Duration::from_secs(1)).await {
                    return;
                }
                continue;
            }
        }
        // Refresh at a third of the TTL; publish the snapshot's revision
        // when it moved.
        let refresh = Duration::from_millis((MEMBER_TTL as u64 * 1000) / 3);
        loop {
            if sleep_or_stop(&stop, refresh).await {
                let _ = cluster.client.lease_revoke(lease).await;
                tracing::info!(replica = %cluster.replica, "etcd: registration removed");
                return;
            }
            match cluster.client.lease_keep_alive(lease).await {
                Ok(ttl) if ttl > 0 => {}
                Ok(_) => {
                    tracing::warn!(replica = %cluster.replica, "etcd: the registration expired; registering again");
                    continue 'register;
                }
                Err(e) => {
                    cluster.health.failed(&e);
                    continue;
                }
            }
            let revision = store.snapshot().revision;
            if revision != published {
                // Only over our own registration (the key still carries our lease).
                let update = Txn::new()
                    .when_lease(&key, lease)
                    .and_put(&key, &record(revision).encode(), lease);
                if cluster.client.txn(&update).await.is_ok_and(|d| d.succeeded) {
                    published = revision;
                }
            }
        }
    }
}

/// Watches `members/` and gives the DHCP service its share among the live
/// replicas whenever they change, until `stop`.
pub async fn watch(cluster: Arc<Cluster>, service: Option<Arc<Service>>, stop: CancellationToken) {
    let prefix = cluster.keys.members_prefix();
    // The first full read, retried until etcd answers.
    let revision = loop {
        match read_all(&cluster, service.as_deref()).await {
            Ok(r) => break r,
            Err(e) => {
                cluster.health.failed(&e);
                if sleep_or_stop(&stop, Duration::from_secs(1)).await {
                    return;
                }
            }
        }
    };
    let apply = |batch: etcd::WatchBatch| {
        publish(&cluster, service.as_deref(), |live| {
            for e in batch.events {
                let name = cluster
                    .keys
                    .relative(&e.kv.key)
                    .trim_start_matches("members/")
                    .to_owned();
                match e.kind {
                    EventKind::Delete => {
                        live.remove(&name);
                    }
                    EventKind::Put => {
                        if let Some(r) = MemberRecord::decode(&e.kv.value) {
                            live.insert(name, r);
                        }
                    }
                }
            }
        });
    };
    let reload = || read_all(&cluster, service.as_deref());
    follow(&cluster, "members", prefix, revision, &stop, apply, reload).await;
}

/// Reads every registration and publishes them; returns the revision.
async fn read_all(cluster: &Cluster, service: Option<&Service>) -> Result<i64, EtcdError> {
    let (kvs, revision) = cluster
        .client
        .get_prefix(&cluster.keys.members_prefix(), None, 1000, |_| {})
        .await?;
    publish(cluster, service, |live| {
        live.clear();
        for kv in kvs {
            if let Some(r) = MemberRecord::decode(&kv.value) {
                live.insert(r.name.clone(), r);
            }
        }
    });
    Ok(revision)
}

/// Changes the live replicas with `change` and, when their names changed,
/// gives the DHCP service its share of the ranges among them.
fn publish(cluster: &Cluster, service: Option<&Service>, change: impl FnOnce(&mut BTreeMap<String, MemberRecord>)) {
    let (changed, mut names, count) = {
        let mut live = cluster.members.lock().unwrap_or_else(|e| e.into_inner());
        let before: Vec<String> = live.keys().cloned().collect();
        change(&mut live);
        let names: Vec<String> = live.keys().cloned().collect();
        (before != names, names, live.len())
    };
    metrics::gauge!("kindling_cluster_replicas").set(count as f64);
    if !names.contains(&cluster.replica) {
        // Not registered (yet, or any more): still take a share, so that
        // allocation stays spread while the registration catches up.
        names.push(cluster.replica.clone());
        names.sort();
    }
    if changed {
        tracing::info!(replicas = %names.join(","), "etcd: live replicas changed");
    }
    if let Some(service) = service {
        service.set_share(Some(dhcp::Share {
            me: cluster.replica.clone(),
            members: names,
        }));
    }
}
