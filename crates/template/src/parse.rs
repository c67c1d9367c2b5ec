//! The template parser: a port of Go's `text/template/parse` parser (Go 1.19)
//! that builds the `ast` and collects `{{define}}`/`{{block}}` templates.
//!
//! It keeps Go's three-token lookahead exactly, because a parse error reports
//! the line of the most recently scanned token and users see those numbers.
//! Only the builtin functions exist, so every identifier is resolved here.
//! Unlike Go it bounds nesting depth, so hostile input cannot exhaust the
//! stack; it never evaluates anything.

use std::collections::HashMap;

use crate::ast::{Arg, Branch, Command, List, Node, Number, Pipe, Variable};
use crate::builtins::Builtin;
use crate::lex::{Item, ItemType, lex};
use crate::strconv::{self, NumError, quote};

/// The deepest nesting of control structures and parentheses accepted. Go has
/// no limit; this one keeps parsing and execution well inside a thread stack.
pub(crate) const MAX_PARSE_NESTING: usize = 100;

/// A parse failure: the line Go would report and the message after it.
#[derive(Debug, Clone)]
pub(crate) struct ParseFailure {
    pub(crate) line: usize,
    pub(crate) msg: String,
}

type PResult<T> = Result<T, ParseFailure>;

/// Parses `text` into the set of named templates; the unnamed top-level
/// template is the entry under `""`.
pub(crate) fn parse(text: &str) -> PResult<HashMap<String, List>> {
    let mut shared = Shared {
        items: lex(text),
        cursor: 0,
        trees: HashMap::new(),
        nesting: 0,
    };
    let mut t = TreeParser::new(&mut shared, String::new());
    t.parse()?;
    Ok(shared.trees)
}

/// State shared by the parsers of the top-level template and of the
/// templates defined inside it: the item stream and the finished trees.
struct Shared<'s> {
    items: Vec<Item<'s>>,
    cursor: usize,
    trees: HashMap<String, List>,
    nesting: usize,
}

impl<'s> Shared<'s> {
    fn next_item(&mut self) -> Item<'s> {
        match self.items.get(self.cursor) {
            Some(item) => {
                self.cursor += 1;
                item.clone()
            }
            None => Item::closed(),
        }
    }
}

/// What `textOrAction` produced: a node, or an `{{end}}`/`{{else}}` marker.
enum Parsed {
    Node(Node),
    End,
    Else { pos: usize },
}

impl Parsed {
    fn describe(&self) -> &'static str {
        match self {
            Parsed::End => "{{end}}",
            Parsed::Else { .. } => "{{else}}",
            Parsed::Node(_) => "node",
        }
    }
}

/// The per-tree parser state of Go's `parse.Tree`.
struct TreeParser<'p, 's> {
    sh: &'p mut Shared<'s>,
    name: String,
    token: [Item<'s>; 3],
    peek_count: usize,
    vars: Vec<String>,
    action_line: usize,
    range_depth: usize,
}

impl<'p, 's> TreeParser<'p, 's> {
    fn new(sh: &'p mut Shared<'s>, name: String) -> Self {
        TreeParser {
            sh,
            name,
            token: [Item::closed(), Item::closed(), Item::closed()],
            peek_count: 0,
            vars: vec!["$".to_owned()],
            action_line: 0,
            range_depth: 0,
        }
    }

    fn errorf<T>(&self, msg: String) -> PResult<T> {
        Err(ParseFailure {
            line: self.token[0].line,
            msg,
        })
    }

    fn next(&mut self) -> Item<'s> {
        if self.peek_count > 0 {
            self.peek_count -= 1;
        } else {
            self.token[0] = self.sh.next_item();
        }
        self.token[self.peek_count].clone()
    }

    fn backup(&mut self) {
        self.peek_count += 1;
    }

    fn backup2(&mut self, t1: Item<'s>) {
        self.token[1] = t1;
        self.peek_count = 2;
    }

    fn backup3(&mut self, t2: Item<'s>, t1: Item<'s>) {
        self.token[1] = t1;
        self.token[2] = t2;
        self.peek_count = 3;
    }

