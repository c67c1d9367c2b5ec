//! The parts of Go's `strconv` that template parsing and printing use:
//! quoting (`Quote`, `QuoteRune`, `CanBackquote`), unquoting (`Unquote`,
//! `UnquoteChar`), number parsing (`ParseInt`, `ParseUint`, `ParseFloat`)
//! and float formatting (`AppendFloat`).
//!
//! Strings are byte slices because Go strings may hold invalid UTF-8. Decimal
//! digit generation is delegated to Rust's float formatting, which is exact
//! and rounds half to even like Go's; the layout around those digits is a port
//! of Go's. Nothing here allocates more than the output it appends.

use std::fmt::Write as _;

use crate::unicode::is_print;
use crate::utf8::{RUNE_ERROR, RUNE_SELF, decode_rune, push_rune, valid_rune};

const LOWER_HEX: &[u8; 16] = b"0123456789abcdef";
const UPPER_HEX: &[u8; 16] = b"0123456789ABCDEF";

// ---------------------------------------------------------------------------
// Quoting.

/// `strconv.AppendQuote` (`ascii_only = false`) and `AppendQuoteToASCII`.
pub(crate) fn append_quote(buf: &mut Vec<u8>, mut s: &[u8], quote: u8, ascii_only: bool) {
    buf.push(quote);
    while !s.is_empty() {
        let (r, width) = if u32::from(s[0]) < RUNE_SELF {
            (u32::from(s[0]), 1)
        } else {
            decode_rune(s)
        };
        if width == 1 && r == RUNE_ERROR {
            buf.extend_from_slice(b"\\x");
            buf.push(LOWER_HEX[usize::from(s[0] >> 4)]);
            buf.push(LOWER_HEX[usize::from(s[0] & 0xF)]);
        } else {
            append_escaped_rune(buf, i64::from(r), quote, ascii_only);
        }
        s = &s[width..];
    }
    buf.push(quote);
}

/// Quotes a Rust string the way `strconv.Quote` does, for error messages.
pub(crate) fn quote(s: &str) -> String {
    let mut buf = Vec::with_capacity(s.len() + 2);
    append_quote(&mut buf, s.as_bytes(), b'"', false);
    bytes_to_string(buf)
}

/// `strconv.AppendQuoteRune` and `AppendQuoteRuneToASCII`.
pub(crate) fn append_quote_rune(buf: &mut Vec<u8>, r: i64, ascii_only: bool) {
    buf.push(b'\'');
    let r = if valid_rune(r) { r } else { i64::from(RUNE_ERROR) };
    append_escaped_rune(buf, r, b'\'', ascii_only);
    buf.push(b'\'');
}

fn append_escaped_rune(buf: &mut Vec<u8>, r: i64, quote: u8, ascii_only: bool) {
    if r == i64::from(quote) || r == i64::from(b'\\') {
        buf.push(b'\\');
        buf.push(r as u8);
        return;
    }
    let printable = u32::try_from(r).is_ok_and(is_print);
    if ascii_only {
        if r < i64::from(RUNE_SELF) && printable {
            buf.push(r as u8);
            return;
        }
    } else if printable {
        push_rune(buf, r);
        return;
    }
    match r {
        0x07 => buf.extend_from_slice(b"\\a"),
        0x08 => buf.extend_from_slice(b"\\b"),
        0x0C => buf.extend_from_slice(b"\\f"),
        0x0A => buf.extend_from_slice(b"\\n"),
        0x0D => buf.extend_from_slice(b"\\r"),
        0x09 => buf.extend_from_slice(b"\\t"),
        0x0B => buf.extend_from_slice(b"\\v"),
        _ => {
            if r < i64::from(b' ') || r == 0x7F {
                buf.extend_from_slice(b"\\x");
                buf.push(LOWER_HEX[((r >> 4) & 0xF) as usize]);
                buf.push(LOWER_HEX[(r & 0xF) as usize]);
                return;
            }
            let r = if valid_rune(r) { r } else { 0xFFFD };
            if r < 0x10000 {
                buf.extend_from_slice(b"\\u");
                for shift in (0..=12).rev().step_by(4) {
                    buf.push(LOWER_HEX[((r >> shift) & 0xF) as usize]);
                }
            } else {
                buf.extend_from_slice(b"\\U");
                for shift in (0..=28).rev().step_by(4) {
                    buf.push(LOWER_HEX[((r >> shift) & 0xF) as usize]);
                }
            }
        }
    }
}

