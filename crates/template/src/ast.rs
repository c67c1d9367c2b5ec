//! The parse tree of a template: what `parse` produces and `exec` walks.
//!
//! The shapes follow the template language itself (text, actions, control
//! structures, pipelines of commands, arguments). Each node keeps its byte
//! position so execution errors can report `line:column` as Go does, and can
//! print itself back as template source the way Go's messages show it in
//! their `at <...>` part. Nodes are immutable after parsing; nothing here
//! evaluates anything.

use crate::builtins::Builtin;
use crate::strconv::quote;

/// A sequence of nodes: a template body or the body of a control structure.
#[derive(Debug, Clone)]
pub(crate) struct List {
    pub(crate) pos: usize,
    pub(crate) nodes: Vec<Node>,
}

/// A statement-level node.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    /// Plain text, emitted byte for byte.
    Text {
        pos: usize,
        text: Box<str>,
    },
    /// A non-control action such as `{{.a}}`.
    Action {
        pos: usize,
        pipe: Box<Pipe>,
    },
    // Branches and pipelines are boxed to keep `Node` small: the parser and
    // executor recurse through nodes, and debug builds keep every temporary
    // on the stack.
    If(Box<Branch>),
    Range(Box<Branch>),
    With(Box<Branch>),
    /// `{{template "name" pipeline}}`, also produced by `{{block}}`.
    Template {
        pos: usize,
        name: Box<str>,
        pipe: Option<Box<Pipe>>,
    },
    Break {
        pos: usize,
    },
    Continue {
        pos: usize,
    },
}

/// The shared shape of `if`, `range` and `with`.
#[derive(Debug, Clone)]
pub(crate) struct Branch {
    pub(crate) pos: usize,
    pub(crate) pipe: Pipe,
    pub(crate) list: List,
    pub(crate) else_list: Option<List>,
}

/// A pipeline of commands, optionally assigning or declaring variables.
#[derive(Debug, Clone)]
pub(crate) struct Pipe {
    pub(crate) pos: usize,
    /// The variables are assigned (`=`), not declared (`:=`).
    pub(crate) is_assign: bool,
    pub(crate) decl: Vec<Variable>,
    pub(crate) cmds: Vec<Command>,
}

/// One stage of a pipeline: an operand and its arguments.
#[derive(Debug, Clone)]
pub(crate) struct Command {
    pub(crate) pos: usize,
    pub(crate) args: Vec<Arg>,
}

/// A `$` variable, possibly followed by fields (`$x.a.b`).
#[derive(Debug, Clone)]
pub(crate) struct Variable {
    pub(crate) pos: usize,
    /// The variable name (with `$`) followed by field names.
    pub(crate) ident: Vec<Box<str>>,
}

/// A numeric constant with every interpretation Go computes for it.
#[derive(Debug, Clone)]
pub(crate) struct Number {
    pub(crate) pos: usize,
    pub(crate) is_int: bool,
    pub(crate) is_uint: bool,
    pub(crate) is_float: bool,
    pub(crate) is_complex: bool,
    pub(crate) int64: i64,
    pub(crate) float64: f64,
    pub(crate) complex: (f64, f64),
    pub(crate) text: Box<str>,
}

/// An operand of a command.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    /// `.a.b`
    Field {
        pos: usize,
        ident: Vec<Box<str>>,
    },
    /// `(pipeline).a.b` or `func.a`
    Chain {
        pos: usize,
        node: Box<Arg>,
        field: Vec<Box<str>>,
    },
    /// A builtin function name.
    Identifier {
        pos: usize,
        func: Builtin,
    },
    /// A parenthesized pipeline.
    Pipe(Box<Pipe>),
    Variable(Variable),
    Bool {
        pos: usize,
        val: bool,
    },
    Dot {
        pos: usize,
    },
    Nil {
        pos: usize,
    },
    Number(Box<Number>),
    /// A string constant: the original quoted text and its value (bytes,
    /// since escapes like `\xff` can make it invalid UTF-8).
    String {
        pos: usize,
        quoted: Box<str>,
        text: Box<[u8]>,
    },
}

impl Arg {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Arg::Field { pos, .. }
            | Arg::Chain { pos, .. }
            | Arg::Identifier { pos, .. }
            | Arg::Bool { pos, .. }
            | Arg::Dot { pos }
            | Arg::Nil { pos }
            | Arg::String { pos, .. } => *pos,
            Arg::Pipe(p) => p.pos,
            Arg::Variable(v) => v.pos,
            Arg::Number(n) => n.pos,
        }
    }

    pub(crate) fn write_to(&self, sb: &mut String) {
        match self {
            Arg::Field { ident, .. } => {
                for id in ident {
                    sb.push('.');
                    sb.push_str(id);
                }
            }
            Arg::Chain { node, field, .. } => {
                if let Arg::Pipe(p) = node.as_ref() {
                    sb.push('(');
                    p.write_to(sb);
                    sb.push(')');
                } else {
                    node.write_to(sb);
                }
                for f in field {
                    sb.push('.');
                    sb.push_str(f);
                }
            }
            Arg::Identifier { func, .. } => sb.push_str(func.name()),
            Arg::Pipe(p) => p.write_to(sb),
            Arg::Variable(v) => v.write_to(sb),
            Arg::Bool { val, .. } => sb.push_str(if *val { "true" } else { "false" }),
            Arg::Dot { .. } => sb.push('.'),
            Arg::Nil { .. } => sb.push_str("nil"),
            Arg::Number(n) => sb.push_str(&n.text),
            Arg::String { quoted, .. } => sb.push_str(quoted),
        }
    }

    pub(crate) fn to_go_string(&self) -> String {
        let mut s = String::new();
        self.write_to(&mut s);
        s
    }
}

