//! The `[dns]` section with its `[[dns.record]]` tables: read into
//! `dns::DnsConfig`, and into the `Config` fields the binary merges with its
//! flags (whether DNS is on, where it listens, whether the file named the
//! server). Every key is optional; an absent one keeps `DnsConfig::default()`.
//!
//! Names are checked by `dns::parse_name` and record values by
//! `dns::RecordValue::parse`, so the file accepts exactly what the DNS
//! service serves. This module adds what those cannot see: records that
//! clash (a CNAME beside another record at its name, the same record twice)
//! and an upstream listed twice. Like the dhcp cross checks, these run only
//! on the entries that read cleanly.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::time::Duration;

use dns::config::RECORD_TYPES;
use dns::proto::rr::Name;
use dns::{RecordValue, StaticRecord};

use crate::Config;
use crate::reader::{self, Ctx, Table, Value};
use crate::values;

pub(crate) const KEYS: &[&str] = &[
    "enabled",
    "address",
    "domain",
    "server_names",
    "upstreams",
    "forward_allow",
    "forward_any",
    "ttl",
    "cache_size",
    "log_queries",
    "resolv_file",
    "hosts_file",
    "record",
];
pub(crate) const RECORD_KEYS: &[&str] = &["name", "type", "value", "ttl", "subdomains"];

/// The longest TTL of a local answer: resolvers commonly keep nothing
/// longer than a week (RFC 8767), and local names change.
const MAX_TTL: Duration = Duration::from_secs(7 * 86_400);
const MAX_CACHE_SIZE: i64 = 1_000_000;

const RECORD_NAME: &str = "\"matchbox.lab.example\"";

/// A record as read, with what the cross checks need to point at.
struct RecordEntry {
    record: StaticRecord,
    /// The type in upper case, one of `RECORD_TYPES`.
    kind: &'static str,
    /// The name and the value as written, for messages.
    name_text: String,
    value_text: String,
    path: String,
    name_span: Range<usize>,
}

pub(crate) fn read(ctx: &mut Ctx<'_>, value: &Value<'_>, config: &mut Config) {
    let expected = "a table: write the [dns] header and its keys below it";
    let Some(table) = Table::open(ctx, value, "dns".to_owned(), expected, KEYS) else {
        return;
    };

    if let Some(v) = table.get("enabled") {
        config.dns_enabled = reader::boolean(ctx, v, &table.path_of("enabled")).unwrap_or(config.dns_enabled);
    }
    if let Some(v) = table.get("address") {
        config.dns_address = read_addresses(ctx, v, &table.path_of("address"));
    }
    let dns = &mut config.dns;
    if let Some(v) = table.get("domain") {
        let expected = "a domain name such as \"lab.example\"";
        dns.domain = reader::parsed(ctx, v, &table.path_of("domain"), expected, |s| {
            name(s, "\"lab.example\"")
        });
    }
    if let Some(v) = table.get("server_names") {
        config.dns_server_names_set = true;
        let expected = "an array of names such as [\"kindling\", \"matchbox.lab.example\"]";
        let names = reader::list(ctx, v, &table.path_of("server_names"), expected, |ctx, item, path| {
            reader::parsed(ctx, item, &path, "a name such as \"kindling\"", |s| {
                name(s, "\"kindling\" or \"matchbox.lab.example\"")
            })
        });
        dns.server_names = names.unwrap_or_default();
    }
    if let Some(v) = table.get("log_queries") {
        dns.log_queries = reader::boolean(ctx, v, &table.path_of("log_queries")).unwrap_or(false);
    }
    for (key, slot) in [
        ("resolv_file", &mut config.dns_resolv_file),
        ("hosts_file", &mut config.dns_hosts_file),
    ] {
        if let Some(v) = table.get(key) {
            *slot = reader::parsed(ctx, v, &table.path_of(key), "a file path such as \"/etc/hosts\"", |s| {
                if s.is_empty() {
                    Err("the path is empty".to_owned())
                } else {
                    Ok(std::path::PathBuf::from(s))
                }
            });
        }
    }
    let dns = &mut config.dns;
    if let Some(v) = table.get("upstreams") {
        dns.upstreams = read_upstreams(ctx, v, &table.path_of("upstreams"));
    }
    if let Some(v) = table.get("forward_allow") {
        let expected = "an array of networks such as [\"192.0.2.0/24\", \"fd00::/8\"]";
        let expected_one = "a network such as \"192.0.2.0/24\" or an address";
        dns.forward_allow = reader::list(ctx, v, &table.path_of("forward_allow"), expected, |ctx, item, path| {
            reader::parsed(ctx, item, &path, expected_one, ::dns::Cidr::parse)
        })
        .unwrap_or_default();
    }
    if let Some(v) = table.get("forward_any") {
        dns.forward_any = reader::boolean(ctx, v, &table.path_of("forward_any")).unwrap_or(dns.forward_any);
    }
    if let Some(v) = table.get("ttl") {
        dns.local_ttl = ttl(ctx, v, &table.path_of("ttl")).unwrap_or(dns.local_ttl);
    }
    if let Some(v) = table.get("cache_size") {
        let expected = format!("a number of answers from 0 to {MAX_CACHE_SIZE} (0 turns the cache off)");
        let size = reader::integer_in(ctx, v, &table.path_of("cache_size"), &expected, 0..=MAX_CACHE_SIZE);
        dns.cache_size = size.map_or(dns.cache_size, |n| n as usize);
    }

    let records = match table.get("record") {
        Some(v) => reader::array_of_tables(
            ctx,
            v,
            &table.path_of("record"),
            "[[dns.record]]",
            RECORD_KEYS,
            read_record,
        ),
        None => Vec::new(),
    };
    check_records(ctx, &records);
    config.dns.records = records.into_iter().map(|r| r.record).collect();
}

