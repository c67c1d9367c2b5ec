//! Scanning: template source → a flat list of tokens.
//!
//! The source alternates between plain text and actions. Text runs up to the
//! next `{{`; an action runs from `{{` to `}}` and is cut into words,
//! literals and punctuation. The whole input is scanned in one pass before
//! parsing starts, so the parser can look ahead and back freely.
//!
//! Facts this follows (Go's documented template syntax and its observable
//! behaviour, which error messages expose):
//!
//! - `{{- ` and ` -}}` trim the whitespace (space, tab, CR, LF) before and
//!   after the action; the `-` must be separated from the rest of the action
//!   by one of those whitespace characters.
//! - `{{/* ... */}}` is a comment (trim markers allowed around it); it
//!   produces nothing. The `*/` must be followed directly by the closing
//!   delimiter.
//! - Inside an action, whitespace is a token of its own: arguments are
//!   separated by it, and a field chain must follow its operand directly
//!   (`(x).a` is one operand, `(x) .a` two).
//! - Every token records its byte offset and its 1-based line, because parse
//!   errors quote the line of the last token the parser looked at.
//! - Scanning stops at the first error, which becomes the last token.

use std::borrow::Cow;

use crate::strconv::{append_quote, bytes_to_string};
use crate::unicode::{is_digit, is_letter, is_print};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Tok {
    /// Plain text outside actions.
    Text,
    /// `{{`
    Open,
    /// `}}`
    Close,
    /// A run of whitespace inside an action.
    Space,
    /// `:=`
    Declare,
    /// `=`
    Assign,
    /// `|`
    Bar,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// Any other printable ASCII character, such as `,`.
    Punct,
    /// `.name`, one segment: `.a.b` is two tokens.
    Field,
    /// `$` or `$name`.
    Var,
    /// A function name.
    Ident,
    /// `true` or `false`.
    Bool,
    /// A numeric literal such as `12`, `0x1F`, `1.5e3` or `2i`.
    Number,
    /// A complex literal written as a sum, such as `1+2i`.
    Complex,
    /// A character literal such as `'a'`.
    CharLit,
    /// A `"..."` literal.
    Str,
    /// A `` `...` `` literal.
    RawStr,
    /// `.` on its own.
    Dot,
    /// `nil`
    Nil,
    /// A control word: `if`, `range`, `end`, ...
    Word(Keyword),
    /// The end of the input.
    Eof,
    /// A scanning error; the token's text is the message.
    Bad,
}

/// The reserved words that introduce or close control structures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Keyword {
    Block,
    Break,
    Continue,
    Define,
    Else,
    End,
    If,
    Range,
    Template,
    With,
}

/// One scanned token.
#[derive(Debug, Clone)]
pub(crate) struct Token<'s> {
    pub(crate) tok: Tok,
    /// Byte offset in the source.
    pub(crate) pos: usize,
    /// 1-based line of `pos`.
    pub(crate) line: usize,
    /// The source text of the token, or the message of a `Bad` token.
    pub(crate) text: Cow<'s, str>,
}

impl Token<'_> {
    /// How the token is named in "unexpected ..." messages: reserved words
    /// (including `.` and `nil`) in angle brackets, the end as `EOF`, an
    /// error as its message, anything else Go-quoted and cut to ten
    /// characters when longer than ten bytes.
    pub(crate) fn describe(&self) -> String {
        match self.tok {
            Tok::Eof => "EOF".to_owned(),
            Tok::Bad => self.text.to_string(),
            Tok::Word(_) | Tok::Dot | Tok::Nil => format!("<{}>", self.text),
            _ => {
                let long = self.text.len() > 10;
                let shown: String = if long {
                    self.text.chars().take(10).collect()
                } else {
                    self.text.to_string()
                };
                let mut out = go_quote(&shown);
                if long {
                    out.push_str("...");
                }
                out
            }
        }
    }
}

fn go_quote(s: &str) -> String {
    let mut buf = Vec::with_capacity(s.len() + 2);
    append_quote(&mut buf, s.as_bytes(), b'"', false);
    bytes_to_string(buf)
}

/// Scans all of `src`. The last token is `Eof`, or `Bad` if scanning failed.
pub(crate) fn tokenize(src: &str) -> Vec<Token<'_>> {
    let mut sc = Scanner {
        src,
        at: 0,
        out: Vec::new(),
        counted_to: 0,
        counted_line: 1,
    };
    sc.run();
    sc.out
}

