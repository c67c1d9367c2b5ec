//! The systemd unit-file parser Ignition validates unit and drop-in contents with
//! (`coreos/go-systemd/v22/unit.Deserialize`), including its 2048-byte line limit.
//!
//! go-systemd checks the line limit only when its `bufio.Reader` (4096-byte buffer) happens to
//! hold at least 2048 unread bytes, so whether a long line is rejected depends on buffer
//! refills. This module emulates that reader exactly rather than approximating the rule, so the
//! same contents are accepted and rejected as in Ignition.

/// One `Name=Value` option and the section it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitOption {
    pub section: String,
    pub name: String,
    pub value: String,
}

const BUF_SIZE: usize = 4096;
const LINE_MAX: usize = 2048;

/// Go's `bufio.Reader` over a `strings.Reader`.
struct BufReader<'a> {
    src: &'a [u8],
    src_pos: usize,
    buf: Vec<u8>,
    r: usize,
    w: usize,
    eof_pending: bool,
    last_rune_size: Option<usize>,
}

/// `utf8.FullRune`.
fn full_rune(p: &[u8]) -> bool {
    let Some(&b0) = p.first() else { return false };
    let (size, lo, hi) = match b0 {
        0x00..=0x7F => return true,
        0xC2..=0xDF => (2, 0x80, 0xBF),
        0xE0 => (3, 0xA0, 0xBF),
        0xE1..=0xEC | 0xEE..=0xEF => (3, 0x80, 0xBF),
        0xED => (3, 0x80, 0x9F),
        0xF0 => (4, 0x90, 0xBF),
        0xF1..=0xF3 => (4, 0x80, 0xBF),
        0xF4 => (4, 0x80, 0x8F),
        _ => return true,
    };
    if p.len() >= size {
        return true;
    }
    if p.len() > 1 && (p[1] < lo || hi < p[1]) {
        return true;
    }
    if p.len() > 2 && !(0x80..=0xBF).contains(&p[2]) {
        return true;
    }
    false
}

impl<'a> BufReader<'a> {
    fn new(src: &'a [u8]) -> Self {
        BufReader {
            src,
            src_pos: 0,
            buf: vec![0; BUF_SIZE],
            r: 0,
            w: 0,
            eof_pending: false,
            last_rune_size: None,
        }
    }

    fn buffered(&self) -> usize {
        self.w - self.r
    }

    fn fill(&mut self) {
        if self.r > 0 {
            self.buf.copy_within(self.r..self.w, 0);
            self.w -= self.r;
            self.r = 0;
        }
        let n = (BUF_SIZE - self.w).min(self.src.len() - self.src_pos);
        if n == 0 {
            self.eof_pending = true;
            return;
        }
        self.buf[self.w..self.w + n].copy_from_slice(&self.src[self.src_pos..self.src_pos + n]);
        self.w += n;
        self.src_pos += n;
    }

    /// `ReadRune`; `None` at EOF.
    fn read_rune(&mut self) -> Option<char> {
        while self.r + 4 > self.w
            && !full_rune(&self.buf[self.r..self.w])
            && !self.eof_pending
            && self.w - self.r < BUF_SIZE
        {
            self.fill();
        }
        self.last_rune_size = None;
        if self.r == self.w {
            // readErr() clears the pending EOF.
            self.eof_pending = false;
            return None;
        }
        let (ch, size) = crate::json::decode_rune(&self.buf[self.r..self.w]);
        let size = size.max(1);
        self.r += size;
        self.last_rune_size = Some(size);
        Some(ch)
    }

    fn unread_rune(&mut self) {
        if let Some(size) = self.last_rune_size.take()
            && self.r >= size
        {
            self.r -= size;
        }
    }

