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

use crate::cli::ServeArgs;
use crate::logging;

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let level = logging::parse_level(&args.log_level)?;
    logging::init(level);

    if !args.data_path.is_dir() {
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
    if !args.rpc_address.is_empty() {
        bail!(
            "--rpc-address {}: the gRPC management API is not available in this kindling build yet; remove the flag (and MATCHBOX_RPC_ADDRESS) to serve HTTP only",
            args.rpc_address
        );
    }
    if !args.key_ring_path.is_empty() {
        bail!(
            "--key-ring-path: signed responses (.sig/.asc) are not available in this kindling build yet; remove the flag to serve unsigned responses"
        );
    }
    if args.web_ssl {
        bail!(
            "--web-ssl: HTTPS is not available in this kindling build yet; serve HTTP, or terminate TLS in front of kindling"
        );
    }
    let mut compat = web::Compat::parse_list(&args.compat)?;
    if args.matchbox_exact {
        compat = web::Compat::all();
    }

    let recorder = PrometheusBuilder::new().build_recorder();
    let metrics_handle = recorder.handle();
    metrics::set_global_recorder(recorder).context("installing the metrics recorder")?;
    describe_metrics();

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(serve(args, assets_path, compat, metrics_handle))
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
    metrics::describe_counter!("kindling_snapshot_reloads_total", "Data directory snapshots built");
    metrics::describe_gauge!("kindling_groups", "Groups in the current snapshot");
    metrics::describe_gauge!("kindling_profiles", "Profiles in the current snapshot");
    metrics::describe_gauge!(
        "kindling_data_errors",
        "Files skipped or broken in the current snapshot"
    );
    metrics::describe_gauge!("kindling_snapshot_load_seconds", "Time the last snapshot took to build");
}

fn on_reload(snap: &store::Snapshot) {
    metrics::counter!("kindling_snapshot_reloads_total").increment(1);
    metrics::gauge!("kindling_groups").set(snap.groups.len() as f64);
    metrics::gauge!("kindling_profiles").set(snap.profile_count() as f64);
    metrics::gauge!("kindling_data_errors").set(snap.error_count() as f64);
    metrics::gauge!("kindling_snapshot_load_seconds").set(snap.load_duration.as_secs_f64());
    for issue in &snap.issues {
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

async fn serve(
    args: ServeArgs,
    assets_path: Option<PathBuf>,
    compat: web::Compat,
    metrics_handle: metrics_exporter_prometheus::PrometheusHandle,
) -> anyhow::Result<ExitCode> {
    let data_path = args.data_path.clone();
    let store =
        tokio::task::spawn_blocking(move || Arc::new(store::Store::open(&data_path, Some(Box::new(on_reload)))))
            .await
            .context("loading the data directory")?;
    let _watch = store::watch(store.clone()).context("watching the data directory")?;

    let config = web::Config {
        compat,
        assets_path,
        redact_queries: args.redact_queries,
    };
    let render: web::MetricsRender = Arc::new(move || metrics_handle.render());
    let app = Arc::new(web::App::new(store, config, Some(render)).context("opening the assets path")?);

    let listener = bind(&args.address).await?;
    let local = listener.local_addr()?;
    ready_line("http", local);
    tracing::info!(compat = %compat, "matchbox compatibility switches");

    web::serve(
        listener,
        app.router(),
        shutdown_signal(),
        Duration::from_secs(args.shutdown_grace),
    )
    .await;
    tracing::info!("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The readiness line: printed for every listener whatever the log level,
/// in a fixed form that scripts and tests wait for.
fn ready_line(service: &str, addr: SocketAddr) {
    eprintln!("kindling: listening service=\"{service}\" addr={addr}");
}

/// Binds like Go's `net.Listen("tcp", addr)`: an empty host listens on every
/// address (IPv6 and IPv4), a host name is resolved.
async fn bind(address: &str) -> anyhow::Result<tokio::net::TcpListener> {
    if let Some(port) = address.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .with_context(|| format!("invalid port in --address {address:?}"))?;
        let v6 = SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, port));
        return match tokio::net::TcpListener::bind(v6).await {
            Ok(l) => Ok(l),
            Err(_) => tokio::net::TcpListener::bind(SocketAddr::from(([0, 0, 0, 0], port)))
                .await
                .with_context(|| format!("cannot listen on {address}")),
        };
    }
    tokio::net::TcpListener::bind(address)
        .await
        .with_context(|| format!("cannot listen on {address} (is another server using the port?)"))
}

async fn shutdown_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate()).expect("installing the SIGTERM handler");
    let mut int = signal(SignalKind::interrupt()).expect("installing the SIGINT handler");
    let name = tokio::select! {
        _ = term.recv() => "SIGTERM",
        _ = int.recv() => "SIGINT",
    };
    tracing::info!(
        signal = name,
        "shutting down: no new connections, finishing requests in flight"
    );
}
