//! kindling's configuration file (`kindling serve --config FILE`): one TOML
//! file read into validated domain types, with every problem in the file
//! reported at once, each at its line, column and key path.
//!
//! The file is parsed into toml's span-carrying tree (`toml::de::DeTable`)
//! and each section walks its part of it by hand. This departs from the
//! house practice of a serde form with `deny_unknown_fields`: serde stops at
//! the first error, and an operator fixing a file one error per run is
//! exactly what this crate exists to prevent. The schema lives in the key
//! lists of the section modules, which both reject unknown keys and are
//! checked against `docs/configuration.md` by a test.
//!
//! This crate does not touch the network or the lease file, and does not
//! merge command-line flags: the binary does that with `Config`.
//!
//! Adding a section: a module with `KEYS` and `read(ctx, value, &mut Config)`,
//! its name in `SECTIONS`, its line in `read_sections`, its rows in `SCHEMA`.

mod boot;
mod class;
mod dhcp;
mod dns;
mod error;
mod options;
mod reader;
mod store;
mod tftp;
mod values;

use std::path::{Path, PathBuf};

use toml::de::DeTable;

pub use error::{ConfigError, ConfigErrors};

/// The value rules of the file, for tools that write one (`kindling import
/// dnsmasq`) and must only write what is read back.
pub mod rules {
    pub use crate::class::class_name;
    pub use crate::values::{dns_label, dns_name, interface_name};
}

use reader::{Ctx, Value};

/// The validated configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `[dhcp]` and `[boot]`.
    pub dhcp: ::dhcp::DhcpConfig,
    /// True when the file set `boot.http_port`; otherwise the binary puts the
    /// port of `kindling serve --address` into `dhcp.boot.http_port`.
    pub http_port_set: bool,
    /// `dhcp.lease_file`: where DHCP leases persist across restarts.
    pub dhcp_lease_file: Option<PathBuf>,
    /// `[dns]`: the local domain, the server's names, the static records,
    /// the upstream resolvers and the limits.
    pub dns: ::dns::DnsConfig,
    /// `dns.enabled`: serve DNS (`kindling serve --dns` overrides it).
    pub dns_enabled: bool,
    /// `dns.address`: the listen addresses as written, each checked to be
    /// `HOST:PORT` with an IPv4 address or an IPv6 address in brackets (a
    /// string in the file is a list of one); `None` when unset (the binary
    /// uses `--dns-address` or `0.0.0.0:53`).
    pub dns_address: Option<Vec<String>>,
    /// True when the file set `dns.server_names` (even to `[]`); otherwise
    /// the binary puts the machine's host name into `dns.server_names`.
    pub dns_server_names_set: bool,
    /// `dhcp.expiry_grace`, when the file sets it (its default depends on
    /// the store, so the binary fills it in).
    pub dhcp_expiry_grace: Option<std::time::Duration>,
    /// `[store]`: each key `None` when the file does not set it.
    pub store: StoreConfig,
    /// `[tftp]`: each key `None` when the file does not set it.
    pub tftp: TftpConfig,
    /// `dns.resolv_file`: upstreams read from a resolv.conf at start.
    pub dns_resolv_file: Option<PathBuf>,
    /// `dns.hosts_file`: names read from a hosts file at start.
    pub dns_hosts_file: Option<PathBuf>,
}

/// The `[tftp]` section as written; the binary merges it with its flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TftpConfig {
    pub enabled: Option<bool>,
    pub root: Option<PathBuf>,
}

/// Where configuration and leases are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StoreBackend {
    /// The data directory and the embedded lease file.
    Dir,
    /// An etcd cluster shared by replicas.
    Etcd,
}

/// The `[store]` section as written; the binary merges it with its flags.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoreConfig {
    pub backend: Option<StoreBackend>,
    pub etcd_endpoints: Option<Vec<String>>,
    pub etcd_prefix: Option<String>,
    pub etcd_ca_file: Option<PathBuf>,
    pub etcd_cert_file: Option<PathBuf>,
    pub etcd_key_file: Option<PathBuf>,
    pub replica_name: Option<String>,
}

pub use store::{endpoint as parse_etcd_endpoint, prefix as parse_etcd_prefix, replica_name as parse_replica_name};

impl Default for Config {
    /// What an empty file means.
    fn default() -> Self {
        Config {
            dhcp: ::dhcp::DhcpConfig::default(),
            http_port_set: false,
            dhcp_lease_file: None,
            dns: ::dns::DnsConfig::default(),
            dns_enabled: false,
            dns_address: None,
            dns_server_names_set: false,
            dhcp_expiry_grace: None,
            store: StoreConfig::default(),
            tftp: TftpConfig::default(),
            dns_resolv_file: None,
            dns_hosts_file: None,
        }
    }
}

/// The top-level tables, in the order the documentation lists them.
const SECTIONS: &[&str] = &["dhcp", "boot", "tftp", "dns", "store"];