    fn peek(&mut self) -> Item<'s> {
        if self.peek_count > 0 {
            return self.token[self.peek_count - 1].clone();
        }
        self.peek_count = 1;
        self.token[0] = self.sh.next_item();
        self.token[0].clone()
    }

    fn next_non_space(&mut self) -> Item<'s> {
        loop {
            let token = self.next();
            if token.typ != ItemType::Space {
                return token;
            }
        }
    }

    fn peek_non_space(&mut self) -> Item<'s> {
        let token = self.next_non_space();
        self.backup();
        token
    }

    fn expect(&mut self, expected: ItemType, context: &str) -> PResult<Item<'s>> {
        let token = self.next_non_space();
        if token.typ != expected {
            return self.unexpected(&token, context);
        }
        Ok(token)
    }

    fn expect_one_of(&mut self, e1: ItemType, e2: ItemType, context: &str) -> PResult<Item<'s>> {
        let token = self.next_non_space();
        if token.typ != e1 && token.typ != e2 {
            return self.unexpected(&token, context);
        }
        Ok(token)
    }

    fn unexpected<T>(&self, token: &Item<'s>, context: &str) -> PResult<T> {
        if token.typ == ItemType::Error {
            let mut extra = String::new();
            if self.action_line != 0 && self.action_line != token.line {
                extra = format!(" in action started at :{}", self.action_line);
                if token.val.ends_with(" action") {
                    extra = extra[" in action".len()..].to_owned();
                }
            }
            return self.errorf(format!("{}{}", token.describe(), extra));
        }
        self.errorf(format!("unexpected {} in {}", token.describe(), context))
    }

    /// Bounds recursion; see `MAX_PARSE_NESTING`.
    fn enter(&mut self) -> PResult<()> {
        self.sh.nesting += 1;
        if self.sh.nesting > MAX_PARSE_NESTING {
            return self.errorf(format!("exceeded maximum nesting depth ({MAX_PARSE_NESTING})"));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.sh.nesting -= 1;
    }

    // -- Top level ---------------------------------------------------------

    fn parse(&mut self) -> PResult<()> {
        let mut root = List {
            pos: self.peek().pos,
            nodes: Vec::new(),
        };
        while self.peek().typ != ItemType::Eof {
            if self.peek().typ == ItemType::LeftDelim {
                let delim = self.next();
                if self.next_non_space().typ == ItemType::Define {
                    let mut def = TreeParser::new(&mut *self.sh, "definition".to_owned());
                    def.parse_definition()?;
                    continue;
                }
                self.backup2(delim);
            }
            match self.text_or_action()? {
                Parsed::Node(n) => root.nodes.push(n),
                other => return self.errorf(format!("unexpected {}", other.describe())),
            }
        }
        self.add(root)
    }

    /// Go's `Tree.add`: an empty definition never replaces a non-empty one,
    /// and two non-empty definitions of one name are an error.
    fn add(&mut self, root: List) -> PResult<()> {
        match self.sh.trees.get(&self.name) {
            None => {}
            Some(existing) if existing.is_empty_tree() => {}
            Some(_) => {
                if !root.is_empty_tree() {
                    return self.errorf(format!(
                        "template: multiple definition of template {}",
                        quote(&self.name)
                    ));
                }
                return Ok(());
            }
        }
        self.sh.trees.insert(self.name.clone(), root);
        Ok(())
    }

    fn parse_definition(&mut self) -> PResult<()> {
        const CONTEXT: &str = "define clause";
        let name = self.expect_one_of(ItemType::String, ItemType::RawString, CONTEXT)?;
        match strconv::unquote(&name.val) {
            Ok(n) => self.name = strconv::bytes_to_string(n),
            Err(e) => return self.errorf(e.to_owned()),
        }
        self.expect(ItemType::RightDelim, CONTEXT)?;
        let (root, end) = self.item_list()?;
        if !matches!(end, Parsed::End) {
            return self.errorf(format!("unexpected {} in {}", end.describe(), CONTEXT));
        }
        self.add(root)
    }

    fn item_list(&mut self) -> PResult<(List, Parsed)> {
        let mut list = List {
            pos: self.peek_non_space().pos,
            nodes: Vec::new(),
        };
        while self.peek_non_space().typ != ItemType::Eof {
            match self.text_or_action()? {
                Parsed::Node(n) => list.nodes.push(n),
                end => return Ok((list, end)),
            }
        }
        self.errorf("unexpected EOF".to_owned())
    }

    fn text_or_action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Text => Ok(Parsed::Node(Node::Text {
                pos: token.pos,
                text: token.val.as_ref().into(),
            })),
            ItemType::LeftDelim => {
                self.action_line = token.line;
                let r = self.action();
                self.action_line = 0;
                r
            }
            _ => self.unexpected(&token, "input"),
        }
    }

    fn action(&mut self) -> PResult<Parsed> {
        let token = self.next_non_space();
        match token.typ {
            ItemType::Block => return self.block_control().map(Parsed::Node),
            ItemType::Break => return self.break_control(token.pos, true),
            ItemType::Continue => return self.break_control(token.pos, false),
            ItemType::Else => return self.else_control(),
            ItemType::End => return self.end_control(),
            ItemType::If => return self.if_control().map(Parsed::Node),
            ItemType::Range => {
                let b = self.parse_control(false, "range")?;
                return Ok(Parsed::Node(Node::Range(Box::new(b))));
            }
            ItemType::Template => return self.template_control().map(Parsed::Node),
            ItemType::With => {
                let b = self.parse_control(false, "with")?;
                return Ok(Parsed::Node(Node::With(Box::new(b))));
            }
            _ => {}
        }
        self.backup();
        let token = self.peek();
        let pipe = self.pipeline("command", ItemType::RightDelim)?;
        Ok(Parsed::Node(Node::Action {
            pos: token.pos,
            pipe: Box::new(pipe),
        }))
    }

    fn break_control(&mut self, pos: usize, is_break: bool) -> PResult<Parsed> {
        let what = if is_break { "{{break}}" } else { "{{continue}}" };
        let token = self.next_non_space();
        if token.typ != ItemType::RightDelim {
            return self.unexpected(&token, what);
        }
        if self.range_depth == 0 {
            return self.errorf(format!("{what} outside {{{{range}}}}"));
        }
        Ok(Parsed::Node(if is_break {
            Node::Break { pos }
        } else {
            Node::Continue { pos }
        }))
    }

    // -- Pipelines ---------------------------------------------------------

    fn pipeline(&mut self, context: &str, end: ItemType) -> PResult<Pipe> {
        self.enter()?;
        let r = self.pipeline_inner(context, end);
        self.leave();
        r
    }

    fn pipeline_inner(&mut self, context: &str, end: ItemType) -> PResult<Pipe> {
        let token = self.peek_non_space();
        let mut pipe = Pipe {
            pos: token.pos,
            is_assign: false,
            decl: Vec::new(),
            cmds: Vec::new(),
        };
        // Are there declarations or assignments?
        loop {
            let v = self.peek_non_space();
            if v.typ != ItemType::Variable {
                break;
            }
            self.next();
            // Space is a token, so "$x foo" needs three tokens of lookahead
            // to tell an argument variable from a declaration.
            let token_after_variable = self.peek();
            let next = self.peek_non_space();
            if next.typ == ItemType::Assign || next.typ == ItemType::Declare {
                pipe.is_assign = next.typ == ItemType::Assign;
                self.next_non_space();
                pipe.decl.push(new_variable(v.pos, &v.val));
                self.vars.push(v.val.clone().into_owned());
            } else if next.typ == ItemType::Char && next.val == "," {
                self.next_non_space();
                pipe.decl.push(new_variable(v.pos, &v.val));
                self.vars.push(v.val.clone().into_owned());
                if context == "range" && pipe.decl.len() < 2 {
                    match self.peek_non_space().typ {
                        ItemType::Variable | ItemType::RightDelim | ItemType::RightParen => {
                            // A second initialized variable in a range pipeline.
                            continue;
                        }
                        _ => return self.errorf("range can only initialize variables".to_owned()),
                    }
                }
                return self.errorf(format!("too many declarations in {context}"));
            } else if token_after_variable.typ == ItemType::Space {
                self.backup3(v, token_after_variable);
            } else {
                self.backup2(v);
            }
            break;
        }
        loop {
            let token = self.next_non_space();
            if token.typ == end {
                self.check_pipeline(&pipe, context)?;
                return Ok(pipe);
            }
            match token.typ {
                ItemType::Bool
                | ItemType::CharConstant
                | ItemType::Complex
                | ItemType::Dot
                | ItemType::Field
                | ItemType::Identifier
                | ItemType::Number
                | ItemType::Nil
                | ItemType::RawString
                | ItemType::String
                | ItemType::Variable
                | ItemType::LeftParen => {
                    self.backup();
                    let cmd = self.command()?;
                    pipe.cmds.push(cmd);
                }
                _ => return self.unexpected(&token, context),
            }
        }
    }

    fn check_pipeline(&self, pipe: &Pipe, context: &str) -> PResult<()> {
        if pipe.cmds.is_empty() {
            return self.errorf(format!("missing value for {context}"));
        }
        // Only the first command of a pipeline can start with a non
        // executable operand.
        for (i, c) in pipe.cmds.iter().enumerate().skip(1) {
            if matches!(
                c.args.first(),
                Some(Arg::Bool { .. } | Arg::Dot { .. } | Arg::Nil { .. } | Arg::Number(_) | Arg::String { .. })
            ) {
                return self.errorf(format!("non executable command in pipeline stage {}", i + 1));
            }
        }
        Ok(())
    }

    // -- Control structures ------------------------------------------------

    fn parse_control(&mut self, allow_else_if: bool, context: &str) -> PResult<Branch> {
        self.enter()?;
        let mark = self.vars.len();
        // Go parses "{{if a}}x{{else if b}}y{{end}}" as
        // "{{if a}}x{{else}}{{if b}}y{{end}}{{end}}" by recursing. Long
        // else-if chains are common (one branch per machine), so the chain
        // is collected iteratively here and nested afterwards; the tokens
        // consumed and the variables in scope are the same as Go's.
        let mut links: Vec<(Pipe, List, usize)> = Vec::new();
        let r = self.parse_control_chain(allow_else_if, context, &mut links);
        self.vars.truncate(mark);
        self.leave();
        let (pipe, list, else_list) = r?;
        let mut branch = Branch {
            pos: pipe.pos,
            pipe,
            list,
            else_list,
        };
        while let Some((pipe, list, else_pos)) = links.pop() {
            let else_list = Some(List {
                pos: else_pos,
                nodes: vec![Node::If(Box::new(branch))],
            });
            branch = Branch {
                pos: pipe.pos,
                pipe,
                list,
                else_list,
            };
        }
        Ok(branch)
    }

    /// Parses one control clause and any else-if clauses chained to it,
    /// pushing every clause but the last onto `links`.
    fn parse_control_chain(
        &mut self,
        allow_else_if: bool,
        context: &str,
        links: &mut Vec<(Pipe, List, usize)>,
    ) -> PResult<(Pipe, List, Option<List>)> {
        loop {
            let pipe = self.pipeline(context, ItemType::RightDelim)?;
            if context == "range" {
                self.range_depth += 1;
            }
            let (list, next) = self.item_list()?;
            if context == "range" {
                self.range_depth -= 1;
            }
            match next {
                Parsed::Else { pos } => {
                    if allow_else_if && self.peek().typ == ItemType::If {
                        // Consume the "if"; only one {{end}} closes the chain.
                        self.next();
                        links.push((pipe, list, pos));
                        continue;
                    }
                    let (else_list, next) = self.item_list()?;
                    if !matches!(next, Parsed::End) {
                        return self.errorf(format!("expected end; found {}", next.describe()));
                    }
                    return Ok((pipe, list, Some(else_list)));
                }
                Parsed::End | Parsed::Node(_) => return Ok((pipe, list, None)),
            }
        }
    }

    fn if_control(&mut self) -> PResult<Node> {
        Ok(Node::If(Box::new(self.parse_control(true, "if")?)))
    }

    fn end_control(&mut self) -> PResult<Parsed> {
        self.expect(ItemType::RightDelim, "end")?;
        Ok(Parsed::End)
    }

    fn else_control(&mut self) -> PResult<Parsed> {
        let peek = self.peek_non_space();
        if peek.typ == ItemType::If {
            // "{{else if ...": leave the "if" for parse_control.
            return Ok(Parsed::Else { pos: peek.pos });
        }
        let token = self.expect(ItemType::RightDelim, "else")?;
        Ok(Parsed::Else { pos: token.pos })
    }

    fn block_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "block clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let pipe = self.pipeline(CONTEXT, ItemType::RightDelim)?;
        self.enter()?;
        // The block body is a separate tree with its own lookahead; a bad
        // terminator is still reported at this tree's last token, as in Go.
        let outer_line = self.token[0].line;
        let mut block = TreeParser::new(&mut *self.sh, name.clone());
        let (root, end) = block.item_list()?;
        if !matches!(end, Parsed::End) {
            return Err(ParseFailure {
                line: outer_line,
                msg: format!("unexpected {} in {}", end.describe(), CONTEXT),
            });
        }
        block.add(root)?;
        self.leave();
        Ok(Node::Template {
            pos: token.pos,
            name: name.into(),
            pipe: Some(Box::new(pipe)),
        })
    }

    fn template_control(&mut self) -> PResult<Node> {
        const CONTEXT: &str = "template clause";
        let token = self.next_non_space();
        let name = self.parse_template_name(&token, CONTEXT)?;
        let mut pipe = None;
        if self.next_non_space().typ != ItemType::RightDelim {
            self.backup();
            pipe = Some(Box::new(self.pipeline(CONTEXT, ItemType::RightDelim)?));
        }
        Ok(Node::Template {
            pos: token.pos,
            name: name.into(),
            pipe,
        })
    }

    fn parse_template_name(&self, token: &Item<'s>, context: &str) -> PResult<String> {
        match token.typ {
            ItemType::String | ItemType::RawString => match strconv::unquote(&token.val) {
                Ok(s) => Ok(strconv::bytes_to_string(s)),
                Err(e) => self.errorf(e.to_owned()),
            },
            _ => self.unexpected(token, context),
        }
    }

    // -- Commands and operands ---------------------------------------------

    fn command(&mut self) -> PResult<Command> {
        let pos = self.peek_non_space().pos;
        let mut cmd = Command { pos, args: Vec::new() };
        loop {
            self.peek_non_space(); // skip leading spaces
            if let Some(operand) = self.operand()? {
                cmd.args.push(operand);
            }
            let token = self.next();
            match token.typ {
                ItemType::Space => continue,
                ItemType::RightDelim | ItemType::RightParen => self.backup(),
                ItemType::Pipe => {}
                _ => return self.unexpected(&token, "operand"),
            }
            break;
        }
        if cmd.args.is_empty() {
            return self.errorf("empty command".to_owned());
        }
        Ok(cmd)
    }

    fn operand(&mut self) -> PResult<Option<Arg>> {
        let Some(node) = self.term()? else {
            return Ok(None);
        };
        if self.peek().typ != ItemType::Field {
            return Ok(Some(node));
        }
        let chain_pos = self.peek().pos;
        let mut fields: Vec<Box<str>> = Vec::new();
        while self.peek().typ == ItemType::Field {
            let f = self.next();
            fields.push(f.val.get(1..).unwrap_or_default().into());
        }
        // Fields after a field or a variable extend it; after a literal they
        // are an error; otherwise they form a chain.
        Ok(Some(match node {
            Arg::Field { ident, .. } => {
                let mut ident = ident;
                ident.extend(fields);
                Arg::Field { pos: chain_pos, ident }
            }
            Arg::Variable(v) => {
                let mut ident = v.ident;
                ident.extend(fields);
                Arg::Variable(Variable { pos: chain_pos, ident })
            }
            Arg::Bool { .. } | Arg::String { .. } | Arg::Number(_) | Arg::Nil { .. } | Arg::Dot { .. } => {
                return self.errorf(format!("unexpected . after term {}", quote(&node.to_go_string())));
            }
            other => Arg::Chain {
                pos: chain_pos,
                node: Box::new(other),
                field: fields,
            },
        }))
    }

    fn term(&mut self) -> PResult<Option<Arg>> {
        let token = self.next_non_space();
        let arg = match token.typ {
            ItemType::Identifier => match Builtin::from_name(&token.val) {
                Some(func) => Arg::Identifier { pos: token.pos, func },
                None => return self.errorf(format!("function {} not defined", quote(&token.val))),
            },
            ItemType::Dot => Arg::Dot { pos: token.pos },
            ItemType::Nil => Arg::Nil { pos: token.pos },
            ItemType::Variable => {
                let v = new_variable(token.pos, &token.val);
                if !self.vars.iter().any(|name| **name == *v.ident[0]) {
                    return self.errorf(format!("undefined variable {}", quote(&v.ident[0])));
                }
                Arg::Variable(v)
            }
            ItemType::Field => Arg::Field {
                pos: token.pos,
                ident: split_field(&token.val),
            },
            ItemType::Bool => Arg::Bool {
                pos: token.pos,
                val: token.val == "true",
            },
            ItemType::CharConstant | ItemType::Complex | ItemType::Number => {
                match new_number(token.pos, &token.val, token.typ) {
                    Ok(n) => Arg::Number(Box::new(n)),
                    Err(msg) => return self.errorf(msg),
                }
            }
            ItemType::LeftParen => {
                let pipe = self.pipeline("parenthesized pipeline", ItemType::RightParen)?;
                Arg::Pipe(Box::new(pipe))
            }
            ItemType::String | ItemType::RawString => match strconv::unquote(&token.val) {
                Ok(s) => Arg::String {
                    pos: token.pos,
                    quoted: token.val.as_ref().into(),
                    text: s.into(),
                },
                Err(e) => return self.errorf(e.to_owned()),
            },
            _ => {
                self.backup();
                return Ok(None);
            }
        };
        Ok(Some(arg))
    }
}