/// A DNS name by `dns::parse_name`, whose messages say what is wrong; those
/// that do not also say what to write get an example.
fn name(text: &str, example: &str) -> Result<Name, String> {
    if text.trim().is_empty() {
        return Err(format!("the name is empty: write a name such as {example}"));
    }
    dns::parse_name(text).map_err(|message| {
        let after_quote = message.strip_prefix(&format!("{text:?}")).unwrap_or(&message);
        if after_quote.contains(':') {
            message
        } else {
            format!("{message}: write a name such as {example}")
        }
    })
}

/// Where DNS listens: one `HOST:PORT`, or an array of them (each once),
/// as written.
fn read_addresses(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Option<Vec<String>> {
    let expected_one = "an address and port such as \"0.0.0.0:53\" or \"[::]:53\"";
    let expected =
        "an address and port such as \"0.0.0.0:53\", or an array of them such as [\"0.0.0.0:53\", \"[::]:53\"]";
    if !matches!(value.get_ref(), toml::de::DeValue::Array(_)) {
        let one = reader::parsed(ctx, value, path, expected, |s| {
            values::listen_address(s).map(|_| s.to_owned())
        })?;
        return Some(vec![one]);
    }
    let mut seen: Vec<(SocketAddr, String, Range<usize>)> = Vec::new();
    let addresses = reader::list(ctx, value, path, expected, |ctx, item, path| {
        let (address, text) = reader::parsed(ctx, item, &path, expected_one, |s| {
            values::listen_address(s).map(|a| (a, s.to_owned()))
        })?;
        if let Some((_, first_path, first_span)) = seen.iter().find(|(a, _, _)| *a == address) {
            let line = ctx.line(first_span);
            ctx.error(
                item.span(),
                &path,
                format!("{address} is already {first_path} on line {line}: list each address once"),
            );
            return None;
        }
        seen.push((address, path, item.span()));
        Some(text)
    })?;
    if addresses.is_empty() && seen.is_empty() {
        ctx.error(
            value.span(),
            path,
            "an empty list: give at least one address, such as [\"0.0.0.0:53\"], or turn DNS off with enabled = false",
        );
        return None;
    }
    Some(addresses)
}

/// The resolvers, each once, in file order.
fn read_upstreams(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Vec<SocketAddr> {
    let expected = "an array of resolver addresses such as [\"192.0.2.53\", \"[fd00::53]:53\"]";
    let mut seen: Vec<(SocketAddr, String, Range<usize>)> = Vec::new();
    let expected_one = "a resolver address such as \"192.0.2.53\" or \"192.0.2.53:5353\"";
    reader::list(ctx, value, path, expected, |ctx, item, path| {
        let address = reader::parsed(ctx, item, &path, expected_one, values::resolver_address)?;
        if let Some((_, first_path, first_span)) = seen.iter().find(|(a, _, _)| *a == address) {
            let line = ctx.line(first_span);
            ctx.error(
                item.span(),
                &path,
                format!("{address} is already {first_path} on line {line}: list each resolver once"),
            );
            return None;
        }
        seen.push((address, path, item.span()));
        Some(address)
    })
    .unwrap_or_default()
}

/// A TTL given as a duration, at most a week.
fn ttl(ctx: &mut Ctx<'_>, value: &Value<'_>, path: &str) -> Option<u32> {
    let ttl = reader::duration(ctx, value, path, Duration::ZERO)?;
    if ttl > MAX_TTL {
        let (got, max) = (values::format_duration(ttl), values::format_duration(MAX_TTL));
        ctx.error(
            value.span(),
            path,
            format!("{got} is too long: use at most {max}, the longest resolvers keep an answer"),
        );
        return None;
    }
    Some(ttl.as_secs() as u32)
}

fn read_record(ctx: &mut Ctx<'_>, t: Table<'_, '_>) -> Option<RecordEntry> {
    let name_value = t.required(ctx, "name", &format!("name = {RECORD_NAME}"));
    let record_name = name_value.and_then(|v| {
        let expected = format!("a DNS name such as {RECORD_NAME}");
        reader::parsed(ctx, v, &t.path_of("name"), &expected, |s| {
            name(s, RECORD_NAME).map(|n| (n, s.to_owned()))
        })
    });
    let kind = t.required(ctx, "type", "type = \"A\"").and_then(|v| {
        let expected = format!("a record type: one of {}", RECORD_TYPES.join(", "));
        reader::parsed(ctx, v, &t.path_of("type"), &expected, record_type)
    });
    let value = t.required(ctx, "value", "value = \"10.99.0.1\"").and_then(|v| {
        let path = t.path_of("value");
        let Some(kind) = kind else {
            // Without a type the value cannot be read; only its kind is checked.
            reader::string(ctx, v, &path, "a string such as \"10.99.0.1\"");
            return None;
        };
        reader::parsed(ctx, v, &path, value_expected(kind), |s| {
            RecordValue::parse(kind, s).map(|value| (value, s.to_owned()))
        })
    });
    let record_ttl = match t.get("ttl") {
        Some(v) => Some(ttl(ctx, v, &t.path_of("ttl"))?),
        None => None,
    };
    let subdomains = match t.get("subdomains") {
        Some(v) => reader::boolean(ctx, v, &t.path_of("subdomains"))?,
        None => false,
    };
    let ((name, name_text), (value, value_text)) = (record_name?, value?);
    Some(RecordEntry {
        record: StaticRecord {
            name,
            ttl: record_ttl,
            value,
            subdomains,
        },
        kind: kind?,
        name_text,
        value_text,
        path: t.path.clone(),
        name_span: name_value?.span(),
    })
}

/// A record type in any case, as one of `RECORD_TYPES`.
fn record_type(text: &str) -> Result<&'static str, String> {
    let upper = text.to_ascii_uppercase();
    if let Some(kind) = RECORD_TYPES.iter().find(|kind| **kind == upper) {
        return Ok(*kind);
    }
    let list = RECORD_TYPES.join(", ");
    Err(match upper.as_str() {
        "PTR" => format!(
            "PTR records are made from the addresses of A and AAAA records: write an A or AAAA record instead (the types are {list})"
        ),
        _ => format!("unknown record type {text:?}: use one of {list}"),
    })
}

/// What `value` holds for each type, for "expected ..., found ..." messages.
fn value_expected(kind: &str) -> &'static str {
    match kind {
        "A" => "an IPv4 address such as \"10.99.0.1\"",
        "AAAA" => "an IPv6 address such as \"fd00::1\"",
        "CNAME" => "a target name such as \"matchbox.lab.example\"",
        "TXT" => "a string of text",
        _ => "a string \"PRIORITY WEIGHT PORT TARGET\" such as \"10 5 8080 matchbox.lab.example\"",
    }
}