/// Every table of the schema as `(path, keys)`, for the test that checks
/// the documentation lists each key. `[]` marks an array of tables.
#[cfg(test)]
const SCHEMA: &[(&str, &[&str])] = &[
    ("dhcp", dhcp::KEYS),
    ("dhcp.subnet[]", dhcp::SUBNET_KEYS),
    ("dhcp.subnet[].routes[]", dhcp::ROUTE_KEYS),
    ("dhcp.host[]", dhcp::HOST_KEYS),
    ("dhcp.class[]", class::CLASS_KEYS),
    ("dhcp.class[].match[]", class::MATCH_KEYS),
    ("dhcp.pxe", class::PXE_KEYS),
    ("dhcp.pxe.service[]", class::SERVICE_KEYS),
    ("boot", boot::KEYS),
    ("tftp", tftp::KEYS),
    ("dns", dns::KEYS),
    ("dns.record[]", dns::RECORD_KEYS),
    ("store", store::KEYS),
];

/// Parses and validates the text of a configuration file; `file_name` is
/// only used in error messages.
pub fn parse(text: &str, file_name: &str) -> Result<Config, ConfigErrors> {
    let mut ctx = Ctx::new(file_name, text);
    let root = match DeTable::parse(text) {
        Ok(root) => root,
        Err(e) => {
            let offset = e.span().map_or(0, |span| span.start);
            ctx.error(offset..offset, "", format!("invalid TOML: {}", e.message()));
            return Err(ctx.finish().expect_err("an error was just recorded"));
        }
    };
    let mut config = Config::default();
    read_sections(&mut ctx, root.get_ref(), &mut config);
    ctx.finish().map(|()| config)
}

/// Reads and parses a configuration file. A file that cannot be read, or is
/// not UTF-8, is reported as a `ConfigErrors` with one entry.
pub fn load(path: &Path) -> Result<Config, ConfigErrors> {
    let file_name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        single_error(
            &file_name,
            0,
            0,
            format!("cannot read the configuration file: {e}: check the path and its permissions"),
        )
    })?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = e.utf8_error().valid_up_to();
        let text = String::from_utf8_lossy(&e.as_bytes()[..valid]).into_owned();
        let (line, column) = reader::position(&text, valid);
        single_error(
            &file_name,
            line,
            column,
            "the file is not UTF-8 text: save it as UTF-8".to_owned(),
        )
    })?;
    parse(&text, &file_name)
}

fn single_error(file: &str, line: usize, column: usize, message: String) -> ConfigErrors {
    ConfigErrors(vec![ConfigError {
        file: file.to_owned(),
        line,
        column,
        key: String::new(),
        message,
    }])
}

fn read_sections(ctx: &mut Ctx<'_>, root: &DeTable<'_>, config: &mut Config) {
    for (key, value) in root.iter() {
        let name: &str = key.get_ref();
        if !SECTIONS.contains(&name) {
            ctx.error(
                key.span(),
                &reader::join("", name),
                unknown_section_message(name, value),
            );
        }
    }
    if let Some(value) = root.get("dhcp") {
        dhcp::read(ctx, value, config);
    }
    if let Some(value) = root.get("boot") {
        boot::read(ctx, value, config);
    }
    if let Some(value) = root.get("tftp") {
        tftp::read(ctx, value, config);
    }
    if let Some(value) = root.get("dns") {
        dns::read(ctx, value, config);
    }
    if let Some(value) = root.get("store") {
        store::read(ctx, value, config);
    }
}

fn unknown_section_message(name: &str, value: &Value<'_>) -> String {
    let what = if value.get_ref().as_table().is_some() {
        "section"
    } else {
        "top-level key"
    };
    let mut message = format!("unknown {what} `{name}`");
    if let Some(close) = reader::closest(name, SECTIONS) {
        message.push_str(&format!(" (did you mean `{close}`?)"));
    }
    message.push_str(&format!("; the sections are: {}", SECTIONS.join(", ")));
    if what == "top-level key" {
        message.push_str(" (keys go below their section's [header])");
    }
    message
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    /// Every key of the schema has a row in the one table of
    /// docs/configuration.md, and every row there is a key.
    #[test]
    fn every_key_is_documented() {
        let doc_path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/configuration.md");
        let doc = std::fs::read_to_string(doc_path).unwrap();
        let documented: BTreeSet<String> = doc
            .lines()
            .filter_map(|line| line.strip_prefix("| `"))
            .filter_map(|rest| rest.split_once('`'))
            .map(|(key, _)| key.to_owned())
            .collect();
        let schema: BTreeSet<String> = SCHEMA
            .iter()
            .flat_map(|(path, keys)| keys.iter().map(move |key| format!("{path}.{key}")))
            .collect();
        let missing: Vec<_> = schema.difference(&documented).collect();
        let extra: Vec<_> = documented.difference(&schema).collect();
        assert!(
            missing.is_empty(),
            "keys missing from docs/configuration.md: {missing:?}"
        );
        assert!(
            extra.is_empty(),
            "docs/configuration.md documents keys that do not exist: {extra:?}"
        );
        let sections: Vec<&str> = SCHEMA
            .iter()
            .map(|(path, _)| path.split(['.', '[']).next().unwrap())
            .collect();
        for section in SECTIONS {
            assert!(sections.contains(section), "section {section} has no rows in SCHEMA");
        }
    }
}
