//! Sending a representation: the one body writer behind `/cloud`, `/generic` and every file
//! under `/assets/`. It answers conditional requests, single byte ranges, and names the type.
//!
//! What is implemented, and where it comes from:
//!
//! * RFC 9110 §13.2.2 fixes the order in which preconditions are evaluated: If-Match, else
//!   If-Unmodified-Since; then If-None-Match, else If-Modified-Since (GET and HEAD only); then
//!   If-Range. A failed If-Match / If-Unmodified-Since is 412; a matching If-None-Match is 304
//!   for GET and HEAD and 412 otherwise; a true If-Modified-Since test is 304.
//! * kindling sends no ETag, so an entity-tag list (RFC 9110 §8.8.3 syntax, §13.1.1–2) can only
//!   match through `*`. The list is read member by member; the walk stops at the first member
//!   that is not an entity tag, and a `*` seen before that point matches (observed: `junk, *`
//!   does not match, `, , *` and `"a"*` do).
//! * Dates are compared at whole seconds, the precision of an HTTP date; the modification time
//!   is truncated before both the comparison and Last-Modified. Content without a modification
//!   time (generated pages) has no Last-Modified and ignores every date condition. An
//!   unparseable date makes its header count as absent; dates are read by
//!   [`gotime::parse_http_time`].
//! * An If-Range (RFC 9110 §13.1.5) keeps the Range only when it is a date equal to the
//!   modification time; an entity tag never matches, as there is none to compare with.
//! * Range (RFC 9110 §14.1.2, §14.2): the value must begin with `bytes=` exactly (the unit is
//!   compared case-sensitively). Members are split on commas, optional whitespace around
//!   members and around each number is dropped, empty members are skipped. Numbers are signed
//!   64-bit decimals (a `+` sign is accepted). A member starting at or past the end is skipped
//!   without reading its end; when every member was skipped this way the range is
//!   unsatisfiable (416 with `Content-Range: bytes */size`); any other malformed member makes
//!   the whole header invalid (416 without Content-Range). Ends past the content are clamped.
//! * Content-Type comes from the file name's extension, else from sniffing the first 512 bytes.
//!
//! Where kindling's answer knowingly differs from matchbox's file server:
//!
//! * several ranges at once are answered with the whole body (200), which RFC 9110 §14.2
//!   allows, instead of multipart/byteranges; boot clients do not ask for them;
//! * a range of zero length (`bytes=-0`, or any suffix range on empty content) is answered with
//!   the whole body instead of a 206 with an impossible Content-Range;
//! * a range on empty content that starts past its end is ignored rather than refused (newer
//!   Go releases do the same);
//! * a header value that is not visible ASCII is treated as absent.

use std::io::SeekFrom;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, Response, StatusCode, header};
use bytes::Bytes;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::{gotime, sniff};

/// What to send.
pub enum Content {
    Memory(Bytes),
    File { file: tokio::fs::File, size: u64 },
}

impl Content {
    fn size(&self) -> u64 {
        match self {
            Content::Memory(b) => b.len() as u64,
            Content::File { size, .. } => *size,
        }
    }

    /// The bytes used to guess a type: at most the first 512, the file rewound afterwards.
    async fn head_for_sniffing(&mut self) -> Vec<u8> {
        const SNIFF_LEN: usize = 512;
        match self {
            Content::Memory(b) => b[..b.len().min(SNIFF_LEN)].to_vec(),
            Content::File { file, .. } => {
                let mut head = vec![0u8; SNIFF_LEN];
                let mut filled = 0;
                while filled < SNIFF_LEN {
                    match file.read(&mut head[filled..]).await {
                        Ok(0) | Err(_) => break,
                        Ok(n) => filled += n,
                    }
                }
                head.truncate(filled);
                let _ = file.seek(SeekFrom::Start(0)).await;
                head
            }
        }
    }
}

