//! Byte-level JSON with Go `encoding/json` semantics: a validity check with Go's error texts and
//! offsets, a pull reader over already-validated input, string unquoting as `json.Unmarshal`
//! decodes strings and string escaping as `json.Marshal` writes them.
//!
//! Go differs from a strict RFC 8259 reader in ways that change what Ignition accepts: invalid
//! UTF-8 inside strings is accepted and each bad byte becomes U+FFFD, an unpaired `\u` surrogate
//! becomes U+FFFD, and nesting deeper than 10000 levels is rejected. Output escapes `<`, `>`, `&`,
//! U+2028 and U+2029 as Go's HTML-safe encoder does. It knows nothing about Ignition; [`tree`] builds an order-keeping tree for hand-written decoders.
//!
//! Everything here is iterative (no recursion on input depth) and never indexes out of bounds,
//! so arbitrary input cannot overflow the stack or panic.

pub mod tree;

pub use tree::{Json, parse};

/// The deepest nesting `json.Unmarshal` accepts: one more level fails with "exceeded max depth".
const MAX_NESTING_DEPTH: usize = 10_000;

/// A JSON syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

fn describe(byte: u8) -> String {
    match byte {
        b'\'' => "'\\''".to_owned(),
        b'"' => "'\"'".to_owned(),
        0x20..=0x7e => format!("'{}'", byte as char),
        _ => format!("byte 0x{byte:02x}"),
    }
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r')
}

/// Checks that `data` is exactly one JSON value surrounded by optional whitespace, the way Go's
/// `json.Unmarshal` does before decoding anything.
pub fn check_valid(data: &[u8]) -> Result<(), SyntaxError> {
    #[derive(Clone, Copy, PartialEq)]
    enum Frame {
        Object,
        Array,
    }
    let err = |offset: usize, message: String| Err(SyntaxError { offset, message });
    let eof = |data: &[u8]| {
        Err(SyntaxError {
            offset: data.len(),
            message: "unexpected end of JSON input".to_owned(),
        })
    };
    let mut stack: Vec<Frame> = Vec::new();
    let mut pos = 0usize;
    let skip_ws = |pos: &mut usize| {
        while *pos < data.len() && is_ws(data[*pos]) {
            *pos += 1;
        }
    };

    // `expect_value` is true when a value must come next; false when a value just ended.
    let mut expect_value = true;
    loop {
        skip_ws(&mut pos);
        if expect_value {
            let Some(&c) = data.get(pos) else { return eof(data) };
            match c {
                b'{' | b'[' => {
                    stack.push(if c == b'{' { Frame::Object } else { Frame::Array });
                    if stack.len() > MAX_NESTING_DEPTH {
                        return err(pos, "exceeded max depth".to_owned());
                    }
                    pos += 1;
                    skip_ws(&mut pos);
                    let close = if c == b'{' { b'}' } else { b']' };
                    match data.get(pos) {
                        None => return eof(data),
                        Some(&b) if b == close => {
                            pos += 1;
                            stack.pop();
                            expect_value = false;
                            continue;
                        }
                        Some(_) => {}
                    }
                    if c == b'{' {
                        pos = scan_key(data, pos)?;
                    }
                    continue;
                }
                b'"' => pos = scan_string(data, pos)?,
                b'-' | b'0'..=b'9' => pos = scan_number(data, pos)?,
                b't' => pos = scan_literal(data, pos, b"true")?,
                b'f' => pos = scan_literal(data, pos, b"false")?,
                b'n' => pos = scan_literal(data, pos, b"null")?,
                other => {
                    return err(
                        pos,
                        format!("invalid character {} looking for beginning of value", describe(other)),
                    );
                }
            }
            expect_value = false;
            continue;
        }
        // After a value.
        let Some(&top) = stack.last() else {
            return match data.get(pos) {
                None => Ok(()),
                Some(&c) => err(pos, format!("invalid character {} after top-level value", describe(c))),
            };
        };
        let Some(&c) = data.get(pos) else { return eof(data) };
        match (top, c) {
            (Frame::Object, b',') => {
                pos += 1;
                skip_ws(&mut pos);
                pos = scan_key(data, pos)?;
                expect_value = true;
            }
            (Frame::Array, b',') => {
                pos += 1;
                expect_value = true;
            }
            (Frame::Object, b'}') | (Frame::Array, b']') => {
                pos += 1;
                stack.pop();
            }
            (Frame::Object, other) => {
                return err(
                    pos,
                    format!("invalid character {} after object key:value pair", describe(other)),
                );
            }
            (Frame::Array, other) => {
                return err(
                    pos,
                    format!("invalid character {} after array element", describe(other)),
                );
            }
        }
    }
}

