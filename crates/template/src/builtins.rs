//! The predefined template functions (`and or not len index slice print
//! printf println html js urlquery call eq ne lt le gt ge`), the only
//! functions a matchbox template can call.
//!
//! Written from the `text/template` documentation ("Functions" and the
//! comparison rules below it) and from Go 1.19's observed results and error
//! texts, recorded in `tests/golden/cases.json` by the oracle.
//!
//! `and` and `or` decide which operands get evaluated, so the executor runs
//! them itself; every other function receives its arguments already
//! evaluated and converted to the parameter kinds of [`Builtin::signature`].
//! No function values exist in matchbox's data, so `call` always fails.

use std::borrow::Cow;

use crate::gofmt::{format_val, sprint, sprintf, sprintln};
use crate::unicode::is_print;
use crate::utf8::decode_char;
use crate::val::{Conc, ListRef, Val};

/// A predefined function, resolved by name at parse time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Builtin {
    And,
    Call,
    Html,
    Index,
    Slice,
    Js,
    Len,
    Not,
    Or,
    Print,
    Printf,
    Println,
    Urlquery,
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
    Ne,
}

/// How an argument is handed to a function, which decides what a nil or an
/// interface-held argument turns into before the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// Untouched: the function sees exactly what was evaluated.
    Value,
    /// Any value, where "no value" arrives as nil.
    Any,
    /// A string (the format of `printf`).
    Str,
}

/// Every function with its template name.
const NAMES: [(Builtin, &str); 19] = [
    (Builtin::And, "and"),
    (Builtin::Call, "call"),
    (Builtin::Html, "html"),
    (Builtin::Index, "index"),
    (Builtin::Slice, "slice"),
    (Builtin::Js, "js"),
    (Builtin::Len, "len"),
    (Builtin::Not, "not"),
    (Builtin::Or, "or"),
    (Builtin::Print, "print"),
    (Builtin::Printf, "printf"),
    (Builtin::Println, "println"),
    (Builtin::Urlquery, "urlquery"),
    (Builtin::Eq, "eq"),
    (Builtin::Ge, "ge"),
    (Builtin::Gt, "gt"),
    (Builtin::Le, "le"),
    (Builtin::Lt, "lt"),
    (Builtin::Ne, "ne"),
];

impl Builtin {
    pub(crate) fn from_name(name: &str) -> Option<Builtin> {
        NAMES.iter().find(|(_, n)| *n == name).map(|&(f, _)| f)
    }

    pub(crate) fn name(self) -> &'static str {
        NAMES.iter().find(|(f, _)| *f == self).map_or("", |&(_, n)| n)
    }

    /// The arity: the parameters every call must supply, then the kind of
    /// the optional repeated parameter for functions taking any number more.
    /// The counts decide Go's "wrong number of args" messages.
    pub(crate) fn signature(self) -> (&'static [Param], Option<Param>) {
        use Param::{Any, Str, Value};
        match self {
            // At least one operand, then as many as wanted.
            Builtin::And | Builtin::Or | Builtin::Call | Builtin::Index | Builtin::Slice | Builtin::Eq => {
                (&[Value], Some(Value))
            }
            Builtin::Not | Builtin::Len => (&[Value], None),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => (&[Value, Value], None),
            // Zero or more of anything.
            Builtin::Html | Builtin::Js | Builtin::Urlquery | Builtin::Print | Builtin::Println => (&[], Some(Any)),
            Builtin::Printf => (&[Str], Some(Any)),
        }
    }
}

