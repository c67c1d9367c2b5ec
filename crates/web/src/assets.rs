//! `/assets/`: static files under the assets path, as Go's `http.FileServer`
//! serves them for matchbox (Last-Modified, conditional requests, ranges,
//! directory redirects, `index.html`), but confined by default (D9): paths
//! are canonicalized and must stay inside the assets path, dotfiles are
//! hidden, and directories are not listed. Each restriction has a quirk.

use std::path::{Path, PathBuf};

use axum::body::Body;
use axum::http::{HeaderMap, HeaderValue, Method, Response, StatusCode, header};

use crate::compat::{Compat, Quirk};
use crate::content::{Content, serve_content};
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
            return Ok(local_redirect("./", raw_query));
        }
        if name.contains('\0') {
            // Go's http.Dir refuses the name: a 500 from matchbox.
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
        let base = url_path.trim_end_matches('/').rsplit('/').next().unwrap_or("");
        if meta.is_dir() && !url_path.ends_with('/') {
            return Ok(local_redirect(&format!("{base}/"), raw_query));
        }
        if !meta.is_dir() && url_path.ends_with('/') {
            return Ok(local_redirect(&format!("../{base}"), raw_query));
        }
        if meta.is_dir() {
            // Go serves an index.html in place of the directory, whatever it
            // is (a directory named index.html is then listed).
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
            return Ok(self.list(compat, method, headers, &fs_path, meta.modified().ok()).await);
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

    /// Go's `dirList`, with a conditional GET on the directory's mtime first.
    async fn list(
        &self,
        compat: Compat,
        method: &Method,
        headers: &HeaderMap,
        dir: &Path,
        modtime: Option<std::time::SystemTime>,
    ) -> Response<Body> {
        let not_modified = modtime.is_some_and(|m| {
            headers
                .get(header::IF_MODIFIED_SINCE)
                .and_then(|v| v.to_str().ok())
                .and_then(crate::gotime::parse_http_time)
                .is_some_and(|t| truncate(m) <= t)
        });
        if not_modified {
            // Go answers before setting Last-Modified.
            let mut r = Response::new(Body::empty());
            *r.status_mut() = StatusCode::NOT_MODIFIED;
            return r;
        }
        let mut entries = Vec::new();
        if let Ok(mut rd) = tokio::fs::read_dir(dir).await {
            while let Ok(Some(e)) = rd.next_entry().await {
                let Ok(name) = e.file_name().into_string() else {
                    continue;
                };
                if name.starts_with('.') && !compat.has(Quirk::AssetsDotfiles) {
                    continue;
                }
                // The entry's own type: a symlink to a directory is not marked.
                let is_dir = e.file_type().await.is_ok_and(|t| t.is_dir());
                entries.push(if is_dir { format!("{name}/") } else { name });
            }
        }
        entries.sort();
        let mut html =
            String::from("<!doctype html>\n<meta name=\"viewport\" content=\"width=device-width\">\n<pre>\n");
        for name in entries {
            html.push_str(&format!(
                "<a href=\"{}\">{}</a>\n",
                listing_href(&name),
                gourl::html_escape(&name)
            ));
        }
        html.push_str("</pre>\n");
        let len = html.len();
        let mut r = Response::new(if method == Method::HEAD {
            Body::empty()
        } else {
            Body::from(html)
        });
        r.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        r.headers_mut().insert(header::CONTENT_LENGTH, HeaderValue::from(len));
        if let Some(m) = modtime
            && let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(truncate(m)))
        {
            r.headers_mut().insert(header::LAST_MODIFIED, v);
        }
        r
    }
}

/// `url.URL{Path: name}.String()`: escaped, `*` left alone, and `./` before
/// a first segment with a colon (so it is not read as a scheme).
fn listing_href(name: &str) -> String {
    if name == "*" {
        return "*".to_owned();
    }
    let mut href = gourl::escape_path(name);
    if name.split('/').next().is_some_and(|s| s.contains(':')) {
        href.insert_str(0, "./");
    }
    href
}

fn truncate(t: std::time::SystemTime) -> std::time::SystemTime {
    let secs = t
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    std::time::UNIX_EPOCH + std::time::Duration::from_secs(secs)
}

/// Go's `localRedirect`: a relative Location, 301, the query kept.
fn local_redirect(target: &str, raw_query: Option<&str>) -> Response<Body> {
    let mut location = target.to_owned();
    if let Some(q) = raw_query.filter(|q| !q.is_empty()) {
        location.push('?');
        location.push_str(q);
    }
    let mut resp = Response::new(Body::empty());
    *resp.status_mut() = StatusCode::MOVED_PERMANENTLY;
    // Go writes the name as it is, non-ASCII bytes included.
    if let Ok(v) = HeaderValue::from_bytes(location.as_bytes()) {
        resp.headers_mut().insert(header::LOCATION, v);
    }
    resp
}

#[cfg(test)]
#[path = "assets/recorded.rs"]
mod recorded;
