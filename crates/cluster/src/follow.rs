//! Following one key range of etcd: the caller has read it whole at some
//! revision; from there the watch brings every change, in order. A broken
//! stream (a member died, a network hiccup) resumes from the next revision,
//! on another member if need be; a watch whose history was compacted away
//! (the replica fell behind) reads everything again at a known revision.

use std::future::Future;
use std::time::Duration;

use etcd::{Error as EtcdError, WatchBatch};
use tokio_util::sync::CancellationToken;

use crate::Cluster;

/// Applies every change under `prefix` after `revision` with `apply`,
/// calling `reload` (a full read, which returns its revision) after a
/// compaction, until `stop`. `what` names the range in logs.
pub(crate) async fn follow<Apply, Reload, Fut>(
    cluster: &Cluster,
    what: &'static str,
    prefix: Vec<u8>,
    mut revision: i64,
    stop: &CancellationToken,
    mut apply: Apply,
    mut reload: Reload,
) where
    Apply: FnMut(WatchBatch),
    Reload: FnMut() -> Fut,
    Fut: Future<Output = Result<i64, EtcdError>>,
{
    let end = etcd::prefix_end(&prefix);
    loop {
        'watch: loop {
            let watch = tokio::select! {
                w = cluster.client.watch(&prefix, &end, revision + 1) => w,
                () = stop.cancelled() => return,
            };
            let mut watcher = match watch {
                Ok(w) => w,
                Err(EtcdError::Compacted { .. }) => break 'watch,
                Err(e) => {
                    cluster.health.failed(&e);
                    tracing::warn!(what, error = %e, from = revision + 1, "etcd: cannot watch; retrying");
                    if sleep_or_stop(stop, Duration::from_millis(500)).await {
                        return;
                    }
                    continue;
                }
            };
            loop {
                let next = tokio::select! {
                    n = watcher.next() => n,
                    () = stop.cancelled() => return,
                };
                match next {
                    Ok(batch) => {
                        revision = batch.revision;
                        apply(batch);
                    }
                    Err(EtcdError::Compacted { .. }) => break 'watch,
                    Err(e) => {
                        tracing::warn!(what, error = %e, from = revision + 1, "etcd: the watch ended; resuming");
                        break;
                    }
                }
            }
        }
        tracing::warn!(
            what,
            revision,
            "etcd: the watch fell behind a compaction; reading everything again"
        );
        loop {
            let read = tokio::select! {
                r = reload() => r,
                () = stop.cancelled() => return,
            };
            match read {
                Ok(r) => {
                    revision = r;
                    break;
                }
                Err(e) => {
                    cluster.health.failed(&e);
                    tracing::warn!(what, error = %e, "etcd: cannot read everything again; retrying");
                    if sleep_or_stop(stop, Duration::from_secs(1)).await {
                        return;
                    }
                }
            }
        }
    }
}

/// Sleeps; true when `stop` fired first.
pub(crate) async fn sleep_or_stop(stop: &CancellationToken, d: Duration) -> bool {
    tokio::select! {
        () = tokio::time::sleep(d) => false,
        () = stop.cancelled() => true,
    }
}