/// Serves `content`. `name` picks the Content-Type by extension (empty: sniff);
/// `modtime` is `None` for generated content (no Last-Modified, no date conditions).
pub async fn serve_content(
    method: &Method,
    headers: &HeaderMap,
    name: &str,
    modtime: Option<SystemTime>,
    mut content: Content,
) -> Response<Body> {
    let modified = modtime.map(whole_seconds);
    let mut out = HeaderMap::new();
    if let Some(m) = modified {
        out.insert(header::LAST_MODIFIED, http_date(m));
    }
    let range = match evaluate_preconditions(method, headers, modified) {
        // Last-Modified stays on 304 and 412, as matchbox sends it.
        Outcome::Stop(status) => return respond(status, out, Body::empty()),
        Outcome::Serve { range } => range,
    };

    let ctype = match sniff::type_by_extension(name) {
        Some(t) => t,
        None => sniff::detect_content_type(&content.head_for_sniffing().await),
    };
    out.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));

    let size = content.size();
    let (status, offset, length) = match parse_range(range, size) {
        Ok(spans) => match spans.as_slice() {
            [(start, len)] if *len > 0 => {
                let last = start + len - 1;
                out.insert(header::CONTENT_RANGE, ascii(format!("bytes {start}-{last}/{size}")));
                (StatusCode::PARTIAL_CONTENT, *start, *len)
            }
            // No range, several ranges, or one of zero length: the whole body.
            _ => (StatusCode::OK, 0, size),
        },
        Err(RangeError::NoOverlap) if size == 0 => (StatusCode::OK, 0, 0),
        Err(e) => return refuse_range(e, size, out),
    };
    out.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    out.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if method == Method::HEAD {
        return respond(status, out, Body::empty());
    }
    let body = match content {
        Content::Memory(b) => Body::from(b.slice(offset as usize..(offset + length) as usize)),
        Content::File { mut file, .. } => {
            if offset > 0 && file.seek(SeekFrom::Start(offset)).await.is_err() {
                return respond(StatusCode::RANGE_NOT_SATISFIABLE, HeaderMap::new(), Body::empty());
            }
            let limited = file.take(length);
            Body::from_stream(tokio_util::io::ReaderStream::with_capacity(limited, 64 * 1024))
        }
    };
    respond(status, out, body)
}

/// The 416 answer: a plain-text reason, and for an unsatisfiable range the size
/// (RFC 9110 §14.4, `bytes */size`).
fn refuse_range(e: RangeError, size: u64, mut out: HeaderMap) -> Response<Body> {
    if e == RangeError::NoOverlap {
        out.insert(header::CONTENT_RANGE, ascii(format!("bytes */{size}")));
    }
    out.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let text = match e {
        RangeError::Invalid => "invalid range\n",
        RangeError::NoOverlap => "invalid range: failed to overlap\n",
    };
    respond(StatusCode::RANGE_NOT_SATISFIABLE, out, Body::from(text))
}

fn respond(status: StatusCode, headers: HeaderMap, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

fn ascii(s: String) -> HeaderValue {
    HeaderValue::from_str(&s).expect("numbers and ASCII words")
}

pub(crate) fn whole_seconds(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

pub(crate) fn http_date(t: SystemTime) -> HeaderValue {
    ascii(httpdate::fmt_http_date(t))
}

/// After the preconditions: answer now, or send the representation (honouring `range`).
enum Outcome<'h> {
    Stop(StatusCode),
    Serve { range: Option<&'h str> },
}

/// A request header as text; empty and non-ASCII values count as absent.
fn field<'h>(headers: &'h HeaderMap, name: &HeaderName) -> Option<&'h str> {
    let v = headers.get(name)?.to_str().ok()?;
    (!v.is_empty()).then_some(v)
}

/// A date header's value, when it parses and there is a modification time to compare with.
fn date_field(headers: &HeaderMap, name: &HeaderName, modified: Option<SystemTime>) -> Option<SystemTime> {
    modified?;
    gotime::parse_http_time(field(headers, name)?)
}

