//! Wiring etcd into the binary: the store settings (flags over `[store]`),
//! the runtime the cluster's tasks run on, and the commands that talk to
//! etcd directly (`kindling store import|export`, `kindling cluster status`).

use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use cluster::transfer::{self, Progress};

use crate::cli::{ClusterStatusArgs, StoreArgs, StoreCommand, TransferArgs};

pub const DEFAULT_PREFIX: &str = "/kindling/";

/// The etcd settings when the store is etcd (`None` for the data
/// directory): each flag overrides its `[store]` key in the file.
pub fn settings(args: &StoreArgs, file: Option<&config::Config>) -> anyhow::Result<Option<cluster::Settings>> {
    let from_file = file.map(|c| c.store.clone()).unwrap_or_default();
    let backend = match args.store.as_deref() {
        Some("etcd") => config::StoreBackend::Etcd,
        Some(_) => config::StoreBackend::Dir,
        None => from_file.backend.unwrap_or(config::StoreBackend::Dir),
    };
    if backend == config::StoreBackend::Dir {
        if !args.etcd_endpoints.is_empty() {
            bail!("--etcd-endpoints is given but the store is the data directory: add --store etcd");
        }
        return Ok(None);
    }
    let endpoints = if args.etcd_endpoints.is_empty() {
        from_file.etcd_endpoints.unwrap_or_default()
    } else {
        args.etcd_endpoints
            .iter()
            .map(|e| config::parse_etcd_endpoint(e).map_err(|m| anyhow::anyhow!("--etcd-endpoints: {m}")))
            .collect::<anyhow::Result<Vec<_>>>()?
    };
    if endpoints.is_empty() {
        bail!(
            "--store etcd needs the etcd members: --etcd-endpoints http://HOST:2379,... (or store.etcd_endpoints in --config)"
        );
    }
    let prefix = match &args.etcd_prefix {
        Some(p) => config::parse_etcd_prefix(p).map_err(|m| anyhow::anyhow!("--etcd-prefix: {m}"))?,
        None => from_file.etcd_prefix.unwrap_or_else(|| DEFAULT_PREFIX.to_owned()),
    };
    let replica = match &args.replica_name {
        Some(n) => config::parse_replica_name(n).map_err(|m| anyhow::anyhow!("--replica-name: {m}"))?,
        None => match from_file.replica_name {
            Some(n) => n,
            None => {
                let host = hostname();
                config::parse_replica_name(&host).map_err(|m| {
                    anyhow::anyhow!("the host name cannot be this replica's name ({m}); give one with --replica-name")
                })?
            }
        },
    };
    let mut etcd = etcd::Config::new(endpoints);
    etcd.tls = etcd::Tls {
        ca_file: args.etcd_ca_file.clone().or(from_file.etcd_ca_file),
        cert_file: args.etcd_cert_file.clone().or(from_file.etcd_cert_file),
        key_file: args.etcd_key_file.clone().or(from_file.etcd_key_file),
    };
    Ok(Some(cluster::Settings { etcd, prefix, replica }))
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default()
}

/// The runtime the cluster's tasks (watches, registration, probes, lease
/// transactions) run on, on its own thread.
pub struct ClusterRuntime {
    handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl ClusterRuntime {
    pub fn start() -> anyhow::Result<ClusterRuntime> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("etcd")
            .enable_all()
            .build()
            .context("starting the etcd runtime")?;
        let handle = runtime.handle().clone();
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new().name("etcd-main".into()).spawn(move || {
            runtime.block_on(async {
                let _ = rx.await;
            });
            runtime.shutdown_timeout(Duration::from_secs(2));
        })?;
        Ok(ClusterRuntime {
            handle,
            stop: Some(tx),
            thread: Some(thread),
        })
    }

    pub fn handle(&self) -> tokio::runtime::Handle {
        self.handle.clone()
    }
}

