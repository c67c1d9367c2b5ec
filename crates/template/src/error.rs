//! The two ways a template fails, with Go's message formats.
//!
//! Messages are what Go's `text/template` prints for an unnamed template
//! (`template: :LINE: ...` for parse errors, `template: :LINE:COL: executing
//! "NAME" at <NODE>: ...` for execution errors), because operators compare
//! them with matchbox logs. The parts are also available separately. These
//! types carry no source text beyond the offending node.

use crate::strconv::quote;

/// A template that could not be parsed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("template: :{line}: {detail}")]
pub struct ParseError {
    line: usize,
    detail: String,
}

impl ParseError {
    pub(crate) fn new(line: usize, detail: String) -> Self {
        ParseError { line, detail }
    }

    /// The 1-based line Go reports: that of the last token read.
    pub fn line(&self) -> usize {
        self.line
    }

    /// The message after the location, e.g. `unexpected EOF`.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// A failure while executing a parsed template against data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ExecError {
    location: Option<(usize, usize)>,
    template: String,
    context: String,
    detail: String,
}

impl ExecError {
    pub(crate) fn new(location: Option<(usize, usize)>, template: String, context: String, detail: String) -> Self {
        ExecError {
            location,
            template,
            context,
            detail,
        }
    }

    fn render(&self) -> String {
        match self.location {
            Some((line, col)) => format!(
                "template: :{line}:{col}: executing {} at <{}>: {}",
                quote(&self.template),
                self.context,
                self.detail
            ),
            None => format!("template: {}: {}", self.template, self.detail),
        }
    }

    /// 1-based line and 0-based byte column of the node, as Go reports them.
    pub fn location(&self) -> Option<(usize, usize)> {
        self.location
    }

    /// The name of the (sub-)template being executed; empty at top level.
    pub fn template_name(&self) -> &str {
        &self.template
    }

    /// Go's rendering of the node being evaluated, e.g. `.request.query.mac`.
    pub fn context(&self) -> &str {
        &self.context
    }

    /// The message after the location, e.g. `map has no entry for key "mac"`.
    pub fn detail(&self) -> &str {
        &self.detail
    }
}

/// Either kind of template failure, for callers that parse and execute in one go.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The template text is malformed.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// Execution against the data failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
}