/// `strconv.CanBackquote`.
pub(crate) fn can_backquote(mut s: &[u8]) -> bool {
    while !s.is_empty() {
        let (r, width) = decode_rune(s);
        s = &s[width..];
        if width > 1 {
            if r == 0xFEFF {
                return false;
            }
            continue;
        }
        if r == RUNE_ERROR {
            return false;
        }
        if (r < u32::from(b' ') && r != u32::from(b'\t')) || r == u32::from(b'`') || r == 0x7F {
            return false;
        }
    }
    true
}

// ---------------------------------------------------------------------------
// Unquoting.

/// Go's `strconv.ErrSyntax` message, which the template parser reports as is.
pub(crate) const ERR_SYNTAX: &str = "invalid syntax";

fn unhex(b: u8) -> Option<u32> {
    match b {
        b'0'..=b'9' => Some(u32::from(b - b'0')),
        b'a'..=b'f' => Some(u32::from(b - b'a' + 10)),
        b'A'..=b'F' => Some(u32::from(b - b'A' + 10)),
        _ => None,
    }
}

/// One decoded character of a quoted literal.
pub(crate) struct UnquotedChar {
    pub(crate) value: u32,
    pub(crate) multibyte: bool,
    /// Bytes of the input consumed.
    pub(crate) len: usize,
}

/// `strconv.UnquoteChar`: decodes one character or escape at the start of `s`.
pub(crate) fn unquote_char(s: &[u8], quote: u8) -> Option<UnquotedChar> {
    let &c = s.first()?;
    if c == quote && (quote == b'\'' || quote == b'"') {
        return None;
    }
    if u32::from(c) >= RUNE_SELF {
        let (r, size) = decode_rune(s);
        return Some(UnquotedChar {
            value: r,
            multibyte: true,
            len: size,
        });
    }
    if c != b'\\' {
        return Some(UnquotedChar {
            value: u32::from(c),
            multibyte: false,
            len: 1,
        });
    }
    let &c = s.get(1)?;
    let rest = &s[2..];
    let simple = |v: u8| {
        Some(UnquotedChar {
            value: u32::from(v),
            multibyte: false,
            len: 2,
        })
    };
    match c {
        b'a' => simple(0x07),
        b'b' => simple(0x08),
        b'f' => simple(0x0C),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(0x0B),
        b'x' | b'u' | b'U' => {
            let n = match c {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let digits = rest.get(..n)?;
            let mut v: u32 = 0;
            for &d in digits {
                v = (v << 4) | unhex(d)?;
            }
            if c == b'x' {
                return Some(UnquotedChar {
                    value: v,
                    multibyte: false,
                    len: 2 + n,
                });
            }
            if !valid_rune(i64::from(v)) {
                return None;
            }
            Some(UnquotedChar {
                value: v,
                multibyte: true,
                len: 2 + n,
            })
        }
        b'0'..=b'7' => {
            let mut v = u32::from(c - b'0');
            let digits = rest.get(..2)?;
            for &d in digits {
                if !(b'0'..=b'7').contains(&d) {
                    return None;
                }
                v = (v << 3) | u32::from(d - b'0');
            }
            if v > 255 {
                return None;
            }
            Some(UnquotedChar {
                value: v,
                multibyte: false,
                len: 4,
            })
        }
        b'\\' => simple(b'\\'),
        b'\'' | b'"' => {
            if c != quote {
                return None;
            }
            simple(c)
        }
        _ => None,
    }
}

/// `strconv.Unquote` for the literals the template lexer produces: double
/// quoted, back quoted and single quoted. The result may be invalid UTF-8
/// (`"\xff"`), which is why it is bytes.
pub(crate) fn unquote(s: &str) -> Result<Vec<u8>, &'static str> {
    let b = s.as_bytes();
    if b.len() < 2 {
        return Err(ERR_SYNTAX);
    }
    let quote = b[0];
    let Some(end) = b[1..].iter().position(|&c| c == quote) else {
        return Err(ERR_SYNTAX);
    };
    let end = end + 2;
    match quote {
        b'`' => {
            if end != b.len() {
                return Err(ERR_SYNTAX);
            }
            // Carriage returns are discarded from raw strings, as in Go source.
            Ok(b[1..end - 1].iter().copied().filter(|&c| c != b'\r').collect())
        }
        b'"' | b'\'' => {
            let mut out = Vec::with_capacity(end);
            let mut rest = &b[1..];
            while let Some(&c) = rest.first() {
                if c == quote {
                    break;
                }
                if c == b'\n' {
                    return Err(ERR_SYNTAX);
                }
                let ch = unquote_char(rest, quote).ok_or(ERR_SYNTAX)?;
                rest = &rest[ch.len..];
                if ch.value < RUNE_SELF || !ch.multibyte {
                    out.push(ch.value as u8);
                } else {
                    push_rune(&mut out, i64::from(ch.value));
                }
                if quote == b'\'' {
                    break;
                }
            }
            if rest.first() != Some(&quote) {
                return Err(ERR_SYNTAX);
            }
            if rest.len() != 1 {
                return Err(ERR_SYNTAX);
            }
            Ok(out)
        }
        _ => Err(ERR_SYNTAX),
    }
}