/// Scans `"key"` then optional whitespace and `:`; returns the position after the colon.
fn scan_key(data: &[u8], pos: usize) -> Result<usize, SyntaxError> {
    match data.get(pos) {
        None => {
            return Err(SyntaxError {
                offset: data.len(),
                message: "unexpected end of JSON input".to_owned(),
            });
        }
        Some(b'"') => {}
        Some(&c) => {
            return Err(SyntaxError {
                offset: pos,
                message: format!(
                    "invalid character {} looking for beginning of object key string",
                    describe(c)
                ),
            });
        }
    }
    let mut pos = scan_string(data, pos)?;
    while pos < data.len() && is_ws(data[pos]) {
        pos += 1;
    }
    match data.get(pos) {
        None => Err(SyntaxError {
            offset: data.len(),
            message: "unexpected end of JSON input".to_owned(),
        }),
        Some(b':') => Ok(pos + 1),
        Some(&c) => Err(SyntaxError {
            offset: pos,
            message: format!("invalid character {} after object key", describe(c)),
        }),
    }
}

fn scan_string(data: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let mut pos = start + 1;
    loop {
        let Some(&c) = data.get(pos) else {
            return Err(SyntaxError {
                offset: data.len(),
                message: "unexpected end of JSON input".to_owned(),
            });
        };
        match c {
            b'"' => return Ok(pos + 1),
            b'\\' => {
                let Some(&e) = data.get(pos + 1) else {
                    return Err(SyntaxError {
                        offset: data.len(),
                        message: "unexpected end of JSON input".to_owned(),
                    });
                };
                match e {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => pos += 2,
                    b'u' => {
                        for i in 0..4 {
                            match data.get(pos + 2 + i) {
                                None => {
                                    return Err(SyntaxError {
                                        offset: data.len(),
                                        message: "unexpected end of JSON input".to_owned(),
                                    });
                                }
                                Some(h) if h.is_ascii_hexdigit() => {}
                                Some(&h) => {
                                    return Err(SyntaxError {
                                        offset: pos + 2 + i,
                                        message: format!(
                                            "invalid character {} in \\u hexadecimal character escape",
                                            describe(h)
                                        ),
                                    });
                                }
                            }
                        }
                        pos += 6;
                    }
                    other => {
                        return Err(SyntaxError {
                            offset: pos + 1,
                            message: format!("invalid character {} in string escape code", describe(other)),
                        });
                    }
                }
            }
            0x00..=0x1f => {
                return Err(SyntaxError {
                    offset: pos,
                    message: format!("invalid character {} in string literal", describe(c)),
                });
            }
            _ => pos += 1,
        }
    }
}