/// The whitespace that separates things inside actions and that trim
/// markers remove.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_blank_byte(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// Characters that may make up a name: letters, digits and `_`.
fn is_word_char(c: char) -> bool {
    c == '_' || is_letter(u32::from(c)) || is_digit(u32::from(c))
}

/// `U+0041 'A'`, or `U+0001` for a character that does not print (Go's `%#U`).
fn describe_char(c: char) -> String {
    let code = u32::from(c);
    if is_print(code) {
        format!("U+{code:04X} '{c}'")
    } else {
        format!("U+{code:04X}")
    }
}

/// Whether `rest` starts with a closing delimiter; `Some(true)` when it is
/// the trimming form ` -}}`.
fn closing_delimiter(rest: &[u8]) -> Option<bool> {
    match rest {
        [b, b'-', b'}', b'}', ..] if is_blank_byte(*b) => Some(true),
        [b'}', b'}', ..] => Some(false),
        _ => None,
    }
}

/// Whether an opening delimiter is followed by a trim marker: `-` then blank.
fn opens_with_trim(after_open: &[u8]) -> bool {
    matches!(after_open, [b'-', b, ..] if is_blank_byte(*b))
}

struct Scanner<'s> {
    src: &'s str,
    /// The next byte to look at.
    at: usize,
    out: Vec<Token<'s>>,
    /// Line bookkeeping: the line number at byte `counted_to`.
    counted_to: usize,
    counted_line: usize,
}

/// A failed scan: where the offending token starts, and why.
type Failure = (usize, String);

