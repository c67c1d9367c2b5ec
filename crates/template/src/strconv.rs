//! Text ↔ value conversions with Go's conventions: reading the literals of
//! template source (string, raw string and character literals; integer and
//! float numbers in every Go syntax), writing quoted text as Go's `%q` and
//! error messages show it, and laying out floats in Go's forms (`1e+06`,
//! `0x1.8p+01`, `4503599627370496p-52`).
//!
//! Strings are bytes: Go strings may hold invalid UTF-8, and output must keep
//! it. The decimal digits of a float come from Rust's own formatting (shortest
//! round-trip digits for `{:e}`, exact correctly rounded digits with a
//! precision) and decimal text is read by `str::parse::<f64>`; this module
//! only checks Go's syntax and arranges the digits the way Go prints them.

use crate::unicode::is_print;
use crate::utf8::{REPLACEMENT, decode_char, is_scalar};

const HEX_LOWER: &[u8; 16] = b"0123456789abcdef";
const HEX_UPPER: &[u8; 16] = b"0123456789ABCDEF";

/// Bytes that should be UTF-8 (or only feed a message) as a `String`;
/// anything invalid becomes U+FFFD instead of failing.
pub(crate) fn bytes_to_string(b: Vec<u8>) -> String {
    String::from_utf8(b).unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned())
}

// ===========================================================================
// Writing quoted text.
// ===========================================================================

/// Writes one character (known valid) as it appears between `delim` quotes:
/// itself when printable, otherwise the shortest Go escape.
fn push_escaped(out: &mut Vec<u8>, c: char, delim: u8, ascii_only: bool) {
    let code = u32::from(c);
    if code == u32::from(delim) || c == '\\' {
        out.push(b'\\');
        out.push(code as u8);
        return;
    }
    let printable = if ascii_only {
        code < 0x80 && is_print(code)
    } else {
        is_print(code)
    };
    if printable {
        let mut tmp = [0u8; 4];
        out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
        return;
    }
    let short = match c {
        '\u{7}' => Some(b'a'),
        '\u{8}' => Some(b'b'),
        '\u{c}' => Some(b'f'),
        '\n' => Some(b'n'),
        '\r' => Some(b'r'),
        '\t' => Some(b't'),
        '\u{b}' => Some(b'v'),
        _ => None,
    };
    if let Some(letter) = short {
        out.extend_from_slice(&[b'\\', letter]);
    } else if code < 0x20 || code == 0x7f {
        push_hex_escape(out, b'x', code, 2);
    } else if code < 0x1_0000 {
        push_hex_escape(out, b'u', code, 4);
    } else {
        push_hex_escape(out, b'U', code, 8);
    }
}

/// `\x1f`, `\u00e9`, `\U0001f600`: lowercase hex, fixed width.
fn push_hex_escape(out: &mut Vec<u8>, letter: u8, code: u32, digits: u32) {
    out.push(b'\\');
    out.push(letter);
    for k in (0..digits).rev() {
        out.push(HEX_LOWER[((code >> (4 * k)) & 0xF) as usize]);
    }
}

/// Appends `text` between `delim` quotes as Go's `strconv.Quote` writes it
/// (`ascii_only`: as `QuoteToASCII`). Bytes that are not UTF-8 become `\xNN`.
pub(crate) fn append_quote(out: &mut Vec<u8>, text: &[u8], delim: u8, ascii_only: bool) {
    out.push(delim);
    let mut rest = text;
    while !rest.is_empty() {
        let (code, used) = decode_char(rest);
        match char::from_u32(code) {
            Some(c) if !(used == 1 && code == REPLACEMENT) => push_escaped(out, c, delim, ascii_only),
            _ => push_hex_escape(out, b'x', u32::from(rest[0]), 2),
        }
        rest = &rest[used.max(1)..];
    }
    out.push(delim);
}

/// A Go double-quoted string literal for `s`, as error messages show names.
pub(crate) fn quote(s: &str) -> String {
    let mut out = Vec::with_capacity(s.len() + 2);
    append_quote(&mut out, s.as_bytes(), b'"', false);
    bytes_to_string(out)
}

