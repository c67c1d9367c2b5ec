//! The recorder's history on disk: an embedded redb file with one record
//! per machine (its events as JSON), rewritten when the machine changes and
//! removed when it is evicted, so the file stays as bounded as memory.

use std::path::{Path, PathBuf};

use recorder::{Entry, Event};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};

const MACHINES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("machines");

#[derive(Debug, thiserror::Error)]
pub enum RecorderDbError {
    #[error("cannot create the directory for the flight recorder's file {path}: {source}")]
    Dir { path: PathBuf, source: std::io::Error },
    #[error("cannot open the flight recorder's file {path}: {source} (is another kindling using it?)")]
    Open { path: PathBuf, source: redb::DatabaseError },
    #[error("flight recorder file {path}: {what}: {detail}")]
    Io {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },
}

pub struct RecorderDb {
    db: Database,
    path: PathBuf,
}

impl std::fmt::Debug for RecorderDb {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RecorderDb").field("path", &self.path).finish()
    }
}

impl RecorderDb {
    pub fn open(path: &Path) -> Result<RecorderDb, RecorderDbError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| RecorderDbError::Dir {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        // History is written often and read at start: a small page cache does.
        let db = Database::builder()
            .set_cache_size(16 << 20)
            .create(path)
            .map_err(|source| RecorderDbError::Open {
                path: path.to_path_buf(),
                source,
            })?;
        let this = RecorderDb {
            db,
            path: path.to_path_buf(),
        };
        this.write(&[], &[])?;
        Ok(this)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn err(&self, what: &'static str, e: impl std::fmt::Display) -> RecorderDbError {
        RecorderDbError::Io {
            path: self.path.clone(),
            what,
            detail: e.to_string(),
        }
    }

    /// Every stored event, with how many times more it happened and when
    /// last; records that do not decode are skipped.
    pub fn load(&self) -> Result<Vec<(Event, u32, u64)>, RecorderDbError> {
        let txn = self.db.begin_read().map_err(|e| self.err("reading", e))?;
        let table = txn.open_table(MACHINES).map_err(|e| self.err("opening the table", e))?;
        let mut out = Vec::new();
        for row in table.iter().map_err(|e| self.err("reading", e))? {
            let (_, v) = row.map_err(|e| self.err("reading", e))?;
            let Ok(serde_json::Value::Array(events)) = serde_json::from_slice(v.value()) else {
                tracing::warn!(path = %self.path.display(), "skipping a flight recorder record that does not decode");
                continue;
            };
            out.extend(events.iter().filter_map(|v| {
                let e = crate::json::event_from_json(v)?;
                let repeats = v.get("repeats").and_then(serde_json::Value::as_u64).unwrap_or(0) as u32;
                let last = v.get("last").and_then(serde_json::Value::as_u64).unwrap_or(e.at);
                Some((e, repeats, last))
            }));
        }
        Ok(out)
    }

    /// Replaces the records of `machines` and removes those of `removed`, in
    /// one transaction.
    pub fn write(&self, machines: &[(Vec<u8>, Vec<Entry>)], removed: &[Vec<u8>]) -> Result<(), RecorderDbError> {
        // One transaction (one fsync) every couple of seconds at most.
        let txn = self.db.begin_write().map_err(|e| self.err("starting a write", e))?;
        {
            let mut table = txn.open_table(MACHINES).map_err(|e| self.err("opening the table", e))?;
            for (key, entries) in machines {
                let value = serde_json::Value::Array(entries.iter().map(entry_json).collect()).to_string();
                table
                    .insert(key.as_slice(), value.as_bytes())
                    .map_err(|e| self.err("writing", e))?;
            }
            for key in removed {
                table.remove(key.as_slice()).map_err(|e| self.err("deleting", e))?;
            }
        }
        txn.commit().map_err(|e| self.err("committing", e))
    }
}

/// A stored entry: its event, and how many times more it happened.
fn entry_json(e: &Entry) -> serde_json::Value {
    let mut v = crate::json::event_json(&e.event);
    if e.repeats > 0
        && let serde_json::Value::Object(o) = &mut v
    {
        o.insert("repeats".into(), e.repeats.into());
        o.insert("last".into(), e.last_at.into());
    }
    v
}
