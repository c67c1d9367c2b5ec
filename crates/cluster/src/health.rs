//! Whether etcd can take writes from this replica, decided by a quorum read
//! every second (and by any request that finds no endpoint able to answer).
//!
//! Without quorum the replica keeps serving HTTP, TFTP and DNS from its last
//! snapshot, but the DHCP service grants and extends no lease (it answers
//! no DISCOVER and no REQUEST, so clients and relays turn to a replica that
//! can), and gRPC writes fail with UNAVAILABLE (they cannot be stored).

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use dhcp_server::Service;
use tokio_util::sync::CancellationToken;

use crate::Cluster;
use crate::follow::sleep_or_stop;

/// How often the quorum read runs.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HealthState {
    pub available: bool,
    /// Since when the state holds.
    pub since: SystemTime,
    /// The last error, while unavailable.
    pub error: Option<String>,
}

/// The replica's view of etcd, shared by every task.
pub struct Health {
    state: Mutex<HealthState>,
    service: Mutex<Option<Arc<Service>>>,
}

impl Health {
    pub(crate) fn new() -> Health {
        Health {
            state: Mutex::new(HealthState {
                available: true,
                since: SystemTime::now(),
                error: None,
            }),
            service: Mutex::new(None),
        }
    }

    /// The DHCP service to stop and start granting leases with the state.
    pub(crate) fn attach(&self, service: Arc<Service>) {
        service.set_leases_writable(self.get().available);
        *self.service.lock().unwrap_or_else(|e| e.into_inner()) = Some(service);
    }

    pub fn get(&self) -> HealthState {
        self.state.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// A request found no endpoint able to answer.
    pub fn failed(&self, e: &etcd::Error) {
        if e.is_unavailable() {
            self.set(false, Some(e.to_string()));
        }
    }

    pub(crate) fn set(&self, available: bool, error: Option<String>) {
        let changed = {
            let mut s = self.state.lock().unwrap_or_else(|e| e.into_inner());
            let changed = s.available != available;
            if changed {
                s.since = SystemTime::now();
            }
            s.available = available;
            s.error = error.clone();
            changed
        };
        if !changed {
            return;
        }
        metrics::gauge!("kindling_etcd_up").set(if available { 1.0 } else { 0.0 });
        if available {
            tracing::warn!("etcd: a quorum answers again; leases are granted again");
        } else {
            tracing::error!(
                error = error.as_deref().unwrap_or(""),
                "etcd: no quorum answers; no lease is granted or extended and configuration writes fail until it does (HTTP, TFTP and DNS keep serving the last configuration)"
            );
        }
        if let Some(service) = self.service.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
            service.set_leases_writable(available);
        }
    }
}

/// Runs the quorum read every [`PROBE_INTERVAL`] until `stop`.
pub async fn probe(cluster: Arc<Cluster>, stop: CancellationToken) {
    metrics::gauge!("kindling_etcd_up").set(1.0);
    loop {
        let began = std::time::Instant::now();
        match cluster.client.get(&cluster.keys.health()).await {
            Ok(_) => {
                metrics::histogram!("kindling_etcd_probe_seconds").record(began.elapsed().as_secs_f64());
                cluster.health.set(true, None);
            }
            Err(e) => cluster.health.failed(&e),
        }
        if sleep_or_stop(&stop, PROBE_INTERVAL).await {
            return;
        }
    }
}
