//! YAML read the way the butane tool reads it (Go's gopkg.in/yaml.v3): a
//! tree that keeps each scalar as written (text, quoted or plain, explicit
//! tag) with its line and column, so that values are resolved against the
//! type the schema expects, as yaml.v3 does when it decodes into Go structs:
//! `mode: 0644` is octal 420 (Go's `strconv.ParseInt(s, 0, 64)`, underscores
//! dropped), `yes`/`on` are booleans only where a boolean is expected, and a
//! quoted `"0644"` is a string.
//!
//! Only the first document is read (as yaml.Unmarshal does); aliases are
//! expanded, with a cap on the expanded size; duplicate mapping keys are an
//! error, as in yaml.v3.

use granit_parser::{Event, Parser, ScalarStyle};

/// Most nodes an alias expansion may produce (a "billion laughs" guard).
const MAX_NODES: usize = 1_000_000;

#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub kind: Kind,
    /// 1-based line and column, for messages.
    pub line: usize,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Scalar(Scalar),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Scalar {
    pub text: String,
    /// Plain (unquoted, not a block scalar): only these are resolved to
    /// null, booleans and numbers.
    pub plain: bool,
    /// An explicit core-schema tag (`!!str` → `"str"`), if any.
    pub tag: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("line {line}, column {col}: {message}")]
pub struct YamlError {
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl Node {
    pub fn is_null(&self) -> bool {
        match &self.kind {
            Kind::Scalar(s) => s.is_null(),
            _ => false,
        }
    }

    /// What the node is, for "expected X, found Y" messages.
    pub fn describe(&self) -> String {
        match &self.kind {
            Kind::Map(_) => "a mapping".into(),
            Kind::Seq(_) => "a list".into(),
            Kind::Scalar(s) if s.is_null() => "null".into(),
            Kind::Scalar(s) => format!("{:?}", s.text),
        }
    }
}

impl Scalar {
    fn tag_is(&self, t: &str) -> bool {
        self.tag.as_deref() == Some(t)
    }

    pub fn is_null(&self) -> bool {
        if self.tag_is("null") {
            return true;
        }
        self.plain && self.tag.is_none() && matches!(self.text.as_str(), "" | "~" | "null" | "Null" | "NULL")
    }

    /// As a Go `string` field: yaml.v3 stores any non-null scalar's text.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// As a Go `bool` field: YAML 1.2 booleans, and the YAML 1.1 words
    /// yaml.v3 accepts when decoding into a bool.
    pub fn as_bool(&self) -> Option<bool> {
        if !(self.plain || self.tag_is("bool")) {
            return None;
        }
        match self.text.as_str() {
            "true" | "True" | "TRUE" | "y" | "Y" | "yes" | "Yes" | "YES" | "on" | "On" | "ON" => Some(true),
            "false" | "False" | "FALSE" | "n" | "N" | "no" | "No" | "NO" | "off" | "Off" | "OFF" => Some(false),
            _ => None,
        }
    }

    /// As a Go `int` field: `strconv.ParseInt(s, 0, 64)` after removing
    /// underscores (decimal, `0x` hex, `0` or `0o` octal, `0b` binary, with
    /// a sign), as yaml.v3 resolves plain scalars.
    pub fn as_int(&self) -> Option<i64> {
        if !(self.plain || self.tag_is("int")) {
            return None;
        }
        parse_go_int(&self.text.replace('_', ""))
    }
}

/// Go's `strconv.ParseInt(s, 0, 64)`.
pub fn parse_go_int(s: &str) -> Option<i64> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let lower = body.to_ascii_lowercase();
    let (radix, digits) = if let Some(d) = lower.strip_prefix("0x") {
        (16, d)
    } else if let Some(d) = lower.strip_prefix("0o") {
        (8, d)
    } else if let Some(d) = lower.strip_prefix("0b") {
        (2, d)
    } else if lower.len() > 1 && lower.starts_with('0') {
        (8, &lower[1..])
    } else {
        (10, lower.as_str())
    };
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    let magnitude = u64::from_str_radix(digits, radix).ok()?;
    if negative {
        if magnitude <= i64::MAX as u64 + 1 {
            Some((magnitude as i64).wrapping_neg())
        } else {
            None
        }
    } else {
        i64::try_from(magnitude).ok()
    }
}

