//! Template execution: a port of Go's `text/template/exec.go` (Go 1.19) with
//! `missingkey=error`, over the values in `val`.
//!
//! The executor tracks the node it is "at" exactly where Go does, because
//! that node's text and position make up the `template: :L:C: executing ...
//! at <...>` error messages operators see. Go's panics for errors and for
//! `break`/`continue` become `Result`s and a `Flow` value. State lives on
//! the stack of one call, so a parsed template can be executed from many
//! threads at once. Unlike Go, total nesting depth is capped well below what
//! could overflow a thread's stack.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::ast::{Arg, At, Branch, Command, List, Node, Number, Pipe, Variable, line_col};
use crate::builtins::{self, Builtin, Param};
use crate::gofmt::{format_val, print_one};
use crate::strconv::quote;
use crate::val::{Conc, Val};
use crate::value::Value;

/// The deepest nesting of template calls and control structures during
/// execution. Go counts only template calls and allows 100000 of them on its
/// growable stacks. Here control structures count too, because each call can
/// nest up to `MAX_PARSE_NESTING` of them; with this bound a worst-case
/// template stays under 1 MiB of stack in debug builds (a quarter of that in
/// release), far beyond what real templates reach. Parenthesized pipelines
/// need no count: the parser already bounds them.
pub(crate) const MAX_EXEC_DEPTH: usize = 300;

/// An execution failure in Go's terms.
#[derive(Debug, Clone)]
pub(crate) struct ExecFailure {
    /// Line (1-based) and byte column (0-based) of the node, when there is one.
    pub(crate) location: Option<(usize, usize)>,
    /// The name of the template being executed (`""` for the top level).
    pub(crate) name: String,
    /// The Go rendering of the node the error is at.
    pub(crate) context: String,
    pub(crate) msg: String,
}

/// Failures are boxed to keep `Result`s small: the executor recurses, and
/// every frame holds a few of them.
type EResult<T> = Result<T, Box<ExecFailure>>;

/// How a walk ended: normally, or by `{{break}}`/`{{continue}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Normal,
    Break,
    Continue,
}

/// Executes the top-level template of `trees` against `data`, appending to `out`.
pub(crate) fn execute(text: &str, trees: &HashMap<String, List>, data: &Value, out: &mut Vec<u8>) -> EResult<()> {
    let dot = Val::from_root(data);
    let mut ex = Exec {
        text,
        trees,
        name: "",
        out,
        at: None,
        vars: vec![("$", dot.clone())],
        var_base: 0,
        depth: 0,
    };
    let Some(root) = trees.get("") else {
        return ex.errorf(format!("{} is an incomplete or empty template", quote("")));
    };
    ex.walk_list(&dot, root)?;
    Ok(())
}

struct Exec<'a, 'o> {
    text: &'a str,
    trees: &'a HashMap<String, List>,
    /// The name of the template being executed.
    name: &'a str,
    out: &'o mut Vec<u8>,
    /// The node being evaluated, for errors.
    at: Option<At<'a>>,
    /// The push-down stack of variables; the current template sees only
    /// `vars[var_base..]`.
    vars: Vec<(&'a str, Val<'a>)>,
    var_base: usize,
    depth: usize,
}