/// Runs any function but `and`/`or` on its evaluated arguments. The error is
/// the text Go puts after "error calling NAME: ".
pub(crate) fn call<'a>(f: Builtin, args: Vec<Val<'a>>) -> Result<Val<'a>, String> {
    let truth = |b: bool| Val::Conc(Conc::Bool(b));
    let mut args = args.into_iter();
    // The arity was checked by the executor; a shortfall reads as no value.
    let mut take = || args.next().unwrap_or(Val::Invalid);
    Ok(match f {
        Builtin::And | Builtin::Or => return Err("and/or are evaluated by the executor".to_owned()),
        Builtin::Not => truth(!take().truth()),
        Builtin::Len => length(take())?,
        Builtin::Call => return Err(not_callable(take())),
        Builtin::Index => {
            let target = take();
            index(target, args)?
        }
        Builtin::Slice => {
            let target = take();
            slice(target, args.collect())?
        }
        Builtin::Eq => {
            let first = take();
            truth(equals_any(first, args)?)
        }
        Builtin::Ne => {
            let (a, b) = (take(), take());
            truth(!equal(&a, &b)?)
        }
        Builtin::Lt => {
            let (a, b) = (take(), take());
            truth(less(&a, &b)?)
        }
        Builtin::Le => {
            let (a, b) = (take(), take());
            truth(less_or_equal(&a, &b)?)
        }
        Builtin::Gt => {
            let (a, b) = (take(), take());
            truth(!less_or_equal(&a, &b)?)
        }
        Builtin::Ge => {
            let (a, b) = (take(), take());
            truth(!less(&a, &b)?)
        }
        Builtin::Print | Builtin::Println | Builtin::Printf => {
            let format = (f == Builtin::Printf).then(&mut take);
            let operands: Vec<Option<Conc<'a>>> = args.map(Val::into_concrete).collect();
            let mut out = Vec::new();
            match format {
                None if f == Builtin::Print => sprint(&mut out, &operands),
                None => sprintln(&mut out, &operands),
                Some(format) => {
                    // The executor only lets a string through as the format.
                    if let Some(Conc::Str(text)) = format.concrete() {
                        sprintf(&mut out, text, &operands);
                    }
                }
            }
            Val::string(out)
        }
        Builtin::Html | Builtin::Js | Builtin::Urlquery => {
            let text = text_of(args.map(Val::into_concrete).collect());
            let escape = match f {
                Builtin::Html => html_escape,
                Builtin::Js => js_escape,
                _ => url_query_escape,
            };
            Val::string(escape(&text))
        }
    })
}

/// The text the escaping functions work on: their arguments joined the way
/// `print` joins them, except that nil shows as `<no value>`, as an action
/// printing nothing would show it.
fn text_of(args: Vec<Option<Conc<'_>>>) -> Vec<u8> {
    const NO_VALUE: &[u8] = b"<no value>";
    let shown: Vec<Option<Conc<'_>>> = args
        .into_iter()
        .map(|a| Some(a.unwrap_or(Conc::Str(Cow::Borrowed(NO_VALUE)))))
        .collect();
    let mut out = Vec::new();
    sprint(&mut out, &shown);
    out
}

/// The message of `call`: nothing in the data can be called.
fn not_callable(v: Val<'_>) -> String {
    match v.concrete() {
        None => "call of nil".to_owned(),
        Some(c) => format!("non-function of type {}", c.type_name()),
    }
}

// ---------------------------------------------------------------- len