enum Frame {
    Seq(Node, Vec<Node>, usize),
    /// The mapping node, its entries, a pending key, and its anchor.
    Map(Node, Vec<(String, Node)>, Option<(String, usize, usize)>, usize),
}

/// Parses the first document of `text` into a tree. An empty document is a null scalar.
pub fn parse(text: &str) -> Result<Node, YamlError> {
    let mut anchors: Vec<Option<Node>> = Vec::new();
    let mut stack: Vec<Frame> = Vec::new();
    let mut nodes = 0usize;
    let mut root: Option<Node> = None;
    let mut started = false;
    for item in Parser::new_from_str(text) {
        let (event, span) = item.map_err(|e| YamlError {
            line: 0,
            col: 0,
            message: e.to_string(),
        })?;
        let (line, col) = (span.start.line(), span.start.col() + 1);
        let at = |message: String| YamlError { line, col, message };
        let complete: Option<(Node, usize)> = match event {
            Event::DocumentStart(..) => {
                if started {
                    break;
                }
                started = true;
                None
            }
            Event::DocumentEnd => break,
            Event::StreamStart | Event::StreamEnd => None,
            Event::Scalar(value, style, anchor, tag) => {
                let tag = tag.map(|t| {
                    if t.is_yaml_core_schema() {
                        t.suffix().to_owned()
                    } else {
                        format!("{}{}", t.handle(), t.suffix())
                    }
                });
                Some((
                    Node {
                        kind: Kind::Scalar(Scalar {
                            text: value.into_owned(),
                            plain: style == ScalarStyle::Plain,
                            tag,
                        }),
                        line,
                        col,
                    },
                    anchor,
                ))
            }
            Event::SequenceStart(_, anchor, _) => {
                stack.push(Frame::Seq(
                    Node {
                        kind: Kind::Seq(Vec::new()),
                        line,
                        col,
                    },
                    Vec::new(),
                    anchor,
                ));
                None
            }
            Event::MappingStart(_, anchor, _) => {
                stack.push(Frame::Map(
                    Node {
                        kind: Kind::Map(Vec::new()),
                        line,
                        col,
                    },
                    Vec::new(),
                    None,
                    anchor,
                ));
                None
            }
            Event::SequenceEnd => match stack.pop() {
                Some(Frame::Seq(mut node, items, anchor)) => {
                    node.kind = Kind::Seq(items);
                    Some((node, anchor))
                }
                _ => return Err(at("unbalanced sequence end".into())),
            },
            Event::MappingEnd => match stack.pop() {
                Some(Frame::Map(mut node, entries, None, anchor)) => {
                    node.kind = Kind::Map(entries);
                    Some((node, anchor))
                }
                _ => return Err(at("unbalanced mapping end".into())),
            },
            Event::Alias(id) => match anchors.get(id).and_then(Option::as_ref) {
                Some(target) => {
                    nodes += count(target);
                    if nodes > MAX_NODES {
                        return Err(at(format!("aliases expand to more than {MAX_NODES} nodes")));
                    }
                    let mut copy = target.clone();
                    copy.line = line;
                    copy.col = col;
                    Some((copy, 0))
                }
                None => return Err(at("alias to an unknown or unfinished anchor".into())),
            },
            _ => None,
        };
        let Some((node, anchor)) = complete else { continue };
        nodes += 1;
        if nodes > MAX_NODES {
            return Err(at(format!("more than {MAX_NODES} nodes")));
        }
        if anchor != 0 {
            if anchors.len() <= anchor {
                anchors.resize(anchor + 1, None);
            }
            anchors[anchor] = Some(node.clone());
        }
        match stack.last_mut() {
            None => {
                root = Some(node);
            }
            Some(Frame::Seq(_, items, _)) => items.push(node),
            Some(Frame::Map(_, entries, pending, _)) => match pending.take() {
                None => {
                    let key = match &node.kind {
                        Kind::Scalar(s) => s.text.clone(),
                        _ => return Err(at("a mapping key must be a scalar".into())),
                    };
                    if key == "<<" {
                        return Err(at("merge keys (<<) are not supported; write the keys out".into()));
                    }
                    if let Some((_, first)) = entries.iter().find(|(k, _)| *k == key) {
                        return Err(at(format!(
                            "mapping key {key:?} already defined at line {}",
                            first.line
                        )));
                    }
                    *pending = Some((key, node.line, node.col));
                }
                Some((key, _, _)) => entries.push((key, node)),
            },
        }
    }
    Ok(root.unwrap_or(Node {
        kind: Kind::Scalar(Scalar {
            text: String::new(),
            plain: true,
            tag: None,
        }),
        line: 1,
        col: 1,
    }))
}

