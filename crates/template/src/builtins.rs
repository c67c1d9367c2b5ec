//! Go's builtin template functions: `and or not len index slice print printf
//! println html js urlquery eq ne lt le gt ge call`, with their Go 1.19
//! semantics and error texts.
//!
//! `and` and `or` short-circuit, so the executor evaluates them itself; the
//! rest receive evaluated arguments here. There are no user functions, so
//! `call` can only fail, exactly as it would in matchbox.

use std::borrow::Cow;

use crate::gofmt::{format_val, sprint, sprintf, sprintln};
use crate::unicode::is_print;
use crate::utf8::{RUNE_SELF, decode_rune};
use crate::val::{Conc, Val};

/// A builtin function.
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

/// The Go type of a builtin's parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Param {
    /// `reflect.Value`: receives the value exactly as evaluated.
    Value,
    /// `interface{}`: receives a concrete value or nil.
    Any,
    /// `string` (the format of `printf`).
    Str,
}

impl Builtin {
    pub(crate) fn from_name(name: &str) -> Option<Builtin> {
        Some(match name {
            "and" => Builtin::And,
            "call" => Builtin::Call,
            "html" => Builtin::Html,
            "index" => Builtin::Index,
            "slice" => Builtin::Slice,
            "js" => Builtin::Js,
            "len" => Builtin::Len,
            "not" => Builtin::Not,
            "or" => Builtin::Or,
            "print" => Builtin::Print,
            "printf" => Builtin::Printf,
            "println" => Builtin::Println,
            "urlquery" => Builtin::Urlquery,
            "eq" => Builtin::Eq,
            "ge" => Builtin::Ge,
            "gt" => Builtin::Gt,
            "le" => Builtin::Le,
            "lt" => Builtin::Lt,
            "ne" => Builtin::Ne,
            _ => return None,
        })
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Builtin::And => "and",
            Builtin::Call => "call",
            Builtin::Html => "html",
            Builtin::Index => "index",
            Builtin::Slice => "slice",
            Builtin::Js => "js",
            Builtin::Len => "len",
            Builtin::Not => "not",
            Builtin::Or => "or",
            Builtin::Print => "print",
            Builtin::Printf => "printf",
            Builtin::Println => "println",
            Builtin::Urlquery => "urlquery",
            Builtin::Eq => "eq",
            Builtin::Ge => "ge",
            Builtin::Gt => "gt",
            Builtin::Le => "le",
            Builtin::Lt => "lt",
            Builtin::Ne => "ne",
        }
    }

    /// The fixed parameters and the element type of the variadic one, if
    /// any, of the Go function behind the builtin.
    pub(crate) fn signature(self) -> (&'static [Param], Option<Param>) {
        const V: Param = Param::Value;
        match self {
            Builtin::And | Builtin::Or | Builtin::Call | Builtin::Index | Builtin::Slice | Builtin::Eq => {
                (&[V], Some(V))
            }
            Builtin::Not | Builtin::Len => (&[V], None),
            Builtin::Ne | Builtin::Lt | Builtin::Le | Builtin::Gt | Builtin::Ge => (&[V, V], None),
            Builtin::Html | Builtin::Js | Builtin::Urlquery | Builtin::Print | Builtin::Println => {
                (&[], Some(Param::Any))
            }
            Builtin::Printf => (&[Param::Str], Some(Param::Any)),
        }
    }
}

/// What a builtin returns: a value, or the text of the Go error it reports.
pub(crate) type CallResult<'a> = Result<Val<'a>, String>;

