//! Parsing: tokens → the `ast`, one tree per template name.
//!
//! A recursive-descent parser over the token list from `lex`, with a cursor
//! that can step back freely. The grammar is Go's documented template
//! syntax: text and actions; `if`/`with` (`else`, and `else if` for `if`),
//! `range` (with `break`/`continue` inside), `define`, `block`, `template`;
//! pipelines of commands joined by `|`, optionally declaring or assigning
//! `$` variables; operands that are literals, fields, variables, builtin
//! functions or parenthesized pipelines, each optionally followed by
//! `.field` chains.
//!
//! Error messages and their line numbers are part of the observable
//! behaviour (matchbox users see them), so two details are kept as Go has
//! them:
//!
//! - the line reported is that of the furthest token the parser has looked
//!   at in the current template (`reach`), which may lie beyond the token at
//!   fault, so the parser peeks exactly as far as needed and no further;
//! - each template body (`define`, `block`) has its own variables, range
//!   depth, action line and reach, as it is a separate template.
//!
//! Unlike Go, nesting is bounded (`MAX_PARSE_NESTING`), so hostile input
//! yields an error instead of exhausting the stack. Only the builtin
//! functions exist, so identifiers are resolved here.

use std::collections::HashMap;

use crate::ast::{Arg, Branch, Command, List, Node, Number, Pipe, Variable};
use crate::builtins::Builtin;
use crate::lex::{Keyword, Tok, Token, tokenize};
use crate::strconv::{self, NumError, quote};

/// The deepest nesting of control structures and parentheses accepted. Go has
/// no such limit; this one keeps parsing and execution well inside a thread
/// stack.
pub(crate) const MAX_PARSE_NESTING: usize = 100;

/// A parse failure: the line to report and the message after it.
#[derive(Debug, Clone)]
pub(crate) struct ParseFailure {
    pub(crate) line: usize,
    pub(crate) msg: String,
}

type Parsed<T> = Result<T, ParseFailure>;

/// Parses `text` into its named templates; the top level is named `""`.
pub(crate) fn parse(text: &str) -> Parsed<HashMap<String, List>> {
    let mut p = Parser {
        toks: tokenize(text),
        at: 0,
        trees: HashMap::new(),
        depth: 0,
        scope: Scope::new(),
    };
    p.top_level()?;
    Ok(p.trees)
}

/// How a list of nodes ended, when not at the end of the input.
enum Stop {
    End,
    /// `{{else}}` or the `{{else` of `{{else if`, at this position.
    Else(usize),
}

impl Stop {
    fn describe(&self) -> &'static str {
        match self {
            Stop::End => "{{end}}",
            Stop::Else(_) => "{{else}}",
        }
    }
}

/// What one piece of a list is: a node, or the end of the list.
enum Item {
    Node(Node),
    Stop(Stop),
}

/// Per-template parsing state.
struct Scope {
    /// The variables in scope, innermost last; `$` always.
    vars: Vec<String>,
    /// How many `range` bodies enclose the current position.
    ranges: usize,
    /// The line of the `{{` of the action being parsed, or 0 between actions.
    action_line: usize,
    /// The furthest token looked at while parsing this template.
    reach: usize,
}

impl Scope {
    fn new() -> Self {
        Scope {
            vars: vec!["$".to_owned()],
            ranges: 0,
            action_line: 0,
            reach: 0,
        }
    }
}

struct Parser<'s> {
    toks: Vec<Token<'s>>,
    /// The next token to consume.
    at: usize,
    trees: HashMap<String, List>,
    /// Current nesting of pipelines, control structures and blocks.
    depth: usize,
    scope: Scope,
}

fn is_term_start(tok: Tok) -> bool {
    matches!(
        tok,
        Tok::Bool
            | Tok::CharLit
            | Tok::Complex
            | Tok::Dot
            | Tok::Field
            | Tok::Ident
            | Tok::Number
            | Tok::Nil
            | Tok::RawStr
            | Tok::Str
            | Tok::Var
            | Tok::LParen
    )
}

