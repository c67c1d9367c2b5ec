//! Groups, profiles and templates in etcd: one key per object under
//! `config/`, its value exactly the bytes the data directory would hold.
//!
//! [`EtcdBackend`] is the store's backend for writes (the gRPC API): a put
//! or delete is one etcd request, and the writer waits until this
//! replica's snapshot has reached the write's revision. [`sync`] keeps the
//! snapshot current: a full read at a known revision, then the watch from
//! the next one, each event applied as one change; after a compaction (the
//! watch's history is gone) it reads everything again.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use etcd::{Error as EtcdError, EventKind, Kv};
use store::{Backend, Change, Issue, Kind, ObjectKey, Severity, Snapshot, Store, WriteError, Written};
use tokio_util::sync::CancellationToken;

use crate::Cluster;
use crate::follow::follow;

/// Keys read per request of a full read.
const PAGE: i64 = 2000;

/// The store's backend over etcd. Its calls block (the gRPC API runs them
/// on blocking threads) on the cluster's runtime.
#[derive(Clone)]
pub struct EtcdBackend {
    cluster: Arc<Cluster>,
}

impl std::fmt::Debug for EtcdBackend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdBackend")
            .field("endpoints", &self.cluster.client.endpoints())
            .field("prefix", &self.cluster.keys.prefix())
            .finish()
    }
}

impl EtcdBackend {
    pub fn new(cluster: Arc<Cluster>) -> EtcdBackend {
        EtcdBackend { cluster }
    }
}

fn write_error(key: &ObjectKey, e: EtcdError) -> WriteError {
    if e.is_unavailable() {
        WriteError::Unavailable { reason: e.to_string() }
    } else {
        WriteError::Io {
            path: format!("config/{}", key.relative()),
            source: std::io::Error::other(e.to_string()),
        }
    }
}

impl Backend for EtcdBackend {
    fn describe(&self) -> String {
        self.cluster.describe()
    }

    fn put(&self, key: &ObjectKey, bytes: &[u8]) -> Result<Written, WriteError> {
        let c = &self.cluster;
        let revision = c
            .handle
            .block_on(c.client.put(&c.keys.config(key), bytes, 0))
            .map_err(|e| write_error(key, e))?;
        c.config_lag.wrote(revision);
        Ok(Written::AtRevision(revision as u64))
    }

    fn delete(&self, key: &ObjectKey) -> Result<Written, WriteError> {
        let c = &self.cluster;
        let (deleted, revision) = c
            .handle
            .block_on(c.client.delete(&c.keys.config(key)))
            .map_err(|e| write_error(key, e))?;
        if deleted == 0 {
            return Err(WriteError::NotFound {
                path: format!("config/{}", key.relative()),
            });
        }
        c.config_lag.wrote(revision);
        Ok(Written::AtRevision(revision as u64))
    }

    fn get(&self, key: &ObjectKey) -> Result<Vec<u8>, WriteError> {
        let c = &self.cluster;
        match c.handle.block_on(c.client.get(&c.keys.config(key))) {
            Ok((Some(kv), _)) => Ok(kv.value),
            Ok((None, _)) => Err(WriteError::NotFound {
                path: format!("config/{}", key.relative()),
            }),
            Err(e) => Err(write_error(key, e)),
        }
    }

    fn get_all(&self, kind: Kind) -> Result<Vec<(ObjectKey, Vec<u8>)>, WriteError> {
        let c = &self.cluster;
        let (kvs, _) = c
            .handle
            .block_on(
                c.client
                    .get_prefix(&c.keys.config_kind_prefix(kind), None, PAGE, |_| {}),
            )
            .map_err(|e| write_error(&ObjectKey::new(kind, ""), e))?;
        let mut out: Vec<(ObjectKey, Vec<u8>)> = kvs
            .into_iter()
            .filter_map(|kv| Some((c.keys.object(&kv.key).ok()?, kv.value)))
            .filter(|(k, _)| k.kind == kind)
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(out)
    }
}

/// Reads every object under `config/` at one revision into a snapshot;
/// `progress` gets the number of keys read so far.
pub async fn load(cluster: &Cluster, progress: impl FnMut(usize)) -> Result<Snapshot, EtcdError> {
    let started = Instant::now();
    let (kvs, revision) = cluster
        .client
        .get_prefix(&cluster.keys.config_prefix(), None, PAGE, progress)
        .await?;
    let mut changes = Vec::with_capacity(kvs.len());
    let mut problems = Vec::new();
    for kv in kvs {
        match cluster.keys.object(&kv.key) {
            Ok(key) => changes.push(Change::Put(key, Ok(Bytes::from(kv.value)))),
            Err(reason) => problems.push(Issue {
                severity: Severity::Warning,
                path: cluster.keys.relative(&kv.key).into_owned(),
                message: reason,
            }),
        }
    }
    let mut snap = store::build(&cluster.describe(), changes, problems, revision as u64);
    snap.load_duration = started.elapsed();
    Ok(snap)
}

/// The change an event makes, or the problem with its key.
fn change(cluster: &Cluster, kind: EventKind, kv: Kv) -> Option<Change> {
    match cluster.keys.object(&kv.key) {
        Ok(key) => Some(match kind {
            EventKind::Put => Change::Put(key, Ok(Bytes::from(kv.value))),
            EventKind::Delete => Change::Delete(key),
        }),
        Err(reason) => {
            tracing::warn!(key = %cluster.keys.relative(&kv.key), problem = %reason, "etcd: skipping a key under config/");
            None
        }
    }
}

/// Keeps `store` current from the watch, starting after `revision` (the
/// revision of the snapshot it holds), until `stop`.
pub async fn sync(cluster: Arc<Cluster>, store: Arc<Store>, revision: i64, stop: CancellationToken) {
    let apply = |batch: etcd::WatchBatch| {
        let changes: Vec<Change> = batch
            .events
            .into_iter()
            .filter_map(|e| change(&cluster, e.kind, e.kv))
            .collect();
        store.apply(changes, Some(batch.revision as u64));
        cluster.config_lag.applied("config", batch.revision);
    };
    let reload = || async {
        let snap = load(&cluster, |_| {}).await?;
        let revision = snap.revision as i64;
        store.replace(snap);
        Ok(revision)
    };
    let prefix = cluster.keys.config_prefix();
    follow(&cluster, "config", prefix, revision, &stop, apply, reload).await;
}