fn scan_number(data: &[u8], start: usize) -> Result<usize, SyntaxError> {
    let mut pos = start;
    let bad = |pos: usize, what: &str| {
        Err(match data.get(pos) {
            None => SyntaxError {
                offset: data.len(),
                message: "unexpected end of JSON input".to_owned(),
            },
            Some(&c) => SyntaxError {
                offset: pos,
                message: format!("invalid character {} {what}", describe(c)),
            },
        })
    };
    if data.get(pos) == Some(&b'-') {
        pos += 1;
    }
    match data.get(pos) {
        Some(b'0') => pos += 1,
        Some(b'1'..=b'9') => {
            while matches!(data.get(pos), Some(b'0'..=b'9')) {
                pos += 1;
            }
        }
        _ => return bad(pos, "in numeric literal"),
    }
    if data.get(pos) == Some(&b'.') {
        pos += 1;
        if !matches!(data.get(pos), Some(b'0'..=b'9')) {
            return bad(pos, "after decimal point in numeric literal");
        }
        while matches!(data.get(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
    }
    if matches!(data.get(pos), Some(b'e' | b'E')) {
        pos += 1;
        if matches!(data.get(pos), Some(b'+' | b'-')) {
            pos += 1;
        }
        if !matches!(data.get(pos), Some(b'0'..=b'9')) {
            return bad(pos, "in exponent of numeric literal");
        }
        while matches!(data.get(pos), Some(b'0'..=b'9')) {
            pos += 1;
        }
    }
    Ok(pos)
}

fn scan_literal(data: &[u8], start: usize, word: &[u8]) -> Result<usize, SyntaxError> {
    for (i, &w) in word.iter().enumerate() {
        match data.get(start + i) {
            None => {
                return Err(SyntaxError {
                    offset: data.len(),
                    message: "unexpected end of JSON input".to_owned(),
                });
            }
            Some(&c) if c == w => {}
            Some(&c) => {
                return Err(SyntaxError {
                    offset: start + i,
                    message: format!(
                        "invalid character {} in literal {} (expecting '{}')",
                        describe(c),
                        String::from_utf8_lossy(word),
                        w as char
                    ),
                });
            }
        }
    }
    Ok(start + word.len())
}

/// The kind of the next value in a [`Reader`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Object,
    Array,
    String,
    Number,
    Bool,
    Null,
}

impl Kind {
    /// The noun Go uses in `UnmarshalTypeError` ("cannot unmarshal string into ...").
    pub fn noun(self) -> &'static str {
        match self {
            Kind::Object => "object",
            Kind::Array => "array",
            Kind::String => "string",
            Kind::Number => "number",
            Kind::Bool => "bool",
            Kind::Null => "null",
        }
    }
}

/// A pull reader over input that [`check_valid`] accepted. On malformed input it returns
/// harmless defaults instead of panicking, so a caller bug can never crash the process.
pub struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        Reader { data, pos: 0 }
    }

    fn skip_ws(&mut self) {
        while self.pos < self.data.len() && is_ws(self.data[self.pos]) {
            self.pos += 1;
        }
    }

    pub fn peek(&mut self) -> Kind {
        self.skip_ws();
        match self.data.get(self.pos) {
            Some(b'{') => Kind::Object,
            Some(b'[') => Kind::Array,
            Some(b'"') => Kind::String,
            Some(b't' | b'f') => Kind::Bool,
            Some(b'n') => Kind::Null,
            _ => Kind::Number,
        }
    }

    /// Skips one complete value of any kind, iteratively.
    pub fn skip_value(&mut self) {
        self.skip_ws();
        let mut depth = 0usize;
        loop {
            let Some(&c) = self.data.get(self.pos) else { return };
            match c {
                b'{' | b'[' => {
                    depth += 1;
                    self.pos += 1;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    self.pos += 1;
                    if depth == 0 {
                        return;
                    }
                }
                b'"' => {
                    self.pos = skip_string(self.data, self.pos);
                    if depth == 0 {
                        return;
                    }
                }
                b',' | b':' | b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                _ => {
                    // A number or literal: runs until a delimiter.
                    while let Some(&b) = self.data.get(self.pos) {
                        if matches!(b, b',' | b'}' | b']' | b':') || is_ws(b) {
                            break;
                        }
                        self.pos += 1;
                    }
                    if depth == 0 {
                        return;
                    }
                }
            }
        }
    }

    /// Reads a string value (Go unquoting).
    pub fn read_string(&mut self) -> String {
        self.skip_ws();
        let start = self.pos;
        let end = skip_string(self.data, start);
        self.pos = end;
        let inner = self.data.get(start + 1..end.saturating_sub(1)).unwrap_or(&[]);
        unquote(inner)
    }

    /// Reads a number literal's text.
    pub fn read_number(&mut self) -> &'a str {
        self.skip_ws();
        let start = self.pos;
        while let Some(&b) = self.data.get(self.pos) {
            if !matches!(b, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
                break;
            }
            self.pos += 1;
        }
        std::str::from_utf8(self.data.get(start..self.pos).unwrap_or(&[])).unwrap_or("")
    }

    /// Reads `true` or `false`.
    pub fn read_bool(&mut self) -> bool {
        self.skip_ws();
        let value = self.data.get(self.pos) == Some(&b't');
        self.pos += if value { 4 } else { 5 };
        value
    }

    /// Consumes `{`.
    pub fn begin_object(&mut self) {
        self.skip_ws();
        self.pos += 1;
    }

    /// Returns the next key of the current object (consuming the `:`), or `None` after consuming
    /// the closing `}`.
    pub fn next_key(&mut self) -> Option<String> {
        self.skip_ws();
        if self.data.get(self.pos) == Some(&b',') {
            self.pos += 1;
            self.skip_ws();
        }
        match self.data.get(self.pos) {
            Some(b'"') => {
                let key = self.read_string();
                self.skip_ws();
                if self.data.get(self.pos) == Some(&b':') {
                    self.pos += 1;
                }
                Some(key)
            }
            Some(b'}') => {
                self.pos += 1;
                None
            }
            _ => {
                // Unreachable on validated input; stop the loop without panicking.
                self.pos = self.data.len();
                None
            }
        }
    }

    /// Consumes `[`.
    pub fn begin_array(&mut self) {
        self.skip_ws();
        self.pos += 1;
    }

    /// True if another element follows (its value is next); false after consuming `]`.
    pub fn next_element(&mut self) -> bool {
        self.skip_ws();
        if self.data.get(self.pos) == Some(&b',') {
            self.pos += 1;
            self.skip_ws();
        }
        match self.data.get(self.pos) {
            Some(b']') => {
                self.pos += 1;
                false
            }
            Some(_) => true,
            None => false,
        }
    }
}

