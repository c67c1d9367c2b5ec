//! Every sample configuration in the repository parses: `examples/*.toml`
//! and each TOML block of `docs/configuration.md`, and the sample file gives
//! the values it claims. This test does not check error reporting
//! (`errors.rs` does).

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use dhcp::{Mode, Net, Route, UefiLoader};
use dns::{RecordValue, StaticRecord};
use model::Mac;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

#[test]
fn the_sample_file_gives_the_values_it_shows() {
    let config = config::load(&repo_root().join("examples/kindling.toml")).unwrap_or_else(|e| panic!("{e}"));
    let dhcp = &config.dhcp;
    assert_eq!(dhcp.mode, Mode::Full);
    assert_eq!(dhcp.interfaces, ["br0"]);
    assert!(dhcp.authoritative);
    assert_eq!(dhcp.offer_hold, Duration::from_secs(30));
    assert_eq!(dhcp.probation, Duration::from_secs(600));
    assert_eq!(
        config.dhcp_lease_file,
        Some(PathBuf::from("/var/lib/kindling/dhcp-leases.redb"))
    );

    assert_eq!(dhcp.subnets.len(), 1);
    let subnet = &dhcp.subnets[0];
    assert_eq!(subnet.net, Net::new(Ipv4Addr::new(10, 99, 0, 0), 24));
    assert_eq!(
        subnet.ranges,
        [(Ipv4Addr::new(10, 99, 0, 100), Ipv4Addr::new(10, 99, 0, 199))]
    );
    assert_eq!(subnet.lease_time, Duration::from_secs(3600));
    assert_eq!(subnet.routers, [Ipv4Addr::new(10, 99, 0, 1)]);
    assert_eq!(subnet.dns, [Ipv4Addr::new(10, 99, 0, 1)]);
    assert_eq!(subnet.domain.as_deref(), Some("lab.example"));
    assert_eq!(subnet.ntp, [Ipv4Addr::new(10, 99, 0, 1)]);
    assert_eq!(subnet.mtu, Some(1500));
    assert_eq!(
        subnet.routes,
        [Route {
            destination: Net::new(Ipv4Addr::new(10, 1, 0, 0), 16),
            gateway: Ipv4Addr::new(10, 99, 0, 254)
        }]
    );

    let hosts = &dhcp.reservations;
    assert_eq!(hosts.len(), 3);
    assert_eq!(hosts[0].mac, Mac::parse("52:54:00:12:34:56").unwrap());
    assert_eq!(hosts[0].address, Some(Ipv4Addr::new(10, 99, 0, 10)));
    assert_eq!(hosts[0].hostname.as_deref(), Some("node1"));
    assert_eq!(
        hosts[1].mac,
        Mac::parse("52:54:00:12:34:57").unwrap(),
        "hyphens are normalized"
    );
    assert_eq!(
        hosts[2].mac,
        Mac::parse("52:54:00:12:34:58").unwrap(),
        "the dotted form too"
    );
    assert_eq!(hosts[2].hostname, None);

    let boot = &dhcp.boot;
    assert_eq!(boot.http_host.as_deref(), Some("matchbox.example.com"));
    assert_eq!(boot.http_port, 8080);
    assert!(config.http_port_set);
    assert_eq!(boot.ipxe_script, "/boot.ipxe");
    assert_eq!(boot.bios_file, "undionly.kpxe");
    assert_eq!(boot.uefi_x64_file, "ipxe.efi");
    assert_eq!(boot.uefi_loader, UefiLoader::Ipxe);
    assert_eq!(boot.grub_file, "grubnetx64.efi");

    let name = |s: &str| dns::parse_name(s).unwrap();
    assert!(config.dns_enabled);
    assert_eq!(config.dns_address, Some(vec!["0.0.0.0:53".to_owned()]));
    assert!(config.dns_server_names_set);
    let dns = &config.dns;
    assert_eq!(dns.domain, Some(name("lab.example")));
    assert_eq!(dns.server_names, [name("kindling")]);
    assert_eq!(
        dns.upstreams,
        ["192.0.2.53:53".parse().unwrap(), "[2001:db8::53]:53".parse().unwrap()]
    );
    assert_eq!(dns.local_ttl, 60);
    assert_eq!(dns.cache_size, 10_000);
    assert_eq!(
        dns.records,
        [
            StaticRecord {
                name: name("matchbox.lab.example"),
                ttl: None,
                subdomains: false,
                value: RecordValue::A(Ipv4Addr::new(10, 99, 0, 1)),
            },
            StaticRecord {
                name: name("boot.lab.example"),
                ttl: None,
                subdomains: false,
                value: RecordValue::Cname(name("matchbox.lab.example")),
            },
            StaticRecord {
                name: name("_http._tcp.lab.example"),
                ttl: Some(300),
                subdomains: false,
                value: RecordValue::Srv {
                    priority: 10,
                    weight: 5,
                    port: 8080,
                    target: name("matchbox.lab.example"),
                },
            },
        ]
    );
}

#[test]
fn every_example_file_parses() {
    let mut found = 0;
    for entry in std::fs::read_dir(repo_root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            found += 1;
            if let Err(e) = config::load(&path) {
                panic!("{} does not parse:\n{e}", path.display());
            }
        }
    }
    assert!(found >= 1, "no examples/*.toml found");
}

/// The fenced ```toml blocks of a Markdown file, with the line each starts on.
fn toml_blocks(markdown: &str) -> Vec<(usize, String)> {
    let mut blocks = Vec::new();
    let mut current: Option<(usize, String)> = None;
    for (i, line) in markdown.lines().enumerate() {
        match &mut current {
            None if line.trim() == "```toml" => current = Some((i + 2, String::new())),
            None => {}
            Some(_) if line.trim() == "```" => blocks.push(current.take().unwrap()),
            Some((_, text)) => {
                text.push_str(line);
                text.push('\n');
            }
        }
    }
    blocks
}

#[test]
fn every_toml_block_in_the_documentation_parses() {
    let path = repo_root().join("docs/configuration.md");
    let markdown = std::fs::read_to_string(&path).unwrap();
    let blocks = toml_blocks(&markdown);
    assert!(blocks.len() >= 2, "expected the documentation's examples");
    for (line, text) in blocks {
        if let Err(e) = config::parse(&text, "block") {
            panic!("the TOML block at docs/configuration.md line {line} does not parse:\n{e}");
        }
    }
}

#[test]
fn an_empty_file_means_the_defaults() {
    for text in ["", "\n# only a comment\n", "[dhcp]\n[boot]\n[dns]\n"] {
        let config = config::parse(text, "empty.toml").unwrap();
        assert_eq!(config, config::Config::default());
        assert_eq!(config.dhcp, dhcp::DhcpConfig::default());
        assert!(!config.http_port_set);
        assert_eq!(config.dhcp_lease_file, None);
        assert_eq!(config.dns, dns::DnsConfig::default());
        assert!(!config.dns_enabled);
        assert_eq!(config.dns_address, None);
        assert!(!config.dns_server_names_set);
    }
}