/// Appends the character `code` as a Go character literal (`'a'`, `'\n'`);
/// anything that is not a valid character is shown as U+FFFD.
pub(crate) fn append_quoted_char(out: &mut Vec<u8>, code: i64, ascii_only: bool) {
    let c = u32::try_from(code)
        .ok()
        .filter(|_| is_scalar(code))
        .and_then(char::from_u32)
        .unwrap_or('\u{FFFD}');
    out.push(b'\'');
    push_escaped(out, c, b'\'', ascii_only);
    out.push(b'\'');
}

/// Whether `s` can be shown unchanged between backquotes on one line: valid
/// UTF-8 with no backquote, no byte-order mark and no control character
/// other than tab.
pub(crate) fn fits_backquotes(s: &[u8]) -> bool {
    let mut rest = s;
    while let Some(&b) = rest.first() {
        let (code, used) = decode_char(rest);
        if used > 1 {
            if code == 0xFEFF {
                return false;
            }
        } else if code == REPLACEMENT || b == b'`' || b == 0x7f || (b < b' ' && b != b'\t') {
            return false;
        }
        rest = &rest[used..];
    }
    true
}

// ===========================================================================
// Reading literals from template source.
// ===========================================================================

/// The text of Go's syntax error for a malformed literal or number.
pub(crate) const ERR_SYNTAX: &str = "invalid syntax";

/// One character read from inside a quoted literal.
pub(crate) struct UnquotedChar {
    /// The character, or for `\xNN` and octal escapes a single byte value.
    pub(crate) value: u32,
    /// `value` is a character to encode as UTF-8 rather than a raw byte.
    pub(crate) multibyte: bool,
    /// How many input bytes it took.
    pub(crate) len: usize,
}

fn hex_value(b: u8) -> Option<u32> {
    char::from(b).to_digit(16)
}

/// Reads the first character (or escape sequence) of `s`, the inside of a
/// literal delimited by `delim`. `None` when it is malformed, or when it is
/// an unescaped delimiter of a string or character literal.
pub(crate) fn unquote_char(s: &[u8], delim: u8) -> Option<UnquotedChar> {
    let &first = s.first()?;
    if first == delim && (delim == b'"' || delim == b'\'') {
        return None;
    }
    if first >= 0x80 {
        let (value, len) = decode_char(s);
        return Some(UnquotedChar {
            value,
            multibyte: true,
            len,
        });
    }
    if first != b'\\' {
        return Some(UnquotedChar {
            value: u32::from(first),
            multibyte: false,
            len: 1,
        });
    }
    let &kind = s.get(1)?;
    let simple = |value: u8| UnquotedChar {
        value: u32::from(value),
        multibyte: false,
        len: 2,
    };
    Some(match kind {
        b'a' => simple(0x07),
        b'b' => simple(0x08),
        b'f' => simple(0x0c),
        b'n' => simple(b'\n'),
        b'r' => simple(b'\r'),
        b't' => simple(b'\t'),
        b'v' => simple(0x0b),
        b'\\' => simple(b'\\'),
        b'\'' | b'"' if kind == delim => simple(kind),
        b'x' | b'u' | b'U' => {
            let digits = match kind {
                b'x' => 2,
                b'u' => 4,
                _ => 8,
            };
            let hex = s.get(2..2 + digits)?;
            let value = hex.iter().try_fold(0u32, |acc, &b| Some(acc * 16 + hex_value(b)?))?;
            if kind != b'x' && !is_scalar(i64::from(value)) {
                return None;
            }
            UnquotedChar {
                value,
                multibyte: kind != b'x',
                len: 2 + digits,
            }
        }
        b'0'..=b'7' => {
            let oct = s.get(1..4)?;
            let value = oct.iter().try_fold(0u32, |acc, &b| match b {
                b'0'..=b'7' => Some(acc * 8 + u32::from(b - b'0')),
                _ => None,
            })?;
            if value > 0xff {
                return None;
            }
            UnquotedChar {
                value,
                multibyte: false,
                len: 4,
            }
        }
        _ => return None,
    })
}

