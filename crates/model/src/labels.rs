//! Request labels: the string map that group selection matches against,
//! derived from a URL query string exactly as matchbox derives them
//! (Go `url.ParseQuery`, first value wins, `mac` in any case normalized).
//!
//! Labels come from the query string only: never from headers, the client
//! address or the path. That is part of the compatibility contract.

use std::collections::BTreeMap;

use crate::mac::Mac;

/// Label key to value. Keys keep the case they were sent with.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Labels {
    map: BTreeMap<String, String>,
}

/// Something in the query string that did not become a label, kept so the
/// caller can log it with the request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LabelWarning {
    /// A `mac` value that Go's `net.ParseMAC` rejects; matchbox drops the label.
    UnparseableMac { key: String, value: String },
}

impl std::fmt::Display for LabelWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LabelWarning::UnparseableMac { key, value } => {
                write!(f, "ignoring unparseable MAC address {key}={value:?}")
            }
        }
    }
}

impl Labels {
    pub fn new() -> Labels {
        Labels::default()
    }

    /// Builds labels from a raw (still percent-encoded) query string.
    pub fn from_query(raw_query: &str) -> (Labels, Vec<LabelWarning>) {
        let mut map = BTreeMap::new();
        let mut warnings = Vec::new();
        for (key, value) in parse_query(raw_query) {
            if map.contains_key(&key) {
                // Go keeps every value; matchbox takes the first with Values.Get.
                continue;
            }
            if key.eq_ignore_ascii_case("mac") {
                match Mac::parse(&value) {
                    Ok(mac) => {
                        map.insert(key, mac.to_string());
                    }
                    Err(_) => {
                        // A later valid duplicate must not win either: Go's
                        // Values.Get returns the first value, which failed.
                        map.insert(key.clone(), String::new());
                        warnings.push(LabelWarning::UnparseableMac { key, value });
                    }
                }
            } else {
                map.insert(key, value);
            }
        }
        // Drop the placeholders left for unparseable MACs.
        for w in &warnings {
            let LabelWarning::UnparseableMac { key, .. } = w;
            map.remove(key);
        }
        (Labels { map }, warnings)
    }

    /// Labels given as a map (gRPC select calls), read as HTTP reads a
    /// query: a `mac` value is normalized, and dropped when it is not a MAC.
    pub fn from_map_as_query<'a>(pairs: impl IntoIterator<Item = (&'a String, &'a String)>) -> Labels {
        let map = pairs
            .into_iter()
            .filter_map(|(k, v)| {
                if k.eq_ignore_ascii_case("mac") {
                    Mac::parse(v).ok().map(|m| (k.clone(), m.to_string()))
                } else {
                    Some((k.clone(), v.clone()))
                }
            })
            .collect();
        Labels { map }
    }

    /// Labels given directly (gRPC select calls, `kindling render`). Only
    /// `normalize_mac` decides whether `mac` values are canonicalized.
    pub fn from_pairs<I, K, V>(pairs: I) -> Labels
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        Labels {
            map: pairs.into_iter().map(|(k, v)| (k.into(), v.into())).collect(),
        }
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.map.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.map
    }
}

impl std::fmt::Display for Labels {
    /// `key=value` pairs separated by spaces, `{}` when empty: for reasons and logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.map.is_empty() {
            return f.write_str("{}");
        }
        for (i, (k, v)) in self.map.iter().enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            write!(f, "{k}={v}")?;
        }
        Ok(())
    }
}

/// Go's `url.ParseQuery` (Go ≥ 1.17): pairs split on `&`; a pair containing
/// `;` or an invalid percent-escape is dropped; `+` is a space; a pair
/// without `=` has the empty value. Yields pairs in query order.
pub fn parse_query(raw: &str) -> impl Iterator<Item = (String, String)> + '_ {
    raw.split('&').filter_map(|pair| {
        if pair.is_empty() || pair.contains(';') {
            return None;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        Some((query_unescape(k)?, query_unescape(v)?))
    })
}

/// Go's `url.QueryUnescape`. Returns `None` for a malformed escape. Bytes
/// that are not UTF-8 after decoding are replaced (Go would keep them raw).
pub fn query_unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|&b| b == b'%' || b == b'+') {
        return Some(s.to_owned());
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = bytes.get(i + 1).copied().and_then(hex)?;
                let lo = bytes.get(i + 2).copied().and_then(hex)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(match String::from_utf8(out) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    })
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {

    #[test]
    fn map_labels_read_like_a_query() {
        let map: std::collections::HashMap<String, String> = [
            ("mac".to_owned(), "52-54-00-89-D8-10".to_owned()),
            ("os".to_owned(), "installed".to_owned()),
        ]
        .into();
        let l = Labels::from_map_as_query(&map);
        assert_eq!(l.get("mac"), Some("52:54:00:89:d8:10"));
        assert_eq!(l.get("os"), Some("installed"));
        let bad: std::collections::HashMap<String, String> = [("MAC".to_owned(), "zz".to_owned())].into();
        assert!(
            Labels::from_map_as_query(&bad).is_empty(),
            "an unparseable MAC is dropped, as over HTTP"
        );
    }

    use super::*;

    fn labels(q: &str) -> Vec<(String, String)> {
        Labels::from_query(q)
            .0
            .iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        let mut v: Vec<_> = p.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        v.sort();
        v
    }

    #[test]
    fn contract_vectors() {
        assert_eq!(labels("mac=52-da-00-89-d8-10"), pairs(&[("mac", "52:da:00:89:d8:10")]));
        assert_eq!(
            labels("UUID=a1b2c3&MAC=52:DA:00:89:d8:10"),
            pairs(&[("UUID", "a1b2c3"), ("MAC", "52:da:00:89:d8:10")])
        );
        assert_eq!(labels("mac=x:x:x:x:x:x"), pairs(&[]));
    }

    #[test]
    fn go_parse_query_rules() {
        assert_eq!(labels("a=1&a=2"), pairs(&[("a", "1")]));
        assert_eq!(labels("a=1;b=2&c=3"), pairs(&[("c", "3")]));
        assert_eq!(labels("a=%zz&b=%41"), pairs(&[("b", "A")]));
        assert_eq!(labels("a=x+y&b"), pairs(&[("a", "x y"), ("b", "")]));
        assert_eq!(labels("hostname=&domain="), pairs(&[("domain", ""), ("hostname", "")]));
        assert_eq!(labels("&&=v&"), pairs(&[("", "v")]));
        assert_eq!(labels("k=a=b"), pairs(&[("k", "a=b")]));
        assert_eq!(labels("a%3Db=c"), pairs(&[("a=b", "c")]));
        assert_eq!(labels("a=%4"), pairs(&[]));
    }

    #[test]
    fn first_mac_wins_even_when_invalid() {
        let (l, w) = Labels::from_query("mac=bogus&mac=52:54:00:00:00:01");
        assert!(l.is_empty());
        assert_eq!(w.len(), 1);
        let (l, _) = Labels::from_query("mac=&uuid=u");
        assert_eq!(l.get("mac"), None);
        assert_eq!(l.get("uuid"), Some("u"));
    }

    #[test]
    fn mac_keys_of_any_case_keep_their_case() {
        let (l, _) = Labels::from_query("Mac=5254.0089.d810&mAc=52-54-00-00-00-02");
        assert_eq!(l.get("Mac"), Some("52:54:00:89:d8:10"));
        assert_eq!(l.get("mAc"), Some("52:54:00:00:00:02"));
    }
}