fn skip_string(data: &[u8], start: usize) -> usize {
    let mut pos = start + 1;
    while let Some(&c) = data.get(pos) {
        match c {
            b'"' => return pos + 1,
            b'\\' => pos += 2,
            _ => pos += 1,
        }
    }
    data.len()
}

fn hex4(bytes: &[u8]) -> Option<u32> {
    if bytes.len() < 4 {
        return None;
    }
    let mut v = 0u32;
    for &b in &bytes[..4] {
        v = v * 16 + (b as char).to_digit(16)?;
    }
    Some(v)
}

/// Decodes one UTF-8 sequence (RFC 3629); an invalid or truncated sequence yields U+FFFD and
/// consumes exactly one byte, as Go's decoding does.
pub fn decode_rune(bytes: &[u8]) -> (char, usize) {
    let Some(&b0) = bytes.first() else {
        return ('\u{FFFD}', 0);
    };
    if b0 < 0x80 {
        return (b0 as char, 1);
    }
    let len = match b0 {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        0xF0..=0xF4 => 4,
        _ => return ('\u{FFFD}', 1),
    };
    match bytes.get(..len).map(std::str::from_utf8) {
        Some(Ok(s)) => (s.chars().next().unwrap_or('\u{FFFD}'), len),
        _ => ('\u{FFFD}', 1),
    }
}

/// The text between a string's quotes, decoded as `json.Unmarshal` decodes it: the JSON escapes,
/// surrogate pairs combined, and U+FFFD for a lone surrogate, a bad escape or each byte of invalid
/// UTF-8.
pub fn unquote(s: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if c == b'\\' {
            match s.get(i + 1) {
                Some(b'"') => out.push('"'),
                Some(b'\\') => out.push('\\'),
                Some(b'/') => out.push('/'),
                Some(b'b') => out.push('\u{8}'),
                Some(b'f') => out.push('\u{c}'),
                Some(b'n') => out.push('\n'),
                Some(b'r') => out.push('\r'),
                Some(b't') => out.push('\t'),
                Some(b'u') => {
                    let Some(r) = hex4(s.get(i + 2..).unwrap_or(&[])) else {
                        out.push('\u{FFFD}');
                        i = s.len();
                        continue;
                    };
                    i += 6;
                    if (0xD800..0xE000).contains(&r) {
                        // A surrogate: valid only as a high/low pair.
                        if r < 0xDC00
                            && s.get(i) == Some(&b'\\')
                            && s.get(i + 1) == Some(&b'u')
                            && let Some(r2) = hex4(s.get(i + 2..).unwrap_or(&[]))
                            && (0xDC00..0xE000).contains(&r2)
                        {
                            let combined = 0x10000 + ((r - 0xD800) << 10) + (r2 - 0xDC00);
                            out.push(char::from_u32(combined).unwrap_or('\u{FFFD}'));
                            i += 6;
                            continue;
                        }
                        out.push('\u{FFFD}');
                        continue;
                    }
                    out.push(char::from_u32(r).unwrap_or('\u{FFFD}'));
                    continue;
                }
                _ => out.push('\u{FFFD}'),
            }
            i += 2;
            continue;
        }
        if c < 0x80 {
            out.push(c as char);
            i += 1;
            continue;
        }
        let (ch, size) = decode_rune(&s[i..]);
        out.push(ch);
        i += size.max(1);
    }
    out
}

