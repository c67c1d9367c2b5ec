//! kindling's HTTP side: matchbox's endpoints with byte-identical answers,
//! `/assets/`, and kindling's `/healthz` and `/metrics`.
//!
//! One dispatcher (`dispatch`) reproduces Go's `http.ServeMux` as matchbox
//! uses it: exact paths, the `/assets/` subtree, everything else to `/`.
//! Handlers read one store snapshot per request and never touch the data
//! directory; failures go through [`failure::Failure`], the single place
//! that turns a reason into a status, headers and body.

mod api;
mod assets;
pub mod compat;
mod content;
mod counters;
pub mod failure;
mod gostr;
mod gotime;
pub mod gourl;
mod handlers;
mod server;
pub mod sniff;
pub mod tls;
mod ui;
mod vars;

use std::path::PathBuf;
use std::sync::Arc;

pub use api::Peers;
pub use compat::{Compat, Quirk};
pub use failure::{DETAIL_HEADER, Failure, REASON_HEADER};
pub use server::{HEADER_READ_TIMEOUT, serve};

/// How the HTTP side behaves; built by the binary from flags.
#[derive(Clone, Default)]
pub struct Config {
    pub compat: Compat,
    /// `None` disables `/assets/` (matchbox's `-assets-path=""`).
    pub assets_path: Option<PathBuf>,
    /// Log query strings as their keys only (`mac&uuid`), hiding values.
    pub redact_queries: bool,
    /// `/leases`, when the DHCP server runs in this process.
    pub leases: Option<LeasesRender>,
    /// Boot files by name (`/ipxe.efi`, `/undionly.kpxe`, the TFTP root),
    /// for UEFI HTTP Boot and iPXE.
    pub boot_files: Option<Arc<bootfiles::BootFiles>>,
    /// More `/healthz` lines (the shared store's state, with replicas).
    pub health: Option<HealthRender>,
    /// The flight recorder: boot requests are reported to it, and
    /// `/api/machines…` serve its views.
    pub recorder: Option<Arc<recorder_server::Recorder>>,
    /// The other replicas, whose views `/api/` and `/ui/` merge.
    pub peers: Option<Peers>,
    /// Serve the web UI under `/ui/`.
    pub ui: bool,
    /// Sign responses: `/ipxe.sig`, `/ipxe.asc` and so on for the eight
    /// signed endpoints (matchbox's `-key-ring-path`).
    pub signer: Option<Arc<sign::Signer>>,
}

/// Lines appended to `/healthz`, given the snapshot it reports.
pub type HealthRender = Arc<dyn Fn(&store::Snapshot) -> String + Send + Sync>;

/// Renders the Prometheus exposition text for `/metrics`.
pub type MetricsRender = Arc<dyn Fn() -> String + Send + Sync>;

/// Renders the DHCP leases for `/leases`: JSON when the flag is set, else a
/// text table.
pub type LeasesRender = Arc<dyn Fn(bool) -> String + Send + Sync>;

/// Everything a request handler needs.
pub struct App {
    store: Arc<store::Store>,
    compat: Compat,
    assets: Option<assets::Assets>,
    redact_queries: bool,
    metrics: Option<MetricsRender>,
    leases: Option<LeasesRender>,
    boot_files: Option<Arc<bootfiles::BootFiles>>,
    health: Option<HealthRender>,
    recorder: Option<Arc<recorder_server::Recorder>>,
    peers: Option<Peers>,
    ui: bool,
    signer: Option<Arc<sign::Signer>>,
    counters: counters::Counters,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("compat", &self.compat)
            .finish_non_exhaustive()
    }
}

impl App {
    /// Fails only when the assets path cannot be resolved.
    pub fn new(store: Arc<store::Store>, config: Config, metrics: Option<MetricsRender>) -> std::io::Result<App> {
        let assets = match &config.assets_path {
            Some(p) => Some(assets::Assets::new(p)?),
            None => None,
        };
        Ok(App {
            store,
            compat: config.compat,
            assets,
            redact_queries: config.redact_queries,
            metrics,
            leases: config.leases.clone(),
            boot_files: config.boot_files.clone(),
            health: config.health.clone(),
            recorder: config.recorder.clone(),
            peers: config.peers.clone(),
            ui: config.ui,
            signer: config.signer.clone(),
            counters: counters::Counters::new(),
        })
    }

    /// The axum router serving every route.
    pub fn router(self: Arc<App>) -> axum::Router {
        axum::Router::new().fallback(handlers::dispatch).with_state(self)
    }
}
