//! Decoding JSON into structs the way Go's `encoding/json` does, because
//! matchbox's data files are read by it and kindling must accept the same
//! files: object keys match field names case-insensitively, unknown keys are
//! ignored, a repeated key overwrites the earlier one, and `null` leaves a
//! field at its zero value.
//!
//! This is deliberately small: a JSON tree that keeps object key order, and
//! helpers to read strings, string lists and string maps out of it.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A parsed JSON value whose objects keep their keys in document order,
/// duplicates included, so "last key wins" can be applied as Go does.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

/// Why a document could not be decoded into the expected shape; the message
/// names the JSON path so an operator can find the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid JSON: {0}")]
    Syntax(String),
    #[error("{path}: expected {expected}, found {found}")]
    Type {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
}

impl Json {
    pub fn parse(bytes: &[u8]) -> Result<Json, DecodeError> {
        serde_json::from_slice(bytes).map_err(|e| DecodeError::Syntax(e.to_string()))
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "a boolean",
            Json::Number(_) => "a number",
            Json::String(_) => "a string",
            Json::Array(_) => "an array",
            Json::Object(_) => "an object",
        }
    }

    /// Converts to a `serde_json::Value`; repeated object keys keep the last value.
    pub fn into_value(self) -> serde_json::Value {
        match self {
            Json::Null => serde_json::Value::Null,
            Json::Bool(b) => serde_json::Value::Bool(b),
            Json::Number(n) => serde_json::Value::Number(n),
            Json::String(s) => serde_json::Value::String(s),
            Json::Array(a) => serde_json::Value::Array(a.into_iter().map(Json::into_value).collect()),
            Json::Object(o) => {
                let mut map = serde_json::Map::new();
                for (k, v) in o {
                    map.insert(k, v.into_value());
                }
                serde_json::Value::Object(map)
            }
        }
    }
}

/// Go's case-insensitive key match for struct fields (`bytes.EqualFold` plus
/// the two non-ASCII letters that fold onto ASCII: KELVIN SIGN and LONG S).
pub fn key_matches(key: &str, field: &str) -> bool {
    let mut a = key.chars();
    let mut b = field.chars();
    loop {
        match (a.next(), b.next()) {
            (None, None) => return true,
            (Some(x), Some(y)) => {
                if fold(x) != fold(y) {
                    return false;
                }
            }
            _ => return false,
        }
    }
}

fn fold(c: char) -> char {
    match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        c => c.to_ascii_lowercase(),
    }
}

/// Reads a Go `string` field: `null` keeps the zero value.
pub fn string_field(v: Json, path: &str) -> Result<Option<String>, DecodeError> {
    match v {
        Json::Null => Ok(None),
        Json::String(s) => Ok(Some(s)),
        other => Err(type_error(path, "a string", &other)),
    }
}

/// Reads a Go `[]string` field: `null` is the nil slice, `null` elements are "".
pub fn string_list(v: Json, path: &str) -> Result<Vec<String>, DecodeError> {
    match v {
        Json::Null => Ok(Vec::new()),
        Json::Array(items) => items
            .into_iter()
            .enumerate()
            .map(|(i, item)| match item {
                Json::Null => Ok(String::new()),
                Json::String(s) => Ok(s),
                other => Err(type_error(&format!("{path}[{i}]"), "a string", &other)),
            })
            .collect(),
        other => Err(type_error(path, "an array of strings", &other)),
    }
}

/// Reads a Go `map[string]string`: `null` is the nil map, `null` values are "".
/// Repeated keys keep the last value.
pub fn string_map(v: Json, path: &str) -> Result<std::collections::BTreeMap<String, String>, DecodeError> {
    match v {
        Json::Null => Ok(Default::default()),
        Json::Object(entries) => {
            let mut out = std::collections::BTreeMap::new();
            for (k, v) in entries {
                let value = match v {
                    Json::Null => String::new(),
                    Json::String(s) => s,
                    other => return Err(type_error(&format!("{path}.{k}"), "a string", &other)),
                };
                out.insert(k, value);
            }
            Ok(out)
        }
        other => Err(type_error(path, "an object of strings", &other)),
    }
}

pub fn type_error(path: &str, expected: &'static str, found: &Json) -> DecodeError {
    DecodeError::Type {
        path: path.to_owned(),
        expected,
        found: found.kind(),
    }
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Json, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(Json::Number(v.into()))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Json, E> {
        serde_json::Number::from_f64(v)
            .map(Json::Number)
            .ok_or_else(|| E::custom("number out of range"))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::String(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::String(v))
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_none<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries = Vec::new();
        while let Some((k, v)) = map.next_entry::<String, Json>()? {
            entries.push((k, v));
        }
        Ok(Json::Object(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_and_duplicates() {
        let j = Json::parse(br#"{"b":1,"a":2,"b":3}"#).unwrap();
        let Json::Object(o) = j else { panic!() };
        let keys: Vec<_> = o.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
    }

    #[test]
    fn folds_like_go() {
        assert!(key_matches("IGNITION_ID", "ignition_id"));
        assert!(key_matches("\u{212A}ernel", "kernel"));
        assert!(key_matches("\u{017F}elector", "selector"));
        assert!(!key_matches("ignitionId", "ignition_id"));
        assert!(!key_matches("kernels", "kernel"));
    }

    #[test]
    fn rejects_trailing_garbage() {
        assert!(Json::parse(b"{} x").is_err());
        assert!(Json::parse(b"{}\n").is_ok());
    }
}
