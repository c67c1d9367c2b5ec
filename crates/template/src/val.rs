//! Runtime values during execution, limited to the types a matchbox
//! template can meet (what JSON decodes to, the query labels, and the values
//! constants, `len`, `index` and the string functions produce).
//!
//! Go distinguishes a concrete value from the same value held in an
//! `interface{}` (every element of a JSON map or array), and "no value at
//! all" from a nil interface. Those distinctions change error messages and
//! nil handling, so `Val` keeps them. Values borrow from the data and the
//! parsed template; only computed strings are owned. Nothing here prints or
//! evaluates.

use std::borrow::Cow;
use std::collections::BTreeMap;

use crate::value::{Value, json_array_cap};

/// A Go value of a concrete (non-interface) type.
#[derive(Debug, Clone)]
pub(crate) enum Conc<'a> {
    Bool(bool),
    /// Go `int`.
    Int(i64),
    /// Go `uint8`: `index` of a string yields a byte.
    Uint8(u8),
    /// Go `float64`.
    Float(f64),
    /// Go `complex128`, from constants such as `1+2i`.
    Complex(f64, f64),
    /// Go `string`: bytes, since slicing can split a rune.
    Str(Cow<'a, [u8]>),
    /// Go `[]interface{}`.
    List(ListRef<'a>),
    /// Go `map[string]interface{}`.
    Map(&'a BTreeMap<String, Value>),
    /// Go `map[string]string`.
    StrMap(&'a BTreeMap<String, String>),
}

/// A value during execution, telling apart a value held in an interface,
/// the same value held directly, a nil interface and no value at all.
#[derive(Debug, Clone)]
pub(crate) enum Val<'a> {
    /// No value at all.
    Invalid,
    /// An `interface{}` holding nil (a JSON `null` element).
    NilIface,
    /// An `interface{}` holding a concrete value (a JSON map or array element).
    Iface(Conc<'a>),
    /// A concrete value.
    Conc(Conc<'a>),
}

/// A Go slice of `interface{}` backed by a JSON array: an offset, a length
/// and a capacity, where elements past the array's end (reachable by slicing
/// up to the capacity) are nil, as Go's zeroed backing store is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ListRef<'a> {
    items: &'a [Value],
    off: usize,
    len: usize,
    cap: usize,
}

impl<'a> ListRef<'a> {
    pub(crate) fn new(items: &'a [Value]) -> Self {
        ListRef {
            items,
            off: 0,
            len: items.len(),
            cap: json_array_cap(items.len()),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn cap(&self) -> usize {
        self.cap
    }

    /// Element `i` (which must be below `len`) as an interface value.
    pub(crate) fn get(&self, i: usize) -> Val<'a> {
        match self.items.get(self.off + i) {
            Some(v) => Val::from_elem(v),
            None => Val::NilIface,
        }
    }

    /// `s[i:j]` (with `k` for a three-index slice); bounds already checked.
    pub(crate) fn slice(&self, i: usize, j: usize, k: Option<usize>) -> Self {
        let cap = match k {
            Some(k) => k - i,
            None => self.cap - i,
        };
        ListRef {
            items: self.items,
            off: self.off + i,
            len: j - i,
            cap,
        }
    }

    /// An address for `%p`, stable for the lifetime of the data.
    pub(crate) fn addr(&self) -> usize {
        self.items.as_ptr() as usize + self.off * std::mem::size_of::<Value>()
    }
}

impl<'a> Conc<'a> {
    /// From a data value that is not `Null`.
    pub(crate) fn from_value(v: &'a Value) -> Option<Conc<'a>> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(b) => Conc::Bool(*b),
            Value::Number(f) => Conc::Float(*f),
            Value::Int(i) => Conc::Int(*i),
            Value::String(s) => Conc::Str(Cow::Borrowed(s.as_bytes())),
            Value::Array(a) => Conc::List(ListRef::new(a)),
            Value::Map(m) => Conc::Map(m),
            Value::StrMap(m) => Conc::StrMap(m),
        })
    }

    /// The Go type name, as messages and `printf "%T"` print it.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Conc::Bool(_) => "bool",
            Conc::Int(_) => "int",
            Conc::Uint8(_) => "uint8",
            Conc::Float(_) => "float64",
            Conc::Complex(..) => "complex128",
            Conc::Str(_) => "string",
            Conc::List(_) => "[]interface {}",
            Conc::Map(_) => "map[string]interface {}",
            Conc::StrMap(_) => "map[string]string",
        }
    }

    /// Whether the value counts as true in `if`, `with`, `and`, `or` and
    /// `not`: false, 0, nil and empty strings, lists and maps are false.
    pub(crate) fn truth(&self) -> bool {
        match self {
            Conc::Bool(b) => *b,
            Conc::Int(i) => *i != 0,
            Conc::Uint8(u) => *u != 0,
            Conc::Float(f) => *f != 0.0,
            Conc::Complex(re, im) => *re != 0.0 || *im != 0.0,
            Conc::Str(s) => !s.is_empty(),
            Conc::List(l) => l.len() > 0,
            Conc::Map(m) => !m.is_empty(),
            Conc::StrMap(m) => !m.is_empty(),
        }
    }
}

impl<'a> Val<'a> {
    /// The value at the root of the data; a null root is no value at all.
    pub(crate) fn from_root(v: &'a Value) -> Val<'a> {
        match Conc::from_value(v) {
            Some(c) => Val::Conc(c),
            None => Val::Invalid,
        }
    }

    /// An element of a `map[string]interface{}` or `[]interface{}`.
    pub(crate) fn from_elem(v: &'a Value) -> Val<'a> {
        match Conc::from_value(v) {
            Some(c) => Val::Iface(c),
            None => Val::NilIface,
        }
    }

    /// A computed string.
    pub(crate) fn string(s: Vec<u8>) -> Val<'a> {
        Val::Conc(Conc::Str(Cow::Owned(s)))
    }

    /// The concrete value, seen through an interface; `None` for nil and for
    /// no value at all.
    pub(crate) fn concrete(&self) -> Option<&Conc<'a>> {
        match self {
            Val::Invalid | Val::NilIface => None,
            Val::Iface(c) | Val::Conc(c) => Some(c),
        }
    }

    /// Like `concrete`, by value.
    pub(crate) fn into_concrete(self) -> Option<Conc<'a>> {
        match self {
            Val::Invalid | Val::NilIface => None,
            Val::Iface(c) | Val::Conc(c) => Some(c),
        }
    }

    /// Drops the interface wrapper, if any: a nil interface becomes no value.
    pub(crate) fn unwrap_iface(self) -> Val<'a> {
        match self {
            Val::NilIface => Val::Invalid,
            Val::Iface(c) => Val::Conc(c),
            v => v,
        }
    }

    /// The type name messages print for this value: `interface {}` for
    /// anything held in an interface.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Val::Invalid => "<invalid>",
            Val::NilIface | Val::Iface(_) => "interface {}",
            Val::Conc(c) => c.type_name(),
        }
    }

    /// The truth of the value inside any interface; nil is false.
    pub(crate) fn truth(&self) -> bool {
        self.concrete().is_some_and(Conc::truth)
    }
}