fn new_variable(pos: usize, ident: &str) -> Variable {
    Variable {
        pos,
        ident: ident.split('.').map(Into::into).collect(),
    }
}

/// Splits ".a.b" into ["a", "b"], dropping the leading period.
fn split_field(ident: &str) -> Vec<Box<str>> {
    ident.get(1..).unwrap_or_default().split('.').map(Into::into).collect()
}

/// Go's `newNumber`: interprets a numeric literal every way that fits.
fn new_number(pos: usize, text: &str, typ: ItemType) -> Result<Number, String> {
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
    match typ {
        ItemType::CharConstant => {
            let b = text.as_bytes();
            let ch = strconv::unquote_char(b.get(1..).unwrap_or_default(), b[0])
                .ok_or_else(|| strconv::ERR_SYNTAX.to_owned())?;
            if b.get(1 + ch.len..) != Some(b"'".as_slice()) {
                return Err(format!("malformed character constant: {text}"));
            }
            n.int64 = i64::from(ch.value);
            n.is_int = true;
            n.is_uint = true;
            n.float64 = f64::from(ch.value);
            n.is_float = true;
            return Ok(n);
        }
        ItemType::Complex => {
            n.complex = scan_complex(text)?;
            n.is_complex = true;
            simplify_complex(&mut n);
            return Ok(n);
        }
        _ => {}
    }
    if let Some(imag) = text.strip_suffix('i')
        && let Ok(f) = strconv::parse_float(imag)
    {
        {
            n.is_complex = true;
            n.complex = (0.0, f);
            simplify_complex(&mut n);
            return Ok(n);
        }
    }
    let u = strconv::parse_uint(text);
    if u.is_ok() {
        n.is_uint = true;
    }
    if let Ok(i) = strconv::parse_int(text) {
        n.is_int = true;
        n.int64 = i;
        if i == 0 {
            n.is_uint = true; // in case of -0
        }
    }
    if n.is_int {
        n.is_float = true;
        n.float64 = n.int64 as f64;
    } else if let Ok(u) = u {
        n.is_float = true;
        n.float64 = u as f64;
    } else if let Ok(f) = strconv::parse_float(text) {
        if !text.contains(['.', 'e', 'E', 'p', 'P']) {
            return Err(format!("integer overflow: {}", quote(text)));
        }
        n.is_float = true;
        n.float64 = f;
        if fits_int64(f) {
            n.is_int = true;
            n.int64 = f as i64;
        }
        if !n.is_uint && fits_uint64(f) {
            n.is_uint = true;
        }
    }
    if !n.is_int && !n.is_uint && !n.is_float {
        return Err(format!("illegal number syntax: {}", quote(text)));
    }
    Ok(n)
}