// ---------------------------------------------------------------------------
// Number parsing.

/// Why a Go number conversion failed (`strconv.ErrSyntax` or `ErrRange`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    Syntax,
    Range,
}

fn lower(c: u8) -> u8 {
    c | (b'x' - b'X')
}

/// `underscoreOK`: underscores may only separate digits (or follow a base prefix).
fn underscore_ok(s: &[u8]) -> bool {
    let mut saw = b'^';
    let mut i = 0;
    let s = match s.first() {
        Some(b'-' | b'+') => &s[1..],
        _ => s,
    };
    let mut hex = false;
    if s.len() >= 2 && s[0] == b'0' && matches!(lower(s[1]), b'b' | b'o' | b'x') {
        i = 2;
        saw = b'0';
        hex = lower(s[1]) == b'x';
    }
    while i < s.len() {
        let c = s[i];
        if c.is_ascii_digit() || (hex && (b'a'..=b'f').contains(&lower(c))) {
            saw = b'0';
        } else if c == b'_' {
            if saw != b'0' {
                return false;
            }
            saw = b'_';
        } else {
            if saw == b'_' {
                return false;
            }
            saw = b'!';
        }
        i += 1;
    }
    saw != b'_'
}

/// `strconv.ParseUint(s, 0, 64)`: base from the prefix, underscores allowed.
pub(crate) fn parse_uint(s: &str) -> Result<u64, NumError> {
    let s0 = s.as_bytes();
    let mut s = s0;
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let mut base: u64 = 10;
    if s[0] == b'0' {
        if s.len() >= 3 && lower(s[1]) == b'b' {
            base = 2;
            s = &s[2..];
        } else if s.len() >= 3 && lower(s[1]) == b'o' {
            base = 8;
            s = &s[2..];
        } else if s.len() >= 3 && lower(s[1]) == b'x' {
            base = 16;
            s = &s[2..];
        } else {
            base = 8;
            s = &s[1..];
        }
    }
    let cutoff = u64::MAX / base + 1;
    let mut underscores = false;
    let mut n: u64 = 0;
    for &c in s {
        let d = match c {
            b'_' => {
                underscores = true;
                continue;
            }
            b'0'..=b'9' => u64::from(c - b'0'),
            _ if lower(c).is_ascii_lowercase() => u64::from(lower(c) - b'a' + 10),
            _ => return Err(NumError::Syntax),
        };
        if d >= base {
            return Err(NumError::Syntax);
        }
        if n >= cutoff {
            return Err(NumError::Range);
        }
        n *= base;
        n = n.checked_add(d).ok_or(NumError::Range)?;
    }
    if underscores && !underscore_ok(s0) {
        return Err(NumError::Syntax);
    }
    Ok(n)
}

