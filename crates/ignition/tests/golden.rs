//! Golden tests: every `tests/fixtures/NAME.ign` with a `NAME.golden.json` beside it must produce
//! exactly the golden bytes, which `tests/oracle/regenerate.sh` generates with Go's real
//! `encoding/json` and the Go structs that `tests/oracle/schema_gen.rs` generates from
//! `src/types.rs`. Also checks the three `/ignition` goldens of
//! the matchbox contract (§1.6) verbatim, and that every output parses back to the same config
//! and bytes.
//!
//! Goldens are never rewritten by these tests; regenerate them with the Go oracle.

use ignition::{
    Config, Issue, ParseError, Severity, Spec, parse_compatible_v3_4, parse_native, to_go_json, zero_config_v3_4_json,
};
use std::path::{Path, PathBuf};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn read(name: &str) -> Vec<u8> {
    let path = fixtures().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}

/// The bytes kindling would serve for this input, and the spec it declared.
fn served(input: &[u8]) -> (Spec, Vec<u8>) {
    let native = parse_native(input).unwrap_or_else(|e| panic!("parse_native failed: {e}"));
    assert!(!native.report.is_fatal());
    let spec = native.config.spec();
    let bytes = native.config.to_go_json();
    if spec <= Spec::V3_4 {
        // For specs up to 3.4 the served body must be matchbox's: the compatible parse.
        let compat = parse_compatible_v3_4(input).unwrap_or_else(|e| panic!("parse_compatible_v3_4 failed: {e}"));
        assert_eq!(
            String::from_utf8_lossy(&to_go_json(&compat.config)),
            String::from_utf8_lossy(&bytes)
        );
    } else {
        assert!(matches!(
            parse_compatible_v3_4(input),
            Err(ParseError::UnsupportedVersion { .. })
        ));
    }
    (spec, bytes)
}

/// Parses `output` again and checks that it yields the same config and the same bytes.
fn assert_round_trip(spec: Spec, output: &[u8]) {
    let again = parse_native(output).unwrap_or_else(|e| panic!("golden output does not parse: {e}"));
    assert_eq!(again.config.spec(), if spec <= Spec::V3_4 { Spec::V3_4 } else { spec });
    assert_eq!(
        again.report.entries,
        vec![],
        "a golden output must parse without warnings"
    );
    assert_eq!(
        String::from_utf8_lossy(&again.config.to_go_json()),
        String::from_utf8_lossy(output)
    );
    if spec <= Spec::V3_4 {
        let first = parse_compatible_v3_4(output).unwrap().config;
        let second = parse_compatible_v3_4(&to_go_json(&first)).unwrap().config;
        assert_eq!(first, second);
    }
}

/// Fixtures whose 3.4 output does not pass 3.4 validation (see the test body).
const NOT_VALID_AT_3_4: &[&str] = &["quirks-3_2.ign"];

#[test]
fn every_fixture_matches_its_go_golden() {
    let mut checked = 0;
    let mut entries: Vec<_> = std::fs::read_dir(fixtures())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.extension().and_then(|e| e.to_str()) != Some("ign") {
            continue;
        }
        let golden_path = path.with_extension("golden.json");
        if !golden_path.exists() {
            continue;
        }
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let input = std::fs::read(&path).unwrap();
        let golden = std::fs::read(&golden_path).unwrap();
        let (spec, output) = served(&input);
        assert_eq!(
            String::from_utf8_lossy(&output),
            String::from_utf8_lossy(&golden),
            "{name}: output differs from the Go golden"
        );
        if NOT_VALID_AT_3_4.contains(&name.as_str()) {
            // Ignition translates a target-less pre-3.3 link to `"target":""`, which its own 3.4
            // validation rejects; the served bytes are still what matchbox serves.
            let err = parse_compatible_v3_4(&output).unwrap_err();
            let report = err.report().expect("a validation failure");
            assert!(report.errors().all(|e| e.issue == Issue::LinkTargetRequired), "{err}");
        } else {
            assert_round_trip(spec, &output);
        }
        checked += 1;
    }
    assert!(checked >= 13, "only {checked} goldens checked");
}

const CONTRACT_RAW_3_4: &str = r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":"3.4.0"},"kernelArguments":{},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["key"]}]},"storage":{},"systemd":{"units":[{"enabled":false,"name":"docker.service"}]}}"#;

#[test]
fn contract_raw_3_4_passthrough() {
    let parsed = parse_compatible_v3_4(CONTRACT_RAW_3_4.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(to_go_json(&parsed.config)).unwrap(), CONTRACT_RAW_3_4);
    assert!(parsed.report.entries.is_empty());
}

