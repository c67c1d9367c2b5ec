//! `kindling serve`: check the configuration the way matchbox does (same
//! fatal messages), load the store, start watching it, and serve HTTP until
//! SIGTERM or SIGINT.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use metrics_exporter_prometheus::PrometheusBuilder;
use tokio_util::sync::CancellationToken;

use crate::cli::ServeArgs;
use crate::logging;

pub fn run(mut args: ServeArgs) -> anyhow::Result<ExitCode> {
    let level = logging::parse_level(&args.log_level)?;
    logging::init(level);

    let file_config = match &args.config {
        Some(path) => Some(config::load(path).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    if let Some(c) = &file_config {
        // [tftp] fills in what the flags leave unset.
        args.tftp = args.tftp.or(c.tftp.enabled);
        args.tftp_root = args.tftp_root.take().or_else(|| c.tftp.root.clone());
    }
    let shared = crate::cluster::settings(&args.store, file_config.as_ref())?;
    if shared.is_none() && !args.data_path.is_dir() {
        bail!(
            "A valid -data-path is required: {} is not a directory (create it, or point --data-path / MATCHBOX_DATA_PATH at your data directory)",
            args.data_path.display()
        );
    }
    let assets_path = if args.assets_path.is_empty() {
        None
    } else {
        let p = PathBuf::from(&args.assets_path);
        if !p.is_dir() {
            bail!(
                "Provide a valid -assets-path or '' to disable asset serving: {}",
                args.assets_path
            );
        }
        Some(p)
    };
    let signer = if args.key_ring_path.is_empty() {
        None
    } else {
        Some(Arc::new(open_signer(&args.key_ring_path)?))
    };
    let tls = if args.web_ssl {
        Some(web::tls::ReloadingCert::open(&args.web_cert_file, &args.web_key_file)?)
    } else {
        if !args.http_address.is_empty() {
            bail!(
                "--http-address adds a plain HTTP listener beside HTTPS on --address: it needs --web-ssl (without it, --address already serves plain HTTP)"
            );
        }
        None
    };
    let mut compat = web::Compat::parse_list(&args.compat)?;
    if args.matchbox_exact {
        compat = web::Compat::all();
    }
    if args.ignition_compat_empty {
        compat.enable(web::Quirk::IgnitionEmpty);
    }

    let recorder = PrometheusBuilder::new().build_recorder();
    let metrics_handle = recorder.handle();
    metrics::set_global_recorder(recorder).context("installing the metrics recorder")?;
    describe_metrics();

    let http = HttpSetup {
        assets_path,
        compat,
        tls,
        signer,
    };
    serve(args, file_config, shared, http, metrics_handle)
}

/// What the checks above settled for the HTTP side.
struct HttpSetup {
    assets_path: Option<PathBuf>,
    compat: web::Compat,
    /// With --web-ssl: the certificate, watched for renewals.
    tls: Option<Arc<web::tls::ReloadingCert>>,
    /// With --key-ring-path: the unlocked key.
    signer: Option<Arc<sign::Signer>>,
}

/// The keyring of `--key-ring-path`, its first key unlocked with the
/// passphrase from the environment (KINDLING_PASSPHRASE, or matchbox's
/// MATCHBOX_PASSPHRASE); never a flag, so it stays out of `ps`.
fn open_signer(path: &str) -> anyhow::Result<sign::Signer> {
    let keyring = std::fs::read(path).with_context(|| {
        format!(
            "cannot read the --key-ring-path keyring {path} (export one with gpg --export-secret-keys KEYID > FILE)"
        )
    })?;
    let passphrase = std::env::var("KINDLING_PASSPHRASE")
        .or_else(|_| std::env::var("MATCHBOX_PASSPHRASE"))
        .unwrap_or_default();
    let signer = sign::Signer::from_keyring(&keyring, &passphrase)?;
    tracing::info!(
        keyring = path,
        key_id = signer.key_id(),
        "signing responses (.sig, .asc)"
    );
    Ok(signer)
}

fn describe_metrics() {
    metrics::describe_counter!(
        "kindling_http_requests_total",
        "HTTP requests answered, by route and status"
    );
    metrics::describe_counter!(
        "kindling_selection_misses_total",
        "Requests whose labels matched no group, by route"
    );
    metrics::describe_counter!(
        "kindling_snapshot_reloads_total",
        "Snapshots made: one per change applied (or full load)"
    );
    metrics::describe_gauge!("kindling_groups", "Groups in the current snapshot");
    metrics::describe_gauge!("kindling_profiles", "Profiles in the current snapshot");
    metrics::describe_gauge!(
        "kindling_data_errors",
        "Files skipped or broken in the current snapshot"
    );
    metrics::describe_gauge!(
        "kindling_snapshot_load_seconds",
        "Time the last change (or full load) took to apply"
    );
    metrics::describe_gauge!(
        "kindling_etcd_up",
        "1 while a quorum of etcd answers this replica, else 0"
    );
    metrics::describe_histogram!(
        "kindling_etcd_request_seconds",
        "Round-trip time of etcd requests, by operation"
    );
    metrics::describe_histogram!(
        "kindling_etcd_probe_seconds",
        "Round-trip time of the quorum read made every second"
    );
    metrics::describe_counter!(
        "kindling_etcd_endpoint_switches_total",
        "Times etcd requests moved to another endpoint"
    );
    metrics::describe_counter!(
        "kindling_etcd_errors_total",
        "etcd requests no endpoint could answer, or that etcd refused, by operation"
    );
    metrics::describe_counter!(
        "kindling_etcd_cas_conflicts_total",
        "Lease transactions that lost a compare-and-swap race"
    );
    metrics::describe_histogram!(
        "kindling_etcd_watch_lag_seconds",
        "Time from etcd's answer to one of this replica's writes to its watch bringing it back, by watch"
    );
    metrics::describe_counter!(
        "kindling_dhcp_lease_conflicts_total",
        "DHCP exchanges answered NAK because another replica took the address first"
    );
    metrics::describe_gauge!(
        "kindling_dhcp_leases_writable",
        "0 while leases cannot be made durable (the shared lease store has no quorum)"
    );
    metrics::describe_gauge!("kindling_cluster_replicas", "Live replicas under members/ in etcd");
}

/// Logs the issues a change raised (all of them after a full load) and
/// updates the data gauges.
fn on_reload(snap: &store::Snapshot, raised: &[store::Issue]) {
    metrics::counter!("kindling_snapshot_reloads_total").increment(1);
    metrics::gauge!("kindling_groups").set(snap.groups.len() as f64);
    metrics::gauge!("kindling_profiles").set(snap.profile_count() as f64);
    metrics::gauge!("kindling_data_errors").set(snap.error_count() as f64);
    metrics::gauge!("kindling_snapshot_load_seconds").set(snap.load_duration.as_secs_f64());
    for issue in raised {
        match issue.severity {
            store::Severity::Error => tracing::warn!(path = %issue.path, problem = %issue.message, "data error"),
            store::Severity::Warning => tracing::warn!(path = %issue.path, problem = %issue.message, "data warning"),
        }
    }
    tracing::info!(
        generation = snap.generation,
        groups = snap.groups.len(),
        profiles = snap.profile_count(),
        errors = snap.error_count(),
        millis = snap.load_duration.as_millis() as u64,
        "data loaded"
    );
}

/// Loads the store, then serves HTTP on one single-threaded runtime per CPU,
/// each with its own listening socket of one `SO_REUSEPORT` group, as nginx
/// workers do. A connection never moves between threads: no cross-thread
/// wake-ups per request, which is where a work-stealing runtime spent most
/// of its time on short connections (see bench/README.md).
fn serve(
    args: ServeArgs,
    file_config: Option<config::Config>,
    shared: Option<cluster::Settings>,
    http: HttpSetup,
    metrics_handle: metrics_exporter_prometheus::PrometheusHandle,
) -> anyhow::Result<ExitCode> {
    let HttpSetup {
        assets_path,
        compat,
        tls,
        signer,
    } = http;
    let stop = CancellationToken::new();
    // The runtime of the etcd tasks outlives everything that uses it.
    let mut cluster_runtime = None;
    let (store, _watch, cluster) = match shared {
        None => {
            let store = Arc::new(store::Store::open(&args.data_path, Some(Box::new(on_reload))));
            let watch = store::watch(store.clone(), &args.data_path).context("watching the data directory")?;
            (store, Some(watch), None)
        }
        Some(settings) => {
            let runtime = crate::cluster::ClusterRuntime::start()?;
            let cluster = cluster::Cluster::connect(settings, runtime.handle())?;
            tracing::info!(store = %cluster.describe(), replica = cluster.replica(), "configuration and leases are in etcd");
            let first = crate::cluster::load_config(&cluster);
            let store = Arc::new(store::Store::with_snapshot(
                Box::new(cluster.backend()),
                first,
                Some(Box::new(on_reload)),
            ));
            cluster.spawn_config_sync(store.clone(), stop.clone());
            cluster_runtime = Some(runtime);
            (store, None, Some(cluster))
        }
    };

    // Signal handlers first, so an early SIGTERM is a clean stop, not a kill.
    let signals = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the signal runtime")?;
    let shutdown = signals.block_on(async { ShutdownSignals::install() })?;

    let workers = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let listeners = bind(&args.address, "--address", workers)?;
    let local = listeners[0].local_addr()?;
    // With HTTPS, an optional plain listener for firmware without TLS.
    let plain = if args.http_address.is_empty() {
        Vec::new()
    } else {
        bind(&args.http_address, "--http-address", workers)?
    };
    let plain_local = plain.first().map(|l| l.local_addr()).transpose()?;
    // Where DHCP's boot URLs (http://…) send firmware.
    let boot_http = plain_local.unwrap_or(local);

    let recorder = if args.recorder {
        Some(crate::recorder::start(
            &args,
            store.clone(),
            cluster.as_ref().map(|c| c.replica().to_owned()),
        )?)
    } else {
        None
    };
    let events = recorder.as_ref().map(|r| r.recorder.sink());

    let (mut dhcp_cfg, lease_file) = crate::dhcp::configure(&args, file_config.as_ref(), boot_http, cluster.is_some())?;
    if tls.is_some() && plain_local.is_none() && dhcp_cfg.mode != dhcp::Mode::Off {
        tracing::warn!(
            "DHCP hands firmware http:// boot URLs, but --address speaks HTTPS only: add --http-address for a plain HTTP listener, or set dhcp.http_port in --config to a plain HTTP server"
        );
    }
    let dns_config = crate::dns::configure(&args, file_config.as_ref())?;
    if let Some((cfg, addrs)) = &dns_config {
        crate::dns::offer_in_dhcp(cfg, addrs, &mut dhcp_cfg);
    }
    let dhcp = if dhcp_cfg.mode == dhcp::Mode::Off {
        None
    } else {
        let leases = match &cluster {
            Some(c) => crate::dhcp::Leases::Etcd(c.clone()),
            None => crate::dhcp::Leases::File(lease_file),
        };
        let handle = crate::dhcp::start(dhcp_cfg, leases, stop.clone())?;
        if let Some(sink) = &events {
            handle.service.set_recorder(sink.clone());
        }
        Some(handle)
    };
    if let Some(c) = &cluster {
        // Where the other replicas reach this one (for merged views, over
        // plain HTTP): the address it listens on (the --http-address one
        // beside HTTPS), or its host name when that is every address.
        let advertised = if boot_http.ip().is_unspecified() {
            let host = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap_or_default();
            format!("{}:{}", host.trim(), boot_http.port())
        } else {
            boot_http.to_string()
        };
        if tls.is_some() && plain_local.is_none() {
            tracing::warn!(
                "replicas merge their machine views over plain HTTP, and --address speaks HTTPS only: add --http-address so that /api/machines and the web UI include the other replicas"
            );
        }
        c.spawn_membership(
            store.clone(),
            dhcp.as_ref().map(|d| d.service.clone()),
            advertised,
            stop.clone(),
        );
    }
    let leases: Option<web::LeasesRender> = dhcp.as_ref().map(|d| {
        let service = d.service.clone();
        let render: web::LeasesRender =
            Arc::new(move |json| crate::dhcp::render_leases(&service.leases(), json, dhcp_server::unix_now()));
        render
    });

    let dns_service = match dns_config {
        Some((cfg, addrs)) => {
            let reservations = file_config
                .as_ref()
                .map(|c| c.dhcp.reservations.clone())
                .unwrap_or_default();
            // DHCP subnets are served networks even when they are behind relays.
            let subnets = file_config
                .as_ref()
                .map(|c| {
                    c.dhcp
                        .subnets
                        .iter()
                        .filter_map(|s| dns::Cidr::new(s.net.addr.into(), s.net.prefix))
                        .collect()
                })
                .unwrap_or_default();
            Some(crate::dns::start(
                cfg,
                addrs,
                reservations,
                dhcp.as_ref().map(|d| d.service.clone()),
                subnets,
                stop.clone(),
            )?)
        }
        None => None,
    };

    let boot_files = crate::tftp::boot_files(&args)?;
    let tftp_service = match (&boot_files, args.tftp.unwrap_or(false)) {
        (Some(files), true) => Some(crate::tftp::start(&args, files.clone(), events.clone(), stop.clone())?),
        _ => None,
    };

    let config = web::Config {
        compat,
        assets_path,
        redact_queries: args.redact_queries,
        leases,
        boot_files,
        health: cluster.clone().map(|c| {
            let render: web::HealthRender = Arc::new(move |snap| c.status_lines(snap.revision));
            render
        }),
        recorder: recorder.as_ref().map(|r| r.recorder.clone()),
        peers: cluster.clone().map(|c| {
            let peers: web::Peers = Arc::new(move || c.peer_addresses());
            peers
        }),
        ui: args.ui,
        signer,
    };
    let rpc_thread = if args.rpc_address.is_empty() {
        None
    } else {
        Some(crate::rpc::start(&args, store.clone(), compat, stop.clone())?)
    };
    let render: web::MetricsRender = Arc::new(move || metrics_handle.render());
    let app = Arc::new(web::App::new(store, config, Some(render)).context("opening the assets path")?);
    let router = app.router();

    let tls_config = tls.map(|cert| {
        let watched = cert.clone();
        let stop = stop.clone();
        // Renewals are picked up within a second; the thread ends with the server.
        let _ = std::thread::Builder::new()
            .name("https-cert".into())
            .spawn(move || watched.watch(Duration::from_secs(1), &stop));
        web::tls::server_config(cert)
    });

    let grace = Duration::from_secs(args.shutdown_grace);
    let mut threads = Vec::with_capacity(workers);
    let mut plain = plain.into_iter();
    for (i, listener) in listeners.into_iter().enumerate() {
        let router = router.clone();
        let stop = stop.clone();
        let tls_config = tls_config.clone();
        let plain = plain.next();
        let thread = std::thread::Builder::new().name(format!("http-{i}")).spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                Ok(rt) => rt,
                Err(e) => {
                    tracing::error!(error = %e, "cannot start an HTTP worker runtime");
                    return;
                }
            };
            runtime.block_on(async move {
                let main = serve_std(listener, router.clone(), tls_config, stop.clone(), grace);
                let second = async {
                    if let Some(listener) = plain {
                        serve_std(listener, router.clone(), None, stop.clone(), grace).await;
                    }
                };
                tokio::join!(main, second);
            });
        })?;
        threads.push(thread);
    }
    ready_line(if tls_config.is_some() { "https" } else { "http" }, local);
    if let Some(addr) = plain_local {
        ready_line("http", addr);
    }
    tracing::info!(compat = %compat, workers, "matchbox compatibility switches");

    signals.block_on(shutdown.recv());
    stop.cancel();
    for t in threads {
        let _ = t.join();
    }
    if let Some(d) = dhcp {
        d.join();
    }
    if let Some(t) = tftp_service {
        t.join();
    }
    if let Some(d) = dns_service {
        d.join();
    }
    if let Some(t) = rpc_thread {
        let _ = t.join();
    }
    if let Some(r) = recorder {
        r.stop();
    }
    // Last: the registration's removal runs on it.
    drop(cluster_runtime);
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// Serves one worker's listening socket (HTTPS with `tls`) until `stop`.
async fn serve_std(
    listener: std::net::TcpListener,
    router: axum::Router,
    tls: Option<Arc<web::tls::ServerConfig>>,
    stop: CancellationToken,
    grace: Duration,
) {
    match tokio::net::TcpListener::from_std(listener) {
        Ok(listener) => web::serve(listener, router, tls, stop.cancelled_owned(), grace).await,
        Err(e) => tracing::error!(error = %e, "cannot register the listening socket"),
    }
}

