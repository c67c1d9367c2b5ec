//! The template lexer: a line-by-line port of Go's `text/template/parse`
//! lexer (Go 1.19), producing the same items with the same positions and line
//! numbers, because parse error messages quote both.
//!
//! Go runs the lexer as a goroutine feeding the parser; the item sequence does
//! not depend on the parser, so here it is produced eagerly into a vector.
//! Only the default `{{ }}` delimiters exist (matchbox never changes them),
//! and comments are dropped, as Go does without `parse.ParseComments`.

use std::borrow::Cow;

use crate::unicode::{is_digit, is_letter, is_print};

/// The kind of a lexical item. The order matters: keywords sort after
/// `Keyword`, as in Go, which `Item::describe` relies on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum ItemType {
    Error,
    Bool,
    Char,
    CharConstant,
    Complex,
    Assign,
    Declare,
    Eof,
    Field,
    Identifier,
    LeftDelim,
    LeftParen,
    Number,
    Pipe,
    RawString,
    RightDelim,
    RightParen,
    Space,
    String,
    Text,
    Variable,
    Keyword,
    Block,
    Break,
    Continue,
    Dot,
    Define,
    Else,
    End,
    If,
    Nil,
    Range,
    Template,
    With,
}

/// A token or text string returned from the scanner.
#[derive(Debug, Clone)]
pub(crate) struct Item<'s> {
    pub(crate) typ: ItemType,
    /// Byte offset of the item in the input.
    pub(crate) pos: usize,
    /// The item's text, or the message of an `Error` item.
    pub(crate) val: Cow<'s, str>,
    /// Line number (1-based) at the start of the item.
    pub(crate) line: usize,
}

impl Item<'_> {
    /// What Go reads from a closed item channel: an empty error item.
    pub(crate) fn closed() -> Item<'static> {
        Item {
            typ: ItemType::Error,
            pos: 0,
            val: Cow::Borrowed(""),
            line: 0,
        }
    }

    /// Go's `item.String()`, used in "unexpected ..." parse errors.
    pub(crate) fn describe(&self) -> String {
        match self.typ {
            ItemType::Eof => "EOF".to_owned(),
            ItemType::Error => self.val.clone().into_owned(),
            t if t > ItemType::Keyword => format!("<{}>", self.val),
            _ => {
                let mut buf = Vec::new();
                if self.val.len() > 10 {
                    // %.10q: quote the first ten runes, then an ellipsis.
                    let cut: String = self.val.chars().take(10).collect();
                    crate::strconv::append_quote(&mut buf, cut.as_bytes(), b'"', false);
                    buf.extend_from_slice(b"...");
                } else {
                    crate::strconv::append_quote(&mut buf, self.val.as_bytes(), b'"', false);
                }
                crate::strconv::bytes_to_string(buf)
            }
        }
    }
}

fn keyword(word: &str) -> Option<ItemType> {
    Some(match word {
        "." => ItemType::Dot,
        "block" => ItemType::Block,
        "break" => ItemType::Break,
        "continue" => ItemType::Continue,
        "define" => ItemType::Define,
        "else" => ItemType::Else,
        "end" => ItemType::End,
        "if" => ItemType::If,
        "range" => ItemType::Range,
        "nil" => ItemType::Nil,
        "template" => ItemType::Template,
        "with" => ItemType::With,
        _ => return None,
    })
}

const LEFT_DELIM: &str = "{{";
const RIGHT_DELIM: &str = "}}";
const LEFT_COMMENT: &str = "/*";
const RIGHT_COMMENT: &str = "*/";
/// The trim marker plus the space before or after it.
const TRIM_MARKER_LEN: usize = 2;
const EOF: i64 = -1;

/// Lexes the whole input. The last item is `Eof` or an `Error`.
pub(crate) fn lex(input: &str) -> Vec<Item<'_>> {
    let mut l = Lexer {
        input,
        pos: 0,
        start: 0,
        at_eof: false,
        items: Vec::new(),
        paren_depth: 0,
        line: 1,
        start_line: 1,
    };
    let mut state = State::Text;
    loop {
        state = match state {
            State::Text => l.lex_text(),
            State::LeftDelim => l.lex_left_delim(),
            State::Comment => l.lex_comment(),
            State::RightDelim => l.lex_right_delim(),
            State::InsideAction => l.lex_inside_action(),
            State::Space => l.lex_space(),
            State::Identifier => l.lex_identifier(),
            State::Field => l.lex_field_or_variable(ItemType::Field),
            State::Variable => l.lex_variable(),
            State::Char => l.lex_char(),
            State::Number => l.lex_number(),
            State::Quote => l.lex_quote(),
            State::RawQuote => l.lex_raw_quote(),
            State::Done => break,
        };
    }
    l.items
}

