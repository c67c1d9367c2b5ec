//! `/assets/`: files, ranges, conditional requests, directory redirects, and
//! the confinement kindling adds (no escapes through `..`, encoded dots or
//! symlinks; no dotfiles; no listings) with each quirk restoring matchbox.

mod common;

use common::{DataDir, Server};

struct Fixture {
    data: DataDir,
    assets: tempfile::TempDir,
    _outside: tempfile::TempDir,
}

fn fixture() -> Fixture {
    let data = DataDir::new();
    data.write("groups/secret.json", r#"{"profile":"p"}"#);
    let assets = tempfile::tempdir().unwrap();
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.txt"), "outside the root\n").unwrap();
    std::fs::write(assets.path().join("hello.txt"), "hello, assets\n").unwrap();
    std::fs::write(assets.path().join(".hidden"), "dotfile\n").unwrap();
    std::fs::create_dir(assets.path().join("dir")).unwrap();
    std::fs::write(assets.path().join("dir/kernel"), [0x7fu8, b'E', b'L', b'F', 2, 1, 1, 0]).unwrap();
    std::fs::create_dir(assets.path().join("site")).unwrap();
    std::fs::write(
        assets.path().join("site/index.html"),
        "<html><body>index</body></html>\n",
    )
    .unwrap();
    std::os::unix::fs::symlink(outside.path().join("secret.txt"), assets.path().join("link-out")).unwrap();
    std::os::unix::fs::symlink(assets.path().join("hello.txt"), assets.path().join("link-in")).unwrap();
    Fixture {
        data,
        assets,
        _outside: outside,
    }
}

fn start(f: &Fixture, extra: &[&str]) -> Server {
    let arg = format!("--assets-path={}", f.assets.path().display());
    let mut args = vec![arg.as_str()];
    args.extend_from_slice(extra);
    Server::start(f.data.path(), &args)
}

#[test]
fn serves_files_with_go_headers() {
    let f = fixture();
    let s = start(&f, &[]);
    let r = s.get("/assets/hello.txt");
    assert_eq!((r.status, r.text().as_str()), (200, "hello, assets\n"));
    assert_eq!(r.content_type(), "text/plain; charset=utf-8");
    assert_eq!(r.header("accept-ranges"), Some("bytes"));
    let last_modified = r.header("last-modified").unwrap().to_owned();
    let r = s.get("/assets/dir/kernel");
    assert_eq!(r.content_type(), "application/octet-stream");
    let r = s.req("GET", "/assets/hello.txt", &[("Range", "bytes=7-12")]);
    assert_eq!((r.status, r.text().as_str()), (206, "assets"));
    assert_eq!(r.header("content-range"), Some("bytes 7-12/14"));
    let r = s.req("GET", "/assets/hello.txt", &[("Range", "bytes=100-")]);
    assert_eq!(r.status, 416);
    assert_eq!(r.header("content-range"), Some("bytes */14"));
    let r = s.req("GET", "/assets/hello.txt", &[("If-Modified-Since", &last_modified)]);
    assert_eq!((r.status, r.body.len()), (304, 0));
    let r = s.get("/assets/link-in");
    assert_eq!((r.status, r.text().as_str()), (200, "hello, assets\n"));
    let r = s.get("/assets/site/");
    assert_eq!((r.status, r.content_type()), (200, "text/html; charset=utf-8"));
}

#[test]
fn redirects_like_go_file_server() {
    let f = fixture();
    let s = start(&f, &[]);
    let r = s.get("/assets");
    assert_eq!((r.status, r.header("location")), (301, Some("/assets/")));
    let r = s.get("/assets/dir?x=1");
    assert_eq!((r.status, r.header("location")), (301, Some("dir/?x=1")));
    let r = s.get("/assets/hello.txt/");
    assert_eq!((r.status, r.header("location")), (301, Some("../hello.txt")));
    let r = s.get("/assets/site/index.html");
    assert_eq!((r.status, r.header("location")), (301, Some("./")));
}

#[test]
fn traversal_attempts_are_refused() {
    let f = fixture();
    let s = start(&f, &[]);
    for target in [
        "/assets/../groups/secret.json",
        "/assets/%2e%2e/groups/secret.json",
        "/assets/..%2f..%2fetc%2fpasswd",
        "/assets/dir/../../etc/passwd",
        "/assets/%2e%2e%2f%2e%2e%2f%2e%2e%2fetc/passwd",
        "/assets//etc/passwd",
    ] {
        let r = s.get(target);
        assert_eq!(r.status, 404, "{target}: {}", r.text());
        assert!(
            !r.text().contains("root:") && !r.text().contains("\"profile\""),
            "{target}"
        );
    }
    let r = s.get("/assets/link-out");
    assert_eq!((r.status, r.reason()), (404, "asset-outside-root"));
    let r = s.get("/assets/.hidden");
    assert_eq!((r.status, r.reason()), (404, "asset-hidden"));
    let r = s.get("/assets/dir/");
    assert_eq!((r.status, r.reason()), (404, "asset-listing-disabled"));
    let r = s.req("PUT", "/assets/hello.txt", &[("Content-Length", "0")]);
    assert_eq!(r.status, 405);
}

#[test]
fn quirks_restore_matchbox_file_server() {
    let f = fixture();
    let s = start(
        &f,
        &["--compat", "assets-listing,assets-follow-symlinks,assets-dotfiles"],
    );
    let r = s.get("/assets/link-out");
    assert_eq!((r.status, r.text().as_str()), (200, "outside the root\n"));
    let r = s.get("/assets/.hidden");
    assert_eq!(r.status, 200);
    let r = s.get("/assets/dir/");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.text(),
        "<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n<a href=\"kernel\">kernel</a>\n</pre>\n"
    );
    // Even matchbox's file server cannot be walked out of with "..".
    let r = s.get("/assets/%2e%2e/groups/secret.json");
    assert_ne!(r.status, 200);
}

#[test]
fn assets_off_with_empty_path() {
    let f = fixture();
    let s = Server::start(f.data.path(), &["--assets-path="]);
    assert_eq!(s.get("/assets/hello.txt").status, 404);
    assert_eq!(s.get("/assets").status, 404);
}