/// The readiness line: printed for every listener whatever the log level,
/// in a fixed form that scripts and tests wait for.
pub fn ready_line(service: &str, addr: SocketAddr) {
    eprintln!("kindling: listening service=\"{service}\" addr={addr}");
}

/// One listening socket of the `SO_REUSEPORT` group: the kernel spreads
/// new connections over the group's sockets, one per worker thread.
fn bind_reuse(addr: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    use socket2::{Domain, Socket, Type};
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, None)?;
    if addr.is_ipv6() {
        // Like Go: "[::]:8080" also accepts IPv4.
        socket.set_only_v6(false)?;
    }
    socket.set_reuse_address(true)?;
    socket.set_reuse_port(true)?;
    socket.bind(&addr.into())?;
    socket.listen(1024)?;
    socket.set_nonblocking(true)?;
    Ok(socket.into())
}

/// Fails if another process already listens on `addr`. `SO_REUSEPORT` would
/// otherwise let a second kindling share the port silently.
fn check_port_free(addr: SocketAddr) -> std::io::Result<()> {
    if addr.port() == 0 {
        return Ok(());
    }
    let probe = socket2::Socket::new(socket2::Domain::for_address(addr), socket2::Type::STREAM, None)?;
    if addr.is_ipv6() {
        probe.set_only_v6(false)?;
    }
    probe.set_reuse_address(true)?;
    probe.bind(&addr.into())
}