fn length(v: Val<'_>) -> Result<Val<'_>, String> {
    let n = match &v {
        // Go panics asking a missing value for its type, and reports that.
        Val::Invalid => return Err("reflect: call of reflect.Value.Type on zero Value".to_owned()),
        Val::NilIface => return Err("len of nil pointer".to_owned()),
        Val::Conc(c) | Val::Iface(c) => match c {
            Conc::Str(s) => s.len(),
            Conc::List(l) => l.len(),
            Conc::Map(m) => m.len(),
            Conc::StrMap(m) => m.len(),
            other => return Err(format!("len of type {}", other.type_name())),
        },
    };
    Ok(Val::Conc(Conc::Int(i64::try_from(n).unwrap_or(i64::MAX))))
}

// ---------------------------------------------------------------- index and slice

/// Reads an integer position for a string or list and checks that it lies in
/// `0..=limit`. Only Go integers qualify (a float, even 1.0, does not); a
/// position equal to the limit passes here and is judged by the caller.
fn position(p: &Val<'_>, limit: usize) -> Result<usize, String> {
    let n = match p {
        Val::Conc(Conc::Int(i)) => *i,
        Val::Conc(Conc::Uint8(b)) => i64::from(*b),
        Val::Invalid => return Err("cannot index slice/array with nil".to_owned()),
        other => return Err(format!("cannot index slice/array with type {}", other.type_name())),
    };
    match usize::try_from(n) {
        Ok(at) if at <= limit => Ok(at),
        _ => Err(format!("index out of range: {n}")),
    }
}

/// A map key: maps in matchbox data are keyed by strings only. A key that
/// is not UTF-8 is a valid string but matches no entry (`None`).
fn string_key<'k>(key: &'k Val<'_>) -> Result<Option<&'k str>, String> {
    match key {
        Val::Conc(Conc::Str(s)) => Ok(std::str::from_utf8(s).ok()),
        Val::Invalid => Err("value is nil; should be of type string".to_owned()),
        other => Err(format!("value has type {}; should be string", other.type_name())),
    }
}

/// `index x k1 k2 ...` is `x[k1][k2]...`: each step looks one level further
/// into a list (by position), a string (giving a byte) or a map (by key).
fn index<'a>(target: Val<'a>, keys: impl Iterator<Item = Val<'a>>) -> Result<Val<'a>, String> {
    let mut at = target.unwrap_iface();
    if let Val::Invalid = at {
        return Err("index of untyped nil".to_owned());
    }
    for key in keys {
        let key = key.unwrap_iface();
        let here = match at {
            // A null reached by an earlier step.
            Val::NilIface => return Err("index of nil pointer".to_owned()),
            Val::Iface(c) | Val::Conc(c) => c,
            Val::Invalid => return Err(format!("can't index item of type {}", at.type_name())),
        };
        at = match here {
            Conc::List(list) => {
                let i = position(&key, list.len())?;
                if i == list.len() {
                    // One past the end: Go's reflect panics with this text.
                    return Err("reflect: slice index out of range".to_owned());
                }
                list.get(i)
            }
            Conc::Str(s) => {
                let i = position(&key, s.len())?;
                match s.get(i) {
                    Some(&b) => Val::Conc(Conc::Uint8(b)),
                    None => return Err("reflect: string index out of range".to_owned()),
                }
            }
            // A missing key gives the element type's zero value: nil for
            // `interface{}` elements, "" for string ones.
            Conc::Map(m) => string_key(&key)?
                .and_then(|k| m.get(k))
                .map_or(Val::NilIface, Val::from_elem),
            Conc::StrMap(m) => {
                let found = string_key(&key)?
                    .and_then(|k| m.get(k))
                    .map_or(&[][..], |s| s.as_bytes());
                Val::Conc(Conc::Str(Cow::Borrowed(found)))
            }
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(at)
}

/// What `slice` can cut: a string (two bounds at most, limited by its length)
/// or a list (up to three bounds, limited by its capacity, so a list can be
/// re-extended over the nil slots past its length).
enum Sliceable<'a> {
    Text(Cow<'a, [u8]>),
    List(ListRef<'a>),
}

/// `slice x`, `slice x i`, `slice x i j`, `slice x i j k`: Go's `x[:]`,
/// `x[i:]`, `x[i:j]`, `x[i:j:k]`.
fn slice<'a>(target: Val<'a>, bounds: Vec<Val<'a>>) -> Result<Val<'a>, String> {
    // Checked in this order: nil, the number of bounds, the kind of value.
    let target = target.unwrap_iface();
    if let Val::Invalid = target {
        return Err("slice of untyped nil".to_owned());
    }
    if bounds.len() > 3 {
        return Err(format!("too many slice indexes: {}", bounds.len()));
    }
    let target = match target {
        Val::Conc(Conc::Str(s)) => Sliceable::Text(s),
        Val::Conc(Conc::List(l)) => Sliceable::List(l),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let (len, limit) = match &target {
        Sliceable::Text(_) if bounds.len() == 3 => return Err("cannot 3-index slice a string".to_owned()),
        Sliceable::Text(s) => (s.len(), s.len()),
        Sliceable::List(l) => (l.len(), l.cap()),
    };
    // Every bound is read and range-checked before their order is.
    // Bounds are taken as given: an interface-held number is not accepted.
    let given = bounds
        .iter()
        .map(|b| position(b, limit))
        .collect::<Result<Vec<usize>, String>>()?;
    let low = given.first().copied().unwrap_or(0);
    let high = given.get(1).copied().unwrap_or(len);
    let max = given.get(2).copied();
    if low > high {
        return Err(format!("invalid slice index: {low} > {high}"));
    }
    if let Some(max) = max.filter(|&m| high > m) {
        return Err(format!("invalid slice index: {high} > {max}"));
    }
    Ok(Val::Conc(match target {
        Sliceable::Text(Cow::Borrowed(s)) => Conc::Str(Cow::Borrowed(&s[low..high])),
        Sliceable::Text(Cow::Owned(s)) => Conc::Str(Cow::Owned(s[low..high].to_vec())),
        Sliceable::List(l) => Conc::List(l.slice(low, high, max)),
    }))
}

// ---------------------------------------------------------------- comparisons
//
// The documented rules: only basic values (booleans, numbers, strings)
// compare; integers compare by arithmetic value whatever their type (so every
// negative int is below every byte), but never with floats or complex
// numbers; only `eq` and `ne` apply to booleans and complex numbers. Lists
// and maps are not comparable at all, though any value may be tested against
// nil with `eq`.

/// A value as the comparison functions see it.
enum Operand<'v> {
    Nil,
    Bool(bool),
    /// An `int` or a `uint8`: both become one integer class.
    Integer(i64),
    Float(f64),
    Complex(f64, f64),
    Text(&'v [u8]),
    /// A list or map; the flag tells maps from lists.
    Composite {
        is_map: bool,
    },
}

impl<'v> Operand<'v> {
    fn of(v: &'v Val<'_>) -> Operand<'v> {
        match v.concrete() {
            None => Operand::Nil,
            Some(c) => match c {
                Conc::Bool(b) => Operand::Bool(*b),
                Conc::Int(i) => Operand::Integer(*i),
                Conc::Uint8(b) => Operand::Integer(i64::from(*b)),
                Conc::Float(f) => Operand::Float(*f),
                Conc::Complex(re, im) => Operand::Complex(*re, *im),
                Conc::Str(s) => Operand::Text(s),
                Conc::List(_) => Operand::Composite { is_map: false },
                Conc::Map(_) | Conc::StrMap(_) => Operand::Composite { is_map: true },
            },
        }
    }

    fn is_basic(&self) -> bool {
        !matches!(self, Operand::Nil | Operand::Composite { .. })
    }
}

const INCOMPATIBLE: &str = "incompatible types for comparison";
const NOT_ORDERED: &str = "invalid type for comparison";

/// `eq a b c ...`: whether `a` equals any of the rest, trying them in order
/// and stopping at the first match (later operands are not examined).
fn equals_any<'a>(first: Val<'a>, rest: impl Iterator<Item = Val<'a>>) -> Result<bool, String> {
    let mut any = false;
    for other in rest {
        any = true;
        if equal(&first, &other)? {
            return Ok(true);
        }
    }
    if any {
        Ok(false)
    } else {
        Err("missing argument for comparison".to_owned())
    }
}

fn equal(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    Ok(match (Operand::of(a), Operand::of(b)) {
        (Operand::Bool(x), Operand::Bool(y)) => x == y,
        (Operand::Integer(x), Operand::Integer(y)) => x == y,
        (Operand::Float(x), Operand::Float(y)) => x == y,
        (Operand::Complex(xr, xi), Operand::Complex(yr, yi)) => xr == yr && xi == yi,
        (Operand::Text(x), Operand::Text(y)) => x == y,
        (x, y) if x.is_basic() && y.is_basic() => return Err(INCOMPATIBLE.to_owned()),
        // Nil equals only nil, and testing anything against nil is allowed.
        (Operand::Nil, y) => matches!(y, Operand::Nil),
        (_, Operand::Nil) => false,
        (Operand::Composite { is_map: x }, Operand::Composite { is_map: y }) => {
            // Go names both sides when the kinds differ, only the right one
            // when they agree, in these exact shapes.
            let (a, b) = (a.clone().unwrap_iface(), b.clone().unwrap_iface());
            return Err(if x == y {
                format!("non-comparable type {}: {}", format_val(&b, 's'), b.type_name())
            } else {
                format!(
                    "non-comparable types {}: {}, {}: {}",
                    format_val(&a, 's'),
                    a.type_name(),
                    b.type_name(),
                    format_val(&b, 'v')
                )
            });
        }
        // A basic value against a list or map.
        _ => return Err(INCOMPATIBLE.to_owned()),
    })
}

fn less(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    let (x, y) = (Operand::of(a), Operand::of(b));
    if !x.is_basic() || !y.is_basic() {
        return Err(NOT_ORDERED.to_owned());
    }
    match (x, y) {
        (Operand::Integer(x), Operand::Integer(y)) => Ok(x < y),
        (Operand::Float(x), Operand::Float(y)) => Ok(x < y),
        (Operand::Text(x), Operand::Text(y)) => Ok(x < y),
        // Same class but without an order.
        (Operand::Bool(_), Operand::Bool(_)) | (Operand::Complex(..), Operand::Complex(..)) => {
            Err(NOT_ORDERED.to_owned())
        }
        _ => Err(INCOMPATIBLE.to_owned()),
    }
}

fn less_or_equal(a: &Val<'_>, b: &Val<'_>) -> Result<bool, String> {
    Ok(less(a, b)? || equal(a, b)?)
}

// ---------------------------------------------------------------- escaping

/// Uppercase hexadecimal digits, as all three escapers write them.
const HEX_DIGITS: &[u8; 16] = b"0123456789ABCDEF";

/// `html`: the five characters significant in HTML become entities (quotes
/// as numeric ones) and NUL becomes U+FFFD; every other byte is kept.
pub(crate) fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        let replacement: &[u8] = match b {
            b'&' => b"&amp;",
            b'<' => b"&lt;",
            b'>' => b"&gt;",
            b'"' => b"&#34;",
            b'\'' => b"&#39;",
            0 => "\u{FFFD}".as_bytes(),
            _ => {
                out.push(b);
                continue;
            }
        };
        out.extend_from_slice(replacement);
    }
    out
}

/// `js`: text safe inside a JavaScript string literal. Quotes and backslash
/// get a backslash; `< > & =` and the C0 controls become `\u00XX`; DEL and
/// the rest of ASCII stay. Beyond ASCII, printable characters (and, as in
/// Go, each byte of an invalid sequence) are kept as they are and every other
/// character becomes `\u` with at least four uppercase hex digits.
pub(crate) fn js_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    let mut rest = s;
    while let Some(&b) = rest.first() {
        if b.is_ascii() {
            match b {
                b'\\' | b'\'' | b'"' => out.extend_from_slice(&[b'\\', b]),
                b'<' | b'>' | b'&' | b'=' | 0..=0x1F => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX_DIGITS[usize::from(b >> 4)]);
                    out.push(HEX_DIGITS[usize::from(b & 0xF)]);
                }
                _ => out.push(b),
            }
            rest = &rest[1..];
            continue;
        }
        let (code, width) = decode_char(rest);
        if is_print(code) {
            out.extend_from_slice(&rest[..width]);
        } else {
            out.extend_from_slice(format!("\\u{code:04X}").as_bytes());
        }
        rest = &rest[width..];
    }
    out
}

