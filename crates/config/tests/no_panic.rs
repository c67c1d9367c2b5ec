//! No input makes the parser panic: random text, the sample file with random
//! edits, and documents assembled from the schema's own keys with values of
//! every kind. Whether the verdicts are right is `errors.rs`'s business; this
//! only checks that a verdict comes back and that its report is well formed.

use proptest::prelude::*;

const SAMPLE: &str = include_str!("../../../examples/kindling.toml");

/// Parses and checks the shape of the result: errors are one per line, in
/// file order, with positions inside the text.
fn check(text: &str) {
    match config::parse(text, "p.toml") {
        Ok(_) => {}
        Err(errors) => {
            assert!(!errors.is_empty());
            let shown = errors.to_string();
            assert_eq!(shown.lines().count(), errors.len(), "{shown}");
            let lines = text.split('\n').count();
            let mut previous = (0, 0);
            for e in &errors {
                assert!(
                    e.line >= 1 && e.line <= lines && e.column >= 1,
                    "{e} for a text of {lines} lines"
                );
                assert!((e.line, e.column) >= previous, "errors out of order:\n{shown}");
                previous = (e.line, e.column);
            }
        }
    }
}

/// Snippets that make interesting edits: TOML punctuation, the schema's
/// keys, and values near the edges of what each key accepts.
const SNIPPETS: &[&str] = &[
    "[",
    "]",
    "[[",
    "]]",
    "{",
    "}",
    "=",
    ",",
    "\"",
    "'",
    "\n",
    "#",
    ".",
    "-",
    " ",
    "\\",
    "\"\"\"",
    "[dhcp]",
    "[boot]",
    "[[dhcp.subnet]]",
    "[[dhcp.host]]",
    "[dhcp.subnet]",
    "[[dhcp.subnet.routes]]",
    "[dns]",
    "[[dns.record]]",
    "mode",
    "network",
    "ranges",
    "routes",
    "mac",
    "address",
    "http_port",
    "lease_time",
    "\"full\"",
    "\"proxy\"",
    "0",
    "-1",
    "65536",
    "9223372036854775807",
    "99999999999999999999",
    "1.5",
    "nan",
    "inf",
    "true",
    "1979-05-27",
    "\"0.0.0.0/0\"",
    "\"255.255.255.255/32\"",
    "\"0.0.0.0-255.255.255.255\"",
    "\"10.99.0.0/24\"",
    "\"10.99.0.255\"",
    "\"1x\"",
    "\"4294967295s\"",
    "\"CNAME\"",
    "\"[::]:53\"",
    "\"fd00::1\"",
    "\"é\"",
    "\u{1f600}",
    "\r\n",
    "\t",
    "\u{0}",
];

#[derive(Debug, Clone)]
enum Edit {
    Delete { at: usize, len: usize },
    Insert { at: usize, snippet: usize },
    DuplicateLine { at: usize },
}

fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (any::<usize>(), 1usize..40).prop_map(|(at, len)| Edit::Delete { at, len }),
        (any::<usize>(), 0..SNIPPETS.len()).prop_map(|(at, snippet)| Edit::Insert { at, snippet }),
        any::<usize>().prop_map(|at| Edit::DuplicateLine { at }),
    ]
}

/// Applies edits on character boundaries so the text stays a `&str`.
fn apply(text: &str, edits: &[Edit]) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    for edit in edits {
        match edit {
            Edit::Delete { at, len } if !chars.is_empty() => {
                let at = at % chars.len();
                let end = (at + len).min(chars.len());
                chars.drain(at..end);
            }
            Edit::Delete { .. } => {}
            Edit::Insert { at, snippet } => {
                let at = at % (chars.len() + 1);
                chars.splice(at..at, SNIPPETS[*snippet].chars());
            }
            Edit::DuplicateLine { at } => {
                let text: String = chars.iter().collect();
                let lines: Vec<&str> = text.split('\n').collect();
                let i = at % lines.len();
                let mut out = lines.clone();
                out.insert(i, lines[i]);
                chars = out.join("\n").chars().collect();
            }
        }
    }
    chars.into_iter().collect()
}