fn count(node: &Node) -> usize {
    match &node.kind {
        Kind::Scalar(_) => 1,
        Kind::Seq(items) => 1 + items.iter().map(count).sum::<usize>(),
        Kind::Map(entries) => 1 + entries.iter().map(|(_, v)| 1 + count(v)).sum::<usize>(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scalar(text: &str) -> Scalar {
        match parse(&format!("v: {text}\n")).unwrap().kind {
            Kind::Map(mut e) => match e.remove(0).1.kind {
                Kind::Scalar(s) => s,
                other => panic!("{other:?}"),
            },
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn ints_as_go_yaml_v3_reads_them() {
        for (text, want) in [
            ("0644", Some(420)),
            ("0o644", Some(420)),
            ("420", Some(420)),
            ("0x1A4", Some(420)),
            ("0b110100100", Some(420)),
            ("1_000", Some(1000)),
            ("-0755", Some(-493)),
            ("+7", Some(7)),
            ("0", Some(0)),
            ("09", None),
            ("'0644'", None),
            ("\"420\"", None),
            ("4.2", None),
            ("9223372036854775808", None),
            ("-9223372036854775808", Some(i64::MIN)),
        ] {
            assert_eq!(scalar(text).as_int(), want, "{text}");
        }
        assert_eq!(scalar("!!int \"0644\"").as_int(), Some(420));
    }

    #[test]
    fn bools_and_nulls() {
        assert_eq!(scalar("yes").as_bool(), Some(true));
        assert_eq!(scalar("Off").as_bool(), Some(false));
        assert_eq!(scalar("'true'").as_bool(), None);
        assert!(scalar("~").is_null());
        assert!(scalar("").is_null());
        assert!(!scalar("''").is_null());
        assert_eq!(scalar("\"a\\tb\"").as_str(), "a\tb");
    }

    #[test]
    fn structure_positions_aliases_and_errors() {
        let doc = parse("a:\n  - &x {b: 1}\n  - *x\n").unwrap();
        let Kind::Map(entries) = &doc.kind else { panic!() };
        let Kind::Seq(items) = &entries[0].1.kind else { panic!() };
        assert_eq!(items[0].kind, items[1].kind);
        assert_eq!((items[1].line, items[1].col), (3, 5));
        let e = parse("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert!(e.message.contains("already defined at line 1"), "{e}");
        assert!(parse("a: [1, 2").is_err());
        assert!(parse("").unwrap().is_null());
        // Only the first document counts.
        assert!(matches!(parse("a: 1\n---\nb: 2\n").unwrap().kind, Kind::Map(e) if e.len() == 1));
        // A billion laughs stops.
        let mut bomb = String::from("a: &a [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 0..8 {
            let prev = (b'a' + i) as char;
            let next = (b'a' + i + 1) as char;
            bomb.push_str(&format!("{next}: &{next} [*{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}, *{prev}]\n"));
        }
        assert!(parse(&bomb).unwrap_err().message.contains("nodes"));
    }
}
