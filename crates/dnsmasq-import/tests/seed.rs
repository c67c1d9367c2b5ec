//! Every dnsmasq configuration of the seed guide (its two files, the PXE
//! file with its optional lines on, and the container examples' flags)
//! converts with nothing lost, into the checked-in golden, which kindling's
//! configuration reader accepts. `KINDLING_REGENERATE=1` rewrites the
//! goldens. And a file of options kindling cannot express lists each of
//! them, with its line and a reason, and still gives a valid file.

use std::path::{Path, PathBuf};

fn seed_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/seed")
}

fn check_golden(path: &Path, toml: &str) {
    let golden = path.with_extension("toml");
    if std::env::var_os("KINDLING_REGENERATE").is_some() {
        std::fs::write(&golden, toml).unwrap();
    }
    let want = std::fs::read_to_string(&golden)
        .unwrap_or_else(|e| panic!("{}: {e} (KINDLING_REGENERATE=1 writes it)", golden.display()));
    assert_eq!(
        toml,
        want,
        "{} is stale (KINDLING_REGENERATE=1 rewrites it)",
        golden.display()
    );
}

#[test]
fn every_seed_configuration_converts_without_loss() {
    let mut seen = 0;
    let mut entries: Vec<PathBuf> = std::fs::read_dir(seed_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let conversion = match path.extension().and_then(|e| e.to_str()) {
            Some("conf") => dnsmasq_import::from_file(&std::fs::read_to_string(&path).unwrap(), &name),
            Some("args") => {
                let args: Vec<String> = std::fs::read_to_string(&path)
                    .unwrap()
                    .lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(str::to_owned)
                    .collect();
                dnsmasq_import::from_flags(&args)
            }
            _ => continue,
        };
        seen += 1;
        assert!(conversion.losses.is_empty(), "{name}: {:?}", conversion.losses);
        if let Err(e) = config::parse(&conversion.toml, &name) {
            panic!("{name}: kindling rejects the translation:\n{e}\n{}", conversion.toml);
        }
        check_golden(&path, &conversion.toml);
    }
    assert_eq!(seen, 5, "the seed's five configurations");
}

#[test]
fn the_seed_translations_mean_what_dnsmasq_meant() {
    let text = std::fs::read_to_string(seed_dir().join("pxe-dhcp.conf")).unwrap();
    let c = config::parse(&dnsmasq_import::from_file(&text, "pxe-dhcp.conf").toml, "t").unwrap();
    assert_eq!(c.dhcp.mode, dhcp::Mode::Full);
    assert!(!c.dhcp.boot.builtin);
    assert!(!c.dhcp.authoritative);
    let names: Vec<&str> = c.dhcp.classes.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["bios", "efi32", "efibc", "efi64", "ipxe"]);
    assert_eq!(
        c.dhcp.classes[4].boot.as_ref().unwrap().file,
        "http://matchbox.example.com:8080/boot.ipxe"
    );
    assert_eq!(c.dhcp.subnets[0].lease_time.as_secs(), 1800);
    assert_eq!(c.tftp.enabled, Some(true));
    assert!(c.dns_enabled && c.dns.log_queries);
    assert!(c.dns.records[0].subdomains);

    let text = std::fs::read_to_string(seed_dir().join("pxe-dhcp-alternate-dns.conf")).unwrap();
    let c = config::parse(&dnsmasq_import::from_file(&text, "x").toml, "t").unwrap();
    assert!(!c.dns_enabled, "port=0");
    assert!(c.dhcp.options.contains(&(6, vec![192, 168, 1, 100])));

    let text = std::fs::read_to_string(seed_dir().join("proxy-dhcp.conf")).unwrap();
    let c = config::parse(&dnsmasq_import::from_file(&text, "x").toml, "t").unwrap();
    assert_eq!(c.dhcp.mode, dhcp::Mode::Proxy);
    assert_eq!(c.dhcp.pxe.services.len(), 2);
    assert!(c.dhcp.pxe.services[0].classes[0].negated);
}