/// The value of a Go string, raw string or character literal (quotes
/// included in `lit`). Bytes, since `"\xff"` is not UTF-8.
pub(crate) fn unquote(lit: &str) -> Result<Vec<u8>, &'static str> {
    let bytes = lit.as_bytes();
    let (Some(&open), Some(&close)) = (bytes.first(), bytes.last()) else {
        return Err(ERR_SYNTAX);
    };
    if bytes.len() < 2 || open != close {
        return Err(ERR_SYNTAX);
    }
    let inner = &bytes[1..bytes.len() - 1];
    match open {
        // Raw strings hold anything but a backquote; carriage returns are
        // dropped from their value.
        b'`' if !inner.contains(&b'`') => Ok(inner.iter().copied().filter(|&b| b != b'\r').collect()),
        b'"' | b'\'' if !inner.contains(&b'\n') => {
            let mut out = Vec::with_capacity(inner.len());
            let mut rest = inner;
            let mut count = 0;
            while !rest.is_empty() {
                let ch = unquote_char(rest, open).ok_or(ERR_SYNTAX)?;
                if ch.multibyte {
                    let c = char::from_u32(ch.value).unwrap_or('\u{FFFD}');
                    let mut tmp = [0u8; 4];
                    out.extend_from_slice(c.encode_utf8(&mut tmp).as_bytes());
                } else {
                    out.push(ch.value as u8);
                }
                rest = &rest[ch.len..];
                count += 1;
            }
            if open == b'\'' && count != 1 {
                return Err(ERR_SYNTAX);
            }
            Ok(out)
        }
        _ => Err(ERR_SYNTAX),
    }
}

// ===========================================================================
// Reading numbers.
// ===========================================================================

/// Why a number did not convert: bad syntax, or a value out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumError {
    Syntax,
    Range,
}

/// Splits a base prefix (`0x`, `0o`, `0b`, any case) off `s`.
fn split_radix(s: &[u8]) -> (u32, &[u8]) {
    match s {
        [b'0', b'x' | b'X', rest @ ..] => (16, rest),
        [b'0', b'o' | b'O', rest @ ..] => (8, rest),
        [b'0', b'b' | b'B', rest @ ..] => (2, rest),
        [b'0', _, ..] => (8, s),
        _ => (10, s),
    }
}

/// Go's rule for `_` in number literals: each one sits between two digits,
/// or between a base prefix and a digit. `s` may carry a sign, a point and
/// an exponent; those count as non-digits.
fn underscores_well_placed(s: &[u8]) -> bool {
    let s = s.strip_prefix(b"+").or_else(|| s.strip_prefix(b"-")).unwrap_or(s);
    let (radix, body) = split_radix(s);
    let has_prefix = body.len() != s.len();
    // What came just before: a digit (or prefix), an underscore, or other.
    #[derive(PartialEq)]
    enum Prev {
        Digit,
        Underscore,
        Other,
    }
    let mut prev = if has_prefix { Prev::Digit } else { Prev::Other };
    for &b in body {
        let is_digit = b.is_ascii_digit() || (radix == 16 && b.is_ascii_hexdigit());
        prev = if is_digit {
            Prev::Digit
        } else if b == b'_' {
            if prev != Prev::Digit {
                return false;
            }
            Prev::Underscore
        } else {
            if prev == Prev::Underscore {
                return false;
            }
            Prev::Other
        };
    }
    prev != Prev::Underscore
}

/// An unsigned integer in Go literal syntax (`ParseUint(s, 0, 64)`).
pub(crate) fn parse_uint(s: &str) -> Result<u64, NumError> {
    let (radix, digits) = split_radix(s.as_bytes());
    if digits.is_empty() || (digits.contains(&b'_') && !underscores_well_placed(s.as_bytes())) {
        return Err(NumError::Syntax);
    }
    let mut value: u64 = 0;
    let mut overflow = false;
    for &b in digits.iter().filter(|&&b| b != b'_') {
        let d = char::from(b).to_digit(radix).ok_or(NumError::Syntax)?;
        match value
            .checked_mul(u64::from(radix))
            .and_then(|v| v.checked_add(u64::from(d)))
        {
            Some(v) => value = v,
            None => overflow = true,
        }
    }
    if overflow { Err(NumError::Range) } else { Ok(value) }
}

/// A signed integer in Go literal syntax (`ParseInt(s, 0, 64)`).
pub(crate) fn parse_int(s: &str) -> Result<i64, NumError> {
    let (negative, magnitude) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    let m = parse_uint(magnitude)?;
    if negative {
        0i64.checked_sub_unsigned(m).ok_or(NumError::Range)
    } else {
        i64::try_from(m).map_err(|_| NumError::Range)
    }
}

