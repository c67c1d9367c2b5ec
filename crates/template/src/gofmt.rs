//! Go's `fmt` printing as far as templates reach it: the `print`,
//! `println` and `printf` builtins, the printing of action results, and the
//! `%v`/`%s` of values inside error messages.
//!
//! The behaviour is Go's documented one (verbs, flags, width and precision,
//! `map[k:v]` and `[a b]` for composites, `<nil>`) including its error forms:
//! `%!d(string=x)` for a verb that does not suit the value, `%!d(MISSING)`,
//! `%!(EXTRA type=value)`, `%!d(BADINDEX)`, `%!(BADWIDTH)`, `%!(BADPREC)`,
//! `%!(NOVERB)`. Template data has no methods, so there is no `Stringer` or
//! `error` dispatch; `%p` prints a real address, which varies like Go's.
//!
//! Layout: `sprintf` reads a directive into a `Spec`, then a `Printer`
//! renders one argument under that spec; the same `Printer` with an empty
//! spec serves `sprint`, `sprintln` and action output.

use crate::strconv::{append_quote, append_quoted_char, bytes_to_string, fits_backquotes, format_float};
use crate::unicode::is_print;
use crate::utf8::{MAX_CODE_POINT, REPLACEMENT, char_count, decode_char, push_char};
use crate::val::{Conc, Val};

/// Widths, precisions and argument numbers above this are refused, as Go
/// refuses them.
const LIMIT: i64 = 1_000_000;

/// `fmt.Sprint`: operands in `%v`, with a space between two neighbours
/// when neither is a string. `None` is a nil interface.
pub(crate) fn sprint(out: &mut Vec<u8>, args: &[Option<Conc<'_>>]) {
    let mut p = Printer::new(out);
    let mut after_string = true;
    for arg in args {
        let is_string = matches!(arg, Some(Conc::Str(_)));
        if !is_string && !after_string {
            p.out.push(b' ');
        }
        p.top(arg.as_ref(), 'v');
        after_string = is_string;
    }
}

/// `fmt.Sprintln`: operands in `%v`, space separated, then a newline.
pub(crate) fn sprintln(out: &mut Vec<u8>, args: &[Option<Conc<'_>>]) {
    let mut p = Printer::new(out);
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.out.push(b' ');
        }
        p.top(arg.as_ref(), 'v');
    }
    p.out.push(b'\n');
}

/// How an action prints its (non-nil) result.
pub(crate) fn print_one(out: &mut Vec<u8>, v: &Conc<'_>) {
    match v {
        Conc::Str(s) => out.extend_from_slice(s),
        other => Printer::new(out).top(Some(other), 'v'),
    }
}

/// A runtime value under a bare `%v` or `%s`, as Go's messages embed them.
pub(crate) fn format_val(v: &Val<'_>, verb: char) -> String {
    let mut out = Vec::new();
    let mut p = Printer::new(&mut out);
    match v {
        Val::Invalid => p.out.extend_from_slice(b"<invalid reflect.Value>"),
        Val::NilIface => p.out.extend_from_slice(b"<nil>"),
        Val::Iface(c) | Val::Conc(c) => p.value(c, verb),
    }
    bytes_to_string(out)
}

