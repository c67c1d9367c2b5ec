//! `/assets/`: static files under the assets path, answered as matchbox's file server answers
//! them, but confined by default (D9): paths are canonicalized and must stay inside the assets
//! path, dotfiles are hidden, and directories are not listed. Each restriction has a quirk.
//!
//! The file server behaviour reproduced here, as observed and recorded in
//! `testdata/assets.tsv`:
//!
//! * a path ending in `/index.html` is sent to `./` before anything is looked up, so an index
//!   page has one address (its directory);
//! * a directory asked for without a final slash is sent to `name/`, and a file asked for with
//!   one is sent to `../name`. Both are relative references (RFC 3986 §4.2) resolved by the
//!   client against the request URL; the query string goes with them, and the name is written
//!   as it is, without escaping;
//! * a directory holding an `index.html` is answered with that page, whatever kind of entry
//!   `index.html` is (a directory of that name is then listed);
//! * bodies go through [`serve_content`]: Last-Modified, conditional requests, ranges;
//! * a listing (only under the `assets-listing` quirk) answers If-Modified-Since on the
//!   directory's modification time and nothing else, then lists the entries sorted by name,
//!   directories marked with a final `/`, as `<a href>` lines in a `<pre>`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::compat::{Compat, Quirk};
use crate::content::{Content, http_date, serve_content, whole_seconds};
use crate::failure::Failure;
use crate::gourl;

#[derive(Debug, Clone)]
pub struct Assets {
    /// Canonical assets path.
    root: PathBuf,
}

impl Assets {
    pub fn new(root: &Path) -> std::io::Result<Assets> {
        Ok(Assets {
            root: std::fs::canonicalize(root)?,
        })
    }

    /// `url_path` is the decoded request path below `/assets` (starting with `/`).
    pub async fn serve(
        &self,
        compat: Compat,
        method: &Method,
        headers: &HeaderMap,
        url_path: &str,
        raw_query: Option<&str>,
    ) -> Result<Response<Body>, Failure> {
        let name = gourl::clean(url_path);
        if url_path.ends_with("/index.html") {
            return Ok(redirect("./", raw_query));
        }
        if name.contains('\0') {
            // No file name can hold a NUL byte: matchbox answers 500.
            return Err(Failure::with_status(
                StatusCode::BAD_REQUEST,
                "asset-invalid-path",
                format!("assets{}: a path cannot contain a NUL byte", name.escape_default()),
                Some((StatusCode::INTERNAL_SERVER_ERROR, "500 Internal Server Error\n")),
            ));
        }
        if !compat.has(Quirk::AssetsDotfiles) && name.split('/').any(|seg| seg.starts_with('.')) {
            return Err(Failure::not_found(
                "asset-hidden",
                format!("assets{name}: files and directories whose names start with a dot are not served"),
            ));
        }
        let mut fs_path = self.root.join(name.trim_start_matches('/'));
        let not_found = || {
            Failure::not_found(
                "asset-not-found",
                format!("no file assets{name} under {}", self.root.display()),
            )
        };
        let mut meta = match tokio::fs::metadata(&fs_path).await {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::PermissionDenied => {
                return Err(Failure::with_status(
                    StatusCode::FORBIDDEN,
                    "asset-forbidden",
                    format!("assets{name}: {e}"),
                    Some((StatusCode::FORBIDDEN, "403 Forbidden\n")),
                ));
            }
            Err(_) => return Err(not_found()),
        };
        self.check_confined(compat, &fs_path, &name).await?;
        // The slash must say what the entry is: directories end with one, files do not.
        let last_segment = url_path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        match (meta.is_dir(), url_path.ends_with('/')) {
            (true, false) => return Ok(redirect(&format!("{last_segment}/"), raw_query)),
            (false, true) => return Ok(redirect(&format!("../{last_segment}"), raw_query)),
            _ => {}
        }
        if meta.is_dir() {
            // The directory's index.html stands in for it, whatever kind of entry it is.
            let index = fs_path.join("index.html");
            if let Ok(m) = tokio::fs::metadata(&index).await
                && self
                    .check_confined(compat, &index, &format!("{name}/index.html"))
                    .await
                    .is_ok()
            {
                fs_path = index;
                meta = m;
            }
        }
        if meta.is_dir() {
            if !compat.has(Quirk::AssetsListing) {
                return Err(Failure::not_found(
                    "asset-listing-disabled",
                    format!(
                        "assets{name} is a directory and directory listing is off (turn it on with --compat assets-listing)"
                    ),
                ));
            }
            return Ok(listing(compat, method, headers, &fs_path, meta.modified().ok()).await);
        }
        let file = tokio::fs::File::open(&fs_path).await.map_err(|_| not_found())?;
        let size = meta.len();
        let file_name = fs_path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        Ok(serve_content(
            method,
            headers,
            file_name,
            meta.modified().ok(),
            Content::File { file, size },
        )
        .await)
    }

