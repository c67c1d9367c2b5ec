//! Go's `http.ServeContent`, which matchbox uses for `/cloud`, `/generic` and
//! every file under `/assets/`: conditional requests (If-Modified-Since and
//! friends), single byte ranges, sniffed Content-Type, `Accept-Ranges`.
//!
//! Difference: a request for several ranges at once is answered with the
//! whole body (200), which RFC 9110 allows; Go answers multipart/byteranges.
//! Boot clients do not send multi-range requests.

use std::time::{SystemTime, UNIX_EPOCH};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};
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
}

/// Serves `content`. `name` picks the Content-Type by extension (empty: sniff);
/// `modtime` is `None` for generated content (no Last-Modified, no
/// conditional answers), as Go's zero time.
pub async fn serve_content(
    method: &Method,
    headers: &HeaderMap,
    name: &str,
    modtime: Option<SystemTime>,
    mut content: Content,
) -> Response<Body> {
    let modtime = modtime.map(truncate_to_second);
    let mut resp_headers = HeaderMap::new();
    if let Some(m) = modtime {
        resp_headers.insert(header::LAST_MODIFIED, http_date(m));
    }
    let range_header = match check_preconditions(method, headers, modtime) {
        // Go keeps Last-Modified on 304 and 412 (there is no ETag to drop it for).
        Precondition::Done(status) => return finish(status, resp_headers, Body::empty()),
        Precondition::Proceed(range) => range,
    };

    let ctype = match sniff::type_by_extension(name) {
        Some(t) => t,
        None => match &mut content {
            Content::Memory(b) => sniff::detect_content_type(b),
            Content::File { file, .. } => {
                let mut buf = [0u8; 512];
                let n = read_full(file, &mut buf).await;
                let _ = file.seek(std::io::SeekFrom::Start(0)).await;
                sniff::detect_content_type(&buf[..n])
            }
        },
    };
    resp_headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(ctype));

    let size = content.size();
    let mut status = StatusCode::OK;
    let (mut start, mut send) = (0u64, size);
    match parse_range(range_header.as_deref(), size) {
        // Go ≥ 1.20: a range on empty content is ignored rather than refused.
        Err(RangeError::NoOverlap) if size == 0 => {}
        Err(e) => {
            if e == RangeError::NoOverlap {
                resp_headers.insert(
                    header::CONTENT_RANGE,
                    HeaderValue::from_str(&format!("bytes */{size}")).expect("ascii"),
                );
            }
            resp_headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/plain; charset=utf-8"),
            );
            resp_headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
            let msg = format!("{}\n", e.message());
            return finish(StatusCode::RANGE_NOT_SATISFIABLE, resp_headers, Body::from(msg));
        }
        Ok(ranges) => {
            let total: u64 = ranges.iter().map(|r| r.1).sum();
            match ranges.as_slice() {
                // A zero-length range (`bytes=-0`): Go answers 206 with an
                // impossible Content-Range; kindling sends the whole body.
                [(_, 0)] => {}
                [(range_start, range_len)] if total <= size => {
                    (start, send) = (*range_start, *range_len);
                    status = StatusCode::PARTIAL_CONTENT;
                    resp_headers.insert(
                        header::CONTENT_RANGE,
                        HeaderValue::from_str(&format!("bytes {}-{}/{}", start, start + send - 1, size))
                            .expect("ascii"),
                    );
                }
                _ => {}
            }
        }
    }
    resp_headers.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    resp_headers.insert(header::CONTENT_LENGTH, HeaderValue::from(send));
    if method == Method::HEAD {
        return finish(status, resp_headers, Body::empty());
    }
    let body = match content {
        Content::Memory(b) => Body::from(b.slice(start as usize..(start + send) as usize)),
        Content::File { mut file, .. } => {
            if start > 0 && file.seek(std::io::SeekFrom::Start(start)).await.is_err() {
                return finish(StatusCode::RANGE_NOT_SATISFIABLE, HeaderMap::new(), Body::empty());
            }
            Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file.take(send), 64 * 1024))
        }
    };
    finish(status, resp_headers, body)
}

fn finish(status: StatusCode, headers: HeaderMap, body: Body) -> Response<Body> {
    let mut resp = Response::new(body);
    *resp.status_mut() = status;
    *resp.headers_mut() = headers;
    resp
}

async fn read_full(file: &mut tokio::fs::File, buf: &mut [u8]) -> usize {
    let mut n = 0;
    while n < buf.len() {
        match file.read(&mut buf[n..]).await {
            Ok(0) | Err(_) => break,
            Ok(k) => n += k,
        }
    }
    n
}

fn truncate_to_second(t: SystemTime) -> SystemTime {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => UNIX_EPOCH + std::time::Duration::from_secs(d.as_secs()),
        Err(_) => t,
    }
}

fn http_date(t: SystemTime) -> HeaderValue {
    HeaderValue::from_str(&httpdate::fmt_http_date(t)).expect("http dates are ASCII")
}

enum Precondition {
    Done(StatusCode),
    Proceed(Option<String>),
}

#[derive(PartialEq)]
enum Cond {
    None,
    True,
    False,
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .filter(|s| !s.is_empty())
}