/// `fmt.Sprintf`.
pub(crate) fn sprintf(out: &mut Vec<u8>, format: &[u8], args: &[Option<Conc<'_>>]) {
    let mut p = Printer::new(out);
    let mut args = Cursor {
        args,
        next: 0,
        reordered: false,
        valid: true,
    };
    let mut i = 0;
    while i < format.len() {
        let literal_end = format[i..]
            .iter()
            .position(|&b| b == b'%')
            .map_or(format.len(), |k| i + k);
        p.out.extend_from_slice(&format[i..literal_end]);
        if literal_end == format.len() {
            break;
        }
        i = literal_end + 1;
        match p.directive(format, &mut i, &mut args) {
            Step::Continue => {}
            Step::Stop => break,
        }
    }
    if !args.reordered && args.next < args.args.len() {
        p.spec = Spec::default();
        p.out.extend_from_slice(b"%!(EXTRA ");
        for (k, arg) in args.args[args.next..].iter().enumerate() {
            if k > 0 {
                p.out.extend_from_slice(b", ");
            }
            p.typed(arg.as_ref());
        }
        p.out.push(b')');
    }
}

/// The flags, width and precision of one directive.
#[derive(Debug, Default, Clone, Copy)]
struct Spec {
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    /// `%#v`: Go-syntax representation.
    go_syntax: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Which operand a directive consumes.
struct Cursor<'s, 'a> {
    args: &'s [Option<Conc<'a>>],
    next: usize,
    /// An explicit `[n]` was seen: unused operands are then not reported.
    reordered: bool,
    /// No bad `[n]` in the current directive.
    valid: bool,
}

impl Cursor<'_, '_> {
    /// Reads an `[n]` at `format[*i]`, if there is one. True when it is
    /// well formed (even if out of range), as Go decides whether a width may
    /// follow it.
    fn bracket(&mut self, format: &[u8], i: &mut usize) -> bool {
        if format.get(*i) != Some(&b'[') {
            return false;
        }
        self.reordered = true;
        let rest = &format[*i..];
        let close = if rest.len() < 3 {
            None
        } else {
            rest.iter().position(|&b| b == b']')
        };
        let Some(close) = close else {
            // No closing bracket: only the `[` is consumed.
            *i += 1;
            self.valid = false;
            return false;
        };
        *i += close + 1;
        let inside = &rest[1..close];
        let number = match read_number(inside, 0) {
            (Some(n), used) if used == inside.len() => Some(n),
            _ => None,
        };
        match number {
            Some(n) if n >= 1 && n - 1 < self.args.len() => {
                self.next = n - 1;
                true
            }
            Some(_) => {
                self.valid = false;
                true
            }
            None => {
                self.valid = false;
                false
            }
        }
    }

    /// A `*` width or precision: the next operand, which must be an integer
    /// of sensible size. It is consumed whatever it is.
    fn star(&mut self) -> Option<i64> {
        let arg = self.args.get(self.next)?;
        self.next += 1;
        let n = match arg {
            Some(Conc::Int(n)) => *n,
            Some(Conc::Uint8(n)) => i64::from(*n),
            _ => return None,
        };
        (-LIMIT..=LIMIT).contains(&n).then_some(n)
    }
}

/// Decimal digits at `s[start..]`: the number, if any, and where it ends.
/// A number growing past the limit swallows the rest of `s`.
fn read_number(s: &[u8], start: usize) -> (Option<usize>, usize) {
    let mut value: Option<i64> = None;
    let mut i = start;
    while let Some(&b) = s.get(i).filter(|b| b.is_ascii_digit()) {
        let so_far = value.unwrap_or(0);
        if so_far > LIMIT {
            return (None, s.len());
        }
        value = Some(so_far * 10 + i64::from(b - b'0'));
        i += 1;
    }
    (value.map(|v| v as usize), i)
}

enum Step {
    Continue,
    Stop,
}

struct Printer<'o> {
    out: &'o mut Vec<u8>,
    spec: Spec,
}

impl<'o> Printer<'o> {
    fn new(out: &'o mut Vec<u8>) -> Self {
        Printer {
            out,
            spec: Spec::default(),
        }
    }