/// Calls a builtin other than `and`/`or` with arguments already converted to
/// its parameter types.
pub(crate) fn call<'a>(f: Builtin, mut args: Vec<Val<'a>>) -> CallResult<'a> {
    let bool_val = |b: bool| Val::Conc(Conc::Bool(b));
    let mut it = std::mem::take(&mut args).into_iter();
    let mut next = || it.next().unwrap_or(Val::Invalid);
    match f {
        Builtin::And | Builtin::Or => Err("unreachable".to_owned()),
        Builtin::Call => call_fn(next()),
        Builtin::Index => {
            let item = next();
            index(item, it.collect())
        }
        Builtin::Slice => {
            let item = next();
            slice(item, it.collect())
        }
        Builtin::Len => length(next()),
        Builtin::Not => Ok(bool_val(!next().truth())),
        Builtin::Eq => {
            let a = next();
            eq(a, it.collect()).map(bool_val)
        }
        Builtin::Ne => {
            let (a, b) = (next(), next());
            eq(a, vec![b]).map(|t| bool_val(!t))
        }
        Builtin::Lt => {
            let (a, b) = (next(), next());
            lt(&a, &b).map(bool_val)
        }
        Builtin::Le => {
            let (a, b) = (next(), next());
            le(a, b).map(bool_val)
        }
        Builtin::Gt => {
            let (a, b) = (next(), next());
            le(a, b).map(|t| bool_val(!t))
        }
        Builtin::Ge => {
            let (a, b) = (next(), next());
            lt(&a, &b).map(|t| bool_val(!t))
        }
        Builtin::Print | Builtin::Println => {
            let a: Vec<Option<Conc<'a>>> = it.map(Val::into_concrete).collect();
            let mut out = Vec::new();
            if f == Builtin::Print {
                sprint(&mut out, &a);
            } else {
                sprintln(&mut out, &a);
            }
            Ok(Val::string(out))
        }
        Builtin::Printf => {
            let format = next();
            let a: Vec<Option<Conc<'a>>> = it.map(Val::into_concrete).collect();
            let mut out = Vec::new();
            if let Some(Conc::Str(fmt)) = format.concrete() {
                sprintf(&mut out, fmt, &a);
            }
            Ok(Val::string(out))
        }
        Builtin::Html | Builtin::Js | Builtin::Urlquery => {
            let s = eval_args(it.map(Val::into_concrete).collect());
            let escaped = match f {
                Builtin::Html => html_escape(&s),
                Builtin::Js => js_escape(&s),
                _ => url_query_escape(&s),
            };
            Ok(Val::string(escaped))
        }
    }
}

/// `evalArgs`: `fmt.Sprint` of the arguments, where a nil argument prints as
/// `<no value>` (the way a template action would print it).
fn eval_args(args: Vec<Option<Conc<'_>>>) -> Vec<u8> {
    if let [Some(Conc::Str(s))] = args.as_slice() {
        return s.to_vec();
    }
    let args: Vec<Option<Conc<'_>>> = args
        .into_iter()
        .map(|a| a.or(Some(Conc::Str(Cow::Borrowed(b"<no value>")))))
        .collect();
    let mut out = Vec::new();
    sprint(&mut out, &args);
    out
}