#[test]
fn what_cannot_be_expressed_is_listed_with_its_line() {
    let text = "\
dhcp-range=192.168.5.10,192.168.5.20,255.255.255.0,12h
dhcp-range=tag:green,192.168.6.10,192.168.6.20
dhcp-host=52:54:00:00:00:01,192.168.5.11,node1,infinite
dhcp-host=52:54:00:00:00:02,node2
dhcp-option=vendor:PXEClient,1,0.0.0.0
dhcp-match=set:x,option:client-arch,01:*
server=/corp.example/10.0.0.53
conf-dir=/etc/dnsmasq.d
pxe-service=x86PC,\"Boot from local disk\"
address=/#/10.0.0.1
dhcp-script=/bin/echo
no-resolv
no-hosts
";
    let c = dnsmasq_import::from_file(text, "t.conf");
    let lines: Vec<String> = c.losses.iter().map(|l| l.place.to_string()).collect();
    assert_eq!(
        lines,
        [
            "line 2", "line 3", "line 5", "line 6", "line 7", "line 8", "line 9", "line 10", "line 11"
        ],
        "{:#?}",
        c.losses
    );
    assert!(c.losses.iter().all(|l| !l.reason.is_empty()));
    assert!(c.losses[1].reason.contains("per-host lease times"));
    let parsed = config::parse(&c.toml, "t").unwrap_or_else(|e| panic!("{e}\n{}", c.toml));
    assert_eq!(parsed.dhcp.reservations.len(), 1, "node2 keeps its name");
    assert_eq!(parsed.dhcp.reservations[0].hostname.as_deref(), Some("node2"));
    assert_eq!(parsed.dhcp.subnets[0].lease_time.as_secs(), 12 * 3600);
}

#[test]
fn tags_and_options_of_a_larger_file() {
    let text = "\
dhcp-range=10.1.0.50,10.1.0.150,255.255.255.0
dhcp-range=10.1.0.200,10.1.0.220,255.255.255.0
dhcp-authoritative
dhcp-vendorclass=set:efi7,Arch:00007
dhcp-mac=set:lab,52:54:00:*:*:*
dhcp-circuitid=set:rack1,00:01:02
dhcp-host=52:54:00:aa:bb:cc,set:special,10.1.0.9,special
dhcp-option=option:ntp-server,10.1.0.1
dhcp-option=tag:lab,option:domain-search,lab.example,example
dhcp-option=tag:lab,tag:!efi7,42,10.1.0.2
dhcp-option=121,10.9.0.0/16,10.1.0.1
dhcp-option=3
dhcp-boot=pxelinux.0
dhcp-boot=tag:efi7,tag:lab,grubx64.efi,boot1,10.1.0.5
dhcp-ignore=tag:!known
pxe-prompt=\"Press F8\",10
domain=lab.example
server=10.1.0.53#5353
cache-size=500
";
    let c = dnsmasq_import::from_file(text, "t.conf");
    assert!(c.losses.is_empty(), "{:#?}", c.losses);
    let cfg = config::parse(&c.toml, "t").unwrap_or_else(|e| panic!("{e}\n{}", c.toml));
    assert!(cfg.dhcp.authoritative);
    assert_eq!(cfg.dhcp.subnets.len(), 1);
    assert_eq!(cfg.dhcp.subnets[0].ranges.len(), 2);
    assert!(cfg.dhcp.options.contains(&(42, vec![10, 1, 0, 1])));
    assert!(cfg.dhcp.options.contains(&(3, vec![])), "dhcp-option=3: no router");
    assert!(cfg.dhcp.options.contains(&(121, vec![16, 10, 9, 10, 1, 0, 1])));
    let class = |n: &str| {
        cfg.dhcp
            .classes
            .iter()
            .find(|c| c.name == n)
            .unwrap_or_else(|| panic!("{n}\n{}", c.toml))
    };
    assert_eq!(
        class("efi7").matches[0].vendor_class_contains.as_deref(),
        Some(&b"Arch:00007"[..])
    );
    assert_eq!(class("rack1").matches[0].circuit_id.as_deref(), Some(&[0, 1, 2][..]));
    assert!(class("special").matches[0].mac.is_some());
    assert_eq!(
        class("lab").options,
        vec![(119, b"\x03lab\x07example\x00\x07example\x00".to_vec())]
    );
    assert!(
        cfg.dhcp
            .classes
            .iter()
            .any(|c| c.ignore && c.matches[0].known == Some(false))
    );
    let boots: Vec<&str> = cfg
        .dhcp
        .classes
        .iter()
        .filter_map(|c| c.boot.as_ref().map(|b| b.file.as_str()))
        .collect();
    assert_eq!(
        boots,
        ["pxelinux.0", "grubx64.efi"],
        "in dhcp-boot order: the last matching wins"
    );
    assert_eq!(cfg.dhcp.pxe.prompt, Some((10, "Press F8".into())));
    assert_eq!(cfg.dns.cache_size, 500);
    assert_eq!(cfg.dns.upstreams, ["10.1.0.53:5353".parse().unwrap()]);
}