/// RFC 9110 §13.2.2, steps 1 to 5, for a representation without an entity tag.
fn evaluate_preconditions<'h>(method: &Method, headers: &'h HeaderMap, modified: Option<SystemTime>) -> Outcome<'h> {
    let safe = method == Method::GET || method == Method::HEAD;

    // Steps 1 and 2: If-Match, or failing that If-Unmodified-Since.
    let unchanged = match field(headers, &header::IF_MATCH) {
        Some(list) => wildcard_in_tag_list(list),
        None => date_field(headers, &header::IF_UNMODIFIED_SINCE, modified).is_none_or(|limit| modified <= Some(limit)),
    };
    if !unchanged {
        return Outcome::Stop(StatusCode::PRECONDITION_FAILED);
    }

    // Steps 3 and 4: If-None-Match, or failing that If-Modified-Since.
    match field(headers, &header::IF_NONE_MATCH) {
        Some(list) if wildcard_in_tag_list(list) => {
            let status = if safe {
                StatusCode::NOT_MODIFIED
            } else {
                StatusCode::PRECONDITION_FAILED
            };
            return Outcome::Stop(status);
        }
        Some(_) => {}
        None if safe
            && date_field(headers, &header::IF_MODIFIED_SINCE, modified)
                .is_some_and(|since| modified <= Some(since)) =>
        {
            return Outcome::Stop(StatusCode::NOT_MODIFIED);
        }
        None => {}
    }

    // Step 5: If-Range decides whether a Range on GET or HEAD still applies.
    let range = field(headers, &header::RANGE);
    if range.is_some()
        && safe
        && let Some(validator) = field(headers, &header::IF_RANGE)
    {
        let same_date = modified.is_some() && gotime::parse_http_time(validator) == modified;
        if !same_date {
            return Outcome::Serve { range: None };
        }
    }
    Outcome::Serve { range }
}

/// Whether an If-Match / If-None-Match value matches a representation that has no entity tag:
/// true when `*` comes before the first member that is not a well-formed entity tag.
fn wildcard_in_tag_list(list: &str) -> bool {
    let mut rest = list;
    loop {
        rest = rest.trim_start_matches([' ', '\t', ',']);
        if rest.is_empty() {
            return false;
        }
        if rest.starts_with('*') {
            return true;
        }
        match entity_tag_len(rest.as_bytes()) {
            Some(n) => rest = &rest[n..],
            None => return false,
        }
    }
}

/// The length of the entity tag at the start of `s` (RFC 9110 §8.8.3):
/// `[ "W/" ] DQUOTE *etagc DQUOTE`, with etagc = `%x21 / %x23-7E / obs-text`.
fn entity_tag_len(s: &[u8]) -> Option<usize> {
    let open = if s.starts_with(b"W/") { 2 } else { 0 };
    if s.get(open) != Some(&b'"') {
        return None;
    }
    let inner = &s[open + 1..];
    let stop = inner
        .iter()
        .position(|&c| !matches!(c, 0x21 | 0x23..=0x7E | 0x80..=0xFF))?;
    (inner[stop] == b'"').then_some(open + 1 + stop + 1)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    /// The header is not a byte-range set we can read.
    Invalid,
    /// Every member starts at or past the end of the content.
    NoOverlap,
}

/// Reads a Range value against content of `size` bytes into `(start, length)` spans, in the
/// order given (overlaps are kept). `None`, `bytes=` or only empty members: no spans.
pub fn parse_range(value: Option<&str>, size: u64) -> Result<Vec<(u64, u64)>, RangeError> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let set = value.strip_prefix("bytes=").ok_or(RangeError::Invalid)?;
    let mut spans = Vec::new();
    let mut beyond_end = false;
    for member in set.split(',').map(trim_ows).filter(|m| !m.is_empty()) {
        match byte_range(member, size)? {
            Some(span) => spans.push(span),
            None => beyond_end = true,
        }
    }
    if spans.is_empty() && beyond_end {
        return Err(RangeError::NoOverlap);
    }
    Ok(spans)
}

/// One member: `first-last`, `first-` or `-suffix`. `None` when it starts past the end.
fn byte_range(member: &str, size: u64) -> Result<Option<(u64, u64)>, RangeError> {
    let (first, last) = member.split_once('-').ok_or(RangeError::Invalid)?;
    let (first, last) = (trim_ows(first), trim_ows(last));
    if first.is_empty() {
        // The final `suffix` bytes, all of them when the content is shorter.
        if last.starts_with('-') {
            return Err(RangeError::Invalid);
        }
        let suffix = decimal(last).filter(|n| *n >= 0).ok_or(RangeError::Invalid)? as u64;
        let len = suffix.min(size);
        return Ok(Some((size - len, len)));
    }
    let first = decimal(first).filter(|n| *n >= 0).ok_or(RangeError::Invalid)? as u64;
    if first >= size {
        return Ok(None);
    }
    let last = if last.is_empty() {
        size - 1
    } else {
        let last = decimal(last).ok_or(RangeError::Invalid)?;
        if last < first as i64 {
            return Err(RangeError::Invalid);
        }
        (last as u64).min(size - 1)
    };
    Ok(Some((first, last - first + 1)))
}