/// RFC 7232 §6 in Go's order (`checkPreconditions`). kindling sends no
/// ETag, so entity tags only ever match `*`; dates are parsed as Go parses
/// them.
fn check_preconditions(method: &Method, headers: &HeaderMap, modtime: Option<SystemTime>) -> Precondition {
    let get_or_head = method == Method::GET || method == Method::HEAD;
    let mut ch = match header_str(headers, header::IF_MATCH) {
        None => Cond::None,
        Some(v) => etag_list(v, Cond::True, Cond::False),
    };
    if ch == Cond::None {
        ch = match (header_str(headers, header::IF_UNMODIFIED_SINCE), modtime) {
            (Some(v), Some(m)) => match gotime::parse_http_time(v) {
                Some(t) if m <= t => Cond::True,
                Some(_) => Cond::False,
                None => Cond::None,
            },
            _ => Cond::None,
        };
    }
    if ch == Cond::False {
        return Precondition::Done(StatusCode::PRECONDITION_FAILED);
    }
    match header_str(headers, header::IF_NONE_MATCH).map(|v| etag_list(v, Cond::False, Cond::True)) {
        Some(Cond::False) => {
            return Precondition::Done(if get_or_head {
                StatusCode::NOT_MODIFIED
            } else {
                StatusCode::PRECONDITION_FAILED
            });
        }
        Some(_) => {}
        None => {
            if get_or_head
                && let (Some(v), Some(m)) = (header_str(headers, header::IF_MODIFIED_SINCE), modtime)
                && let Some(t) = gotime::parse_http_time(v)
                && m <= t
            {
                return Precondition::Done(StatusCode::NOT_MODIFIED);
            }
        }
    }
    let range = header_str(headers, header::RANGE).map(str::to_owned);
    if range.is_some()
        && get_or_head
        && let Some(ir) = header_str(headers, header::IF_RANGE)
    {
        // An entity tag never matches (no ETag is sent); a date must equal
        // the modification time to the second.
        let honoured =
            scan_etag(ir).is_none() && modtime.is_some_and(|m| gotime::parse_http_time(ir).is_some_and(|t| t == m));
        if !honoured {
            return Precondition::Proceed(None);
        }
    }
    Precondition::Proceed(range)
}

/// Walks an If-Match / If-None-Match list as Go does: `*` gives `on_star`;
/// a malformed entry stops the walk; no tag can match (there is no ETag).
fn etag_list(list: &str, on_star: Cond, otherwise: Cond) -> Cond {
    let mut buf = list;
    loop {
        buf = buf.trim_matches([' ', '\t']);
        if buf.is_empty() {
            break;
        }
        if let Some(rest) = buf.strip_prefix(',') {
            buf = rest;
            continue;
        }
        if buf.starts_with('*') {
            return on_star;
        }
        match scan_etag(buf) {
            Some((_, rest)) => buf = rest,
            None => break,
        }
    }
    otherwise
}

/// Go's `scanETag`: `"text"` or `W/"text"` at the start of `s`.
fn scan_etag(s: &str) -> Option<(&str, &str)> {
    let s = s.trim_matches([' ', '\t']);
    let start = if s.starts_with("W/") { 2 } else { 0 };
    let b = s.as_bytes();
    if b.len() < start + 2 || b[start] != b'"' {
        return None;
    }
    for (i, &c) in b.iter().enumerate().skip(start + 1) {
        match c {
            b'"' => return Some((&s[..=i], &s[i + 1..])),
            0x21 | 0x23..=0x7E | 0x80..=0xFF => {}
            _ => return None,
        }
    }
    None
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeError {
    Invalid,
    NoOverlap,
}

impl RangeError {
    fn message(self) -> &'static str {
        match self {
            RangeError::Invalid => "invalid range",
            RangeError::NoOverlap => "invalid range: failed to overlap",
        }
    }
}

/// Go's `parseRange`: `(start, length)` pairs.
pub fn parse_range(s: Option<&str>, size: u64) -> Result<Vec<(u64, u64)>, RangeError> {
    let Some(s) = s else { return Ok(Vec::new()) };
    let spec = s.strip_prefix("bytes=").ok_or(RangeError::Invalid)?;
    let mut ranges = Vec::new();
    let mut no_overlap = false;
    let size = size as i128;
    for ra in spec.split(',') {
        let ra = ra.trim_matches([' ', '\t']);
        if ra.is_empty() {
            continue;
        }
        let (start, end) = ra.split_once('-').ok_or(RangeError::Invalid)?;
        let (start, end) = (start.trim_matches([' ', '\t']), end.trim_matches([' ', '\t']));
        if start.is_empty() {
            if end.is_empty() || end.starts_with('-') {
                return Err(RangeError::Invalid);
            }
            let mut i = parse_int(end).ok_or(RangeError::Invalid)?;
            if i < 0 {
                return Err(RangeError::Invalid);
            }
            if i > size {
                i = size;
            }
            ranges.push(((size - i) as u64, i as u64));
        } else {
            let i = parse_int(start).filter(|i| *i >= 0).ok_or(RangeError::Invalid)?;
            if i >= size {
                no_overlap = true;
                continue;
            }
            let length = if end.is_empty() {
                size - i
            } else {
                let mut e = parse_int(end).ok_or(RangeError::Invalid)?;
                if i > e {
                    return Err(RangeError::Invalid);
                }
                if e >= size {
                    e = size - 1;
                }
                e - i + 1
            };
            ranges.push((i as u64, length as u64));
        }
    }
    if no_overlap && ranges.is_empty() {
        return Err(RangeError::NoOverlap);
    }
    Ok(ranges)
}

/// `strconv.ParseInt(s, 10, 64)`: optional sign, decimal digits, 64-bit range.
fn parse_int(s: &str) -> Option<i128> {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let v: i128 = s.parse().ok()?;
    (i64::MIN as i128..=i64::MAX as i128).contains(&v).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_parse_range_vectors() {
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