/// Appends `s` as a JSON string the way Go's `json.Marshal` does (HTML-safe escaping, Go 1.22+
/// short escapes for backspace and form feed).
pub fn write_go_string(out: &mut Vec<u8>, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push(b'"');
    for ch in s.chars() {
        match ch {
            '"' => out.extend_from_slice(b"\\\""),
            '\\' => out.extend_from_slice(b"\\\\"),
            '\n' => out.extend_from_slice(b"\\n"),
            '\r' => out.extend_from_slice(b"\\r"),
            '\t' => out.extend_from_slice(b"\\t"),
            '\u{8}' => out.extend_from_slice(b"\\b"),
            '\u{c}' => out.extend_from_slice(b"\\f"),
            '<' | '>' | '&' | '\u{0}'..='\u{1f}' => {
                let b = ch as u8;
                out.extend_from_slice(b"\\u00");
                out.push(HEX[(b >> 4) as usize]);
                out.push(HEX[(b & 0xf) as usize]);
            }
            '\u{2028}' => out.extend_from_slice(b"\\u2028"),
            '\u{2029}' => out.extend_from_slice(b"\\u2029"),
            _ => {
                let mut buf = [0u8; 4];
                out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
            }
        }
    }
    out.push(b'"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validity_matches_go() {
        assert!(check_valid(br#" {"a":[1,-0.5e+3,true,false,null,"x\u00e9"]} "#).is_ok());
        assert!(check_valid(b"").is_err());
        assert!(check_valid(b"{").is_err());
        assert!(check_valid(b"{}x").is_err());
        assert!(check_valid(b"01").is_err());
        assert!(check_valid(b"1.").is_err());
        assert!(check_valid(b"\"\x01\"").is_err());
        assert!(check_valid(b"\"\xff\"").is_ok());
        assert!(check_valid(b"\xef\xbb\xbf{}").is_err());
        assert!(check_valid(b"{\"a\" 1}").is_err());
        assert!(check_valid(b"[1,]").is_err());
        let deep_ok = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert!(check_valid(deep_ok.as_bytes()).is_ok());
        let deep_bad = format!("{}{}", "[".repeat(10_001), "]".repeat(10_001));
        assert!(check_valid(deep_bad.as_bytes()).is_err());
    }

    #[test]
    fn unquote_replaces_invalid_sequences_like_go() {
        assert_eq!(unquote(b"a\\u00e9\\ud83d\\ude00"), "a\u{e9}\u{1F600}");
        assert_eq!(unquote(b"\\ud800x"), "\u{FFFD}x");
        assert_eq!(unquote(b"\\ud800\\u0041"), "\u{FFFD}A");
        assert_eq!(unquote(b"\xe2\x82A"), "\u{FFFD}\u{FFFD}A");
        assert_eq!(unquote(b"\xff"), "\u{FFFD}");
    }

    #[test]
    fn strings_are_escaped_like_go() {
        let mut out = Vec::new();
        write_go_string(&mut out, "<a&b>\u{2028}\u{2029}\"\\\n\r\t\u{8}\u{c}\u{1}\u{7f}é");
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "\"\\u003ca\\u0026b\\u003e\\u2028\\u2029\\\"\\\\\\n\\r\\t\\b\\f\\u0001\u{7f}é\""
        );
    }
}
