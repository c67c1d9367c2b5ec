//! A port of the parts of Go's `fmt` that templates reach: `Sprint`,
//! `Sprintln`, `Sprintf` and the `%v` printing of action results, over the
//! value types in `val`.
//!
//! Every verb, flag, width and precision rule and every error form
//! (`%!d(string=x)`, `%!(EXTRA ...)`, `%!s(MISSING)`, `%!(BADWIDTH)`, ...)
//! follows Go 1.19's `fmt/print.go` and `fmt/format.go`. Go types with
//! methods (`Stringer`, `error`, `Formatter`) never occur in template data,
//! so method dispatch is absent. `%p` prints a real address, which like Go's
//! differs from run to run.

use std::borrow::Cow;

use crate::strconv::{append_float, append_quote, append_quote_rune, can_backquote};
use crate::unicode::is_print;
use crate::utf8::{MAX_RUNE, RUNE_ERROR, RUNE_SELF, decode_rune, push_rune, rune_count};
use crate::val::{Conc, Val};

const LDIGITS: &[u8; 17] = b"0123456789abcdefx";
const UDIGITS: &[u8; 17] = b"0123456789ABCDEFX";

/// `fmt.Sprint(a...)` appended to `buf`; `None` is a nil interface.
pub(crate) fn sprint(buf: &mut Vec<u8>, args: &[Option<Conc<'_>>]) {
    let mut p = Printer::new(buf);
    let mut prev_string = false;
    for (i, arg) in args.iter().enumerate() {
        let is_string = matches!(arg, Some(Conc::Str(_)));
        // Spaces go between operands when neither is a string.
        if i > 0 && !is_string && !prev_string {
            p.buf.push(b' ');
        }
        p.print_arg(arg.as_ref(), 'v');
        prev_string = is_string;
    }
}

/// `fmt.Sprintln(a...)` appended to `buf`.
pub(crate) fn sprintln(buf: &mut Vec<u8>, args: &[Option<Conc<'_>>]) {
    let mut p = Printer::new(buf);
    for (i, arg) in args.iter().enumerate() {
        if i > 0 {
            p.buf.push(b' ');
        }
        p.print_arg(arg.as_ref(), 'v');
    }
    p.buf.push(b'\n');
}

/// `fmt.Fprint(w, v)` for a single concrete value, as template actions print.
pub(crate) fn print_one(buf: &mut Vec<u8>, v: &Conc<'_>) {
    // The overwhelmingly common case needs no formatting machinery.
    if let Conc::Str(s) = v {
        buf.extend_from_slice(s);
        return;
    }
    Printer::new(buf).print_arg(Some(v), 'v');
}

/// Formats one value with a single verb and no flags (`%v`, `%s`), as Go's
/// error messages do with their arguments.
pub(crate) fn format_val(v: &Val<'_>, verb: char) -> String {
    let mut buf = Vec::new();
    match v {
        Val::Invalid => buf.extend_from_slice(b"<invalid reflect.Value>"),
        _ => Printer::new(&mut buf).print_value(v, verb, 0),
    }
    crate::strconv::bytes_to_string(buf)
}

#[derive(Debug, Default, Clone, Copy)]
struct Flags {
    wid_present: bool,
    prec_present: bool,
    minus: bool,
    plus: bool,
    sharp: bool,
    space: bool,
    zero: bool,
    plus_v: bool,
    sharp_v: bool,
    wid: i64,
    prec: i64,
}

/// Go's `pp` printer state writing into a caller's buffer.
struct Printer<'b> {
    buf: &'b mut Vec<u8>,
    f: Flags,
    reordered: bool,
    good_arg_num: bool,
}

fn too_large(x: i64) -> bool {
    const MAX: i64 = 1_000_000;
    !(-MAX..=MAX).contains(&x)
}

/// `parsenum`: a decimal number in `s[start..end]`, if any.
fn parsenum(s: &[u8], start: usize, end: usize) -> (i64, bool, usize) {
    if start >= end {
        return (0, false, end);
    }
    let mut num: i64 = 0;
    let mut isnum = false;
    let mut newi = start;
    while newi < end && s[newi].is_ascii_digit() {
        if too_large(num) {
            return (0, false, end);
        }
        num = num * 10 + i64::from(s[newi] - b'0');
        isnum = true;
        newi += 1;
    }
    (num, isnum, newi)
}

/// `intFromArg`: a `*` width or precision taken from the arguments.
fn int_from_arg(a: &[Option<Conc<'_>>], arg_num: usize) -> (i64, bool, usize) {
    let mut new_arg_num = arg_num;
    let mut num = 0;
    let mut is_int = false;
    if let Some(arg) = a.get(arg_num) {
        match arg {
            Some(Conc::Int(n)) => {
                num = *n;
                is_int = true;
            }
            Some(Conc::Uint8(n)) => {
                num = i64::from(*n);
                is_int = true;
            }
            _ => {}
        }
        new_arg_num = arg_num + 1;
        if too_large(num) {
            num = 0;
            is_int = false;
        }
    }
    (num, is_int, new_arg_num)
}

/// `parseArgNumber`: an explicit `[n]` argument index.
fn parse_arg_number(format: &[u8]) -> (i64, usize, bool) {
    if format.len() < 3 {
        return (0, 1, false);
    }
    for i in 1..format.len() {
        if format[i] == b']' {
            let (width, ok, newi) = parsenum(format, 1, i);
            if !ok || newi != i {
                return (0, i + 1, false);
            }
            return (width - 1, i + 1, true);
        }
    }
    (0, 1, false)
}

/// `fmt.Sprintf(format, a...)` appended to `buf`.
pub(crate) fn sprintf(buf: &mut Vec<u8>, format: &[u8], a: &[Option<Conc<'_>>]) {
    let mut p = Printer::new(buf);
    p.do_printf(format, a);
}

impl<'b> Printer<'b> {
    fn new(buf: &'b mut Vec<u8>) -> Self {
        Printer {
            buf,
            f: Flags::default(),
            reordered: false,
            good_arg_num: true,
        }
    }

    fn arg_number(&mut self, arg_num: usize, format: &[u8], i: usize, num_args: usize) -> (usize, usize, bool) {
        if format.len() <= i || format[i] != b'[' {
            return (arg_num, i, false);
        }
        self.reordered = true;
        let (index, wid, ok) = parse_arg_number(&format[i..]);
        if ok && 0 <= index && (index as usize) < num_args {
            return (index as usize, i + wid, true);
        }
        self.good_arg_num = false;
        (arg_num, i + wid, ok)
    }

    fn do_printf(&mut self, format: &[u8], a: &[Option<Conc<'_>>]) {
        let end = format.len();
        let mut arg_num = 0usize;
        let mut after_index;
        self.reordered = false;
        let mut i = 0;
        'format_loop: while i < end {
            self.good_arg_num = true;
            let lasti = i;
            while i < end && format[i] != b'%' {
                i += 1;
            }
            if i > lasti {
                self.buf.extend_from_slice(&format[lasti..i]);
            }
            if i >= end {
                break;
            }
            i += 1; // Skip the %.
            self.f = Flags::default();
            while i < end {
                let c = format[i];
                match c {
                    b'#' => self.f.sharp = true,
                    b'0' => self.f.zero = !self.f.minus, // Only pad with zeros on the left.
                    b'+' => self.f.plus = true,
                    b'-' => {
                        self.f.minus = true;
                        self.f.zero = false;
                    }
                    b' ' => self.f.space = true,
                    _ => {
                        // Fast path for a simple verb with no precision or width.
                        if c.is_ascii_lowercase() && arg_num < a.len() {
                            if c == b'v' {
                                self.f.sharp_v = self.f.sharp;
                                self.f.sharp = false;
                                self.f.plus_v = self.f.plus;
                                self.f.plus = false;
                            }
                            self.print_arg(a[arg_num].as_ref(), char::from(c));
                            arg_num += 1;
                            i += 1;
                            continue 'format_loop;
                        }
                        break;
                    }
                }
                i += 1;
            }

            // Do we have an explicit argument index?
            (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());

            // Do we have width?
            if i < end && format[i] == b'*' {
                i += 1;
                (self.f.wid, self.f.wid_present, arg_num) = int_from_arg(a, arg_num);
                if !self.f.wid_present {
                    self.buf.extend_from_slice(b"%!(BADWIDTH)");
                }
                if self.f.wid < 0 {
                    self.f.wid = -self.f.wid;
                    self.f.minus = true;
                    self.f.zero = false;
                }
                after_index = false;
            } else {
                (self.f.wid, self.f.wid_present, i) = parsenum(format, i, end);
                if after_index && self.f.wid_present {
                    self.good_arg_num = false;
                }
            }

            // Do we have precision?
            if i + 1 < end && format[i] == b'.' {
                i += 1;
                if after_index {
                    self.good_arg_num = false;
                }
                (arg_num, i, after_index) = self.arg_number(arg_num, format, i, a.len());
                if i < end && format[i] == b'*' {
                    i += 1;
                    (self.f.prec, self.f.prec_present, arg_num) = int_from_arg(a, arg_num);
                    if self.f.prec < 0 {
                        self.f.prec = 0;
                        self.f.prec_present = false;
                    }
                    if !self.f.prec_present {
                        self.buf.extend_from_slice(b"%!(BADPREC)");
                    }
                    after_index = false;
                } else {
                    (self.f.prec, self.f.prec_present, i) = parsenum(format, i, end);
                    if !self.f.prec_present {
                        self.f.prec = 0;
                        self.f.prec_present = true;
                    }
                }
            }

            if !after_index {
                (arg_num, i, _) = self.arg_number(arg_num, format, i, a.len());
            }

            if i >= end {
                self.buf.extend_from_slice(b"%!(NOVERB)");
                break;
            }

            let (verb, size) = if u32::from(format[i]) < RUNE_SELF {
                (u32::from(format[i]), 1)
            } else {
                decode_rune(&format[i..])
            };
            let verb = char::from_u32(verb).unwrap_or('\u{FFFD}');
            i += size;

            if verb == '%' {
                // Percent does not absorb operands and ignores width and precision.
                self.buf.push(b'%');
            } else if !self.good_arg_num {
                self.bang(verb, b"(BADINDEX)");
            } else if arg_num >= a.len() {
                self.bang(verb, b"(MISSING)");
            } else {
                if verb == 'v' {
                    self.f.sharp_v = self.f.sharp;
                    self.f.sharp = false;
                    self.f.plus_v = self.f.plus;
                    self.f.plus = false;
                }
                self.print_arg(a[arg_num].as_ref(), verb);
                arg_num += 1;
            }
        }

        // Check for extra arguments unless the call accessed the arguments
        // out of order, in which case it's too expensive to detect if they've
        // all been used and arguably OK if they're not.
        if !self.reordered && arg_num < a.len() {
            self.f = Flags::default();
            self.buf.extend_from_slice(b"%!(EXTRA ");
            for (i, arg) in a[arg_num..].iter().enumerate() {
                if i > 0 {
                    self.buf.extend_from_slice(b", ");
                }
                match arg {
                    None => self.buf.extend_from_slice(b"<nil>"),
                    Some(c) => {
                        self.buf.extend_from_slice(c.type_name().as_bytes());
                        self.buf.push(b'=');
                        self.print_arg(Some(c), 'v');
                    }
                }
            }
            self.buf.push(b')');
        }
    }

    fn push_char(&mut self, c: char) {
        let mut tmp = [0u8; 4];
        self.buf.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
    }

    fn bang(&mut self, verb: char, what: &[u8]) {
        self.buf.extend_from_slice(b"%!");
        self.push_char(verb);
        self.buf.extend_from_slice(what);
    }

    /// `badVerb`: `%!verb(type=value)`, or `%!verb(<nil>)`.
    fn bad_verb(&mut self, verb: char, cur: Option<&Conc<'_>>) {
        self.buf.extend_from_slice(b"%!");
        self.push_char(verb);
        self.buf.push(b'(');
        match cur {
            Some(c) => {
                self.buf.extend_from_slice(c.type_name().as_bytes());
                self.buf.push(b'=');
                self.print_arg(Some(c), 'v');
            }
            None => self.buf.extend_from_slice(b"<nil>"),
        }
        self.buf.push(b')');
    }

    fn print_arg(&mut self, arg: Option<&Conc<'_>>, verb: char) {
        let Some(c) = arg else {
            match verb {
                'T' | 'v' => self.pad(b"<nil>"),
                _ => self.bad_verb(verb, None),
            }
            return;
        };
        match verb {
            'T' => {
                let name = c.type_name();
                self.fmt_s(name.as_bytes());
                return;
            }
            'p' => {
                self.fmt_pointer(c, verb);
                return;
            }
            // Go's handleMethods rejects %w outside fmt.Errorf before
            // printing a composite value (scalars reject it by verb).
            'w' if matches!(c, Conc::List(_) | Conc::Map(_) | Conc::StrMap(_)) => {
                self.bad_verb(verb, Some(c));
                return;
            }
            _ => {}
        }
        self.print_conc(c, verb, 0);
    }

    fn print_value(&mut self, v: &Val<'_>, verb: char, depth: usize) {
        match v {
            Val::Invalid => {
                if depth == 0 {
                    self.buf.extend_from_slice(b"<invalid reflect.Value>");
                } else if verb == 'v' {
                    self.buf.extend_from_slice(b"<nil>");
                } else {
                    self.bad_verb(verb, None);
                }
            }
            Val::NilIface => {
                if self.f.sharp_v {
                    self.buf.extend_from_slice(b"interface {}(nil)");
                } else {
                    self.buf.extend_from_slice(b"<nil>");
                }
            }
            Val::Iface(c) => self.print_conc(c, verb, depth + 1),
            Val::Conc(c) => self.print_conc(c, verb, depth),
        }
    }

    fn print_conc(&mut self, c: &Conc<'_>, verb: char, depth: usize) {
        match c {
            Conc::Bool(b) => self.fmt_bool(*b, verb, c),
            Conc::Int(i) => self.fmt_integer(*i as u64, true, verb, c),
            Conc::Uint8(u) => self.fmt_integer(u64::from(*u), false, verb, c),
            Conc::Float(f) => self.fmt_float(*f, verb, c),
            Conc::Complex(re, im) => self.fmt_complex(*re, *im, verb, c),
            Conc::Str(s) => self.fmt_string(s, verb, c),
            Conc::Map(m) => {
                self.map_open(c);
                for (i, (k, v)) in m.iter().enumerate() {
                    self.map_sep(i);
                    self.print_value(&Val::Conc(Conc::Str(Cow::Borrowed(k.as_bytes()))), verb, depth + 1);
                    self.buf.push(b':');
                    self.print_value(&Val::from_elem(v), verb, depth + 1);
                }
                self.map_close();
            }
            Conc::StrMap(m) => {
                self.map_open(c);
                for (i, (k, v)) in m.iter().enumerate() {
                    self.map_sep(i);
                    self.print_value(&Val::Conc(Conc::Str(Cow::Borrowed(k.as_bytes()))), verb, depth + 1);
                    self.buf.push(b':');
                    self.print_value(&Val::Conc(Conc::Str(Cow::Borrowed(v.as_bytes()))), verb, depth + 1);
                }
                self.map_close();
            }
            Conc::List(l) => {
                // Element type interface{} is never uint8, so %s %q %x %X get
                // no byte-slice treatment.
                if self.f.sharp_v {
                    self.buf.extend_from_slice(c.type_name().as_bytes());
                    self.buf.push(b'{');
                    for i in 0..l.len() {
                        if i > 0 {
                            self.buf.extend_from_slice(b", ");
                        }
                        self.print_value(&l.get(i), verb, depth + 1);
                    }
                    self.buf.push(b'}');
                } else {
                    self.buf.push(b'[');
                    for i in 0..l.len() {
                        if i > 0 {
                            self.buf.push(b' ');
                        }
                        self.print_value(&l.get(i), verb, depth + 1);
                    }
                    self.buf.push(b']');
                }
            }
        }
    }

    fn map_open(&mut self, c: &Conc<'_>) {
        if self.f.sharp_v {
            self.buf.extend_from_slice(c.type_name().as_bytes());
            self.buf.push(b'{');
        } else {
            self.buf.extend_from_slice(b"map[");
        }
    }

    fn map_sep(&mut self, i: usize) {
        if i > 0 {
            if self.f.sharp_v {
                self.buf.extend_from_slice(b", ");
            } else {
                self.buf.push(b' ');
            }
        }
    }

    fn map_close(&mut self) {
        self.buf.push(if self.f.sharp_v { b'}' } else { b']' });
    }

    fn fmt_pointer(&mut self, c: &Conc<'_>, verb: char) {
        let u = match c {
            Conc::Map(m) => *m as *const _ as usize,
            Conc::StrMap(m) => *m as *const _ as usize,
            Conc::List(l) => l.addr(),
            _ => return self.bad_verb(verb, Some(c)),
        };
        let leading = !self.f.sharp;
        self.fmt_0x64(u as u64, leading);
    }

    fn fmt_bool(&mut self, v: bool, verb: char, c: &Conc<'_>) {
        match verb {
            't' | 'v' => self.pad(if v { b"true" } else { b"false" }),
            _ => self.bad_verb(verb, Some(c)),
        }
    }

    fn fmt_0x64(&mut self, v: u64, leading0x: bool) {
        let sharp = self.f.sharp;
        self.f.sharp = leading0x;
        self.fmt_int(v, 16, false, 'v', LDIGITS);
        self.f.sharp = sharp;
    }

    fn fmt_integer(&mut self, v: u64, is_signed: bool, verb: char, c: &Conc<'_>) {
        match verb {
            'v' => {
                if self.f.sharp_v && !is_signed {
                    self.fmt_0x64(v, true);
                } else {
                    self.fmt_int(v, 10, is_signed, verb, LDIGITS);
                }
            }
            'd' => self.fmt_int(v, 10, is_signed, verb, LDIGITS),
            'b' => self.fmt_int(v, 2, is_signed, verb, LDIGITS),
            'o' | 'O' => self.fmt_int(v, 8, is_signed, verb, LDIGITS),
            'x' => self.fmt_int(v, 16, is_signed, verb, LDIGITS),
            'X' => self.fmt_int(v, 16, is_signed, verb, UDIGITS),
            'c' => self.fmt_c(v),
            'q' => self.fmt_qc(v),
            'U' => self.fmt_unicode(v),
            _ => self.bad_verb(verb, Some(c)),
        }
    }

    fn fmt_float(&mut self, v: f64, verb: char, c: &Conc<'_>) {
        match verb {
            'v' => self.fmt_float_raw(v, b'g', -1),
            'b' | 'g' | 'G' | 'x' | 'X' => self.fmt_float_raw(v, verb as u8, -1),
            'f' | 'e' | 'E' => self.fmt_float_raw(v, verb as u8, 6),
            'F' => self.fmt_float_raw(v, b'f', 6),
            _ => self.bad_verb(verb, Some(c)),
        }
    }

    fn fmt_complex(&mut self, re: f64, im: f64, verb: char, c: &Conc<'_>) {
        match verb {
            'v' | 'b' | 'g' | 'G' | 'x' | 'X' | 'f' | 'F' | 'e' | 'E' => {
                let old_plus = self.f.plus;
                self.buf.push(b'(');
                self.fmt_float(re, verb, c);
                // Imaginary part always has a sign.
                self.f.plus = true;
                self.fmt_float(im, verb, c);
                self.buf.extend_from_slice(b"i)");
                self.f.plus = old_plus;
            }
            _ => self.bad_verb(verb, Some(c)),
        }
    }

    fn fmt_string(&mut self, s: &[u8], verb: char, c: &Conc<'_>) {
        match verb {
            'v' => {
                if self.f.sharp_v {
                    self.fmt_q(s);
                } else {
                    self.fmt_s(s);
                }
            }
            's' => self.fmt_s(s),
            'x' => self.fmt_sx(s, LDIGITS),
            'X' => self.fmt_sx(s, UDIGITS),
            'q' => self.fmt_q(s),
            _ => self.bad_verb(verb, Some(c)),
        }
    }

    // -- format.go ---------------------------------------------------------

    fn write_padding(&mut self, n: i64) {
        if n <= 0 {
            return;
        }
        let pad = if self.f.zero { b'0' } else { b' ' };
        self.buf.resize(self.buf.len() + n as usize, pad);
    }

    /// Appends `b`, padded to the width in runes.
    fn pad(&mut self, b: &[u8]) {
        if !self.f.wid_present || self.f.wid == 0 {
            self.buf.extend_from_slice(b);
            return;
        }
        let width = self.f.wid - rune_count(b) as i64;
        if !self.f.minus {
            self.write_padding(width);
            self.buf.extend_from_slice(b);
        } else {
            self.buf.extend_from_slice(b);
            self.write_padding(width);
        }
    }

    fn fmt_unicode(&mut self, u: u64) {
        let mut prec: usize = 4;
        if self.f.prec_present && self.f.prec > 4 {
            prec = self.f.prec as usize;
        }
        let mut s = format!("U+{u:0prec$X}").into_bytes();
        if self.f.sharp && u <= u64::from(MAX_RUNE) && is_print(u as u32) {
            s.extend_from_slice(b" '");
            push_rune(&mut s, u as i64);
            s.push(b'\'');
        }
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad(&s);
        self.f.zero = old_zero;
    }

    fn fmt_int(&mut self, mut u: u64, base: u64, is_signed: bool, verb: char, digits: &[u8; 17]) {
        let negative = is_signed && (u as i64) < 0;
        if negative {
            u = u.wrapping_neg();
        }
        let mut prec: i64 = 0;
        if self.f.prec_present {
            prec = self.f.prec;
            // Precision of 0 and value of 0 means "print nothing" but padding.
            if prec == 0 && u == 0 {
                let old_zero = self.f.zero;
                self.f.zero = false;
                self.write_padding(self.f.wid);
                self.f.zero = old_zero;
                return;
            }
        } else if self.f.zero && self.f.wid_present {
            prec = self.f.wid;
            if negative || self.f.plus || self.f.space {
                prec -= 1; // leave room for sign
            }
        }
        // Built least significant digit first, then reversed.
        let mut tmp: Vec<u8> = Vec::with_capacity(24 + prec.max(0) as usize);
        loop {
            tmp.push(digits[(u % base) as usize]);
            u /= base;
            if u == 0 {
                break;
            }
        }
        while (tmp.len() as i64) < prec {
            tmp.push(b'0');
        }
        if self.f.sharp {
            match base {
                2 => tmp.extend_from_slice(b"b0"),
                8 if tmp.last() != Some(&b'0') => tmp.push(b'0'),
                16 => {
                    tmp.push(digits[16]);
                    tmp.push(b'0');
                }
                _ => {}
            }
        }
        if verb == 'O' {
            tmp.extend_from_slice(b"o0");
        }
        if negative {
            tmp.push(b'-');
        } else if self.f.plus {
            tmp.push(b'+');
        } else if self.f.space {
            tmp.push(b' ');
        }
        tmp.reverse();
        // Zero padding was handled above as precision.
        let old_zero = self.f.zero;
        self.f.zero = false;
        self.pad(&tmp);
        self.f.zero = old_zero;
    }

    /// `truncate`: at most `prec` runes.
    fn truncate<'s>(&self, s: &'s [u8]) -> &'s [u8] {
        if self.f.prec_present {
            let mut n = self.f.prec;
            let mut i = 0;
            while i < s.len() {
                n -= 1;
                if n < 0 {
                    return &s[..i];
                }
                let (_, w) = decode_rune(&s[i..]);
                i += w.max(1);
            }
        }
        s
    }

    fn fmt_s(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        self.pad(s);
    }

    fn fmt_sx(&mut self, s: &[u8], digits: &[u8; 17]) {
        let mut length = s.len() as i64;
        if self.f.prec_present && self.f.prec < length {
            length = self.f.prec;
        }
        // Compute width of the encoding taking into account the f.sharp and f.space flag.
        let mut width = 2 * length;
        if width > 0 {
            if self.f.space {
                if self.f.sharp {
                    width *= 2;
                }
                width += length - 1;
            } else if self.f.sharp {
                width += 2;
            }
        } else {
            if self.f.wid_present {
                self.write_padding(self.f.wid);
            }
            return;
        }
        if self.f.wid_present && self.f.wid > width && !self.f.minus {
            self.write_padding(self.f.wid - width);
        }
        if self.f.sharp {
            self.buf.push(b'0');
            self.buf.push(digits[16]);
        }
        for (i, &c) in s.iter().take(length as usize).enumerate() {
            if self.f.space && i > 0 {
                self.buf.push(b' ');
                if self.f.sharp {
                    self.buf.push(b'0');
                    self.buf.push(digits[16]);
                }
            }
            self.buf.push(digits[usize::from(c >> 4)]);
            self.buf.push(digits[usize::from(c & 0xF)]);
        }
        if self.f.wid_present && self.f.wid > width && self.f.minus {
            self.write_padding(self.f.wid - width);
        }
    }

    fn fmt_q(&mut self, s: &[u8]) {
        let s = self.truncate(s);
        if self.f.sharp && can_backquote(s) {
            let mut q = Vec::with_capacity(s.len() + 2);
            q.push(b'`');
            q.extend_from_slice(s);
            q.push(b'`');
            self.pad(&q);
            return;
        }
        let mut q = Vec::with_capacity(s.len() + 2);
        append_quote(&mut q, s, b'"', self.f.plus);
        self.pad(&q);
    }

    fn fmt_c(&mut self, c: u64) {
        let r = if c > u64::from(MAX_RUNE) {
            i64::from(RUNE_ERROR)
        } else {
            c as i64
        };
        let mut b = Vec::with_capacity(4);
        push_rune(&mut b, r);
        self.pad(&b);
    }

    fn fmt_qc(&mut self, c: u64) {
        let r = if c > u64::from(MAX_RUNE) {
            i64::from(RUNE_ERROR)
        } else {
            c as i64
        };
        let mut b = Vec::with_capacity(8);
        append_quote_rune(&mut b, r, self.f.plus);
        self.pad(&b);
    }

    /// Go's `fmt.fmtFloat`: strconv formatting plus sign, flag and padding rules.
    fn fmt_float_raw(&mut self, v: f64, verb: u8, prec: i64) {
        let prec = if self.f.prec_present { self.f.prec } else { prec };
        // Format number, reserving space for leading + sign if needed.
        let mut num: Vec<u8> = Vec::with_capacity(32);
        num.push(b'+');
        append_float(&mut num, v, verb, prec);
        if num[1] == b'-' || num[1] == b'+' {
            num.remove(0);
        } else {
            num[0] = b'+';
        }
        // f.space means to add a leading space instead of a "+" sign unless f.plus is used.
        if self.f.space && num[0] == b'+' && !self.f.plus {
            num[0] = b' ';
        }
        // Special handling for infinities and NaN, which don't look like a number.
        if num[1] == b'I' || num[1] == b'N' {
            let old_zero = self.f.zero;
            self.f.zero = false;
            // Remove sign before NaN if not asked for.
            if num[1] == b'N' && !self.f.space && !self.f.plus {
                num.remove(0);
            }
            self.pad(&num);
            self.f.zero = old_zero;
            return;
        }
        // The sharp flag forces printing a decimal point but removes
        // trailing zeros for %e, %f with the sharp flag.
        if self.f.sharp && verb != b'b' {
            let mut digits: i64 = 0;
            if matches!(verb, b'v' | b'g' | b'G' | b'x') {
                digits = prec;
                // If no precision is set explicitly use a precision of 6.
                if digits == -1 {
                    digits = 6;
                }
            }
            // The exponent suffix ("e+123", "p-1023") is set aside.
            let tail_at = num[1..]
                .iter()
                .position(|&c| matches!(c, b'p' | b'P') || (matches!(c, b'e' | b'E') && verb != b'x' && verb != b'X'));
            let tail: Vec<u8> = match tail_at {
                Some(t) => num.split_off(t + 1),
                None => Vec::new(),
            };
            let mut has_decimal_point = false;
            let mut saw_nonzero_digit = false;
            for &c in &num[1..] {
                if c == b'.' {
                    has_decimal_point = true;
                    continue;
                }
                if c != b'0' {
                    saw_nonzero_digit = true;
                }
                // Count significant digits after the first non-zero digit.
                if saw_nonzero_digit {
                    digits -= 1;
                }
            }
            if !has_decimal_point {
                // Leading digit 0 should contribute once to digits.
                if num.len() == 2 && num[1] == b'0' {
                    digits -= 1;
                }
                num.push(b'.');
            }
            while digits > 0 {
                num.push(b'0');
                digits -= 1;
            }
            num.extend_from_slice(&tail);
        }
        // We want a sign if asked for and if the sign is not positive.
        if self.f.plus || num[0] != b'+' {
            // If we're zero padding to the left we want the sign before the leading zeros.
            if self.f.zero && self.f.wid_present && self.f.wid > num.len() as i64 {
                self.buf.push(num[0]);
                self.write_padding(self.f.wid - num.len() as i64);
                self.buf.extend_from_slice(&num[1..]);
                return;
            }
            self.pad(&num);
            return;
        }
        // No sign to show and the number is positive; just print the unsigned number.
        self.pad(&num[1..]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Option<Conc<'static>> {
        Some(Conc::Str(Cow::Owned(v.as_bytes().to_vec())))
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
        assert_eq!(
            printf(
                "%d|%5.2f|%-4s|%q",
                &[Some(Conc::Int(3)), Some(Conc::Float(1.23456)), s("ab"), s("x\"y")]
            ),
            "3| 1.23|ab  |\"x\\\"y\""
        );
        assert_eq!(printf("%d", &[Some(Conc::Float(3.0))]), "%!d(float64=3)");
        assert_eq!(printf("%s", &[]), "%!s(MISSING)");
        assert_eq!(printf("x", &[s("y")]), "x%!(EXTRA string=y)");
        assert_eq!(printf("%", &[]), "%!(NOVERB)");
        assert_eq!(printf("%!", &[]), "%!!(MISSING)");
        assert_eq!(
            printf(
                "%05d|%x|%#o|%+d",
                &[
                    Some(Conc::Int(-42)),
                    Some(Conc::Int(255)),
                    Some(Conc::Int(8)),
                    Some(Conc::Int(5))
                ]
            ),
            "-0042|ff|010|+5"
        );
        assert_eq!(printf("%*d", &[Some(Conc::Int(4)), Some(Conc::Int(7))]), "   7");
        assert_eq!(printf("%[2]d %[1]d", &[Some(Conc::Int(1)), Some(Conc::Int(2))]), "2 1");
        assert_eq!(printf("%v %T", &[None, None]), "<nil> <nil>");
        assert_eq!(
            printf(
                "%c|%U|%#U",
                &[Some(Conc::Int(0x41)), Some(Conc::Int(0x1F600)), Some(Conc::Int(0xE9))]
            ),
            "A|U+1F600|U+00E9 'é'"
        );
    }

    #[test]
    fn floats_print_like_go() {
        assert_eq!(
            printf(
                "%v %v %v",
                &[
                    Some(Conc::Float(1e6)),
                    Some(Conc::Float(0.1)),
                    Some(Conc::Float(f64::INFINITY))
                ]
            ),
            "1e+06 0.1 +Inf"
        );
        assert_eq!(
            printf(
                "%e|%G|%.3g|%#g",
                &[
                    Some(Conc::Float(1234.5678)),
                    Some(Conc::Float(1e-7)),
                    Some(Conc::Float(2.0)),
                    Some(Conc::Float(1.0))
                ]
            ),
            "1.234568e+03|1E-07|2|1.00000"
        );
        assert_eq!(
            printf(
                "%08.3f|%+.1e|% .2f",
                &[
                    Some(Conc::Float(-1.23456)),
                    Some(Conc::Float(12345.0)),
                    Some(Conc::Float(2.0))
                ]
            ),
            "-001.235|+1.2e+04| 2.00"
        );
        assert_eq!(printf("%v", &[Some(Conc::Complex(1.0, -2.5))]), "(1-2.5i)");
    }
}