impl Drop for ClusterRuntime {
    fn drop(&mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Connects and reads the whole configuration, retrying (with a line per
/// failure) until etcd answers: a replica serves nothing rather than an
/// empty configuration.
pub fn load_config(cluster: &cluster::Cluster) -> store::Snapshot {
    let started = Instant::now();
    let mut last_report = Instant::now();
    loop {
        let mut report = |n: usize| {
            if last_report.elapsed() > Duration::from_secs(1) {
                tracing::info!(objects = n, "reading the configuration from etcd");
                last_report = Instant::now();
            }
        };
        match cluster.load_config(&mut report) {
            Ok(snap) => {
                tracing::info!(
                    revision = snap.revision,
                    groups = snap.groups.len(),
                    millis = started.elapsed().as_millis() as u64,
                    "configuration read from etcd"
                );
                return snap;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot read the configuration from etcd; retrying every second");
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    }
}

fn connect(
    store: &StoreArgs,
    file: Option<&std::path::Path>,
) -> anyhow::Result<(ClusterRuntime, Arc<cluster::Cluster>)> {
    let file = match file {
        Some(path) => Some(config::load(path).map_err(|e| anyhow::anyhow!("{e}"))?),
        None => None,
    };
    let mut args = store.clone();
    if args.store.is_none() && file.as_ref().and_then(|c| c.store.backend).is_none() {
        // These commands only make sense against etcd.
        args.store = Some("etcd".into());
    }
    let Some(mut settings) = settings(&args, file.as_ref())? else {
        bail!("this command works on etcd: give --etcd-endpoints (the store in --config is the data directory)");
    };
    // One attempt per endpoint is enough for a command line tool.
    settings.etcd.request_timeout = Duration::from_secs(5);
    let rt = ClusterRuntime::start()?;
    let cluster = cluster::Cluster::connect(settings, rt.handle())?;
    Ok((rt, cluster))
}

pub fn store_command(cmd: StoreCommand) -> anyhow::Result<ExitCode> {
    let (importing, args): (bool, TransferArgs) = match cmd {
        StoreCommand::Import(a) => (true, a),
        StoreCommand::Export(a) => (false, a),
    };
    if importing && !args.data_path.is_dir() {
        bail!(
            "{} is not a directory: pass the data directory to import with --data-path",
            args.data_path.display()
        );
    }
    let (rt, cluster) = connect(&args.store, args.config.as_deref())?;
    let mut err = std::io::stderr().lock();
    let started = Instant::now();
    let mut last = Instant::now() - Duration::from_secs(1);
    let mut progress = |p: Progress| {
        if last.elapsed() < Duration::from_millis(200) {
            if let Progress::Writing { done, total } = p
                && done < total
            {
                return;
            }
            if let Progress::Reading(_) = p {
                return;
            }
        }
        last = Instant::now();
        let line = match p {
            Progress::Reading(n) => format!("reading: {n} objects"),
            Progress::Writing { done, total } => format!("writing: {done}/{total}"),
        };
        let _ = write!(err, "\r{line:<40}");
        let _ = err.flush();
    };
    let client = cluster.client().clone();
    let keys = cluster.keys().clone();
    let plan = rt
        .handle()
        .block_on(async {
            if importing {
                transfer::import(
                    &client,
                    &keys,
                    &args.data_path,
                    args.dry_run,
                    args.delete,
                    &mut progress,
                )
                .await
            } else {
                transfer::export(
                    &client,
                    &keys,
                    &args.data_path,
                    args.dry_run,
                    args.delete,
                    &mut progress,
                )
                .await
            }
        })
        .with_context(|| {
            if importing {
                "importing into etcd"
            } else {
                "exporting from etcd"
            }
        })?;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err);
    for p in &plan.problems {
        writeln!(err, "{p}")?;
    }
    let (from, to) = if importing {
        (args.data_path.display().to_string(), cluster.describe())
    } else {
        (cluster.describe(), args.data_path.display().to_string())
    };
    let verb = if args.dry_run { "would be" } else { "were" };
    if args.dry_run {
        for k in &plan.create {
            println!("create {}", k.relative());
        }
        for k in &plan.update {
            println!("update {}", k.relative());
        }
        for k in &plan.extra {
            println!("{} {}", if args.delete { "delete" } else { "keep  " }, k.relative());
        }
    }
    let extra = if args.delete {
        format!("{} {verb} deleted", plan.extra.len())
    } else {
        format!(
            "{} only at the destination kept (--delete removes them)",
            plan.extra.len()
        )
    };
    println!(
        "{from} -> {to}: {} {verb} created, {} {verb} updated, {} unchanged, {extra}; {} skipped with problems ({:.1} s)",
        plan.create.len(),
        plan.update.len(),
        plan.unchanged,
        plan.problems.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(ExitCode::SUCCESS)
}

pub fn status_command(args: ClusterStatusArgs) -> anyhow::Result<ExitCode> {
    let (rt, cluster) = connect(&args.store, args.config.as_deref())?;
    let client = cluster.client().clone();
    let keys = cluster.keys().clone();
    let (endpoints, members, counts) = rt.handle().block_on(async {
        let endpoints = client.status().await;
        let members = client.get_prefix(&keys.members_prefix(), None, 1000, |_| {}).await;
        let mut counts = Vec::new();
        for (what, prefix) in [("objects", keys.config_prefix()), ("lease keys", keys.leases_prefix())] {
            counts.push((what, client.count(&prefix).await));
        }
        (endpoints, members, counts)
    });
    let members = members.context("reading the replicas from etcd")?;
    let replicas: Vec<cluster::MemberRecord> = members
        .0
        .iter()
        .filter_map(|kv| cluster::MemberRecord::decode(&kv.value))
        .collect();
    let revision = members.1;
    let now = dhcp_server::unix_now();
    if args.output == "json" {
        let json = serde_json::json!({
            "prefix": keys.prefix(),
            "revision": revision,
            "replicas": replicas.iter().map(|r| serde_json::json!({
                "name": r.name, "http": r.http, "version": r.version,
                "started": r.started, "config_revision": r.config_revision,
            })).collect::<Vec<_>>(),
            "endpoints": endpoints.iter().map(|e| match &e.status {
                Ok(s) => serde_json::json!({
                    "url": e.url, "healthy": s.errors.is_empty() && s.leader != 0,
                    "member_id": format!("{:x}", s.member_id), "leader": s.leader == s.member_id,
                    "has_leader": s.leader != 0, "version": s.version, "raft_term": s.raft_term,
                    "revision": s.revision, "db_size": s.db_size, "errors": s.errors,
                    "round_trip_ms": e.round_trip.as_secs_f64() * 1000.0,
                }),
                Err(err) => serde_json::json!({"url": e.url, "healthy": false, "error": err}),
            }).collect::<Vec<_>>(),
            "counts": counts.iter().map(|(w, c)| (w.replace(' ', "_"), serde_json::json!(c.as_ref().ok()))).collect::<serde_json::Map<_, _>>(),
        });
        println!("{}", serde_json::to_string_pretty(&json)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!("prefix {} at revision {revision}", keys.prefix());
    println!();
    println!(
        "{:<20} {:<24} {:<10} {:<12} CONFIG REVISION",
        "REPLICA", "HTTP", "VERSION", "UP"
    );
    for r in &replicas {
        let up = now.saturating_sub(r.started);
        println!(
            "{:<20} {:<24} {:<10} {:<12} {}",
            r.name,
            r.http,
            r.version,
            format!("{}s", up),
            r.config_revision
        );
    }
    if replicas.is_empty() {
        println!("(no replica is registered)");
    }
    println!();
    println!(
        "{:<28} {:<8} {:<8} {:<10} {:<10} {:<10} DETAIL",
        "ETCD ENDPOINT", "HEALTH", "ROLE", "VERSION", "REVISION", "RTT"
    );
    let mut healthy = 0;
    for e in &endpoints {
        match &e.status {
            Ok(s) => {
                let ok = s.errors.is_empty() && s.leader != 0;
                healthy += ok as usize;
                let role = if s.leader == s.member_id {
                    "leader"
                } else if s.leader == 0 {
                    "no leader"
                } else {
                    "follower"
                };
                println!(
                    "{:<28} {:<8} {:<8} {:<10} {:<10} {:<10} {}",
                    e.url,
                    if ok { "ok" } else { "degraded" },
                    role,
                    s.version,
                    s.revision,
                    format!("{:.1}ms", e.round_trip.as_secs_f64() * 1000.0),
                    s.errors.join("; ")
                );
            }
            Err(err) => println!(
                "{:<28} {:<8} {:<8} {:<10} {:<10} {:<10} {}",
                e.url, "down", "-", "-", "-", "-", err
            ),
        }
    }
    println!();
    for (what, c) in &counts {
        match c {
            Ok(n) => println!("{what}: {n}"),
            Err(e) => println!("{what}: unknown ({e})"),
        }
    }
    Ok(if healthy * 2 > endpoints.len() {
        ExitCode::SUCCESS
    } else {
        println!("no quorum of healthy endpoints");
        ExitCode::FAILURE
    })
}