    /// Handles one directive; `*i` is just past its `%`.
    fn directive(&mut self, format: &[u8], i: &mut usize, args: &mut Cursor<'_, '_>) -> Step {
        self.spec = Spec::default();
        args.valid = true;
        while let Some(&c) = format.get(*i) {
            match c {
                b'#' => self.spec.sharp = true,
                b'0' => self.spec.zero = !self.spec.minus,
                b'+' => self.spec.plus = true,
                b'-' => {
                    self.spec.minus = true;
                    self.spec.zero = false;
                }
                b' ' => self.spec.space = true,
                _ => break,
            }
            *i += 1;
        }

        let mut indexed = args.bracket(format, i);
        if format.get(*i) == Some(&b'*') {
            *i += 1;
            match args.star() {
                Some(w) => {
                    if w < 0 {
                        self.spec.minus = true;
                        self.spec.zero = false;
                    }
                    self.spec.width = Some(w.unsigned_abs() as usize);
                }
                None => self.out.extend_from_slice(b"%!(BADWIDTH)"),
            }
            indexed = false;
        } else {
            let (width, next) = read_number(format, *i);
            *i = next;
            self.spec.width = width;
            // `%[1]5d`: a literal width may not follow an index.
            if indexed && width.is_some() {
                args.valid = false;
            }
        }

        // A period is a precision only when something follows it.
        if *i + 1 < format.len() && format[*i] == b'.' {
            *i += 1;
            if indexed {
                args.valid = false;
            }
            indexed = args.bracket(format, i);
            if format.get(*i) == Some(&b'*') {
                *i += 1;
                match args.star() {
                    Some(p) if p >= 0 => self.spec.prec = Some(p as usize),
                    _ => self.out.extend_from_slice(b"%!(BADPREC)"),
                }
                indexed = false;
            } else {
                let (prec, next) = read_number(format, *i);
                *i = next;
                self.spec.prec = Some(prec.unwrap_or(0));
            }
        }
        if !indexed {
            args.bracket(format, i);
        }

        let Some(rest) = format.get(*i..).filter(|r| !r.is_empty()) else {
            self.out.extend_from_slice(b"%!(NOVERB)");
            return Step::Stop;
        };
        let (code, used) = decode_char(rest);
        *i += used;
        let verb = char::from_u32(code).unwrap_or('\u{FFFD}');
        if verb == '%' {
            self.out.push(b'%');
        } else if !args.valid {
            self.bang(verb, "BADINDEX");
        } else if let Some(arg) = args.args.get(args.next) {
            args.next += 1;
            if verb == 'v' {
                self.spec.go_syntax = self.spec.sharp;
                self.spec.sharp = false;
                self.spec.plus = false;
            }
            self.top(arg.as_ref(), verb);
        } else {
            self.bang(verb, "MISSING");
        }
        Step::Continue
    }