impl<'s> Parser<'s> {
    // -- Token access ------------------------------------------------------

    /// The token at `i`, which now counts as looked at. Past the end there
    /// is only an empty error with no line (the scan always ends with `Eof`
    /// or an error, which the parser never reads beyond).
    fn look(&mut self, i: usize) -> Token<'s> {
        match self.toks.get(i) {
            Some(t) => {
                self.scope.reach = self.scope.reach.max(i);
                t.clone()
            }
            None => Token {
                tok: Tok::Bad,
                pos: 0,
                line: 0,
                text: "".into(),
            },
        }
    }

    fn peek(&mut self) -> Token<'s> {
        self.look(self.at)
    }

    fn bump(&mut self) -> Token<'s> {
        let t = self.peek();
        self.at += 1;
        t
    }

    /// Skips blanks; returns the next token without consuming it.
    fn peek_solid(&mut self) -> Token<'s> {
        while self.peek().tok == Tok::Space {
            self.at += 1;
        }
        self.peek()
    }

    /// Skips blanks and consumes the next token.
    fn bump_solid(&mut self) -> Token<'s> {
        self.peek_solid();
        self.bump()
    }

    fn fail<T>(&self, msg: String) -> Parsed<T> {
        let line = self.toks.get(self.scope.reach).map_or(0, |t| t.line);
        Err(ParseFailure { line, msg })
    }

    fn unexpected<T>(&self, t: &Token<'_>, context: &str) -> Parsed<T> {
        if t.tok != Tok::Bad {
            return self.fail(format!("unexpected {} in {context}", t.describe()));
        }
        // A scan error, with where its action began when that was earlier.
        let started = self.scope.action_line;
        if started == 0 || started == t.line {
            return self.fail(t.text.to_string());
        }
        let joiner = if t.text.ends_with(" action") { "" } else { " in action" };
        self.fail(format!("{}{joiner} started at :{started}", t.text))
    }

    /// Consumes the next solid token, which must be `want`.
    fn expect(&mut self, want: Tok, context: &str) -> Parsed<Token<'s>> {
        let t = self.bump_solid();
        if t.tok != want {
            return self.unexpected(&t, context);
        }
        Ok(t)
    }

    fn nest(&mut self) -> Parsed<()> {
        self.depth += 1;
        if self.depth > MAX_PARSE_NESTING {
            return self.fail(format!("exceeded maximum nesting depth ({MAX_PARSE_NESTING})"));
        }
        Ok(())
    }

    fn unnest(&mut self) {
        self.depth -= 1;
    }

    /// Runs `f` as the parse of a separate template body, with a fresh scope.
    fn in_new_scope<T>(&mut self, f: impl FnOnce(&mut Self) -> Parsed<T>) -> Parsed<T> {
        let outer = std::mem::replace(&mut self.scope, Scope::new());
        let r = f(self);
        self.scope = outer;
        r
    }

    // -- Templates ---------------------------------------------------------

    fn top_level(&mut self) -> Parsed<()> {
        let mut root = List {
            pos: self.peek().pos,
            nodes: Vec::new(),
        };
        loop {
            let t = self.peek();
            match t.tok {
                Tok::Eof => break,
                Tok::Open => {
                    // `{{define` is only recognised here, at the top level.
                    let mut i = self.at + 1;
                    while self.look(i).tok == Tok::Space {
                        i += 1;
                    }
                    if self.look(i).tok == Tok::Word(Keyword::Define) {
                        self.at = i + 1;
                        self.in_new_scope(Self::definition)?;
                        continue;
                    }
                }
                _ => {}
            }
            match self.item()? {
                Item::Node(n) => root.nodes.push(n),
                Item::Stop(s) => return self.fail(format!("unexpected {}", s.describe())),
            }
        }
        self.store(String::new(), root)
    }

    /// Records a finished template. A template that is only blank text
    /// neither replaces nor conflicts with another of the same name.
    fn store(&mut self, name: String, root: List) -> Parsed<()> {
        if let Some(old) = self.trees.get(&name)
            && !old.is_empty_tree()
        {
            if root.is_empty_tree() {
                return Ok(());
            }
            return self.fail(format!("template: multiple definition of template {}", quote(&name)));
        }
        self.trees.insert(name, root);
        Ok(())
    }

    /// `{{define "name"}} ... {{end}}`, after the `define`.
    fn definition(&mut self) -> Parsed<()> {
        const CONTEXT: &str = "define clause";
        let t = self.bump_solid();
        if !matches!(t.tok, Tok::Str | Tok::RawStr) {
            return self.unexpected(&t, CONTEXT);
        }
        let name = self.string_value(&t)?;
        self.expect(Tok::Close, CONTEXT)?;
        let (root, stop) = self.list()?;
        if let Stop::Else(_) = stop {
            return self.fail(format!("unexpected {} in {CONTEXT}", stop.describe()));
        }
        self.store(name, root)
    }

    /// Nodes up to an `{{end}}` or `{{else}}`; the end of input is an error.
    fn list(&mut self) -> Parsed<(List, Stop)> {
        let mut list = List {
            pos: self.peek_solid().pos,
            nodes: Vec::new(),
        };
        while self.peek_solid().tok != Tok::Eof {
            match self.item()? {
                Item::Node(n) => list.nodes.push(n),
                Item::Stop(s) => return Ok((list, s)),
            }
        }
        self.fail("unexpected EOF".to_owned())
    }

    /// A text or an action.
    fn item(&mut self) -> Parsed<Item> {
        let t = self.bump_solid();
        match t.tok {
            Tok::Text => Ok(Item::Node(Node::Text {
                pos: t.pos,
                text: t.text.as_ref().into(),
            })),
            Tok::Open => {
                self.scope.action_line = t.line;
                let r = self.action();
                self.scope.action_line = 0;
                r
            }
            _ => self.unexpected(&t, "input"),
        }
    }

    // -- Actions -----------------------------------------------------------

    /// The inside of an action, after its `{{`.
    fn action(&mut self) -> Parsed<Item> {
        let t = self.bump_solid();
        let node = match t.tok {
            Tok::Word(Keyword::Block) => self.block()?,
            Tok::Word(Keyword::Break) => self.loop_jump(t.pos, true)?,
            Tok::Word(Keyword::Continue) => self.loop_jump(t.pos, false)?,
            Tok::Word(Keyword::Else) => return self.else_stop(),
            Tok::Word(Keyword::End) => {
                self.expect(Tok::Close, "end")?;
                return Ok(Item::Stop(Stop::End));
            }
            Tok::Word(Keyword::If) => Node::If(Box::new(self.control("if")?)),
            Tok::Word(Keyword::Range) => Node::Range(Box::new(self.control("range")?)),
            Tok::Word(Keyword::With) => Node::With(Box::new(self.control("with")?)),
            Tok::Word(Keyword::Template) => self.template_call()?,
            _ => {
                self.at -= 1;
                let pipe = self.pipeline("command", Tok::Close)?;
                Node::Action {
                    pos: t.pos,
                    pipe: Box::new(pipe),
                }
            }
        };
        Ok(Item::Node(node))
    }

    fn loop_jump(&mut self, pos: usize, is_break: bool) -> Parsed<Node> {
        let what = if is_break { "{{break}}" } else { "{{continue}}" };
        let t = self.bump_solid();
        if t.tok != Tok::Close {
            return self.unexpected(&t, what);
        }
        if self.scope.ranges == 0 {
            return self.fail(format!("{what} outside {{{{range}}}}"));
        }
        Ok(if is_break {
            Node::Break { pos }
        } else {
            Node::Continue { pos }
        })
    }

    /// `{{else}}`, or `{{else if`, whose `if` is left for `control`.
    fn else_stop(&mut self) -> Parsed<Item> {
        let next = self.peek_solid();
        if next.tok == Tok::Word(Keyword::If) {
            return Ok(Item::Stop(Stop::Else(next.pos)));
        }
        let close = self.expect(Tok::Close, "else")?;
        Ok(Item::Stop(Stop::Else(close.pos)))
    }

    /// `if`, `range` or `with`, after the keyword: the pipeline, the body and
    /// an optional else part, through the `{{end}}`.
    fn control(&mut self, context: &str) -> Parsed<Branch> {
        self.nest()?;
        let scope_mark = self.scope.vars.len();
        // `{{if a}}x{{else if b}}y{{end}}` means
        // `{{if a}}x{{else}}{{if b}}y{{end}}{{end}}`. Long else-if chains are
        // common (one branch per machine), so the clauses are collected in
        // a loop and nested afterwards; variables declared in any clause
        // stay visible until the final `{{end}}`.
        let mut clauses: Vec<(Pipe, List, usize)> = Vec::new();
        let last = self.control_clauses(context, &mut clauses);
        self.scope.vars.truncate(scope_mark);
        self.unnest();
        let (pipe, list, else_list) = last?;
        let mut branch = Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        };
        while let Some((pipe, list, else_pos)) = clauses.pop() {
            branch = Branch {
                pos: pipe.pos,
                pipe,
                list,
                else_list: Some(List {
                    pos: else_pos,
                    nodes: vec![Node::If(Box::new(branch))],
                }),
            };
        }
        Ok(branch)
    }

    /// The clauses of one control structure; all but the last (each
    /// followed by `{{else if`) go to `chained`.
    fn control_clauses(
        &mut self,
        context: &str,
        chained: &mut Vec<(Pipe, List, usize)>,
    ) -> Parsed<(Pipe, List, Option<List>)> {
        let is_range = context == "range";
        loop {
            let pipe = self.pipeline(context, Tok::Close)?;
            self.scope.ranges += usize::from(is_range);
            let body = self.list();
            self.scope.ranges -= usize::from(is_range);
            let (list, stop) = body?;
            let Stop::Else(else_pos) = stop else {
                return Ok((pipe, list, None));
            };
            if context == "if" && self.peek().tok == Tok::Word(Keyword::If) {
                self.at += 1;
                chained.push((pipe, list, else_pos));
                continue;
            }
            let (else_list, stop) = self.list()?;
            if let Stop::Else(_) = stop {
                return self.fail(format!("expected end; found {}", stop.describe()));
            }
            return Ok((pipe, list, Some(else_list)));
        }
    }

    /// `{{block "name" pipeline}} ... {{end}}`, after `block`: defines the
    /// template and calls it.
    fn block(&mut self) -> Parsed<Node> {
        const CONTEXT: &str = "block clause";
        let t = self.bump_solid();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, Tok::Close)?;
        self.nest()?;
        // A wrong terminator is reported at the line this template had
        // reached, not at the body's.
        let header_line = self.toks.get(self.scope.reach).map_or(0, |t| t.line);
        let body_name = name.clone();
        self.in_new_scope(|p| {
            let (root, stop) = p.list()?;
            if let Stop::Else(_) = stop {
                return Err(ParseFailure {
                    line: header_line,
                    msg: format!("unexpected {} in {CONTEXT}", stop.describe()),
                });
            }
            p.store(body_name, root)
        })?;
        self.unnest();
        Ok(Node::Template {
            pos: t.pos,
            name: name.into(),
            pipe: Some(Box::new(pipe)),
        })
    }

    /// `{{template "name"}}` or `{{template "name" pipeline}}`, after `template`.
    fn template_call(&mut self) -> Parsed<Node> {
        const CONTEXT: &str = "template clause";
        let t = self.bump_solid();
        let name = self.template_name(&t, CONTEXT)?;
        let pipe = if self.bump_solid().tok == Tok::Close {
            None
        } else {
            self.at -= 1;
            Some(Box::new(self.pipeline(CONTEXT, Tok::Close)?))
        };
        Ok(Node::Template {
            pos: t.pos,
            name: name.into(),
            pipe,
        })
    }

    fn template_name(&self, t: &Token<'_>, context: &str) -> Parsed<String> {
        match t.tok {
            Tok::Str | Tok::RawStr => self.string_value(t),
            _ => self.unexpected(t, context),
        }
    }

    fn string_value(&self, t: &Token<'_>) -> Parsed<String> {
        match strconv::unquote(&t.text) {
            Ok(bytes) => Ok(strconv::bytes_to_string(bytes)),
            Err(e) => self.fail(e.to_owned()),
        }
    }

    // -- Pipelines ---------------------------------------------------------

    /// A pipeline ending with `end` (`}}` or `)`), which is consumed.
    fn pipeline(&mut self, context: &str, end: Tok) -> Parsed<Pipe> {
        self.nest()?;
        let r = self.pipeline_body(context, end);
        self.unnest();
        r
    }

    fn pipeline_body(&mut self, context: &str, end: Tok) -> Parsed<Pipe> {
        let mut pipe = Pipe {
            pos: self.peek_solid().pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        self.declarations(context, &mut pipe)?;
        loop {
            let t = self.bump_solid();
            if t.tok == end {
                break;
            }
            if !is_term_start(t.tok) {
                return self.unexpected(&t, context);
            }
            self.at -= 1;
            let cmd = self.command()?;
            pipe.cmds.push(cmd);
        }
        if pipe.cmds.is_empty() {
            return self.fail(format!("missing value for {context}"));
        }
        // A later stage receives the previous result as its last argument,
        // so it must start with something that can be called.
        for (i, cmd) in pipe.cmds.iter().enumerate().skip(1) {
            if let Some(Arg::Bool { .. } | Arg::Dot { .. } | Arg::Nil { .. } | Arg::Number(_) | Arg::String { .. }) =
                cmd.args.first()
            {
                return self.fail(format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        Ok(pipe)
    }

    /// `$x :=`, `$x =` and, in `range`, `$i, $x :=` at the start of a
    /// pipeline. A variable not followed by one of those is left in place
    /// as the pipeline's first operand.
    fn declarations(&mut self, context: &str, pipe: &mut Pipe) -> Parsed<()> {
        loop {
            let var = self.peek_solid();
            if var.tok != Tok::Var {
                return Ok(());
            }
            let var_at = self.at;
            self.at += 1;
            let after = self.peek_solid();
            let comma = after.tok == Tok::Punct && after.text == ",";
            if !matches!(after.tok, Tok::Assign | Tok::Declare) && !comma {
                self.at = var_at;
                return Ok(());
            }
            self.at += 1;
            pipe.is_assign = after.tok == Tok::Assign;
            pipe.decl.push(Variable {
                pos: var.pos,
                ident: vec![var.text.as_ref().into()],
            });
            self.scope.vars.push(var.text.into_owned());
            if !comma {
                return Ok(());
            }
            if context == "range" && pipe.decl.len() < 2 {
                if matches!(self.peek_solid().tok, Tok::Var | Tok::Close | Tok::RParen) {
                    continue;
                }
                return self.fail("range can only initialize variables".to_owned());
            }
            return self.fail(format!("too many declarations in {context}"));
        }
    }

    /// One stage of a pipeline: operands separated by blanks, up to a `|`
    /// (consumed) or the end of the pipeline (left in place).
    fn command(&mut self) -> Parsed<Command> {
        let mut cmd = Command {
            pos: self.peek_solid().pos,
            args: Vec::new(),
        };
        loop {
            self.peek_solid();
            if let Some(arg) = self.operand()? {
                cmd.args.push(arg);
            }
            let t = self.bump();
            match t.tok {
                Tok::Space => {}
                Tok::Close | Tok::RParen => {
                    self.at -= 1;
                    break;
                }
                Tok::Bar => break,
                _ => return self.unexpected(&t, "operand"),
            }
        }
        if cmd.args.is_empty() {
            return self.fail("empty command".to_owned());
        }
        Ok(cmd)
    }

    /// A term and any `.field` chain directly after it.
    fn operand(&mut self) -> Parsed<Option<Arg>> {
        let Some(term) = self.term()? else {
            return Ok(None);
        };
        let chain_pos = self.peek().pos;
        let mut fields: Vec<Box<str>> = Vec::new();
        while self.peek().tok == Tok::Field {
            let f = self.bump();
            fields.push(f.text.get(1..).unwrap_or_default().into());
        }
        if fields.is_empty() {
            return Ok(Some(term));
        }
        Ok(Some(match term {
            Arg::Field { mut ident, .. } => {
                ident.extend(fields);
                Arg::Field { pos: chain_pos, ident }
            }
            Arg::Variable(Variable { mut ident, .. }) => {
                ident.extend(fields);
                Arg::Variable(Variable { pos: chain_pos, ident })
            }
            Arg::Bool { .. } | Arg::String { .. } | Arg::Number(_) | Arg::Nil { .. } | Arg::Dot { .. } => {
                return self.fail(format!("unexpected . after term {}", quote(&term.to_go_string())));
            }
            node => Arg::Chain {
                pos: chain_pos,
                node: Box::new(node),
                field: fields,
            },
        }))
    }

    /// A single operand without its field chain; `None` (consuming nothing)
    /// if the next token cannot start one.
    fn term(&mut self) -> Parsed<Option<Arg>> {
        let t = self.bump_solid();
        let pos = t.pos;
        let arg = match t.tok {
            Tok::Ident => match Builtin::from_name(&t.text) {
                Some(func) => Arg::Identifier { pos, func },
                None => return self.fail(format!("function {} not defined", quote(&t.text))),
            },
            Tok::Dot => Arg::Dot { pos },
            Tok::Nil => Arg::Nil { pos },
            Tok::Var => {
                if !self.scope.vars.iter().any(|v| *v == t.text) {
                    return self.fail(format!("undefined variable {}", quote(&t.text)));
                }
                Arg::Variable(Variable {
                    pos,
                    ident: vec![t.text.as_ref().into()],
                })
            }
            Tok::Field => Arg::Field {
                pos,
                ident: vec![t.text.get(1..).unwrap_or_default().into()],
            },
            Tok::Bool => Arg::Bool {
                pos,
                val: t.text == "true",
            },
            Tok::CharLit | Tok::Complex | Tok::Number => match number(pos, &t.text, t.tok) {
                Ok(n) => Arg::Number(Box::new(n)),
                Err(msg) => return self.fail(msg),
            },
            Tok::LParen => Arg::Pipe(Box::new(self.pipeline("parenthesized pipeline", Tok::RParen)?)),
            Tok::Str | Tok::RawStr => match strconv::unquote(&t.text) {
                Ok(bytes) => Arg::String {
                    pos,
                    quoted: t.text.as_ref().into(),
                    text: bytes.into(),
                },
                Err(e) => return self.fail(e.to_owned()),
            },
            _ => {
                self.at -= 1;
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }
}

// -- Numbers ------------------------------------------------------------------
//
// A numeric constant gets every interpretation that represents it exactly:
// as an int64, a uint64 (a flag only), a float64 and a complex number. `1`
// is all of them; `1.5` only a float; `1e3` a float and, being whole, also
// an integer; `'a'` an integer and a float; `2i` only complex; `1+0i` a
// complex that is also a float and an integer.

/// Interprets a number, character or complex literal.
fn number(pos: usize, text: &str, tok: Tok) -> Result<Number, String> {
    let mut n = Number {
        pos,
        is_int: false,
        is_uint: false,
        is_float: false,
        is_complex: false,
        int64: 0,
        float64: 0.0,
        complex: (0.0, 0.0),
        text: text.into(),
    };
    if tok == Tok::CharLit {
        let value = char_value(text)?;
        n.set_float(f64::from(value));
        n.set_int(i64::from(value));
        n.is_uint = true;
        return Ok(n);
    }
    if tok == Tok::Complex {
        n.set_complex(complex_sum(text)?);
        return Ok(n);
    }
    if let Some(im) = text.strip_suffix('i').and_then(|t| strconv::parse_float(t).ok()) {
        n.set_complex((0.0, im));
        return Ok(n);
    }
    let as_uint = strconv::parse_uint(text).ok();
    n.is_uint = as_uint.is_some();
    if let Ok(i) = strconv::parse_int(text) {
        n.set_int(i);
        n.set_float(i as f64);
        // `-0` is an unsigned zero too.
        n.is_uint |= i == 0;
    } else if let Some(u) = as_uint {
        n.set_float(u as f64);
    } else if let Ok(f) = strconv::parse_float(text) {
        // A float parse of digits alone succeeds only where the integer
        // parses failed for being too large.
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", quote(text)));
        }
        n.set_float(f);
        n.set_whole(f);
    } else {
        return Err(format!("illegal number syntax: {}", quote(text)));
    }
    Ok(n)
}

impl Number {
    fn set_int(&mut self, i: i64) {
        self.is_int = true;
        self.int64 = i;
    }

    fn set_float(&mut self, f: f64) {
        self.is_float = true;
        self.float64 = f;
    }

    /// Marks the integer readings of a float that is exactly whole.
    fn set_whole(&mut self, f: f64) {
        if (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) && (f as i64) as f64 == f {
            self.set_int(f as i64);
        }
        if (0.0..18_446_744_073_709_551_616.0).contains(&f) && (f as u64) as f64 == f {
            self.is_uint = true;
        }
    }

    /// A complex value, which is also real when its imaginary part is zero.
    fn set_complex(&mut self, c: (f64, f64)) {
        self.is_complex = true;
        self.complex = c;
        if c.1 == 0.0 {
            self.set_float(c.0);
            self.set_whole(c.0);
        }
    }
}

/// The code point of a character literal such as `'a'` or `'\n'`.
fn char_value(text: &str) -> Result<u32, String> {
    let inner = text.as_bytes().get(1..).unwrap_or_default();
    let ch = strconv::unquote_char(inner, b'\'').ok_or_else(|| strconv::ERR_SYNTAX.to_owned())?;
    if inner.get(ch.len..) != Some(b"'".as_slice()) {
        return Err(format!("malformed character constant: {text}"));
    }
    Ok(ch.value)
}

/// The value of a complex literal written as a sum, such as `1+2i` or
/// `-0x1p2-3.5i`, read the way Go's `fmt.Sscan` reads a complex128: a real
/// float, a sign, an imaginary float, then `i`. The floats are scanned
/// loosely and then converted, so a malformed part is reported by the
/// conversion.
fn complex_sum(text: &str) -> Result<(f64, f64), String> {
    const SYNTAX: &str = "syntax error scanning complex number";
    let b = text.as_bytes();
    let real_end = float_extent(b, 0);
    if !matches!(b.get(real_end), Some(b'+' | b'-')) {
        return Err(SYNTAX.to_owned());
    }
    let imag_end = float_extent(b, real_end + 1);
    if b.get(imag_end) != Some(&b'i') {
        return Err(SYNTAX.to_owned());
    }
    let real = text.get(..real_end).unwrap_or_default();
    let imag = text.get(real_end..imag_end).unwrap_or_default();
    Ok((to_float(real)?, to_float(imag)?))
}

/// Where a loosely scanned float starting at `at` ends: `nan`, or a sign
/// then `inf` or a decimal or `0x` mantissa with fraction and exponent.
/// Letters of `nan`/`inf` that match are taken even when the word is
/// incomplete, as `fmt` does.
fn float_extent(b: &[u8], mut at: usize) -> usize {
    let take = |set: &[u8], at: &mut usize| {
        let hit = b.get(*at).is_some_and(|c| set.contains(c));
        *at += usize::from(hit);
        hit
    };
    if take(b"nN", &mut at) && take(b"aA", &mut at) && take(b"nN", &mut at) {
        return at;
    }
    take(b"+-", &mut at);
    if take(b"iI", &mut at) && take(b"nN", &mut at) && take(b"fF", &mut at) {
        return at;
    }
    let mut digits: &[u8] = b"0123456789_";
    let mut exponent: &[u8] = b"eEpP";
    if take(b"0", &mut at) && take(b"xX", &mut at) {
        digits = b"0123456789aAbBcCdDeEfF_";
        exponent = b"pP";
    }
    while take(digits, &mut at) {}
    if take(b".", &mut at) {
        while take(digits, &mut at) {}
    }
    if take(exponent, &mut at) {
        take(b"+-", &mut at);
        while take(b"0123456789_", &mut at) {}
    }
    at
}

/// `strconv.ParseFloat` with the error text `fmt` reports for it.
fn to_float(s: &str) -> Result<f64, String> {
    strconv::parse_float(s).map_err(|e| {
        let why = match e {
            NumError::Syntax => strconv::ERR_SYNTAX,
            NumError::Range => "value out of range",
        };
        format!("strconv.ParseFloat: parsing {}: {why}", quote(s))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> (usize, String) {
        let e = parse(text).unwrap_err();
        (e.line, e.msg)
    }

    #[test]
    fn errors_name_the_furthest_line_seen() {
        assert_eq!(
            err("{{if 1}}\n{{else}}\n{{else}}{{end}}"),
            (3, "expected end; found {{else}}".into())
        );
        assert_eq!(err("a\n{{.x"), (2, "unclosed action".into()));
        assert_eq!(err("{{\n.x\n"), (3, "unclosed action started at :1".into()));
        assert_eq!(err("{{(\n1\n"), (3, "unclosed action started at :1".into()));
        assert_eq!(
            err("{{\n\"x}}"),
            (2, "unterminated quoted string in action started at :1".into())
        );
    }

    #[test]
    fn declarations() {
        assert!(parse("{{range $i, $x := .}}{{$i}}{{$x}}{{end}}").is_ok());
        assert_eq!(err("{{if $a, $b := 1}}{{end}}").1, "too many declarations in if");
        assert_eq!(err("{{range $a, 1}}{{end}}").1, "range can only initialize variables");
        assert_eq!(err("{{if $a := 1}}{{end}}{{$a}}").1, "undefined variable \"$a\"");
        assert!(parse("{{if $a := 1}}{{else}}{{$a}}{{end}}").is_ok());
    }

    #[test]
    fn numbers_get_every_fitting_reading() {
        let n = number(0, "1e3", Tok::Number).unwrap();
        assert!(n.is_int && n.is_uint && n.is_float && !n.is_complex);
        assert_eq!(n.int64, 1000);
        let n = number(0, "-0", Tok::Number).unwrap();
        assert!(n.is_int && n.is_uint);
        let n = number(0, "1+0i", Tok::Complex).unwrap();
        assert!(n.is_complex && n.is_float && n.is_int);
        let n = number(0, "'\\n'", Tok::CharLit).unwrap();
        assert_eq!(n.int64, 10);
        assert_eq!(number(0, "09", Tok::Number).unwrap_err(), "integer overflow: \"09\"");
        assert_eq!(number(0, "+", Tok::Number).unwrap_err(), "illegal number syntax: \"+\"");
        assert_eq!(
            number(0, "1+i", Tok::Complex).unwrap_err(),
            "syntax error scanning complex number"
        );
    }
}
