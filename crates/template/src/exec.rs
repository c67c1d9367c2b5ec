//! Running a parsed template against data, with Go `text/template`'s rules
//! under `missingkey=error`: what each action, control structure and
//! operand means, when a value is true, how a missing key or a bad argument
//! fails, and which node an error names.
//!
//! Errors read `template: :L:C: executing "NAME" at <NODE>: ...`, where
//! NODE is the part of the template being evaluated when things went wrong.
//! That part is tracked as a *focus*, moved at every step where Go's messages
//! show it moving (observed through the oracle), even where a move looks
//! redundant.
//!
//! All state lives in one `Machine` on the caller's stack, so a parsed
//! template can run on many threads at once. `{{break}}` and `{{continue}}`
//! travel back as a `Flow`. Nesting (template calls and control structures)
//! is capped well below what would overflow a thread's stack.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::ast::{Arg, At, Branch, Command, List, Node, Number, Pipe, Variable, line_col};
use crate::builtins::{self, Builtin, Param};
use crate::gofmt::{format_val, print_one};
use crate::strconv::quote;
use crate::val::{Conc, Val};
use crate::value::Value;

/// How deep template calls plus `if`/`with`/`range` may nest while running.
/// Go counts only template calls and allows 100000 of them on its growable
/// stacks; a thread stack is fixed, and each call may hold up to the
/// parser's nesting limit of control structures, so both count here. At 300
/// the worst case stays below 1 MiB of stack even in debug builds.
/// Parenthesized pipelines are already bounded by the parser.
pub(crate) const MAX_EXEC_DEPTH: usize = 300;

/// Why execution stopped, in the parts Go's message is made of.
#[derive(Debug, Clone)]
pub(crate) struct ExecFailure {
    /// 1-based line and 0-based byte column of the node in focus, if any.
    pub(crate) location: Option<(usize, usize)>,
    /// The template being executed (`""` at top level).
    pub(crate) name: String,
    /// The node in focus, printed as template source.
    pub(crate) context: String,
    pub(crate) msg: String,
}

/// Boxed so that results stay small in the deeply recursive evaluator.
type Outcome<T> = Result<T, Box<ExecFailure>>;

/// What a walked list asks of the `range` around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Next,
    Break,
    Continue,
}

/// Runs the top-level template of `trees` on `data`, appending to `out`.
pub(crate) fn execute(text: &str, trees: &HashMap<String, List>, data: &Value, out: &mut Vec<u8>) -> Outcome<()> {
    let root = Val::from_root(data);
    let mut m = Machine {
        source: text,
        templates: trees,
        current: "",
        out,
        focus: None,
        scope: Scope {
            vars: vec![("$", root.clone())],
            floor: 0,
        },
        nesting: 0,
    };
    match trees.get("") {
        Some(body) => m.list(&root, body).map(|_| ()),
        None => m.fail(format!("{} is an incomplete or empty template", quote(""))),
    }
}

/// The `$` variables visible to the running template: a stack whose part
/// below `floor` belongs to the templates that called this one.
struct Scope<'a> {
    vars: Vec<(&'a str, Val<'a>)>,
    floor: usize,
}

impl<'a> Scope<'a> {
    fn mark(&self) -> usize {
        self.vars.len()
    }

    fn unwind(&mut self, mark: usize) {
        self.vars.truncate(mark);
    }

    fn slot(&mut self, name: &str) -> Option<&mut Val<'a>> {
        self.vars[self.floor..]
            .iter_mut()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| v)
    }
}

/// Whether a command gives its head operand arguments (its own words after
/// the first, or a value piped in); if so, the first word, for messages.
type Surplus<'a> = Option<&'a Arg>;

fn surplus<'a>(args: &'a [Arg], piped: &Option<Val<'_>>) -> Surplus<'a> {
    if args.len() > 1 || piped.is_some() {
        args.first()
    } else {
        None
    }
}

struct Machine<'a, 'o> {
    source: &'a str,
    templates: &'a HashMap<String, List>,
    current: &'a str,
    out: &'o mut Vec<u8>,
    focus: Option<At<'a>>,
    scope: Scope<'a>,
    nesting: usize,
}

