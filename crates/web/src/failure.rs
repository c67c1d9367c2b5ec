//! Failures and how they are answered: the one place that maps a reason to
//! a status, headers and body.
//!
//! Every failure carries a machine-readable code and a one-line detail in
//! `X-Kindling-Reason` / `X-Kindling-Detail` (D7; harmless to matchbox
//! clients, so on in every mode). By default the body repeats them and
//! internal faults are 500; with the `bare-404` quirk the status is 404 and
//! the body is Go's `404 page not found`.

use axum::body::Body;
use axum::http::{HeaderValue, Response, StatusCode, header};

use crate::compat::{Compat, Quirk};

pub const REASON_HEADER: &str = "x-kindling-reason";
pub const DETAIL_HEADER: &str = "x-kindling-detail";

/// Go's `http.NotFound` body.
pub const GO_NOT_FOUND: &str = "404 page not found\n";

/// Longest detail header sent; longer details are cut (the log has it all).
const MAX_DETAIL: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub status: StatusCode,
    /// Stable, machine-readable: `no-matching-group`, `template-error`, …
    pub code: &'static str,
    /// For a person: which labels, which group, which file, which key.
    pub detail: String,
    /// What Go answers in this case when it is not matchbox's usual bare
    /// 404 (a file server's 403 or 500): used under the `bare-404` quirk.
    pub go_answer: Option<(StatusCode, &'static str)>,
}

impl Failure {
    pub fn not_found(code: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::NOT_FOUND,
            code,
            detail: detail.into(),
            go_answer: None,
        }
    }

    /// A fault in the served data (template error, invalid config): 500 by
    /// default, 404 under `bare-404` as matchbox answers.
    pub fn internal(code: &'static str, detail: impl Into<String>) -> Failure {
        Failure {
            status: StatusCode::INTERNAL_SERVER_ERROR,
            code,
            detail: detail.into(),
            go_answer: None,
        }
    }

    /// A failure with its own status (405, 403, …) that Go answers with
    /// `go_answer` under `bare-404`, or with a bare 404 when `None`.
    pub fn with_status(
        status: StatusCode,
        code: &'static str,
        detail: impl Into<String>,
        go_answer: Option<(StatusCode, &'static str)>,
    ) -> Failure {
        Failure {
            status,
            code,
            detail: detail.into(),
            go_answer,
        }
    }

    pub fn into_response(self, compat: Compat) -> Response<Body> {
        let bare = compat.has(Quirk::Bare404) && self.status != StatusCode::METHOD_NOT_ALLOWED;
        let (status, body) = match (bare, self.go_answer) {
            (true, Some((status, body))) => (status, body.to_owned()),
            (true, None) => (StatusCode::NOT_FOUND, GO_NOT_FOUND.to_owned()),
            (false, _) => (self.status, format!("{}: {}\n", self.code, one_line(&self.detail))),
        };
        let mut resp = Response::new(Body::from(body));
        *resp.status_mut() = status;
        let h = resp.headers_mut();
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; charset=utf-8"),
        );
        h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
        h.insert(REASON_HEADER, HeaderValue::from_static(self.code));
        if let Ok(v) = HeaderValue::from_str(&header_safe(&self.detail)) {
            h.insert(DETAIL_HEADER, v);
        }
        if status == StatusCode::METHOD_NOT_ALLOWED {
            h.insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        }
        resp
    }
}

fn one_line(s: &str) -> String {
    s.replace(['\r', '\n'], " ")
}

/// Visible ASCII only: other characters are written as `\u{…}` escapes.
fn header_safe(s: &str) -> String {
    let mut out = String::with_capacity(s.len().min(MAX_DETAIL));
    for c in s.chars() {
        if out.len() >= MAX_DETAIL {
            out.push_str("...");
            break;
        }
        if c == ' ' || c.is_ascii_graphic() {
            out.push(c);
        } else if c == '\n' || c == '\r' || c == '\t' {
            out.push(' ');
        } else {
            out.push_str(&c.escape_unicode().to_string());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_safe_escapes() {
        assert_eq!(header_safe("a\nb é"), "a b \\u{e9}");
        assert!(header_safe(&"x".repeat(5000)).len() < 1100);
    }
}
