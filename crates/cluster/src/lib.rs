//! kindling replicas on etcd. Several kindling processes that name the same
//! etcd cluster and prefix share one configuration and one set of DHCP
//! leases; etcd (compare-and-swap transactions, revisioned watches, leases)
//! is the only thing they agree through. A single kindling needs none of
//! this: the data directory and the lease file stay the default.
//!
//! * `config`: groups, profiles and templates, one key per object; the
//!   store's backend for writes and the watch that keeps the snapshot current.
//! * `leases`: the shared lease store (one key per address, one per client,
//!   compare-and-swap) and the watch that brings other replicas' leases in.
//! * `members`: registration under an etcd lease, and the live replicas,
//!   which decide each replica's share of the DHCP ranges.
//! * `health`: whether a quorum answers; without one, no lease is granted.
//! * `transfer`: `kindling store import` and `export`.
//!
//! Everything runs on the runtime whose handle [`Cluster::connect`] gets;
//! the store's backend calls block on it from other threads.

mod config;
mod follow;
mod health;
mod keys;
mod leases;
mod members;
pub mod transfer;

use std::collections::{BTreeMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use dhcp_server::Service;
use store::{Snapshot, Store};
use tokio_util::sync::CancellationToken;

pub use config::EtcdBackend;
pub use health::{Health, HealthState};
pub use keys::{Keys, LeaseKey};
pub use leases::{EtcdLeases, decode as decode_lease, encode as encode_lease, writer as lease_writer};
pub use members::{MEMBER_TTL, MemberRecord};

/// How to reach the cluster and who this replica is.
#[derive(Debug, Clone)]
pub struct Settings {
    pub etcd: etcd::Config,
    /// Starts and ends with `/`.
    pub prefix: String,
    /// This replica's name among the replicas of the prefix.
    pub replica: String,
}

/// One replica's connection to the cluster and its shared state.
pub struct Cluster {
    pub(crate) client: etcd::Client,
    pub(crate) keys: Keys,
    pub(crate) replica: String,
    pub(crate) handle: tokio::runtime::Handle,
    pub(crate) health: Arc<Health>,
    /// Own writes under `config/` and `leases/`, to time their way back
    /// through each watch.
    pub(crate) config_lag: LagClock,
    pub(crate) lease_lag: LagClock,
    /// The live replicas, as last seen under `members/`.
    pub(crate) members: Mutex<BTreeMap<String, MemberRecord>>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("endpoints", &self.client.endpoints())
            .field("prefix", &self.keys.prefix())
            .field("replica", &self.replica)
            .finish_non_exhaustive()
    }
}

impl Cluster {
    /// A client for the cluster; runs on `handle`'s runtime (call inside it).
    pub fn connect(settings: Settings, handle: tokio::runtime::Handle) -> Result<Arc<Cluster>, etcd::Error> {
        let _enter = handle.enter();
        let client = etcd::Client::new(settings.etcd)?;
        Ok(Arc::new(Cluster {
            client,
            keys: Keys::new(&settings.prefix),
            replica: settings.replica,
            handle,
            health: Arc::new(Health::new()),
            config_lag: LagClock::default(),
            lease_lag: LagClock::default(),
            members: Mutex::new(BTreeMap::new()),
        }))
    }

    pub fn client(&self) -> &etcd::Client {
        &self.client
    }

    pub fn keys(&self) -> &Keys {
        &self.keys
    }

    pub fn replica(&self) -> &str {
        &self.replica
    }

    pub fn health(&self) -> HealthState {
        self.health.get()
    }