    /// Refuses a path whose real location is outside the assets path (D9),
    /// unless the `assets-follow-symlinks` quirk is on.
    async fn check_confined(&self, compat: Compat, fs_path: &Path, name: &str) -> Result<(), Failure> {
        if compat.has(Quirk::AssetsFollowSymlinks) {
            return Ok(());
        }
        match tokio::fs::canonicalize(fs_path).await {
            Ok(real) if real.starts_with(&self.root) => Ok(()),
            Ok(real) => Err(Failure::not_found(
                "asset-outside-root",
                format!(
                    "assets{name} is a symlink to {}, outside the assets path",
                    real.display()
                ),
            )),
            Err(_) => Err(Failure::not_found("asset-not-found", format!("no file assets{name}"))),
        }
    }
}

/// A directory listing page, or 304 when If-Modified-Since covers the directory's
/// modification time (the only condition a listing answers; the 304 carries no headers).
async fn listing(
    compat: Compat,
    method: &Method,
    headers: &HeaderMap,
    dir: &Path,
    modtime: Option<SystemTime>,
) -> Response<Body> {
    let modified = modtime.map(whole_seconds);
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(crate::gotime::parse_http_time);
    if let (Some(m), Some(since)) = (modified, since)
        && m <= since
    {
        let mut resp = Response::new(Body::empty());
        *resp.status_mut() = StatusCode::NOT_MODIFIED;
        return resp;
    }
    let page = listing_page(&entry_names(dir, compat.has(Quirk::AssetsDotfiles)).await);
    let length = page.len();
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(page)
    };
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(length));
    if let Some(m) = modified {
        h.insert(header::LAST_MODIFIED, http_date(m));
    }
    resp
}

/// The directory's entries sorted by name, directories with a final `/` (judged by the
/// entry itself: a symlink to a directory is not marked). Names that are not UTF-8 are
/// left out, and so are dotfiles unless they are shown.
async fn entry_names(dir: &Path, show_dotfiles: bool) -> Vec<String> {
    let mut names = Vec::new();
    let Ok(mut entries) = tokio::fs::read_dir(dir).await else {
        return names;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let Ok(mut name) = entry.file_name().into_string() else {
            continue;
        };
        if name.starts_with('.') && !show_dotfiles {
            continue;
        }
        if entry.file_type().await.is_ok_and(|t| t.is_dir()) {
            name.push('/');
        }
        names.push(name);
    }
    names.sort();
    names
}

/// The listing page: one link per entry, the target escaped as a URL path and the text
/// escaped as HTML.
fn listing_page(names: &[String]) -> String {
    let mut page = String::from("<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n");
    for name in names {
        page.push_str(&format!(
            "<a href=\"{}\">{}</a>\n",
            link_target(name),
            gourl::html_escape(name)
        ));
    }
    page.push_str("</pre>\n");
    page
}

/// An entry name as a relative reference (RFC 3986 §4.2): percent-escaped as a path, with
/// `./` in front when the first segment holds a colon, which would otherwise be read as a
/// scheme. A lone `*` is written as it is (observed).
fn link_target(name: &str) -> String {
    if name == "*" {
        return name.to_owned();
    }
    let escaped = gourl::escape_path(name);
    match name.split('/').next() {
        Some(first) if first.contains(':') => format!("./{escaped}"),
        _ => escaped,
    }
}

/// 301 to a relative location, with the request's query string when it has a non-empty one.
/// The location is written as given, non-ASCII bytes included.
fn redirect(target: &str, raw_query: Option<&str>) -> Response<Body> {
    let location = match raw_query.filter(|q| !q.is_empty()) {
        Some(q) => format!("{target}?{q}"),
        None => target.to_owned(),
    };
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    if let Ok(v) = HeaderValue::from_bytes(location.as_bytes()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

#[cfg(test)]
#[path = "assets/recorded.rs"]
mod recorded;
