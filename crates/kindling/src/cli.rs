//! Command-line parsing: clap definitions plus the two matchbox habits an
//! existing unit file or container command relies on: Go-style single-dash
//! long flags (`-address=:8080`) and flags filled from `MATCHBOX_*`
//! environment variables. kindling also reads `KINDLING_*`, which wins over
//! `MATCHBOX_*`; a flag given on the command line wins over both.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::parser::ValueSource;
use clap::{ArgMatches, Args, CommandFactory, FromArgMatches, Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "kindling",
    version,
    about = "Network-boot provisioning: a drop-in for matchbox that serves iPXE, GRUB, Ignition and other configs to machines matched by groups and profiles",
    long_about = "kindling serves network-boot configuration over HTTP from a matchbox data directory \
(profiles/, groups/, ignition/, cloud/, generic/) with matchbox's endpoints, answers and flags.\n\n\
Run without a subcommand, kindling behaves like the matchbox binary and serves (so `kindling -address=0.0.0.0:8080` works).\n\n\
Every flag can also be set with an environment variable: --data-path is KINDLING_DATA_PATH or MATCHBOX_DATA_PATH. \
A flag on the command line wins over KINDLING_*, which wins over MATCHBOX_*.",
    after_help = "Quick start: kindling serve --data-path examples/data --assets-path examples/data/assets --address 127.0.0.1:8080"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP boot and provisioning API from a data directory (the default command).
    Serve(Box<ServeArgs>),
    /// Check a data directory: bad JSON, missing profiles or templates, template errors, identical selectors.
    Validate(ValidateArgs),
    /// Print exactly what a machine would receive from an endpoint, or why it would get an error.
    Render(RenderArgs),
    /// List DHCP leases: from a running server (over HTTP), or from the lease file when no server runs.
    Leases(LeasesArgs),
    /// Certificates for the gRPC API's mutual TLS.
    #[command(subcommand)]
    Certs(CertsCommand),
    /// Manage groups through a running kindling's (or matchbox's) gRPC API.
    Group(ObjectArgs),
    /// Manage profiles through the gRPC API.
    Profile(ObjectArgs),
    /// Manage Ignition configs and Butane templates through the gRPC API.
    Ignition(ObjectArgs),
    /// Manage generic templates through the gRPC API.
    Generic(ObjectArgs),
    /// List the machines the flight recorder has seen: state, stage, group, addresses.
    Machines(MachinesArgs),
    /// Tell one machine's last boots stage by stage and, for one that failed or stalled, what to do.
    Explain(ExplainArgs),
    /// Move a whole configuration between a data directory and etcd.
    #[command(subcommand)]
    Store(StoreCommand),
    /// Replicas sharing one etcd cluster.
    #[command(subcommand)]
    Cluster(ClusterCommand),
    /// Turn another tool's configuration into kindling's.
    #[command(subcommand)]
    Import(ImportCommand),
}