    /// The live replicas, by name.
    pub fn members(&self) -> BTreeMap<String, MemberRecord> {
        self.members.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// The HTTP addresses of the other live replicas (for merged views).
    pub fn peer_addresses(&self) -> Vec<String> {
        self.members()
            .into_values()
            .filter(|m| m.name != self.replica && !m.http.is_empty())
            .map(|m| m.http)
            .collect()
    }

    /// For logs and `/healthz`: `etcd http://…,http://… prefix /kindling/`.
    pub fn describe(&self) -> String {
        format!(
            "etcd {} prefix {}",
            self.client.endpoints().join(","),
            self.keys.prefix()
        )
    }

    /// Reads the whole configuration at one revision (blocking the caller
    /// on the cluster's runtime); `progress` gets the keys read so far.
    pub fn load_config(&self, progress: impl FnMut(usize)) -> Result<Snapshot, etcd::Error> {
        self.handle.block_on(config::load(self, progress))
    }

    /// The store's backend for writes.
    pub fn backend(self: &Arc<Self>) -> EtcdBackend {
        EtcdBackend::new(self.clone())
    }

    /// Keeps `store` current from the watch (after the revision of its snapshot).
    pub fn spawn_config_sync(self: &Arc<Self>, store: Arc<Store>, stop: CancellationToken) {
        let revision = store.snapshot().revision as i64;
        self.handle.spawn(config::sync(self.clone(), store, revision, stop));
    }

    /// Reads every lease and builds the DHCP service on the shared lease
    /// store; keeps it current from the watch and gives it its share.
    pub fn lease_service(
        self: &Arc<Self>,
        cfg: dhcp::DhcpConfig,
        stop: CancellationToken,
    ) -> Result<Arc<Service>, etcd::Error> {
        let (records, revision) = self.handle.block_on(leases::load(self))?;
        let store = Arc::new(EtcdLeases::new(self.clone()));
        let service = Arc::new(Service::new(cfg, store, records));
        self.health.attach(service.clone());
        self.handle
            .spawn(leases::sync(self.clone(), service.clone(), revision, stop));
        Ok(service)
    }

    /// Registers this replica, watches the others (giving `service`, if
    /// any, its share of the ranges), and probes the quorum, until `stop`.
    pub fn spawn_membership(
        self: &Arc<Self>,
        store: Arc<Store>,
        service: Option<Arc<Service>>,
        http: String,
        stop: CancellationToken,
    ) {
        self.handle
            .spawn(members::register(self.clone(), store, http, stop.clone()));
        self.handle.spawn(members::watch(self.clone(), service, stop.clone()));
        self.handle.spawn(health::probe(self.clone(), stop));
    }

    /// Lines for `/healthz`: the store, etcd's state, this replica's
    /// revision and the live replicas.
    pub fn status_lines(&self, snapshot_revision: u64) -> String {
        let h = self.health.get();
        let members = self.members();
        let state = if h.available {
            "available".to_owned()
        } else {
            format!(
                "unavailable (no quorum; no lease is granted): {}",
                h.error.unwrap_or_default()
            )
        };
        format!(
            "store etcd\netcd_endpoints {}\netcd_preferred {}\netcd {state}\nreplica {}\nrevision {snapshot_revision}\nreplicas {}\n",
            self.client.endpoints().join(","),
            self.client.preferred_endpoint(),
            self.replica,
            members.keys().cloned().collect::<Vec<_>>().join(","),
        )
    }
}

/// When this replica wrote each recent revision, so that the watch can
/// report how long its own writes took to come back (the watch lag).
#[derive(Debug, Default)]
pub(crate) struct LagClock {
    written: Mutex<VecDeque<(i64, Instant)>>,
}

impl LagClock {
    pub(crate) fn wrote(&self, revision: i64) {
        let mut w = self.written.lock().unwrap_or_else(|e| e.into_inner());
        w.push_back((revision, Instant::now()));
        while w.len() > 4096 {
            w.pop_front();
        }
    }

    /// The watch reached `revision`: every own write up to it is back.
    pub(crate) fn applied(&self, what: &'static str, revision: i64) {
        let mut w = self.written.lock().unwrap_or_else(|e| e.into_inner());
        while let Some(&(r, at)) = w.front() {
            if r > revision {
                break;
            }
            w.pop_front();
            if r == revision {
                metrics::histogram!("kindling_etcd_watch_lag_seconds", "watch" => what)
                    .record(at.elapsed().as_secs_f64());
            }
        }
    }
}
