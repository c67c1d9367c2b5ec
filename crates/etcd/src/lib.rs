//! A small etcd v3 client for kindling: what a replica needs to share
//! configuration and leases, and no more.
//!
//! * Key ranges (paged, at a pinned revision), puts, deletes, and
//!   transactions with compare-and-swap ([`Txn`]).
//! * Watches from a revision ([`Watcher`]), reporting compaction so the
//!   caller can read everything again at a known revision.
//! * Leases: grant, refresh, revoke.
//! * Member status of each endpoint, for health reports.
//!
//! **Failover.** Every request goes to the endpoint that answered last; when
//! it cannot answer (connection refused or lost, no answer within the
//! request timeout, or "no leader": each request asks etcd to refuse when
//! the member has lost its leader), the next endpoint is tried, and the one
//! that answers becomes the preferred one. A dead or partitioned member
//! therefore costs one timeout, not every request (the widely used Rust
//! client keeps a balanced channel that goes on picking a dead endpoint).
//! Retrying is safe for everything kindling sends: reads, puts of a whole
//! value, and transactions guarded by compare-and-swap, which fail rather
//! than apply twice.
//!
//! The protocol definitions in `proto/etcd.proto` are written from etcd's
//! API reference and compiled with protox, so no `protoc` is needed.

mod client;
mod error;
#[cfg(feature = "testing")]
pub mod testing;
mod txn;
mod watch;

/// The generated protocol types and clients.
pub mod pb {
    #![allow(clippy::all, missing_docs, unreachable_pub)]
    tonic::include_proto!("etcdserverpb");
}

pub use client::{Client, Config, EndpointStatus, MemberStatus, Tls, prefix_end};
pub use error::Error;
pub use txn::{OpResult, Txn, TxnOutcome};
pub use watch::{Event, EventKind, WatchBatch, Watcher};

/// One key as stored, with its revisions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kv {
    pub key: Vec<u8>,
    pub value: Vec<u8>,
    /// The revision of the key's last change (0 for a key that does not exist).
    pub mod_revision: i64,
    pub create_revision: i64,
    pub version: i64,
    pub lease: i64,
}

impl From<pb::KeyValue> for Kv {
    fn from(kv: pb::KeyValue) -> Kv {
        Kv {
            key: kv.key,
            value: kv.value,
            mod_revision: kv.mod_revision,
            create_revision: kv.create_revision,
            version: kv.version,
            lease: kv.lease,
        }
    }
}
