//! The systemd unit-file reading Ignition checks unit and drop-in contents with: the same texts
//! are accepted and rejected, with the same error texts, as the recorded table in
//! `testdata/unit_files.tsv` holds.
//!
//! # What is read
//!
//! * Text before the first header is skipped, one character at a time, except that `[` starts
//!   a header and `#` or `;` a comment wherever they appear.
//! * A header is `[`, then everything up to the next `]` (line breaks included) as the section
//!   name. A header without `]` fails with `unable to find end of section`. The rest of the line
//!   after `]` must be blank; otherwise it fails with `found garbage after section name : ` and
//!   that rest, trimmed, in quotes (the section name is never filled in there).
//! * After a header, blank characters are skipped one by one, and `[`, `#` and `;` start a
//!   header or a comment. Anything else starts an option: its name runs up to `=` and is trimmed.
//!   A CR or LF before the `=` fails with `unexpected newline encountered while parsing option
//!   name`, the end of the text with `EOF`.
//! * A comment runs to the end of its line. It goes on over the next line too when the line,
//!   less at most one trailing space, ends in a backslash.
//! * An option's value is the rest of its line. A line ending in a backslash continues it: the
//!   next line is added after a line break, unless that line is blank, which ends the value
//!   without being added. The value is then trimmed; when it ended on such a blank line the line
//!   break after its last backslash is kept.
//! * Lines end at LF; one CR before the LF (or before the end of the text) is not part of the
//!   line. Blank means white space only, in the Unicode sense.
//!
//! # Long lines
//!
//! The 2,048-byte line limit is not applied to every line. It depends on how far the reading
//! has looked ahead, which follows these rules:
//!
//! 1. Reading looks ahead in blocks: a look-ahead from position `p` covers the text up to
//!    `p + 4096` (or its end).
//! 2. Reading one character (each one looked at between entries, and those of an option's
//!    name) looks ahead from that character when it is not wholly inside the current look-ahead.
//! 3. Searching for a `]` or a line end keeps the look-ahead when the byte is inside it;
//!    otherwise it looks ahead from where the search starts, in steps of 4,096 bytes, until the
//!    byte is covered or the text ends (the look-ahead then ends at `start + k × 4096`).
//! 4. The limit is checked before each character read between entries, again at the first
//!    character of an option's name, after a header's `[` and after its `]`, after a comment's
//!    `#` or `;`, and at the start of each line of a value (the first and each continued one).
//!    The check fails, with `line too long (max 2048 bytes)`, when the look-ahead reaches at
//!    least 2,048 bytes past the checked position and none of those next 2,048 bytes is CR or LF.
//!
//! Lines shorter than 2,048 bytes (not counting the LF) therefore always pass, and a CR inside
//! a line counts as a break for the check although it stays in the value. A line of 2,048
//! bytes or more is rejected only when one of its check positions comes at a moment the
//! look-ahead already reaches 2,048 bytes past it. For instance `[S]\nA=` and a 2,100-byte
//! value fail, since the first look-ahead (from the start) covers the whole value; the same
//! value after 3,000 bytes of short lines passes, since that look-ahead ends at byte 4,096 and
//! the search for the line end that looks further is not a check position.

/// One `Name=Value` option and the section it belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnitOption {
    pub section: String,
    pub name: String,
    pub value: String,
}

/// How far one look-ahead reaches.
const LOOK_AHEAD: usize = 4096;
/// The line limit, and how much look-ahead makes it apply.
const LINE_LIMIT: usize = 2048;

/// A position in the text and the end of what has been looked ahead at (rules 1–3 above).
struct Reading<'a> {
    text: &'a str,
    at: usize,
    seen_to: usize,
}

impl<'a> Reading<'a> {
    fn new(text: &'a str) -> Self {
        Reading {
            text,
            at: 0,
            seen_to: 0,
        }
    }

    /// Rule 1: look ahead from the current position.
    fn look_ahead(&mut self) {
        self.seen_to = (self.at + LOOK_AHEAD).min(self.text.len());
    }

    /// Rule 4.
    fn check_line_length(&self) -> Result<(), String> {
        let bytes = self.text.as_bytes();
        let too_long = self.seen_to >= self.at + LINE_LIMIT
            && !bytes[self.at..self.at + LINE_LIMIT]
                .iter()
                .any(|&b| b == b'\r' || b == b'\n');
        if too_long {
            Err(format!("line too long (max {LINE_LIMIT} bytes)"))
        } else {
            Ok(())
        }
    }

    /// The next character, without moving past it (rule 2).
    fn peek(&mut self) -> Option<char> {
        let next = self.text[self.at..].chars().next();
        if self.at + next.map_or(0, char::len_utf8) > self.seen_to {
            self.look_ahead();
        }
        next
    }

    fn next_char(&mut self) -> Option<char> {
        let next = self.peek()?;
        self.at += next.len_utf8();
        Some(next)
    }

    /// The text up to and including the next `stop` byte, or to the end of the text without it
    /// (then `false`); rule 3.
    fn through(&mut self, stop: u8) -> (&'a str, bool) {
        let start = self.at;
        let found = self.text.as_bytes()[start..].iter().position(|&b| b == stop);
        let end = found.map_or(self.text.len(), |i| start + i + 1);
        if end > self.seen_to {
            let steps = (end - start).div_ceil(LOOK_AHEAD);
            self.seen_to = (start + steps * LOOK_AHEAD).min(self.text.len());
        }
        self.at = end;
        (&self.text[start..end], found.is_some())
    }

