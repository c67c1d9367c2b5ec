//! Ignition spec versions and the version-string parser Ignition uses (`coreos/go-semver`).
//!
//! Ignition compares the parsed version as a whole struct, so `3.4.0-experimental` and
//! `3.4.0+build` are different versions from `3.4.0`, while `03.4.00` parses to exactly 3.4.0
//! (Go's `strconv.ParseInt` accepts leading zeros). This module reproduces that.

use std::fmt;

/// A stable Ignition config spec version that this crate understands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Spec {
    /// Spec 3.0.0.
    V3_0,
    /// Spec 3.1.0.
    V3_1,
    /// Spec 3.2.0.
    V3_2,
    /// Spec 3.3.0.
    V3_3,
    /// Spec 3.4.0, the newest version matchbox's `/ignition` endpoint accepts.
    V3_4,
    /// Spec 3.5.0 (stable since Ignition 2.20).
    V3_5,
    /// Spec 3.6.0: the 3.5 schema, with special mode bits (setuid, setgid,
    /// sticky) supported instead of warned about (Ignition's "Upgrading
    /// Configs": the only change from 3.5.0).
    V3_6,
}

impl Spec {
    /// Every supported spec, oldest first.
    pub const ALL: [Spec; 7] = [
        Spec::V3_0,
        Spec::V3_1,
        Spec::V3_2,
        Spec::V3_3,
        Spec::V3_4,
        Spec::V3_5,
        Spec::V3_6,
    ];

    /// The canonical version string, e.g. `"3.4.0"`.
    pub fn version(self) -> &'static str {
        match self {
            Spec::V3_0 => "3.0.0",
            Spec::V3_1 => "3.1.0",
            Spec::V3_2 => "3.2.0",
            Spec::V3_3 => "3.3.0",
            Spec::V3_4 => "3.4.0",
            Spec::V3_5 => "3.5.0",
            Spec::V3_6 => "3.6.0",
        }
    }

    fn minor(self) -> i64 {
        match self {
            Spec::V3_0 => 0,
            Spec::V3_1 => 1,
            Spec::V3_2 => 2,
            Spec::V3_3 => 3,
            Spec::V3_4 => 4,
            Spec::V3_5 => 5,
            Spec::V3_6 => 6,
        }
    }

    /// The spec whose version equals `v` exactly (no pre-release, no build metadata).
    pub(crate) fn from_semver(v: &SemVer) -> Option<Spec> {
        if v.major != 3 || v.patch != 0 || !v.pre_release.is_empty() || !v.metadata.is_empty() {
            return None;
        }
        Spec::ALL.into_iter().find(|s| s.minor() == v.minor)
    }
}

impl fmt::Display for Spec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.version())
    }
}

/// A version as `go-semver` parses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SemVer {
    pub major: i64,
    pub minor: i64,
    pub patch: i64,
    pub pre_release: String,
    pub metadata: String,
}

/// `strings.SplitN(*input, delim, 2)` keeping the head in `input` and returning the tail.
fn split_off<'a>(input: &mut &'a str, delim: char) -> &'a str {
    match input.split_once(delim) {
        Some((head, tail)) => {
            *input = head;
            tail
        }
        None => "",
    }
}

/// `^[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*$`, or empty.
fn valid_identifier(id: &str) -> bool {
    id.is_empty()
        || id
            .split('.')
            .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
}

/// `semver.NewVersion`: returns `None` wherever go-semver returns an error.
pub(crate) fn parse_semver(version: &str) -> Option<SemVer> {
    let mut rest = version;
    let metadata = split_off(&mut rest, '+');
    let pre_release = split_off(&mut rest, '-');
    let parts: Vec<&str> = rest.splitn(3, '.').collect();
    if parts.len() != 3 || !valid_identifier(pre_release) || !valid_identifier(metadata) {
        return None;
    }
    // Rust's i64 parser accepts exactly what Go's strconv.ParseInt(s, 10, 64) accepts: an
    // optional sign followed by ASCII digits, within range.
    let major = parts[0].parse::<i64>().ok()?;
    let minor = parts[1].parse::<i64>().ok()?;
    let patch = parts[2].parse::<i64>().ok()?;
    Some(SemVer {
        major,
        minor,
        patch,
        pre_release: pre_release.to_owned(),
        metadata: metadata.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec_of(v: &str) -> Option<Spec> {
        parse_semver(v).and_then(|s| Spec::from_semver(&s))
    }

    #[test]
    fn exact_versions_map_to_specs() {
        for spec in Spec::ALL {
            assert_eq!(spec_of(spec.version()), Some(spec));
        }
    }

    #[test]
    fn go_semver_quirks_are_kept() {
        assert_eq!(spec_of("03.4.00"), Some(Spec::V3_4));
        assert_eq!(spec_of("+3.4.0"), None);
        assert_eq!(spec_of("3.4.0-experimental"), None);
        assert_eq!(spec_of("3.4.0+meta"), None);
        assert_eq!(spec_of("2.2.0"), None);
        assert!(parse_semver("2.2.0").is_some());
        assert!(parse_semver("3.4").is_none());
        assert!(parse_semver("").is_none());
        assert!(parse_semver("3.4.0.1").is_none());
        assert!(parse_semver("3.4.0-").is_some());
        assert!(parse_semver("3.4.0-a..b").is_none());
        assert!(parse_semver(" 3.4.0").is_none());
    }
}
