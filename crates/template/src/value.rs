//! The data a template is executed against, modelled on the Go values that
//! matchbox builds: `encoding/json` output (`map[string]interface{}`,
//! `[]interface{}`, `float64`, `string`, `bool`, `nil`) plus the
//! `map[string]string` of request query labels.
//!
//! The distinction between `Map` and `StrMap` is observable in Go templates
//! (a missing key indexes to `nil` in one and to `""` in the other, and
//! `printf "%T"` names the type), so it is kept here. This module does no
//! parsing of its own; JSON arrives already decoded by `serde_json`.

use std::collections::BTreeMap;

/// A value as Go's `text/template` sees it.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Value {
    /// Go `nil` (JSON `null`).
    #[default]
    Null,
    /// Go `bool`.
    Bool(bool),
    /// Go `float64`: every JSON number decodes to this.
    Number(f64),
    /// Go `int`: template integer constants and `len` results.
    Int(i64),
    /// Go `string`.
    String(String),
    /// Go `[]interface{}`.
    Array(Vec<Value>),
    /// Go `map[string]interface{}`.
    Map(BTreeMap<String, Value>),
    /// Go `map[string]string`, as matchbox uses for `request.query`.
    StrMap(BTreeMap<String, String>),
}

impl Value {
    /// The Go type name `printf "%T"` would print for this value.
    pub fn go_type_name(&self) -> &'static str {
        match self {
            Value::Null => "<nil>",
            Value::Bool(_) => "bool",
            Value::Number(_) => "float64",
            Value::Int(_) => "int",
            Value::String(_) => "string",
            Value::Array(_) => "[]interface {}",
            Value::Map(_) => "map[string]interface {}",
            Value::StrMap(_) => "map[string]string",
        }
    }
}

impl From<&serde_json::Value> for Value {
    /// Decodes like Go's `json.Unmarshal` into `interface{}`: objects become
    /// `Map`, arrays `Array`, and every number a `float64` (`Number`).
    ///
    /// Go parses the number's text with a correctly rounded conversion;
    /// `serde_json` matches that exactly only with its `float_roundtrip`
    /// feature enabled.
    fn from(v: &serde_json::Value) -> Self {
        match v {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(*b),
            serde_json::Value::Number(n) => Value::Number(n.as_f64().unwrap_or(f64::NAN)),
            serde_json::Value::String(s) => Value::String(s.clone()),
            serde_json::Value::Array(a) => Value::Array(a.iter().map(Value::from).collect()),
            serde_json::Value::Object(o) => Value::Map(o.iter().map(|(k, v)| (k.clone(), Value::from(v))).collect()),
        }
    }
}

impl From<serde_json::Value> for Value {
    fn from(v: serde_json::Value) -> Self {
        Value::from(&v)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::String(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::String(s)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::Number(f)
    }
}

impl From<BTreeMap<String, Value>> for Value {
    fn from(m: BTreeMap<String, Value>) -> Self {
        Value::Map(m)
    }
}

impl From<BTreeMap<String, String>> for Value {
    fn from(m: BTreeMap<String, String>) -> Self {
        Value::StrMap(m)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

/// The capacity of the `[]interface{}` that Go's `encoding/json` builds for
/// an array of `n` elements.
///
/// `slice` may extend a list up to its capacity (`slice .list 0 4` on a
/// three-element list succeeds in Go and yields a trailing `<nil>`), so the
/// capacity is observable. The decoder appends the elements one by one to an
/// empty slice; each time the slice is full, Go 1.19's `append` asks for one
/// slot when empty, twice the capacity below 256 elements and the capacity
/// plus a quarter of (capacity + 768) from there on, and the allocator then
/// rounds the request up to its next size class (interface values take 16
/// bytes), which is the capacity the slice ends up with.
pub(crate) fn json_array_cap(n: usize) -> usize {
    const SLOT: usize = 16;
    let mut cap = 0;
    while cap < n {
        let wanted = match cap {
            0 => 1,
            c if c < 256 => 2 * c,
            c => c + (c + 768) / 4,
        };
        cap = allocated_bytes(wanted.saturating_mul(SLOT)) / SLOT;
    }
    cap
}

/// The bytes Go's allocator sets aside for a request of `size` bytes: the
/// smallest size class that fits, or whole 8 KiB pages beyond the largest.
fn allocated_bytes(size: usize) -> usize {
    /// Go 1.19's small-object size classes, in bytes.
    const SIZE_CLASSES: [usize; 68] = [
        0, 8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288, 320, 352, 384, 416,
        448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048, 2304, 2688, 3072, 3200, 3456,
        4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880, 12288, 13568, 14336, 16384, 18432,
        19072, 20480, 21760, 24576, 27264, 28672, 32768,
    ];
    const PAGE: usize = 8192;
    match SIZE_CLASSES.iter().find(|&&class| class >= size) {
        Some(&class) => class,
        None => size.div_ceil(PAGE).saturating_mul(PAGE),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_numbers_are_float64() {
        let v = Value::from(&serde_json::json!({"a": 1, "b": [true, null, "x"]}));
        let Value::Map(m) = v else { panic!("not a map") };
        assert_eq!(m["a"], Value::Number(1.0));
        assert_eq!(
            m["b"],
            Value::Array(vec![Value::Bool(true), Value::Null, Value::String("x".into())])
        );
    }

    #[test]
    fn slice_caps_follow_append_growth() {
        let caps: Vec<usize> = (0..10).map(json_array_cap).collect();
        assert_eq!(caps, [0, 1, 2, 4, 4, 8, 8, 8, 8, 16]);
        assert_eq!(json_array_cap(257), 512);
        assert_eq!(json_array_cap(513), 848);
    }
}