fn call_fn(f: Val<'_>) -> CallResult<'_> {
    match f.unwrap_iface() {
        Val::Invalid => Err("call of nil".to_owned()),
        v => Err(format!("non-function of type {}", v.type_name())),
    }
}

/// `indexArg`: an integer index no greater than `cap`.
fn index_arg(index: &Val<'_>, cap: usize) -> Result<usize, String> {
    let x: i64 = match index {
        Val::Conc(Conc::Int(i)) => *i,
        Val::Conc(Conc::Uint8(u)) => i64::from(*u),
        Val::Invalid => return Err("cannot index slice/array with nil".to_owned()),
        v => return Err(format!("cannot index slice/array with type {}", v.type_name())),
    };
    if x < 0 || x as u64 > cap as u64 {
        return Err(format!("index out of range: {x}"));
    }
    Ok(x as usize)
}

/// `prepareArg` for a map key of type string.
fn map_key<'v>(index: &'v Val<'_>) -> Result<&'v [u8], String> {
    match index {
        Val::Invalid => Err("value is nil; should be of type string".to_owned()),
        Val::Conc(Conc::Str(s)) => Ok(s),
        v => Err(format!("value has type {}; should be string", v.type_name())),
    }
}

fn index<'a>(item: Val<'a>, indexes: Vec<Val<'a>>) -> CallResult<'a> {
    let mut item = item.unwrap_iface();
    if matches!(item, Val::Invalid) {
        return Err("index of untyped nil".to_owned());
    }
    for index in indexes {
        let index = index.unwrap_iface();
        item = match item {
            Val::NilIface => return Err("index of nil pointer".to_owned()),
            other => other.unwrap_iface(),
        };
        item = match item {
            Val::Conc(Conc::List(l)) => {
                let x = index_arg(&index, l.len())?;
                if x == l.len() {
                    // reflect.Value.Index panics; Go reports the panic.
                    return Err("reflect: slice index out of range".to_owned());
                }
                l.get(x)
            }
            Val::Conc(Conc::Str(s)) => {
                let x = index_arg(&index, s.len())?;
                match s.get(x) {
                    Some(&b) => Val::Conc(Conc::Uint8(b)),
                    None => return Err("reflect: string index out of range".to_owned()),
                }
            }
            Val::Conc(Conc::Map(m)) => {
                let key = map_key(&index)?;
                match std::str::from_utf8(key).ok().and_then(|k| m.get(k)) {
                    Some(v) => Val::from_elem(v),
                    // A missing key yields the element type's zero value.
                    None => Val::NilIface,
                }
            }
            Val::Conc(Conc::StrMap(m)) => {
                let key = map_key(&index)?;
                match std::str::from_utf8(key).ok().and_then(|k| m.get(k)) {
                    Some(v) => Val::Conc(Conc::Str(Cow::Borrowed(v.as_bytes()))),
                    None => Val::Conc(Conc::Str(Cow::Borrowed(b""))),
                }
            }
            other => return Err(format!("can't index item of type {}", other.type_name())),
        };
    }
    Ok(item)
}

fn slice<'a>(item: Val<'a>, indexes: Vec<Val<'a>>) -> CallResult<'a> {
    let item = item.unwrap_iface();
    if matches!(item, Val::Invalid) {
        return Err("slice of untyped nil".to_owned());
    }
    if indexes.len() > 3 {
        return Err(format!("too many slice indexes: {}", indexes.len()));
    }
    let (len, cap) = match &item {
        Val::Conc(Conc::Str(s)) => {
            if indexes.len() == 3 {
                return Err("cannot 3-index slice a string".to_owned());
            }
            (s.len(), s.len())
        }
        Val::Conc(Conc::List(l)) => (l.len(), l.cap()),
        other => return Err(format!("can't slice item of type {}", other.type_name())),
    };
    let mut idx = [0, len, 0];
    for (i, index) in indexes.iter().enumerate() {
        // Unlike `index`, `slice` does not look inside interface values.
        idx[i] = index_arg(index, cap)?;
    }
    if idx[0] > idx[1] {
        return Err(format!("invalid slice index: {} > {}", idx[0], idx[1]));
    }
    let three = indexes.len() == 3;
    if three && idx[1] > idx[2] {
        return Err(format!("invalid slice index: {} > {}", idx[1], idx[2]));
    }
    Ok(match item {
        Val::Conc(Conc::Str(s)) => Val::Conc(Conc::Str(match s {
            Cow::Borrowed(b) => Cow::Borrowed(&b[idx[0]..idx[1]]),
            Cow::Owned(b) => Cow::Owned(b[idx[0]..idx[1]].to_vec()),
        })),
        Val::Conc(Conc::List(l)) => Val::Conc(Conc::List(l.slice(idx[0], idx[1], three.then_some(idx[2])))),
        _ => Val::Invalid,
    })
}

fn length(item: Val<'_>) -> CallResult<'_> {
    let n = match item {
        Val::NilIface => return Err("len of nil pointer".to_owned()),
        // Go asks the zero reflect.Value for its type, which panics.
        Val::Invalid => return Err("reflect: call of reflect.Value.Type on zero Value".to_owned()),
        Val::Iface(c) | Val::Conc(c) => match c {
            Conc::Str(s) => s.len(),
            Conc::List(l) => l.len(),
            Conc::Map(m) => m.len(),
            Conc::StrMap(m) => m.len(),
            other => return Err(format!("len of type {}", other.type_name())),
        },
    };
    Ok(Val::Conc(Conc::Int(n as i64)))
}

/// Go's comparison classes (`basicKind`); `None` is not comparable by `lt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Invalid,
    Bool,
    Complex,
    Int,
    Float,
    String,
    Uint,
}

fn basic_kind(v: &Val<'_>) -> Kind {
    match v.concrete() {
        Some(Conc::Bool(_)) => Kind::Bool,
        Some(Conc::Int(_)) => Kind::Int,
        Some(Conc::Uint8(_)) => Kind::Uint,
        Some(Conc::Float(_)) => Kind::Float,
        Some(Conc::Complex(..)) => Kind::Complex,
        Some(Conc::Str(_)) => Kind::String,
        _ => Kind::Invalid,
    }
}

const ERR_BAD_COMPARISON_TYPE: &str = "invalid type for comparison";
const ERR_BAD_COMPARISON: &str = "incompatible types for comparison";
const ERR_NO_COMPARISON: &str = "missing argument for comparison";

fn as_int(v: &Val<'_>) -> i64 {
    match v.concrete() {
        Some(Conc::Int(i)) => *i,
        _ => 0,
    }
}

fn as_uint(v: &Val<'_>) -> u64 {
    match v.concrete() {
        Some(Conc::Uint8(u)) => u64::from(*u),
        _ => 0,
    }
}

/// The reflect kind class used by `canCompare`.
fn reflect_kind(v: &Val<'_>) -> u8 {
    match v.concrete() {
        None => 0,
        Some(Conc::List(_)) => 1,
        Some(Conc::Map(_) | Conc::StrMap(_)) => 2,
        Some(_) => 3,
    }
}

fn eq<'a>(arg1: Val<'a>, arg2: Vec<Val<'a>>) -> Result<bool, String> {
    let arg1 = arg1.unwrap_iface();
    if arg2.is_empty() {
        return Err(ERR_NO_COMPARISON.to_owned());
    }
    let k1 = basic_kind(&arg1);
    for arg in arg2 {
        let arg = arg.unwrap_iface();
        let k2 = basic_kind(&arg);
        let truth = if k1 != k2 {
            // Special case: integers compare regardless of signedness.
            match (k1, k2) {
                (Kind::Int, Kind::Uint) => as_int(&arg1) >= 0 && as_int(&arg1) as u64 == as_uint(&arg),
                (Kind::Uint, Kind::Int) => as_int(&arg) >= 0 && as_uint(&arg1) == as_int(&arg) as u64,
                _ => {
                    if !matches!(arg1, Val::Invalid) && !matches!(arg, Val::Invalid) {
                        return Err(ERR_BAD_COMPARISON.to_owned());
                    }
                    false
                }
            }
        } else {
            match (arg1.concrete(), arg.concrete()) {
                (Some(Conc::Bool(a)), Some(Conc::Bool(b))) => a == b,
                (Some(Conc::Complex(ar, ai)), Some(Conc::Complex(br, bi))) => ar == br && ai == bi,
                (Some(Conc::Float(a)), Some(Conc::Float(b))) => a == b,
                (Some(Conc::Int(a)), Some(Conc::Int(b))) => a == b,
                (Some(Conc::Str(a)), Some(Conc::Str(b))) => a == b,
                (Some(Conc::Uint8(a)), Some(Conc::Uint8(b))) => a == b,
                _ => {
                    // Maps, slices and nil: only nil comparisons are possible.
                    let (r1, r2) = (reflect_kind(&arg1), reflect_kind(&arg));
                    if r1 != r2 && r1 != 0 && r2 != 0 {
                        return Err(format!(
                            "non-comparable types {}: {}, {}: {}",
                            format_val(&arg1, 's'),
                            arg1.type_name(),
                            arg.type_name(),
                            format_val(&arg, 'v')
                        ));
                    }
                    let (n1, n2) = (matches!(arg1, Val::Invalid), matches!(arg, Val::Invalid));
                    if n1 || n2 {
                        n1 == n2
                    } else {
                        return Err(format!(
                            "non-comparable type {}: {}",
                            format_val(&arg, 's'),
                            arg.type_name()
                        ));
                    }
                }
            }
        };
        if truth {
            return Ok(true);
        }
    }
    Ok(false)
}

