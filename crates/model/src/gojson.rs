//! Decoding JSON into structs the way Go's `encoding/json` does, because
//! matchbox's data files are read by it and kindling must accept the same
//! files: object keys match field names case-insensitively, unknown keys are
//! ignored, a repeated key overwrites the earlier one, and `null` leaves a
//! field at its zero value.
//!
//! This is deliberately small: a JSON tree that keeps object key order, and
//! helpers to read strings, string lists and string maps out of it.

pub use gojson::Json;

/// Why a document could not be decoded into the expected shape; the message
/// names the JSON path so an operator can find the offending field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("invalid JSON at byte {offset}: {message}")]
    Syntax { offset: usize, message: String },
    #[error("{path}: expected {expected}, found {found}")]
    Type {
        path: String,
        expected: &'static str,
        found: &'static str,
    },
    #[error("{path}: the number {text} does not fit a 64-bit float")]
    NumberRange { path: String, text: String },
}

/// Parses a whole document with Go's rules (see the `gojson` crate).
pub fn parse(bytes: &[u8]) -> Result<Json, DecodeError> {
    gojson::parse(bytes).map_err(|e| DecodeError::Syntax {
        offset: e.offset,
        message: e.message,
    })
}

/// Converts to a `serde_json::Value` the way Go decodes into `interface{}`:
/// numbers become float64, repeated object keys keep the last value.
pub fn into_value(json: Json, path: &str) -> Result<serde_json::Value, DecodeError> {
    Ok(match json {
        Json::Null => serde_json::Value::Null,
        Json::Bool(b) => serde_json::Value::Bool(b),
        Json::Number(text) => {
            let f: f64 = text.parse().unwrap_or(f64::INFINITY);
            match serde_json::Number::from_f64(f) {
                Some(n) => serde_json::Value::Number(n),
                None => {
                    return Err(DecodeError::NumberRange {
                        path: path.to_owned(),
                        text,
                    });
                }
            }
        }
        Json::String(s) => serde_json::Value::String(s),
        Json::Array(items) => serde_json::Value::Array(
            items
                .into_iter()
                .enumerate()
                .map(|(i, v)| into_value(v, &format!("{path}[{i}]")))
                .collect::<Result<_, _>>()?,
        ),
        Json::Object(entries) => {
            let mut map = serde_json::Map::new();
            for (k, v) in entries {
                let child = format!("{path}.{k}");
                map.insert(k, into_value(v, &child)?);
            }
            serde_json::Value::Object(map)
        }
    })
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

/// "a string", "an object", …: how messages name what was found.
fn json_noun(j: &Json) -> &'static str {
    match j {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}

pub fn type_error(path: &str, expected: &'static str, found: &Json) -> DecodeError {
    DecodeError::Type {
        path: path.to_owned(),
        expected,
        found: json_noun(found),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_become_float64_like_go() {
        let v = into_value(parse(br#"{"a":3,"b":1e400}"#).unwrap(), "$");
        assert!(matches!(v, Err(DecodeError::NumberRange { .. })));
        let v = into_value(parse(br#"{"a":12345678901234567890}"#).unwrap(), "$").unwrap();
        assert_eq!(v["a"].as_f64(), Some(12345678901234567890.0));
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
        assert!(parse(b"{} x").is_err());
        assert!(parse(b"{}\n").is_ok());
    }
}