/// `strconv.ParseInt(s, 0, 64)`.
pub(crate) fn parse_int(s: &str) -> Result<i64, NumError> {
    if s.is_empty() {
        return Err(NumError::Syntax);
    }
    let (neg, body) = match s.as_bytes()[0] {
        b'+' => (false, &s[1..]),
        b'-' => (true, &s[1..]),
        _ => (false, s),
    };
    let un = match parse_uint(body) {
        Ok(v) => v,
        Err(NumError::Syntax) => return Err(NumError::Syntax),
        Err(NumError::Range) => u64::MAX,
    };
    let cutoff = 1u64 << 63;
    if !neg && un >= cutoff {
        return Err(NumError::Range);
    }
    if neg && un > cutoff {
        return Err(NumError::Range);
    }
    Ok(if neg { (un as i64).wrapping_neg() } else { un as i64 })
}

/// The result of Go's `readFloat` scan: the syntax is valid up to `len` bytes.
struct FloatScan {
    mantissa: u64,
    exp: i64,
    neg: bool,
    trunc: bool,
    hex: bool,
    len: usize,
}

/// A port of `readFloat`: validates Go float syntax and, for hexadecimal
/// floats, collects the mantissa and binary exponent.
fn read_float(s: &[u8]) -> Option<FloatScan> {
    let mut i = 0;
    let mut underscores = false;
    let mut neg = false;
    if i >= s.len() {
        return None;
    }
    if s[i] == b'+' {
        i += 1;
    } else if s[i] == b'-' {
        neg = true;
        i += 1;
    }
    let mut base: u64 = 10;
    let mut max_mant_digits = 19;
    let mut exp_char = b'e';
    let mut hex = false;
    if i + 2 < s.len() && s[i] == b'0' && lower(s[i + 1]) == b'x' {
        base = 16;
        max_mant_digits = 16;
        i += 2;
        exp_char = b'p';
        hex = true;
    }
    let mut sawdot = false;
    let mut sawdigits = false;
    let mut nd: i64 = 0;
    let mut nd_mant: i64 = 0;
    let mut dp: i64 = 0;
    let mut mantissa: u64 = 0;
    let mut trunc = false;
    while i < s.len() {
        let c = s[i];
        if c == b'_' {
            underscores = true;
        } else if c == b'.' {
            if sawdot {
                break;
            }
            sawdot = true;
            dp = nd;
        } else if c.is_ascii_digit() {
            sawdigits = true;
            if c == b'0' && nd == 0 {
                dp -= 1;
                i += 1;
                continue;
            }
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa.wrapping_mul(base).wrapping_add(u64::from(c - b'0'));
                nd_mant += 1;
            } else if c != b'0' {
                trunc = true;
            }
        } else if base == 16 && (b'a'..=b'f').contains(&lower(c)) {
            sawdigits = true;
            nd += 1;
            if nd_mant < max_mant_digits {
                mantissa = mantissa.wrapping_mul(16).wrapping_add(u64::from(lower(c) - b'a' + 10));
                nd_mant += 1;
            } else {
                trunc = true;
            }
        } else {
            break;
        }
        i += 1;
    }
    if !sawdigits {
        return None;
    }
    if !sawdot {
        dp = nd;
    }
    if base == 16 {
        dp *= 4;
        nd_mant *= 4;
    }
    if i < s.len() && lower(s[i]) == exp_char {
        i += 1;
        if i >= s.len() {
            return None;
        }
        let mut esign = 1;
        if s[i] == b'+' {
            i += 1;
        } else if s[i] == b'-' {
            i += 1;
            esign = -1;
        }
        if i >= s.len() || !s[i].is_ascii_digit() {
            return None;
        }
        let mut e: i64 = 0;
        while i < s.len() && (s[i].is_ascii_digit() || s[i] == b'_') {
            if s[i] == b'_' {
                underscores = true;
            } else if e < 10000 {
                e = e * 10 + i64::from(s[i] - b'0');
            }
            i += 1;
        }
        dp += e * esign;
    } else if base == 16 {
        return None;
    }
    let exp = if mantissa != 0 { dp - nd_mant } else { 0 };
    if underscores && !underscore_ok(&s[..i]) {
        return None;
    }
    Some(FloatScan {
        mantissa,
        exp,
        neg,
        trunc,
        hex,
        len: i,
    })
}