#[test]
fn contract_upgrade_3_1_to_3_4() {
    let parsed = parse_compatible_v3_4(&read("contract-upgrade-3_1.ign")).unwrap();
    assert_eq!(parsed.config.ignition.version, "3.4.0");
    assert_eq!(String::from_utf8(to_go_json(&parsed.config)).unwrap(), CONTRACT_RAW_3_4);
    // The same body as the passthrough but written as 3.1.0 gives the same output too.
    let as_3_1 = CONTRACT_RAW_3_4
        .replace("3.4.0", "3.1.0")
        .replace(r#""kernelArguments":{},"#, "");
    let parsed = parse_compatible_v3_4(as_3_1.as_bytes()).unwrap();
    assert_eq!(String::from_utf8(to_go_json(&parsed.config)).unwrap(), CONTRACT_RAW_3_4);
}

#[test]
fn contract_zero_config() {
    assert_eq!(
        String::from_utf8(zero_config_v3_4_json()).unwrap(),
        r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":""},"kernelArguments":{},"passwd":{},"storage":{},"systemd":{}}"#
    );
    assert_eq!(to_go_json(&Config::default()), zero_config_v3_4_json());
}

#[test]
fn contract_fedora_coreos_example() {
    let parsed = parse_compatible_v3_4(&read("fedora-coreos.ign")).unwrap();
    assert_eq!(
        String::from_utf8(to_go_json(&parsed.config)).unwrap(),
        r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":"3.4.0"},"kernelArguments":{},"passwd":{"users":[{"name":"core","sshAuthorizedKeys":["ssh-ed25519 SET_PUBKEY_HERE"]}]},"storage":{},"systemd":{}}"#
    );
}

#[test]
fn flatcar_install_keeps_gzip_data_url_and_mode() {
    let parsed = parse_compatible_v3_4(&read("flatcar-install.ign")).unwrap();
    let file = &parsed.config.storage.files[0];
    assert_eq!(file.mode, Some(320));
    assert_eq!(file.contents.compression.as_deref(), Some("gzip"));
    assert!(
        file.contents
            .source
            .as_deref()
            .unwrap()
            .starts_with("data:;base64,H4sI")
    );
    let out = String::from_utf8(to_go_json(&parsed.config)).unwrap();
    assert!(out.contains(r#""mode":320"#));
    assert!(out.contains(
        r#"{"group":{},"path":"/opt/installer","user":{},"contents":{"compression":"gzip","source":"data:;base64,"#
    ));
}

#[test]
fn spec_3_5_is_served_at_3_5_and_rejected_by_the_3_4_parser() {
    let input = read("full-3_5.ign");
    let native = parse_native(&input).unwrap();
    assert_eq!(native.config.spec(), Spec::V3_5);
    assert!(native.config.to_v3_4().is_none());
    let out = String::from_utf8(native.config.to_go_json()).unwrap();
    assert!(out.contains(r#""version":"3.5.0""#));
    assert!(out.contains(r#"{"cex":{"enabled":true},"clevis":{"custom":{}},"device":"/dev/dasdb""#));
    match parse_compatible_v3_4(&input) {
        Err(ParseError::UnsupportedVersion { found, newest }) => {
            assert_eq!(found, "3.5.0");
            assert_eq!(newest, "3.4.0");
        }
        other => panic!("expected UnsupportedVersion, got {other:?}"),
    }
}

#[test]
fn older_specs_translate_like_ignition() {
    // A 3.2 link without a target becomes `"target":""`, as Ignition's string-to-pointer
    // translation produces; a `null` after a value leaves a plain Go string unchanged.
    let parsed = parse_compatible_v3_4(&read("quirks-3_2.ign")).unwrap();
    let links = &parsed.config.storage.links;
    assert_eq!(links[0].target.as_deref(), Some("/b"));
    assert_eq!(links[1].target.as_deref(), Some(""));
    // Natively the 3.0 config keeps its version.
    let native = parse_native(&read("full-3_0.ign")).unwrap();
    assert_eq!(native.config.spec(), Spec::V3_0);
    assert_eq!(native.config.config().ignition.version, "3.0.0");
}

#[test]
fn quirks_follow_go_decoding_and_report_unknown_keys() {
    let parsed = parse_compatible_v3_4(&read("quirks-3_4.ign")).unwrap();
    let warnings: Vec<String> = parsed.report.warnings().map(|w| w.to_string()).collect();
    assert!(
        warnings.contains(&"$.Ignition: Unused key Ignition".to_owned()),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"$.unknownTop: Unused key unknownTop".to_owned()),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(&"$.systemd.units.0.Contents: Unused key Contents".to_owned()),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("$.storage: context tree does not match")),
        "{warnings:?}"
    );
    assert!(parsed.report.entries.iter().all(|e| e.severity == Severity::Warning));

    let parsed = parse_compatible_v3_4(&read("quirks-3_2.ign")).unwrap();
    let warnings: Vec<String> = parsed.report.warnings().map(|w| w.to_string()).collect();
    assert_eq!(
        warnings,
        vec!["$.kernelArguments: Unused key kernelArguments".to_owned()]
    );
}
