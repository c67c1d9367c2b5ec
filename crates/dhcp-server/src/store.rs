//! Where leases are made durable: the boundary between the DHCP service and
//! a lease store. The embedded database ([`crate::LeaseDb`]) is one store;
//! etcd, shared by several replicas, is another (in the `cluster` crate).
//!
//! A store is asked to make a batch of [`Commit`]s durable and answers, for
//! each, that it is stored, that another writer got there first (and what
//! it holds now), or that it could not store it. A shared store compares
//! each key it writes with the version this server last saw
//! ([`Commit::expected`]), so a replica working from a stale view loses the
//! race instead of overwriting another replica's lease.

use std::future::Future;
use std::net::Ipv4Addr;
use std::pin::Pin;
use std::sync::Arc;

use dhcp::{ClientKey, Lease, LeaseState};

/// The version of a stored key (etcd's mod revision); 0: not stored.
pub type Version = i64;

/// One key of a lease store: an address's record, or a client's pointer to
/// its address.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RecordKey {
    Address(Ipv4Addr),
    Client(ClientKey),
}

/// Records to make durable together.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commit {
    /// The first record is the one the exchange is about (the lease of an
    /// ACK, a RELEASE, a DECLINE); a second is a moving client's previous
    /// address, released.
    pub leases: Vec<Lease>,
    /// The version of each key written ([`Commit::keys`]) as this server
    /// last saw it.
    pub expected: Vec<(RecordKey, Version)>,
}

impl Commit {
    /// The keys a commit writes: every record's address, and the client's
    /// pointer when the first record is an active lease (a release keeps the
    /// pointer, a declined address never gets one).
    pub fn keys(leases: &[Lease]) -> Vec<RecordKey> {
        let mut keys: Vec<RecordKey> = leases.iter().map(|l| RecordKey::Address(l.ip)).collect();
        if let Some(first) = leases.first()
            && first.state == LeaseState::Active
        {
            keys.push(RecordKey::Client(first.client.clone()));
        }
        keys
    }
}

/// A key as a shared store holds it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Remote {
    /// An address's record (`None`: removed).
    Address {
        ip: Ipv4Addr,
        lease: Option<Lease>,
        version: Version,
    },
    /// A client's pointer to its address (`None`: removed).
    Client {
        client: ClientKey,
        ip: Option<Ipv4Addr>,
        version: Version,
    },
}

/// What became of one commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Durable; the keys written now have these versions (none for a store
    /// without versions).
    Stored { versions: Vec<(RecordKey, Version)> },
    /// Another writer changed a key first: nothing was written, and this is
    /// what the store holds now for the commit's keys.
    Conflict { current: Vec<Remote> },
    /// Not durable: the store could not be reached or refused the write.
    Failed { reason: String },
}

/// A boxed future, as trait methods return them.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

pub trait LeaseStore: Send + Sync + 'static {
    /// For logs: `lease file /var/lib/kindling/dhcp-leases.redb`.
    fn describe(&self) -> String;

    /// The most commits in one call, and the most calls in flight at once.
    fn limits(&self) -> (usize, usize);

    /// Makes the commits durable; one outcome per commit, in order.
    fn commit(self: Arc<Self>, batch: Vec<Commit>) -> BoxFuture<'static, Vec<Outcome>>;
}

impl LeaseStore for crate::LeaseDb {
    fn describe(&self) -> String {
        format!("lease file {}", self.path().display())
    }

    /// One writer, and a batch as large as arrives: one fsync covers it.
    fn limits(&self) -> (usize, usize) {
        (8192, 1)
    }

    fn commit(self: Arc<Self>, batch: Vec<Commit>) -> BoxFuture<'static, Vec<Outcome>> {
        Box::pin(async move {
            let leases: Vec<Lease> = batch.iter().flat_map(|c| c.leases.iter().cloned()).collect();
            let db = self.clone();
            let result = tokio::task::spawn_blocking(move || crate::LeaseDb::commit(&db, &leases)).await;
            let outcome = match result {
                Ok(Ok(())) => Outcome::Stored { versions: Vec::new() },
                Ok(Err(e)) => Outcome::Failed { reason: e.to_string() },
                Err(e) => Outcome::Failed {
                    reason: format!("the lease writer failed: {e}"),
                },
            };
            vec![outcome; batch.len()]
        })
    }
}