const KEYS: &[&str] = &[
    "mode",
    "interfaces",
    "authoritative",
    "offer_hold",
    "probation",
    "lease_file",
    "network",
    "ranges",
    "lease_time",
    "routers",
    "dns",
    "domain",
    "ntp",
    "mtu",
    "routes",
    "destination",
    "gateway",
    "mac",
    "address",
    "hostname",
    "http_host",
    "http_port",
    "ipxe_script",
    "bios_file",
    "uefi_loader",
    "grub_file",
    "enabled",
    "server_names",
    "upstreams",
    "ttl",
    "cache_size",
    "record",
    "name",
    "type",
    "value",
    "unknown",
];
const HEADERS: &[&str] = &[
    "[dhcp]",
    "[boot]",
    "[[dhcp.subnet]]",
    "[[dhcp.host]]",
    "[[dhcp.subnet.routes]]",
    "[dns]",
    "[[dns.record]]",
    "[dns.record]",
    "[tftp]",
    "[dhcp.subnet]",
];
const VALUES: &[&str] = &[
    "\"full\"",
    "\"proxy\"",
    "\"off\"",
    "true",
    "0",
    "-5",
    "60",
    "68",
    "65535",
    "70000",
    "1.5",
    "\"90s\"",
    "\"2d\"",
    "\"\"",
    "\"1x\"",
    "[]",
    "[\"br0\"]",
    "\"10.99.0.0/24\"",
    "\"10.99.0.5/24\"",
    "\"10.99.0.0/16\"",
    "\"10.98.0.0/24\"",
    "[\"10.99.0.100-10.99.0.199\"]",
    "[\"10.99.0.150-10.99.0.160\", \"10.99.0.1-10.99.0.255\"]",
    "\"10.99.0.10\"",
    "\"10.99.0.255\"",
    "[\"10.99.0.1\", 3]",
    "\"52:54:00:12:34:56\"",
    "\"5254.0012.3456\"",
    "\"node1\"",
    "\"-x-\"",
    "{ destination = \"10.1.0.0/16\", gateway = \"10.99.0.254\" }",
    "[{ destination = \"0.0.0.0/0\" }]",
    "{}",
    "[[]]",
    "\"lab.example\"",
    "\"matchbox.lab.example\"",
    "\"a..b\"",
    "\"A\"",
    "\"aaaa\"",
    "\"CNAME\"",
    "\"SRV\"",
    "\"MX\"",
    "\"fd00::1\"",
    "\"10 5 8080 matchbox.lab.example\"",
    "\"10 5 80800 x\"",
    "\"0.0.0.0:53\"",
    "\"[::]:53\"",
    "[\"192.0.2.53\", \"192.0.2.53:53\"]",
    "[\"fd00::53\", \"dns.example\"]",
    "[\"kindling\"]",
    "\"8d\"",
];

fn document() -> impl Strategy<Value = String> {
    let line = prop_oneof![
        (0..HEADERS.len()).prop_map(|h| HEADERS[h].to_owned()),
        (0..KEYS.len(), 0..VALUES.len()).prop_map(|(k, v)| format!("{} = {}", KEYS[k], VALUES[v])),
    ];
    proptest::collection::vec(line, 0..30).prop_map(|lines| lines.join("\n"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn random_text(text in "\\PC*") {
        check(&text);
    }

    #[test]
    fn random_bytes_as_text(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        check(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn the_sample_with_random_edits(edits in proptest::collection::vec(edit(), 1..8)) {
        check(&apply(SAMPLE, &edits));
    }

    #[test]
    fn documents_from_the_schema(text in document()) {
        check(&text);
    }
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    for depth in [100, 10_000] {
        check(&format!(
            "[dhcp]\ninterfaces = {}{}\n",
            "[".repeat(depth),
            "]".repeat(depth)
        ));
        check(&format!("x = {}1{}\n", "{ a = ".repeat(depth), " }".repeat(depth)));
    }
}