fn lt(arg1: &Val<'_>, arg2: &Val<'_>) -> Result<bool, String> {
    let k1 = basic_kind(arg1);
    if k1 == Kind::Invalid {
        return Err(ERR_BAD_COMPARISON_TYPE.to_owned());
    }
    let k2 = basic_kind(arg2);
    if k2 == Kind::Invalid {
        return Err(ERR_BAD_COMPARISON_TYPE.to_owned());
    }
    if k1 != k2 {
        return match (k1, k2) {
            (Kind::Int, Kind::Uint) => Ok(as_int(arg1) < 0 || (as_int(arg1) as u64) < as_uint(arg2)),
            (Kind::Uint, Kind::Int) => Ok(as_int(arg2) >= 0 && as_uint(arg1) < as_int(arg2) as u64),
            _ => Err(ERR_BAD_COMPARISON.to_owned()),
        };
    }
    match (arg1.concrete(), arg2.concrete()) {
        (Some(Conc::Float(a)), Some(Conc::Float(b))) => Ok(a < b),
        (Some(Conc::Int(a)), Some(Conc::Int(b))) => Ok(a < b),
        (Some(Conc::Str(a)), Some(Conc::Str(b))) => Ok(a < b),
        (Some(Conc::Uint8(a)), Some(Conc::Uint8(b))) => Ok(a < b),
        _ => Err(ERR_BAD_COMPARISON_TYPE.to_owned()),
    }
}