/// `atofHex` for float64: rounds a hexadecimal mantissa to nearest even.
fn atof_hex(mut mantissa: u64, mut exp: i64, neg: bool, trunc: bool) -> Result<f64, NumError> {
    const MANT_BITS: i64 = 52;
    const BIAS: i64 = -1023;
    let max_exp = (1 << 11) + BIAS - 2;
    let min_exp = BIAS + 1;
    exp += MANT_BITS;
    while mantissa != 0 && mantissa >> (MANT_BITS + 2) == 0 {
        mantissa <<= 1;
        exp -= 1;
    }
    if trunc {
        mantissa |= 1;
    }
    while mantissa >> (1 + MANT_BITS + 2) != 0 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    while mantissa > 1 && exp < min_exp - 2 {
        mantissa = (mantissa >> 1) | (mantissa & 1);
        exp += 1;
    }
    let mut round = mantissa & 3;
    mantissa >>= 2;
    round |= mantissa & 1;
    exp += 2;
    if round == 3 {
        mantissa += 1;
        if mantissa == 1 << (1 + MANT_BITS) {
            mantissa >>= 1;
            exp += 1;
        }
    }
    if mantissa >> MANT_BITS == 0 {
        exp = BIAS;
    }
    let mut err = None;
    if exp > max_exp {
        mantissa = 1 << MANT_BITS;
        exp = max_exp + 1;
        err = Some(NumError::Range);
    }
    let mut bits = mantissa & ((1 << MANT_BITS) - 1);
    bits |= (((exp - BIAS) & ((1 << 11) - 1)) as u64) << MANT_BITS;
    if neg {
        bits |= 1 << 63;
    }
    match err {
        Some(e) => Err(e),
        None => Ok(f64::from_bits(bits)),
    }
}

/// `strconv.ParseFloat(s, 64)`, including hexadecimal floats and underscores.
/// Decimal conversion uses Rust's correctly rounded parser, as Go's is.
pub(crate) fn parse_float(s: &str) -> Result<f64, NumError> {
    let b = s.as_bytes();
    if let Some(v) = parse_special(b) {
        return Ok(v);
    }
    let scan = read_float(b).ok_or(NumError::Syntax)?;
    if scan.len != b.len() {
        return Err(NumError::Syntax);
    }
    if scan.hex {
        return atof_hex(scan.mantissa, scan.exp, scan.neg, scan.trunc);
    }
    let cleaned: String = s.chars().filter(|&c| c != '_').collect();
    let v: f64 = cleaned.parse().map_err(|_| NumError::Syntax)?;
    if v.is_infinite() {
        return Err(NumError::Range);
    }
    Ok(v)
}

/// Go's `special`: "inf", "infinity" and "nan" in any case, with a sign for inf.
fn parse_special(s: &[u8]) -> Option<f64> {
    let (sign, body) = match s.first()? {
        b'+' => (1.0, &s[1..]),
        b'-' => (-1.0, &s[1..]),
        _ => (1.0, s),
    };
    let lower: Vec<u8> = body.iter().map(u8::to_ascii_lowercase).collect();
    if lower == b"inf" || lower == b"infinity" {
        return Some(sign * f64::INFINITY);
    }
    if body.len() == s.len() && lower == b"nan" {
        return Some(f64::NAN);
    }
    None
}

// ---------------------------------------------------------------------------
// Float formatting.

/// Decimal digits of a non-negative float: `digits[..nd]` with the decimal
/// point `dp` places from the left, trailing zeros removed. Zero is `nd == 0,
/// dp == 0`, as in Go's `decimalSlice`.
struct Digits {
    d: Vec<u8>,
    dp: i64,
}

impl Digits {
    fn nd(&self) -> i64 {
        self.d.len() as i64
    }

    /// Parses Rust's `{:e}` output ("1.2345e6") into digits and exponent.
    fn from_exp_form(s: &str) -> Digits {
        let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
        let exp: i64 = exp.parse().unwrap_or(0);
        let mut d: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
        while d.last() == Some(&b'0') {
            d.pop();
        }
        if d.is_empty() {
            return Digits { d, dp: 0 };
        }
        Digits { d, dp: exp + 1 }
    }

    /// The shortest digits that round-trip (Go's Ryu shortest mode).
    fn shortest(abs: f64) -> Digits {
        let mut s = String::with_capacity(32);
        let _ = write!(s, "{abs:e}");
        Digits::from_exp_form(&s)
    }