    /// `ReadSlice` result: bytes, and whether it stopped because the buffer was full / at EOF.
    fn read_slice(&mut self, delim: u8) -> (Vec<u8>, SliceEnd) {
        let mut s = 0;
        loop {
            if let Some(i) = self.buf[self.r + s..self.w].iter().position(|&b| b == delim) {
                let i = i + s;
                let line = self.buf[self.r..self.r + i + 1].to_vec();
                self.r += i + 1;
                return (line, SliceEnd::Delim);
            }
            if self.eof_pending {
                let line = self.buf[self.r..self.w].to_vec();
                self.r = self.w;
                self.eof_pending = false;
                return (line, SliceEnd::Eof);
            }
            if self.buffered() >= BUF_SIZE {
                self.r = self.w;
                return (self.buf.clone(), SliceEnd::Full);
            }
            s = self.w - self.r;
            self.fill();
        }
    }

    /// `ReadBytes`; the flag is true when it ended at EOF instead of the delimiter.
    fn read_bytes(&mut self, delim: u8) -> (Vec<u8>, bool) {
        self.last_rune_size = None;
        let mut out = Vec::new();
        loop {
            let (frag, end) = self.read_slice(delim);
            out.extend_from_slice(&frag);
            match end {
                SliceEnd::Full => continue,
                SliceEnd::Delim => return (out, false),
                SliceEnd::Eof => return (out, true),
            }
        }
    }

    fn peek_has_newline(&self, n: usize) -> bool {
        self.buf[self.r..self.r + n].iter().any(|&b| b == b'\r' || b == b'\n')
    }
}

enum SliceEnd {
    Delim,
    Full,
    Eof,
}

/// `bytes.TrimSpace` / `strings.TrimSpace` (Unicode white space).
fn trim_space(b: &[u8]) -> &[u8] {
    let s = String::from_utf8_lossy(b);
    if s.len() != b.len() {
        // Invalid UTF-8 cannot occur for text that came from JSON strings; be safe anyway.
        return b;
    }
    let lead = s.len() - s.trim_start().len();
    let trail = s.trim_end().len();
    if lead >= trail { &b[0..0] } else { &b[lead..trail] }
}

/// `toEOL`: a line without its `\n` and one trailing `\r`, and whether EOF ended it.
fn to_eol(reader: &mut BufReader<'_>) -> (Vec<u8>, bool) {
    let (mut line, eof) = reader.read_bytes(b'\n');
    if line.last() == Some(&b'\n') {
        line.pop();
    }
    if line.last() == Some(&b'\r') {
        line.pop();
    }
    (line, eof)
}