    /// The rest of the current line without its LF and one CR before that, and whether the text
    /// ended instead of the line.
    fn line(&mut self) -> (&'a str, bool) {
        let (line, ended) = self.through(b'\n');
        let line = line.strip_suffix('\n').unwrap_or(line);
        (line.strip_suffix('\r').unwrap_or(line), !ended)
    }
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// `text` in double quotes, with quotes, backslashes and control characters escaped.
fn quoted(text: &str) -> String {
    use std::fmt::Write;
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        let short = match c {
            '\u{7}' => Some('a'),
            '\u{8}' => Some('b'),
            '\t' => Some('t'),
            '\n' => Some('n'),
            '\u{b}' => Some('v'),
            '\u{c}' => Some('f'),
            '\r' => Some('r'),
            '"' | '\\' => Some(c),
            _ => None,
        };
        match short {
            Some(letter) => {
                out.push('\\');
                out.push(letter);
            }
            None if c.is_ascii_control() => write!(out, "\\x{:02x}", u32::from(c)).expect("write to String"),
            None if c.is_control() => write!(out, "\\u{:04x}", u32::from(c)).expect("write to String"),
            None => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A header, read from just after its `[`: the section name.
fn header(reading: &mut Reading<'_>) -> Result<String, String> {
    reading.check_line_length()?;
    let (name, closed) = reading.through(b']');
    if !closed {
        return Err("unable to find end of section".to_owned());
    }
    let name = &name[..name.len() - 1];
    reading.check_line_length()?;
    let rest = reading.line().0.trim();
    if !rest.is_empty() {
        return Err(format!("found garbage after section name : {}", quoted(rest)));
    }
    Ok(name.to_owned())
}

/// A comment, read from just after its `#` or `;`.
fn comment(reading: &mut Reading<'_>) -> Result<(), String> {
    reading.check_line_length()?;
    loop {
        let line = reading.line().0;
        if !line.strip_suffix(' ').unwrap_or(line).ends_with('\\') {
            return Ok(());
        }
    }
}

/// An option, read from the first character of its name.
fn option(reading: &mut Reading<'_>, section: &str) -> Result<UnitOption, String> {
    reading.check_line_length()?;
    let mut name = String::new();
    loop {
        match reading.next_char() {
            None => return Err("EOF".to_owned()),
            Some('\n' | '\r') => {
                return Err("unexpected newline encountered while parsing option name".to_owned());
            }
            Some('=') => break,
            Some(c) => name.push(c),
        }
    }
    let mut value = String::new();
    loop {
        reading.check_line_length()?;
        let (line, text_ended) = reading.line();
        if is_blank(line) {
            break;
        }
        value.push_str(line);
        if !line.ends_with('\\') || text_ended {
            break;
        }
        value.push('\n');
    }
    let keeps_break = value.ends_with('\n');
    let mut value = value.trim().to_owned();
    if keeps_break {
        value.push('\n');
    }
    Ok(UnitOption {
        section: section.to_owned(),
        name: name.trim().to_owned(),
        value,
    })
}

/// The options of a unit text, or the reason it is not one.
pub(crate) fn parse_unit(content: &str) -> Result<Vec<UnitOption>, String> {
    let mut reading = Reading::new(content);
    let mut options = Vec::new();
    let mut section: Option<String> = None;
    loop {
        reading.check_line_length()?;
        let Some(c) = reading.peek() else { break };
        match (c, &section) {
            ('[', _) => {
                reading.next_char();
                section = Some(header(&mut reading)?);
            }
            ('#' | ';', _) => {
                reading.next_char();
                comment(&mut reading)?;
            }
            (_, None) => {
                reading.next_char();
            }
            (c, Some(_)) if c.is_whitespace() => {
                reading.next_char();
            }
            (_, Some(name)) => options.push(option(&mut reading, name)?),
        }
    }
    Ok(options)
}

#[cfg(test)]
mod recorded;

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
    fn rejects_broken_units() {
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

    #[test]
    fn line_limit_follows_the_look_ahead() {
        let too_long = "line too long (max 2048 bytes)";
        let long_value = format!("A={}\n", "x".repeat(2100));
        assert_eq!(parse_unit(&format!("[S]\n{long_value}")).unwrap_err(), too_long);
        // 3,004 bytes of short lines first: the look-ahead from the start ends at byte 4,096.
        let short_lines = "B=123456789012345678901234567\n".repeat(100);
        let text = format!("[S]\n{short_lines}{long_value}C=1\n");
        assert_eq!(parse_unit(&text).unwrap().len(), 102);
        // A CR within the first 2,048 bytes is enough for the check.
        let with_cr = format!("[S]\nA={}\r{}\n", "x".repeat(2000), "x".repeat(3000));
        assert_eq!(parse_unit(&with_cr).unwrap()[0].value.len(), 5001);
        // One byte short of the limit always passes, wherever it starts.
        for before in [0, 500, 1023, 1024, 1500, 2046, 2047, 3000] {
            let text = format!("[S]\n{}A={}\n", "#\n".repeat(before), "x".repeat(2045));
            assert!(parse_unit(&text).is_ok(), "{before}");
        }
    }
}
