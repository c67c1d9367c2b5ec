//! Ignition 3.x configs for kindling: typed structs for specs 3.0 to 3.6, the parse / validate /
//! translate pipeline of Ignition's Go library, and byte-exact Go `encoding/json` output.
//!
//! matchbox serves raw `.ign` files by parsing them with Ignition's v3_4
//! `ParseCompatibleVersion` and re-serializing the resulting v3_4 `types.Config` with Go's
//! `json.Marshal`. [`parse_compatible_v3_4`] followed by [`to_go_json`] reproduces that byte for
//! byte; [`zero_config_v3_4_json`] is what matchbox sends when the parse fails (quirk D1).
//! [`parse_native`] is kindling's improvement: it also accepts spec 3.5.0 and keeps each config at
//! its own version, so a valid 3.5 config can be served as 3.5 instead of being emptied.
//!
//! # Design: one superset struct family
//!
//! The structs in [`types`] hold the union of the fields of specs 3.0 to 3.5, using the Go types
//! of 3.4/3.5 (`*string` → `Option<String>` and so on). Each field records the first spec that has
//! it, and a 3.0 resource records which of 3.0's three resource types it stands for. Decoding at a
//! spec sees only that spec's fields, so unknown keys are reported and dropped exactly as for
//! Ignition's per-version Go structs; validation switches rules on the spec; encoding at 3.4 or
//! 3.5 emits that spec's fields in Go struct order. This was chosen over one module per version
//! because Ignition's specs differ in a handful of fields and rules, not in shape: six copies of
//! 30 structs would hide those differences among identical code, while here each difference is
//! one visible line (`exists::since_3_2`, `if self.spec >= Spec::V3_3`). The few fields whose Go
//! type changed between specs (plain string → pointer) are decoded with the old semantics and
//! normalized while translating, exactly as Ignition's translators do.
//!
//! # What is reproduced from Ignition (and Go)
//!
//! * `encoding/json` decoding: case-insensitive key matching, duplicate keys decoding into the
//!   existing value, `null` semantics per Go type, first type error fails the parse, invalid
//!   UTF-8 and lone surrogates replaced by U+FFFD, nesting limit 10000.
//! * The version probe (`util.GetConfigVersion`) and `go-semver` parsing, including accepting
//!   `03.4.0` as 3.4.0 and rejecting `3.4.0-experimental`.
//! * Validation with Ignition's messages and JSON paths, in Ignition's order, plus "Unused key"
//!   warnings for unknown keys (the config is kept, the keys dropped).
//! * `json.Marshal` output: field order, `omitempty` rules (struct-typed fields never omitted),
//!   HTML-safe escaping, no trailing newline.
//!
//! # Known differences from Ignition
//!
//! * Warnings about unknown keys come in document order (Ignition iterates a Go map, so its
//!   order is random), and are reported in every occurrence of a repeated key rather than only
//!   the last one. Entries carry no line/column markers.
//! * Go's slice decoding can resurrect elements from an earlier, longer occurrence of the same
//!   key once the key appears three or more times with shrinking then growing arrays; here such
//!   elements start empty.
//! * When several partition numbers collide, Go reports a random one (map iteration); this
//!   crate reports the first.
//! * URL checks follow Go 1.19's `net/url`; newer Go releases reject a few more malformed
//!   bracketed hosts.
//! * String output uses Go ≥ 1.22 escapes (`\b`, `\f`; Go 1.19 wrote `\u0008`, `\u000c`).
//! * Special mode bits (setuid/setgid/sticky) warn in every spec up to 3.5 and are not masked
//!   when translating to 3.4, which is Ignition's behaviour since 2.2x (the masking moved to the
//!   3.6 translator). The 3.5 `cex` rules (`cannot use cex with clevis`, `cannot use key file
//!   with cex`) are reconstructed, not read from Ignition's source.
//!
//! This crate is pure: no I/O, no clocks, no global state. Malformed input never panics.

mod codec;
pub(crate) use ::gojson as json;
mod report;
mod spec;
mod translate;
pub mod types;
mod validate;

pub use report::{Entry, Issue, JsonPath, ParseError, PathSegment, Report, Severity};
pub use spec::Spec;
pub use types::Config;

use codec::{Decoder, Encoder, GoValue};

/// A successfully parsed config and its non-fatal findings (warnings).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed<T> {
    /// The config.
    pub config: T,
    /// Warnings, e.g. unknown keys that were dropped. Never contains errors.
    pub report: Report,
}

/// A config kept at the spec version it was written in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyConfig {
    spec: Spec,
    config: Config,
}

impl AnyConfig {
    /// The config's spec version.
    pub fn spec(&self) -> Spec {
        self.spec
    }

    /// The config in the superset structs. Fields the spec does not have are empty. For specs
    /// before 3.3 an absent `Link.target` / `Raid.level` is `None` here although Ignition's Go
    /// type was a plain string; [`AnyConfig::to_v3_4`] turns it into `""` as Ignition does.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The config translated to 3.4 the way Ignition's v3_4 `ParseCompatibleVersion` does, or
    /// `None` for 3.5 (Ignition has no down-translation).
    pub fn to_v3_4(&self) -> Option<Config> {
        match self.spec {
            Spec::V3_5 | Spec::V3_6 => None,
            Spec::V3_4 => Some(self.config.clone()),
            older => Some(translate::to_v3_4(self.config.clone(), older)),
        }
    }