/// A signed 64-bit decimal, `+` or `-` allowed in front, nothing else around the digits.
fn decimal(s: &str) -> Option<i64> {
    s.parse().ok()
}

/// Drops optional whitespace (RFC 9110 §5.6.3: spaces and tabs) at both ends.
fn trim_ows(s: &str) -> &str {
    s.trim_matches([' ', '\t'])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn range_vectors_from_net_http_tests() {
        // From Go's net/http range_test.go (size 10 unless noted).
        let ok = |s: &str, size: u64, want: &[(u64, u64)]| {
            assert_eq!(parse_range(Some(s), size).as_deref(), Ok(want), "{s}");
        };
        // Go's table lists these with no ranges: an error or an empty list.
        let none = |s: &str, size: u64| {
            let r = parse_range(Some(s), size);
            assert!(r.as_ref().map_or(true, Vec::is_empty), "{s}: {r:?}");
        };
        for (s, size) in [
            ("", 0),
            ("", 1000),
            ("foo", 0),
            ("bytes=", 0),
            ("bytes=7", 10),
            ("bytes= 7 ", 10),
            ("bytes=1-", 0),
            ("bytes=5-4", 10),
            ("bytes=0-2,5-4", 10),
            ("bytes=2-5,4-3", 10),
            ("bytes=--5,4--3", 10),
            ("bytes=A-", 10),
            ("bytes=A- ", 10),
            ("bytes=A-Z", 10),
            ("bytes= -Z", 10),
            ("bytes=5-Z", 10),
            ("bytes=Ran-dom, garbage", 10),
            ("bytes=0x01-0x02", 10),
            ("bytes=         ", 10),
            ("bytes= , , ,   ", 10),
        ] {
            none(s, size);
        }
        assert_eq!(parse_range(Some("foo"), 10), Err(RangeError::Invalid));
        assert_eq!(parse_range(Some("bytes=1-"), 0), Err(RangeError::NoOverlap));
        assert_eq!(parse_range(Some("bytes=20-"), 10), Err(RangeError::NoOverlap));
        ok("bytes=0-9", 10, &[(0, 10)]);
        ok("bytes=0-", 10, &[(0, 10)]);
        ok("bytes=5-", 10, &[(5, 5)]);
        ok("bytes=0-20", 10, &[(0, 10)]);
        ok("bytes=15-,0-5", 10, &[(0, 6)]);
        ok("bytes=1-2,5-", 10, &[(1, 2), (5, 5)]);
        ok("bytes=-2 , 7-", 11, &[(9, 2), (7, 4)]);
        ok("bytes=0-0 ,2-2, 7-", 11, &[(0, 1), (2, 1), (7, 4)]);
        ok("bytes=-5", 10, &[(5, 5)]);
        ok("bytes=-15", 10, &[(0, 10)]);
        ok("bytes=0-499", 10000, &[(0, 500)]);
        ok("bytes=500-999", 10000, &[(500, 500)]);
        ok("bytes=-500", 10000, &[(9500, 500)]);
        ok("bytes=9500-", 10000, &[(9500, 500)]);
        ok("bytes=0-0,-1", 10000, &[(0, 1), (9999, 1)]);
        ok("bytes=500-600,601-999", 10000, &[(500, 101), (601, 399)]);
        ok("bytes=500-700,601-999", 10000, &[(500, 201), (601, 399)]);
        assert_eq!(parse_range(None, 10), Ok(vec![]));
    }
}

#[cfg(test)]
#[path = "content/recorded.rs"]
mod recorded;
#[cfg(test)]
pub(crate) use recorded::runtime as recorded_runtime;