/// A float in Go syntax (`ParseFloat(s, 64)`): decimal or hexadecimal
/// (`0x1.8p3`), underscores between digits, `Inf`/`Infinity` with an
/// optional sign and `NaN`, any case. Overflow is a range error.
pub(crate) fn parse_float(s: &str) -> Result<f64, NumError> {
    if let Some(special) = special_float(s) {
        return Ok(special);
    }
    let bytes = s.as_bytes();
    if bytes.contains(&b'_') && !underscores_well_placed(bytes) {
        return Err(NumError::Syntax);
    }
    let (negative, unsigned) = match bytes.first() {
        Some(b'-') => (true, &bytes[1..]),
        Some(b'+') => (false, &bytes[1..]),
        _ => (false, bytes),
    };
    let cleaned: Vec<u8> = unsigned.iter().copied().filter(|&b| b != b'_').collect();
    let magnitude = match cleaned.as_slice() {
        [b'0', b'x' | b'X', rest @ ..] => hex_float(rest)?,
        text => decimal_float(text)?,
    };
    Ok(if negative { -magnitude } else { magnitude })
}

fn special_float(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    match lower.as_str() {
        "nan" => Some(f64::NAN),
        "inf" | "+inf" | "infinity" | "+infinity" => Some(f64::INFINITY),
        "-inf" | "-infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}

/// Splits `digits[.digits]` off the front of `s`; the mantissa must hold at
/// least one digit of `radix`.
fn split_mantissa(s: &[u8], radix: u32) -> Option<(&[u8], &[u8])> {
    let is_digit = |b: &u8| char::from(*b).is_digit(radix);
    let int_len = s.iter().take_while(|b| is_digit(b)).count();
    let mut rest = &s[int_len..];
    let mut frac_len = 0;
    if let Some(after) = rest.strip_prefix(b".") {
        frac_len = after.iter().take_while(|b| is_digit(b)).count();
        rest = &after[frac_len..];
    }
    if int_len + frac_len == 0 {
        return None;
    }
    Some((&s[..s.len() - rest.len()], rest))
}

/// A decimal exponent `[+-]digits`, saturated far beyond any meaningful value.
fn read_exponent(s: &[u8]) -> Option<i64> {
    let (negative, digits) = match s.first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let n = digits
        .iter()
        .fold(0i64, |acc, &b| (acc * 10 + i64::from(b - b'0')).min(1 << 40));
    Some(if negative { -n } else { n })
}

fn decimal_float(s: &[u8]) -> Result<f64, NumError> {
    let (_, rest) = split_mantissa(s, 10).ok_or(NumError::Syntax)?;
    if let Some(exp) = rest.strip_prefix(b"e").or_else(|| rest.strip_prefix(b"E")) {
        read_exponent(exp).ok_or(NumError::Syntax)?;
    } else if !rest.is_empty() {
        return Err(NumError::Syntax);
    }
    let text = std::str::from_utf8(s).map_err(|_| NumError::Syntax)?;
    let value: f64 = text.parse().map_err(|_| NumError::Syntax)?;
    if value.is_infinite() {
        Err(NumError::Range)
    } else {
        Ok(value)
    }
}

/// The part after `0x`: hex mantissa, then a mandatory binary exponent.
fn hex_float(s: &[u8]) -> Result<f64, NumError> {
    let (mantissa, rest) = split_mantissa(s, 16).ok_or(NumError::Syntax)?;
    let exp = rest
        .strip_prefix(b"p")
        .or_else(|| rest.strip_prefix(b"P"))
        .and_then(read_exponent)
        .ok_or(NumError::Syntax)?;
    // Keep the leading 60 bits of the mantissa; later non-zero digits only
    // matter as a "something below" bit for rounding.
    let mut bits: u64 = 0;
    let mut scale: i64 = exp;
    let mut below = false;
    let mut after_point = false;
    for &b in mantissa {
        if b == b'.' {
            after_point = true;
            continue;
        }
        let d = u64::from(hex_value(b).unwrap_or(0));
        if bits >> 56 == 0 {
            bits = bits * 16 + d;
            if after_point {
                scale -= 4;
            }
        } else {
            below |= d != 0;
            if !after_point {
                scale += 4;
            }
        }
    }
    binary_to_f64(bits, scale, below)
}

/// `bits × 2^scale` (plus a sliver when `below`) rounded to the nearest f64,
/// ties to even; too large is a range error.
fn binary_to_f64(bits: u64, scale: i64, below: bool) -> Result<f64, NumError> {
    if bits == 0 {
        return Ok(0.0);
    }
    let shift = bits.leading_zeros();
    let top_bits = u128::from(bits << shift);
    // The value is top_bits × 2^low, with bit 63 of top_bits set.
    let low = scale - i64::from(shift);
    let lead = low + 63; // binary exponent of the leading bit
    if lead > 1100 {
        return Err(NumError::Range);
    }
    // Significant bits an f64 can hold at this magnitude.
    let keep = if lead >= -1022 { 53 } else { 53 - (-1022 - lead) };
    if keep < 0 {
        return Ok(0.0);
    }
    let drop = (64 - keep) as u32;
    let mut kept = top_bits >> drop;
    let remainder = top_bits & ((1u128 << drop) - 1);
    let half = 1u128 << (drop - 1);
    if remainder > half || (remainder == half && (below || kept & 1 == 1)) {
        kept += 1;
    }
    let mut exp2 = low + i64::from(drop); // value = kept × 2^exp2
    if kept == 1 << 53 {
        kept >>= 1;
        exp2 += 1;
    }
    let kept = kept as u64;
    if kept < 1 << 52 {
        // Subnormal: the exponent is the smallest one.
        return Ok(f64::from_bits(kept));
    }
    let biased = exp2 + 52 + 1023;
    if biased >= 0x7ff {
        return Err(NumError::Range);
    }
    Ok(f64::from_bits(((biased as u64) << 52) | (kept & ((1 << 52) - 1))))
}

// ===========================================================================
// Writing floats.
// ===========================================================================

/// A float's decimal digits without sign: `0.d1d2…dn × 10^point`, with no
/// trailing zeros (zero has no digits).
struct Digits {
    digits: Vec<u8>,
    point: i64,
}

impl Digits {
    /// From Rust's scientific form `d.ddde[-]x`.
    fn from_scientific(text: &str) -> Digits {
        let (mantissa, exp) = text.split_once('e').unwrap_or((text, "0"));
        let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
        while digits.last() == Some(&b'0') {
            digits.pop();
        }
        let exp: i64 = exp.parse().unwrap_or(0);
        let point = if digits.is_empty() { 0 } else { exp + 1 };
        Digits { digits, point }
    }

    /// The shortest digits that read back as `v` (not negative).
    fn shortest(v: f64) -> Digits {
        Digits::from_scientific(&format!("{v:e}"))
    }

    /// `v` (not negative) rounded to `n` significant digits (at least 1).
    fn significant(v: f64, n: usize) -> Digits {
        Digits::from_scientific(&format!("{v:.*e}", n - 1))
    }

    fn digit(&self, i: i64) -> u8 {
        usize::try_from(i)
            .ok()
            .and_then(|i| self.digits.get(i))
            .copied()
            .unwrap_or(b'0')
    }

    /// `d.ddd` with `frac` digits after the point, then `e±XX`.
    fn push_scientific(&self, out: &mut Vec<u8>, frac: usize, e: u8) {
        out.push(self.digit(0));
        if frac > 0 {
            out.push(b'.');
            out.extend((1..=frac as i64).map(|i| self.digit(i)));
        }
        let exp = if self.digits.is_empty() { 0 } else { self.point - 1 };
        push_exponent(out, e, exp);
    }

    /// Positional notation with `frac` digits after the point.
    fn push_positional(&self, out: &mut Vec<u8>, frac: usize) {
        if self.point > 0 {
            out.extend((0..self.point).map(|i| self.digit(i)));
        } else {
            out.push(b'0');
        }
        if frac > 0 {
            out.push(b'.');
            out.extend((0..frac as i64).map(|i| self.digit(self.point + i)));
        }
    }
}

/// `e+06`, `p-1074`: a letter, a sign, at least two digits.
fn push_exponent(out: &mut Vec<u8>, letter: u8, exp: i64) {
    out.push(letter);
    out.push(if exp < 0 { b'-' } else { b'+' });
    let text = exp.unsigned_abs().to_string();
    if text.len() < 2 {
        out.push(b'0');
    }
    out.extend_from_slice(text.as_bytes());
}

/// Appends `v` in Go's float layout `form` (`b e E f g G x X`) with `prec`
/// digits (`None`: as few as read back exactly). Negative values (and
/// negative zero) start with `-`; infinities are `+Inf`/`-Inf`.
pub(crate) fn format_float(out: &mut Vec<u8>, v: f64, form: u8, prec: Option<usize>) {
    if v.is_nan() {
        out.extend_from_slice(b"NaN");
        return;
    }
    if v.is_infinite() {
        out.extend_from_slice(if v > 0.0 { b"+Inf" } else { b"-Inf" });
        return;
    }
    if v.is_sign_negative() {
        out.push(b'-');
    }
    let a = v.abs();
    match form {
        b'e' | b'E' => match prec {
            None => {
                let d = Digits::shortest(a);
                d.push_scientific(out, d.digits.len().saturating_sub(1), form);
            }
            Some(p) => Digits::significant(a, p + 1).push_scientific(out, p, form),
        },
        b'f' | b'F' => match prec {
            Some(p) => out.extend_from_slice(format!("{a:.p$}").as_bytes()),
            None => {
                let d = Digits::shortest(a);
                let frac = (d.digits.len() as i64 - d.point).max(0) as usize;
                d.push_positional(out, frac);
            }
        },
        b'g' | b'G' => general(out, a, if form == b'G' { b'E' } else { b'e' }, prec),
        b'x' | b'X' => hex_layout(out, a, form == b'X', prec),
        _ => binary_layout(out, a),
    }
}

/// `%g`: scientific for large or small exponents, positional otherwise, and
/// never trailing zeros.
fn general(out: &mut Vec<u8>, a: f64, e: u8, prec: Option<usize>) {
    let (d, wanted) = match prec {
        None => {
            let d = Digits::shortest(a);
            let n = d.digits.len();
            (d, n)
        }
        Some(p) => (Digits::significant(a, p.max(1)), p.max(1)),
    };
    let n = d.digits.len() as i64;
    let wanted = wanted as i64;
    // The exponent from which scientific notation is used.
    let limit = match prec {
        None => 6,
        Some(_) if wanted > n && n >= d.point => n,
        Some(_) => wanted,
    };
    let exp = d.point - 1;
    if exp < -4 || exp >= limit {
        let frac = (wanted.min(n) - 1).max(0) as usize;
        d.push_scientific(out, frac, e);
    } else {
        let shown = if wanted > d.point { n } else { wanted };
        d.push_positional(out, (shown - d.point).max(0) as usize);
    }
}

/// The 52 stored mantissa bits plus the implicit one, and the exponent that
/// makes `mantissa × 2^exp` the value (not negative, finite).
fn split_binary(a: f64) -> (u64, i64) {
    let bits = a.to_bits();
    let stored_exp = ((bits >> 52) & 0x7ff) as i64;
    let fraction = bits & ((1 << 52) - 1);
    if stored_exp == 0 {
        (fraction, -1074)
    } else {
        (fraction | (1 << 52), stored_exp - 1075)
    }
}

/// `%b`: decimal mantissa and binary exponent, `4503599627370496p-52`.
fn binary_layout(out: &mut Vec<u8>, a: f64) {
    let (mantissa, exp) = split_binary(a);
    out.extend_from_slice(mantissa.to_string().as_bytes());
    out.push(b'p');
    if exp >= 0 {
        out.push(b'+');
    }
    out.extend_from_slice(exp.to_string().as_bytes());
}

/// `%x`: `0x1.8p+01`, a leading 1 (0 for zero), hex fraction digits, and
/// the binary exponent; `prec` hex digits rounded to nearest even.
fn hex_layout(out: &mut Vec<u8>, a: f64, upper: bool, prec: Option<usize>) {
    let digits = if upper { HEX_UPPER } else { HEX_LOWER };
    let (mut mantissa, mut exp) = split_binary(a);
    // Place the leading one at bit 60: one integer hex digit, 15 fraction.
    if mantissa != 0 {
        let shift = mantissa.leading_zeros() as i64 - 3;
        mantissa <<= shift;
        exp -= shift - 60;
    } else {
        exp = 0;
    }
    if let Some(p) = prec.filter(|&p| p < 15) {
        let drop = 60 - 4 * p as u32;
        let rest = mantissa & ((1 << drop) - 1);
        let half = 1u64 << (drop - 1);
        mantissa >>= drop;
        if rest > half || (rest == half && mantissa & 1 == 1) {
            mantissa += 1;
        }
        mantissa <<= drop;
        if mantissa >> 61 != 0 {
            mantissa >>= 1;
            exp += 1;
        }
    }
    out.push(b'0');
    out.push(if upper { b'X' } else { b'x' });
    out.push(digits[(mantissa >> 60) as usize & 0xF]);
    let mut fraction = mantissa << 4;
    match prec {
        None if fraction != 0 => {
            out.push(b'.');
            while fraction != 0 {
                out.push(digits[(fraction >> 60) as usize]);
                fraction <<= 4;
            }
        }
        Some(p) if p > 0 => {
            out.push(b'.');
            for _ in 0..p {
                out.push(digits[(fraction >> 60) as usize]);
                fraction <<= 4;
            }
        }
        _ => {}
    }
    push_exponent(out, if upper { b'P' } else { b'p' }, exp);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fmt(v: f64, form: u8, prec: Option<usize>) -> String {
        let mut out = Vec::new();
        format_float(&mut out, v, form, prec);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn floats_in_go_layouts() {
        assert_eq!(fmt(1e6, b'g', None), "1e+06");
        assert_eq!(fmt(123456.0, b'g', None), "123456");
        assert_eq!(fmt(1e-5, b'g', None), "1e-05");
        assert_eq!(fmt(0.0001, b'g', None), "0.0001");
        assert_eq!(fmt(-0.0, b'g', None), "-0");
        assert_eq!(fmt(0.0, b'g', Some(3)), "0");
        assert_eq!(fmt(1234.0, b'g', Some(3)), "1.23e+03");
        assert_eq!(fmt(100.0, b'g', Some(2)), "1e+02");
        assert_eq!(fmt(1.5, b'g', Some(5)), "1.5");
        assert_eq!(fmt(1234.5678, b'e', Some(6)), "1.234568e+03");
        assert_eq!(fmt(0.0, b'e', None), "0e+00");
        assert_eq!(fmt(0.125, b'f', Some(2)), "0.12");
        assert_eq!(fmt(1.0, b'x', None), "0x1p+00");
        assert_eq!(fmt(3.0, b'X', None), "0X1.8P+01");
        assert_eq!(fmt(1.5, b'x', Some(0)), "0x1p+01");
        assert_eq!(fmt(1.0, b'b', None), "4503599627370496p-52");
        assert_eq!(fmt(f64::NEG_INFINITY, b'g', None), "-Inf");
    }

    #[test]
    fn numbers_in_go_syntax() {
        assert_eq!(parse_int("-0x1_0"), Ok(-16));
        assert_eq!(parse_int("0o17"), Ok(15));
        assert_eq!(parse_int("017"), Ok(15));
        assert_eq!(parse_uint("1__0"), Err(NumError::Syntax));
        assert_eq!(parse_uint("18446744073709551616"), Err(NumError::Range));
        assert_eq!(parse_float("0x1.8p1"), Ok(3.0));
        assert_eq!(parse_float("0x1p-1074"), Ok(5e-324));
        assert_eq!(parse_float("1_000.5"), Ok(1000.5));
        assert_eq!(parse_float("1e400"), Err(NumError::Range));
        assert_eq!(parse_float("0x1p1024"), Err(NumError::Range));
        assert_eq!(parse_float("0x1.8"), Err(NumError::Syntax));
        assert_eq!(parse_float("1e"), Err(NumError::Syntax));
        assert!(parse_float("-Infinity").is_ok_and(|f| f == f64::NEG_INFINITY));
    }

    #[test]
    fn quoting() {
        assert_eq!(quote("a\"b\n\u{7f}é\u{200b}"), "\"a\\\"b\\n\\x7fé\\u200b\"");
        let mut out = Vec::new();
        append_quote(&mut out, b"\xff\xe9", b'"', true);
        assert_eq!(out, b"\"\\xff\\xe9\"");
        assert_eq!(unquote("\"\\x41\\u00e9\\101\""), Ok("Aé\x41".as_bytes().to_vec()));
        assert_eq!(unquote("'ab'"), Err(ERR_SYNTAX));
        assert_eq!(unquote("`a\r\nb`"), Ok(b"a\nb".to_vec()));
        assert!(fits_backquotes(b"a\tb") && !fits_backquotes(b"a`b"));
    }
}