impl<'a> Exec<'a, '_> {
    fn errorf<T>(&self, msg: String) -> EResult<T> {
        let (location, context) = match self.at {
            Some(at) => (Some(line_col(self.text, at.pos())), at.context()),
            None => (None, String::new()),
        };
        Err(Box::new(ExecFailure {
            location,
            name: self.name.to_owned(),
            context,
            msg,
        }))
    }

    fn enter(&mut self) -> EResult<()> {
        if self.depth >= MAX_EXEC_DEPTH {
            return self.errorf(format!("exceeded maximum template depth ({MAX_EXEC_DEPTH})"));
        }
        self.depth += 1;
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    // -- Variables ---------------------------------------------------------

    fn var_value(&self, name: &str) -> EResult<Val<'a>> {
        match self.vars[self.var_base..].iter().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => Ok(v.clone()),
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    fn set_var(&mut self, name: &str, value: Val<'a>) -> EResult<()> {
        match self.vars[self.var_base..].iter_mut().rev().find(|(n, _)| *n == name) {
            Some((_, v)) => {
                *v = value;
                Ok(())
            }
            None => self.errorf(format!("undefined variable: {name}")),
        }
    }

    /// Overwrites the top-nth variable on the stack, as range iterations do.
    fn set_top_var(&mut self, n: usize, value: Val<'a>) -> EResult<()> {
        let len = self.vars.len();
        if len < self.var_base + n {
            return self.errorf("internal error: variable stack underflow".to_owned());
        }
        self.vars[len - n].1 = value;
        Ok(())
    }

    // -- Walking -----------------------------------------------------------

    fn walk_list(&mut self, dot: &Val<'a>, list: &'a List) -> EResult<Flow> {
        self.at = Some(At::List(list));
        for node in &list.nodes {
            let flow = self.walk(dot, node)?;
            if flow != Flow::Normal {
                return Ok(flow);
            }
        }
        Ok(Flow::Normal)
    }

    fn walk(&mut self, dot: &Val<'a>, node: &'a Node) -> EResult<Flow> {
        self.at = Some(At::Node(node));
        match node {
            Node::Text { text, .. } => self.out.extend_from_slice(text.as_bytes()),
            Node::Action { pipe, .. } => {
                // Variables declared here persist until the enclosing end;
                // a declaration prints nothing.
                let val = self.eval_pipeline(dot, Some(pipe))?;
                if pipe.decl.is_empty() {
                    self.print_value(node, &val);
                }
            }
            Node::Break { .. } => return Ok(Flow::Break),
            Node::Continue { .. } => return Ok(Flow::Continue),
            Node::If(b) => return self.walk_if_or_with(false, dot, b),
            Node::With(b) => return self.walk_if_or_with(true, dot, b),
            Node::Range(b) => return self.walk_range(dot, node, b),
            Node::Template { name, pipe, .. } => {
                self.walk_template(dot, node, name, pipe.as_deref())?;
            }
        }
        Ok(Flow::Normal)
    }

    fn walk_if_or_with(&mut self, is_with: bool, dot: &Val<'a>, b: &'a Branch) -> EResult<Flow> {
        self.enter()?;
        let mark = self.vars.len();
        let (mut is_with, mut b) = (is_with, b);
        let flow = loop {
            let val = self.eval_pipeline(dot, Some(&b.pipe))?;
            if val.truth() {
                break if is_with {
                    self.walk_list(&val, &b.list)?
                } else {
                    self.walk_list(dot, &b.list)?
                };
            }
            let Some(else_list) = &b.else_list else {
                break Flow::Normal;
            };
            // An else list holding only an if is how "{{else if}}" parses.
            // Go recurses into it; walking the chain in this loop instead
            // keeps long chains off the stack, with the same effect.
            if let [inner @ Node::If(next)] = else_list.nodes.as_slice() {
                self.at = Some(At::List(else_list));
                self.at = Some(At::Node(inner));
                (is_with, b) = (false, next);
                continue;
            }
            break self.walk_list(dot, else_list)?;
        };
        self.vars.truncate(mark);
        self.leave();
        Ok(flow)
    }

    fn walk_range(&mut self, dot: &Val<'a>, node: &'a Node, b: &'a Branch) -> EResult<Flow> {
        self.at = Some(At::Node(node));
        self.enter()?;
        let outer = self.vars.len();
        let val = self.eval_pipeline(dot, Some(&b.pipe))?;
        // Mark the top of the stack before any variables in the body are pushed.
        let mark = self.vars.len();
        let ndecl = b.pipe.decl.len();
        let mut iterated = true;
        match &val {
            Val::Conc(Conc::List(l)) if l.len() > 0 => {
                for i in 0..l.len() {
                    let flow = self.one_iteration(ndecl, Val::Conc(Conc::Int(i as i64)), l.get(i), &b.list, mark)?;
                    if flow == Flow::Break {
                        break;
                    }
                }
            }
            Val::Conc(Conc::Map(m)) if !m.is_empty() => {
                for (k, v) in m.iter() {
                    let key = Val::Conc(Conc::Str(Cow::Borrowed(k.as_bytes())));
                    let flow = self.one_iteration(ndecl, key, Val::from_elem(v), &b.list, mark)?;
                    if flow == Flow::Break {
                        break;
                    }
                }
            }
            Val::Conc(Conc::StrMap(m)) if !m.is_empty() => {
                for (k, v) in m.iter() {
                    let key = Val::Conc(Conc::Str(Cow::Borrowed(k.as_bytes())));
                    let elem = Val::Conc(Conc::Str(Cow::Borrowed(v.as_bytes())));
                    let flow = self.one_iteration(ndecl, key, elem, &b.list, mark)?;
                    if flow == Flow::Break {
                        break;
                    }
                }
            }
            // An empty collection or no value at all runs the else branch.
            Val::Conc(Conc::List(_) | Conc::Map(_) | Conc::StrMap(_)) | Val::Invalid => iterated = false,
            other => return self.errorf(format!("range can't iterate over {}", format_val(other, 'v'))),
        }
        let mut flow = Flow::Normal;
        if !iterated && let Some(else_list) = &b.else_list {
            // A {{break}} in the else branch belongs to an enclosing range
            // but is absorbed by this one, as in Go; a {{continue}} reaches
            // the enclosing range.
            if self.walk_list(dot, else_list)? == Flow::Continue {
                flow = Flow::Continue;
            }
        }
        self.vars.truncate(outer);
        self.leave();
        Ok(flow)
    }

    fn one_iteration(
        &mut self,
        ndecl: usize,
        index: Val<'a>,
        elem: Val<'a>,
        list: &'a List,
        mark: usize,
    ) -> EResult<Flow> {
        // Set the top variable (lexically the second if there are two) to
        // the element, and the next one to the index.
        if ndecl > 0 {
            self.set_top_var(1, elem.clone())?;
        }
        if ndecl > 1 {
            self.set_top_var(2, index)?;
        }
        let flow = self.walk_list(&elem, list)?;
        self.vars.truncate(mark);
        Ok(flow)
    }

    fn walk_template(&mut self, dot: &Val<'a>, node: &'a Node, name: &str, pipe: Option<&'a Pipe>) -> EResult<()> {
        self.at = Some(At::Node(node));
        let Some((tname, tmpl)) = self.trees.get_key_value(name) else {
            return self.errorf(format!("template {} not defined", quote(name)));
        };
        self.enter()?;
        // Variables declared by the pipeline persist.
        let new_dot = self.eval_pipeline(dot, pipe)?;
        // No dynamic scoping: the called template sees only its own `$`.
        let saved = (self.name, self.var_base, self.at);
        let base = self.vars.len();
        self.vars.push(("$", new_dot.clone()));
        self.var_base = base;
        self.name = tname;
        let r = self.walk_list(&new_dot, tmpl);
        self.vars.truncate(base);
        (self.name, self.var_base, self.at) = saved;
        self.leave();
        r.map(|_| ())
    }

    fn print_value(&mut self, node: &'a Node, v: &Val<'a>) {
        self.at = Some(At::Node(node));
        match v.concrete() {
            Some(c) => print_one(self.out, c),
            None => self.out.extend_from_slice(b"<no value>"),
        }
    }

    // -- Evaluation --------------------------------------------------------

    fn eval_pipeline(&mut self, dot: &Val<'a>, pipe: Option<&'a Pipe>) -> EResult<Val<'a>> {
        let Some(pipe) = pipe else {
            return Ok(Val::Invalid);
        };
        self.at = Some(At::Pipe(pipe));
        let mut value: Option<Val<'a>> = None;
        for cmd in &pipe.cmds {
            // The previous value is this command's final argument; an
            // interface{} result is unwrapped to the value inside.
            let v = self.eval_command(dot, cmd, value.take())?;
            value = Some(v.unwrap_iface());
        }
        let value = value.unwrap_or(Val::Invalid);
        for var in &pipe.decl {
            let name: &'a str = &var.ident[0];
            if pipe.is_assign {
                self.set_var(name, value.clone())?;
            } else {
                self.vars.push((name, value.clone()));
            }
        }
        Ok(value)
    }

    fn not_a_function(&self, args: &[Arg], fin: &Option<Val<'a>>) -> EResult<()> {
        if args.len() > 1 || fin.is_some() {
            let first = args.first().map(Arg::to_go_string).unwrap_or_default();
            return self.errorf(format!("can't give argument to non-function {first}"));
        }
        Ok(())
    }

    fn eval_command(&mut self, dot: &Val<'a>, cmd: &'a Command, fin: Option<Val<'a>>) -> EResult<Val<'a>> {
        let Some(first) = cmd.args.first() else {
            return self.errorf("empty command".to_owned());
        };
        match first {
            Arg::Field { ident, .. } => return self.eval_field_node(dot, first, ident, &cmd.args, fin),
            Arg::Chain { node, field, .. } => {
                return self.eval_chain_node(dot, first, node, field, &cmd.args, fin);
            }
            Arg::Identifier { func, .. } => {
                return self.eval_function(dot, first, *func, At::Command(cmd), Some(&cmd.args), fin);
            }
            Arg::Pipe(p) => {
                // Parenthesized pipeline: its arguments are all inside.
                self.not_a_function(&cmd.args, &fin)?;
                return self.eval_pipeline(dot, Some(p));
            }
            Arg::Variable(v) => return self.eval_variable_node(first, v, &cmd.args, fin),
            _ => {}
        }
        self.at = Some(At::Arg(first));
        self.not_a_function(&cmd.args, &fin)?;
        match first {
            Arg::Bool { val, .. } => Ok(Val::Conc(Conc::Bool(*val))),
            Arg::Dot { .. } => Ok(dot.clone()),
            Arg::Nil { .. } => self.errorf("nil is not a command".to_owned()),
            Arg::Number(n) => self.ideal_constant(first, n),
            Arg::String { text, .. } => Ok(Val::Conc(Conc::Str(Cow::Borrowed(text)))),
            _ => self.errorf(format!("can't evaluate command {}", quote(&first.to_go_string()))),
        }
    }

    /// A number constant where no type is known: the syntax decides.
    fn ideal_constant(&mut self, node: &'a Arg, n: &Number) -> EResult<Val<'a>> {
        self.at = Some(At::Arg(node));
        let text: &str = &n.text;
        let is_hex_int = text.len() > 2
            && text.as_bytes()[0] == b'0'
            && matches!(text.as_bytes()[1], b'x' | b'X')
            && !text.contains(['p', 'P']);
        let is_rune_int = text.starts_with('\'');
        if n.is_complex {
            return Ok(Val::Conc(Conc::Complex(n.complex.0, n.complex.1)));
        }
        if n.is_float && !is_hex_int && !is_rune_int && text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Ok(Val::Conc(Conc::Float(n.float64)));
        }
        if n.is_int {
            return Ok(Val::Conc(Conc::Int(n.int64)));
        }
        if n.is_uint {
            return self.errorf(format!("{text} overflows int"));
        }
        Ok(Val::Invalid)
    }

    fn eval_field_node(
        &mut self,
        dot: &Val<'a>,
        node: &'a Arg,
        ident: &'a [Box<str>],
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        self.at = Some(At::Arg(node));
        self.eval_field_chain(dot.clone(), ident, args, fin)
    }

    fn eval_chain_node(
        &mut self,
        dot: &Val<'a>,
        node: &'a Arg,
        inner: &'a Arg,
        fields: &'a [Box<str>],
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        self.at = Some(At::Arg(node));
        if fields.is_empty() {
            return self.errorf("internal error: no fields in evalChainNode".to_owned());
        }
        if matches!(inner, Arg::Nil { .. }) {
            return self.errorf(format!("indirection through explicit nil in {}", node.to_go_string()));
        }
        // (pipe).Field1.Field2: evaluate the pipeline, then the fields.
        let pipe = self.eval_arg(dot, None, inner)?;
        self.eval_field_chain(pipe, fields, args, fin)
    }

    fn eval_variable_node(
        &mut self,
        node: &'a Arg,
        v: &'a Variable,
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        // $x.Field has $x as the first ident, Field as the second.
        self.at = Some(At::Arg(node));
        let value = self.var_value(&v.ident[0])?;
        if v.ident.len() == 1 {
            self.not_a_function(args, &fin)?;
            return Ok(value);
        }
        self.eval_field_chain(value, &v.ident[1..], args, fin)
    }

    /// Evaluates .X.Y.Z on `receiver`; only the last field sees the
    /// arguments (which, with no methods in the data, are always an error).
    fn eval_field_chain(
        &mut self,
        mut receiver: Val<'a>,
        ident: &'a [Box<str>],
        args: &'a [Arg],
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        let Some((last, init)) = ident.split_last() else {
            return Ok(receiver);
        };
        for name in init {
            receiver = self.eval_field(name, &[], None, receiver)?;
        }
        self.eval_field(last, args, fin, receiver)
    }

    fn eval_field(&mut self, name: &str, args: &[Arg], fin: Option<Val<'a>>, receiver: Val<'a>) -> EResult<Val<'a>> {
        // missingkey=error treats no value like a missing map key.
        if matches!(receiver, Val::Invalid) {
            return self.errorf(format!("nil data; no entry for key {}", quote(name)));
        }
        let typ = receiver.type_name();
        let c = match receiver {
            Val::NilIface => return self.errorf(format!("nil pointer evaluating {typ}.{name}")),
            Val::Iface(c) | Val::Conc(c) => c,
            Val::Invalid => return self.errorf(format!("nil data; no entry for key {}", quote(name))),
        };
        let has_args = args.len() > 1 || fin.is_some();
        match c {
            Conc::Map(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                match m.get(name) {
                    Some(v) => Ok(Val::from_elem(v)),
                    None => self.errorf(format!("map has no entry for key {}", quote(name))),
                }
            }
            Conc::StrMap(m) => {
                if has_args {
                    return self.errorf(format!("{name} is not a method but has arguments"));
                }
                match m.get(name) {
                    Some(v) => Ok(Val::Conc(Conc::Str(Cow::Borrowed(v.as_bytes())))),
                    None => self.errorf(format!("map has no entry for key {}", quote(name))),
                }
            }
            _ => self.errorf(format!("can't evaluate field {name} in type {typ}")),
        }
    }

    fn eval_function(
        &mut self,
        dot: &Val<'a>,
        node: &'a Arg,
        func: Builtin,
        cmd: At<'a>,
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        self.at = Some(At::Arg(node));
        self.eval_call(dot, func, cmd, args, fin)
    }

    /// Calls a builtin. `args`, when present, includes the function name
    /// itself first, as Go's does.
    fn eval_call(
        &mut self,
        dot: &Val<'a>,
        func: Builtin,
        node: At<'a>,
        args: Option<&'a [Arg]>,
        fin: Option<Val<'a>>,
    ) -> EResult<Val<'a>> {
        let name = func.name();
        let args: &'a [Arg] = match args {
            Some(a) => a.get(1..).unwrap_or_default(),
            None => &[],
        };
        let (fixed, variadic) = func.signature();
        let num_params = fixed.len() + usize::from(variadic.is_some());
        let num_in = args.len() + usize::from(fin.is_some());
        let mut num_fixed = args.len();
        if variadic.is_some() {
            num_fixed = fixed.len();
            if num_in < num_fixed {
                return self.errorf(format!(
                    "wrong number of args for {name}: want at least {num_fixed} got {}",
                    args.len()
                ));
            }
        } else if num_in != num_params {
            return self.errorf(format!(
                "wrong number of args for {name}: want {num_params} got {num_in}"
            ));
        }

        // and/or short-circuit, returning the deciding value.
        if matches!(func, Builtin::And | Builtin::Or) {
            let is_or = func == Builtin::Or;
            let mut v = Val::Invalid;
            for arg in args {
                v = self.eval_arg(dot, Some(Param::Value), arg)?;
                if v.truth() == is_or {
                    return Ok(v);
                }
            }
            if let Some(f) = fin {
                v = self.validate_type(f, Some(Param::Value))?;
            }
            return Ok(v);
        }

        let mut argv: Vec<Val<'a>> = Vec::with_capacity(num_in);
        let mut i = 0;
        while i < num_fixed && i < args.len() {
            let v = self.eval_arg(dot, Some(fixed[i]), &args[i])?;
            argv.push(v);
            i += 1;
        }
        if let Some(vt) = variadic {
            while i < args.len() {
                let v = self.eval_arg(dot, Some(vt), &args[i])?;
                argv.push(v);
                i += 1;
            }
        }
        if let Some(f) = fin {
            let t = match variadic {
                // The final argument fills a fixed parameter or the variadic part.
                Some(vt) => {
                    if num_in - 1 < num_fixed {
                        fixed[num_in - 1]
                    } else {
                        vt
                    }
                }
                None => fixed[num_params - 1],
            };
            let v = self.validate_type(f, Some(t))?;
            argv.push(v);
        }
        match builtins::call(func, argv) {
            Ok(v) => Ok(v),
            Err(e) => {
                self.at = Some(node);
                self.errorf(format!("error calling {name}: {e}"))
            }
        }
    }

    /// Go's `validateType` for the parameter types builtins have. `None` is
    /// the untyped context of a chain's receiver.
    fn validate_type(&self, value: Val<'a>, typ: Option<Param>) -> EResult<Val<'a>> {
        match (value, typ) {
            (Val::Invalid, None | Some(Param::Value)) => Ok(Val::Invalid),
            (Val::Invalid, Some(Param::Any)) => Ok(Val::NilIface),
            (Val::Invalid, Some(Param::Str)) => self.errorf("invalid value; expected string".to_owned()),
            (v, None | Some(Param::Value | Param::Any)) => Ok(v),
            (v @ Val::Conc(Conc::Str(_)), Some(Param::Str)) => Ok(v),
            (Val::Iface(Conc::Str(s)), Some(Param::Str)) => Ok(Val::Conc(Conc::Str(s))),
            (Val::Iface(c) | Val::Conc(c), Some(Param::Str)) => {
                self.errorf(format!("wrong type for value; expected string; got {}", c.type_name()))
            }
            (Val::NilIface, Some(Param::Str)) => {
                self.errorf("wrong type for value; expected string; got interface {}".to_owned())
            }
        }
    }

    fn eval_arg(&mut self, dot: &Val<'a>, typ: Option<Param>, n: &'a Arg) -> EResult<Val<'a>> {
        self.at = Some(At::Arg(n));
        let v = match n {
            Arg::Dot { .. } => dot.clone(),
            Arg::Nil { .. } => {
                return match typ {
                    Some(Param::Any) => Ok(Val::NilIface),
                    Some(Param::Str) => self.errorf("cannot assign nil to string".to_owned()),
                    _ => Ok(Val::Invalid),
                };
            }
            Arg::Field { ident, .. } => self.eval_field_node(dot, n, ident, std::slice::from_ref(n), None)?,
            Arg::Variable(v) => self.eval_variable_node(n, v, &[], None)?,
            Arg::Pipe(p) => self.eval_pipeline(dot, Some(p))?,
            Arg::Identifier { func, .. } => self.eval_function(dot, n, *func, At::Arg(n), None, None)?,
            Arg::Chain { node, field, .. } => self.eval_chain_node(dot, n, node, field, &[], None)?,
            Arg::Bool { .. } | Arg::Number(_) | Arg::String { .. } => {
                if typ == Some(Param::Str) {
                    return match n {
                        Arg::String { text, .. } => Ok(Val::Conc(Conc::Str(Cow::Borrowed(text)))),
                        _ => self.errorf(format!("expected string; found {}", n.to_go_string())),
                    };
                }
                return self.eval_empty_interface(n);
            }
        };
        self.validate_type(v, typ)
    }

    fn eval_empty_interface(&mut self, n: &'a Arg) -> EResult<Val<'a>> {
        self.at = Some(At::Arg(n));
        match n {
            Arg::Bool { val, .. } => Ok(Val::Conc(Conc::Bool(*val))),
            Arg::Number(num) => self.ideal_constant(n, num),
            Arg::String { text, .. } => Ok(Val::Conc(Conc::Str(Cow::Borrowed(text)))),
            _ => self.errorf(format!(
                "can't handle assignment of {} to empty interface argument",
                n.to_go_string()
            )),
        }
    }
}
