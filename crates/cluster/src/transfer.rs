//! Moving a whole configuration between a matchbox data directory and etcd
//! (`kindling store import` and `kindling store export`): every object
//! read with the server's own rules, compared with the other side, and only
//! what differs written, in transactions of bounded size. A dry run says
//! what would change and writes nothing.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use store::{Change, Issue, ObjectKey};

use crate::keys::Keys;

/// Most bytes of values in one import transaction (etcd refuses requests
/// over `--max-request-bytes`, 1.5 MiB by default).
const TXN_BYTES: usize = 1024 * 1024;
/// Most writes in one import transaction (etcd's `--max-txn-ops` is 128 by default).
const TXN_OPS: usize = 100;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error(transparent)]
    Etcd(#[from] etcd::Error),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error(
        "{path} is {size} bytes, more than etcd takes in one request by default (1.5 MiB): raise the members' --max-request-bytes, or keep such files out of the configuration"
    )]
    TooLarge { path: String, size: usize },
}

/// What a transfer does (or, in a dry run, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Plan {
    pub create: Vec<ObjectKey>,
    pub update: Vec<ObjectKey>,
    pub unchanged: usize,
    /// Objects only at the destination: deleted with `delete`, else kept.
    pub extra: Vec<ObjectKey>,
    pub deleted: bool,
    /// Source objects that could not be read, and listing problems: skipped.
    pub problems: Vec<Issue>,
}

impl Plan {
    fn new(source: &BTreeMap<ObjectKey, Vec<u8>>, dest: &BTreeMap<ObjectKey, Vec<u8>>) -> Plan {
        let mut plan = Plan::default();
        for (k, v) in source {
            match dest.get(k) {
                None => plan.create.push(k.clone()),
                Some(d) if d != v => plan.update.push(k.clone()),
                Some(_) => plan.unchanged += 1,
            }
        }
        plan.extra = dest.keys().filter(|k| !source.contains_key(k)).cloned().collect();
        plan
    }

    /// Writes to make, counting deletions when they are asked for.
    pub fn writes(&self, delete: bool) -> usize {
        self.create.len() + self.update.len() + if delete { self.extra.len() } else { 0 }
    }
}

/// Progress of a transfer, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// Objects read from the source so far.
    Reading(usize),
    /// Writes done out of the total.
    Writing { done: usize, total: usize },
}

fn read_dir(root: &Path) -> (BTreeMap<ObjectKey, Vec<u8>>, Vec<Issue>) {
    let (changes, mut problems, groups_error) = store::read_all(root);
    if groups_error.is_some() {
        // A missing groups/ is a problem for a server, not for a transfer.
        problems.retain(|p| p.path != "groups");
    }
    let mut objects = BTreeMap::new();
    for c in changes {
        match c {
            Change::Put(k, Ok(bytes)) => {
                objects.insert(k, bytes.to_vec());
            }
            Change::Put(k, Err(reason)) => problems.push(Issue {
                severity: store::Severity::Error,
                path: k.relative(),
                message: format!("skipped: {reason}"),
            }),
            Change::Delete(_) => {}
        }
    }
    (objects, problems)
}

async fn read_etcd(
    client: &etcd::Client,
    keys: &Keys,
    progress: &mut dyn FnMut(Progress),
) -> Result<(BTreeMap<ObjectKey, Vec<u8>>, Vec<Issue>), etcd::Error> {
    let (kvs, _) = client
        .get_prefix(&keys.config_prefix(), None, 2000, |n| progress(Progress::Reading(n)))
        .await?;
    let mut objects = BTreeMap::new();
    let mut problems = Vec::new();
    for kv in kvs {
        match keys.object(&kv.key) {
            Ok(k) => {
                objects.insert(k, kv.value);
            }
            Err(reason) => problems.push(Issue {
                severity: store::Severity::Warning,
                path: keys.relative(&kv.key).into_owned(),
                message: reason,
            }),
        }
    }
    Ok((objects, problems))
}