/// The listening sockets, one per worker: `address` parsed like Go's
/// `net.Listen("tcp", addr)` (an empty host listens on every address, IPv6
/// and IPv4; a host name is resolved).
fn bind(address: &str, flag: &str, workers: usize) -> anyhow::Result<Vec<std::net::TcpListener>> {
    use std::net::ToSocketAddrs;
    let candidates: Vec<SocketAddr> = if let Some(port) = address.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .with_context(|| format!("invalid port in {flag} {address:?}"))?;
        vec![
            SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, port)),
            SocketAddr::from(([0, 0, 0, 0], port)),
        ]
    } else {
        address
            .to_socket_addrs()
            .with_context(|| format!("cannot resolve {flag} {address:?}"))?
            .collect()
    };
    let mut last_error = None;
    for addr in candidates {
        let first = check_port_free(addr).and_then(|()| bind_reuse(addr));
        match first {
            Ok(first) => {
                let local = first.local_addr()?;
                let mut listeners = vec![first];
                for _ in 1..workers {
                    listeners.push(bind_reuse(local).with_context(|| format!("cannot listen on {local}"))?);
                }
                return Ok(listeners);
            }
            Err(e) => last_error = Some(e),
        }
    }
    match last_error {
        Some(e) => Err(anyhow::Error::new(e).context(format!(
            "cannot listen on {address} (is another server using the port?)"
        ))),
        None => bail!("{flag} {address:?} resolves to no address"),
    }
}

struct ShutdownSignals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl ShutdownSignals {
    fn install() -> anyhow::Result<ShutdownSignals> {
        use tokio::signal::unix::{SignalKind, signal};
        Ok(ShutdownSignals {
            term: signal(SignalKind::terminate()).context("installing the SIGTERM handler")?,
            int: signal(SignalKind::interrupt()).context("installing the SIGINT handler")?,
        })
    }

    async fn recv(mut self) {
        let name = tokio::select! {
            _ = self.term.recv() => "SIGTERM",
            _ = self.int.recv() => "SIGINT",
        };
        tracing::info!(
            signal = name,
            "shutting down: no new connections, finishing requests in flight"
        );
    }
}
