//! MAC addresses, parsed and printed exactly as Go's `net.ParseMAC` and
//! `net.HardwareAddr.String` do, because matchbox normalizes `mac` labels and
//! selectors that way and selection compares the normalized strings byte for byte.
//!
//! This module does not know about labels or selectors; it only converts text.

use std::fmt;

/// A hardware address of 6 (EUI-48), 8 (EUI-64) or 20 (InfiniBand) octets.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac {
    octets: Vec<u8>,
}

/// The input was not a MAC address in any form Go accepts.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid MAC address {input:?}: use six colon- or hyphen-separated hex pairs (52:54:00:89:d8:10) or the dotted form (5254.0089.d810)"
)]
pub struct MacParseError {
    pub input: String,
}

impl Mac {
    /// Parses `aa:bb:cc:dd:ee:ff`, `aa-bb-cc-dd-ee-ff` or `aabb.ccdd.eeff`, with
    /// 6, 8 or 20 octets, hex digits in either case (Go `net.ParseMAC`).
    pub fn parse(s: &str) -> Result<Mac, MacParseError> {
        parse_octets(s.as_bytes())
            .map(|octets| Mac { octets })
            .ok_or_else(|| MacParseError { input: s.to_owned() })
    }

    pub fn octets(&self) -> &[u8] {
        &self.octets
    }

    pub fn from_octets(octets: &[u8]) -> Option<Mac> {
        matches!(octets.len(), 6 | 8 | 20).then(|| Mac {
            octets: octets.to_vec(),
        })
    }
}

fn parse_octets(s: &[u8]) -> Option<Vec<u8>> {
    if s.len() < 14 {
        return None;
    }
    let valid_count = |n: usize| n == 6 || n == 8 || n == 20;
    if s[2] == b':' || s[2] == b'-' {
        let sep = s[2];
        if !(s.len() + 1).is_multiple_of(3) {
            return None;
        }
        let n = (s.len() + 1) / 3;
        if !valid_count(n) {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let x = i * 3;
            out.push(hex_pair(&s[x..], sep)?);
        }
        Some(out)
    } else if s[4] == b'.' {
        if !(s.len() + 1).is_multiple_of(5) {
            return None;
        }
        let n = 2 * (s.len() + 1) / 5;
        if !valid_count(n) {
            return None;
        }
        let mut out = Vec::with_capacity(n);
        for i in (0..n).step_by(2) {
            let x = (i / 2) * 5;
            out.push(hex_pair(&s[x..x + 2], 0)?);
            out.push(hex_pair(&s[x + 2..], b'.')?);
        }
        Some(out)
    } else {
        None
    }
}

/// Two hex digits; when more input follows, the next byte must be `sep`,
/// which is what makes mixed separators fail (as Go's `net.ParseMAC` does).
fn hex_pair(s: &[u8], sep: u8) -> Option<u8> {
    if s.len() > 2 && s[2] != sep {
        return None;
    }
    let hi = hex_digit(*s.first()?)?;
    let lo = hex_digit(*s.get(1)?)?;
    Some(hi << 4 | lo)
}

fn hex_digit(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

impl fmt::Display for Mac {
    /// Lowercase hex pairs joined by `:`, as Go prints a `HardwareAddr`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, b) in self.octets.iter().enumerate() {
            if i > 0 {
                f.write_str(":")?;
            }
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mac({self})")
    }
}

impl std::str::FromStr for Mac {
    type Err = MacParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Mac::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> Option<String> {
        Mac::parse(s).ok().map(|m| m.to_string())
    }

    #[test]
    fn accepts_go_forms() {
        assert_eq!(norm("52-da-00-89-d8-10").as_deref(), Some("52:da:00:89:d8:10"));
        assert_eq!(norm("52:DA:00:89:d8:10").as_deref(), Some("52:da:00:89:d8:10"));
        assert_eq!(norm("5254.0089.D810").as_deref(), Some("52:54:00:89:d8:10"));
        assert_eq!(
            norm("02:00:5e:10:00:00:00:01").as_deref(),
            Some("02:00:5e:10:00:00:00:01")
        );
        assert_eq!(norm("0200.5e10.0000.0001").as_deref(), Some("02:00:5e:10:00:00:00:01"));
        let ib = "00:00:00:00:fe:80:00:00:00:00:00:00:02:00:5e:10:00:00:00:01";
        assert_eq!(norm(ib).as_deref(), Some(ib));
        assert_eq!(
            norm("0000.0000.fe80.0000.0000.0000.0200.5e10.0000.0001").as_deref(),
            Some(ib)
        );
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [
            "",
            "x:x:x:x:x:x",
            "52:da:00:89:d8",
            "52:da:00:89:d8:10:",
            "52:da-00:89:d8:10",
            "52:da:00:89:d8:1",
            "52:da:00:89:d8:1g",
            "5254.0089.d81",
            "5254:0089:d810",
            "52da0089d810",
            "52:da:00:89:d8:10:00",
            "0200.5e10.0000.0001.0002",
        ] {
            assert_eq!(norm(bad), None, "{bad:?} should be rejected");
        }
    }

    #[test]
    fn never_panics_on_short_or_odd_input() {
        for s in [
            "5",
            "52:",
            "52.d",
            "52:da:00:89:d8:1\u{e9}",
            "\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}",
        ] {
            let _ = Mac::parse(s);
        }
    }
}