impl<'a> Machine<'a, '_> {
    fn fail<T>(&self, msg: String) -> Outcome<T> {
        Err(Box::new(ExecFailure {
            location: self.focus.map(|at| line_col(self.source, at.pos())),
            name: self.current.to_owned(),
            context: self.focus.map(|at| at.context()).unwrap_or_default(),
            msg,
        }))
    }

    fn look(&mut self, at: At<'a>) {
        self.focus = Some(at);
    }

    /// Runs `body` one level deeper, refusing past the cap.
    fn deeper<T>(&mut self, body: impl FnOnce(&mut Self) -> Outcome<T>) -> Outcome<T> {
        if self.nesting >= MAX_EXEC_DEPTH {
            return self.fail(format!("exceeded maximum template depth ({MAX_EXEC_DEPTH})"));
        }
        self.nesting += 1;
        let result = body(self);
        self.nesting -= 1;
        result
    }

    fn variable(&mut self, name: &str) -> Outcome<Val<'a>> {
        match self.scope.slot(name) {
            Some(v) => Ok(v.clone()),
            None => self.fail(format!("undefined variable: {name}")),
        }
    }

    // == Statements ==========================================================

    fn list(&mut self, dot: &Val<'a>, list: &'a List) -> Outcome<Flow> {
        self.look(At::List(list));
        for node in &list.nodes {
            match self.node(dot, node)? {
                Flow::Next => {}
                other => return Ok(other),
            }
        }
        Ok(Flow::Next)
    }

    fn node(&mut self, dot: &Val<'a>, node: &'a Node) -> Outcome<Flow> {
        self.look(At::Node(node));
        match node {
            Node::Text { text, .. } => self.out.extend_from_slice(text.as_bytes()),
            Node::Action { pipe, .. } => {
                // Declared variables live on until the enclosing end, and a
                // declaration prints nothing.
                let v = self.pipeline(dot, pipe)?;
                if pipe.decl.is_empty() {
                    self.look(At::Node(node));
                    match v.concrete() {
                        Some(c) => print_one(self.out, c),
                        None => self.out.extend_from_slice(b"<no value>"),
                    }
                }
            }
            Node::If(b) => return self.deeper(|m| m.conditional(dot, b, false)),
            Node::With(b) => return self.deeper(|m| m.conditional(dot, b, true)),
            Node::Range(b) => {
                return self.deeper(|m| m.range(dot, b));
            }
            Node::Template { name, pipe, .. } => self.call_template(dot, name, pipe.as_deref())?,
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
        }
        Ok(Flow::Next)
    }

    /// `if` and `with`, including a whole `else if` chain: an else branch
    /// made of nothing but an `if` is taken as the next link, iteratively.
    fn conditional(&mut self, dot: &Val<'a>, first: &'a Branch, first_is_with: bool) -> Outcome<Flow> {
        let mark = self.scope.mark();
        let (mut branch, mut is_with) = (first, first_is_with);
        let flow = loop {
            let v = self.pipeline(dot, &branch.pipe)?;
            if v.truth() {
                let inner_dot = if is_with { &v } else { dot };
                break self.list(inner_dot, &branch.list)?;
            }
            match &branch.else_list {
                None => break Flow::Next,
                Some(other) => match other.nodes.as_slice() {
                    [link @ Node::If(next)] => {
                        self.look(At::List(other));
                        self.look(At::Node(link));
                        (branch, is_with) = (next, false);
                    }
                    _ => break self.list(dot, other)?,
                },
            }
        };
        self.scope.unwind(mark);
        Ok(flow)
    }

    fn range(&mut self, dot: &Val<'a>, b: &'a Branch) -> Outcome<Flow> {
        let outer = self.scope.mark();
        let collection = self.pipeline(dot, &b.pipe)?;
        let body_mark = self.scope.mark();
        let declared = b.pipe.decl.len();
        let mut items: Vec<(Val<'a>, Val<'a>)> = Vec::new();
        let text = |s: &'a str| Val::Conc(Conc::Str(Cow::Borrowed(s.as_bytes())));
        match &collection {
            Val::Conc(Conc::List(l)) => {
                items.extend((0..l.len()).map(|i| (Val::Conc(Conc::Int(i as i64)), l.get(i))));
            }
            Val::Conc(Conc::Map(m)) => items.extend(m.iter().map(|(k, v)| (text(k), Val::from_elem(v)))),
            Val::Conc(Conc::StrMap(m)) => items.extend(m.iter().map(|(k, v)| (text(k), text(v)))),
            Val::Invalid => {}
            other => return self.fail(format!("range can't iterate over {}", format_val(other, 'v'))),
        }
        let mut flow = Flow::Next;
        if items.is_empty() {
            if let Some(other) = &b.else_list {
                // A break in the else branch stops here; a continue goes on
                // to the range around this one.
                if self.list(dot, other)? == Flow::Continue {
                    flow = Flow::Continue;
                }
            }
        } else {
            for (key, elem) in items {
                // The last declared variable takes the element, the one
                // before it the key or index.
                if declared > 0 {
                    self.set_from_top(1, elem.clone())?;
                }
                if declared > 1 {
                    self.set_from_top(2, key)?;
                }
                let step = self.list(&elem, &b.list)?;
                self.scope.unwind(body_mark);
                if step == Flow::Break {
                    break;
                }
            }
        }
        self.scope.unwind(outer);
        Ok(flow)
    }

    /// Overwrites the `n`th variable from the top of the stack, as each
    /// round of a `range` does with the variables it declared.
    fn set_from_top(&mut self, n: usize, v: Val<'a>) -> Outcome<()> {
        let len = self.scope.vars.len();
        if len < self.scope.floor + n {
            return self.fail("internal error: variable stack underflow".to_owned());
        }
        self.scope.vars[len - n].1 = v;
        Ok(())
    }

    fn call_template(&mut self, dot: &Val<'a>, name: &str, pipe: Option<&'a Pipe>) -> Outcome<()> {
        let Some((name, body)) = self.templates.get_key_value(name) else {
            return self.fail(format!("template {} not defined", quote(name)));
        };
        self.deeper(|m| {
            // Variables the argument pipeline declares stay in the caller.
            let arg = match pipe {
                Some(p) => m.pipeline(dot, p)?,
                None => Val::Invalid,
            };
            // The callee sees only its own `$`.
            let saved = (m.current, m.scope.floor, m.focus);
            let base = m.scope.mark();
            m.scope.vars.push(("$", arg.clone()));
            m.scope.floor = base;
            m.current = name;
            let result = m.list(&arg, body);
            m.scope.unwind(base);
            (m.current, m.scope.floor, m.focus) = saved;
            result.map(|_| ())
        })
    }

    // == Pipelines and commands =============================================

    fn pipeline(&mut self, dot: &Val<'a>, pipe: &'a Pipe) -> Outcome<Val<'a>> {
        self.look(At::Pipe(pipe));
        let mut piped: Option<Val<'a>> = None;
        for cmd in &pipe.cmds {
            // Each result feeds the next command as its last argument, taken
            // out of any interface.
            piped = Some(self.command(dot, cmd, piped.take())?.unwrap_iface());
        }
        let result = piped.unwrap_or(Val::Invalid);
        for var in &pipe.decl {
            let name: &'a str = &var.ident[0];
            if pipe.is_assign {
                match self.scope.slot(name) {
                    Some(slot) => *slot = result.clone(),
                    None => return self.fail(format!("undefined variable: {name}")),
                }
            } else {
                self.scope.vars.push((name, result.clone()));
            }
        }
        Ok(result)
    }

    /// Fails if a word that is no function is given arguments.
    fn no_arguments(&self, extra: Surplus<'a>) -> Outcome<()> {
        match extra {
            Some(first) => self.fail(format!("can't give argument to non-function {}", first.to_go_string())),
            None => Ok(()),
        }
    }

    fn command(&mut self, dot: &Val<'a>, cmd: &'a Command, piped: Option<Val<'a>>) -> Outcome<Val<'a>> {
        let Some(head) = cmd.args.first() else {
            return self.fail("empty command".to_owned());
        };
        let extra = surplus(&cmd.args, &piped);
        match head {
            Arg::Field { ident, .. } => {
                self.look(At::Arg(head));
                self.field_chain(dot.clone(), ident, extra)
            }
            Arg::Chain { node, field, .. } => self.chain(dot, head, node, field, extra),
            Arg::Identifier { func, .. } => {
                self.look(At::Arg(head));
                self.call(dot, *func, At::Command(cmd), &cmd.args[1..], piped)
            }
            Arg::Pipe(inner) => {
                self.no_arguments(extra)?;
                self.pipeline(dot, inner)
            }
            Arg::Variable(v) => self.variable_operand(head, v, extra),
            _ => {
                self.look(At::Arg(head));
                self.no_arguments(extra)?;
                match head {
                    Arg::Bool { val, .. } => Ok(Val::Conc(Conc::Bool(*val))),
                    Arg::Dot { .. } => Ok(dot.clone()),
                    Arg::Nil { .. } => self.fail("nil is not a command".to_owned()),
                    Arg::Number(n) => self.constant(head, n),
                    Arg::String { text, .. } => Ok(Val::Conc(Conc::Str(Cow::Borrowed(text)))),
                    _ => self.fail(format!("can't evaluate command {}", quote(&head.to_go_string()))),
                }
            }
        }
    }

    /// A number where nothing says which type it should have: its spelling
    /// decides. Decimal points and exponents make a float64, complex
    /// constants stay complex, anything else is an int.
    fn constant(&mut self, node: &'a Arg, n: &Number) -> Outcome<Val<'a>> {
        self.look(At::Arg(node));
        let text: &str = &n.text;
        let b = text.as_bytes();
        // `0x1E` is an int although it contains an E; a character constant
        // is an int whatever it contains.
        let hex_int = b.len() > 2 && b[0] == b'0' && matches!(b[1], b'x' | b'X') && !text.contains(['p', 'P']);
        let char_constant = b.first() == Some(&b'\'');
        if n.is_complex {
            Ok(Val::Conc(Conc::Complex(n.complex.0, n.complex.1)))
        } else if n.is_float && !hex_int && !char_constant && text.contains(['.', 'e', 'E', 'p', 'P']) {
            Ok(Val::Conc(Conc::Float(n.float64)))
        } else if n.is_int {
            Ok(Val::Conc(Conc::Int(n.int64)))
        } else if n.is_uint {
            self.fail(format!("{text} overflows int"))
        } else {
            Ok(Val::Invalid)
        }
    }

    /// `(pipeline).a.b`, or fields after another operand.
    fn chain(
        &mut self,
        dot: &Val<'a>,
        node: &'a Arg,
        inner: &'a Arg,
        fields: &'a [Box<str>],
        extra: Surplus<'a>,
    ) -> Outcome<Val<'a>> {
        self.look(At::Arg(node));
        if fields.is_empty() {
            return self.fail("internal error: no fields in evalChainNode".to_owned());
        }
        if matches!(inner, Arg::Nil { .. }) {
            return self.fail(format!("indirection through explicit nil in {}", node.to_go_string()));
        }
        let receiver = self.argument(dot, None, inner)?;
        self.field_chain(receiver, fields, extra)
    }

    /// `$x` or `$x.a.b`.
    fn variable_operand(&mut self, node: &'a Arg, v: &'a Variable, extra: Surplus<'a>) -> Outcome<Val<'a>> {
        self.look(At::Arg(node));
        let value = self.variable(&v.ident[0])?;
        match v.ident.get(1..) {
            Some(fields) if !fields.is_empty() => self.field_chain(value, fields, extra),
            _ => {
                self.no_arguments(extra)?;
                Ok(value)
            }
        }
    }

    /// `.a.b.c` from `receiver`; only the last field can be given arguments
    /// (and, data having no methods, that is always an error).
    fn field_chain(&mut self, receiver: Val<'a>, names: &'a [Box<str>], extra: Surplus<'a>) -> Outcome<Val<'a>> {
        let Some((last, path)) = names.split_last() else {
            return Ok(receiver);
        };
        let mut v = receiver;
        for name in path {
            v = self.field(v, name, None)?;
        }
        self.field(v, last, extra)
    }

    fn field(&mut self, receiver: Val<'a>, name: &str, extra: Surplus<'a>) -> Outcome<Val<'a>> {
        let type_name = receiver.type_name();
        let c = match receiver {
            // Under missingkey=error, no value at all is a missing key too.
            Val::Invalid => return self.fail(format!("nil data; no entry for key {}", quote(name))),
            Val::NilIface => return self.fail(format!("nil pointer evaluating {type_name}.{name}")),
            Val::Iface(c) | Val::Conc(c) => c,
        };
        if !matches!(c, Conc::Map(_) | Conc::StrMap(_)) {
            return self.fail(format!("can't evaluate field {name} in type {type_name}"));
        }
        if extra.is_some() {
            return self.fail(format!("{name} is not a method but has arguments"));
        }
        let found = match c {
            Conc::Map(m) => m.get(name).map(Val::from_elem),
            Conc::StrMap(m) => m.get(name).map(|s| Val::Conc(Conc::Str(Cow::Borrowed(s.as_bytes())))),
            _ => None,
        };
        match found {
            Some(v) => Ok(v),
            None => self.fail(format!("map has no entry for key {}", quote(name))),
        }
    }

    // == Function calls ======================================================

    /// Calls a builtin with the words after its name (`args`) and possibly a
    /// piped value as its last argument. `site` is where a failure inside
    /// the function is reported.
    fn call(
        &mut self,
        dot: &Val<'a>,
        func: Builtin,
        site: At<'a>,
        args: &'a [Arg],
        piped: Option<Val<'a>>,
    ) -> Outcome<Val<'a>> {
        let name = func.name();
        let (fixed, rest) = func.signature();
        let given = args.len() + usize::from(piped.is_some());
        match rest {
            Some(_) if given < fixed.len() => {
                return self.fail(format!(
                    "wrong number of args for {name}: want at least {} got {}",
                    fixed.len(),
                    args.len()
                ));
            }
            None if given != fixed.len() => {
                return self.fail(format!(
                    "wrong number of args for {name}: want {} got {given}",
                    fixed.len()
                ));
            }
            _ => {}
        }
        // The type each argument position takes.
        let param = |i: usize| fixed.get(i).copied().or(rest).unwrap_or(Param::Value);

        if matches!(func, Builtin::And | Builtin::Or) {
            // Evaluate only as far as the answer is known, and answer with
            // the deciding operand itself.
            let stop_on = func == Builtin::Or;
            let mut last = Val::Invalid;
            for arg in args {
                last = self.argument(dot, Some(Param::Value), arg)?;
                if last.truth() == stop_on {
                    return Ok(last);
                }
            }
            if let Some(v) = piped {
                last = self.conform(v, Some(Param::Value))?;
            }
            return Ok(last);
        }

        let mut values = Vec::with_capacity(given);
        for (i, arg) in args.iter().enumerate() {
            values.push(self.argument(dot, Some(param(i)), arg)?);
        }
        if let Some(v) = piped {
            values.push(self.conform(v, Some(param(given - 1)))?);
        }
        builtins::call(func, values).or_else(|e| {
            self.look(site);
            self.fail(format!("error calling {name}: {e}"))
        })
    }

    /// Checks (and adjusts) a computed value for a parameter of type `want`;
    /// `None` is the untyped receiver of a chain.
    fn conform(&self, v: Val<'a>, want: Option<Param>) -> Outcome<Val<'a>> {
        match (want, v) {
            (Some(Param::Str), Val::Invalid) => self.fail("invalid value; expected string".to_owned()),
            (Some(Param::Str), Val::Conc(Conc::Str(s)) | Val::Iface(Conc::Str(s))) => Ok(Val::Conc(Conc::Str(s))),
            (Some(Param::Str), Val::Conc(c) | Val::Iface(c)) => {
                self.fail(format!("wrong type for value; expected string; got {}", c.type_name()))
            }
            (Some(Param::Str), Val::NilIface) => {
                self.fail("wrong type for value; expected string; got interface {}".to_owned())
            }
            // Nothing at all, passed as interface{}, is a nil interface.
            (Some(Param::Any), Val::Invalid) => Ok(Val::NilIface),
            (_, v) => Ok(v),
        }
    }

    /// An argument of a function call, or the operand before a chain.
    fn argument(&mut self, dot: &Val<'a>, want: Option<Param>, n: &'a Arg) -> Outcome<Val<'a>> {
        self.look(At::Arg(n));
        let v = match n {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                return match want {
                    Some(Param::Any) => Ok(Val::NilIface),
                    Some(Param::Str) => self.fail("cannot assign nil to string".to_owned()),
                    _ => Ok(Val::Invalid),
                };
            }
            Arg::Field { ident, .. } => {
                self.look(At::Arg(n));
                self.field_chain(dot.clone(), ident, None)?
            }
            Arg::Variable(v) => self.variable_operand(n, v, None)?,
            Arg::Pipe(p) => self.pipeline(dot, p)?,
            Arg::Identifier { func, .. } => {
                self.look(At::Arg(n));
                self.call(dot, *func, At::Arg(n), &[], None)?
            }
            Arg::Chain { node, field, .. } => self.chain(dot, n, node, field, None)?,
            Arg::String { text, .. } => return Ok(Val::Conc(Conc::Str(Cow::Borrowed(text)))),
            Arg::Bool { val, .. } => {
                return match want {
                    Some(Param::Str) => self.fail(format!("expected string; found {}", n.to_go_string())),
                    _ => Ok(Val::Conc(Conc::Bool(*val))),
                };
            }
            Arg::Number(num) => {
                return match want {
                    Some(Param::Str) => self.fail(format!("expected string; found {}", n.to_go_string())),
                    _ => self.constant(n, num),
                };
            }
        };
        self.conform(v, want)
    }
}