/// "an A record", "a CNAME".
fn a_record(kind: &str) -> String {
    let article = if matches!(kind, "A" | "AAAA" | "SRV") {
        "an"
    } else {
        "a"
    };
    if kind == "CNAME" {
        format!("{article} CNAME")
    } else {
        format!("{article} {kind} record")
    }
}

/// The same record twice, and a CNAME beside any other record at its name
/// (RFC 1034 §3.6.2). Each later record is reported once, against the first
/// earlier record it clashes with. A record with `subdomains` is also its
/// own name's record, so it clashes at that name like any other; it is the
/// same record as another only when both have `subdomains` alike.
fn check_records(ctx: &mut Ctx<'_>, records: &[RecordEntry]) {
    let mut by_name: HashMap<&Name, Vec<&RecordEntry>> = HashMap::new();
    for record in records {
        let earlier = by_name.entry(&record.record.name).or_default();
        let name = &record.name_text;
        let path = reader::join(&record.path, "name");
        if let Some(first) = earlier
            .iter()
            .find(|e| e.record.value == record.record.value && e.record.subdomains == record.record.subdomains)
        {
            let line = ctx.line(&first.name_span);
            ctx.error(
                record.name_span.clone(),
                &path,
                format!(
                    "the same record as {} on line {line} ({name} {} {:?}): remove one of them",
                    first.path, record.kind, first.value_text
                ),
            );
        } else if let Some(first) = earlier.iter().find(|e| e.kind == "CNAME" || record.kind == "CNAME") {
            let line = ctx.line(&first.name_span);
            let message = match (first.kind, record.kind) {
                ("CNAME", "CNAME") => format!(
                    "{name} is already a CNAME in {} on line {line}, and a name has at most one CNAME (RFC 1034): \
                     keep one of them",
                    first.path
                ),
                ("CNAME", kind) => format!(
                    "{name} is a CNAME in {} on line {line}, and a name with a CNAME can have no other record \
                     (RFC 1034): put {} on the CNAME's target {:?}, or remove the CNAME",
                    first.path,
                    a_record(kind),
                    first.value_text
                ),
                (kind, _) => format!(
                    "{name} already has {} in {} on line {line}, and a name with a CNAME can have no other record \
                     (RFC 1034): give the CNAME another name, or remove the other record",
                    a_record(kind),
                    first.path
                ),
            };
            ctx.error(record.name_span.clone(), &path, message);
        }
        earlier.push(record);
    }
}
