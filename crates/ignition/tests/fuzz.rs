//! Randomized robustness: mutated fixtures and generated Ignition-shaped JSON must never panic,
//! and whatever parses must serialize to bytes that parse back to the same config.

use ignition::{Spec, parse_compatible_v3_4, parse_native, to_go_json, to_go_json_v3_5};
use proptest::prelude::*;
use std::path::Path;

fn fixture_inputs() -> Vec<Vec<u8>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some("ign"))
        .collect();
    paths.sort();
    paths.into_iter().map(|p| std::fs::read(p).unwrap()).collect()
}

/// Parses `input` both ways; checks the round-trip property on every success.
fn check(input: &[u8]) {
    if let Ok(parsed) = parse_compatible_v3_4(input) {
        let bytes = to_go_json(&parsed.config);
        if let Ok(again) = parse_compatible_v3_4(&bytes) {
            assert_eq!(again.config, parsed.config);
            assert_eq!(to_go_json(&again.config), bytes);
        }
    }
    if let Ok(native) = parse_native(input) {
        let spec = native.config.spec();
        let bytes = native.config.to_go_json();
        let again = parse_native(&bytes);
        if spec >= Spec::V3_4 {
            // Output of a valid 3.4/3.5 config is always a valid config of the same spec.
            let again = again.unwrap_or_else(|e| panic!("re-parse failed: {e}\n{}", String::from_utf8_lossy(&bytes)));
            assert_eq!(again.config.config(), native.config.config());
            if spec == Spec::V3_5 {
                assert_eq!(to_go_json_v3_5(again.config.config()), bytes);
            }
        }
    }
}

#[derive(Debug, Clone)]
enum Mutation {
    Replace(usize, u8),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
    Duplicate(usize, usize),
    Truncate(usize),
}

const SNIPPETS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "null",
    "true",
    "0",
    "-1",
    "1e9",
    "\\u00",
    "\\ud800",
    "\u{2028}",
    "<&>",
    r#""path":"rel""#,
    r#""mode":99999"#,
    r#""version":"3.5.0""#,
    r#""source":"data:,x""#,
    r#""name":"x.service""#,
];

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Replace(i, b)),
        (any::<usize>(), prop::sample::select(SNIPPETS)).prop_map(|(i, s)| Mutation::Insert(i, s.as_bytes().to_vec())),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..4)).prop_map(|(i, b)| Mutation::Insert(i, b)),
        (any::<usize>(), 1usize..40).prop_map(|(i, n)| Mutation::Delete(i, n)),
        (any::<usize>(), 1usize..60).prop_map(|(i, n)| Mutation::Duplicate(i, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

fn apply(mut data: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let len = data.len().max(1);
        match m {
            Mutation::Replace(i, b) => {
                if !data.is_empty() {
                    let i = i % data.len();
                    data[i] = *b;
                }
            }
            Mutation::Insert(i, bytes) => {
                let i = i % (data.len() + 1);
                data.splice(i..i, bytes.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let i = i % len;
                let end = (i + n).min(data.len());
                if i < end {
                    data.drain(i..end);
                }
            }
            Mutation::Duplicate(i, n) => {
                let i = i % len;
                let end = (i + n).min(data.len());
                if i < end {
                    let copy = data[i..end].to_vec();
                    data.splice(end..end, copy);
                }
            }
            Mutation::Truncate(i) => data.truncate(i % len),
        }
    }
    data
}

/// A JSON value for the generator.
#[derive(Debug, Clone)]
enum Json {
    Null,
    Bool(bool),
    Num(String),
    Str(String),
    Arr(Vec<Json>),
    Obj(Vec<(String, Json)>),
}

fn write_json(v: &Json, out: &mut String) {
    match v {
        Json::Null => out.push_str("null"),
        Json::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Json::Num(n) => out.push_str(n),
        Json::Str(s) => write_str(s, out),
        Json::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_json(item, out);
            }
            out.push(']');
        }
        Json::Obj(members) => {
            out.push('{');
            for (i, (k, v)) in members.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write_json(v, out);
            }
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

const KEYS: &[&str] = &[
    "ignition",
    "version",
    "config",
    "merge",
    "replace",
    "source",
    "compression",
    "verification",
    "hash",
    "httpHeaders",
    "name",
    "value",
    "proxy",
    "httpProxy",
    "httpsProxy",
    "noProxy",
    "security",
    "tls",
    "certificateAuthorities",
    "timeouts",
    "httpTotal",
    "kernelArguments",
    "shouldExist",
    "shouldNotExist",
    "passwd",
    "users",
    "groups",
    "sshAuthorizedKeys",
    "uid",
    "gid",
    "storage",
    "files",
    "directories",
    "links",
    "disks",
    "partitions",
    "filesystems",
    "luks",
    "raid",
    "path",
    "mode",
    "contents",
    "append",
    "overwrite",
    "user",
    "group",
    "id",
    "target",
    "hard",
    "device",
    "number",
    "label",
    "sizeMiB",
    "startMiB",
    "typeGuid",
    "guid",
    "format",
    "options",
    "mountOptions",
    "wipeFilesystem",
    "clevis",
    "custom",
    "pin",
    "tang",
    "url",
    "thumbprint",
    "advertisement",
    "tpm2",
    "threshold",
    "keyFile",
    "cex",
    "enabled",
    "level",
    "devices",
    "spares",
    "systemd",
    "units",
    "dropins",
    "mask",
    "PATH",
    "Name",
    "unknown",
];

const STRINGS: &[&str] = &[
    "",
    "/etc/a",
    "/etc/a/b",
    "rel",
    "/a/../b",
    "3.4.0",
    "3.0.0",
    "3.2.0",
    "3.5.0",
    "data:,x",
    "data:;base64,aGk=",
    "http://h/x",
    "https://h/x",
    "s3://b/k",
    "gs://b/o",
    "ftp://x",
    "a.service",
    "b@c.service",
    "x.conf",
    "raid1",
    "ext4",
    "none",
    "gzip",
    "tpm2",
    "sha512-00",
    "[Unit]\n",
    "[Install]\nWantedBy=a\n",
    "<&>\u{2028}",
    "\u{FFFD}é",
];

fn json_value() -> impl Strategy<Value = Json> {
    let leaf = prop_oneof![
        Just(Json::Null),
        any::<bool>().prop_map(Json::Bool),
        prop_oneof![
            any::<i64>().prop_map(|n| n.to_string()),
            (0i64..5000).prop_map(|n| n.to_string()),
            Just("1.5".to_owned()),
            Just("1e400".to_owned()),
            Just("-0".to_owned()),
        ]
        .prop_map(Json::Num),
        prop_oneof![prop::sample::select(STRINGS).prop_map(str::to_owned), "[ -~]{0,12}"].prop_map(Json::Str),
    ];
    leaf.prop_recursive(5, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Json::Arr),
            prop::collection::vec((prop::sample::select(KEYS).prop_map(str::to_owned), inner), 0..6)
                .prop_map(Json::Obj),
        ]
    })
}