/// `urlquery`: form encoding for a query component. ASCII letters, digits
/// and `- _ . ~` stay, space becomes `+`, every other byte `%XX`.
pub(crate) fn url_query_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &b in s {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b);
        } else if b == b' ' {
            out.push(b'+');
        } else {
            out.extend_from_slice(&[b'%', HEX_DIGITS[usize::from(b >> 4)], HEX_DIGITS[usize::from(b & 0xF)]]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for (f, name) in NAMES {
            assert_eq!(Builtin::from_name(name), Some(f));
            assert_eq!(f.name(), name);
        }
        assert_eq!(Builtin::from_name("printf2"), None);
    }

    #[test]
    fn escapers() {
        assert_eq!(
            html_escape(b"<a href='x'>&\"\0"),
            b"&lt;a href=&#39;x&#39;&gt;&amp;&#34;\xef\xbf\xbd"
        );
        assert_eq!(
            js_escape("a'b\"c\\d<e>f&g=h\ni\u{2028}é\u{7f}".as_bytes()),
            "a\\'b\\\"c\\\\d\\u003Ce\\u003Ef\\u0026g\\u003Dh\\u000Ai\\u2028é\u{7f}".as_bytes()
        );
        assert_eq!(js_escape(b"\xff\xc3"), b"\xff\xc3");
        assert_eq!(url_query_escape(b"a b&c=d/e?f~g"), b"a+b%26c%3Dd%2Fe%3Ff~g");
    }

    #[test]
    fn comparisons() {
        let int = |i| Val::Conc(Conc::Int(i));
        let byte = |b| Val::Conc(Conc::Uint8(b));
        let float = |f| Val::Iface(Conc::Float(f));
        assert_eq!(equals_any(int(1), [int(2), int(1)].into_iter()), Ok(true));
        assert_eq!(
            equals_any(int(1), std::iter::empty()),
            Err("missing argument for comparison".to_owned())
        );
        assert_eq!(equal(&float(3.0), &int(3)), Err(INCOMPATIBLE.to_owned()));
        assert_eq!(equal(&Val::NilIface, &Val::Invalid), Ok(true));
        assert_eq!(equal(&byte(97), &int(97)), Ok(true));
        assert_eq!(less(&int(-1), &byte(0)), Ok(true));
        assert_eq!(less(&int(1), &int(2)), Ok(true));
        assert_eq!(
            less(&Val::Conc(Conc::Bool(true)), &Val::Conc(Conc::Bool(false))),
            Err(NOT_ORDERED.to_owned())
        );
    }
}
