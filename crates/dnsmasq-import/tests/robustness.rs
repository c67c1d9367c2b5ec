//! Any text never makes the import panic, and whatever it writes, kindling
//! accepts: lines built from dnsmasq's directives with values drawn from
//! what configurations hold (addresses, masks, tags, names, MACs, numbers,
//! quoted text, odd punctuation), plus raw random lines.

use proptest::prelude::*;

const NAMES: &[&str] = &[
    "dhcp-range",
    "dhcp-match",
    "dhcp-vendorclass",
    "dhcp-userclass",
    "dhcp-mac",
    "dhcp-circuitid",
    "dhcp-remoteid",
    "dhcp-subscrid",
    "dhcp-boot",
    "dhcp-option",
    "dhcp-option-force",
    "dhcp-host",
    "dhcp-ignore",
    "pxe-service",
    "pxe-prompt",
    "enable-tftp",
    "tftp-root",
    "address",
    "port",
    "domain",
    "local",
    "server",
    "no-resolv",
    "resolv-file",
    "no-hosts",
    "cache-size",
    "local-ttl",
    "log-queries",
    "log-dhcp",
    "interface",
    "dhcp-authoritative",
    "no-such-option",
];

const TOKENS: &[&str] = &[
    "192.168.1.1",
    "192.168.1.254",
    "10.0.0.0",
    "10.0.0.255",
    "255.255.255.0",
    "255.0.255.0",
    "0.0.0.0",
    "proxy",
    "static",
    "30m",
    "2w",
    "infinite",
    "12",
    "0",
    "65536",
    "300",
    "set:a",
    "set:b",
    "tag:a",
    "tag:!b",
    "tag:#a",
    "tag:known",
    "tag:!known",
    "option:client-arch",
    "option:router",
    "option:nope",
    "option6:dns",
    "vendor:PXEClient",
    "93",
    "6",
    "3",
    "119",
    "121",
    "224",
    "43",
    "53",
    "x86PC",
    "BC_EFI",
    "X86-64_EFI",
    "99",
    "\"Menu, text\"",
    "undionly.kpxe",
    "pxelinux",
    "http://h:8080/boot.ipxe",
    "52:54:00:12:34:56",
    "52:54:00:*:*:*",
    "1:52:54:00:12:34:56",
    "01:02:03",
    "0g:01",
    "iPXE",
    "Arch:00007",
    "node1",
    "a.b",
    "ignore",
    "id:01",
    "[fd00::1]",
    "10.1.0.0/16",
    "",
    " ",
    "\"",
    "#x",
    "/name/1.2.3.4",
    "/a/b/fd00::1",
    "/#/1.1.1.1",
    "10.0.0.53#5353",
    "/corp/10.0.0.53",
    "é",
    "\\",
    "=",
    "tag:a-very-long-tag-name-here",
    "set:x.y",
    "tag:!undefined-interface-name",
];

fn line() -> impl Strategy<Value = String> {
    (
        prop::sample::select(NAMES),
        prop::collection::vec(prop::sample::select(TOKENS), 0..6),
        any::<bool>(),
    )
        .prop_map(|(name, tokens, with_value)| {
            if with_value || !tokens.is_empty() {
                format!("{name}={}", tokens.join(","))
            } else {
                name.to_owned()
            }
        })
}

fn check(conversion: &dnsmasq_import::Conversion) -> Result<(), TestCaseError> {
    if let Err(e) = config::parse(&conversion.toml, "imported") {
        return Err(TestCaseError::fail(format!("{e}\n{}", conversion.toml)));
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    #[test]
    fn directives_with_drawn_values(lines in prop::collection::vec(line(), 0..25)) {
        let text = lines.join("\n");
        check(&dnsmasq_import::from_file(&text, "t"))?;
        let flags: Vec<String> = lines.iter().map(|l| format!("--{l}")).collect();
        check(&dnsmasq_import::from_flags(&flags))?;
    }

    #[test]
    fn raw_text(text in "\\PC{0,400}") {
        check(&dnsmasq_import::from_file(&text, "t"))?;
        let flags: Vec<String> = text.split_whitespace().map(str::to_owned).collect();
        check(&dnsmasq_import::from_flags(&flags))?;
    }
}