    /// Exactly `n` significant digits, correctly rounded half to even.
    fn significant(abs: f64, n: usize) -> Digits {
        let mut s = String::with_capacity(n + 8);
        let _ = write!(s, "{:.*e}", n.saturating_sub(1), abs);
        Digits::from_exp_form(&s)
    }
}

/// `strconv.AppendFloat(dst, v, fmt, prec, 64)`.
pub(crate) fn append_float(dst: &mut Vec<u8>, v: f64, fmt: u8, prec: i64) {
    let bits = v.to_bits();
    let neg = bits >> 63 != 0;
    let exp_bits = ((bits >> 52) & 0x7FF) as i64;
    let mant = bits & ((1 << 52) - 1);
    if exp_bits == 0x7FF {
        let s: &[u8] = if mant != 0 {
            b"NaN"
        } else if neg {
            b"-Inf"
        } else {
            b"+Inf"
        };
        dst.extend_from_slice(s);
        return;
    }
    let (mant, exp) = if exp_bits == 0 {
        (mant, 1 - 1023)
    } else {
        (mant | (1 << 52), exp_bits - 1023)
    };
    match fmt {
        b'b' => return fmt_b(dst, neg, mant, exp),
        b'x' | b'X' => return fmt_x(dst, prec, fmt, neg, mant, exp),
        _ => {}
    }
    let abs = v.abs();
    let shortest = prec < 0;
    let mut prec = prec;
    if fmt == b'f' && !shortest {
        // Go rounds the exact binary value at `prec` fraction digits, half to
        // even; Rust's fixed formatting does the same.
        if neg {
            dst.push(b'-');
        }
        let mut s = String::new();
        let _ = write!(s, "{:.*}", prec as usize, abs);
        dst.extend_from_slice(s.as_bytes());
        return;
    }
    let digs = if shortest {
        let d = Digits::shortest(abs);
        prec = match fmt {
            b'e' | b'E' => (d.nd() - 1).max(0),
            b'f' => (d.nd() - d.dp).max(0),
            _ => d.nd(),
        };
        d
    } else {
        let n = match fmt {
            b'e' | b'E' => prec + 1,
            b'g' | b'G' => {
                if prec == 0 {
                    prec = 1;
                }
                prec
            }
            _ => 1,
        };
        Digits::significant(abs, n as usize)
    };
    format_digits(dst, shortest, neg, &digs, prec, fmt);
}

fn format_digits(dst: &mut Vec<u8>, shortest: bool, neg: bool, digs: &Digits, prec: i64, fmt: u8) {
    match fmt {
        b'e' | b'E' => fmt_e(dst, neg, digs, prec, fmt),
        b'f' => fmt_f(dst, neg, digs, prec),
        b'g' | b'G' => {
            let mut prec = prec;
            let mut eprec = prec;
            if eprec > digs.nd() && digs.nd() >= digs.dp {
                eprec = digs.nd();
            }
            // %e is used if the exponent from the conversion is less than -4
            // or greater than or equal to the precision; shortest uses 6.
            if shortest {
                eprec = 6;
            }
            let exp = digs.dp - 1;
            if exp < -4 || exp >= eprec {
                if prec > digs.nd() {
                    prec = digs.nd();
                }
                fmt_e(dst, neg, digs, prec - 1, fmt + b'e' - b'g');
                return;
            }
            if prec > digs.dp {
                prec = digs.nd();
            }
            fmt_f(dst, neg, digs, (prec - digs.dp).max(0));
        }
        _ => {
            dst.push(b'%');
            dst.push(fmt);
        }
    }
}