    fn push_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }

    /// `%!v(WHAT)`
    fn bang(&mut self, verb: char, what: &str) {
        self.out.extend_from_slice(b"%!");
        self.push_char(verb);
        self.out.push(b'(');
        self.out.extend_from_slice(what.as_bytes());
        self.out.push(b')');
    }

    /// `type=value` (or `<nil>`), with the current flags.
    fn typed(&mut self, arg: Option<&Conc<'_>>) {
        match arg {
            Some(c) => {
                self.out.extend_from_slice(c.type_name().as_bytes());
                self.out.push(b'=');
                self.top(Some(c), 'v');
            }
            None => self.out.extend_from_slice(b"<nil>"),
        }
    }

    /// A verb that does not apply: `%!d(string=abc)`.
    fn mismatch(&mut self, verb: char, arg: Option<&Conc<'_>>) {
        self.out.extend_from_slice(b"%!");
        self.push_char(verb);
        self.out.push(b'(');
        self.typed(arg);
        self.out.push(b')');
    }

    /// An operand of a print function.
    fn top(&mut self, arg: Option<&Conc<'_>>, verb: char) {
        let Some(c) = arg else {
            if matches!(verb, 'T' | 'v') {
                self.pad(b"<nil>");
            } else {
                self.mismatch(verb, None);
            }
            return;
        };
        match verb {
            'T' => self.text(c.type_name().as_bytes()),
            'p' => self.address(c),
            _ => self.value(c, verb),
        }
    }

    /// A value at any depth.
    fn value(&mut self, c: &Conc<'_>, verb: char) {
        match c {
            Conc::Bool(b) => match verb {
                't' | 'v' => self.pad(if *b { b"true" } else { b"false" }),
                _ => self.mismatch(verb, Some(c)),
            },
            Conc::Int(n) => self.integer(n.unsigned_abs(), *n < 0, true, verb, c),
            Conc::Uint8(n) => self.integer(u64::from(*n), false, false, verb, c),
            Conc::Float(f) => self.float(*f, verb, c),
            Conc::Complex(re, im) => match verb {
                'v' | 'b' | 'g' | 'G' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' => {
                    let plus = self.spec.plus;
                    self.out.push(b'(');
                    self.float(*re, verb, c);
                    self.spec.plus = true;
                    self.float(*im, verb, c);
                    self.out.extend_from_slice(b"i)");
                    self.spec.plus = plus;
                }
                _ => self.mismatch(verb, Some(c)),
            },
            Conc::Str(s) => match verb {
                'v' if self.spec.go_syntax => self.quoted(s),
                'v' | 's' => self.text(s),
                'q' => self.quoted(s),
                'x' | 'X' => self.hex_bytes(s, verb == 'X'),
                _ => self.mismatch(verb, Some(c)),
            },
            // No composite is an error value, so `%w` never suits one.
            _ if verb == 'w' => self.mismatch(verb, Some(c)),
            Conc::List(list) => {
                let (open, sep, close): (&[u8], &[u8], &[u8]) = if self.spec.go_syntax {
                    (b"[]interface {}{", b", ", b"}")
                } else {
                    (b"[", b" ", b"]")
                };
                self.out.extend_from_slice(open);
                for k in 0..list.len() {
                    if k > 0 {
                        self.out.extend_from_slice(sep);
                    }
                    self.element(&list.get(k), verb);
                }
                self.out.extend_from_slice(close);
            }
            Conc::Map(m) => {
                self.map_open(c);
                for (k, (key, v)) in m.iter().enumerate() {
                    self.map_key(k, key, verb);
                    self.element(&Val::from_elem(v), verb);
                }
                self.map_close();
            }
            Conc::StrMap(m) => {
                self.map_open(c);
                for (k, (key, v)) in m.iter().enumerate() {
                    self.map_key(k, key, verb);
                    self.value(&Conc::Str(v.as_bytes().into()), verb);
                }
                self.map_close();
            }
        }
    }

    /// An element of a list or map: an interface, possibly nil.
    fn element(&mut self, v: &Val<'_>, verb: char) {
        match v.concrete() {
            Some(c) => self.value(c, verb),
            None if self.spec.go_syntax => self.out.extend_from_slice(b"interface {}(nil)"),
            None => self.out.extend_from_slice(b"<nil>"),
        }
    }

    fn map_open(&mut self, c: &Conc<'_>) {
        if self.spec.go_syntax {
            self.out.extend_from_slice(c.type_name().as_bytes());
            self.out.push(b'{');
        } else {
            self.out.extend_from_slice(b"map[");
        }
    }

    fn map_key(&mut self, index: usize, key: &str, verb: char) {
        if index > 0 {
            self.out
                .extend_from_slice(if self.spec.go_syntax { b", " } else { b" " });
        }
        self.value(&Conc::Str(key.as_bytes().into()), verb);
        self.out.push(b':');
    }

    fn map_close(&mut self) {
        self.out.push(if self.spec.go_syntax { b'}' } else { b']' });
    }

    /// `%p`: only lists and maps have an address.
    fn address(&mut self, c: &Conc<'_>) {
        let addr = match c {
            Conc::List(l) => l.addr(),
            Conc::Map(m) => std::ptr::from_ref(*m) as usize,
            Conc::StrMap(m) => std::ptr::from_ref(*m) as usize,
            _ => return self.mismatch('p', Some(c)),
        };
        let sharp = self.spec.sharp;
        // `%#p` drops the 0x.
        self.spec.sharp = !sharp;
        self.digits(addr as u64, false, 16, false, 'p');
        self.spec.sharp = sharp;
    }

    // -- Padding ------------------------------------------------------------

    /// `n` padding characters: zeros under the `0` flag, else spaces.
    fn fill(&mut self, n: usize) {
        let b = if self.spec.zero { b'0' } else { b' ' };
        self.out.resize(self.out.len() + n, b);
    }

    /// `body` padded to the width, counted in characters.
    fn pad(&mut self, body: &[u8]) {
        let missing = self.spec.width.unwrap_or(0).saturating_sub(char_count(body));
        if self.spec.minus {
            self.out.extend_from_slice(body);
            self.fill(missing);
        } else {
            self.fill(missing);
            self.out.extend_from_slice(body);
        }
    }

    /// Like `pad`, but always with spaces.
    fn pad_spaces(&mut self, body: &[u8]) {
        let zero = std::mem::replace(&mut self.spec.zero, false);
        self.pad(body);
        self.spec.zero = zero;
    }

    // -- Integers -----------------------------------------------------------

    fn integer(&mut self, magnitude: u64, negative: bool, signed: bool, verb: char, c: &Conc<'_>) {
        // As a code point, a negative number is its two's complement.
        let bits = if negative { magnitude.wrapping_neg() } else { magnitude };
        match verb {
            'v' if self.spec.go_syntax && !signed => {
                let sharp = std::mem::replace(&mut self.spec.sharp, true);
                self.digits(magnitude, false, 16, false, verb);
                self.spec.sharp = sharp;
            }
            'v' | 'd' => self.digits(magnitude, negative, 10, false, verb),
            'b' => self.digits(magnitude, negative, 2, false, verb),
            'o' | 'O' => self.digits(magnitude, negative, 8, false, verb),
            'x' => self.digits(magnitude, negative, 16, false, verb),
            'X' => self.digits(magnitude, negative, 16, true, verb),
            'c' => {
                let mut body = Vec::with_capacity(4);
                push_char(&mut body, code_point(bits));
                self.pad(&body);
            }
            'q' => {
                let mut body = Vec::with_capacity(8);
                append_quoted_char(&mut body, code_point(bits), self.spec.plus);
                self.pad(&body);
            }
            'U' => {
                let min = self.spec.prec.unwrap_or(0).max(4);
                let mut body = format!("U+{bits:0min$X}").into_bytes();
                if self.spec.sharp && bits <= u64::from(MAX_CODE_POINT) && is_print(bits as u32) {
                    body.extend_from_slice(b" '");
                    push_char(&mut body, bits as i64);
                    body.push(b'\'');
                }
                self.pad_spaces(&body);
            }
            _ => self.mismatch(verb, Some(c)),
        }
    }

    /// An integer in `radix` with sign, minimum digits (precision, or the
    /// width under the `0` flag) and the `#` prefix.
    fn digits(&mut self, magnitude: u64, negative: bool, radix: u32, upper: bool, verb: char) {
        let sign: &[u8] = if negative {
            b"-"
        } else if self.spec.plus {
            b"+"
        } else if self.spec.space {
            b" "
        } else {
            b""
        };
        let min_digits = match (self.spec.prec, self.spec.width) {
            (Some(0), _) if magnitude == 0 => {
                // Zero at precision zero prints nothing but padding.
                let width = self.spec.width.unwrap_or(0);
                let zero = std::mem::replace(&mut self.spec.zero, false);
                self.fill(width);
                self.spec.zero = zero;
                return;
            }
            (Some(p), _) => p,
            (None, Some(w)) if self.spec.zero => w.saturating_sub(sign.len()),
            _ => 0,
        };
        let text = match (radix, upper) {
            (2, _) => format!("{magnitude:b}"),
            (8, _) => format!("{magnitude:o}"),
            (16, false) => format!("{magnitude:x}"),
            (16, true) => format!("{magnitude:X}"),
            _ => magnitude.to_string(),
        };
        let mut body = Vec::with_capacity(text.len() + min_digits + 4);
        body.extend_from_slice(sign);
        if verb == 'O' {
            body.extend_from_slice(b"0o");
        }
        if self.spec.sharp {
            match radix {
                2 => body.extend_from_slice(b"0b"),
                16 => body.extend_from_slice(if upper { b"0X" } else { b"0x" }),
                8 if min_digits <= text.len() && !text.starts_with('0') => body.push(b'0'),
                _ => {}
            }
        }
        body.resize(body.len() + min_digits.saturating_sub(text.len()), b'0');
        body.extend_from_slice(text.as_bytes());
        self.pad_spaces(&body);
    }

    // -- Floats ---------------------------------------------------------------

    fn float(&mut self, v: f64, verb: char, c: &Conc<'_>) {
        let (form, default_prec) = match verb {
            'v' => (b'g', None),
            'b' | 'g' | 'G' | 'x' | 'X' => (verb as u8, None),
            'f' | 'e' | 'E' => (verb as u8, Some(6)),
            'F' => (b'f', Some(6)),
            _ => return self.mismatch(verb, Some(c)),
        };
        let prec = self.spec.prec.or(default_prec);
        let mut num = Vec::with_capacity(24);
        format_float(&mut num, v, form, prec);
        if !matches!(num.first(), Some(b'-' | b'+')) {
            num.insert(0, b'+');
        }
        if self.spec.space && num[0] == b'+' && !self.spec.plus {
            num[0] = b' ';
        }
        if matches!(num[1], b'I' | b'N') {
            // Infinities and NaN: no zero padding; NaN shows a sign only
            // when one was asked for.
            let start = usize::from(num[1] == b'N' && !self.spec.space && !self.spec.plus);
            self.pad_spaces(&num[start..]);
            return;
        }
        if self.spec.sharp && form != b'b' {
            self.keep_point(&mut num, form, prec);
        }
        if self.spec.plus || num[0] != b'+' {
            match self.spec.width {
                // The sign goes before zero padding.
                Some(w) if self.spec.zero && w > num.len() => {
                    self.out.push(num[0]);
                    self.fill(w - num.len());
                    self.out.extend_from_slice(&num[1..]);
                }
                _ => self.pad(&num),
            }
        } else {
            self.pad(&num[1..]);
        }
    }

    /// The `#` flag on floats: always a decimal point, and for `%g` and
    /// `%x` trailing zeros up to the precision (6 by default). `num` starts
    /// with its sign.
    fn keep_point(&self, num: &mut Vec<u8>, form: u8, prec: Option<usize>) {
        let mut wanted: i64 = match form {
            b'g' | b'G' | b'x' => prec.map_or(6, |p| p as i64),
            _ => 0,
        };
        let exponent_at = num[1..]
            .iter()
            .position(|&b| matches!(b, b'p' | b'P') || (matches!(b, b'e' | b'E') && !matches!(form, b'x' | b'X')))
            .map(|k| k + 1);
        let exponent = match exponent_at {
            Some(k) => num.split_off(k),
            None => Vec::new(),
        };
        let has_point = num.contains(&b'.');
        // Count what follows the first significant character.
        let mut significant = false;
        for &b in &num[1..] {
            if b == b'.' {
                continue;
            }
            significant |= b != b'0';
            if significant {
                wanted -= 1;
            }
        }
        if !has_point {
            if num[1..] == *b"0" {
                wanted -= 1;
            }
            num.push(b'.');
        }
        if wanted > 0 {
            num.resize(num.len() + wanted as usize, b'0');
        }
        num.extend_from_slice(&exponent);
    }

    // -- Strings --------------------------------------------------------------

    /// `s` cut to the precision, counted in characters.
    fn cut<'s>(&self, s: &'s [u8]) -> &'s [u8] {
        let Some(limit) = self.spec.prec else { return s };
        let mut end = 0;
        for _ in 0..limit {
            if end >= s.len() {
                break;
            }
            end += decode_char(&s[end..]).1.max(1);
        }
        &s[..end]
    }

    fn text(&mut self, s: &[u8]) {
        let s = self.cut(s);
        self.pad(s);
    }

    fn quoted(&mut self, s: &[u8]) {
        let s = self.cut(s);
        let mut body = Vec::with_capacity(s.len() + 2);
        if self.spec.sharp && fits_backquotes(s) {
            body.push(b'`');
            body.extend_from_slice(s);
            body.push(b'`');
        } else {
            append_quote(&mut body, s, b'"', self.spec.plus);
        }
        self.pad(&body);
    }

    /// `%x` of a string: two hex digits a byte, `#` adds `0x`, a space
    /// separates bytes (each then with its own `0x`).
    fn hex_bytes(&mut self, s: &[u8], upper: bool) {
        let n = self.spec.prec.map_or(s.len(), |p| p.min(s.len()));
        let width = self.spec.width.unwrap_or(0);
        if n == 0 {
            self.fill(width);
            return;
        }
        let (sharp, space) = (self.spec.sharp, self.spec.space);
        let prefix: &[u8] = if upper { b"0X" } else { b"0x" };
        let mut body = Vec::with_capacity(n * 5);
        if sharp {
            body.extend_from_slice(prefix);
        }
        for (k, &b) in s[..n].iter().enumerate() {
            if space && k > 0 {
                body.push(b' ');
                if sharp {
                    body.extend_from_slice(prefix);
                }
            }
            let pair = if upper { format!("{b:02X}") } else { format!("{b:02x}") };
            body.extend_from_slice(pair.as_bytes());
        }
        let missing = width.saturating_sub(body.len());
        if self.spec.minus {
            self.out.extend_from_slice(&body);
            self.fill(missing);
        } else {
            self.fill(missing);
            self.out.extend_from_slice(&body);
        }
    }
}