fn config_like() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::sample::select(&["3.0.0", "3.1.0", "3.2.0", "3.3.0", "3.4.0", "3.5.0", "03.4.0"][..]),
        prop::collection::vec((prop::sample::select(KEYS), json_value()), 0..6),
    )
        .prop_map(|(version, members)| {
            let mut obj = vec![(
                "ignition".to_owned(),
                Json::Obj(vec![("version".to_owned(), Json::Str(version.to_owned()))]),
            )];
            obj.extend(members.into_iter().map(|(k, v)| (k.to_owned(), v)));
            let mut out = String::new();
            write_json(&Json::Obj(obj), &mut out);
            out.into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic(index in any::<usize>(), mutations in prop::collection::vec(mutation(), 1..6)) {
        let inputs = fixture_inputs();
        let input = apply(inputs[index % inputs.len()].clone(), &mutations);
        check(&input);
    }

    #[test]
    fn generated_configs_never_panic(input in config_like()) {
        check(&input);
    }

    #[test]
    fn arbitrary_bytes_never_panic(input in prop::collection::vec(any::<u8>(), 0..256)) {
        check(&input);
    }
}

#[test]
fn deep_nesting_is_rejected_without_overflowing_the_stack() {
    let deep = "[".repeat(200_000);
    assert!(parse_compatible_v3_4(deep.as_bytes()).is_err());
    // Nesting within Go's limit inside an unknown key is skipped iteratively.
    let nested = format!(
        r#"{{"ignition":{{"version":"3.4.0"}},"x":{}{}}}"#,
        "[".repeat(9_000),
        "]".repeat(9_000)
    );
    let parsed = parse_compatible_v3_4(nested.as_bytes()).unwrap();
    assert_eq!(parsed.report.warnings().count(), 1);
}