/// `float64(int64(f)) == f` without relying on out-of-range conversions.
fn fits_int64(f: f64) -> bool {
    (-9_223_372_036_854_775_808.0..9_223_372_036_854_775_808.0).contains(&f) && (f as i64) as f64 == f
}

/// `float64(uint64(f)) == f` without relying on out-of-range conversions.
fn fits_uint64(f: f64) -> bool {
    (0.0..18_446_744_073_709_551_616.0).contains(&f) && (f as u64) as f64 == f
}

fn simplify_complex(n: &mut Number) {
    let (re, im) = n.complex;
    n.is_float = im == 0.0;
    if n.is_float {
        n.float64 = re;
        n.is_int = fits_int64(re);
        if n.is_int {
            n.int64 = re as i64;
        }
        n.is_uint = fits_uint64(re);
    }
}

/// `fmt.Sscan` into a `complex128`, as Go's parser does for "1+2i".
fn scan_complex(text: &str) -> Result<(f64, f64), String> {
    const COMPLEX_ERROR: &str = "syntax error scanning complex number";
    let mut sc = Scanner {
        s: text.as_bytes(),
        i: 0,
    };
    if sc.s.is_empty() {
        return Err("unexpected EOF".to_owned());
    }
    let parens = sc.accept("(");
    let real = sc.float_token();
    let sign_at = sc.i;
    if !sc.accept("+-") {
        return Err(COMPLEX_ERROR.to_owned());
    }
    let sign = &text[sign_at..sc.i];
    let imag = format!("{sign}{}", sc.float_token());
    if !sc.accept("i") {
        return Err(COMPLEX_ERROR.to_owned());
    }
    if parens && !sc.accept(")") {
        return Err(COMPLEX_ERROR.to_owned());
    }
    Ok((convert_float(&real)?, convert_float(&imag)?))
}

