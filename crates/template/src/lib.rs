//! A Go `text/template`-compatible template engine, faithful to Go 1.19 as
//! matchbox uses it: `template.New("").Option("missingkey=error")`, only the
//! builtin functions, and data decoded from JSON.
//!
//! Existing matchbox templates (Butane/Ignition YAML, cloud-configs, generic
//! templates) must render byte for byte as they do under matchbox, including
//! Go's number formatting (`1e+06`), map and slice printing (`map[a:1]`,
//! `[a b]`), `<no value>`, and its error messages. The engine is written
//! here, in its own design, from Go's documented template language and the
//! documented behaviour of the parts of `fmt` and `strconv` that templates
//! reach, and from Go's observed results: Go itself is used only as a black
//! box, the oracle in `tests/oracle/` that records the golden cases and runs
//! the differential fuzzing.
//!
//! Deliberately absent: user-defined functions, methods, custom delimiters,
//! `html/template` escaping, and I/O of any kind. Deliberate differences from
//! Go, all so that hostile input yields an error instead of exhausting the
//! stack: control structures and parentheses may nest at most 100 deep in the
//! source, and execution (template calls plus control structures) at most
//! 300 deep, where Go allows 100000 template calls. Output bytes that are not
//! UTF-8 (possible in Go by slicing a multi-byte character) are replaced by
//! U+FFFD in the `String` APIs; [`Template::execute_bytes`] keeps them.
//! `printf "%p"` prints a real address, which like Go's varies between runs.
//!
//! The reference is Go 1.19, the toolchain the golden tests were recorded
//! with. Newer Go releases, which current matchbox builds use, also accept
//! `{{else with}}` (Go 1.23) and ranging over integers and iterator
//! functions (Go 1.24); here, as in Go 1.19, those are errors.
//!
//! Code map, in the order text flows through it: `lex` (items) → `parse`
//! (builds the `ast`, resolves builtins) → `exec` (walks the tree over `val`
//! runtime values) → `builtins` (the functions) and `gofmt` (`fmt` formatting),
//! both resting on `strconv`, `utf8` and `unicode`. `value` is the public
//! data model; `error` the public errors.
//!
//! ```
//! use template::{Template, Value};
//! let data = Value::from(serde_json::json!({"name": "node1", "count": 1000000}));
//! let t = Template::parse("{{.name}}: {{.count}}").unwrap();
//! assert_eq!(t.execute(&data).unwrap(), "node1: 1e+06");
//! ```

mod ast;
mod builtins;
mod error;
mod exec;
mod gofmt;
mod lex;
mod parse;
mod strconv;
mod unicode;
mod unicode_tables;
mod utf8;
mod val;
mod value;

use std::collections::HashMap;

pub use error::{Error, ExecError, ParseError};
pub use value::Value;

/// A parsed template: immutable, `Send + Sync`, and cheap to execute many
/// times concurrently. It holds the top-level template and every template
/// defined with `{{define}}` or `{{block}}` inside it.
#[derive(Debug, Clone)]
pub struct Template {
    /// The source text, kept to compute error positions.
    text: String,
    trees: HashMap<String, ast::List>,
}

impl Template {
    /// Parses `text` as Go's `template.New("").Parse(text)` does.
    pub fn parse(text: &str) -> Result<Template, ParseError> {
        match parse::parse(text) {
            Ok(trees) => Ok(Template {
                text: text.to_owned(),
                trees,
            }),
            Err(e) => Err(ParseError::new(e.line, e.msg)),
        }
    }

    /// Executes the template against `data` with `missingkey=error`.
    pub fn execute(&self, data: &Value) -> Result<String, ExecError> {
        let mut out = String::new();
        self.execute_into(data, &mut out)?;
        Ok(out)
    }

    /// Executes the template against `data`, appending the output to `out`.
    /// On error `out` is left as it was.
    ///
    /// Go templates can produce bytes that are not UTF-8 (by slicing a
    /// multi-byte character); such bytes are replaced with U+FFFD here. Use
    /// [`Template::execute_bytes`] to get Go's exact bytes.
    pub fn execute_into(&self, data: &Value, out: &mut String) -> Result<(), ExecError> {
        let mut buf = std::mem::take(out).into_bytes();
        let start = buf.len();
        let result = self.execute_bytes_into(data, &mut buf);
        if result.is_err() {
            buf.truncate(start);
        }
        *out = match String::from_utf8(buf) {
            Ok(s) => s,
            Err(e) => {
                let bytes = e.into_bytes();
                let mut s = String::from_utf8_lossy(&bytes[..start]).into_owned();
                s.push_str(&String::from_utf8_lossy(&bytes[start..]));
                s
            }
        };
        result
    }

    /// Executes the template against `data`, returning exactly the bytes Go
    /// would write.
    pub fn execute_bytes(&self, data: &Value) -> Result<Vec<u8>, ExecError> {
        let mut buf = Vec::new();
        self.execute_bytes_into(data, &mut buf)?;
        Ok(buf)
    }

    fn execute_bytes_into(&self, data: &Value, buf: &mut Vec<u8>) -> Result<(), ExecError> {
        exec::execute(&self.text, &self.trees, data, buf)
            .map_err(|e| ExecError::new(e.location, e.name, e.context, e.msg))
    }

    /// The names of the templates defined inside this one (`""` is the top level).
    pub fn defined_templates(&self) -> impl Iterator<Item = &str> {
        self.trees.keys().map(String::as_str)
    }
}

/// Parses and executes in one step, as matchbox does for every request.
pub fn render(text: &str, data: &Value) -> Result<String, Error> {
    Ok(Template::parse(text)?.execute(data)?)
}

/// Formats a float64 as Go's `%v` (and `fmt.Sprint`) does. That is
/// `strconv.FormatFloat(f, 'g', -1, 64)`: the shortest digits that round-trip,
/// in exponent form when the decimal exponent is below -4 or at least 6.
///
/// ```
/// use template::format_float;
/// assert_eq!(format_float(3.0), "3");
/// assert_eq!(format_float(1.5), "1.5");
/// assert_eq!(format_float(123456.0), "123456");
/// assert_eq!(format_float(1e6), "1e+06");
/// assert_eq!(format_float(0.0001), "0.0001");
/// assert_eq!(format_float(1e-5), "1e-05");
/// assert_eq!(format_float(123456789.0), "1.23456789e+08");
/// assert_eq!(format_float(f64::NAN), "NaN");
/// assert_eq!(format_float(f64::INFINITY), "+Inf");
/// assert_eq!(format_float(f64::NEG_INFINITY), "-Inf");
/// ```
pub fn format_float(f: f64) -> String {
    go_sprint(&Value::Number(f))
}

/// Formats a value as Go's `fmt.Sprint` does: `map[a:1 b:[x y]]`, `[a b]`,
/// and `<nil>` for `Null`. (A template action prints a missing or null value
/// as `<no value>` instead; that is the executor's rule, not `fmt`'s.)
pub fn go_sprint(v: &Value) -> String {
    let mut buf = Vec::new();
    let arg = val::Conc::from_value(v);
    gofmt::sprint(&mut buf, std::slice::from_ref(&arg));
    strconv::bytes_to_string(buf)
}