    /// The bytes kindling serves: configs up to 3.4 as matchbox's 3.4.0 re-serialization, 3.5
    /// configs as Go's `json.Marshal` of Ignition's v3_5 struct.
    pub fn to_go_json(&self) -> Vec<u8> {
        match self.to_v3_4() {
            Some(cfg) => to_go_json(&cfg),
            None => {
                // 3.5 and 3.6 share one schema; the version string is the config's own.
                let mut e = Encoder::new(self.spec);
                self.config.encode(&mut e);
                e.out
            }
        }
    }

    /// The config as 3.4.0 JSON for a client that accepts nothing newer, when
    /// that loses nothing: configs up to 3.4 always; a 3.5 config only when
    /// it uses no 3.5 field (checked by writing it at 3.4, reading that back
    /// and comparing both at 3.5). `None` when 3.4 cannot express it.
    pub fn to_go_json_v3_4_lossless(&self) -> Option<Vec<u8>> {
        if self.spec <= Spec::V3_4 {
            return self.to_v3_4().map(|c| to_go_json(&c));
        }
        let mut down = self.config.clone();
        down.ignition.version = Spec::V3_4.version().to_owned();
        let bytes = to_go_json(&down);
        let mut back = parse_native(&bytes).ok()?.config.config;
        back.ignition.version.clone_from(&self.config.ignition.version);
        (to_go_json_v3_5(&back) == to_go_json_v3_5(&self.config)).then_some(bytes)
    }
}

/// Parses like Ignition's `config/v3_4.ParseCompatibleVersion`: accepts specs 3.0.0 to 3.4.0,
/// validates at the config's own spec, and translates older specs to 3.4.0.
pub fn parse_compatible_v3_4(raw: &[u8]) -> Result<Parsed<Config>, ParseError> {
    let spec = detect_spec(raw, Spec::V3_4)?;
    let (config, report) = parse_at(raw, spec)?;
    let config = if spec == Spec::V3_4 {
        config
    } else {
        translate::to_v3_4(config, spec)
    };
    Ok(Parsed { config, report })
}

/// Parses a config of spec 3.0.0 to 3.6.0 and keeps it at its own spec (Ignition's per-version
/// `Parse`).
pub fn parse_native(raw: &[u8]) -> Result<Parsed<AnyConfig>, ParseError> {
    let spec = detect_spec(raw, Spec::V3_6)?;
    let (config, report) = parse_at(raw, spec)?;
    Ok(Parsed {
        config: AnyConfig { spec, config },
        report,
    })
}

/// Go `json.Marshal` of Ignition's v3_4 `types.Config` holding `cfg` (fields of spec 3.5 are not
/// part of that struct and are left out).
pub fn to_go_json(cfg: &Config) -> Vec<u8> {
    let mut e = Encoder::new(Spec::V3_4);
    cfg.encode(&mut e);
    e.out
}

/// Go `json.Marshal` of Ignition's v3_5 `types.Config` holding `cfg`.
pub fn to_go_json_v3_5(cfg: &Config) -> Vec<u8> {
    let mut e = Encoder::new(Spec::V3_5);
    cfg.encode(&mut e);
    e.out
}

/// The body matchbox serves when the spec-3.4 parse fails: Go's encoding of the zero v3_4 config.
pub fn zero_config_v3_4_json() -> Vec<u8> {
    to_go_json(&Config::default())
}

/// `util.GetConfigVersion` plus the per-version dispatch: which spec the raw config declares.
fn detect_spec(raw: &[u8], newest: Spec) -> Result<Spec, ParseError> {
    if raw.is_empty() {
        return Err(ParseError::Empty);
    }
    json::check_valid(raw).map_err(|e| ParseError::Syntax {
        offset: e.offset,
        message: e.message,
    })?;
    let mut d = Decoder::new(raw, newest);
    let mut stub = types::stub::VersionStub::default();
    stub.decode(&mut d);
    if let Some(e) = d.type_error {
        return Err(ParseError::Type {
            path: e.path,
            message: e.message,
        });
    }
    let found = stub.ignition.version;
    let semver = spec::parse_semver(&found).ok_or_else(|| ParseError::InvalidVersion { found: found.clone() })?;
    match Spec::from_semver(&semver) {
        Some(spec) if spec <= newest => Ok(spec),
        _ => Err(ParseError::UnsupportedVersion {
            found,
            newest: newest.version(),
        }),
    }
}

/// `Parse` of one spec: full decode (type errors are fatal), validation, unknown-key warnings.
fn parse_at(raw: &[u8], spec: Spec) -> Result<(Config, Report), ParseError> {
    let mut d = Decoder::new(raw, spec);
    let mut config = Config::default();
    config.decode(&mut d);
    if let Some(e) = d.type_error {
        return Err(ParseError::Type {
            path: e.path,
            message: e.message,
        });
    }
    let mut report = validate::validate(&config, spec);
    report.entries.extend(d.warnings.entries);
    if report.is_fatal() {
        return Err(ParseError::Invalid { report });
    }
    Ok((config, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_config_matches_the_contract() {
        assert_eq!(
            String::from_utf8(zero_config_v3_4_json()).unwrap(),
            r#"{"ignition":{"config":{"replace":{"verification":{}}},"proxy":{},"security":{"tls":{}},"timeouts":{},"version":""},"kernelArguments":{},"passwd":{},"storage":{},"systemd":{}}"#
        );
    }
}