#[derive(Debug, Subcommand)]
pub enum ImportCommand {
    /// Translate a dnsmasq configuration into kindling's TOML.
    ///
    /// Give a dnsmasq.conf file, or dnsmasq's command-line flags after `--` (as a container
    /// runs it): `kindling import dnsmasq /etc/dnsmasq.conf -o kindling.toml`, or
    /// `kindling import dnsmasq -- --dhcp-range=192.168.1.3,192.168.1.254 --enable-tftp ...`.
    /// The TOML goes to standard output (or -o); every dnsmasq option that cannot be carried
    /// over is listed on standard error with its line and the reason. Exit status: 0 when
    /// nothing was lost, 1 when something was (the TOML is still written), 2 on errors.
    #[command(verbatim_doc_comment)]
    Dnsmasq(ImportDnsmasqArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ImportDnsmasqArgs {
    /// The dnsmasq configuration file (omit it and give flags after `--` instead).
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,

    /// Write the TOML to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// dnsmasq's command-line flags, after `--`.
    #[arg(last = true, value_name = "FLAG")]
    pub flags: Vec<String>,
}

/// Where groups, profiles, templates and leases live (the same flags for
/// `serve`, `store` and `cluster`; each overrides its `[store]` key in --config).
#[derive(Debug, Clone, Default, Args)]
pub struct StoreArgs {
    /// Where groups, profiles, templates and leases live: dir (the data directory and the lease
    /// file, the default) or etcd (an etcd cluster that several kindling replicas share; see
    /// docs/cluster.md). Overrides store.backend.
    #[arg(long, value_name = "STORE", value_parser = ["dir", "etcd"])]
    pub store: Option<String>,

    /// The etcd members' client URLs, comma-separated, such as
    /// http://10.0.0.1:2379,http://10.0.0.2:2379,http://10.0.0.3:2379. Overrides store.etcd_endpoints.
    #[arg(long, value_name = "URL,...", value_delimiter = ',')]
    pub etcd_endpoints: Vec<String>,

    /// The key prefix kindling keeps everything under [default: /kindling/]. Overrides store.etcd_prefix.
    #[arg(long, value_name = "PREFIX")]
    pub etcd_prefix: Option<String>,

    /// CA certificate (PEM) of the etcd members, for https:// endpoints. Overrides store.etcd_ca_file.
    #[arg(long, value_name = "FILE")]
    pub etcd_ca_file: Option<PathBuf>,

    /// Client certificate (PEM) for etcd members that require one. Overrides store.etcd_cert_file.
    #[arg(long, value_name = "FILE")]
    pub etcd_cert_file: Option<PathBuf>,

    /// The client certificate's key (PEM). Overrides store.etcd_key_file.
    #[arg(long, value_name = "FILE")]
    pub etcd_key_file: Option<PathBuf>,

    /// This replica's name among the replicas of one etcd prefix [default: the host name].
    /// Overrides store.replica_name.
    #[arg(long, value_name = "NAME")]
    pub replica_name: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum StoreCommand {
    /// Copy a data directory into etcd: new and changed objects are written, with a progress
    /// line; objects only in etcd are kept unless --delete. Running servers pick it up at once.
    Import(TransferArgs),
    /// Copy the configuration in etcd into a data directory (created if needed), each file
    /// written atomically; files of objects only in the directory are kept unless --delete.
    Export(TransferArgs),
}

#[derive(Debug, Clone, Args)]
pub struct TransferArgs {
    /// The data directory to read (import) or write (export).
    #[arg(long, value_name = "DIR")]
    pub data_path: PathBuf,

    /// Say what would be created, changed and deleted; write nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Also delete what the destination has and the source does not.
    #[arg(long)]
    pub delete: bool,

    /// A kindling configuration file whose [store] section names the etcd cluster.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,
}

#[derive(Debug, Subcommand)]
pub enum ClusterCommand {
    /// Show the replicas (with the configuration revision each has reached), the etcd members
    /// with their health, leader and revision, and the lease and object counts.
    Status(ClusterStatusArgs),
}

#[derive(Debug, Clone, Args)]
pub struct ClusterStatusArgs {
    /// Output format: a readable report, or JSON for scripts.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub output: String,

    /// A kindling configuration file whose [store] section names the etcd cluster.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    #[command(flatten)]
    pub store: StoreArgs,
}

/// bootcmd's role: a gRPC client with a client certificate.
#[derive(Debug, Clone, Args)]
pub struct ObjectArgs {
    #[command(subcommand)]
    pub action: ObjectAction,

    /// The gRPC API to talk to (kindling serve --rpc-address).
    #[arg(long, global = true, default_value = "127.0.0.1:8081", value_name = "HOST:PORT")]
    pub endpoint: String,

    /// CA certificate the server's certificate must chain to.
    #[arg(long, global = true, default_value = "/etc/matchbox/ca.crt", value_name = "FILE")]
    pub ca_file: PathBuf,

    /// This client's certificate (signed by the server's client CA).
    #[arg(long, global = true, default_value = "/etc/matchbox/client.crt", value_name = "FILE")]
    pub cert_file: PathBuf,

    /// This client's private key.
    #[arg(long, global = true, default_value = "/etc/matchbox/client.key", value_name = "FILE")]
    pub key_file: PathBuf,

    /// Output format: a readable table, or JSON for scripts.
    #[arg(long, global = true, default_value = "table", value_parser = ["table", "json"])]
    pub output: String,
}

#[derive(Debug, Clone, Subcommand)]
pub enum ObjectAction {
    /// Create or replace one from a file: a group or profile JSON file as in the data
    /// directory, or the template itself (named after the file unless --name is given).
    Create {
        #[arg(short = 'f', long = "filename", value_name = "FILE")]
        file: PathBuf,
        /// The template's name (ignition and generic only; default: the file's name).
        #[arg(long, value_name = "NAME")]
        name: Option<String>,
    },
    /// Show one (a template's content is printed as it is stored).
    Get {
        #[arg(value_name = "ID_OR_NAME")]
        id: String,
    },
    /// List all.
    List,
    /// Delete one.
    Delete {
        #[arg(value_name = "ID_OR_NAME")]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum CertsCommand {
    /// Write a CA, a server certificate (for the names given with --san) and a client
    /// certificate into DIR: ca.crt, ca.key, server.crt, server.key, client.crt, client.key.
    Init(CertsInitArgs),
}

#[derive(Debug, Clone, Args)]
pub struct CertsInitArgs {
    /// Directory to write the files into (created if missing).
    #[arg(value_name = "DIR")]
    pub dir: PathBuf,

    /// A name clients use to reach the server: a DNS name or an IP address; repeat it or
    /// separate with commas (default: localhost and 127.0.0.1).
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub san: Vec<String>,

    /// The client certificate's common name.
    #[arg(long, default_value = "kindling client", value_name = "NAME")]
    pub client_name: String,

    /// Also write an HTTPS certificate for `kindling serve --web-ssl`, valid for these names
    /// (DNS names or IP addresses; repeat or separate with commas), as DIR/ssl/server.crt and
    /// DIR/ssl/server.key: the default --web-cert-file and --web-key-file when DIR is /etc/matchbox.
    #[arg(long, value_name = "NAME", value_delimiter = ',')]
    pub web_san: Vec<String>,

    /// Replace files that already exist.
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Clone, Args)]
pub struct MachinesArgs {
    /// HTTP address of the running kindling to ask (any replica: it merges the others).
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub address: String,

    /// Only machines in this state: booting, configured, stuck, failed, known or unknown.
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,

    /// Only machines whose MAC, UUID, host name or address contains this.
    #[arg(long, value_name = "TEXT")]
    pub search: Option<String>,

    /// Output format: table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub output: String,
}

#[derive(Debug, Clone, Args)]
pub struct ExplainArgs {
    /// The machine: its MAC address, UUID or an IP address it used.
    #[arg(value_name = "MAC|UUID|IP")]
    pub machine: String,

    /// HTTP address of the running kindling to ask.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub address: String,

    /// Output format: text or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub output: String,
}

#[derive(Debug, Clone, Args)]
pub struct LeasesArgs {
    /// HTTP address of the running kindling to ask.
    #[arg(long, default_value = "127.0.0.1:8080", value_name = "HOST:PORT")]
    pub address: String,

    /// Read this lease file directly instead (only while no server uses it).
    #[arg(long, value_name = "FILE")]
    pub lease_file: Option<PathBuf>,

    /// Output format: table or json.
    #[arg(long, default_value = "table", value_parser = ["table", "json"])]
    pub output: String,
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// HTTP listen address (host:port; ":8080" listens on every address).
    #[arg(long, default_value = "0.0.0.0:8080", value_name = "HOST:PORT")]
    pub address: String,

    /// The data directory holding profiles/, groups/, ignition/, cloud/ and generic/
    /// (not used with --store etcd).
    #[arg(long, default_value = "/var/lib/matchbox", value_name = "DIR")]
    pub data_path: PathBuf,

    #[command(flatten)]
    pub store: StoreArgs,

    /// Directory served under /assets/; an empty value turns /assets/ off.
    #[arg(long, default_value = "/var/lib/matchbox/assets", value_name = "DIR")]
    pub assets_path: String,

    /// Log level: error, warn, info, debug or trace (matchbox's logrus names panic, fatal and warning also work).
    #[arg(long, default_value = "info", value_name = "LEVEL")]
    pub log_level: String,

    /// gRPC API listen address (matchbox's management API); empty keeps it off.
    #[arg(long, default_value = "", value_name = "HOST:PORT")]
    pub rpc_address: String,

    /// gRPC server certificate (PEM), used with --rpc-address.
    #[arg(long, default_value = "/etc/matchbox/server.crt", value_name = "FILE")]
    pub cert_file: PathBuf,

    /// gRPC server private key (PEM), used with --rpc-address.
    #[arg(long, default_value = "/etc/matchbox/server.key", value_name = "FILE")]
    pub key_file: PathBuf,

    /// CA certificate (PEM) that gRPC client certificates must chain to.
    #[arg(long, default_value = "/etc/matchbox/ca.crt", value_name = "FILE")]
    pub ca_file: PathBuf,

    /// OpenPGP secret keyring (gpg --export-secret-keys) whose first key signs responses:
    /// /ipxe.sig (binary) and /ipxe.asc (armored) beside /ipxe, and likewise for /boot.ipxe,
    /// /boot.ipxe.0, /grub, /ignition, /cloud, /generic and /metadata. Its passphrase comes from
    /// the environment only: MATCHBOX_PASSPHRASE (or KINDLING_PASSPHRASE). Empty keeps signing off.
    #[arg(long, default_value = "", value_name = "FILE")]
    pub key_ring_path: String,

    /// Serve HTTPS instead of HTTP (matchbox's -web-ssl).
    #[arg(long, default_value = "false", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub web_ssl: bool,

    /// HTTPS certificate (PEM), used with --web-ssl.
    #[arg(long, default_value = "/etc/matchbox/ssl/server.crt", value_name = "FILE")]
    pub web_cert_file: PathBuf,

    /// HTTPS private key (PEM), used with --web-ssl.
    #[arg(long, default_value = "/etc/matchbox/ssl/server.key", value_name = "FILE")]
    pub web_key_file: PathBuf,

    /// With --web-ssl: also serve plain HTTP on this address, for firmware that
    /// cannot speak TLS (GRUB, most iPXE builds). DHCP's boot URLs then point here.
    /// Both files are read again when they change, so a renewed certificate needs no restart.
    #[arg(long, default_value = "", value_name = "HOST:PORT")]
    pub http_address: String,

    /// Restore matchbox quirks kindling corrects, comma-separated (see `kindling serve --help` and docs/compatibility.md):
    /// ignition-empty, metadata-content-type, bare-404, redirect-unclean-paths, assets-listing,
    /// assets-follow-symlinks, assets-dotfiles, any-method, grpc-status, or all.
    #[arg(long, default_value = "", value_name = "LIST")]
    pub compat: String,

    /// Behave exactly like matchbox: every --compat quirk on.
    #[arg(long, default_value = "false", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub matchbox_exact: bool,

    /// Answer an Ignition config that cannot be parsed (or a spec newer than
    /// 3.4.0) with 200 and an empty config, as matchbox does, instead of an
    /// error naming the reason. The machine then boots unprovisioned: only
    /// for setups that rely on it. Same as --compat ignition-empty.
    #[arg(long, default_value = "false", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub ignition_compat_empty: bool,

    /// Log query strings with their values hidden (MACs, UUIDs, serials, hostnames).
    #[arg(long, default_value = "false", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub redact_queries: bool,

    /// Seconds to let in-flight requests finish after SIGTERM or SIGINT.
    #[arg(long, default_value = "10", value_name = "SECONDS")]
    pub shutdown_grace: u64,

    /// kindling's configuration file (TOML: [dhcp], [[dhcp.subnet]], [[dhcp.host]], [boot], [dns], [[dns.record]]);
    /// see docs/configuration.md.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// DHCP server mode: off, proxy (boot answers beside another DHCP server) or full (addresses too).
    /// Overrides dhcp.mode from --config.
    #[arg(long, value_name = "MODE", value_parser = ["off", "proxy", "full"])]
    pub dhcp: Option<String>,

    /// Interfaces DHCP answers on, comma-separated (default: every interface but loopback). Overrides dhcp.interfaces.
    #[arg(long, value_name = "IFACE,...", value_delimiter = ',')]
    pub dhcp_interface: Vec<String>,

    /// Where DHCP leases are kept (an embedded database). Overrides dhcp.lease_file.
    #[arg(long, value_name = "FILE")]
    pub dhcp_lease_file: Option<PathBuf>,

    /// Send minimal IPv6 router advertisements on the DHCP interfaces (no
    /// prefix, not a default router), so that iPXE does not wait about 16 s
    /// for IPv6 autoconfiguration on networks without an IPv6 router.
    /// Overrides dhcp.router_advertisements.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub dhcp_ra: Option<bool>,

    /// Serve TFTP (the iPXE binaries and --tftp-root) on --tftp-address [default: false].
    /// Overrides tftp.enabled.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub tftp: Option<bool>,

    /// TFTP listen address.
    #[arg(long, default_value = "0.0.0.0:69", value_name = "HOST:PORT")]
    pub tftp_address: String,

    /// Your own TFTP files, searched before the iPXE binaries (also served over HTTP by name).
    /// Overrides tftp.root.
    #[arg(long, value_name = "DIR")]
    pub tftp_root: Option<PathBuf>,

    /// Where the iPXE binaries are (undionly.kpxe, ipxe.efi, snponly.efi, ipxe.pxe); default: the installed ipxe package (/usr/lib/ipxe).
    #[arg(long, value_name = "DIR")]
    pub ipxe_dir: Option<PathBuf>,

    /// Most TFTP transfers at once; more requests are told to retry.
    #[arg(long, default_value = "10000", value_name = "N")]
    pub tftp_max_transfers: usize,

    /// Serve DNS over UDP and TCP on --dns-address: the [dns] names of --config, the server's own names and
    /// DHCP lease hostnames, with PTR records; other names go to --dns-upstream. Overrides dns.enabled.
    #[arg(long, num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub dns: Option<bool>,

    /// DNS listen addresses, UDP and TCP, comma-separated HOST:PORT [default: 0.0.0.0:53]. IPv6 in brackets,
    /// IPv6 only: "0.0.0.0:53,[::]:53" serves both families. Overrides dns.address.
    #[arg(long, value_name = "HOST:PORT,...", value_delimiter = ',')]
    pub dns_address: Vec<String>,

    /// Resolvers that answer the names kindling does not own, comma-separated ADDRESS[:PORT], tried in order
    /// (without any, such names are refused). Overrides dns.upstreams.
    #[arg(long, value_name = "ADDR,...", value_delimiter = ',')]
    pub dns_upstream: Vec<String>,

    /// The flight recorder: every machine's boot, step by step (DHCP, TFTP, HTTP), kept per machine
    /// and shown by `kindling machines`, `kindling explain`, /api/machines and the web UI.
    #[arg(long, default_value = "true", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub recorder: bool,

    /// Where the flight recorder keeps its history across restarts (if it cannot be written, history
    /// stays in memory, with a warning).
    #[arg(long, default_value = "/var/lib/kindling/recorder.redb", value_name = "FILE")]
    pub recorder_file: PathBuf,

    /// Most machines the flight recorder keeps (machines no group selected get at most 40 % of it,
    /// so a flood of unknown MACs never evicts known machines).
    #[arg(long, default_value = "10000", value_name = "N")]
    pub recorder_machines: usize,

    /// Seconds without progress after which a boot that is not configured counts as stuck.
    #[arg(long, default_value = "300", value_name = "SECONDS")]
    pub stuck_after: u64,

    /// Serve the web UI under /ui/ (read-only: machines, boot timelines, groups, leases, live boots).
    #[arg(long, default_value = "true", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub ui: bool,
}

#[derive(Debug, Clone, Args)]
pub struct ValidateArgs {
    /// The data directory to check [default: /var/lib/matchbox, unless only --config is given].
    #[arg(long, value_name = "DIR")]
    pub data_path: Option<PathBuf>,

    /// A kindling configuration file (TOML) to check, every problem at its line; with
    /// --data-path, both are checked.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Output format: text (one line per problem) or json.
    #[arg(long, default_value = "text", value_parser = ["text", "json"])]
    pub output: String,
}

#[derive(Debug, Clone, Args)]
pub struct RenderArgs {
    /// The data directory to render from.
    #[arg(long, default_value = "/var/lib/matchbox", value_name = "DIR")]
    pub data_path: PathBuf,

    /// The endpoint to render.
    #[arg(long, value_parser = ["boot.ipxe", "ipxe", "grub", "ignition", "cloud", "generic", "metadata"])]
    pub endpoint: String,

    /// The query string a machine would send, e.g. 'mac=52-54-00-89-d8-10&os=installed'.
    #[arg(long, default_value = "", value_name = "QUERY")]
    pub query: String,

    /// Compatibility quirks to apply, as for `kindling serve --compat`.
    #[arg(long, default_value = "", value_name = "LIST")]
    pub compat: String,

    /// Render exactly as matchbox would (every quirk on).
    #[arg(long, default_value = "false", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub matchbox_exact: bool,

    /// As for `kindling serve --ignition-compat-empty`.
    #[arg(long, default_value = "false", num_args = 0..=1, default_missing_value = "true", value_name = "BOOL")]
    pub ignition_compat_empty: bool,
}

const SUBCOMMANDS: &[&str] = &[
    "serve", "validate", "render", "leases", "certs", "group", "profile", "ignition", "generic", "store", "cluster",
    "machines", "explain", "import", "help",
];

/// Rewrites matchbox-style arguments into clap's: `-flag` → `--flag` for
/// every known long flag, and `serve` inserted when no subcommand is given.
pub fn normalize_args(args: Vec<OsString>) -> Vec<OsString> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut longs: Vec<String> = vec!["help".into(), "version".into()];
    let mut subs: Vec<&clap::Command> = cmd.get_subcommands().collect();
    while let Some(sub) = subs.pop() {
        for arg in sub.get_arguments() {
            if let Some(l) = arg.get_long() {
                longs.push(l.to_owned());
            }
        }
        subs.extend(sub.get_subcommands());
    }
    let mut out: Vec<OsString> = Vec::with_capacity(args.len() + 1);
    let mut iter = args.into_iter();
    if let Some(program) = iter.next() {
        out.push(program);
    }
    let mut rest: Vec<OsString> = iter.collect();
    let first_is_subcommand = rest
        .first()
        .and_then(|a| a.to_str())
        .is_some_and(|a| SUBCOMMANDS.contains(&a));
    let wants_top_level = rest
        .first()
        .and_then(|a| a.to_str())
        .is_some_and(|a| matches!(a, "-h" | "--help" | "-help" | "--version" | "-version" | "-V"));
    if !first_is_subcommand && !wants_top_level {
        rest.insert(0, "serve".into());
    }
    let mut passthrough = false;
    for arg in rest {
        if passthrough {
            out.push(arg);
            continue;
        }
        let Some(s) = arg.to_str() else {
            out.push(arg);
            continue;
        };
        if s == "--" {
            passthrough = true;
            out.push(arg);
            continue;
        }
        if let Some(body) = s.strip_prefix('-').filter(|b| !b.starts_with('-') && b.len() > 1) {
            let name = body.split('=').next().unwrap_or(body);
            if longs.iter().any(|l| l == name) {
                out.push(format!("-{s}").into());
                continue;
            }
        }
        out.push(arg);
    }
    out
}

/// Parses the command line and fills unset flags from the environment.
pub fn parse(args: Vec<OsString>, env: &dyn Fn(&str) -> Option<String>) -> Result<Cli, clap::Error> {
    let args = normalize_args(args);
    let matches = Cli::command().try_get_matches_from(args.clone())?;
    // The innermost subcommand (`store import`) is the one whose flags the
    // environment can fill.
    let mut path = Vec::new();
    let mut leaf = &matches;
    while let Some((name, m)) = leaf.subcommand() {
        path.push(name.to_owned());
        leaf = m;
    }
    if path.is_empty() {
        return Cli::from_arg_matches(&matches);
    }
    let extra = env_args(&path, leaf, env);
    if extra.is_empty() {
        return Cli::from_arg_matches(&matches);
    }
    let mut full = args.clone();
    full.extend(extra.iter().map(|(_, arg)| OsString::from(arg)));
    match Cli::command().try_get_matches_from(full) {
        Ok(m) => Cli::from_arg_matches(&m),
        Err(e) => {
            // Name the environment variable that carried the bad value.
            for (var, arg) in &extra {
                let mut one = args.clone();
                one.push(arg.into());
                if let Err(single) = Cli::command().try_get_matches_from(one) {
                    let value = arg.split_once('=').map(|(_, v)| v).unwrap_or("");
                    return Err(Cli::command().error(
                        clap::error::ErrorKind::InvalidValue,
                        format!("invalid value {value:?} for {var}: {}", single.kind()),
                    ));
                }
            }
            Err(e)
        }
    }
}

/// `--flag=value` for every flag of the subcommand that the command line
/// left unset and the environment sets (non-empty), with the variable name.
fn env_args(path: &[String], m: &ArgMatches, env: &dyn Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    let cmd = Cli::command();
    let mut sub_cmd = &cmd;
    for name in path {
        match sub_cmd.find_subcommand(name) {
            Some(c) => sub_cmd = c,
            None => return Vec::new(),
        }
    }
    let mut out = Vec::new();
    for arg in sub_cmd.get_arguments() {
        let Some(long) = arg.get_long() else { continue };
        if matches!(long, "help" | "version") {
            continue;
        }
        if m.value_source(arg.get_id().as_str()) == Some(ValueSource::CommandLine) {
            continue;
        }
        let suffix = long.to_ascii_uppercase().replace('-', "_");
        for prefix in ["KINDLING_", "MATCHBOX_"] {
            let var = format!("{prefix}{suffix}");
            if let Some(v) = env(&var).filter(|v| !v.is_empty()) {
                out.push((var, format!("--{long}={v}")));
                break;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<OsString> {
        a.iter().map(OsString::from).collect()
    }

    fn serve(a: &[&str], env: &[(&str, &str)]) -> ServeArgs {
        let env: Vec<(String, String)> = env.iter().map(|(k, v)| ((*k).into(), (*v).into())).collect();
        let lookup = move |k: &str| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
        match parse(args(a), &lookup).unwrap().command {
            Command::Serve(s) => *s,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn go_style_flags_without_subcommand() {
        let s = serve(
            &["matchbox", "-address=:8080", "-data-path", "/d", "-log-level=debug"],
            &[],
        );
        assert_eq!(s.address, ":8080");
        assert_eq!(s.data_path, PathBuf::from("/d"));
        assert_eq!(s.log_level, "debug");
        let s = serve(&["kindling", "--address", "1.2.3.4:1", "-web-ssl=false"], &[]);
        assert_eq!(s.address, "1.2.3.4:1");
        assert!(!s.web_ssl);
    }

    #[test]
    fn defaults() {
        let s = serve(&["kindling"], &[]);
        assert_eq!(s.address, "0.0.0.0:8080");
        assert_eq!(s.data_path, PathBuf::from("/var/lib/matchbox"));
        assert_eq!(s.assets_path, "/var/lib/matchbox/assets");
        assert_eq!(s.rpc_address, "");
    }

    #[test]
    fn environment_precedence() {
        let env = [
            ("MATCHBOX_ADDRESS", "1.1.1.1:1"),
            ("MATCHBOX_DATA_PATH", "/m"),
            ("KINDLING_DATA_PATH", "/k"),
            ("MATCHBOX_ASSETS_PATH", ""),
        ];
        let s = serve(&["kindling", "serve"], &env);
        assert_eq!(s.address, "1.1.1.1:1");
        assert_eq!(s.data_path, PathBuf::from("/k"));
        // An empty variable is ignored, as matchbox does.
        assert_eq!(s.assets_path, "/var/lib/matchbox/assets");
        let s = serve(&["kindling", "-address=2.2.2.2:2"], &env);
        assert_eq!(s.address, "2.2.2.2:2");
        let s = serve(
            &["kindling"],
            &[("MATCHBOX_WEB_SSL", "true"), ("KINDLING_MATCHBOX_EXACT", "true")],
        );
        assert!(s.web_ssl && s.matchbox_exact);
    }

    #[test]
    fn invalid_environment_value_names_the_variable() {
        let lookup = |k: &str| (k == "MATCHBOX_WEB_SSL").then(|| "maybe".to_owned());
        let err = parse(args(&["kindling"]), &lookup).unwrap_err().to_string();
        assert!(err.contains("MATCHBOX_WEB_SSL"), "{err}");
    }

    #[test]
    fn unknown_flag_fails() {
        assert!(parse(args(&["kindling", "-bogus=1"]), &|_| None).is_err());
    }

    #[test]
    fn subcommands_keep_their_flags() {
        let cli = parse(
            args(&[
                "kindling",
                "render",
                "-data-path=/d",
                "--endpoint",
                "ipxe",
                "--query",
                "mac=x",
            ]),
            &|_| None,
        )
        .unwrap();
        let Command::Render(r) = cli.command else { panic!() };
        assert_eq!(r.data_path, PathBuf::from("/d"));
        assert_eq!(r.query, "mac=x");
    }

    #[test]
    fn store_flags_and_their_environment() {
        let s = serve(
            &[
                "kindling",
                "-store=etcd",
                "--etcd-endpoints",
                "http://a:2379,http://b:2379",
            ],
            &[("KINDLING_REPLICA_NAME", "r1"), ("KINDLING_ETCD_PREFIX", "/k/")],
        );
        assert_eq!(s.store.store.as_deref(), Some("etcd"));
        assert_eq!(s.store.etcd_endpoints, ["http://a:2379", "http://b:2379"]);
        assert_eq!(s.store.replica_name.as_deref(), Some("r1"));
        assert_eq!(s.store.etcd_prefix.as_deref(), Some("/k/"));
        // Nested subcommands read the environment too.
        let lookup = |k: &str| (k == "KINDLING_ETCD_ENDPOINTS").then(|| "http://e:2379".to_owned());
        let cli = parse(
            args(&["kindling", "store", "import", "--data-path", "/d", "--dry-run"]),
            &lookup,
        )
        .unwrap();
        let Command::Store(StoreCommand::Import(t)) = cli.command else {
            panic!()
        };
        assert!(t.dry_run && !t.delete);
        assert_eq!(t.store.etcd_endpoints, ["http://e:2379"]);
    }
}