/// Go's `%q` for a byte string, close enough for an error message.
fn go_quote(b: &[u8]) -> String {
    let s = String::from_utf8_lossy(b);
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{7}' => out.push_str("\\a"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{b}' => out.push_str("\\v"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => out.push_str(&format!("\\x{:02x}", c as u32)),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

enum Step {
    NextSection,
    SectionName,
    SectionSuffix(String),
    NextSectionOrOption(String),
    OptionName(String),
    OptionValue {
        section: String,
        name: String,
        partial: Vec<u8>,
    },
    IgnoreLine(Box<Step>),
}

fn is_comment(c: char) -> bool {
    c == '#' || c == ';'
}

/// `unit.Deserialize`: the options, or the parser's error text.
pub(crate) fn parse_unit(content: &str) -> Result<Vec<UnitOption>, String> {
    let mut reader = BufReader::new(content.as_bytes());
    let mut options = Vec::new();
    let mut next = Some(Step::NextSection);
    while let Some(step) = next.take() {
        if reader.buffered() >= LINE_MAX && !reader.peek_has_newline(LINE_MAX) {
            return Err(format!("line too long (max {LINE_MAX} bytes)"));
        }
        next = match step {
            Step::NextSection => match reader.read_rune() {
                None => None,
                Some('[') => Some(Step::SectionName),
                Some(c) if is_comment(c) => Some(Step::IgnoreLine(Box::new(Step::NextSection))),
                Some(_) => Some(Step::NextSection),
            },
            Step::SectionName => {
                let (bytes, eof) = reader.read_bytes(b']');
                if eof {
                    return Err("unable to find end of section".to_owned());
                }
                let name = String::from_utf8_lossy(&bytes[..bytes.len().saturating_sub(1)]).into_owned();
                Some(Step::SectionSuffix(name))
            }
            Step::SectionSuffix(section) => {
                let (garbage, _) = to_eol(&mut reader);
                let garbage = trim_space(&garbage);
                if !garbage.is_empty() {
                    // go-systemd prints its (never set) current-section field here, so the name
                    // is always empty.
                    return Err(format!("found garbage after section name : {}", go_quote(garbage)));
                }
                Some(Step::NextSectionOrOption(section))
            }
            Step::NextSectionOrOption(section) => match reader.read_rune() {
                None => None,
                Some(c) if c.is_whitespace() => Some(Step::NextSectionOrOption(section)),
                Some('[') => Some(Step::SectionName),
                Some(c) if is_comment(c) => Some(Step::IgnoreLine(Box::new(Step::NextSectionOrOption(section)))),
                Some(_) => {
                    reader.unread_rune();
                    Some(Step::OptionName(section))
                }
            },
            Step::IgnoreLine(then) => {
                loop {
                    let (line, _) = to_eol(&mut reader);
                    let line = line.strip_suffix(b" ").unwrap_or(&line);
                    if !line.ends_with(b"\\") {
                        break;
                    }
                }
                Some(*then)
            }
            Step::OptionName(section) => {
                let mut partial = String::new();
                loop {
                    match reader.read_rune() {
                        None => return Err("EOF".to_owned()),
                        Some('\n' | '\r') => {
                            return Err("unexpected newline encountered while parsing option name".to_owned());
                        }
                        Some('=') => break,
                        Some(c) => partial.push(c),
                    }
                }
                Some(Step::OptionValue {
                    section,
                    name: partial.trim().to_owned(),
                    partial: Vec::new(),
                })
            }
            Step::OptionValue {
                section,
                name,
                mut partial,
            } => {
                let (line, eof) = to_eol(&mut reader);
                let mut continued = false;
                if !trim_space(&line).is_empty() {
                    partial.extend_from_slice(&line);
                    if line.last() == Some(&b'\\') {
                        if !eof {
                            partial.push(b'\n');
                        }
                        continued = true;
                    }
                }
                if continued {
                    Some(Step::OptionValue { section, name, partial })
                } else {
                    let raw = String::from_utf8_lossy(&partial).into_owned();
                    let value = if raw.ends_with('\n') {
                        format!("{}\n", raw.trim())
                    } else {
                        raw.trim().to_owned()
                    };
                    options.push(UnitOption {
                        section: section.clone(),
                        name,
                        value,
                    });
                    Some(Step::NextSectionOrOption(section))
                }
            }
        };
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_sections_and_options() {
        let opts = parse_unit("[Unit]\nDescription=x\n# c\n[Install]\nWantedBy=multi-user.target\n").unwrap();
        assert_eq!(opts.len(), 2);
        assert_eq!(opts[1].section, "Install");
        assert_eq!(opts[1].value, "multi-user.target");
        assert!(parse_unit("").unwrap().is_empty());
        assert!(parse_unit("[Unit]\nExecStart=a \\\n  b\n").is_ok());
    }

    #[test]
    fn rejects_what_go_systemd_rejects() {
        assert_eq!(parse_unit("[Unit").unwrap_err(), "unable to find end of section");
        assert_eq!(
            parse_unit("[Unit] x\n").unwrap_err(),
            "found garbage after section name : \"x\""
        );
        assert_eq!(
            parse_unit("[Unit]\nFoo\nBar=1").unwrap_err(),
            "unexpected newline encountered while parsing option name"
        );
        assert_eq!(parse_unit("[Unit]\nFoo").unwrap_err(), "EOF");
        let long = format!("[Unit]\nA={}\n", "x".repeat(5000));
        assert_eq!(parse_unit(&long).unwrap_err(), "line too long (max 2048 bytes)");
    }
}