fn le<'a>(arg1: Val<'a>, arg2: Val<'a>) -> Result<bool, String> {
    if lt(&arg1, &arg2)? {
        return Ok(true);
    }
    eq(arg1, vec![arg2])
}

/// `template.HTMLEscapeString`.
pub(crate) fn html_escape(s: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            0 => out.extend_from_slice("\u{FFFD}".as_bytes()),
            b'"' => out.extend_from_slice(b"&#34;"),
            b'\'' => out.extend_from_slice(b"&#39;"),
            b'&' => out.extend_from_slice(b"&amp;"),
            b'<' => out.extend_from_slice(b"&lt;"),
            b'>' => out.extend_from_slice(b"&gt;"),
            _ => out.push(c),
        }
    }
    out
}

/// `template.JSEscapeString`.
pub(crate) fn js_escape(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let c = s[i];
        if u32::from(c) < RUNE_SELF {
            match c {
                b'\\' => out.extend_from_slice(b"\\\\"),
                b'\'' => out.extend_from_slice(b"\\'"),
                b'"' => out.extend_from_slice(b"\\\""),
                b'<' => out.extend_from_slice(b"\\u003C"),
                b'>' => out.extend_from_slice(b"\\u003E"),
                b'&' => out.extend_from_slice(b"\\u0026"),
                b'=' => out.extend_from_slice(b"\\u003D"),
                _ if c < b' ' => {
                    out.extend_from_slice(b"\\u00");
                    out.push(HEX[usize::from(c >> 4)]);
                    out.push(HEX[usize::from(c & 0xF)]);
                }
                _ => out.push(c),
            }
            i += 1;
            continue;
        }
        let (r, size) = decode_rune(&s[i..]);
        if is_print(r) {
            out.extend_from_slice(&s[i..i + size]);
        } else {
            out.extend_from_slice(format!("\\u{r:04X}").as_bytes());
        }
        i += size;
    }
    out
}

/// `url.QueryEscape`.
pub(crate) fn url_query_escape(s: &[u8]) -> Vec<u8> {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    let mut out = Vec::with_capacity(s.len());
    for &c in s {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(c),
            b' ' => out.push(b'+'),
            _ => {
                out.push(b'%');
                out.push(HEX[usize::from(c >> 4)]);
                out.push(HEX[usize::from(c & 0xF)]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapers_match_go() {
        assert_eq!(
            html_escape(b"<a href='x'>&\"\0"),
            b"&lt;a href=&#39;x&#39;&gt;&amp;&#34;\xef\xbf\xbd"
        );
        assert_eq!(
            js_escape("a'b\"c\\d<e>f&g=h\ni\u{2028}é".as_bytes()),
            "a\\'b\\\"c\\\\d\\u003Ce\\u003Ef\\u0026g\\u003Dh\\u000Ai\\u2028é".as_bytes()
        );
        assert_eq!(url_query_escape(b"a b&c=d/e?f~g"), b"a+b%26c%3Dd%2Fe%3Ff~g");
    }

    #[test]
    fn comparisons() {
        let int = |i| Val::Conc(Conc::Int(i));
        let float = |f| Val::Iface(Conc::Float(f));
        assert_eq!(eq(int(1), vec![int(2), int(1)]), Ok(true));
        assert_eq!(eq(float(3.0), vec![int(3)]), Err(ERR_BAD_COMPARISON.to_owned()));
        assert_eq!(eq(Val::NilIface, vec![Val::Invalid]), Ok(true));
        assert_eq!(eq(Val::Conc(Conc::Uint8(97)), vec![int(97)]), Ok(true));
        assert_eq!(lt(&int(1), &int(2)), Ok(true));
        assert_eq!(
            lt(&Val::Conc(Conc::Bool(true)), &Val::Conc(Conc::Bool(false))),
            Err(ERR_BAD_COMPARISON_TYPE.to_owned())
        );
    }
}
