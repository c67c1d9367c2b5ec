//! Groups: a selector (label key → value, all must match) that maps machines
//! to a profile, plus metadata for their templates. Parsed from
//! `groups/<file-id>.json` with matchbox's JSON tolerance.

use std::collections::BTreeMap;

use crate::gojson::{self, DecodeError, Json};
use crate::mac::{Mac, MacParseError};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Group {
    pub id: String,
    pub name: String,
    /// Profile id; a group without one still matches, and then has nothing to serve.
    pub profile: String,
    /// Empty for a default group, which matches every request.
    pub selector: BTreeMap<String, String>,
    /// Always a JSON object when present (matchbox refuses anything else).
    pub metadata: Option<serde_json::Map<String, serde_json::Value>>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("selector {key:?}: {source}")]
    InvalidMac {
        key: String,
        #[source]
        source: MacParseError,
    },
}

impl Group {
    /// Parses a group document and normalizes its `mac` selectors (any key
    /// case) to lowercase colon form; an unparseable MAC rejects the group.
    pub fn from_json(bytes: &[u8]) -> Result<Group, GroupError> {
        let mut group = Group::decode(gojson::parse(bytes)?)?;
        group.normalize()?;
        Ok(group)
    }

    fn decode(json: Json) -> Result<Group, DecodeError> {
        let mut g = Group::default();
        let entries = match json {
            Json::Null => return Ok(g),
            Json::Object(entries) => entries,
            other => return Err(gojson::type_error("$", "an object", &other)),
        };
        for (key, value) in entries {
            if gojson::key_matches(&key, "id") {
                if let Some(s) = gojson::string_field(value, "$.id")? {
                    g.id = s;
                }
            } else if gojson::key_matches(&key, "name") {
                if let Some(s) = gojson::string_field(value, "$.name")? {
                    g.name = s;
                }
            } else if gojson::key_matches(&key, "profile") {
                if let Some(s) = gojson::string_field(value, "$.profile")? {
                    g.profile = s;
                }
            } else if gojson::key_matches(&key, "selector") {
                // Go decodes a repeated map key into the same map: entries merge.
                match value {
                    Json::Null => g.selector.clear(),
                    value => g.selector.extend(gojson::string_map(value, "$.selector")?),
                }
            } else if gojson::key_matches(&key, "metadata") {
                match value {
                    Json::Null => g.metadata = None,
                    Json::Object(_) => {
                        let serde_json::Value::Object(map) = gojson::into_value(value, "$.metadata")? else {
                            unreachable!("an object converts to an object")
                        };
                        let merged = g.metadata.get_or_insert_with(Default::default);
                        merged.extend(map);
                    }
                    other => return Err(gojson::type_error("$.metadata", "an object", &other)),
                }
            }
        }
        Ok(g)
    }

    fn normalize(&mut self) -> Result<(), GroupError> {
        for (key, value) in self.selector.iter_mut() {
            if key.eq_ignore_ascii_case("mac") {
                let mac = Mac::parse(value).map_err(|source| GroupError::InvalidMac {
                    key: key.clone(),
                    source,
                })?;
                *value = mac.to_string();
            }
        }
        Ok(())
    }

    /// The selector string matchbox sorts by: `key=value` pairs, sorted
    /// byte-wise, joined with `,`.
    pub fn selector_string(&self) -> String {
        // Sorting keys is not enough: Go sorts the joined `k=v` strings, and
        // `=` sorts after some key bytes (`a-b=` < `a=`).
        let mut pairs: Vec<String> = self.selector.iter().map(|(k, v)| format!("{k}={v}")).collect();
        pairs.sort_unstable();
        pairs.join(",")
    }

    pub fn is_default(&self) -> bool {
        self.selector.is_empty()
    }

    /// AND of byte-equal selectors; an absent label compares as "".
    pub fn matches(&self, labels: &crate::Labels) -> bool {
        self.selector.iter().all(|(k, v)| labels.get(k).unwrap_or("") == v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_normalizes() {
        let g = Group::from_json(
            br#"{"id":"node1","name":"n","profile":"etcd","selector":{"MAC":"52-54-00-89-D8-10","os":"installed"},"metadata":{"b":{"x":1},"a":"s"}}"#,
        )
        .unwrap();
        assert_eq!(g.selector["MAC"], "52:54:00:89:d8:10");
        assert_eq!(g.selector_string(), "MAC=52:54:00:89:d8:10,os=installed");
        let meta = serde_json::Value::Object(g.metadata.unwrap());
        // Keys sorted; numbers are float64, as Go decodes them.
        assert_eq!(meta.to_string(), r#"{"a":"s","b":{"x":1.0}}"#);
    }

    #[test]
    fn go_tolerance() {
        // Bad UTF-8 and lone surrogates become U+FFFD, as in Go.
        let g = Group::from_json(b"{\"profile\":\"p\xff\",\"metadata\":{\"s\":\"\\ud800\"}}").unwrap();
        assert_eq!(g.profile, "p\u{FFFD}");
        assert_eq!(g.metadata.unwrap()["s"], "\u{FFFD}");
        let g = Group::from_json(br#"{"SELECTOR":{"hostname":null},"Profile":"p","extra":[1]}"#).unwrap();
        assert_eq!(g.selector["hostname"], "");
        assert_eq!(g.profile, "p");
        assert!(Group::from_json(b"null").unwrap().is_default());
        assert!(Group::from_json(br#"{"selector":{}}"#).unwrap().is_default());
    }

    #[test]
    fn rejects_what_matchbox_rejects() {
        for bad in [
            &br#"{"selector":{"mac":"nope"}}"#[..],
            br#"{"selector":{"os":1}}"#,
            br#"{"metadata":{"n":1e400}}"#,
            br#"{"selector":["a"]}"#,
            br#"{"metadata":[1]}"#,
            br#"{"metadata":"x"}"#,
            br#"{"id":1}"#,
            br#"[]"#,
            br#"{"id":"a""#,
            b"",
        ] {
            assert!(Group::from_json(bad).is_err(), "{}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn selector_string_sorts_pairs_not_keys() {
        // "a=..." vs "a-b=...": Go sorts the joined strings; '-' < '='.
        let g = Group::from_json(br#"{"selector":{"a":"1","a-b":"2"}}"#).unwrap();
        assert_eq!(g.selector_string(), "a-b=2,a=1");
    }
}