struct Scanner<'a> {
    s: &'a [u8],
    i: usize,
}

impl Scanner<'_> {
    fn accept(&mut self, ok: &str) -> bool {
        match self.s.get(self.i) {
            Some(c) if ok.as_bytes().contains(c) => {
                self.i += 1;
                true
            }
            _ => false,
        }
    }

    fn float_token(&mut self) -> String {
        let start = self.i;
        let done = |sc: &Self| String::from_utf8_lossy(&sc.s[start..sc.i]).into_owned();
        if self.accept("nN") && self.accept("aA") && self.accept("nN") {
            return done(self);
        }
        self.accept("+-");
        if self.accept("iI") && self.accept("nN") && self.accept("fF") {
            return done(self);
        }
        let mut digits = "0123456789_";
        let mut exp = "eEpP";
        if self.accept("0") && self.accept("xX") {
            digits = "0123456789aAbBcCdDeEfF_";
            exp = "pP";
        }
        while self.accept(digits) {}
        if self.accept(".") {
            while self.accept(digits) {}
        }
        if self.accept(exp) {
            self.accept("+-");
            while self.accept("0123456789_") {}
        }
        done(self)
    }
}

/// `fmt`'s `convertFloat`. Its special case for decimal mantissas with a `p`
/// exponent cannot arise: the lexer only accepts `p` after a `0x` prefix.
fn convert_float(s: &str) -> Result<f64, String> {
    strconv::parse_float(s).map_err(|e| {
        let reason = match e {
            NumError::Syntax => strconv::ERR_SYNTAX,
            NumError::Range => "value out of range",
        };
        format!("strconv.ParseFloat: parsing {}: {reason}", quote(s))
    })
}