/// The lexer's state functions, as an enum instead of Go's function values.
#[derive(Clone, Copy)]
enum State {
    Text,
    LeftDelim,
    Comment,
    RightDelim,
    InsideAction,
    Space,
    Identifier,
    Field,
    Variable,
    Char,
    Number,
    Quote,
    RawQuote,
    Done,
}

struct Lexer<'s> {
    input: &'s str,
    pos: usize,
    start: usize,
    at_eof: bool,
    items: Vec<Item<'s>>,
    paren_depth: i64,
    line: usize,
    start_line: usize,
}

fn is_space(r: i64) -> bool {
    r == i64::from(b' ') || r == i64::from(b'\t') || r == i64::from(b'\r') || r == i64::from(b'\n')
}

fn is_alpha_numeric(r: i64) -> bool {
    r == i64::from(b'_') || u32::try_from(r).is_ok_and(|r| is_letter(r) || is_digit(r))
}

fn has_left_trim_marker(s: &[u8]) -> bool {
    s.len() >= 2 && s[0] == b'-' && is_space(i64::from(s[1]))
}

fn has_right_trim_marker(s: &[u8]) -> bool {
    s.len() >= 2 && is_space(i64::from(s[0])) && s[1] == b'-'
}

fn count_newlines(s: &str) -> usize {
    s.bytes().filter(|&b| b == b'\n').count()
}

/// Formats a rune as Go's `%#U` does: `U+0041 'A'` or `U+0001`.
pub(crate) fn sharp_u(r: i64) -> String {
    let mut s = format!("U+{r:04X}");
    if let Some(c) = u32::try_from(r).ok().filter(|&c| is_print(c)).and_then(char::from_u32) {
        s.push_str(" '");
        s.push(c);
        s.push('\'');
    }
    s
}

