//! Recorded answers of `serve_content` and `parse_range`, taken from the implementation that
//! preceded the current one and kept as the behaviour to hold. Each row of
//! `testdata/content.tsv` is one request (method, file name, modification time, body, transport,
//! request headers in hex) and its answer (status, every response header sorted by name, body);
//! each row of `testdata/ranges.tsv` is a Range value in hex, a content size and the parse result.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use http_body_util::BodyExt;

use super::{Content, parse_range, serve_content};
use crate::sniff::decode_hex;

/// 2020-09-13 12:26:40.5 UTC: a modification time with a fraction of a second.
fn modtime() -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_600_000_000_500)
}

fn body(spec: &str) -> Vec<u8> {
    match spec {
        "html" => b"<html><body>hi</body></html>".to_vec(),
        "bin" => b"\x00\x01\x02\x03binary\xff".to_vec(),
        n => {
            let n: usize = n.strip_prefix("seq:").expect("body spec").parse().expect("size");
            (0..n)
                .map(|i| b"0123456789abcdefghijklmnopqrstuvwxyz"[i % 36])
                .collect()
        }
    }
}

/// One request: `headers_text` holds `Name: value` lines.
async fn answer(
    method: &str,
    name: &str,
    with_modtime: bool,
    body_spec: &str,
    from_file: bool,
    headers_text: &str,
) -> String {
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let mut headers = HeaderMap::new();
    for line in headers_text.split('\n').filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once(": ").expect("header line");
        headers.append(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    let data = body(body_spec);
    let modtime = with_modtime.then(modtime);
    let dir = tempfile::tempdir().expect("tempdir");
    let content = if from_file {
        let path = dir.path().join("content");
        std::fs::write(&path, &data).expect("write");
        let file = tokio::fs::File::open(&path).await.expect("open");
        Content::File {
            file,
            size: data.len() as u64,
        }
    } else {
        Content::Memory(bytes::Bytes::from(data))
    };
    let resp = serve_content(&method, &headers, name, modtime, content).await;
    let status = resp.status().as_u16();
    let mut out_headers: Vec<String> = resp
        .headers()
        .iter()
        .map(|(k, v)| format!("{}={}", k.as_str(), v.to_str().expect("ascii")))
        .collect();
    out_headers.sort();
    let got = resp.into_body().collect().await.expect("body").to_bytes();
    format!("{status}\t{}\t{}", out_headers.join(" | "), got.escape_ascii())
}

pub(crate) fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Conditional headers in every combination (for GET, HEAD and POST, with and without a
/// modification time), If-Range against ranges, Range values over several sizes, sniffed and
/// named types, memory and file bodies.
#[test]
fn content_table() {
    let rt = runtime();
    let mut rows = 0;
    for line in include_str!("../testdata/content.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let headers = String::from_utf8(decode_hex(cols[5])).expect("utf-8");
        let got = rt.block_on(answer(
            cols[0],
            cols[1],
            cols[2] == "mtime",
            cols[3],
            cols[4] == "file",
            &headers,
        ));
        assert_eq!(got, cols[6..].join("\t"), "{:?} {headers:?}", &cols[..5]);
        rows += 1;
    }
    assert!(rows > 3000, "{rows}");
}

/// Range values (well-formed, malformed, whitespace, signs, huge numbers) against sizes from 0
/// to 2^63-1.
#[test]
fn range_table() {
    let mut rows = 0;
    for line in include_str!("../testdata/ranges.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let value = String::from_utf8(decode_hex(cols[0])).expect("utf-8");
        let size: u64 = cols[1].parse().expect("size");
        assert_eq!(
            format!("{:?}", parse_range(Some(&value), size)),
            cols[2],
            "{value:?} {size}"
        );
        rows += 1;
    }
    assert!(rows > 500, "{rows}");
}