impl<'s> Scanner<'s> {
    fn bytes(&self) -> &'s [u8] {
        self.src.as_bytes()
    }

    fn rest_at(&self, at: usize) -> &'s str {
        self.src.get(at..).unwrap_or_default()
    }

    fn char_at(&self, at: usize) -> Option<char> {
        self.rest_at(at).chars().next()
    }

    fn line_of(&mut self, pos: usize) -> usize {
        if pos < self.counted_to {
            self.counted_to = 0;
            self.counted_line = 1;
        }
        let span = self.bytes().get(self.counted_to..pos).unwrap_or_default();
        self.counted_line += span.iter().filter(|&&b| b == b'\n').count();
        self.counted_to = pos;
        self.counted_line
    }

    fn push(&mut self, tok: Tok, start: usize, end: usize) {
        let line = self.line_of(start);
        let text = Cow::Borrowed(self.src.get(start..end).unwrap_or_default());
        self.out.push(Token {
            tok,
            pos: start,
            line,
            text,
        });
    }

    fn push_failure(&mut self, (pos, msg): Failure) {
        let line = self.line_of(pos);
        self.out.push(Token {
            tok: Tok::Bad,
            pos,
            line,
            text: Cow::Owned(msg),
        });
    }

    /// Alternates between text and actions until the input or a scan ends.
    fn run(&mut self) {
        loop {
            let Some(offset) = self.rest_at(self.at).find("{{") else {
                let end = self.src.len();
                if end > self.at {
                    self.push(Tok::Text, self.at, end);
                }
                self.push(Tok::Eof, end, end);
                return;
            };
            let open = self.at + offset;
            let after_open = open + 2;
            let trim_before = opens_with_trim(self.bytes().get(after_open..).unwrap_or_default());
            let text = self.src.get(self.at..open).unwrap_or_default();
            let text_end = if trim_before {
                self.at + text.trim_end_matches(is_blank).len()
            } else {
                open
            };
            if text_end > self.at {
                self.push(Tok::Text, self.at, text_end);
            }
            let body = if trim_before { after_open + 2 } else { after_open };
            let result = if self.rest_at(body).starts_with("/*") {
                self.skip_comment(body)
            } else {
                self.push(Tok::Open, open, after_open);
                self.action(body)
            };
            match result {
                Ok(next) => self.at = next,
                Err(failure) => {
                    self.push_failure(failure);
                    return;
                }
            }
        }
    }

    /// Skips a comment starting at the `/*` at `start`, and its closing
    /// delimiter; returns where the text after it begins.
    fn skip_comment(&mut self, start: usize) -> Result<usize, Failure> {
        let Some(len) = self.rest_at(start + 2).find("*/") else {
            return Err((start, "unclosed comment".to_owned()));
        };
        let after = start + 2 + len + 2;
        match closing_delimiter(self.bytes().get(after..).unwrap_or_default()) {
            Some(false) => Ok(after + 2),
            Some(true) => Ok(self.skip_blanks(after + 4)),
            None => Err((start, "comment ends before closing delimiter".to_owned())),
        }
    }

    fn skip_blanks(&self, from: usize) -> usize {
        let rest = self.rest_at(from);
        from + (rest.len() - rest.trim_start_matches(is_blank).len())
    }

    /// Scans the inside of an action starting at `at` up to and including
    /// its closing delimiter; returns where the following text begins.
    fn action(&mut self, mut at: usize) -> Result<usize, Failure> {
        let mut open_parens = 0usize;
        loop {
            if let Some(trim) = closing_delimiter(self.bytes().get(at..).unwrap_or_default()) {
                if open_parens > 0 {
                    return Err((at, "unclosed left paren".to_owned()));
                }
                let delim = if trim { at + 2 } else { at };
                self.push(Tok::Close, delim, delim + 2);
                return Ok(if trim { self.skip_blanks(delim + 2) } else { delim + 2 });
            }
            let Some(c) = self.char_at(at) else {
                return Err((at, "unclosed action".to_owned()));
            };
            let start = at;
            let single = |tok| (tok, start + 1);
            let (tok, end) = match c {
                c if is_blank(c) => {
                    let mut end = self.skip_blanks(start);
                    // In `x  -}}` the blank just before the `-` belongs to
                    // the closing delimiter, not to this run.
                    if self.rest_at(end).starts_with("-}}") {
                        end -= 1;
                    }
                    (Tok::Space, end)
                }
                '=' => single(Tok::Assign),
                '|' => single(Tok::Bar),
                ':' => {
                    if self.bytes().get(start + 1) != Some(&b'=') {
                        return Err((start, "expected :=".to_owned()));
                    }
                    (Tok::Declare, start + 2)
                }
                '"' => (Tok::Str, self.quoted(start, '"', "unterminated quoted string")?),
                '\'' => (
                    Tok::CharLit,
                    self.quoted(start, '\'', "unterminated character constant")?,
                ),
                '`' => match self.rest_at(start + 1).find('`') {
                    Some(len) => (Tok::RawStr, start + 1 + len + 1),
                    None => return Err((start, "unterminated raw quoted string".to_owned())),
                },
                '$' => (Tok::Var, self.name_after(start, start + 1)?),
                '.' if self.bytes().get(start + 1).is_some_and(|b| !b.is_ascii_digit()) => {
                    let end = self.name_after(start, start + 1)?;
                    (if end == start + 1 { Tok::Dot } else { Tok::Field }, end)
                }
                '.' | '+' | '-' | '0'..='9' => self.number(start)?,
                c if is_word_char(c) => self.word(start)?,
                '(' => {
                    open_parens += 1;
                    single(Tok::LParen)
                }
                ')' => {
                    self.push(Tok::RParen, start, start + 1);
                    let Some(depth) = open_parens.checked_sub(1) else {
                        return Err((start + 1, format!("unexpected right paren {}", describe_char(c))));
                    };
                    open_parens = depth;
                    at = start + 1;
                    continue;
                }
                c if c.is_ascii() && is_print(u32::from(c)) => single(Tok::Punct),
                c => {
                    return Err((start, format!("unrecognized character in action: {}", describe_char(c))));
                }
            };
            self.push(tok, start, end);
            at = end;
        }
    }

    /// The end of a quoted literal opened at `start`. A backslash escapes
    /// the next character; the literal may not span lines.
    fn quoted(&self, start: usize, quote: char, unterminated: &str) -> Result<usize, Failure> {
        let mut chars = self.rest_at(start + 1).char_indices();
        while let Some((i, c)) = chars.next() {
            let escaped = if c == '\\' {
                chars.next().map(|(_, e)| e)
            } else {
                Some(c)
            };
            match escaped {
                None | Some('\n') => break,
                Some(_) if c == quote => return Ok(start + 1 + i + 1),
                Some(_) => {}
            }
        }
        Err((start, unterminated.to_owned()))
    }

    /// Whether a name, word or number may end at `at`: at the end, before
    /// blank, one of `.,|:()`, or a closing delimiter.
    fn ends_here(&self, at: usize) -> bool {
        match self.char_at(at) {
            None => true,
            Some(c) => is_blank(c) || ".,|:()".contains(c) || self.rest_at(at).starts_with("}}"),
        }
    }

    /// The end of a run of word characters from `from`.
    fn word_end(&self, from: usize) -> usize {
        let rest = self.rest_at(from);
        from + (rest.len() - rest.trim_start_matches(is_word_char).len())
    }

    /// Checks that a token begun at `start` may end at `end`.
    fn terminated(&self, start: usize, end: usize) -> Result<usize, Failure> {
        match self.char_at(end) {
            Some(c) if !self.ends_here(end) => Err((start, format!("bad character {}", describe_char(c)))),
            _ => Ok(end),
        }
    }

    /// The end of a `$name` or `.name` whose sigil is at `start`; the name
    /// may be empty (`$`, `.`).
    fn name_after(&self, start: usize, from: usize) -> Result<usize, Failure> {
        if self.ends_here(from) {
            return Ok(from);
        }
        self.terminated(start, self.word_end(from))
    }

    /// A bare word: a keyword, `true`/`false`, `nil` or a function name.
    fn word(&self, start: usize) -> Result<(Tok, usize), Failure> {
        let end = self.terminated(start, self.word_end(start))?;
        let tok = match self.src.get(start..end).unwrap_or_default() {
            "block" => Tok::Word(Keyword::Block),
            "break" => Tok::Word(Keyword::Break),
            "continue" => Tok::Word(Keyword::Continue),
            "define" => Tok::Word(Keyword::Define),
            "else" => Tok::Word(Keyword::Else),
            "end" => Tok::Word(Keyword::End),
            "if" => Tok::Word(Keyword::If),
            "range" => Tok::Word(Keyword::Range),
            "template" => Tok::Word(Keyword::Template),
            "with" => Tok::Word(Keyword::With),
            "nil" => Tok::Nil,
            "true" | "false" => Tok::Bool,
            _ => Tok::Ident,
        };
        Ok((tok, end))
    }

    /// A number, or a complex sum of two numbers written without spaces
    /// (`1+2i`, whose second part must end in `i`).
    fn number(&self, start: usize) -> Result<(Tok, usize), Failure> {
        let bad = |end: usize| {
            let text = self.src.get(start..end).unwrap_or_default();
            (start, format!("bad number syntax: {}", go_quote(text)))
        };
        let first = self.numeral(start).map_err(bad)?;
        if !matches!(self.bytes().get(first), Some(b'+' | b'-')) {
            return Ok((Tok::Number, first));
        }
        let second = self.numeral(first).map_err(bad)?;
        if second == 0 || self.bytes().get(second - 1) != Some(&b'i') {
            return Err(bad(second));
        }
        Ok((Tok::Complex, second))
    }

    /// Scans one numeral from `at`, leniently: an optional sign, an optional
    /// base prefix (`0x`, `0o`, `0b`), digits and underscores of that base,
    /// a fraction, an exponent (`e` for decimal, `p` for hexadecimal) and an
    /// imaginary `i`, each part optional. Whether the result means anything
    /// is the parser's question. A word character right after it makes it
    /// malformed; the error then covers that character too.
    fn numeral(&self, mut at: usize) -> Result<usize, usize> {
        let b = self.bytes();
        let peek = |at: usize| b.get(at).copied().unwrap_or(0);
        let run = |mut at: usize, ok: &dyn Fn(u8) -> bool| {
            while at < b.len() && ok(b[at]) {
                at += 1;
            }
            at
        };
        if matches!(peek(at), b'+' | b'-') {
            at += 1;
        }
        enum Base {
            Dec,
            Hex,
            Other,
        }
        let mut base = Base::Dec;
        let mut digit: fn(u8) -> bool = |c| c.is_ascii_digit() || c == b'_';
        if peek(at) == b'0' {
            at += 1;
            match peek(at) {
                b'x' | b'X' => {
                    at += 1;
                    base = Base::Hex;
                    digit = |c| c.is_ascii_hexdigit() || c == b'_';
                }
                b'o' | b'O' => {
                    at += 1;
                    base = Base::Other;
                    digit = |c| matches!(c, b'0'..=b'7' | b'_');
                }
                b'b' | b'B' => {
                    at += 1;
                    base = Base::Other;
                    digit = |c| matches!(c, b'0' | b'1' | b'_');
                }
                _ => {}
            }
        }
        at = run(at, &digit);
        if peek(at) == b'.' {
            at = run(at + 1, &digit);
        }
        let exponent = match base {
            Base::Dec => matches!(peek(at), b'e' | b'E'),
            Base::Hex => matches!(peek(at), b'p' | b'P'),
            Base::Other => false,
        };
        if exponent {
            at += 1;
            if matches!(peek(at), b'+' | b'-') {
                at += 1;
            }
            at = run(at, &|c| c.is_ascii_digit() || c == b'_');
        }
        if peek(at) == b'i' {
            at += 1;
        }
        match self.char_at(at) {
            Some(c) if is_word_char(c) => Err(at + c.len_utf8()),
            _ => Ok(at),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(src: &str) -> Vec<(Tok, String)> {
        tokenize(src)
            .into_iter()
            .map(|t| (t.tok, t.text.into_owned()))
            .collect()
    }

    fn toks(src: &str) -> Vec<Tok> {
        tokenize(src).into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn trim_markers_remove_blanks_and_need_one() {
        assert_eq!(
            scan("a \n{{- 3 -}}\t b"),
            vec![
                (Tok::Text, "a".into()),
                (Tok::Open, "{{".into()),
                (Tok::Number, "3".into()),
                (Tok::Close, "}}".into()),
                (Tok::Text, "b".into()),
                (Tok::Eof, String::new()),
            ]
        );
        assert_eq!(scan("{{-3}}")[1], (Tok::Number, "-3".into()));
        // Two blanks before the marker: the first is a space token.
        assert_eq!(
            toks("{{3  -}}"),
            vec![Tok::Open, Tok::Number, Tok::Space, Tok::Close, Tok::Eof]
        );
    }

    #[test]
    fn comments_vanish() {
        assert_eq!(
            scan("a {{- /* x */ -}} b"),
            vec![
                (Tok::Text, "a".into()),
                (Tok::Text, "b".into()),
                (Tok::Eof, String::new())
            ]
        );
        assert_eq!(toks("{{/* x */}}"), vec![Tok::Eof]);
        assert_eq!(tokenize("{{/* x").last().unwrap().text, "unclosed comment");
        assert_eq!(
            tokenize("{{/* x */ }}").last().unwrap().text,
            "comment ends before closing delimiter"
        );
    }

    #[test]
    fn names_and_sigils() {
        use Tok::*;
        assert_eq!(
            toks("{{$x.a .b.c $ . nil if true len}}"),
            vec![
                Open,
                Var,
                Field,
                Space,
                Field,
                Field,
                Space,
                Var,
                Space,
                Dot,
                Space,
                Nil,
                Space,
                Word(Keyword::If),
                Space,
                Bool,
                Space,
                Ident,
                Close,
                Eof
            ]
        );
        assert_eq!(tokenize("{{.a+}}").last().unwrap().text, "bad character U+002B '+'");
    }

    #[test]
    fn numbers() {
        assert_eq!(scan("{{1+2i}}")[1], (Tok::Complex, "1+2i".into()));
        assert_eq!(scan("{{0x1p-2}}")[1], (Tok::Number, "0x1p-2".into()));
        assert_eq!(scan("{{.5}}")[1], (Tok::Number, ".5".into()));
        assert_eq!(tokenize("{{0o8}}").last().unwrap().text, r#"bad number syntax: "0o8""#);
        assert_eq!(tokenize("{{1+2}}").last().unwrap().text, r#"bad number syntax: "1+2""#);
    }

    #[test]
    fn errors_end_the_scan() {
        assert_eq!(
            tokenize("{{ \"abc }}").last().unwrap().text,
            "unterminated quoted string"
        );
        assert_eq!(
            tokenize("{{\u{1}}}").last().unwrap().text,
            "unrecognized character in action: U+0001"
        );
        let t = tokenize("{{1)}}");
        assert_eq!(t[t.len() - 2].tok, Tok::RParen);
        assert_eq!(t.last().unwrap().text, "unexpected right paren U+0029 ')'");
        assert_eq!(tokenize("x\n{{(1}}").last().unwrap().line, 2);
    }

    #[test]
    fn descriptions() {
        let t = |tok, text: &str| Token {
            tok,
            pos: 0,
            line: 1,
            text: text.to_owned().into(),
        };
        assert_eq!(t(Tok::Str, "\"abcdefghijkl\"").describe(), r#""\"abcdefghi"..."#);
        assert_eq!(t(Tok::Word(Keyword::End), "end").describe(), "<end>");
        assert_eq!(t(Tok::Dot, ".").describe(), "<.>");
        assert_eq!(t(Tok::Eof, "").describe(), "EOF");
    }
}