/// Copies the data directory at `root` into etcd under `keys`: new and
/// changed objects are written, objects only in etcd are deleted when
/// `delete` is set. Nothing is written in a `dry_run`.
pub async fn import(
    client: &etcd::Client,
    keys: &Keys,
    root: &Path,
    dry_run: bool,
    delete: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Plan, TransferError> {
    let (source, problems) = read_dir(root);
    progress(Progress::Reading(source.len()));
    let (dest, _) = read_etcd(client, keys, progress).await?;
    let mut plan = Plan::new(&source, &dest);
    plan.problems = problems;
    plan.deleted = delete && !dry_run;
    for k in plan.create.iter().chain(&plan.update) {
        let size = source[k].len();
        if size > TXN_BYTES {
            return Err(TransferError::TooLarge {
                path: k.relative(),
                size,
            });
        }
    }
    if dry_run {
        return Ok(plan);
    }
    let total = plan.writes(delete);
    let mut done = 0;
    let mut txn = etcd::Txn::new();
    let (mut ops, mut bytes) = (0, 0);
    let puts = plan.create.iter().chain(&plan.update).map(|k| (k, Some(&source[k])));
    let deletes = plan.extra.iter().filter(|_| delete).map(|k| (k, None));
    for (k, value) in puts.chain(deletes) {
        let size = value.map_or(0, |v| v.len());
        if ops > 0 && (ops == TXN_OPS || bytes + size > TXN_BYTES) {
            client.txn(&txn).await?;
            done += ops;
            progress(Progress::Writing { done, total });
            txn = etcd::Txn::new();
            (ops, bytes) = (0, 0);
        }
        txn = match value {
            Some(v) => txn.and_put(&keys.config(k), v, 0),
            None => txn.and_delete(&keys.config(k)),
        };
        ops += 1;
        bytes += size;
    }
    if ops > 0 {
        client.txn(&txn).await?;
        done += ops;
        progress(Progress::Writing { done, total });
    }
    Ok(plan)
}

/// Copies the configuration in etcd under `keys` into the data directory at
/// `root` (created if needed), each file written atomically; files of
/// objects only in the directory are removed when `delete` is set.
pub async fn export(
    client: &etcd::Client,
    keys: &Keys,
    root: &Path,
    dry_run: bool,
    delete: bool,
    progress: &mut dyn FnMut(Progress),
) -> Result<Plan, TransferError> {
    let (source, problems) = read_etcd(client, keys, progress).await?;
    let (dest, _) = read_dir(root);
    let mut plan = Plan::new(&source, &dest);
    plan.problems = problems;
    plan.deleted = delete && !dry_run;
    if dry_run {
        return Ok(plan);
    }
    let total = plan.writes(delete);
    let mut done = 0;
    for k in plan.create.iter().chain(&plan.update) {
        write_file(root, k, &source[k])?;
        done += 1;
        if done % 500 == 0 || done == total {
            progress(Progress::Writing { done, total });
        }
    }
    if delete {
        for k in &plan.extra {
            let path = root.join(k.relative());
            std::fs::remove_file(&path).map_err(|source| TransferError::Io { path, source })?;
            done += 1;
        }
        progress(Progress::Writing { done, total });
    }
    Ok(plan)
}

/// Writes one object's file: a temporary file beside it, fsynced, renamed.
fn write_file(root: &Path, key: &ObjectKey, bytes: &[u8]) -> Result<(), TransferError> {
    use std::io::Write;
    // ObjectKey paths have no empty, `.` or `..` segments: they stay under root.
    let path = root.join(key.relative());
    let dir = path.parent().unwrap_or(root).to_path_buf();
    let io = |path: &Path, source| TransferError::Io {
        path: path.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("object");
    let tmp = dir.join(format!(".{name}.export-{}", std::process::id()));
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, &path)
    })();
    if let Err(e) = result {
        let _ = std::fs::remove_file(&tmp);
        return Err(io(&path, e));
    }
    Ok(())
}
