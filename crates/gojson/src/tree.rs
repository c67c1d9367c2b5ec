//! An order-keeping JSON tree, for decoding documents by hand with Go's
//! rules: object keys stay in document order with duplicates kept (so "last
//! key wins" and case-insensitive matching can be applied as Go does),
//! numbers stay as their text (the caller decides between float64 and
//! integers), and strings are already Go-unquoted (bad UTF-8 and unpaired
//! surrogates became U+FFFD). Built iteratively: deep input cannot overflow
//! the stack.

use crate::{Kind, Reader, SyntaxError, check_valid};

#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    Bool(bool),
    /// The literal text, e.g. `1e6` or `-0.5`.
    Number(String),
    String(String),
    Array(Vec<Json>),
    Object(Vec<(String, Json)>),
}

impl Json {
    /// Go's noun for the kind, as in "cannot unmarshal string into ...".
    pub fn kind(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::Bool(_) => "bool",
            Json::Number(_) => "number",
            Json::String(_) => "string",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }
}

enum Frame {
    Array(Vec<Json>),
    Object(Vec<(String, Json)>, String),
}

/// Parses a whole document (trailing non-space bytes are an error, as in
/// Go's `json.Unmarshal`).
pub fn parse(data: &[u8]) -> Result<Json, SyntaxError> {
    check_valid(data)?;
    let mut r = Reader::new(data);
    let mut stack: Vec<Frame> = Vec::new();
    loop {
        // Find the next value to read, closing finished containers on the way.
        let mut done: Option<Json> = None;
        match stack.last_mut() {
            None => {}
            Some(Frame::Array(_)) if !r.next_element() => {
                let Some(Frame::Array(items)) = stack.pop() else {
                    unreachable!()
                };
                done = Some(Json::Array(items));
            }
            Some(Frame::Array(_)) => {}
            Some(Frame::Object(_, key)) => match r.next_key() {
                Some(k) => *key = k,
                None => {
                    let Some(Frame::Object(entries, _)) = stack.pop() else {
                        unreachable!()
                    };
                    done = Some(Json::Object(entries));
                }
            },
        }
        let value = match done {
            Some(v) => v,
            None => match r.peek() {
                Kind::Object => {
                    r.begin_object();
                    stack.push(Frame::Object(Vec::new(), String::new()));
                    continue;
                }
                Kind::Array => {
                    r.begin_array();
                    stack.push(Frame::Array(Vec::new()));
                    continue;
                }
                Kind::String => Json::String(r.read_string()),
                Kind::Number => Json::Number(r.read_number().to_owned()),
                Kind::Bool => Json::Bool(r.read_bool()),
                Kind::Null => {
                    r.skip_value();
                    Json::Null
                }
            },
        };
        match stack.last_mut() {
            None => return Ok(value),
            Some(Frame::Array(items)) => items.push(value),
            Some(Frame::Object(entries, key)) => entries.push((std::mem::take(key), value)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_order_duplicates_and_go_strings() {
        let j = parse(br#" {"b":1,"a":[true,null,"x"],"b":{"c":-1.5e3}} "#).unwrap();
        let Json::Object(o) = j else { panic!() };
        let keys: Vec<_> = o.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["b", "a", "b"]);
        assert_eq!(
            o[1].1,
            Json::Array(vec![Json::Bool(true), Json::Null, Json::String("x".into())])
        );
        assert_eq!(o[2].1, Json::Object(vec![("c".into(), Json::Number("-1.5e3".into()))]));
        assert_eq!(parse(b"\"a\xffb\"").unwrap(), Json::String("a\u{FFFD}b".into()));
        assert_eq!(parse(br#""\ud800x""#).unwrap(), Json::String("\u{FFFD}x".into()));
        assert_eq!(parse(b"[]").unwrap(), Json::Array(vec![]));
        assert_eq!(parse(b"{}").unwrap(), Json::Object(vec![]));
    }

    #[test]
    fn rejects_what_go_rejects() {
        for bad in [&b""[..], b"{", b"{} x", b"[1,]", b"{\"a\":1,}", b"01", b"nul", b"\xff"] {
            assert!(parse(bad).is_err(), "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = "[".repeat(20_000) + &"]".repeat(20_000);
        assert!(parse(deep.as_bytes()).is_err());
        let ok = "[".repeat(5_000) + &"]".repeat(5_000);
        assert!(parse(ok.as_bytes()).is_ok());
    }
}
