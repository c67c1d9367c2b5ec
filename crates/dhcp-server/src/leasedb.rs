//! The lease database: every acknowledged lease, durable before its ACK is
//! sent. An embedded redb file (no server to run), one record per address.
//!
//! Writes are batched by the caller (group commit): one write transaction,
//! hence one fsync, for every lease that became ready while the previous
//! commit ran. A crash loses only leases whose ACK was never sent.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};

use dhcp::lease::{hex, unhex};
use dhcp::{ClientKey, Lease, LeaseState};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

const LEASES: TableDefinition<u32, &[u8]> = TableDefinition::new("leases");

#[derive(Debug, thiserror::Error)]
pub enum LeaseDbError {
    #[error("cannot create the directory for the lease database {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
    #[error(
        "cannot open the lease database {path}: {source} (is another kindling using it? The file is locked while a server runs; read leases from the running server with `kindling leases`)"
    )]
    Open { path: PathBuf, source: redb::DatabaseError },
    #[error("lease database {path}: {what}: {detail}")]
    Io {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
}

pub struct LeaseDb {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for LeaseDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LeaseDb").field("path", &self.path).finish()
    }
}

impl LeaseDb {
    pub fn open(path: &Path) -> Result<LeaseDb, LeaseDbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| LeaseDbError::Dir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let db = Database::create(path).map_err(|source| LeaseDbError::Open {
            path: path.to_path_buf(),
            source,
        })?;
        let this = LeaseDb {
            db,
            path: path.to_path_buf(),
        };
        // Make sure the table exists so reads never fail on a new file.
        this.commit(&[])?;
        Ok(this)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, what: &'static str, e: impl std::fmt::Display) -> LeaseDbError {
        LeaseDbError::Io {
            path: self.path.clone(),
            what,
            detail: e.to_string(),
        }
    }

    /// Every stored record; unreadable ones are skipped with a warning.
    pub fn load_all(&self) -> Result<Vec<Lease>, LeaseDbError> {
        let txn = self.db.begin_read().map_err(|e| self.err("reading", e))?;
        let table = txn.open_table(LEASES).map_err(|e| self.err("opening the table", e))?;
        let mut out = Vec::new();
        for row in table.iter().map_err(|e| self.err("reading", e))? {
            let (k, v) = row.map_err(|e| self.err("reading", e))?;
            let ip = Ipv4Addr::from(k.value());
            match decode(ip, v.value()) {
                Some(lease) => out.push(lease),
                None => tracing::warn!(%ip, path = %self.path.display(), "skipping an unreadable lease record"),
            }
        }
        Ok(out)
    }

    /// Writes records durably, in one transaction (one fsync).
    pub fn commit(&self, leases: &[Lease]) -> Result<(), LeaseDbError> {
        let txn = self.db.begin_write().map_err(|e| self.err("starting a write", e))?;
        {
            let mut table = txn.open_table(LEASES).map_err(|e| self.err("opening the table", e))?;
            for lease in leases {
                let bytes = encode(lease);
                table
                    .insert(u32::from(lease.ip), bytes.as_slice())
                    .map_err(|e| self.err("writing", e))?;
            }
        }
        txn.commit().map_err(|e| self.err("committing", e))
    }

    /// Deletes records that ended more than `keep` seconds before `now`.
    pub fn prune(&self, now: u64, keep: u64) -> Result<usize, LeaseDbError> {
        let stale: Vec<u32> = self
            .load_all()?
            .into_iter()
            .filter(|l| l.expires.saturating_add(keep) < now)
            .map(|l| u32::from(l.ip))
            .collect();
        if stale.is_empty() {
            return Ok(0);
        }
        let txn = self.db.begin_write().map_err(|e| self.err("starting a write", e))?;
        {
            let mut table = txn.open_table(LEASES).map_err(|e| self.err("opening the table", e))?;
            for k in &stale {
                table.remove(*k).map_err(|e| self.err("deleting", e))?;
            }
        }
        txn.commit().map_err(|e| self.err("committing", e))?;
        Ok(stale.len())
    }
}

/// A record as JSON: readable with any tool, and versioned by its keys.
/// The shared lease store writes the same fields (and who wrote it).
pub fn record_json(l: &Lease) -> serde_json::Map<String, serde_json::Value> {
    let mut m = serde_json::Map::new();
    m.insert("client".into(), hex(&l.client.0).into());
    m.insert("hw".into(), hex(&l.hw).into());
    m.insert("hostname".into(), l.hostname.clone().into());
    m.insert("expires".into(), l.expires.into());
    m.insert("state".into(), l.state.name().into());
    m
}

/// The lease of `ip` in a record; `None` when a field is missing or wrong
/// (other keys are ignored).
pub fn record_from_json(ip: Ipv4Addr, v: &serde_json::Value) -> Option<Lease> {
    Some(Lease {
        ip,
        client: ClientKey(unhex(v.get("client")?.as_str()?)?),
        hw: unhex(v.get("hw")?.as_str()?)?,
        hostname: v.get("hostname").and_then(|h| h.as_str()).map(str::to_owned),
        expires: v.get("expires")?.as_u64()?,
        state: LeaseState::parse(v.get("state")?.as_str()?)?,
    })
}

pub fn encode(l: &Lease) -> Vec<u8> {
    serde_json::Value::Object(record_json(l)).to_string().into_bytes()
}

pub fn decode(ip: Ipv4Addr, bytes: &[u8]) -> Option<Lease> {
    record_from_json(ip, &serde_json::from_slice(bytes).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lease(n: u8, state: LeaseState, expires: u64) -> Lease {
        Lease {
            ip: Ipv4Addr::new(10, 0, 0, n),
            client: ClientKey(vec![1, 0x52, 0x54, 0, 0, 0, n]),
            hw: vec![0x52, 0x54, 0, 0, 0, n],
            hostname: n.is_multiple_of(2).then(|| format!("host{n}")),
            expires,
            state,
        }
    }

    #[test]
    fn round_trip_reopen_and_prune() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/leases.redb");
        let all = vec![
            lease(1, LeaseState::Active, 100),
            lease(2, LeaseState::Released, 50),
            lease(3, LeaseState::Probation, 70),
        ];
        {
            let db = LeaseDb::open(&path).unwrap();
            db.commit(&all).unwrap();
            // A second open of the same file while it is in use is refused with a reason.
            let err = LeaseDb::open(&path).unwrap_err().to_string();
            assert!(err.contains("kindling leases"), "{err}");
        }
        let db = LeaseDb::open(&path).unwrap();
        let mut back = db.load_all().unwrap();
        back.sort_by_key(|l| l.ip);
        assert_eq!(back, all);
        assert_eq!(db.prune(200, 100).unwrap(), 2);
        assert_eq!(db.load_all().unwrap().len(), 1);
    }

    #[test]
    fn bad_records_do_not_decode() {
        assert!(decode(Ipv4Addr::LOCALHOST, b"{}").is_none());
        assert!(decode(Ipv4Addr::LOCALHOST, b"\xff").is_none());
        let mut good = encode(&lease(1, LeaseState::Active, 1));
        assert!(decode(Ipv4Addr::LOCALHOST, &good).is_some());
        good.truncate(good.len() - 2);
        assert!(decode(Ipv4Addr::LOCALHOST, &good).is_none());
    }
}