fn fmt_e(dst: &mut Vec<u8>, neg: bool, d: &Digits, prec: i64, fmt: u8) {
    if neg {
        dst.push(b'-');
    }
    dst.push(d.d.first().copied().unwrap_or(b'0'));
    if prec > 0 {
        dst.push(b'.');
        let mut i = 1;
        let m = d.nd().min(prec + 1);
        if i < m {
            dst.extend_from_slice(&d.d[1..m as usize]);
            i = m;
        }
        while i <= prec {
            dst.push(b'0');
            i += 1;
        }
    }
    dst.push(fmt);
    let mut exp = d.dp - 1;
    if d.nd() == 0 {
        exp = 0;
    }
    if exp < 0 {
        dst.push(b'-');
        exp = -exp;
    } else {
        dst.push(b'+');
    }
    if exp < 10 {
        dst.push(b'0');
        dst.push(b'0' + exp as u8);
    } else if exp < 100 {
        dst.push(b'0' + (exp / 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    } else {
        dst.push(b'0' + (exp / 100) as u8);
        dst.push(b'0' + ((exp / 10) % 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    }
}

fn fmt_f(dst: &mut Vec<u8>, neg: bool, d: &Digits, prec: i64) {
    if neg {
        dst.push(b'-');
    }
    if d.dp > 0 {
        let m = d.nd().min(d.dp);
        dst.extend_from_slice(&d.d[..m as usize]);
        for _ in m..d.dp {
            dst.push(b'0');
        }
    } else {
        dst.push(b'0');
    }
    if prec > 0 {
        dst.push(b'.');
        for i in 0..prec {
            let j = d.dp + i;
            let ch = if 0 <= j && j < d.nd() { d.d[j as usize] } else { b'0' };
            dst.push(ch);
        }
    }
}

fn fmt_b(dst: &mut Vec<u8>, neg: bool, mant: u64, exp: i64) {
    if neg {
        dst.push(b'-');
    }
    let mut s = String::new();
    let e = exp - 52;
    let _ = write!(s, "{mant}p");
    if e >= 0 {
        s.push('+');
    }
    let _ = write!(s, "{e}");
    dst.extend_from_slice(s.as_bytes());
}

fn fmt_x(dst: &mut Vec<u8>, prec: i64, fmt: u8, neg: bool, mut mant: u64, mut exp: i64) {
    if mant == 0 {
        exp = 0;
    }
    // Shift digits so the leading 1 (if any) is at bit 1<<60.
    mant <<= 60 - 52;
    while mant != 0 && mant & (1 << 60) == 0 {
        mant <<= 1;
        exp -= 1;
    }
    if (0..15).contains(&prec) {
        let shift = (prec * 4) as u32;
        let extra = (mant << shift) & ((1 << 60) - 1);
        mant >>= 60 - shift;
        if extra | (mant & 1) > 1 << 59 {
            mant += 1;
        }
        mant <<= 60 - shift;
        if mant & (1 << 61) != 0 {
            mant >>= 1;
            exp += 1;
        }
    }
    let hex = if fmt == b'X' { UPPER_HEX } else { LOWER_HEX };
    if neg {
        dst.push(b'-');
    }
    dst.push(b'0');
    dst.push(fmt);
    dst.push(b'0' + ((mant >> 60) & 1) as u8);
    mant <<= 4;
    if prec < 0 && mant != 0 {
        dst.push(b'.');
        while mant != 0 {
            dst.push(hex[((mant >> 60) & 15) as usize]);
            mant <<= 4;
        }
    } else if prec > 0 {
        dst.push(b'.');
        for _ in 0..prec {
            dst.push(hex[((mant >> 60) & 15) as usize]);
            mant <<= 4;
        }
    }
    dst.push(if fmt == b'X' { b'P' } else { b'p' });
    if exp < 0 {
        dst.push(b'-');
        exp = -exp;
    } else {
        dst.push(b'+');
    }
    if exp < 100 {
        dst.push(b'0' + (exp / 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    } else if exp < 1000 {
        dst.push(b'0' + (exp / 100) as u8);
        dst.push(b'0' + ((exp / 10) % 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    } else {
        dst.push(b'0' + (exp / 1000) as u8);
        dst.push(b'0' + ((exp / 100) % 10) as u8);
        dst.push(b'0' + ((exp / 10) % 10) as u8);
        dst.push(b'0' + (exp % 10) as u8);
    }
}

/// Converts bytes that are known to be UTF-8 (or are only used in messages)
/// into a `String`, replacing anything invalid rather than failing.
pub(crate) fn bytes_to_string(b: Vec<u8>) -> String {
    match String::from_utf8(b) {
        Ok(s) => s,
        Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64, f: u8, prec: i64) -> String {
        let mut b = Vec::new();
        append_float(&mut b, v, f, prec);
        String::from_utf8(b).unwrap()
    }

    #[test]
    fn shortest_g_switches_to_exponent_at_21_digits_never() {
        // strconv uses an exponent threshold of 6 for shortest %g.
        assert_eq!(fmt(3.0, b'g', -1), "3");
        assert_eq!(fmt(1.5, b'g', -1), "1.5");
        assert_eq!(fmt(123456.0, b'g', -1), "123456");
        assert_eq!(fmt(1e6, b'g', -1), "1e+06");
        assert_eq!(fmt(123456789.0, b'g', -1), "1.23456789e+08");
        assert_eq!(fmt(0.0001, b'g', -1), "0.0001");
        assert_eq!(fmt(0.00001, b'g', -1), "1e-05");
        assert_eq!(fmt(0.0, b'g', -1), "0");
        assert_eq!(fmt(-0.0, b'g', -1), "-0");
        assert_eq!(fmt(1e100, b'g', -1), "1e+100");
        assert_eq!(fmt(f64::NAN, b'g', -1), "NaN");
        assert_eq!(fmt(f64::NEG_INFINITY, b'g', -1), "-Inf");
    }

    #[test]
    fn fixed_precisions() {
        assert_eq!(fmt(1.23456, b'e', 3), "1.235e+00");
        assert_eq!(fmt(0.0, b'e', 6), "0.000000e+00");
        assert_eq!(fmt(2.5, b'f', 0), "2");
        assert_eq!(fmt(1234.5678, b'g', 3), "1.23e+03");
        assert_eq!(fmt(100.0, b'g', 3), "100");
        assert_eq!(fmt(1.0, b'b', -1), "4503599627370496p-52");
        assert_eq!(fmt(1.0, b'x', -1), "0x1p+00");
        assert_eq!(fmt(3.0, b'X', 2), "0X1.80P+01");
    }

    #[test]
    fn parses_go_numbers() {
        assert_eq!(parse_int("0x1F"), Ok(31));
        assert_eq!(parse_int("0o17"), Ok(15));
        assert_eq!(parse_int("017"), Ok(15));
        assert_eq!(parse_int("0b101"), Ok(5));
        assert_eq!(parse_int("1_000"), Ok(1000));
        assert_eq!(parse_int("-9223372036854775808"), Ok(i64::MIN));
        assert_eq!(parse_int("9223372036854775808"), Err(NumError::Range));
        assert_eq!(parse_int("089"), Err(NumError::Syntax));
        assert_eq!(parse_int("1__0"), Err(NumError::Syntax));
        assert_eq!(parse_uint("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(parse_uint("18446744073709551616"), Err(NumError::Range));
        assert_eq!(parse_float("1_000.5"), Ok(1000.5));
        assert_eq!(parse_float("0x1p-2"), Ok(0.25));
        assert_eq!(parse_float("0x1.8p1"), Ok(3.0));
        assert_eq!(parse_float("1e400"), Err(NumError::Range));
        assert_eq!(parse_float("1e"), Err(NumError::Syntax));
        assert_eq!(parse_float("."), Err(NumError::Syntax));
    }

    #[test]
    fn quotes_like_go() {
        let q = |s: &[u8], ascii| {
            let mut b = Vec::new();
            append_quote(&mut b, s, b'"', ascii);
            String::from_utf8(b).unwrap()
        };
        assert_eq!(q(b"a\"b\\\n\x01\x7f", false), r#""a\"b\\\n\x01\x7f""#);
        assert_eq!(q("é\u{a0}😀".as_bytes(), false), "\"é\\u00a0😀\"");
        assert_eq!(q("é😀".as_bytes(), true), r#""\u00e9\U0001f600""#);
        assert_eq!(q(b"\xff", false), r#""\xff""#);
        assert!(can_backquote(b"a\tb"));
        assert!(!can_backquote(b"a`b"));
        assert!(!can_backquote("\u{feff}".as_bytes()));
    }

    #[test]
    fn unquotes_like_go() {
        assert_eq!(unquote(r#""a\tb""#), Ok(b"a\tb".to_vec()));
        assert_eq!(unquote(r#""\xff\u00e9""#), Ok(b"\xff\xc3\xa9".to_vec()));
        assert_eq!(unquote("`a\r\nb`"), Ok(b"a\nb".to_vec()));
        assert_eq!(unquote(r#""\q""#), Err(ERR_SYNTAX));
        assert_eq!(unquote(r#""\400""#), Err(ERR_SYNTAX));
        assert_eq!(unquote(r#""\ud800""#), Err(ERR_SYNTAX));
    }
}