/// A number as a character for `%c`/`%q`: beyond Unicode is U+FFFD.
fn code_point(bits: u64) -> i64 {
    if bits > u64::from(MAX_CODE_POINT) {
        i64::from(REPLACEMENT)
    } else {
        bits as i64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<Conc<'static>> {
        Some(Conc::Str(v.as_bytes().to_vec().into()))
    }

    fn printf(format: &str, args: &[Option<Conc<'_>>]) -> String {
        let mut b = Vec::new();
        sprintf(&mut b, format.as_bytes(), args);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn sprint_spaces_between_non_strings() {
        let mut b = Vec::new();
        sprint(
            &mut b,
            &[Some(Conc::Int(1)), Some(Conc::Int(2)), s("a"), Some(Conc::Int(3)), None],
        );
        assert_eq!(String::from_utf8(b).unwrap(), "1 2a3 <nil>");
    }

    #[test]
    fn printf_verbs_and_errors() {
        let int = |n| Some(Conc::Int(n));
        let float = |f| Some(Conc::Float(f));
        assert_eq!(
            printf("%d|%5.2f|%-4s|%q", &[int(3), float(1.23456), s("ab"), s("x\"y")]),
            "3| 1.23|ab  |\"x\\\"y\""
        );
        assert_eq!(printf("%d", &[float(3.0)]), "%!d(float64=3)");
        assert_eq!(printf("%s", &[]), "%!s(MISSING)");
        assert_eq!(printf("x", &[s("y")]), "x%!(EXTRA string=y)");
        assert_eq!(printf("%", &[]), "%!(NOVERB)");
        assert_eq!(printf("%!", &[]), "%!!(MISSING)");
        assert_eq!(
            printf("%05d|%x|%#o|%+d", &[int(-42), int(255), int(8), int(5)]),
            "-0042|ff|010|+5"
        );
        assert_eq!(printf("%*d", &[int(4), int(7)]), "   7");
        assert_eq!(printf("%[2]d %[1]d", &[int(1), int(2)]), "2 1");
        assert_eq!(printf("%v %T", &[None, None]), "<nil> <nil>");
        assert_eq!(
            printf("%c|%U|%#U", &[int(0x41), int(0x1F600), int(0xE9)]),
            "A|U+1F600|U+00E9 'é'"
        );
        assert_eq!(printf("%#08x|% x", &[int(255), s("ab")]), "0x000000ff|61 62");
    }

    #[test]
    fn floats_print_like_go() {
        let float = |f| Some(Conc::Float(f));
        assert_eq!(
            printf("%v %v %v", &[float(1e6), float(0.1), float(f64::INFINITY)]),
            "1e+06 0.1 +Inf"
        );
        assert_eq!(
            printf(
                "%e|%G|%.3g|%#g",
                &[float(1234.5678), float(1e-7), float(2.0), float(1.0)]
            ),
            "1.234568e+03|1E-07|2|1.00000"
        );
        assert_eq!(
            printf("%08.3f|%+.1e|% .2f", &[float(-1.23456), float(12345.0), float(2.0)]),
            "-001.235|+1.2e+04| 2.00"
        );
        assert_eq!(printf("%v", &[Some(Conc::Complex(1.0, -2.5))]), "(1-2.5i)");
    }
}
