//! The `[store]` section: where groups, profiles, templates and (in full
//! DHCP mode) leases live: the data directory and the lease file (the
//! default), or an etcd cluster that several kindling replicas share.
//! Every key is optional; `kindling serve`'s `--store`, `--etcd-*` and
//! `--replica-name` flags override them.

use std::path::PathBuf;

use crate::reader::{self, Ctx, Table, Value};
use crate::{Config, StoreBackend};

pub(crate) const KEYS: &[&str] = &[
    "backend",
    "etcd_endpoints",
    "etcd_prefix",
    "etcd_ca_file",
    "etcd_cert_file",
    "etcd_key_file",
    "replica_name",
];

pub(crate) fn read(ctx: &mut Ctx<'_>, value: &Value<'_>, config: &mut Config) {
    let expected = "a table: write the [store] header and its keys below it";
    let Some(table) = Table::open(ctx, value, "store".to_owned(), expected, KEYS) else {
        return;
    };
    let store = &mut config.store;
    if let Some(v) = table.get("backend") {
        let expected = "\"dir\" (the data directory and the lease file) or \"etcd\"";
        store.backend = reader::parsed(ctx, v, &table.path_of("backend"), expected, |s| match s {
            "dir" => Ok(StoreBackend::Dir),
            "etcd" => Ok(StoreBackend::Etcd),
            other => Err(format!("unknown store {other:?}: use \"dir\" or \"etcd\"")),
        });
    }
    if let Some(v) = table.get("etcd_endpoints") {
        let path = table.path_of("etcd_endpoints");
        let expected = "an array of URLs such as [\"http://10.0.0.1:2379\", \"http://10.0.0.2:2379\"]";
        store.etcd_endpoints = reader::list(ctx, v, &path, expected, |ctx, item, path| {
            reader::parsed(ctx, item, &path, "a URL such as \"http://10.0.0.1:2379\"", endpoint)
        });
    }
    if let Some(v) = table.get("etcd_prefix") {
        let expected = "a key prefix such as \"/kindling/\"";
        store.etcd_prefix = reader::parsed(ctx, v, &table.path_of("etcd_prefix"), expected, prefix);
    }
    for (key, slot) in [
        ("etcd_ca_file", &mut store.etcd_ca_file),
        ("etcd_cert_file", &mut store.etcd_cert_file),
        ("etcd_key_file", &mut store.etcd_key_file),
    ] {
        if let Some(v) = table.get(key) {
            *slot = reader::parsed(ctx, v, &table.path_of(key), "a PEM file path", |s| {
                if s.is_empty() {
                    Err("the path is empty".to_owned())
                } else {
                    Ok(PathBuf::from(s))
                }
            });
        }
    }
    if let Some(v) = table.get("replica_name") {
        let expected = "a name such as \"kindling-a\"";
        store.replica_name = reader::parsed(ctx, v, &table.path_of("replica_name"), expected, replica_name);
    }
}

/// `http://host:port` or `https://host:port`.
pub fn endpoint(s: &str) -> Result<String, String> {
    let rest = s
        .strip_prefix("http://")
        .or_else(|| s.strip_prefix("https://"))
        .ok_or_else(|| format!("{s:?} is not an etcd URL: write it as http://HOST:PORT or https://HOST:PORT"))?;
    let rest = rest.trim_end_matches('/');
    if rest.is_empty() || rest.contains('/') || !rest.contains(':') {
        return Err(format!(
            "{s:?} is not an etcd URL: write it as http://HOST:PORT, such as http://10.0.0.1:2379"
        ));
    }
    Ok(s.trim_end_matches('/').to_owned())
}

/// A key prefix: starts and ends with `/`.
pub fn prefix(s: &str) -> Result<String, String> {
    if !s.starts_with('/') || !s.ends_with('/') || s.len() < 2 {
        return Err(format!(
            "{s:?} is not a key prefix: it starts and ends with /, such as \"/kindling/\""
        ));
    }
    Ok(s.to_owned())
}

/// A replica name: letters, digits, `-`, `_` and `.`, at most 63 bytes.
pub fn replica_name(s: &str) -> Result<String, String> {
    if s.is_empty() || s.len() > 63 || !s.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b)) {
        return Err(format!(
            "{s:?} is not a replica name: use 1 to 63 letters, digits, '-', '_' or '.', such as \"kindling-a\""
        ));
    }
    Ok(s.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(endpoint("http://10.0.0.1:2379/").unwrap(), "http://10.0.0.1:2379");
        assert!(endpoint("https://[fd00::1]:2379").is_ok());
        assert!(endpoint("10.0.0.1:2379").is_err());
        assert!(endpoint("http://10.0.0.1").is_err());
        assert!(endpoint("http://10.0.0.1:2379/v3").is_err());
        assert!(prefix("/kindling/").is_ok());
        assert!(prefix("kindling/").is_err());
        assert!(prefix("/").is_err());
        assert!(replica_name("kindling-a.dc1").is_ok());
        assert!(replica_name("a b").is_err());
        assert!(replica_name("").is_err());
    }

    #[test]
    fn section() {
        let c = crate::parse(
            "[store]\nbackend = \"etcd\"\netcd_endpoints = [\"http://10.0.0.1:2379\", \"http://10.0.0.2:2379\"]\netcd_prefix = \"/k/\"\nreplica_name = \"a\"\n",
            "t.toml",
        )
        .unwrap();
        assert_eq!(c.store.backend, Some(StoreBackend::Etcd));
        assert_eq!(c.store.etcd_endpoints.unwrap().len(), 2);
        assert_eq!(c.store.etcd_prefix.as_deref(), Some("/k/"));
        let err = crate::parse(
            "[store]\nbackend = \"consul\"\netcd_endpoints = [\"10.0.0.1\"]\n",
            "t.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("store.backend") && err.contains("store.etcd_endpoints[0]"),
            "{err}"
        );
    }
}