impl Variable {
    pub(crate) fn write_to(&self, sb: &mut String) {
        for (i, id) in self.ident.iter().enumerate() {
            if i > 0 {
                sb.push('.');
            }
            sb.push_str(id);
        }
    }
}

impl Command {
    pub(crate) fn write_to(&self, sb: &mut String) {
        for (i, arg) in self.args.iter().enumerate() {
            if i > 0 {
                sb.push(' ');
            }
            if let Arg::Pipe(p) = arg {
                sb.push('(');
                p.write_to(sb);
                sb.push(')');
                continue;
            }
            arg.write_to(sb);
        }
    }
}

impl Pipe {
    pub(crate) fn write_to(&self, sb: &mut String) {
        if !self.decl.is_empty() {
            for (i, v) in self.decl.iter().enumerate() {
                if i > 0 {
                    sb.push_str(", ");
                }
                v.write_to(sb);
            }
            sb.push_str(" := ");
        }
        for (i, c) in self.cmds.iter().enumerate() {
            if i > 0 {
                sb.push_str(" | ");
            }
            c.write_to(sb);
        }
    }
}

impl List {
    pub(crate) fn write_to(&self, sb: &mut String) {
        for n in &self.nodes {
            n.write_to(sb);
        }
    }

    /// Whether the body holds only whitespace text (comments are never kept):
    /// such a definition never conflicts with another of the same name, and
    /// never replaces a non-empty one.
    pub(crate) fn is_empty_tree(&self) -> bool {
        self.nodes.iter().all(|n| match n {
            Node::Text { text, .. } => text.trim_matches(is_go_space).is_empty(),
            _ => false,
        })
    }
}

/// `bytes.TrimSpace` trims the Unicode White_Space property, as Rust does.
fn is_go_space(c: char) -> bool {
    c.is_whitespace()
}

impl Branch {
    fn write_to(&self, name: &str, sb: &mut String) {
        sb.push_str("{{");
        sb.push_str(name);
        sb.push(' ');
        self.pipe.write_to(sb);
        sb.push_str("}}");
        self.list.write_to(sb);
        if let Some(e) = &self.else_list {
            sb.push_str("{{else}}");
            e.write_to(sb);
        }
        sb.push_str("{{end}}");
    }
}

impl Node {
    pub(crate) fn pos(&self) -> usize {
        match self {
            Node::Text { pos, .. }
            | Node::Action { pos, .. }
            | Node::Template { pos, .. }
            | Node::Break { pos }
            | Node::Continue { pos } => *pos,
            Node::If(b) | Node::Range(b) | Node::With(b) => b.pos,
        }
    }

    pub(crate) fn write_to(&self, sb: &mut String) {
        match self {
            Node::Text { text, .. } => sb.push_str(text),
            Node::Action { pipe, .. } => {
                sb.push_str("{{");
                pipe.write_to(sb);
                sb.push_str("}}");
            }
            Node::If(b) => b.write_to("if", sb),
            Node::Range(b) => b.write_to("range", sb),
            Node::With(b) => b.write_to("with", sb),
            Node::Template { name, pipe, .. } => {
                sb.push_str("{{template ");
                sb.push_str(&quote(name));
                if let Some(p) = pipe {
                    sb.push(' ');
                    p.write_to(sb);
                }
                sb.push_str("}}");
            }
            Node::Break { .. } => sb.push_str("{{break}}"),
            Node::Continue { .. } => sb.push_str("{{continue}}"),
        }
    }
}

/// The node an execution is "at": the one an error message names.
#[derive(Debug, Clone, Copy)]
pub(crate) enum At<'a> {
    Node(&'a Node),
    List(&'a List),
    Pipe(&'a Pipe),
    Command(&'a Command),
    Arg(&'a Arg),
}

impl At<'_> {
    pub(crate) fn pos(&self) -> usize {
        match self {
            At::Node(n) => n.pos(),
            At::List(l) => l.pos,
            At::Pipe(p) => p.pos,
            At::Command(c) => c.pos,
            At::Arg(a) => a.pos(),
        }
    }

    /// The node as source text, as it appears in `at <...>` in an error.
    pub(crate) fn context(&self) -> String {
        let mut s = String::new();
        match self {
            At::Node(n) => n.write_to(&mut s),
            At::List(l) => l.write_to(&mut s),
            At::Pipe(p) => p.write_to(&mut s),
            At::Command(c) => c.write_to(&mut s),
            At::Arg(a) => a.write_to(&mut s),
        }
        s
    }
}

/// Where `pos` lies as error messages report it: 1-based line and 0-based
/// byte column.
pub(crate) fn line_col(text: &str, pos: usize) -> (usize, usize) {
    let before = text.as_bytes().get(..pos).unwrap_or(text.as_bytes());
    let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
    let col = match before.iter().rposition(|&b| b == b'\n') {
        None => pos,
        Some(nl) => pos - (nl + 1),
    };
    (line, col)
}
