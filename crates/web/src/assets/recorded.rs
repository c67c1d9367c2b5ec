//! Recorded answers of `Assets::serve` over a fixed tree, taken from the implementation that
//! preceded the current one: directory and file redirects (queries kept), `index.html`
//! handling, listings with names that need escaping, hidden files, symlinks in and out of the
//! root, conditional listing requests, under several quirk sets. Each row of
//! `testdata/assets.tsv` is quirks, method, decoded path, query (`-` for none), request headers
//! in hex, then status, the headers that matter and the body (or the failure's code and detail,
//! with the temporary paths replaced by `ROOT` and `OUTSIDE`).

use std::time::{Duration, UNIX_EPOCH};

use axum::http::{HeaderMap, HeaderName, HeaderValue, Method};
use http_body_util::BodyExt;

use super::Assets;
use crate::compat::{Compat, Quirk};
use crate::sniff::decode_hex;

struct Tree {
    root: tempfile::TempDir,
    outside: tempfile::TempDir,
}

fn stamp(path: &std::path::Path, secs: u64) {
    let t = UNIX_EPOCH + Duration::from_millis(secs * 1000 + 250);
    let f = std::fs::File::open(path).expect("open for times");
    f.set_modified(t).expect("set mtime");
}

fn tree() -> Tree {
    let root = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let r = root.path();
    let files: &[(&str, &[u8])] = &[
        ("hello.txt", b"hello, assets\n"),
        (".hidden", b"dotfile\n"),
        ("dir/kernel", b"\x7fELF\x02\x01\x01\x00"),
        ("dir/a b.txt", b"space"),
        ("dir/a:b", b"colon"),
        ("dir/q?x#y", b"query"),
        ("dir/<tag>&'\".txt", b"markup"),
        ("dir/pct%41", b"percent"),
        ("dir/ünï", b"unicode"),
        ("dir/*", b"star"),
        ("dir/+plus;semi=,", b"subdelims"),
        ("dir/.dot", b"dot"),
        ("dir/index.htm", b"not an index"),
        ("site/index.html", b"<html><body>index</body></html>\n"),
        ("site/page.html", b"<p>page</p>"),
        ("nested/index.html/inner.txt", b"inner"),
        ("c:d/file", b"in a colon directory"),
        (".secret/file", b"in a dot directory"),
        ("empty.bin", b""),
    ];
    for (name, data) in files {
        let p = r.join(name);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data).expect("write");
    }
    std::fs::create_dir_all(r.join("dir/sub dir")).expect("mkdir");
    std::fs::create_dir_all(r.join("emptydir")).expect("mkdir");
    std::fs::write(outside.path().join("secret.txt"), "outside the root\n").expect("write");
    std::fs::write(outside.path().join("index.html"), "outside index\n").expect("write");
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), r.join("link-out")).expect("symlink");
    std::os::unix::fs::symlink(r.join("hello.txt"), r.join("link-in")).expect("symlink");
    std::os::unix::fs::symlink(outside.path(), r.join("dir-out")).expect("symlink");
    std::os::unix::fs::symlink(r.join("site"), r.join("dir/site-link")).expect("symlink");
    std::os::unix::fs::symlink(outside.path().join("index.html"), r.join("emptydir/../indexed")).ok();
    std::fs::create_dir_all(r.join("outidx")).expect("mkdir");
    std::os::unix::fs::symlink(outside.path().join("index.html"), r.join("outidx/index.html")).expect("symlink");
    let mut dirs = Vec::new();
    let mut stack = vec![r.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read_dir") {
            let e = e.expect("entry");
            let t = e.file_type().expect("type");
            if t.is_dir() {
                stack.push(e.path());
            } else if t.is_file() {
                stamp(&e.path(), 1_600_000_000);
            }
        }
        dirs.push(d);
    }
    for d in dirs {
        stamp(&d, 1_600_000_100);
    }
    stamp(&outside.path().join("secret.txt"), 1_600_000_200);
    stamp(&outside.path().join("index.html"), 1_600_000_200);
    Tree { root, outside }
}

fn compat(name: &str) -> Compat {
    match name {
        "none" => Compat::none(),
        "all" => Compat::all(),
        "listing" => {
            let mut c = Compat::none();
            c.enable(Quirk::AssetsListing);
            c
        }
        other => panic!("quirk set {other}"),
    }
}

async fn answer(tree: &Tree, quirks: &str, method: &str, path: &str, query: &str, headers_text: &str) -> String {
    let assets = Assets::new(tree.root.path()).expect("assets");
    let root = std::fs::canonicalize(tree.root.path()).expect("canonical");
    let outside = std::fs::canonicalize(tree.outside.path()).expect("canonical");
    let mut headers = HeaderMap::new();
    for line in headers_text.split('\n').filter(|l| !l.is_empty()) {
        let (k, v) = line.split_once(": ").expect("header line");
        headers.append(
            HeaderName::from_bytes(k.as_bytes()).expect("name"),
            HeaderValue::from_str(v).expect("value"),
        );
    }
    let method = Method::from_bytes(method.as_bytes()).expect("method");
    let query = (query != "-").then_some(query);
    match assets.serve(compat(quirks), &method, &headers, path, query).await {
        Err(f) => {
            let detail = f
                .detail
                .replace(&*root.to_string_lossy(), "ROOT")
                .replace(&*outside.to_string_lossy(), "OUTSIDE");
            format!(
                "failure\t{}\t{}\t{detail}\t{:?}",
                f.status.as_u16(),
                f.code,
                f.go_answer
            )
        }
        Ok(resp) => {
            let status = resp.status().as_u16();
            let mut out_headers: Vec<String> = resp
                .headers()
                .iter()
                .map(|(k, v)| format!("{}={}", k.as_str(), v.as_bytes().escape_ascii()))
                .collect();
            out_headers.sort();
            let got = resp.into_body().collect().await.expect("body").to_bytes();
            format!("answer\t{status}\t{}\t{}", out_headers.join(" | "), got.escape_ascii())
        }
    }
}

#[test]
fn assets_table() {
    let rt = crate::content::recorded_runtime();
    let tree = tree();
    let mut rows = 0;
    for line in include_str!("../testdata/assets.tsv").lines() {
        let cols: Vec<&str> = line.split('\t').collect();
        let path = String::from_utf8(decode_hex(cols[2])).expect("utf-8");
        let headers = String::from_utf8(decode_hex(cols[4])).expect("utf-8");
        let got = rt.block_on(answer(&tree, cols[0], cols[1], &path, cols[3], &headers));
        assert_eq!(got, cols[5..].join("\t"), "{:?} {path:?} {headers:?}", &cols[..2]);
        rows += 1;
    }
    assert!(rows > 300, "{rows}");
}