impl<'s> Lexer<'s> {
    fn rest(&self) -> &'s [u8] {
        self.input.as_bytes().get(self.pos..).unwrap_or_default()
    }

    fn next(&mut self) -> i64 {
        let Some(c) = self.input.get(self.pos..).and_then(|s| s.chars().next()) else {
            self.at_eof = true;
            return EOF;
        };
        self.pos += c.len_utf8();
        if c == '\n' {
            self.line += 1;
        }
        i64::from(u32::from(c))
    }

    fn peek(&mut self) -> i64 {
        let r = self.next();
        self.backup();
        r
    }

    fn backup(&mut self) {
        if !self.at_eof
            && self.pos > 0
            && let Some(c) = self.input.get(..self.pos).and_then(|s| s.chars().next_back())
        {
            {
                self.pos -= c.len_utf8();
                if c == '\n' {
                    self.line -= 1;
                }
            }
        }
    }

    fn emit(&mut self, typ: ItemType) {
        let val = self.input.get(self.start..self.pos).unwrap_or_default();
        self.items.push(Item {
            typ,
            pos: self.start,
            val: Cow::Borrowed(val),
            line: self.start_line,
        });
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn ignore(&mut self) {
        self.line += count_newlines(self.input.get(self.start..self.pos).unwrap_or_default());
        self.start = self.pos;
        self.start_line = self.line;
    }

    fn accept(&mut self, valid: &str) -> bool {
        let r = self.next();
        if r != EOF && valid.bytes().any(|b| i64::from(b) == r) {
            return true;
        }
        self.backup();
        false
    }

    fn accept_run(&mut self, valid: &str) {
        loop {
            let r = self.next();
            if r == EOF || !valid.bytes().any(|b| i64::from(b) == r) {
                break;
            }
        }
        self.backup();
    }

    fn errorf(&mut self, msg: String) -> State {
        self.items.push(Item {
            typ: ItemType::Error,
            pos: self.start,
            val: Cow::Owned(msg),
            line: self.start_line,
        });
        State::Done
    }

    fn lex_text(&mut self) -> State {
        if let Some(x) = self.input.get(self.pos..).and_then(|s| s.find(LEFT_DELIM)) {
            let ldn = LEFT_DELIM.len();
            self.pos += x;
            let mut trim_length = 0;
            if has_left_trim_marker(self.input.as_bytes().get(self.pos + ldn..).unwrap_or_default()) {
                let text = self.input.get(self.start..self.pos).unwrap_or_default();
                trim_length = text.len() - text.trim_end_matches([' ', '\t', '\r', '\n']).len();
            }
            self.pos -= trim_length;
            if self.pos > self.start {
                self.line += count_newlines(self.input.get(self.start..self.pos).unwrap_or_default());
                self.emit(ItemType::Text);
            }
            self.pos += trim_length;
            self.ignore();
            return State::LeftDelim;
        }
        self.pos = self.input.len();
        if self.pos > self.start {
            self.line += count_newlines(self.input.get(self.start..self.pos).unwrap_or_default());
            self.emit(ItemType::Text);
        }
        self.emit(ItemType::Eof);
        State::Done
    }

    fn at_right_delim(&self) -> (bool, bool) {
        let rest = self.rest();
        if has_right_trim_marker(rest) && rest[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM.as_bytes()) {
            return (true, true);
        }
        if rest.starts_with(RIGHT_DELIM.as_bytes()) {
            return (true, false);
        }
        (false, false)
    }

    fn left_trim_length(&self) -> usize {
        let s = self.input.get(self.pos..).unwrap_or_default();
        s.len() - s.trim_start_matches([' ', '\t', '\r', '\n']).len()
    }

    fn lex_left_delim(&mut self) -> State {
        self.pos += LEFT_DELIM.len();
        let trim_space = has_left_trim_marker(self.rest());
        let after_marker = if trim_space { TRIM_MARKER_LEN } else { 0 };
        if self
            .rest()
            .get(after_marker..)
            .unwrap_or_default()
            .starts_with(LEFT_COMMENT.as_bytes())
        {
            self.pos += after_marker;
            self.ignore();
            return State::Comment;
        }
        self.emit(ItemType::LeftDelim);
        self.pos += after_marker;
        self.ignore();
        self.paren_depth = 0;
        State::InsideAction
    }

    fn lex_comment(&mut self) -> State {
        self.pos += LEFT_COMMENT.len();
        let Some(i) = self.input.get(self.pos..).and_then(|s| s.find(RIGHT_COMMENT)) else {
            return self.errorf("unclosed comment".to_owned());
        };
        self.pos += i + RIGHT_COMMENT.len();
        let (delim, trim_space) = self.at_right_delim();
        if !delim {
            return self.errorf("comment ends before closing delimiter".to_owned());
        }
        if trim_space {
            self.pos += TRIM_MARKER_LEN;
        }
        self.pos += RIGHT_DELIM.len();
        if trim_space {
            self.pos += self.left_trim_length();
        }
        self.ignore();
        State::Text
    }

    fn lex_right_delim(&mut self) -> State {
        let trim_space = has_right_trim_marker(self.rest());
        if trim_space {
            self.pos += TRIM_MARKER_LEN;
            self.ignore();
        }
        self.pos += RIGHT_DELIM.len();
        self.emit(ItemType::RightDelim);
        if trim_space {
            self.pos += self.left_trim_length();
            self.ignore();
        }
        State::Text
    }

    fn lex_inside_action(&mut self) -> State {
        let (delim, _) = self.at_right_delim();
        if delim {
            if self.paren_depth == 0 {
                return State::RightDelim;
            }
            return self.errorf("unclosed left paren".to_owned());
        }
        let r = self.next();
        if r == EOF {
            return self.errorf("unclosed action".to_owned());
        }
        if is_space(r) {
            self.backup();
            return State::Space;
        }
        let c = u8::try_from(r).ok();
        match c {
            Some(b'=') => self.emit(ItemType::Assign),
            Some(b':') => {
                if self.next() != i64::from(b'=') {
                    return self.errorf("expected :=".to_owned());
                }
                self.emit(ItemType::Declare);
            }
            Some(b'|') => self.emit(ItemType::Pipe),
            Some(b'"') => return State::Quote,
            Some(b'`') => return State::RawQuote,
            Some(b'$') => return State::Variable,
            Some(b'\'') => return State::Char,
            Some(b'.') => {
                // Special look-ahead for ".field" so backup keeps working.
                if let Some(&next) = self.input.as_bytes().get(self.pos)
                    && !next.is_ascii_digit()
                {
                    return State::Field;
                }
                self.backup();
                return State::Number;
            }
            Some(b'+' | b'-' | b'0'..=b'9') => {
                self.backup();
                return State::Number;
            }
            _ if is_alpha_numeric(r) => {
                self.backup();
                return State::Identifier;
            }
            Some(b'(') => {
                self.emit(ItemType::LeftParen);
                self.paren_depth += 1;
            }
            Some(b')') => {
                self.emit(ItemType::RightParen);
                self.paren_depth -= 1;
                if self.paren_depth < 0 {
                    return self.errorf(format!("unexpected right paren {}", sharp_u(r)));
                }
            }
            Some(b) if b <= 0x7F && is_print(u32::from(b)) => self.emit(ItemType::Char),
            _ => return self.errorf(format!("unrecognized character in action: {}", sharp_u(r))),
        }
        State::InsideAction
    }

    fn lex_space(&mut self) -> State {
        let mut num_spaces = 0;
        loop {
            let r = self.peek();
            if !is_space(r) {
                break;
            }
            self.next();
            num_spaces += 1;
        }
        // Be careful about a trim-marked closing delimiter, which has a minus
        // after a space: the space belongs to the delimiter.
        let before = self
            .input
            .as_bytes()
            .get(self.pos.saturating_sub(1)..)
            .unwrap_or_default();
        if has_right_trim_marker(before) && before[TRIM_MARKER_LEN..].starts_with(RIGHT_DELIM.as_bytes()) {
            self.backup();
            if num_spaces == 1 {
                return State::RightDelim;
            }
        }
        self.emit(ItemType::Space);
        State::InsideAction
    }

    fn lex_identifier(&mut self) -> State {
        loop {
            let r = self.next();
            if is_alpha_numeric(r) {
                continue;
            }
            self.backup();
            let word = self.input.get(self.start..self.pos).unwrap_or_default();
            if !self.at_terminator() {
                return self.errorf(format!("bad character {}", sharp_u(r)));
            }
            match keyword(word) {
                Some(k) if k > ItemType::Keyword => self.emit(k),
                _ if word.starts_with('.') => self.emit(ItemType::Field),
                _ if word == "true" || word == "false" => self.emit(ItemType::Bool),
                _ => self.emit(ItemType::Identifier),
            }
            return State::InsideAction;
        }
    }

    fn lex_variable(&mut self) -> State {
        if self.at_terminator() {
            self.emit(ItemType::Variable);
            return State::InsideAction;
        }
        self.lex_field_or_variable(ItemType::Variable)
    }

    fn lex_field_or_variable(&mut self, typ: ItemType) -> State {
        if self.at_terminator() {
            if typ == ItemType::Variable {
                self.emit(ItemType::Variable);
            } else {
                self.emit(ItemType::Dot);
            }
            return State::InsideAction;
        }
        let mut r;
        loop {
            r = self.next();
            if !is_alpha_numeric(r) {
                self.backup();
                break;
            }
        }
        if !self.at_terminator() {
            return self.errorf(format!("bad character {}", sharp_u(r)));
        }
        self.emit(typ);
        State::InsideAction
    }

    fn at_terminator(&mut self) -> bool {
        let r = self.peek();
        if is_space(r) {
            return true;
        }
        if r == EOF || matches!(u8::try_from(r), Ok(b'.' | b',' | b'|' | b':' | b')' | b'(')) {
            return true;
        }
        self.rest().starts_with(RIGHT_DELIM.as_bytes())
    }

    fn lex_char(&mut self) -> State {
        loop {
            let r = self.next();
            if r == i64::from(b'\\') {
                let r2 = self.next();
                if r2 != EOF && r2 != i64::from(b'\n') {
                    continue;
                }
                return self.errorf("unterminated character constant".to_owned());
            }
            if r == EOF || r == i64::from(b'\n') {
                return self.errorf("unterminated character constant".to_owned());
            }
            if r == i64::from(b'\'') {
                break;
            }
        }
        self.emit(ItemType::CharConstant);
        State::InsideAction
    }

    fn lex_number(&mut self) -> State {
        if !self.scan_number() {
            return self.bad_number();
        }
        let sign = self.peek();
        if sign == i64::from(b'+') || sign == i64::from(b'-') {
            // Complex: 1+2i. No spaces, must end in 'i'.
            if !self.scan_number() || self.input.as_bytes().get(self.pos - 1) != Some(&b'i') {
                return self.bad_number();
            }
            self.emit(ItemType::Complex);
        } else {
            self.emit(ItemType::Number);
        }
        State::InsideAction
    }

    fn bad_number(&mut self) -> State {
        let text = self.input.get(self.start..self.pos).unwrap_or_default();
        let mut q = Vec::new();
        crate::strconv::append_quote(&mut q, text.as_bytes(), b'"', false);
        let msg = format!("bad number syntax: {}", crate::strconv::bytes_to_string(q));
        self.errorf(msg)
    }

    fn scan_number(&mut self) -> bool {
        self.accept("+-");
        let mut digits = "0123456789_";
        if self.accept("0") {
            // A leading 0 does not mean octal in floats.
            if self.accept("xX") {
                digits = "0123456789abcdefABCDEF_";
            } else if self.accept("oO") {
                digits = "01234567_";
            } else if self.accept("bB") {
                digits = "01_";
            }
        }
        self.accept_run(digits);
        if self.accept(".") {
            self.accept_run(digits);
        }
        if digits.len() == 10 + 1 && self.accept("eE") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        if digits.len() == 16 + 6 + 1 && self.accept("pP") {
            self.accept("+-");
            self.accept_run("0123456789_");
        }
        // Is it imaginary?
        self.accept("i");
        // The next thing must not be alphanumeric.
        if is_alpha_numeric(self.peek()) {
            self.next();
            return false;
        }
        true
    }

    fn lex_quote(&mut self) -> State {
        loop {
            let r = self.next();
            if r == i64::from(b'\\') {
                let r2 = self.next();
                if r2 != EOF && r2 != i64::from(b'\n') {
                    continue;
                }
                return self.errorf("unterminated quoted string".to_owned());
            }
            if r == EOF || r == i64::from(b'\n') {
                return self.errorf("unterminated quoted string".to_owned());
            }
            if r == i64::from(b'"') {
                break;
            }
        }
        self.emit(ItemType::String);
        State::InsideAction
    }

    fn lex_raw_quote(&mut self) -> State {
        loop {
            let r = self.next();
            if r == EOF {
                return self.errorf("unterminated raw quoted string".to_owned());
            }
            if r == i64::from(b'`') {
                break;
            }
        }
        self.emit(ItemType::RawString);
        State::InsideAction
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(s: &str) -> Vec<(ItemType, String)> {
        lex(s).into_iter().map(|i| (i.typ, i.val.into_owned())).collect()
    }

    #[test]
    fn trim_markers_need_a_space() {
        use ItemType::*;
        assert_eq!(
            kinds("a {{- 3 -}} b"),
            vec![
                (Text, "a".into()),
                (LeftDelim, "{{".into()),
                (Number, "3".into()),
                (RightDelim, "}}".into()),
                (Text, "b".into()),
                (Eof, std::string::String::new()),
            ]
        );
        assert_eq!(kinds("{{-3}}")[1], (Number, "-3".into()));
    }

    #[test]
    fn fields_and_variables() {
        use ItemType::*;
        let k = kinds("{{$x.a .b.c $}}");
        let typs: Vec<ItemType> = k.iter().map(|(t, _)| *t).collect();
        assert_eq!(
            typs,
            vec![
                LeftDelim, Variable, Field, Space, Field, Field, Space, Variable, RightDelim, Eof
            ]
        );
    }

    #[test]
    fn errors_stop_the_scan() {
        let items = lex("{{ \"abc }}");
        let last = items.last().unwrap();
        assert_eq!(last.typ, ItemType::Error);
        assert_eq!(last.val, "unterminated quoted string");
        assert_eq!(
            lex("{{\u{1}}}").last().unwrap().val,
            "unrecognized character in action: U+0001"
        );
    }

    #[test]
    fn describes_items_like_go() {
        let item = Item {
            typ: ItemType::String,
            pos: 0,
            val: "\"abcdefghijkl\"".into(),
            line: 1,
        };
        assert_eq!(item.describe(), r#""\"abcdefghi"..."#);
        let kw = Item {
            typ: ItemType::End,
            pos: 0,
            val: "end".into(),
            line: 1,
        };
        assert_eq!(kw.describe(), "<end>");
    }
}
